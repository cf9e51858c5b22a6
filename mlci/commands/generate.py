"""``mlci generate``: re-render the generated workflows from mlci.yaml, keeping hand edits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import update
from mlci.commands import Result


@dataclass(frozen=True)
class GenerateResult(Result):
    """Not ok when a merge left conflict markers or a hand-edited file was not overwritten."""

    plan: update.Plan
    dry_run: bool = False
    show_diff: bool = False

    @property
    def ok(self) -> bool:
        return update.failure(self.plan) is None

    def render_text(self) -> str:
        if self.show_diff:
            return "".join(change.diff() for change in self.plan.changes)
        return "".join(f"{c.describe(dry_run=self.dry_run)}\n" for c in self.plan.changes)

    def remarks(self) -> Sequence[str]:
        return tuple(f"note: {notice}" for notice in self.plan.notices)

    def failure(self) -> str:
        return update.failure(self.plan) or ""


def run(
    *,
    config_path: Path,
    force: bool = False,
    restore: bool = False,
    dry_run: bool = False,
    show_diff: bool = False,
) -> GenerateResult:
    """Bring the generated files up to date (``dry_run`` or ``show_diff``: write nothing)."""
    preview = dry_run or show_diff
    plan = update.generate(config_path=config_path, force=force, restore=restore, dry_run=preview)
    return GenerateResult(plan=plan, dry_run=preview, show_diff=show_diff)
