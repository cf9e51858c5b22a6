"""Model registries behind one small interface.

Backends: ``git`` (default; GTO-compatible tags in the repository, no server)
and ``mlflow`` (aliases on a tracking server). Chosen by ``registry.backend``
in mlci.yaml. The contract every backend keeps:

* ``register`` creates a new version and records its metrics and source.
* ``resolve`` answers the version that holds a stage (alias) and its metrics.
* ``promote`` moves a stage to a version, check-and-set, recording the
  previous holder so that ``rollback`` can restore it.
* ``history`` is append-only.

Unreachable servers, unknown models, versions or stages raise
:class:`mlci.errors.UsageError` (exit 2) or :class:`mlci.errors.CheckFailed`
(exit 1, a refusal) with one clear line; nothing is changed then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model."""

    model: str
    version: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageEvent:
    """One entry of a stage's append-only history."""

    model: str
    stage: str
    version: str | None
    previous: str | None
    action: str  # "promote" | "rollback" | "assign"
    timestamp: str
    actor: str | None = None


class Registry(Protocol):
    """What every registry backend offers."""

    def register(
        self, model: str, *, metrics: Mapping[str, Any], source: str | None = None,
        version: str | None = None,
    ) -> ModelVersion: ...

    def resolve(self, model: str, stage: str) -> ModelVersion | None:
        """The version holding ``stage`` (None when no version holds it yet)."""
        ...

    def promote(
        self, model: str, version: str, *, to_stage: str, from_stage: str | None = None
    ) -> StageEvent: ...

    def history(self, model: str, stage: str | None = None) -> Sequence[StageEvent]: ...

    def rollback(self, model: str, stage: str) -> StageEvent: ...
