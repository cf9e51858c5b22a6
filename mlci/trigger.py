"""retrain-trigger: should the model be retrained now?

The continuous-training workflow asks this on a schedule. :func:`decide` is the
rule; it never prints and never exits. It reads the registry (through the
:mod:`mlci.registry` interface) and the git repository at ``root``, nothing
else. The command :mod:`mlci.commands.retrain_trigger` gathers its inputs
(``mlci.yaml``, the registry) and renders the decision.

The rule, in order:

1. No version of ``registry.model`` is registered yet → retrain.
2. ``trigger.new_data`` (on by default): the newest registered version records
   the commit it was trained at; when any file under ``trigger.new_data.paths``
   differs between that commit and HEAD (``git diff --name-only <commit> HEAD
   -- <paths>``) → retrain, else not.
3. Missing evidence fails towards retraining, with a reason that says why: the
   newest version records no commit, or its commit is not in this checkout
   (a shallow clone). A trigger that cannot tell must not skip silently.

4. ``trigger.drift``: the current data drifts from the reference data
   (:mod:`mlci.drift`; the reference may be a file as committed at the
   production version's commit, ``git:production``) → retrain.
5. ``trigger.decay``: a production metric (a monitoring export, or a
   Prometheus instant query) is below ``min`` or above ``max`` → retrain; a
   missing metric retrains too, and says so.
6. ``trigger.cooldown_hours``: when the newest version is younger than that,
   no retrain, whatever fired (``--force`` still retrains).

Every enabled trigger is evaluated and reported, not only the first that fires.
Bad input is exit 2, never a silent "no": a broken config, an unreachable
registry, a directory that is not a git repository with a commit, a data file
or column the drift check cannot read. Each trigger is one ``_check_*``
function returning a :class:`Check`; :func:`decide` combines them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlci import git
from mlci.errors import UsageError, one_line
from mlci.files import read_text_if_exists
from mlci.names import stage_for

if TYPE_CHECKING:
    from mlci.config import Config
    from mlci.drift import DriftReport
    from mlci.registry import ModelVersion, Registry

#: The bearer token for trigger.decay.prometheus: the variable the rollout actions use too.
PROMETHEUS_TOKEN_ENV = "MLCI_PROMETHEUS_TOKEN"
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_SAFE = "retraining, the safe answer when a trigger cannot tell"


@dataclass(frozen=True)
class Inputs:
    """Command-line values that override ``trigger.*`` in mlci.yaml."""

    #: trigger.drift.reference (a path or git:<rev>[:<path>]); enables the drift check.
    reference: str | None = None
    #: trigger.drift.current; enables the drift check.
    current: str | None = None
    #: trigger.decay.source (a monitoring export); enables the decay check.
    metrics: str | None = None
    #: Bearer token for trigger.decay.prometheus (from the environment; never shown).
    prometheus_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Check:
    """What one trigger found."""

    trigger: str  # "new_data", "drift" or "decay"
    fired: bool
    reason: str
    changed: tuple[str, ...] = ()
    #: Fired because the evidence is missing (retraining is the safe answer), not found.
    missing: bool = False
    #: The drift check's report.
    drift: DriftReport | None = None
    #: The decay check's metric: name, value (None: missing), bounds.
    metric: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"trigger": self.trigger, "fired": self.fired, "reason": self.reason}
        if self.missing:
            data["missing_evidence"] = True
        if self.changed:
            data["changed"] = list(self.changed)
        if self.metric is not None:
            data["metric"] = dict(self.metric)
        return data


@dataclass(frozen=True)
class Decision:
    """Whether to retrain, and why."""

    should_train: bool
    #: One line, also the ``reason`` output of the action.
    reason: str
    model: str
    #: What decided: "forced", "no-version", "missing-evidence", "new_data" or "none".
    trigger: str
    #: The newest registered version, the one compared against HEAD (None when there is none).
    version: str | None = None
    commit: str | None = None
    head: str | None = None
    paths: tuple[str, ...] = ()
    #: Files under ``paths`` that differ between ``commit`` and HEAD.
    changed: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    #: Things the user should fix that did not change the answer (a path matching no file).
    warnings: tuple[str, ...] = ()
    #: Set when trigger.cooldown_hours held back a retrain that a trigger asked for.
    cooldown: Mapping[str, Any] | None = None

    @property
    def drift(self) -> DriftReport | None:
        return next((c.drift for c in self.checks if c.drift is not None), None)

    def to_json(self) -> dict[str, Any]:
        """The ``report`` output and ``--report-json``: the decision and every check."""
        data: dict[str, Any] = {
            "should_train": self.should_train,
            "reason": self.reason,
            "trigger": self.trigger,
            "model": self.model,
            "version": self.version,
            "commit": self.commit,
            "head": self.head,
            "checks": [c.to_json() for c in self.checks],
            "warnings": list(self.warnings),
        }
        if self.cooldown is not None:
            data["cooldown"] = dict(self.cooldown)
        report = self.drift
        if report is not None:
            data["drift"] = report.to_json() | {
                "summary": report.summary(),
                "features": [
                    {
                        "feature": c.column,
                        "type": c.kind,
                        "test": c.test,
                        "statistic": c.to_json()["statistic"],
                        "threshold": c.threshold,
                        "drifted": c.drifted,
                    }
                    for c in report.columns
                ],
            }
        return data


# --------------------------------------------------------------------------- config


def check_supported(config: Config, inputs: Inputs | None = None) -> None:
    """Refuse (exit 2) a trigger config that cannot be evaluated, saying what to set."""
    inputs = inputs or Inputs()
    drift = config.trigger.drift
    if drift.enabled or inputs.reference or inputs.current:
        reference = inputs.reference or drift.reference
        current = inputs.current or drift.current
        if not current:
            raise UsageError(
                "trigger.drift.current is not set: name the current data (CSV or Parquet), "
                "or pass --current FILE"
            )
        if not reference:
            raise UsageError(
                "trigger.drift.reference is not set: name the reference data (a path, or "
                "git:production for the file as committed at the production version), "
                "or pass --reference FILE"
            )
        _git_reference(reference, current)  # a malformed git: reference is exit 2 now
    decay = config.trigger.decay
    if decay.enabled or inputs.metrics:
        if not decay.metric:
            raise UsageError(
                "trigger.decay.metric is not set: name the production metric to watch "
                "(e.g. accuracy)"
            )
        if decay.min is None and decay.max is None:
            raise UsageError(
                f"trigger.decay: set min or max for {decay.metric} (retrain when it falls "
                "below min or rises above max)"
            )
        if not (inputs.metrics or decay.source or (decay.prometheus and decay.query)):
            raise UsageError(
                f"trigger.decay: say where {decay.metric} comes from: source (a JSON or CSV "
                "monitoring export, or --metrics FILE) or prometheus and query"
            )
        if bool(decay.prometheus) != bool(decay.query) and not (inputs.metrics or decay.source):
            raise UsageError("trigger.decay: prometheus and query go together; set both")
    new_data = config.trigger.new_data
    if new_data.enabled:
        if not new_data.paths:
            raise UsageError(
                "trigger.new_data.paths is empty: list the paths whose change starts a retrain "
                '(e.g. ["data/", "dvc.lock"]), or set trigger.new_data.enabled: false'
            )
        for path in new_data.paths:
            if not path.strip():
                raise UsageError("trigger.new_data.paths holds an empty path; remove it")


# --------------------------------------------------------------------------- git


def _git(root: Path, *args: str) -> git.Output:
    return git.run(*args, cwd=root, purpose="compare the data of the last model with HEAD")


def head_commit(root: Path) -> str:
    """The commit HEAD names; exit 2 when ``root`` is not a git repository with a commit."""
    proc = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if proc.returncode != 0:
        raise UsageError(
            f"{root.resolve()}: is not a git repository with a commit; retrain-trigger compares "
            "the commit of the last registered model with HEAD (run it in the checkout)"
        )
    return proc.stdout.strip()


def _has_commit(root: Path, commit: str) -> bool:
    if not _COMMIT.match(commit):
        return False
    return _git(root, "cat-file", "-e", f"{commit}^{{commit}}").returncode == 0


def _changed(root: Path, commit: str, paths: Sequence[str]) -> tuple[str, ...]:
    proc = _git(root, "diff", "--name-only", "--no-renames", "-z", commit, "HEAD", "--", *paths)
    if proc.returncode != 0:
        raise UsageError(
            f"trigger.new_data.paths {list(paths)}: git diff failed: {one_line(proc.stderr)}"
        )
    return tuple(name for name in proc.stdout.split("\0") if name)


def _unmatched(root: Path, paths: Sequence[str]) -> list[str]:
    """The paths that match no file committed at HEAD."""
    missing = []
    for path in paths:
        proc = _git(root, "ls-tree", "-r", "--name-only", "HEAD", "--", path)
        if proc.returncode == 0 and not proc.stdout.strip():
            missing.append(path)
    return missing


# --------------------------------------------------------------------------- the rule


def _when(version: ModelVersion) -> datetime:
    if version.created_at:
        try:
            when = datetime.fromisoformat(version.created_at)
        except ValueError:
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return datetime.min.replace(tzinfo=timezone.utc)


def newest(versions: Sequence[ModelVersion]) -> ModelVersion:
    """The most recently registered version (ties, and versions without a date, by list order)."""
    ranked = sorted(enumerate(versions), key=lambda item: (_when(item[1]), item[0]))
    return ranked[-1][1]


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def _check_new_data(
    *, root: Path, paths: Sequence[str], model: str, version: ModelVersion
) -> Check:
    """New data: files under ``paths`` that differ between the version's commit and HEAD."""
    where = ", ".join(paths)
    label = f"{model} {version.version}"
    commit = version.commit
    if not commit:
        return Check(
            trigger="new_data",
            fired=True,
            reason=f"{label} records no commit (registered outside GitHub Actions?), so new data "
            f"under {where} since it cannot be ruled out; {_SAFE}",
        )
    if not _has_commit(root, commit):
        hint = (
            "this checkout is shallow: check out with fetch-depth: 0"
            if git.is_shallow(root)
            else "fetch the full history, or the branch it was trained on"
        )
        return Check(
            trigger="new_data",
            fired=True,
            reason=f"commit {commit[:12]} of {label} is not in this repository ({hint}), so new "
            f"data under {where} since it cannot be ruled out; {_SAFE}",
        )
    changed = _changed(root, commit, paths)
    since = f"since {label} (commit {commit[:12]})"
    if changed:
        return Check(
            trigger="new_data",
            fired=True,
            reason=f"{_files(len(changed))} changed under {where} {since}",
            changed=changed,
        )
    return Check(trigger="new_data", fired=False, reason=f"no change under {where} {since}")


