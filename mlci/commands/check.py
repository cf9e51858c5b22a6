"""``mlci check``: fail when a generated file is stale or holds merge conflict markers.

An unchanged repository is answered before this module is even imported, by
:func:`mlci.state.fast_main` from ``.mlci/``; this is the full answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlci import update
from mlci.commands import Result
from mlci.state import CheckReport


@dataclass(frozen=True)
class CheckResult(Result):
    report: CheckReport

    @property
    def ok(self) -> bool:
        return self.report.ok

    def render_text(self) -> str:
        if self.ok:
            return self.report.ok_text() + "\n"
        return "".join(problem.diff for problem in self.report.problems)

    def failure(self) -> str:
        return self.report.failure()


def run(*, config_path: Path, strict: bool = False) -> CheckResult:
    """Compare the generated files with what ``config_path`` renders (``strict``: no edits)."""
    return CheckResult(report=update.check(config_path=config_path, strict=strict))
