"""The canary judge: every interval, measured values, thresholds and a verdict.

Two kinds of rule, both per check:

* **Static thresholds** — the canary's value of an interval against a fixed
  ``max`` (or ``min``). A breach is a failed interval; ``failure_limit``
  consecutive failed intervals roll back.
* **A sequential test against live stable traffic** — for counted events
  (errors; requests slower than stable's quantile), per interval, conditional on
  the events both sides saw together, the canary's share of them is binomial:
  ``n_c / (n_c + n_s)`` if the canary is as good as stable (H0), and
  ``k·n_c / (k·n_c + n_s)`` if its rate is ``k`` times stable's (H1, ``ratio``).
  The log likelihood ratios of the intervals add up; the running product is a
  martingale under H0, so by Ville's inequality it ever reaches
  ``1/alpha`` with probability at most ``alpha`` however long the rollout
  watches. Crossing it rolls back (``alpha`` is split over the sequential
  checks). The sum is floored at ``log(0.2)`` (Wald's lower bound at 80 %
  power), so a canary that turns bad late is not shielded by the good minutes
  before; the floor costs a little of the guarantee, measured over many seeds
  in ``tests/test_judge.py`` and ``bench/bench_canary.py``. The test weighs
  how much traffic each side saw: ten errors in 100 canary requests against 50
  in 900 stable ones is not ten errors in 1,000.
* **Missing evidence is never a pass** — no data, NaN, a failed query or an
  unreachable Prometheus is a missing interval; ``missing_limit`` consecutive
  ones roll back.
* **A minimum-sample guard** — no promotion before the canary served
  ``min_requests`` requests.

The judge never talks to Prometheus itself: :mod:`mlci.deploy.analysis` turns
queries into :class:`Observation` values, so the rule can be tested (and
benchmarked) on synthetic traffic over many seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["pass", "fail", "missing", "wait"]
Decision = Literal["continue", "rollback", "promote"]

DEFAULT_ALPHA = 0.01
# The lower Wald bound (power 80 %): the evidence of health never banks below log(0.2).
DEFAULT_BETA = 0.2
DEFAULT_RATIO = 2.0
DEFAULT_MIN_REQUESTS = 500
DEFAULT_MISSING_LIMIT = 2
DEFAULT_FAILURE_LIMIT = 2


@dataclass(frozen=True)
class Counts:
    """Events out of requests on one side over one interval (e.g. 5xx out of all)."""

    events: float
    requests: float

    @property
    def rate(self) -> float | None:
        return self.events / self.requests if self.requests > 0 else None


@dataclass(frozen=True)
class Observation:
    """What one check measured over one interval.

    ``canary`` / ``stable`` are event counts for a sequential check (``None``
    when the query found no data); ``value`` is the number a static threshold is
    held against (the canary's error rate, quantile or PromQL result);
    ``stable_value`` is shown beside it. ``error`` says why data is missing.
    """

    check: str
    value: float | None = None
    stable_value: float | None = None
    canary: Counts | None = None
    stable: Counts | None = None
    error: str | None = None
    warmup: str | None = None


@dataclass(frozen=True)
class CheckRule:
    """How one check is judged."""

    name: str
    sequential: bool = False
    ratio: float = DEFAULT_RATIO
    max: float | None = None
    min: float | None = None
    unit: str = ""

    def threshold_text(self) -> str:
        parts = []
        if self.max is not None:
            parts.append(f"≤ {_fmt(self.max, self.unit)}")
        if self.min is not None:
            parts.append(f"≥ {_fmt(self.min, self.unit)}")
        if self.sequential:
            parts.append(f"not {self.ratio:g}x stable")
        return ", ".join(parts) or "recorded only"


@dataclass(frozen=True)
class JudgeSettings:
    alpha: float = DEFAULT_ALPHA
    min_requests: float = DEFAULT_MIN_REQUESTS
    missing_limit: int = DEFAULT_MISSING_LIMIT
    failure_limit: int = DEFAULT_FAILURE_LIMIT
    # blue-green: "stable" is blue's fixed record from before the switch, not live traffic
    fixed_baseline: bool = False


@dataclass(frozen=True)
class CheckRecord:
    """One check in one interval: what was measured, against what, and the verdict."""

    check: str
    value: float | None
    stable_value: float | None
    threshold: str
    evidence: float | None  # the sequential test's log likelihood ratio so far
    bound: float | None  # where it rolls back
    verdict: Verdict
    note: str = ""
    unit: str = ""


@dataclass(frozen=True)
class IntervalRecord:
    index: int
    time: float
    weight: int
    canary_requests: float
    checks: tuple[CheckRecord, ...]
    decision: Decision
    reason: str


@dataclass
class _State:
    llr: float = 0.0
    missing: int = 0
    failures: int = 0


def log_likelihood_ratio(canary: Counts, stable: Counts, ratio: float) -> float:
    """log P(split | canary rate = ratio x stable) - log P(split | equal rates).

    Conditional on the events both sides saw together, the canary's share is
    binomial with p0 = n_c/(n_c+n_s) under H0, p1 = k·n_c/(k·n_c+n_s) under H1.
    """
    n_c, n_s = max(canary.requests, 0.0), max(stable.requests, 0.0)
    e_c, e_s = max(canary.events, 0.0), max(stable.events, 0.0)
    if n_c <= 0 or n_s <= 0 or e_c + e_s <= 0:
        return 0.0
    p0 = n_c / (n_c + n_s)
    p1 = ratio * n_c / (ratio * n_c + n_s)
    return e_c * math.log(p1 / p0) + e_s * math.log((1 - p1) / (1 - p0))


def baseline_log_likelihood_ratio(canary: Counts, baseline: Counts, ratio: float) -> float:
    """Like :func:`log_likelihood_ratio`, against a fixed baseline rate (blue-green).

    The canary's events are Poisson with mean ``n_c·r`` (H0) or ``n_c·k·r``
    (H1), ``r`` the baseline's rate with half an event added so that a baseline
    without events does not make every canary event infinitely damning.
    """
    n_c, n_b = max(canary.requests, 0.0), max(baseline.requests, 0.0)
    if n_c <= 0 or n_b <= 0:
        return 0.0
    rate = (max(baseline.events, 0.0) + 0.5) / n_b
    return max(canary.events, 0.0) * math.log(ratio) - n_c * rate * (ratio - 1)


class Judge:
    """Feed it one interval's observations at a time; it records and decides."""

    def __init__(self, rules: Sequence[CheckRule], settings: JudgeSettings | None = None) -> None:
        if not rules:
            raise ValueError("the judge needs at least one check")
        self.rules = {rule.name: rule for rule in rules}
        self.settings = settings or JudgeSettings()
        sequential = sum(1 for rule in rules if rule.sequential)
        # Bonferroni over the sequential checks: the false-rollback rate stays ≤ alpha.
        self.bound = math.log(max(sequential, 1) / self.settings.alpha)
        self.floor = math.log(DEFAULT_BETA)
        self.canary_requests = 0.0
        self.records: list[IntervalRecord] = []
        self._state = {name: _State() for name in self.rules}

    def observe(
        self,
        observations: Mapping[str, Observation],
        *,
        time: float = 0.0,
        weight: int = 0,
        canary_requests: float | None = None,
        last: bool = False,
    ) -> IntervalRecord:
        """Judge one interval. ``last`` asks whether the canary may be promoted now."""
        settings = self.settings
        if canary_requests is not None and canary_requests > 0:
            self.canary_requests += canary_requests
        checks = []
        rollback: list[str] = []
        for name, rule in self.rules.items():
            check = self._check(rule, observations.get(name), self._state[name])
            checks.append(check)
            state = self._state[name]
            if check.verdict == "missing":
                state.missing += 1
                if state.missing >= settings.missing_limit:
                    rollback.append(
                        f"{name}: no evidence for {state.missing} consecutive intervals "
                        f"({check.note or 'no data'})"
                    )
                continue
            state.missing = 0
            if check.verdict == "fail":
                if check.evidence is not None and check.evidence >= self.bound:
                    rollback.append(f"{name}: {check.note}")
                else:
                    state.failures += 1
                    if state.failures >= settings.failure_limit:
                        rollback.append(
                            f"{name}: {check.note} in {state.failures} consecutive intervals"
                        )
            else:
                state.failures = 0
        decision: Decision = "continue"
        reason = "within thresholds"
        if rollback:
            decision, reason = "rollback", "; ".join(rollback)
        elif last:
            pending = [
                f"{rec.check} ({rec.note or rec.verdict})"
                for rec in checks
                if rec.verdict in ("missing", "fail")
            ]
            if self.canary_requests < settings.min_requests:
                decision = "rollback"
                reason = (
                    f"not enough evidence to promote: the canary served "
                    f"{self.canary_requests:.0f} requests, fewer than min_requests "
                    f"{settings.min_requests:g}"
                )
            elif pending:
                decision = "rollback"
                reason = "not promoted on a failing or missing last interval: " + ", ".join(pending)
            else:
                decision = "promote"
                reason = (
                    f"every check within its thresholds over {len(self.records) + 1} intervals; "
                    f"the canary served {self.canary_requests:.0f} requests"
                )
        record = IntervalRecord(
            index=len(self.records) + 1,
            time=time,
            weight=weight,
            canary_requests=canary_requests if canary_requests is not None else math.nan,
            checks=tuple(checks),
            decision=decision,
            reason=reason,
        )
        self.records.append(record)
        return record

    def _check(self, rule: CheckRule, obs: Observation | None, state: _State) -> CheckRecord:
        def rec(verdict: Verdict, note: str = "", evidence: float | None = None) -> CheckRecord:
            return CheckRecord(
                check=rule.name,
                value=obs.value if obs else None,
                stable_value=obs.stable_value if obs else None,
                threshold=rule.threshold_text(),
                evidence=evidence,
                bound=self.bound if rule.sequential else None,
                verdict=verdict,
                note=note,
                unit=rule.unit,
            )

        if obs is None:
            return rec("missing", "not measured")
        if obs.error:
            return rec("missing", obs.error)
        if obs.warmup:
            return rec("wait", obs.warmup)
        value = obs.value
        has_threshold = rule.max is not None or rule.min is not None
        if has_threshold and (value is None or math.isnan(value)):
            return rec("missing", "no data")
        evidence: float | None = None
        if rule.sequential:
            if obs.canary is None or obs.canary.requests <= 0:
                return rec("missing", "no canary traffic in the interval")
            if obs.stable is None or obs.stable.requests <= 0:
                return rec("missing", "no stable traffic to compare with")
            llr = (
                baseline_log_likelihood_ratio
                if self.settings.fixed_baseline
                else log_likelihood_ratio
            )
            # Evidence of health is banked only down to a floor, so a canary that turns bad
            # late is caught as fast as one bad from the start (a repeated SPRT).
            state.llr = max(state.llr + llr(obs.canary, obs.stable, rule.ratio), self.floor)
            evidence = state.llr
            if state.llr >= self.bound:
                return rec(
                    "fail",
                    f"canary worse than stable: evidence {state.llr:.2f} ≥ {self.bound:.2f} "
                    f"that it is {rule.ratio:g}x stable",
                    evidence,
                )
        if value is not None and not math.isnan(value):
            if rule.max is not None and value > rule.max:
                return rec(
                    "fail", f"{_fmt(value, rule.unit)} > {_fmt(rule.max, rule.unit)}", evidence
                )
            if rule.min is not None and value < rule.min:
                return rec(
                    "fail", f"{_fmt(value, rule.unit)} < {_fmt(rule.min, rule.unit)}", evidence
                )
        return rec("pass", "", evidence)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "no data"
    if unit == "%":
        return f"{value * 100:.2f}%"
    if unit == "s":
        return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"
    return f"{value:.4g}"


def format_value(value: float | None, unit: str = "") -> str:
    """How the reports show a measured value."""
    return _fmt(value, unit)


@dataclass(frozen=True)
class Summary:
    """The judge's final word, for reports."""

    decision: Literal["promoted", "rolled-back"]
    reason: str
    intervals: tuple[IntervalRecord, ...] = field(default_factory=tuple)
