"""``mlci init``: scaffold mlci.yaml in an existing repository and render its workflows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import scaffold
from mlci.commands import Result
from mlci.commands._doctor import DoctorResult, diagnose


@dataclass(frozen=True)
class InitResult(Result):
    root: Path
    scaffolded: scaffold.Scaffolded
    doctor: DoctorResult
    notices: tuple[str, ...] = ()

    def render_text(self) -> str:
        here = self.root == Path(".")
        lines = [f"wrote {rel if here else self.root / rel}" for rel in self.scaffolded.written]
        lines += [
            f"merged mlci's settings into your {rel} (your rules kept)"
            for rel in self.scaffolded.merged
        ]
        # what mlci doctor found in what init wrote (its "ok" lines are left out, and its notes:
        # the next steps name the secrets)
        lines += [
            line
            for line in self.doctor.render_text().splitlines()
            if not line.startswith(("ok ", "note "))
        ]
        return "\n".join([*lines, "", self.scaffolded.next_steps]) + "\n"

    @property
    def ok(self) -> bool:
        """Not ok (exit 1) when the files are written but a step would fail as they stand, so
        that ``mlci init --yes && ...`` in a script stops there."""
        return self.doctor.ok

    def failures(self) -> list[str]:
        return self.doctor.problems

    def failure(self) -> str:
        problems = self.doctor.problems
        what = (
            f"a problem would fail the first push: {problems[0]}"
            if len(problems) == 1
            else f"{len(problems)} problems (PROBLEM above) would fail the first push"
        )
        return (
            f"init wrote the files, but {what}. Fix it in the repository or in mlci.yaml "
            "(then `mlci generate`), and rerun `mlci doctor`"
        )

    def remarks(self) -> Sequence[str]:
        return (
            *(f"warning: {warning}" for warning in self.scaffolded.warnings),
            *(f"note: {notice}" for notice in self.notices),
        )


def run(*, root: Path, answers: scaffold.Answers, force: bool = False) -> InitResult:
    """Write mlci.yaml and the workflows into ``root`` (asking happens before, in the CLI)."""
    from mlci import config, render

    scaffolded = scaffold.init(root=root, answers=answers, force=force)
    return InitResult(
        root=root,
        scaffolded=scaffolded,
        doctor=diagnose(config=scaffolded.config, root=root),
        notices=(*render.notices(scaffolded.config), *config.notes(scaffolded.config)),
    )