# --------------------------------------------------------------------------- drift


def _git_reference(reference: str, current: str) -> tuple[str, str] | None:
    """``git:<rev>[:<path>]`` → (rev, path); None for a plain path."""
    if not reference.startswith("git:"):
        return None
    rev, _, path = reference[len("git:") :].partition(":")
    path = path or current
    if not rev or rev.startswith("-") or not _REV.match(rev):
        raise UsageError(
            f"trigger.drift.reference {reference!r}: write git:<rev>[:<path>], e.g. "
            "git:production, git:latest or git:v1.2.0:data/train.csv"
        )
    if (
        path.startswith("git:")
        or PurePosixPath(path).is_absolute()
        or ".." in PurePosixPath(path).parts
    ):
        raise UsageError(
            f"trigger.drift.reference {reference!r}: the path inside the repository must be "
            f"relative, got {path!r}"
        )
    return rev, path


_REV = re.compile(r"^[A-Za-z0-9._/@^~{}-]+$")


def _git_show(root: Path, commit: str, path: str, into: Path) -> Path:
    """Check ``<commit>:<path>`` out under the directory ``into`` (not the index, not the
    work tree: ``git restore --worktree`` into a work tree of its own); return the file."""
    proc = git.run(
        f"--work-tree={into}",
        "restore",
        f"--source={commit}",
        "--worktree",
        "--",
        path,
        cwd=root,
        purpose="read the reference data as committed (trigger.drift.reference)",
    )
    copy = into / path
    if not proc.ok or not copy.is_file():
        raise UsageError(
            f"trigger.drift.reference: {path} is not a file in commit {commit[:12]}: "
            f"{one_line(proc.stderr) or 'not found'}"
        )
    with open(copy, "rb") as f:
        head = f.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise UsageError(
            f"trigger.drift.reference: {path} at {commit[:12]} is a Git LFS pointer, not data; "
            "point reference at a pulled copy instead"
        )
    return copy


