"""Model registries behind one small interface.

Backends: ``git`` (default; GTO-compatible tags in the repository, no server)
and ``mlflow`` (aliases on a tracking server). Chosen by ``registry.backend``
in mlci.yaml. The contract every backend keeps:

* ``register`` creates a new version and records its metrics, source and
  validation verdict with it.
* ``resolve`` answers the version that holds a stage (alias) and its metrics.
* ``promote`` moves a stage to a version, check-and-set, recording the
  previous holder so that ``rollback`` can restore it. Promoting the version
  that already holds the stage changes nothing.
* ``history`` is append-only: a rollback is a new event, never an erasure.

Unreachable servers, unknown models, versions or stages raise
:class:`mlci.errors.UsageError` (exit 2); refusals (a failed verdict, a
version not in the from-stage, a lost race) raise
:class:`mlci.errors.CheckFailed` (exit 1). Nothing is changed then.

Open a backend with :func:`open_registry` or :func:`from_config`; the mlflow
backend imports MLflow only when it is opened.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mlci.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from mlci.config import Config, LoadedConfig

Backend = Literal["git", "mlflow"]
#: The token the actions hand to mlci for pushing tags (never echoed).
TOKEN_ENV = "MLCI_GITHUB_TOKEN"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"

# GTO's artifact and stage names: lowercase letters, digits, dashes, slashes inside.
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-/]*[a-z0-9])?$")


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model."""

    model: str
    version: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None
    stages: tuple[str, ...] = ()
    #: "passed" or "failed" when a validate-model report was recorded with it.
    validation: str | None = None
    commit: str | None = None
    run_url: str | None = None
    created_at: str | None = None
    #: True when register() returned a version that already existed (the git backend
    #: versions one model per commit: a retrain of the same commit keeps its version).
    reused: bool = False


@dataclass(frozen=True)
class StageEvent:
    """One entry of a stage's append-only history."""

    model: str
    stage: str
    version: str | None
    previous: str | None
    action: str  # "promote" | "assign" | "rollback" | "unassign"
    timestamp: str
    actor: str | None = None
    #: Where the event is recorded: a tag name (git) or a registered-model tag key (mlflow).
    ref: str | None = None


@dataclass(frozen=True)
class Promotion:
    """What ``promote`` or ``rollback`` did."""

    model: str
    stage: str
    version: str
    previous: str | None
    changed: bool
    event: StageEvent | None = None


class Registry(Protocol):
    """What every registry backend offers."""

    backend: str

    def register(
        self,
        model: str,
        *,
        metrics: Mapping[str, Any],
        source: str | None = None,
        version: str | None = None,
        validation: bool | None = None,
    ) -> ModelVersion: ...

    def resolve(self, model: str, stage: str) -> ModelVersion | None:
        """The version holding ``stage`` (None when no version holds it yet)."""
        ...

    def get(self, model: str, version: str) -> ModelVersion:
        """One version; unknown model or version raises UsageError."""
        ...

    def versions(self, model: str) -> Sequence[ModelVersion]: ...

    def promote(
        self, model: str, version: str, *, to_stage: str, from_stage: str | None = None
    ) -> Promotion: ...

    def history(self, model: str, stage: str | None = None) -> Sequence[StageEvent]: ...

    def rollback(self, model: str, stage: str) -> Promotion: ...


# --------------------------------------------------------------------------- factories


def open_registry(
    *,
    backend: str,
    root: Path,
    tracking_uri: str | None = None,
    push: bool = False,
    fetch: bool | None = None,
    token: str | None = None,
    remote: str = "origin",
    copy_to_stage_models: bool = False,
) -> Registry:
    """Open a registry backend.

    ``git``: tags in the repository at ``root``; ``push`` fetches the tags of
    ``remote`` before changing anything and pushes what it creates (``token``
    authenticates to github.com); ``fetch`` (default: ``push``) fetches them
    before reading too. ``mlflow``: the tracking server at
    ``tracking_uri`` (default ``$MLFLOW_TRACKING_URI``); with
    ``copy_to_stage_models`` every promotion also copies the version into the
    registered model ``<model>-<stage>``.
    """
    if backend == "git":
        from mlci.registry.git import GitRegistry

        return GitRegistry(root=root, push=push, fetch=fetch, token=token, remote=remote)
    if backend == "mlflow":
        from mlci.registry.mlflow import MlflowRegistry

        uri = tracking_uri or os.environ.get(TRACKING_URI_ENV, "")
        return MlflowRegistry(tracking_uri=uri, copy_to_stage_models=copy_to_stage_models)
    raise UsageError(f"unknown registry backend {backend!r}: use git or mlflow")


