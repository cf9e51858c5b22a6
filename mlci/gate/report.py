"""The gate's report: the verdict as a terminal table, Markdown and JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlci.gate.inputs import NO_THRESHOLDS_WARNING
from mlci.gate.rule import (
    Verdict,
    _change,
    _num,
    _pct,
)


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, str):
        return f'"{value}"'
    return type(value).__name__


def table_rows(verdict: Verdict) -> list[list[str]]:
    """The report table: metric, candidate, threshold, baseline, change, verdict."""
    rows = []
    for row in verdict.rows:
        candidate = _shown(row.candidate) if row.candidate_present else "missing"
        if not verdict.baseline_present:
            baseline = "—"
        else:
            baseline = _shown(row.baseline) if row.baseline_present else "missing"
        change = _change(row.change, row.relative_change) if row.change is not None else "—"
        rows.append([row.metric, candidate, row.threshold, baseline, change, row.verdict])
    return rows


HEADER = ["metric", "candidate", "threshold", "baseline", "change", "verdict"]


def render_text(verdict: Verdict) -> str:
    """The terminal report."""
    rows = [HEADER, *table_rows(verdict)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out = [f"validate-model: {verdict.metrics_source} against {_baseline_text(verdict)}", ""]
    out += lines
    out.append("")
    for notice in verdict.notices:
        out.append(f"note: {notice}")
    for warning in verdict.warnings:
        out.append(f"warning: {warning}")
    for failure in verdict.failures:
        out.append(f"FAIL {failure}")
    return "\n".join(out) + "\n"


def _baseline_text(verdict: Verdict) -> str:
    if not verdict.baseline_present:
        return f"no baseline ({verdict.baseline_source or 'none given'})"
    if verdict.regression == "relative":
        mode = f"{_pct(verdict.max_regression)} of |baseline|"
    else:
        mode = f"{_num(verdict.max_regression)} absolute"
    return f"{verdict.baseline_source} (tolerance {mode})"


def summary_line(verdict: Verdict) -> str:
    n = len(verdict.rows)
    if verdict.passed and verdict.warnings == (NO_THRESHOLDS_WARNING,):
        if n == 0:
            return "model passed: no thresholds set and no production model to compare against"
        return (
            f"model passed: no thresholds set; {n} metric{'s' if n != 1 else ''} checked "
            "for regression against production"
        )
    if verdict.passed:
        return f"model passed: {n} metric{'s' if n != 1 else ''} checked"
    failed = sum(1 for row in verdict.rows if not row.passed)
    problems = len(verdict.problems)
    extra = f", {problems} other problem{'s' if problems != 1 else ''}" if problems else ""
    return f"model rejected: {failed} of {n} metric{'s' if n != 1 else ''} failed{extra}"


def _md(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(verdict: Verdict) -> str:
    """The job summary (``$GITHUB_STEP_SUMMARY``)."""
    head = "✅ model passed" if verdict.passed else "❌ model rejected"
    out = [
        f"### validate-model: {head}",
        "",
        f"`{_md(verdict.metrics_source)}` against {_md(_baseline_text(verdict))}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for cells in table_rows(verdict):
        cells[-1] = "✅ pass" if cells[-1] == "pass" else "❌ fail"
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if verdict.failures:
        out += ["", "**Failures**", ""]
        out += [f"- {_md(f)}" for f in verdict.failures]
    if verdict.notices or verdict.warnings:
        out.append("")
        out += [f"> ⚠️ {_md(w)}" for w in verdict.warnings]
        out += [f"> {_md(n)}" for n in verdict.notices]
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def to_report(verdict: Verdict) -> dict[str, Any]:
    """The verdict as JSON-ready data (``--report-json`` and the ``report`` output)."""
    return {
        "passed": verdict.passed,
        "metrics_file": verdict.metrics_source,
        "baseline": {
            "source": verdict.baseline_source,
            "present": verdict.baseline_present,
            "version": verdict.baseline_version,
        },
        "regression": verdict.regression,
        "max_regression": verdict.max_regression,
        "metrics": [
            {
                "metric": row.metric,
                "direction": row.direction,
                "threshold": row.threshold,
                "bound": row.bound,
                "candidate": _json_value(row.candidate),
                "candidate_present": row.candidate_present,
                "baseline": _json_value(row.baseline),
                "baseline_present": row.baseline_present,
                "change": row.change,
                "relative_change": row.relative_change,
                "tolerance": row.tolerance,
                "limit": row.limit,
                "threshold_passed": row.threshold_passed,
                "regression_passed": row.regression_passed,
                "passed": row.passed,
                "reasons": list(row.reasons),
            }
            for row in verdict.rows
        ],
        "failures": list(verdict.failures),
        "notices": list(verdict.notices),
        "warnings": list(verdict.warnings),
    }


def report_json(verdict: Verdict, *, indent: int | None = None) -> str:
    import json

    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(to_report(verdict), indent=indent, separators=separators, allow_nan=False)
