"""``mlci generate`` and ``mlci check``: bring the generated files up to date without losing edits.

For each generated file, the new rendering meets the file on disk and the last
rendering recorded in ``.mlci/`` (see :mod:`mlci.state`):

* the file equals its last rendering (untouched) — it is replaced;
* it was edited by hand — the edit is merged 3-way (base = last rendering,
  ours = the file, theirs = the new rendering; ``git merge-file``), so it
  survives a config change or an mlci upgrade. Overlapping changes leave
  conflict markers in that file only; every other file is still updated;
* it was deleted — it stays deleted unless ``restore``;
* mlci generated it before but no longer does (an orphan) — it is removed if
  untouched, else left in place and reported.

:func:`plan` decides all of this without writing; :func:`apply` writes
(atomically, generated files first and ``.mlci/`` last). ``check`` passes
exactly when ``generate`` would change no generated file and no file holds
conflict markers.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlci import __version__, git, state
from mlci.errors import UsageError
from mlci.lockfile import read_lock
from mlci.state import CheckReport, Manifest, Problem

#: Change kinds that write the generated file.
WRITES = frozenset({"write", "overwrite", "merge", "conflict", "restore"})

_VERBS = {
    "write": "wrote",
    "overwrite": "overwrote (hand edits discarded, --force)",
    "merge": "merged your hand edits into",
    "conflict": "CONFLICT in",
    "kept": "unchanged (hand edits kept)",
    "unchanged": "unchanged",
    "deleted": "deleted by you, not regenerated (--restore brings it back)",
    "restore": "restored",
    "refused": "not overwritten (edited by hand)",
    "remove": "removed (no longer generated)",
    "release": "no longer generated, kept because edited by hand; delete it yourself",
}

_DRY_VERBS = {
    "write": "would write",
    "overwrite": "would overwrite (hand edits discarded, --force)",
    "merge": "would merge your hand edits into",
    "conflict": "would leave a CONFLICT in",
    "restore": "would restore",
    "remove": "would remove (no longer generated)",
}


@dataclass(frozen=True)
class Change:
    """What ``generate`` does (or would do) with one file."""

    path: str
    kind: str
    before: str | None
    after: str | None
    conflicts: tuple[tuple[int, int], ...] = ()

    @property
    def writes(self) -> bool:
        return self.kind in WRITES and self.after != self.before

    def describe(self, *, dry_run: bool = False) -> str:
        verb = _VERBS[self.kind]
        if dry_run and (self.writes or self.kind == "remove"):
            verb = _DRY_VERBS[self.kind]
        text = f"{verb} {self.path}"
        if self.conflicts:
            text += f" (lines {state.format_ranges(list(self.conflicts))})"
        return text

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                (self.before or "").splitlines(keepends=True),
                (self.after or "").splitlines(keepends=True),
                fromfile=f"a/{self.path}" if self.before is not None else "/dev/null",
                tofile=f"b/{self.path}" if self.after is not None else "/dev/null",
            )
        )


@dataclass
class Plan:
    root: Path
    changes: list[Change]
    manifest: Manifest
    bases: dict[str, str] = field(default_factory=dict)
    dropped_bases: list[str] = field(default_factory=list)
    #: What the user must know about the config (render.notices), e.g. an action not shipped yet.
    notices: list[str] = field(default_factory=list)

    def paths(self, *kinds: str) -> list[str]:
        return [c.path for c in self.changes if c.kind in kinds]

    @property
    def written(self) -> list[str]:
        return [c.path for c in self.changes if c.writes]

    @property
    def unchanged(self) -> list[str]:
        return self.paths("unchanged", "kept")

    @property
    def refused(self) -> list[str]:
        return self.paths("refused")

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.conflicts]


# --------------------------------------------------------------------------- merging


def merge_file(ours: str, base: str, theirs: str, *, label: str) -> str:
    """3-way merge with ``git merge-file``; conflicts are left as markers in the result."""
    with tempfile.TemporaryDirectory(prefix="mlci-merge-") as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8", newline="")
            paths.append(str(path))
        # The same markers on every machine: no user or system git config applies.
        proc = git.run(
            "-c",
            "merge.conflictStyle=merge",
            "merge-file",
            "-p",
            "-L",
            f"{label} (your edits)",
            "-L",
            f"{label} (last generated)",
            "-L",
            f"{label} (mlci {__version__})",
            *paths,
            cwd=Path(tmp),
            purpose="merge your hand edits into the new rendering (git merge-file)",
            timeout=60,
            isolated=True,
        )
    if proc.returncode > 127:
        raise UsageError(f"git merge-file failed on {label}: {proc.stderr.strip()}")
    return proc.stdout


def merge(current: str, base: str, new: str, *, label: str) -> tuple[str, list[tuple[int, int]]]:
    """Carry the hand edits of ``current`` (against ``base``) into ``new``.

    The bodies are merged; the header is the new rendering's, so its hash keeps
    describing what mlci rendered (and the file still reads as edited by hand).
    """
    new_head = state.header_text(new)
    ours_head = state.header_text(current)
    merged = merge_file(
        current[len(ours_head) :],
        base[len(state.header_text(base)) :],
        new[len(new_head) :],
        label=label,
    )
    offset = new_head.count("\n")
    return new_head + merged, state.conflict_ranges(merged, offset=offset)


# --------------------------------------------------------------------------- planning


def _untouched(current: str, base: str | None) -> bool:
    if base is not None:
        return current == base
    header, _ = state.split_header(current)
    return header is not None and not state.edited_by_hand(current)


def plan(
    rendered: Mapping[str, str],
    *,
    root: Path,
    config_name: str,
    config_sha256: str,
    force: bool = False,
    restore: bool = False,
) -> Plan:
    """Decide, without writing, what ``generate`` does with every file."""
    previous = state.read_manifest(root)
    known = previous.files if previous is not None else {}
    changes: list[Change] = []
    bases: dict[str, str] = {}
    recorded: dict[str, str] = {}
    for rel, new in rendered.items():
        current = state.read_text(state.guard(root, rel, what="generated file"))
        base = state.read_base(root, rel) if rel in known else None
        kind = "write"
        after: str | None = new
        ranges: list[tuple[int, int]] = []
        if current is None:
            if rel in known and not restore:
                kind, after = "deleted", None
            elif rel in known:
                kind = "restore"
        elif current == new:
            kind = "unchanged"
        elif force:
            kind = "overwrite"
        elif _untouched(current, base):
            kind = "write"
        elif base is None:
            kind, after = "refused", current
        else:
            after, ranges = merge(current, base, new, label=rel)
            kind = "conflict" if ranges else ("kept" if after == current else "merge")
        changes.append(Change(rel, kind, current, after, tuple(ranges)))
        if kind != "refused":  # a refused file keeps no base: its edits predate any
            bases[rel] = new
            recorded[rel] = state.sha256_text(new)
    dropped: list[str] = []
    for rel in sorted(set(known) - set(rendered)):
        path = state.guard(root, rel)
        current = state.read_text(path)
        base = state.read_base(root, rel)
        dropped.append(rel)
        if current is None:
            continue
        # Only a file that still reads as mlci's own rendering is ever deleted.
        if state.split_header(current)[0] is not None and _untouched(current, base):
            changes.append(Change(rel, "remove", current, None))
        else:
            changes.append(Change(rel, "release", current, current))
    manifest = Manifest(
        version=__version__,
        generator=state.generator_fingerprint(),
        config_path=config_name,
        config_sha256=config_sha256,
        lock_sha256=state.lock_sha256(root),
        files=recorded,
        refused=[c.path for c in changes if c.kind == "refused"],
    )
    return Plan(root=root, changes=changes, manifest=manifest, bases=bases, dropped_bases=dropped)


def apply(result: Plan) -> None:
    """Write what :func:`plan` decided: generated files, removals, then ``.mlci/``."""
    root = result.root
    for change in result.changes:
        path = state.guard(root, change.path)
        if change.writes and change.after is not None:
            state.write_atomic(path, change.after)
        elif change.kind == "remove":
            path.unlink(missing_ok=True)
    for rel, text in result.bases.items():
        path = state.guard(root, state.base_rel(rel))
        if state.read_text(path) != text:
            state.write_atomic(path, text)
    for rel in result.dropped_bases:
        state.guard(root, state.base_rel(rel)).unlink(missing_ok=True)
    manifest = root / state.MANIFEST
    text = result.manifest.dumps()
    if state.read_text(manifest) != text:
        state.write_atomic(manifest, text)


# --------------------------------------------------------------------------- commands


def _render_for(config_path: Path) -> tuple[dict[str, str], str, list[str]]:
    from mlci.config import line_of, load, workflow_problems
    from mlci.config import notes as config_notes
    from mlci.errors import ConfigError
    from mlci.overrides import OverrideError
    from mlci.render import notices, render

    loaded = load(config_path)
    problems = workflow_problems(loaded.config)
    if problems:  # valid for the commands, but the workflows would fail on every run
        loc, message = problems[0]
        line = line_of(loaded.text, loc)
        more = len(problems) - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{config_path}{f':{line}' if line else ''}: {message}{also}")
    root = state.root_of(config_path)
    try:
        rendered = render(
            loaded.config,
            config_name=config_path.name,
            templates=state.templates_override(),
            lock=read_lock(root),
        )
    except OverrideError as exc:  # name the line of the override, as every config error does
        line = line_of(loaded.text, exc.loc)
        raise ConfigError(
            f"{config_path.name}:{line}: {exc.detail}" if line else str(exc)
        ) from None
    return rendered, loaded.sha256, [*notices(loaded.config), *config_notes(loaded.config)]


def generate(
    *, config_path: Path, force: bool = False, restore: bool = False, dry_run: bool = False
) -> Plan:
    """Render ``config_path`` and bring the generated files beside it up to date."""
    rendered, config_sha, config_notices = _render_for(config_path)
    result = plan(
        rendered,
        root=state.root_of(config_path),
        config_name=config_path.name,
        config_sha256=config_sha,
        force=force,
        restore=restore,
    )
    result.notices = config_notices
    if not dry_run:
        apply(result)
    result.notices += _user_actionlint(config_path, dry_run=dry_run)
    return result


def _user_actionlint(config_path: Path, *, dry_run: bool) -> list[str]:
    """With ``workflows.actionlint_config: false``, the runner labels mlci.yaml names are added
    to the user's own ``.github/actionlint.yaml`` (created when there is none)."""
    from mlci import userfiles
    from mlci.config import load
    from mlci.render import ACTIONLINT, custom_labels

    config = load(config_path).config
    labels = custom_labels(config)
    if config.workflows.actionlint_config or not labels:
        return []
    path = state.guard(state.root_of(config_path), ACTIONLINT)
    current = state.read_text(path) or ""
    new = userfiles.merge_runner_labels(current, labels, source=ACTIONLINT)
    if new == current:
        return []
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        state.write_atomic(path, new)
    verb = "would add" if dry_run else "added"
    return [
        f"{ACTIONLINT}: {verb} the runner labels mlci.yaml names (the file is yours: "
        "workflows.actionlint_config is false)"
    ]


