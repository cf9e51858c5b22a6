"""``mlci validate-model``: gate a trained model on thresholds and its baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import gate
from mlci.commands import Result
from mlci.errors import UsageError


@dataclass(frozen=True)
class ValidateModelResult(Result):
    verdict: gate.Verdict

    @property
    def ok(self) -> bool:
        return self.verdict.passed

    def render_text(self) -> str:
        text = gate.render_text(self.verdict)
        return text + f"{gate.summary_line(self.verdict)}\n" if self.ok else text

    def render_markdown(self) -> str:
        return gate.render_markdown(self.verdict)

    def outputs(self) -> Mapping[str, str]:
        return {
            "passed": "true" if self.verdict.passed else "false",
            "report": gate.report_json(self.verdict),
        }

    def notes(self) -> Sequence[str]:
        return self.verdict.notices

    def warnings(self) -> Sequence[str]:
        return self.verdict.warnings

    def failures(self) -> Sequence[str]:
        return self.verdict.failures

    def failure(self) -> str:
        return gate.summary_line(self.verdict)


def run(
    *,
    metrics_path: Path | None,
    run_id: str | None = None,
    config_path: Path | None = None,
    threshold_args: Sequence[str] = (),
    baseline_spec: str | None = None,
    max_regression: str | None = None,
    regression: str | None = None,
    fetch: bool | None = False,
    report_path: Path | None = None,
) -> ValidateModelResult:
    """Gather the inputs, decide, and write the JSON report to ``report_path`` (even on "no")."""
    inputs = gate.gather(
        metrics_path=metrics_path,
        run_id=run_id,
        config_path=config_path,
        threshold_args=threshold_args,
        baseline_spec=baseline_spec,
        max_regression=max_regression,
        regression=regression,
        fetch=fetch,
    )
    if not inputs.thresholds and inputs.configured:
        return _published(gate.unguarded(inputs), report_path)
    verdict = gate.validate(
        metrics=inputs.metrics,
        thresholds=inputs.thresholds,
        baseline=inputs.baseline.metrics,
        max_regression=inputs.max_regression,
        regression=inputs.regression,
        require_baseline=inputs.require_baseline,
        metrics_source=inputs.metrics_source,
        baseline_source=inputs.baseline.source,
        baseline_version=inputs.baseline.version,
    )
    if inputs.notices:
        verdict = dataclasses.replace(verdict, notices=(*inputs.notices, *verdict.notices))
    return _published(verdict, report_path)


def _published(verdict: gate.Verdict, report_path: Path | None) -> ValidateModelResult:
    """The result, with the JSON report written to ``report_path`` (even on "no")."""
    if report_path is not None:
        try:
            report_path.write_text(gate.report_json(verdict, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{report_path}: cannot write the report: {exc.strerror}") from None
    return ValidateModelResult(verdict=verdict)