def _check_drift(
    *,
    config: Config,
    root: Path,
    registry: Registry,
    version: ModelVersion,
    inputs: Inputs,
) -> Check:
    from mlci import drift

    settings = config.trigger.drift
    reference = inputs.reference or settings.reference
    current = inputs.current or settings.current
    assert reference and current  # check_supported
    options = drift.Options(
        columns={
            name: drift.ColumnOptions(kind=c.type, p_value=c.p_value, distance=c.distance)
            for name, c in settings.columns.items()
        },
        ignore=tuple(settings.ignore),
        p_value=settings.p_value,
        distance=settings.distance,
        share=settings.drift_share,
    )
    current_path = root / current
    at_git = _git_reference(reference, current)
    if at_git is None:
        report = drift.compare(
            root / reference,
            current_path,
            options=options,
            reference_label=reference,
            current_label=current,
        )
        return Check(trigger="drift", fired=report.drifted, reason=report.summary(), drift=report)
    rev, path = at_git
    model = config.registry.model
    if rev in ("production", "latest"):
        if rev == "production":
            stage = stage_for("production", config.registry.stages)
            held = registry.resolve(model, stage)
            if held is None:
                return Check(
                    trigger="drift",
                    fired=True,
                    missing=True,
                    reason=f"no version of {model} holds {stage}, so there is no reference "
                    f"data to measure drift against ({reference}); {_SAFE}",
                )
        else:
            held = version
        label = f"{model} {held.version}"
        commit = held.commit
        if not commit or not _has_commit(root, commit):
            why = (
                "records no commit"
                if not commit
                else f"commit {commit[:12]} is not in this checkout"
            )
            return Check(
                trigger="drift",
                fired=True,
                missing=True,
                reason=f"{label} {why}, so its data ({reference}) cannot be read; {_SAFE}",
            )
    else:
        proc = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if proc.returncode != 0:
            raise UsageError(f"trigger.drift.reference {reference!r}: no commit {rev} here")
        commit = proc.stdout.strip()
    label = f"{path}@{commit[:12]}"
    with tempfile.TemporaryDirectory(prefix="mlci-drift-") as tmp:
        copy = _git_show(root.resolve(), commit, path, Path(tmp))
        report = drift.compare(
            copy, current_path, options=options, reference_label=label, current_label=current
        )
    return Check(trigger="drift", fired=report.drifted, reason=report.summary(), drift=report)


