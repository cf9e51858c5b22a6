"""The canary judge on synthetic traffic over many seeds.

Traffic: 6,000 requests a minute split by the rollout's weight (10 %, 25 %, 50 %,
each held 5 one-minute intervals), stable at 1 % errors and log-normal latency
(median 100 ms) measured in prometheus_client's default buckets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from mlci.deploy.analysis import (
    AnalysisSpec,
    bound_of,
    latency_observation,
    quantile,
    slower_than,
)
from mlci.deploy.judge import (
    CheckRule,
    Counts,
    Judge,
    JudgeSettings,
    Observation,
    log_likelihood_ratio,
)

BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    math.inf,
)
STEPS = (10, 25, 50)
INTERVALS_PER_STEP = 5
TOTAL_PER_MIN = 6000


@dataclass(frozen=True)
class Side:
    error_rate: float = 0.01
    latency_scale: float = 1.0  # multiplies every latency: 1.5 is +50 % p99


def _bucket_probabilities(scale: float) -> np.ndarray:
    """P(latency in each bucket) for log-normal latency, median 100 ms x scale, sigma 0.5."""
    cdf = [
        0.5 * math.erfc(-math.log(b / (0.1 * scale)) / (0.5 * math.sqrt(2))) for b in BUCKETS[:-1]
    ]
    return np.diff([0.0, *cdf, 1.0])


def histogram(rng: np.random.Generator, n: int, scale: float) -> dict[float, float]:
    """Cumulative bucket counts of ``n`` requests, as prometheus_client exports them."""
    counts = np.cumsum(rng.multinomial(n, _bucket_probabilities(scale)))
    return {b: float(c) for b, c in zip(BUCKETS, counts, strict=True)}


def rollout(
    seed: int,
    canary: Side,
    *,
    stable: Side = Side(),
    total_per_min: int = TOTAL_PER_MIN,
    spec: AnalysisSpec | None = None,
) -> tuple[str, int, Judge]:
    """Run one simulated canary; return (decision, minutes, judge)."""
    spec = spec or AnalysisSpec()
    rng = np.random.default_rng(seed)
    judge = Judge(spec.rules(), spec.settings)
    latency_name = spec.rules()[1].name
    previous: dict[float, float] | None = None
    minute = 0
    for step_index, weight in enumerate(STEPS):
        for i in range(INTERVALS_PER_STEP):
            minute += 1
            n_c = int(rng.poisson(total_per_min * weight / 100))
            n_s = int(rng.poisson(total_per_min * (100 - weight) / 100))
            c = Counts(float(rng.binomial(n_c, canary.error_rate)), float(n_c))
            s = Counts(float(rng.binomial(n_s, stable.error_rate)), float(n_s))
            hc = histogram(rng, n_c, canary.latency_scale)
            hs = histogram(rng, n_s, stable.latency_scale)
            obs = {
                "error-rate": Observation(
                    "error-rate", value=c.rate, stable_value=s.rate, canary=c, stable=s
                ),
                latency_name: latency_observation(latency_name, hc, hs, previous, 0.99),
            }
            previous = hs
            last = step_index == len(STEPS) - 1 and i == INTERVALS_PER_STEP - 1
            record = judge.observe(obs, weight=weight, canary_requests=n_c, last=last)
            if record.decision != "continue":
                return record.decision, minute, judge
    raise AssertionError("the last interval must decide")


def test_identical_canary_is_promoted() -> None:
    decision, minutes, judge = rollout(1, Side())
    assert decision == "promote", judge.records[-1].reason
    assert minutes == len(STEPS) * INTERVALS_PER_STEP
    assert "every check within its thresholds" in judge.records[-1].reason


def test_false_rollback_rate_is_at_most_alpha() -> None:
    seeds = 400
    rolled_back = sum(rollout(seed, Side())[0] == "rollback" for seed in range(seeds))
    # alpha = 1 %; 400 seeds: allow sampling noise up to 2.5 % (10 of 400)
    assert rolled_back / seeds <= 0.025, f"{rolled_back} of {seeds} healthy canaries rolled back"


def test_twice_the_error_rate_is_rolled_back_early() -> None:
    results = [rollout(seed, Side(error_rate=0.02)) for seed in range(200)]
    rolled_back = [minutes for decision, minutes, _ in results if decision == "rollback"]
    assert len(rolled_back) >= 196, f"only {len(rolled_back)} of 200 2x canaries rolled back"
    assert float(np.median(rolled_back)) <= 5, "a 2x canary should go within the first step"
    reasons = {judge.records[-1].reason.split(":")[0] for _, _, judge in results}
    assert "error-rate" in reasons


def test_fifty_percent_slower_p99_is_rolled_back() -> None:
    results = [rollout(seed, Side(latency_scale=1.5)) for seed in range(100)]
    decisions = [d for d, _, _ in results]
    assert decisions.count("rollback") >= 99
    assert all(
        "latency p99" in judge.records[-1].reason for d, _, judge in results if d == "rollback"
    )


def test_slightly_slower_canary_is_not_rolled_back_by_noise() -> None:
    results = [rollout(seed, Side(latency_scale=1.02))[0] for seed in range(100)]
    assert results.count("promote") >= 95


def test_low_traffic_healthy_canary_is_not_promoted_without_evidence() -> None:
    decision, _, judge = rollout(3, Side(), total_per_min=20)
    assert decision == "rollback"
    assert "not enough evidence to promote" in judge.records[-1].reason
    assert "fewer than min_requests 500" in judge.records[-1].reason


def test_no_data_rolls_back_after_the_missing_limit() -> None:
    spec = AnalysisSpec()
    judge = Judge(spec.rules(), spec.settings)
    first = judge.observe({}, weight=10)
    assert first.decision == "continue"
    assert {c.verdict for c in first.checks} == {"missing"}
    second = judge.observe({}, weight=10)
    assert second.decision == "rollback"
    assert "no evidence for 2 consecutive intervals" in second.reason


def test_unreachable_prometheus_counts_as_missing_and_recovers() -> None:
    judge = Judge([CheckRule("error-rate", sequential=True)], JudgeSettings(missing_limit=3))
    down = {"error-rate": Observation("error-rate", error="Prometheus at http://p is unreachable")}
    good = {
        "error-rate": Observation(
            "error-rate", value=0.01, canary=Counts(1, 100), stable=Counts(9, 900)
        )
    }
    assert judge.observe(down).decision == "continue"
    assert judge.observe(down).decision == "continue"
    assert judge.observe(good).decision == "continue"  # the count restarts
    assert judge.observe(down).decision == "continue"
    assert judge.observe(down).decision == "continue"
    final = judge.observe(down)
    assert final.decision == "rollback" and "unreachable" in final.reason


def test_missing_data_on_the_last_interval_is_not_promoted() -> None:
    judge = Judge([CheckRule("error-rate", sequential=True)], JudgeSettings(min_requests=10))
    ok = {
        "error-rate": Observation(
            "error-rate", value=0.0, canary=Counts(0, 100), stable=Counts(0, 900)
        )
    }
    judge.observe(ok, canary_requests=100)
    final = judge.observe({}, last=True)
    assert final.decision == "rollback"
    assert "missing" in final.reason or "not measured" in final.reason


def test_static_threshold_needs_consecutive_failures() -> None:
    judge = Judge([CheckRule("accuracy", min=0.9)], JudgeSettings(min_requests=0))
    low, high = Observation("accuracy", value=0.8), Observation("accuracy", value=0.95)
    assert judge.observe({"accuracy": low}).decision == "continue"
    assert judge.observe({"accuracy": high}).decision == "continue"
    assert judge.observe({"accuracy": low}).decision == "continue"
    final = judge.observe({"accuracy": low})
    assert final.decision == "rollback"
    assert final.reason == "accuracy: 0.8 < 0.9 in 2 consecutive intervals"


def test_every_interval_records_values_threshold_and_verdict() -> None:
    _, _, judge = rollout(5, Side())
    assert len(judge.records) == 15
    for record in judge.records:
        assert [c.check for c in record.checks] == ["error-rate", "latency p99"]
        error = record.checks[0]
        assert error.value is not None and error.stable_value is not None
        assert error.threshold == "not 2x stable" and error.verdict == "pass"
        assert error.evidence is not None and error.bound == pytest.approx(math.log(200))
    assert judge.records[0].checks[1].verdict == "wait"  # stable's bound first
    assert judge.records[1].checks[1].verdict == "pass"


def test_llr_weighs_how_much_traffic_each_side_saw() -> None:
    # the same 10 canary errors are strong evidence in 100 requests, none in 1,000
    assert log_likelihood_ratio(Counts(10, 100), Counts(50, 900), 2.0) > 1
    assert log_likelihood_ratio(Counts(10, 1000), Counts(50, 900), 2.0) < -2
    assert log_likelihood_ratio(Counts(0, 100), Counts(0, 900), 2.0) == 0.0
    assert log_likelihood_ratio(Counts(1, 0), Counts(0, 900), 2.0) == 0.0


def test_histogram_helpers_match_prometheus() -> None:
    buckets = {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert quantile(buckets, 0.5) == pytest.approx(0.1)
    assert quantile(buckets, 0.7) == pytest.approx(0.3)  # linear inside (0.1, 0.5]
    assert quantile({0.1: 0.0, math.inf: 0.0}, 0.5) is None
    assert quantile({0.1: 5.0, math.inf: 10.0}, 0.99) == pytest.approx(
        0.1
    )  # in +Inf: its lower bound
    assert bound_of(buckets, 0.9) == 0.5
    assert bound_of(buckets, 0.95) == 1.0
    assert slower_than(buckets, 0.5) == Counts(10.0, 100.0)
