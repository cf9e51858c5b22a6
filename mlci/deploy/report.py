"""How a rollout reads: one line per interval in the terminal, a table in the job summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone

from mlci.deploy.judge import CheckRecord, IntervalRecord, format_value


def _check_text(check: CheckRecord) -> str:
    value = format_value(check.value, check.unit)
    stable = (
        f" (stable {format_value(check.stable_value, check.unit)})"
        if check.stable_value is not None
        else ""
    )
    evidence = (
        f", evidence {check.evidence:.2f}/{check.bound:.2f}"
        if check.evidence is not None and check.bound is not None
        else ""
    )
    note = f" — {check.note}" if check.note and check.verdict != "pass" else ""
    return f"{check.check} {value}{stable} [{check.threshold}{evidence}] {check.verdict}{note}"


def interval_line(record: IntervalRecord) -> str:
    """One interval: weight, canary requests, every check's value, threshold and verdict."""
    requests = (
        "" if math.isnan(record.canary_requests) else f", {record.canary_requests:.0f} requests"
    )
    checks = "; ".join(_check_text(c) for c in record.checks)
    return f"interval {record.index} at {record.weight}%{requests}: {checks} → {record.decision}"


def _clock(t: float) -> str:
    if t <= 0:
        return ""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%H:%M:%S")


def intervals_table(records: Sequence[IntervalRecord]) -> str:
    """The Markdown table of every interval (the evidence behind the verdict)."""
    if not records:
        return "No interval was judged.\n"
    lines = [
        "| # | time (UTC) | weight | check | canary | stable | threshold | evidence | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        for i, c in enumerate(record.checks):
            head = (
                f"| {record.index} | {_clock(record.time)} | {record.weight}% "
                if i == 0
                else "| | | "
            )
            evidence = (
                f"{c.evidence:.2f} / {c.bound:.2f}"
                if c.evidence is not None and c.bound is not None
                else ""
            )
            verdict = c.verdict + (f": {c.note}" if c.note and c.verdict != "pass" else "")
            lines.append(
                f"{head}| {c.check} | {format_value(c.value, c.unit)} | "
                f"{format_value(c.stable_value, c.unit) if c.stable_value is not None else ''} | "
                f"{c.threshold} | {evidence} | {verdict.replace('|', '/')} |"
            )
    return "\n".join(lines) + "\n"