# --------------------------------------------------------------------------- decay


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _metric_from_json(data: Any, metric: str) -> Any:
    from mlci.metrics import flatten

    if isinstance(data, list):
        for record in reversed(data):
            if isinstance(record, dict):
                flat = flatten(record)
                if metric in flat:
                    return flat[metric]
        return None
    if isinstance(data, dict):
        return flatten(data).get(metric)
    return None


def _metric_from_csv(text: str, metric: str, source: str) -> Any:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return None
    header = [h.strip() for h in rows[0]]
    if metric in header:
        index = header.index(metric)
        for row in reversed(rows[1:]):
            if index < len(row) and row[index].strip():
                return row[index].strip()
        return None
    if len(header) >= 2 and header[0] in ("metric", "name") and header[1] == "value":
        for row in reversed(rows[1:]):
            if len(row) >= 2 and row[0].strip() == metric:
                return row[1].strip()
        return None
    raise UsageError(
        f"{source}: a CSV monitoring export needs a column named {metric}, or metric,value rows"
    )


def read_metric(path: Path, metric: str) -> tuple[Any, bool]:
    """The metric's raw value in a monitoring export, and whether the file exists."""
    text = read_text_if_exists(path, what="monitoring export")
    if text is None:
        return None, False
    if path.suffix.lower() == ".csv":
        return _metric_from_csv(text, metric, str(path)), True
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}: malformed JSON monitoring export: {exc.msg}"
        ) from None
    return _metric_from_json(data, metric), True


def _check_decay(*, config: Config, root: Path, inputs: Inputs) -> Check:
    decay = config.trigger.decay
    metric = decay.metric
    assert metric  # check_supported
    bounds = {"min": decay.min, "max": decay.max}
    source_name = inputs.metrics or decay.source
    if source_name:
        raw, exists = read_metric(root / source_name, metric)
        where = source_name
        if not exists:
            return Check(
                trigger="decay",
                fired=True,
                missing=True,
                reason=f"the monitoring export {where} does not exist, so {metric} cannot be "
                f"checked; {_SAFE}",
                metric={"name": metric, "value": None, "source": where, **bounds},
            )
        value = _number(raw)
    else:
        from mlci.prometheus import Prometheus

        assert decay.prometheus and decay.query  # check_supported
        where = f"Prometheus ({decay.query})"
        # No data, NaN → None (missing, retrain); unreachable or bad PromQL → exit 2.
        value = Prometheus(decay.prometheus, token=inputs.prometheus_token).value(decay.query)
    shown = {"name": metric, "value": value, "source": where, **bounds}
    if value is None:
        return Check(
            trigger="decay",
            fired=True,
            missing=True,
            reason=f"{metric} is missing from {where} (or not a number), so decay cannot be "
            f"ruled out; {_SAFE}",
            metric=shown,
        )
    if decay.min is not None and value < decay.min:
        return Check(
            trigger="decay",
            fired=True,
            reason=f"{metric} is {value:g}, below trigger.decay.min {decay.min:g}",
            metric=shown,
        )
    if decay.max is not None and value > decay.max:
        return Check(
            trigger="decay",
            fired=True,
            reason=f"{metric} is {value:g}, above trigger.decay.max {decay.max:g}",
            metric=shown,
        )
    within = " and ".join(
        f"{'≥' if k == 'min' else '≤'} {v:g}" for k, v in bounds.items() if v is not None
    )
    return Check(
        trigger="decay", fired=False, reason=f"{metric} is {value:g} ({within})", metric=shown
    )


