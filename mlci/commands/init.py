"""``mlci init``: scaffold mlci.yaml in an existing repository and render its workflows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import scaffold
from mlci.commands import Result


@dataclass(frozen=True)
class InitResult(Result):
    root: Path
    scaffolded: scaffold.Scaffolded
    notices: tuple[str, ...] = ()

    def render_text(self) -> str:
        here = self.root == Path(".")
        lines = [f"wrote {rel if here else self.root / rel}" for rel in self.scaffolded.written]
        return "\n".join([*lines, "", self.scaffolded.next_steps]) + "\n"

    def remarks(self) -> Sequence[str]:
        return tuple(f"note: {notice}" for notice in self.notices)


def run(*, root: Path, answers: scaffold.Answers, force: bool = False) -> InitResult:
    """Write mlci.yaml and the workflows into ``root`` (asking happens before, in the CLI)."""
    from mlci import render

    scaffolded = scaffold.init(root=root, answers=answers, force=force)
    return InitResult(
        root=root, scaffolded=scaffolded, notices=tuple(render.notices(scaffolded.config))
    )
