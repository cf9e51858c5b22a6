"""Is the working tree the commit a model version will name? (``register-model``)

A registered version names the commit it was trained from. When tracked files differ from
that commit (an edited train script, data or ``mlci.yaml`` not committed yet), the record
names a commit that did not train the model. ``register-model`` warns about it on a laptop
and refuses it in CI (``--allow-dirty`` overrides).

What a training run writes is not a difference: the metrics file, the validation report,
``train.artifacts``, and with DVC ``dvc.lock`` and every ``outs``/``metrics``/``plots`` path
of ``dvc.yaml`` (``dvc repro`` rewrites them, tracked or not). Untracked files are never a
reason to refuse: a CI job's tree is full of them (``.venv``, ``__pycache__``, ``*.egg-info``,
the outputs); outside CI they are named in the warning, as an untracked source file may
have been part of the training.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: How many paths a message names before "+N more".
SHOWN = 3


@dataclass(frozen=True)
class Tree:
    """How the working tree differs from ``HEAD`` (``commit``), the training's outputs aside."""

    commit: str
    #: Tracked files that differ from the commit (staged or not), and an uncommitted mlci.yaml.
    changed: tuple[str, ...] = ()
    #: Untracked files (or folders) that are not ignored and not the training's outputs.
    untracked: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.changed and not self.untracked

    def describe(self, *, untracked: bool = True) -> str:
        """``changed mlci.yaml, train.py; untracked notes.py`` (at most SHOWN paths each)."""
        parts = [f"changed {shorten(self.changed)}"] if self.changed else []
        if untracked and self.untracked:
            parts.append(f"untracked {shorten(self.untracked)}")
        return "; ".join(parts)


def shorten(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN])
    return shown + (f" (+{len(paths) - SHOWN} more)" if len(paths) > SHOWN else "")


def dvc_outputs(root: Path) -> list[str]:
    """``dvc.lock`` and every path ``dvc.yaml`` declares as a stage's outs, metrics or plots."""
    from mlci import detect

    info = detect.detect_dvc(root)
    if info is None:
        return []
    found = ["dvc.lock", *info.metrics]
    for stage in info.stages.values():
        for key in ("outs", "metrics", "plots"):
            found += detect.dvc_paths(stage.get(key))
    return found


def _is_output(path: str, outputs: Iterable[str]) -> bool:
    """``path`` (relative to the repository root, a folder ending in /) is or holds an output,
    or lies inside one."""
    for output in outputs:
        out = output.strip("/")
        if not out:
            continue
        if path.rstrip("/") == out or path.startswith(out + "/"):
            return True
        if path.endswith("/") and out.startswith(path):  # an untracked folder holding it
            return True
    return False


def _entries(status: str) -> list[tuple[str, str]]:
    """``git status --porcelain=v1 -z`` → ``[(XY, path)]`` (a rename's new path)."""
    fields = status.split("\0")
    entries: list[tuple[str, str]] = []
    i = 0
    while i < len(fields):
        field = fields[i]
        i += 1
        if len(field) < 4:
            continue
        code, path = field[:2], field[3:]
        entries.append((code, path))
        if "R" in code or "C" in code:
            i += 1  # the original path follows
    return entries


def _relative(path: Path, top: Path) -> str | None:
    """``path`` relative to the repository's top folder (``/`` separated), None outside it."""
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None


def inspect(root: Path, *, outputs: Sequence[Path], config: Path | None = None) -> Tree | None:
    """How ``root``'s working tree differs from ``HEAD``; ``None`` outside a git work tree.

    ``outputs`` are what the training writes (relative paths are relative to ``root``);
    ``config`` counts as changed when it is untracked.
    """
    from mlci import git

    head = git.output("rev-parse", "--verify", "-q", "HEAD", cwd=root)
    toplevel = git.output("rev-parse", "--show-toplevel", cwd=root)
    if not head or not toplevel:
        return None
    top = Path(toplevel).resolve()
    proc = git.run(
        "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", ".",
        cwd=root, purpose="see whether the working tree is the commit it registers",
    )  # fmt: skip
    if not proc.ok:
        return None
    named = [*outputs, *(Path(p) for p in dvc_outputs(root))]
    full = [r for p in named if (r := _relative(root / p, top)) is not None]
    config_path = _relative(root / config, top) if config is not None else None
    prefix = _relative(root, top) or ""
    prefix = "" if prefix == "." else prefix + "/"
    changed: list[str] = []
    untracked: list[str] = []
    for code, path in _entries(proc.stdout):
        if code == "!!" or _is_output(path, full):
            continue
        shown = path[len(prefix) :] if path.startswith(prefix) else path
        if code != "??" or path == config_path:  # an uncommitted mlci.yaml is a change
            changed.append(shown)
        else:
            untracked.append(shown)
    return Tree(commit=head[:12], changed=tuple(changed), untracked=tuple(untracked))


__all__ = ["Tree", "dvc_outputs", "inspect", "shorten"]