# --------------------------------------------------------------------------- the decision


def _cooldown(config: Config, version: ModelVersion, now: datetime) -> dict[str, Any] | None:
    """The cooldown in force, or None."""
    hours = config.trigger.cooldown_hours
    if not hours:
        return None
    registered = _when(version)
    if registered == datetime.min.replace(tzinfo=timezone.utc):
        return None
    age = now - registered
    if age >= timedelta(hours=hours):
        return None
    return {
        "hours": hours,
        "registered_at": registered.isoformat(),
        "age_hours": round(age.total_seconds() / 3600, 2),
    }


def forced(*, config: Config) -> Decision:
    """The decision of ``--force``: retrain, without asking the registry."""
    check_supported(config)
    return Decision(
        should_train=True, reason="forced", model=config.registry.model, trigger="forced"
    )


def decide(
    *,
    config: Config,
    root: Path,
    registry: Registry,
    inputs: Inputs | None = None,
    now: datetime | None = None,
) -> Decision:
    """Should ``config.registry.model`` be retrained, given its registry and ``root``?"""
    check_supported(config, inputs)
    model = config.registry.model
    head = head_commit(root)
    versions = registry.versions(model)
    if not versions:
        note = ""
        if registry.backend == "git" and git.is_shallow(root):
            note = (
                " (this checkout is shallow and may lack the registry's tags: "
                "check out with fetch-depth: 0)"
            )
        return Decision(
            should_train=True,
            reason=f"no registered version of {model} yet{note}",
            model=model,
            trigger="no-version",
            head=head,
        )
    last = newest(versions)
    inputs = inputs or Inputs()
    checks: list[Check] = []
    new_data = config.trigger.new_data
    paths = tuple(new_data.paths) if new_data.enabled else ()
    if new_data.enabled:
        checks.append(_check_new_data(root=root, paths=paths, model=model, version=last))
    if config.trigger.drift.enabled or inputs.reference or inputs.current:
        checks.append(
            _check_drift(config=config, root=root, registry=registry, version=last, inputs=inputs)
        )
    if config.trigger.decay.enabled or inputs.metrics:
        checks.append(_check_decay(config=config, root=root, inputs=inputs))
    if not checks:
        return Decision(
            should_train=False,
            reason="no retraining trigger is enabled (trigger.new_data, trigger.drift and "
            f"trigger.decay are off); {model} {last.version} stays; run with force_retrain "
            "to retrain",
            model=model,
            trigger="none",
            version=last.version,
            commit=last.commit,
            head=head,
        )
    fired = [c for c in checks if c.fired]
    warnings: tuple[str, ...] = ()
    if new_data.enabled and not checks[0].fired:
        warnings = tuple(
            f"trigger.new_data.paths: {path} matches no file committed at HEAD, so it can never "
            "start a retrain (data kept out of git? list dvc.lock or the .dvc files instead)"
            for path in _unmatched(root, paths)
        )
    changed = next((c.changed for c in checks if c.trigger == "new_data"), ())
    common: dict[str, Any] = {
        "model": model,
        "version": last.version,
        "commit": last.commit,
        "head": head,
        "paths": paths,
        "changed": changed,
        "checks": tuple(checks),
        "warnings": warnings,
    }
    if not fired:
        return Decision(
            should_train=False, reason="; ".join(c.reason for c in checks), trigger="none", **common
        )
    reason = "; ".join(c.reason for c in fired)
    cooldown = _cooldown(config, last, now or datetime.now(timezone.utc))
    if cooldown is not None:
        return Decision(
            should_train=False,
            reason=f"cooldown: {model} {last.version} was registered {cooldown['age_hours']:g} h "
            f"ago, less than trigger.cooldown_hours ({cooldown['hours']:g}); run with "
            f"force_retrain to retrain now (fired: {reason})",
            trigger="cooldown",
            cooldown=cooldown,
            **common,
        )
    trigger = (
        "missing-evidence" if all(c.missing for c in fired) else ",".join(c.trigger for c in fired)
    )
    return Decision(should_train=True, reason=reason, trigger=trigger, **common)


__all__ = [
    "PROMETHEUS_TOKEN_ENV",
    "Check",
    "Decision",
    "Inputs",
    "check_supported",
    "decide",
    "forced",
    "head_commit",
    "newest",
    "read_metric",
]