def _problem(change: Change) -> Problem | None:
    if change.kind == "write":
        # A file mlci deleted-and-recorded is "deleted" (kept deleted), never here: a missing
        # file here is one mlci.yaml now generates and plain `mlci generate` writes.
        reason = "not written yet" if change.before is None else "stale"
    elif change.kind == "merge":
        reason = "stale (mlci generate merges your hand edits into the new rendering)"
    elif change.kind == "conflict":
        lines = state.format_ranges(list(change.conflicts))
        reason = f"unresolved merge conflict (lines {lines}); edit the file to resolve it"
    elif change.kind == "refused":
        header, _ = state.split_header(change.before or "")
        reason = "edited by hand" if header is not None else "not generated by mlci"
    elif change.kind == "remove":
        reason = "no longer generated (mlci generate removes it)"
    elif change.kind == "release":
        reason = "no longer generated and edited by hand (delete it, or run mlci generate)"
    else:
        return None
    return Problem(path=change.path, reason=reason, diff=change.diff())


def report(result: Plan) -> CheckReport:
    """The answer of ``mlci check`` from a dry-run plan."""
    answer = CheckReport()
    for change in result.changes:
        problem = _problem(change)
        if problem is not None:
            answer.problems.append(problem)
        elif change.kind == "kept":
            answer.kept.append(change.path)
        elif change.kind == "deleted":
            answer.deleted.append(change.path)
    return answer


