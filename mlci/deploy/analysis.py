"""From Prometheus to the judge: the queries of each interval and what they mean.

Ready-made checks compare the canary with live stable traffic over the
``http_requests_total{code, deployment}`` counter and the
``http_request_duration_seconds`` histogram (names configurable):

* ``error-rate`` — 5xx out of all requests on each side; sequential test on the
  counts, optional static ``max``.
* ``latency`` — the canary's and stable's quantile (p99 by default) from the
  histogram buckets; the sequential test counts requests slower than the bucket
  bound that held stable's quantile in the *previous* interval (so the bound is
  not fitted to the data it judges); optional static ``max`` in seconds.
* user checks — any PromQL that returns one number, against ``max``/``min``;
  ``{{ window }}``, ``{{ canary }}`` and ``{{ stable }}`` are substituted.

Every query runs at the interval's end over the interval (``increase(...[60s])``),
so the same code judges live (at now) and replays a recorded past
(``mlci canary-analyze --lookback``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mlci.deploy.judge import CheckRule, Counts, JudgeSettings, Observation
from mlci.errors import UsageError
from mlci.prometheus import Prometheus, PrometheusUnavailable, Sample

ERROR_RATE = "error-rate"
LATENCY = "latency"

Buckets = Mapping[float, float]  # upper bound (le) → cumulative count


@dataclass(frozen=True)
class MetricNames:
    """Where the ready-made checks find their series."""

    requests: str = "http_requests_total"
    duration: str = "http_request_duration_seconds"
    deployment_label: str = "deployment"
    code_label: str = "code"
    error_codes: str = "5.."
    canary: str = "canary"
    stable: str = "stable"
    selector: str = ""  # extra matchers, e.g. namespace="prod"


@dataclass(frozen=True)
class QueryCheck:
    name: str
    query: str
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class AnalysisSpec:
    """Everything the judge's checks need to know."""

    metrics: MetricNames = field(default_factory=MetricNames)
    error_rate: bool = True
    error_rate_max: float | None = None
    error_ratio: float = 2.0
    latency: bool = True
    latency_quantile: float = 0.99
    latency_max: float | None = None
    latency_ratio: float = 2.0
    queries: tuple[QueryCheck, ...] = ()
    settings: JudgeSettings = field(default_factory=JudgeSettings)

    def rules(self) -> list[CheckRule]:
        rules = []
        if self.error_rate:
            rules.append(
                CheckRule(
                    ERROR_RATE,
                    sequential=True,
                    ratio=self.error_ratio,
                    max=self.error_rate_max,
                    unit="%",
                )
            )
        if self.latency:
            rules.append(
                CheckRule(
                    f"{LATENCY} p{self.latency_quantile * 100:g}",
                    sequential=True,
                    ratio=self.latency_ratio,
                    max=self.latency_max,
                    unit="s",
                )
            )
        rules.extend(CheckRule(q.name, max=q.max, min=q.min) for q in self.queries)
        return rules


