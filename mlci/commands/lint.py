"""``mlci lint``: actionlint and zizmor --offline over the workflows and actions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlci import lint
from mlci.commands import Result


@dataclass(frozen=True)
class LintResult(Result):
    """Not ok when there is any finding; every finding is listed on stdout."""

    report: lint.Report

    @property
    def ok(self) -> bool:
        return not self.report.findings

    def render_text(self) -> str:
        lines = [finding.render() for finding in self.report.findings]
        return "\n".join([*lines, self.report.summary()]) + "\n"

    def failure(self) -> str:
        return ""


def run(*, root: Path, paths: list[Path], all_workflows: bool = False) -> LintResult:
    """Lint ``paths``, or the workflows and actions under ``root`` when none are given.

    Of the workflows under ``root``, only those mlci generated unless ``all_workflows``.
    """
    return LintResult(report=lint.lint(root=root, paths=paths, all_workflows=all_workflows))
