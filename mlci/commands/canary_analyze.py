"""``mlci canary-analyze``: the canary judge without touching traffic.

Over the last ``--lookback`` of recorded data, replayed interval by interval, or
live for ``--duration``: exit 0 healthy, 1 unhealthy, 2 bad input. So rollouts
made by other tools (Flagger, Argo Rollouts, a hand-made split) can be judged
by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlci.commands import Result
from mlci.deploy import configure
from mlci.deploy.analysis import PrometheusSource
from mlci.deploy.judge import IntervalRecord, Judge
from mlci.deploy.report import interval_line, intervals_table
from mlci.deploy.rollout import Clock, WallClock
from mlci.errors import UsageError


@dataclass(frozen=True)
class CanaryAnalyzeResult(Result):
    decision: Literal["healthy", "unhealthy"]
    reason: str
    intervals: tuple[IntervalRecord, ...]
    mode: Literal["lookback", "live"]
    #: each interval was reported as it was judged (``on_interval``); the text is the verdict
    printed_live: bool = False

    @property
    def ok(self) -> bool:
        return self.decision == "healthy"

    def render_text(self) -> str:
        lines = [] if self.printed_live else [interval_line(r) for r in self.intervals]
        lines.append(f"canary {self.decision}: {self.reason}")
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        icon = "✅" if self.ok else "❌"
        return (
            f"### {icon} Canary analysis: {self.decision}\n\n**Reason:** {self.reason}\n\n"
            f"{len(self.intervals)} intervals ({self.mode})\n\n{intervals_table(self.intervals)}"
        )

    def outputs(self) -> Mapping[str, str]:
        return {"decision": self.decision, "reason": self.reason}

    def failures(self) -> Sequence[str]:
        return [] if self.ok else [f"canary unhealthy: {self.reason}"]


def settings_from(config_path: Path) -> Any:
    """``deploy.production.canary`` of ``config_path``; the defaults when the default
    ``mlci.yaml`` is absent (another file named must exist)."""
    from mlci import config as config_module
    from mlci.config import Canary

    if config_path.is_file() or config_path != Path("mlci.yaml"):
        return config_module.load(config_path).config.deploy.production.canary
    return Canary()


def run(
    *,
    config_path: Path,
    prometheus_url: str | None = None,
    lookback: str | None = None,
    duration: str | None = None,
    interval: str | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> CanaryAnalyzeResult:
    """``mlci canary-analyze``: judge with the checks of ``deploy.production.canary`` of
    ``config_path`` (the defaults when the default ``mlci.yaml`` is absent).
    ``on_interval`` sees each interval as it is judged live (``duration``); a replay
    (``lookback``) is judged at once and only reported in the result."""
    return analyze(
        settings=settings_from(config_path), prometheus_url=prometheus_url, lookback=lookback,
        duration=duration, interval=interval, on_interval=on_interval if duration else None,
    )  # fmt: skip


def analyze(
    *,
    settings: Any,
    prometheus_url: str | None = None,
    lookback: str | None = None,
    duration: str | None = None,
    interval: str | None = None,
    clock: Clock | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> CanaryAnalyzeResult:
    """Judge the canary and stable series ``settings`` (a canary section) names."""
    if lookback and duration:
        raise UsageError("give --lookback (replay recorded data) or --duration (live), not both")
    window = configure.seconds(interval or settings.interval, what="--interval")
    span = configure.seconds(lookback or duration or "30m", what="--lookback/--duration")
    if span < window:
        raise UsageError(f"{lookback or duration} is shorter than one interval ({window:g}s)")
    spec = configure.analysis(settings)
    source = PrometheusSource(configure.prometheus(settings, prometheus_url), spec)
    clock = clock or WallClock()
    source.preflight(window=window)
    judge = Judge(spec.rules(), spec.settings)
    count = int(span // window)
    live = duration is not None
    start = clock.now() - (0 if live else count * window)
    record: IntervalRecord | None = None
    for k in range(1, count + 1):
        if live:
            clock.sleep(window)
            at = clock.now()
        else:
            at = start + k * window
        measured = source.observe(at=at, window=window)
        record = judge.observe(
            measured.observations, time=at, weight=0,
            canary_requests=measured.canary_requests, last=k == count,
        )  # fmt: skip
        if on_interval is not None:
            on_interval(record)
        if record.decision != "continue":
            break
    assert record is not None
    healthy = record.decision == "promote"
    return CanaryAnalyzeResult(
        decision="healthy" if healthy else "unhealthy",
        reason=record.reason,
        intervals=tuple(judge.records),
        mode="live" if live else "lookback",
        printed_live=on_interval is not None,
    )