def quantile(buckets: Buckets, q: float) -> float | None:
    """The ``q`` quantile of a cumulative histogram, as ``histogram_quantile`` computes it."""
    items = sorted(buckets.items())
    if not items or items[-1][1] <= 0:
        return None
    total = items[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in items:
        if count >= rank:
            if math.isinf(upper):
                return lower if lower > 0 or len(items) > 1 else None
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return items[-1][0]


def bound_of(buckets: Buckets, q: float) -> float | None:
    """The smallest finite bucket bound holding the ``q`` quantile (None: in +Inf)."""
    items = sorted(buckets.items())
    if not items or items[-1][1] <= 0:
        return None
    rank = q * items[-1][1]
    for upper, count in items:
        if count >= rank:
            return None if math.isinf(upper) else upper
    return None


def slower_than(buckets: Buckets, bound: float) -> Counts:
    """Requests above ``bound`` out of all requests of a cumulative histogram."""
    items = sorted(buckets.items())
    total = items[-1][1] if items else 0.0
    within = max((count for upper, count in items if upper <= bound), default=0.0)
    return Counts(events=max(total - within, 0.0), requests=total)


def latency_observation(
    name: str,
    canary: Buckets,
    stable: Buckets,
    previous_stable: Buckets | None,
    q: float,
) -> Observation:
    """The latency check of one interval from both sides' histogram buckets."""
    canary_q, stable_q = quantile(canary, q), quantile(stable, q)
    if canary_q is None:
        return Observation(name, stable_value=stable_q, error="no canary latency data")
    if stable_q is None:
        return Observation(name, value=canary_q, error="no stable latency data to compare with")
    bound = bound_of(previous_stable, q) if previous_stable else None
    if bound is None:
        return Observation(
            name, value=canary_q, stable_value=stable_q,
            warmup="measuring stable's quantile bound first",
        )  # fmt: skip
    return Observation(
        name, value=canary_q, stable_value=stable_q,
        canary=slower_than(canary, bound), stable=slower_than(stable, bound),
    )  # fmt: skip


def substitute(query: str, *, window: str, canary: str, stable: str) -> str:
    """Fill ``{{ window }}``, ``{{ canary }}``, ``{{ stable }}`` into a user's PromQL."""
    for key, value in (("window", window), ("canary", canary), ("stable", stable)):
        query = query.replace("{{ " + key + " }}", value).replace("{{" + key + "}}", value)
    return query


def _window(seconds: float) -> str:
    return f"{max(round(seconds), 1)}s"


@dataclass(frozen=True)
class Baseline:
    """Blue's record from before a blue-green switch: what green is compared with."""

    errors: Counts | None
    buckets: dict[float, float] | None
    window: float


@dataclass
class Interval:
    """One interval's observations, ready for :meth:`Judge.observe`."""

    observations: dict[str, Observation]
    canary_requests: float | None


class PrometheusSource:
    """Runs the checks' queries against a Prometheus server."""

    def __init__(self, client: Prometheus, spec: AnalysisSpec) -> None:
        self.client = client
        self.spec = spec
        self._previous_stable: dict[float, float] | None = None

    # -- PromQL --------------------------------------------------------------

    def _matchers(self, *extra: str) -> str:
        m = self.spec.metrics
        parts = [f'{m.deployment_label}=~"{m.canary}|{m.stable}"']
        if m.selector:
            parts.append(m.selector)
        parts.extend(extra)
        return "{" + ", ".join(parts) + "}"

    def request_queries(self, window: str) -> tuple[str, str]:
        m = self.spec.metrics
        total = (
            f"sum by ({m.deployment_label}) (increase({m.requests}{self._matchers()}[{window}]))"
        )
        errors = (
            f"sum by ({m.deployment_label}) (increase({m.requests}"
            f"{self._matchers(f'{m.code_label}=~{chr(34)}{m.error_codes}{chr(34)}')}[{window}]))"
        )
        return total, errors

    def latency_query(self, window: str) -> str:
        m = self.spec.metrics
        return (
            f"sum by ({m.deployment_label}, le) "
            f"(increase({m.duration}_bucket{self._matchers()}[{window}]))"
        )

    def user_query(self, check: QueryCheck, window: str) -> str:
        m = self.spec.metrics
        return substitute(check.query, window=window, canary=m.canary, stable=m.stable)

    # -- one interval ----------------------------------------------------------

    def preflight(self, *, at: float | None = None, window: float = 60.0) -> None:
        """Run every query once; bad PromQL, a malformed answer or no server raise."""
        w = _window(window)
        queries: list[str] = []
        if self.spec.error_rate:
            queries.extend(self.request_queries(w))
        if self.spec.latency:
            queries.append(self.latency_query(w))
        queries.extend(self.user_query(q, w) for q in self.spec.queries)
        for promql in queries:
            self.client.query(promql, at=at)

    def baseline(self, *, at: float, window: float) -> Baseline:
        """The stable side over ``[at - window, at]``; query failures raise (nothing moved yet)."""
        w = _window(window)
        m = self.spec.metrics
        errors: Counts | None = None
        buckets: dict[float, float] | None = None
        if self.spec.error_rate:
            total_q, errors_q = self.request_queries(w)
            totals = self._by_label(self.client.query(total_q, at=at))
            errs = self._by_label(self.client.query(errors_q, at=at))
            errors = _counts(errs.get(m.stable), totals.get(m.stable))
        if self.spec.latency:
            sides = self._buckets(self.client.query(self.latency_query(w), at=at))
            buckets = sides.get(m.stable) or None
        return Baseline(errors, buckets, window)

    def observe(self, *, at: float, window: float, baseline: Baseline | None = None) -> Interval:
        """Measure every check over ``[at - window, at]``; failures become missing data.

        With a ``baseline`` (blue-green), the stable side is blue's record from
        before the switch instead of live stable traffic.
        """
        w = _window(window)
        observations: dict[str, Observation] = {}
        canary_requests: float | None = None
        rules = {rule.name: rule for rule in self.spec.rules()}
        m = self.spec.metrics
        if self.spec.error_rate:
            try:
                total_q, errors_q = self.request_queries(w)
                totals = self._by_label(self.client.query(total_q, at=at))
                errors = self._by_label(self.client.query(errors_q, at=at))
            except (PrometheusUnavailable, UsageError) as exc:
                observations[ERROR_RATE] = Observation(ERROR_RATE, error=str(exc))
            else:
                canary = _counts(errors.get(m.canary), totals.get(m.canary))
                stable = _counts(errors.get(m.stable), totals.get(m.stable))
                if baseline is not None:
                    stable = baseline.errors
                canary_requests = canary.requests if canary else None
                observations[ERROR_RATE] = Observation(
                    ERROR_RATE,
                    value=canary.rate if canary else None,
                    stable_value=stable.rate if stable else None,
                    canary=canary, stable=stable,
                    error=None if canary else "no canary requests in the interval",
                )  # fmt: skip
        if self.spec.latency:
            name = next(n for n in rules if n.startswith(LATENCY))
            try:
                samples = self.client.query(self.latency_query(w), at=at)
            except (PrometheusUnavailable, UsageError) as exc:
                observations[name] = Observation(name, error=str(exc))
            else:
                sides = self._buckets(samples)
                stable_b = sides.get(m.stable, {})
                previous = self._previous_stable
                if baseline is not None:
                    stable_b = previous = dict(baseline.buckets or {})
                observations[name] = latency_observation(
                    name, sides.get(m.canary, {}), stable_b, previous, self.spec.latency_quantile
                )
                if stable_b and max(stable_b.values()) > 0:
                    self._previous_stable = stable_b
        for check in self.spec.queries:
            try:
                value = self.client.value(self.user_query(check, w), at=at)
            except (PrometheusUnavailable, UsageError) as exc:
                observations[check.name] = Observation(check.name, error=str(exc))
            else:
                observations[check.name] = Observation(
                    check.name, value=value, error=None if value is not None else "no data"
                )
        return Interval(observations, canary_requests)

    def _by_label(self, samples: Sequence[Sample]) -> dict[str, float]:
        label = self.spec.metrics.deployment_label
        out: dict[str, float] = {}
        for sample in samples:
            if not math.isnan(sample.value):
                key = sample.labels.get(label, "")
                out[key] = out.get(key, 0.0) + sample.value
        return out

    def _buckets(self, samples: Sequence[Sample]) -> dict[str, dict[float, float]]:
        label = self.spec.metrics.deployment_label
        out: dict[str, dict[float, float]] = {}
        for sample in samples:
            try:
                le = float(sample.labels.get("le", ""))
            except ValueError:
                continue
            if math.isnan(sample.value):
                continue
            side = out.setdefault(sample.labels.get(label, ""), {})
            side[le] = side.get(le, 0.0) + sample.value
        return out


def _counts(errors: float | None, total: float | None) -> Counts | None:
    """Errors out of total; a side with requests but no error series had 0 errors."""
    if total is None or total <= 0:
        return None
    return Counts(events=min(errors or 0.0, total), requests=total)
