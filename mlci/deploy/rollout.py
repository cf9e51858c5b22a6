"""The canary and blue-green state machines.

Both end in exactly one of *promoted* or *rolled back*. Before any traffic moves
(router preflight, Prometheus preflight, the new version's deploy), a problem is
a :class:`~mlci.errors.UsageError` (exit 2) — after a cleanup attempt when a
deploy had started. Once traffic has moved, every failure — a bad verdict, a
router command that fails, an interrupted run — ends in a rollback attempt whose
outcome is part of the result.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from mlci.deploy.analysis import Baseline, Interval
from mlci.deploy.judge import CheckRule, IntervalRecord, Judge, JudgeSettings
from mlci.deploy.routers import Router, RouterError
from mlci.errors import UsageError

Strategy = Literal["canary", "blue-green"]
Decision = Literal["promoted", "rolled-back"]


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class WallClock:
    def now(self) -> float:
        return _time.time()

    def sleep(self, seconds: float) -> None:
        _time.sleep(seconds)


class Source(Protocol):
    def preflight(self, *, at: float | None = None, window: float = 60.0) -> None: ...
    def observe(
        self, *, at: float, window: float, baseline: Baseline | None = None
    ) -> Interval: ...
    def baseline(self, *, at: float, window: float) -> Baseline: ...


@dataclass(frozen=True)
class Outcome:
    """How a rollout ended, and everything the report shows."""

    strategy: Strategy
    decision: Decision
    reason: str
    intervals: tuple[IntervalRecord, ...]
    steps: tuple[int, ...]
    reached: int  # the highest weight the new version had
    rollback_ok: bool | None = None  # None: no rollback was needed
    rollback_error: str | None = None
    seconds: float = 0.0

    @property
    def promoted(self) -> bool:
        return self.decision == "promoted"


@dataclass(frozen=True)
class Schedule:
    steps: tuple[int, ...]
    interval: float
    step_duration: float

    def __post_init__(self) -> None:
        if not self.steps:
            raise UsageError("canary steps are empty: give at least one weight, e.g. [10, 25, 50]")
        if any(not 0 < w < 100 for w in self.steps):
            raise UsageError(
                f"canary steps must be weights between 1 and 99, got {list(self.steps)}"
            )
        if list(self.steps) != sorted(set(self.steps)):
            raise UsageError(f"canary steps must increase, got {list(self.steps)}")
        if self.interval <= 0 or self.step_duration < self.interval:
            raise UsageError(
                f"each step ({self.step_duration:g}s) must last at least one analysis "
                f"interval ({self.interval:g}s)"
            )

    @property
    def intervals_per_step(self) -> int:
        return max(1, round(self.step_duration / self.interval))


class _Run:
    """Shared bookkeeping: the judge, the clock, the rollback attempt."""

    def __init__(
        self,
        strategy: Strategy,
        router: Router,
        source: Source,
        rules: Sequence[CheckRule],
        settings: JudgeSettings,
        clock: Clock,
        on_interval: Callable[[IntervalRecord], None] | None,
    ) -> None:
        self.strategy: Strategy = strategy
        self.router = router
        self.source = source
        self.judge = Judge(rules, settings)
        self.clock = clock
        self.on_interval = on_interval
        self.started = clock.now()
        self.reached = 0

    def preflight(self, interval: float) -> None:
        self.router.check()
        self.source.preflight(window=interval)

    def deploy(self) -> None:
        try:
            self.router.deploy()
        except RouterError as exc:
            cleanup = self._attempt_rollback()
            raise UsageError(
                f"{exc}; nothing was routed to the new version "
                f"(cleanup: {'done' if cleanup is None else 'failed: ' + cleanup})"
            ) from None

    def interval(
        self, *, weight: int, window: float, last: bool, baseline: Baseline | None = None
    ) -> IntervalRecord:
        self.clock.sleep(window)
        at = self.clock.now()
        measured = self.source.observe(at=at, window=window, baseline=baseline)
        record = self.judge.observe(
            measured.observations, time=at, weight=weight,
            canary_requests=measured.canary_requests, last=last,
        )  # fmt: skip
        if self.on_interval is not None:
            self.on_interval(record)
        return record

    def _attempt_rollback(self) -> str | None:
        try:
            self.router.rollback()
        except RouterError as exc:
            return str(exc)
        return None

    def end(self, decision: Decision, reason: str, steps: tuple[int, ...]) -> Outcome:
        rollback_ok: bool | None = None
        rollback_error: str | None = None
        if decision == "rolled-back":
            rollback_error = self._attempt_rollback()
            rollback_ok = rollback_error is None
        return Outcome(
            strategy=self.strategy,
            decision=decision,
            reason=reason,
            intervals=tuple(self.judge.records),
            steps=steps,
            reached=self.reached,
            rollback_ok=rollback_ok,
            rollback_error=rollback_error,
            seconds=self.clock.now() - self.started,
        )

    def promote(self, reason: str, steps: tuple[int, ...]) -> Outcome:
        try:
            self.router.promote()
        except RouterError as exc:
            return self.end("rolled-back", f"promotion failed: {exc}", steps)
        self.reached = 100
        return self.end("promoted", reason, steps)


def canary(
    *,
    router: Router,
    source: Source,
    rules: Sequence[CheckRule],
    settings: JudgeSettings,
    schedule: Schedule,
    clock: Clock | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> Outcome:
    """Deploy beside stable, shift traffic step by step, judge every interval."""
    run = _Run("canary", router, source, rules, settings, clock or WallClock(), on_interval)
    run.preflight(schedule.interval)
    run.deploy()
    try:
        for i, weight in enumerate(schedule.steps):
            try:
                router.set_weight(weight)
            except RouterError as exc:
                return run.end("rolled-back", f"could not move traffic: {exc}", schedule.steps)
            run.reached = weight
            n = schedule.intervals_per_step
            for k in range(n):
                last = i == len(schedule.steps) - 1 and k == n - 1
                record = run.interval(weight=weight, window=schedule.interval, last=last)
                if record.decision == "rollback":
                    return run.end("rolled-back", record.reason, schedule.steps)
                if record.decision == "promote":
                    return run.promote(record.reason, schedule.steps)
    except KeyboardInterrupt:
        return run.end("rolled-back", "interrupted", schedule.steps)
    raise AssertionError("the last interval always decides")  # pragma: no cover


def blue_green(
    *,
    router: Router,
    source: Source,
    rules: Sequence[CheckRule],
    settings: JudgeSettings,
    interval: float,
    verify_duration: float,
    baseline_window: float,
    verify: Callable[[], str | None] | None = None,
    clock: Clock | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> Outcome:
    """Deploy green beside blue, verify it, switch all traffic, watch, retire blue."""
    if interval <= 0 or verify_duration < interval:
        raise UsageError(
            f"verify_duration ({verify_duration:g}s) must last at least one analysis "
            f"interval ({interval:g}s)"
        )
    settings = JudgeSettings(
        alpha=settings.alpha, min_requests=settings.min_requests,
        missing_limit=settings.missing_limit, failure_limit=settings.failure_limit,
        fixed_baseline=True,
    )  # fmt: skip
    run = _Run("blue-green", router, source, rules, settings, clock or WallClock(), on_interval)
    run.preflight(interval)
    base = source.baseline(at=run.clock.now(), window=baseline_window)
    if base.errors is None and base.buckets is None:
        raise UsageError(
            f"blue served no requests in the last {baseline_window:g}s: there is nothing to "
            "compare green with (check the metric names and the stable label)"
        )
    run.deploy()
    steps = (100,)
    try:
        if verify is not None:
            failure = verify()
            if failure is not None:
                return run.end("rolled-back", f"verification of green failed: {failure}", steps)
        try:
            router.set_weight(100)
        except RouterError as exc:
            return run.end("rolled-back", f"could not switch traffic: {exc}", steps)
        run.reached = 100
        n = max(1, round(verify_duration / interval))
        for k in range(n):
            record = run.interval(weight=100, window=interval, last=k == n - 1, baseline=base)
            if record.decision == "rollback":
                return run.end("rolled-back", record.reason, steps)
            if record.decision == "promote":
                return run.promote(record.reason, steps)
    except KeyboardInterrupt:
        return run.end("rolled-back", "interrupted", steps)
    raise AssertionError("the last interval always decides")  # pragma: no cover
