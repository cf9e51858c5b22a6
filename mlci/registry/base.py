"""What every registry backend shares: the types, the names, the history rules.

:mod:`mlci.registry` (the interface and the factories) and each backend
(:mod:`mlci.registry.git`, :mod:`mlci.registry.mlflow`) import from here, so
no backend imports the package that opens it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

from mlci import files
from mlci.errors import CheckFailed, UsageError
from mlci.manifest import ModelFiles
from mlci.names import check_name

Backend = Literal["git", "mlflow"]
#: The token the actions hand to mlci for pushing tags (never echoed).
TOKEN_ENV = "MLCI_GITHUB_TOKEN"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"


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
    #: The model's files as registered: their SHA-256 manifest and where they are kept.
    files: ModelFiles | None = None


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
        files: ModelFiles | None = None,
        files_root: Path | None = None,
    ) -> ModelVersion:
        """``files`` is recorded with the version; the mlflow store uploads them from
        ``files_root`` (the files at their manifest paths) first."""
        ...

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


# --------------------------------------------------------------------------- shared helpers


def load_report(path: Path) -> bool:
    """The verdict of a validate-model report JSON (its boolean ``passed``)."""
    text = files.read_text(
        path, what="validation report", directory="is not a validate-model report (JSON text)"
    )
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


def refuse_rejected(model: str, validation: bool | None) -> None:
    """A model the gate rejected is never registered (exit 1): checked by the command
    before anything is stored, and by each backend before anything is recorded."""
    if validation is False:
        raise CheckFailed(
            f"{model}: the validation report says the model failed; "
            "a rejected model is not registered"
        )


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


def check_promotion_names(model: str, to_stage: str, from_stage: str | None) -> None:
    """The names a promotion (or a rollback: no ``from_stage``) takes are valid, and a promotion
    moves between two different stages."""
    check_name(model, what="model name")
    check_name(to_stage, what="stage")
    if from_stage is not None:
        check_name(from_stage, what="stage")
        if from_stage == to_stage:
            raise UsageError(f"--from-stage and --to-stage are both {to_stage!r}")


def promotion_policy(
    *,
    target: ModelVersion,
    to_stage: str,
    from_stage: str | None,
    current: str | None,
    from_holder: str | None,
    label: str,
) -> Promotion | None:
    """Whether ``target`` may take ``to_stage``, given what the stages hold now.

    The rule both backends apply: the version that already holds the stage is
    a successful no-op (returned); a version whose recorded verdict failed is
    refused, and so is one that does not hold ``from_stage`` when it is given
    (:class:`CheckFailed`, nothing changed). ``None``: go ahead. ``label``
    names the version in messages (``churn v0.0.3``, ``churn version 3``).
    """
    if current == target.version:
        return Promotion(
            model=target.model,
            stage=to_stage,
            version=target.version,
            previous=current,
            changed=False,
        )
    refuse_failed_verdict(target)
    if from_stage is not None and from_holder != target.version:
        raise CheckFailed(
            f"{label} is not in {from_stage} ({from_stage} holds {from_holder or 'no version'}); "
            f"promote what {from_stage} holds, or drop --from-stage to assign directly"
        )
    return None


def promotion_action(from_stage: str | None) -> str:
    """The history's word for a promotion: ``promote`` out of a stage, else ``assign``."""
    return "promote" if from_stage else "assign"