def compare(rendered: Mapping[str, str], *, root: Path) -> list[Problem]:
    """What differs between the rendered files and the files on disk."""
    problems = []
    for rel, text in rendered.items():
        current = state.read_text(root / rel)
        if current == text:
            continue
        if current is None:
            reason = "missing"
            current = ""
        elif state.edited_by_hand(current):
            reason = "edited by hand"
        elif state.split_header(current)[0] is None:
            reason = "not generated by mlci"
        else:
            reason = "stale"
        diff = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )
        problems.append(Problem(path=rel, reason=reason, diff=diff))
    return problems


def check(*, config_path: Path, strict: bool = False) -> CheckReport:
    """Problems of the generated files against ``config_path``; none when all are fresh.

    ``strict``: every generated file must be exactly what mlci.yaml renders, so
    hand edits (even merged ones) and deleted files are problems too.
    """
    if strict:
        rendered, _, _ = _render_for(config_path)
        return CheckReport(problems=compare(rendered, root=state.root_of(config_path)))
    return report(generate(config_path=config_path, dry_run=True))


def failure(result: Plan) -> str | None:
    """Why ``generate`` exits 1 (conflicts, files it would not overwrite), else ``None``."""
    parts = []
    if result.conflicts:
        where = "; ".join(
            f"{c.path} lines {state.format_ranges(list(c.conflicts))}" for c in result.conflicts
        )
        parts.append(
            f"merge conflict: {where}. Your hand edits and the new rendering change the same "
            "lines; edit the file to keep what you want, delete the <<<<<<< ======= >>>>>>> "
            "markers, then run `mlci check` (or `mlci generate --force` to drop your edits)"
        )
    if result.refused:
        parts.append(
            f"not overwritten, edited by hand: {', '.join(result.refused)} (no earlier rendering "
            "in .mlci/ to merge with); move the edit into mlci.yaml overrides:, or rerun with "
            "--force to discard it"
        )
    return "\n".join(parts) or None