def from_config(
    config: Config | LoadedConfig | None,
    *,
    root: Path | None = None,
    tracking_uri: str | None = None,
    push: bool = False,
    fetch: bool | None = None,
    token: str | None = None,
    copy_to_stage_models: bool = False,
) -> Registry:
    """The registry ``mlci.yaml`` names (git in ``root`` when there is no config)."""
    backend = "git"
    if config is not None:
        cfg: Any = getattr(config, "config", config)
        backend = str(cfg.registry.backend)
    return open_registry(
        backend=backend,
        root=root if root is not None else Path("."),
        tracking_uri=tracking_uri,
        push=push,
        fetch=fetch,
        token=token,
        copy_to_stage_models=copy_to_stage_models,
    )


# --------------------------------------------------------------------------- shared helpers


def check_name(value: str, *, what: str) -> str:
    """Model and stage names follow GTO's grammar, so every backend accepts the same names."""
    if not _NAME.match(value):
        raise UsageError(
            f"{what} {value!r} is not valid: lowercase letters, digits and dashes "
            "(slashes inside for a namespace), e.g. churn-model or production"
        )
    return value


def load_report(path: Path) -> bool:
    """The verdict of a validate-model report JSON (its boolean ``passed``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such validation report") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise UsageError(f"{path}: is not a validate-model report (JSON text)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: malformed validation report: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("passed"), bool):
        raise UsageError(
            f"{path}: a validation report is the JSON `mlci validate-model --report-json` "
            'writes, with a boolean "passed" key'
        )
    return bool(data["passed"])


def dump_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Metrics as JSON-ready values (NaN and infinities become strings, fail closed later)."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[str(key)] = str(value)
        elif isinstance(value, str | int | float | bool) or value is None:
            out[str(key)] = value
        else:
            out[str(key)] = json.loads(json.dumps(value, default=str))
    return out


def run_url() -> str | None:
    """The URL of the current GitHub Actions run, when there is one."""
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    run_id = os.environ.get("GITHUB_RUN_ID")
    if server and repo and run_id:
        return f"{server}/{repo}/actions/runs/{run_id}"
    return None


def actor() -> str | None:
    return os.environ.get("GITHUB_ACTOR") or None


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def holders(events: Sequence[StageEvent]) -> list[str | None]:
    """The stack of versions a stage has held, oldest first, after replaying ``events``.

    A promotion or assignment pushes its version; a rollback pops the version it
    undid (so a second rollback goes one step further back); an unassignment
    pushes None (the stage was emptied).
    """
    stack: list[str | None] = []
    for event in events:
        if event.action == "rollback" and len(stack) >= 2 and stack[-2] == event.version:
            stack.pop()
        elif event.action == "unassign":
            stack.append(None)
        elif not stack or stack[-1] != event.version:
            stack.append(event.version)
    return stack


def rollback_target(model: str, stage: str, events: Sequence[StageEvent]) -> tuple[str, str]:
    """(current holder, the version to restore) for ``stage``; refuse when there is none."""
    stack = holders([e for e in events if e.stage == stage])
    if not stack or stack[-1] is None:
        raise CheckFailed(f"{model}: no version holds {stage}; there is nothing to roll back")
    current = stack[-1]
    if len(stack) < 2 or stack[-2] is None:
        raise CheckFailed(
            f"{model}: {stage} has held only {current} (no earlier version recorded); "
            "there is nothing to roll back to"
        )
    return current, str(stack[-2])


def refuse_failed_verdict(version: ModelVersion) -> None:
    if version.validation == "failed":
        raise CheckFailed(
            f"{version.model} {version.version}: its recorded validation verdict is failed; "
            "a rejected model is never promoted — train and register a new version"
        )


__all__ = [
    "TOKEN_ENV",
    "TRACKING_URI_ENV",
    "ModelVersion",
    "Promotion",
    "Registry",
    "StageEvent",
    "from_config",
    "load_report",
    "open_registry",
]
