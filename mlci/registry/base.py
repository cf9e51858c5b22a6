"""What every registry backend shares: the types, the names, the history rules.

:mod:`mlci.registry` (the interface and the factories) and each backend
(:mod:`mlci.registry.git`, :mod:`mlci.registry.mlflow`) import from here, so
no backend imports the package that opens it.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

from mlci import files
from mlci.errors import CheckFailed, UsageError
from mlci.manifest import ModelFiles
from mlci.names import ROLES, check_name

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
        """The version holding ``stage`` (None when no version holds it yet).

        A ``stage`` that looks like a typo of a known stage raises UsageError
        (:func:`check_stage`)."""
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
    """(current holder, the version to restore) for ``stage``; refuse when there is none.

    Check the stage's name first (:func:`check_stage`): a stage no version ever held
    is bad input, not an empty stage.
    """
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


def known_stages(configured: Iterable[str], events: Iterable[StageEvent]) -> set[str]:
    """The stages a model knows: the roles, ``registry.stages``, and every stage its
    history names (whether a version holds it now or held it once)."""
    return {*ROLES, *configured, *(e.stage for e in events)}


_PARTS = re.compile(r"[-/]")
#: How alike one dash-separated part must be to a known stage's to count as its typo.
TYPO_CUTOFF = 0.8


def typo_of(stage: str, known: Iterable[str]) -> str | None:
    """The known stage ``stage`` is most likely a misspelling of, or None.

    A typo changes letters inside a name (``prodution``, ``stagin``, ``stagign``):
    the names have the same dash-separated parts, and every part that differs is
    at least :data:`TYPO_CUTOFF` alike (difflib, as the config's "did you mean").
    A name that adds or drops a part (``production-eu``), changes a short part
    (``prod-eu`` beside ``prod-us``) or only its digits (``staging2``) is a new
    stage, not a typo.
    """
    parts = _PARTS.split(stage)
    candidates = sorted(k for k in known if k != stage)
    for candidate in difflib.get_close_matches(stage, candidates, n=len(candidates) or 1):
        theirs = _PARTS.split(candidate)
        if len(theirs) != len(parts):
            continue
        differ = [(a, b) for a, b in zip(parts, theirs, strict=True) if a != b]
        if all(
            re.sub(r"[0-9]", "", a) != re.sub(r"[0-9]", "", b)
            and difflib.SequenceMatcher(None, a, b).ratio() >= TYPO_CUTOFF
            for a, b in differ
        ):
            return candidate
    return None


def check_stage(model: str, stage: str, known: Iterable[str], *, new: bool = False) -> None:
    """Refuse (exit 2) a stage name that is not one of the model's ``known`` stages
    (:func:`known_stages`) but a likely typo of one, with a "did you mean".

    ``new``: a name far from every known stage is a new stage (``--to-stage``, a
    lookup that may find nothing); otherwise (``--from-stage``, a rollback) a
    stage no version ever held is unknown: exit 2 too, naming the known ones.
    """
    names = set(known)
    if stage in names:
        return
    close = typo_of(stage, names)
    if close is not None:
        raise UsageError(f"{model} has no stage {stage!r}; did you mean {close!r}?")
    if not new:
        raise UsageError(
            f"{model} has no stage {stage!r}: no version ever held it; "
            f"known stages: {', '.join(sorted(names))}"
        )


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


def check_promotion_stages(
    model: str, to_stage: str, from_stage: str | None, known: Iterable[str]
) -> None:
    """A promotion's stages are known ones (``to_stage`` may be new, unless it looks like a
    typo of a known one): checked before anything else, the no-op included."""
    names = set(known)
    check_stage(model, to_stage, names, new=True)
    if from_stage is not None:
        check_stage(model, from_stage, names)


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

    The rule both backends apply, once :func:`check_promotion_stages` accepted the
    names: the version that already holds the stage is a successful no-op
    (returned), whether or not it still holds ``from_stage`` (a re-run of the
    promotion that put it there must not fail); a version whose recorded verdict failed is
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
