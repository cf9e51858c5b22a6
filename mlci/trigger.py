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

Bad input is exit 2, never a silent "no": a broken config, an unreachable
registry, a directory that is not a git repository with a commit. Drift and
decay triggers are not evaluated by this version of mlci; enabling one is bad
input (exit 2) rather than a trigger that silently never fires. Each trigger is
one ``_check_*`` function returning a :class:`Check`; :func:`decide` combines
them, so drift and decay slot in beside ``_check_new_data``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import git
from mlci.errors import UsageError, one_line

if TYPE_CHECKING:
    from mlci.config import Config
    from mlci.registry import ModelVersion, Registry

_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_SAFE = "retraining, the safe answer when a trigger cannot tell"


@dataclass(frozen=True)
class Check:
    """What one trigger found."""

    trigger: str  # "new_data" (later: "drift", "decay")
    fired: bool
    reason: str
    changed: tuple[str, ...] = ()


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


# --------------------------------------------------------------------------- config


def check_supported(config: Config) -> None:
    """Refuse (exit 2) a trigger config this version of mlci cannot evaluate."""
    enabled = [
        name
        for name, section in (("drift", config.trigger.drift), ("decay", config.trigger.decay))
        if section.enabled
    ]
    if enabled:
        keys = " and ".join(f"trigger.{name}.enabled" for name in enabled)
        raise UsageError(
            f"{keys}: this mlci version does not evaluate {' or '.join(enabled)} triggers yet; "
            f"set {' and '.join(f'trigger.{name}.enabled: false' for name in enabled)} "
            "(new-data triggers and force_retrain work)"
        )
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


def forced(*, config: Config) -> Decision:
    """The decision of ``--force``: retrain, without asking the registry."""
    check_supported(config)
    return Decision(
        should_train=True, reason="forced", model=config.registry.model, trigger="forced"
    )


def decide(*, config: Config, root: Path, registry: Registry) -> Decision:
    """Should ``config.registry.model`` be retrained, given its registry and ``root``?"""
    check_supported(config)
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
    new_data = config.trigger.new_data
    if not new_data.enabled:
        return Decision(
            should_train=False,
            reason=f"no retraining trigger is enabled (trigger.new_data.enabled is false); "
            f"{model} {last.version} stays; run with force_retrain to retrain",
            model=model,
            trigger="none",
            version=last.version,
            commit=last.commit,
            head=head,
        )
    paths = tuple(new_data.paths)
    check = _check_new_data(root=root, paths=paths, model=model, version=last)
    missing_evidence = check.fired and not check.changed
    warnings: tuple[str, ...] = ()
    if not check.fired:
        warnings = tuple(
            f"trigger.new_data.paths: {path} matches no file committed at HEAD, so it can never "
            "start a retrain (data kept out of git? list dvc.lock or the .dvc files instead)"
            for path in _unmatched(root, paths)
        )
    return Decision(
        should_train=check.fired,
        reason=check.reason,
        model=model,
        trigger="missing-evidence" if missing_evidence else ("new_data" if check.fired else "none"),
        version=last.version,
        commit=last.commit,
        head=head,
        paths=paths,
        changed=check.changed,
        checks=(check,),
        warnings=warnings,
    )


__all__ = [
    "Check",
    "Decision",
    "check_supported",
    "decide",
    "forced",
    "head_commit",
    "newest",
]
