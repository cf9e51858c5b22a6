"""Benchmark: mlci's canary judge against a Flagger-style rule and a fixed 30-minute window.

Simulated traffic, one-minute intervals, many seeds: the canary serves 600
requests a minute, stable 5,400 (a 10 % canary); stable fails 1 % of its
requests; a healthy canary fails 1 %, a bad one 2 % (twice stable's rate).
Latency is identical on both sides (log-normal, median 100 ms, in
prometheus_client's default buckets), so mlci's latency check runs, as it does
by default, and must not cause rollbacks.

The rules:

* **mlci** — :class:`mlci.deploy.judge.Judge` with the default checks and
  settings (error rate and p99 latency, sequential tests at a 1 % false-rollback
  rate, min_requests 500) over the default schedule: 15 one-minute intervals,
  promoted at the end unless rolled back.
* **Flagger-style** — Flagger's canary analysis: every minute the canary's error
  rate must be at most ``max``; a check above it is a failed check, and
  ``threshold: 5`` failed checks roll back. Shown as the issue measured it
  (analysis runs until 5 failed checks: the time to roll back), and with
  Flagger's promotion (each passing check moves one step, stepWeight 10 to
  maxWeight 50: promoted after 6 passing checks), for ``max`` = 1.5 % and 2 %.
* **fixed 30-min window** — collect 30 minutes, then one one-sided two-proportion
  z-test at 1 %: rolled back or promoted at minute 30.

Usage::

    python bench/bench_canary.py                     # 5,000 seeds per scenario
    python bench/bench_canary.py --seeds 20000 --write docs/benchmarks.md

Needs numpy (``pip install numpy``).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlci.deploy.analysis import AnalysisSpec, latency_observation  # noqa: E402
from mlci.deploy.judge import Counts, Judge, Observation  # noqa: E402

CANARY_PER_MIN = 600
STABLE_PER_MIN = 5400
BASE_ERROR = 0.01
HORIZON = 30  # minutes watched at most
MLCI_SCHEDULE = 15  # default duration 15m, interval 1m
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf)


def _probabilities() -> np.ndarray:
    cdf = [0.5 * math.erfc(-math.log(b / 0.1) / (0.5 * math.sqrt(2))) for b in BUCKETS[:-1]]
    return np.diff([0.0, *cdf, 1.0])


PROBS = _probabilities()


@dataclass(frozen=True)
class Minute:
    canary: Counts
    stable: Counts
    canary_hist: dict[float, float]
    stable_hist: dict[float, float]


def traffic(seed: int, canary_error: float, *, latency: bool) -> list[Minute]:
    rng = np.random.default_rng(seed)
    minutes = []
    for _ in range(HORIZON):
        n_c = int(rng.poisson(CANARY_PER_MIN))
        n_s = int(rng.poisson(STABLE_PER_MIN))
        c = Counts(float(rng.binomial(n_c, canary_error)), float(n_c))
        s = Counts(float(rng.binomial(n_s, BASE_ERROR)), float(n_s))
        hc = hs = {}
        if latency:
            hc = dict(zip(BUCKETS, map(float, np.cumsum(rng.multinomial(n_c, PROBS))), strict=True))
            hs = dict(zip(BUCKETS, map(float, np.cumsum(rng.multinomial(n_s, PROBS))), strict=True))
        minutes.append(Minute(c, s, hc, hs))
    return minutes


@dataclass(frozen=True)
class Verdict:
    decision: str  # "rollback" | "promote" | "none" (still undecided at the horizon)
    minute: int


def mlci_rule(minutes: list[Minute]) -> Verdict:
    spec = AnalysisSpec()
    rules = spec.rules()
    latency_name = rules[1].name
    judge = Judge(rules, spec.settings)
    previous: dict[float, float] | None = None
    for i, m in enumerate(minutes[:MLCI_SCHEDULE], start=1):
        obs = {
            "error-rate": Observation(
                "error-rate", value=m.canary.rate, stable_value=m.stable.rate,
                canary=m.canary, stable=m.stable,
            ),  # fmt: skip
            latency_name: latency_observation(
                latency_name, m.canary_hist, m.stable_hist, previous, 0.99
            ),
        }
        previous = m.stable_hist
        record = judge.observe(obs, canary_requests=m.canary.requests, last=i == MLCI_SCHEDULE)
        if record.decision != "continue":
            return Verdict(record.decision, i)
    raise AssertionError("the last interval decides")


def flagger_rule(
    max_error: float, threshold: int = 5, steps: int | None = 6
) -> Callable[[list[Minute]], Verdict]:
    """``steps=None``: the analysis never promotes (time to ``threshold`` failed checks)."""

    def rule(minutes: list[Minute]) -> Verdict:
        failed = passed = 0
        for i, m in enumerate(minutes, start=1):
            rate = m.canary.rate or 0.0
            if rate > max_error:
                failed += 1
                if failed >= threshold:
                    return Verdict("rollback", i)
            else:
                passed += 1
                if steps is not None and passed >= steps:
                    return Verdict("promote", i)
        return Verdict("none", len(minutes))

    return rule


def fixed_window(minutes: list[Minute]) -> Verdict:
    e_c = sum(m.canary.events for m in minutes)
    n_c = sum(m.canary.requests for m in minutes)
    e_s = sum(m.stable.events for m in minutes)
    n_s = sum(m.stable.requests for m in minutes)
    pooled = (e_c + e_s) / (n_c + n_s)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_s))
    z = (e_c / n_c - e_s / n_s) / se if se > 0 else 0.0
    return Verdict("rollback" if z > 2.326 else "promote", len(minutes))


MLCI = "mlci (sequential, default settings)"
FLAGGER = "Flagger-style, max 2 %, 5 failed checks (no promotion)"
RULES: dict[str, Callable[[list[Minute]], Verdict]] = {
    MLCI: mlci_rule,
    FLAGGER: flagger_rule(0.02, steps=None),
    "Flagger-style, max 2 %, promoted after 6 passing checks": flagger_rule(0.02),
    "Flagger-style, max 1.5 %, promoted after 6 passing checks": flagger_rule(0.015),
    "fixed 30-min window (z-test, 1 %)": fixed_window,
}


def _median(values: list[int]) -> str:
    return f"{statistics.median(values):.1f}" if values else "—"


def _p90(values: list[int]) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]:.0f}"


def run(seeds: int) -> tuple[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, list[Verdict]]] = {name: {"bad": [], "healthy": []} for name in RULES}
    for seed in range(seeds):
        for scenario, rate in (("bad", 2 * BASE_ERROR), ("healthy", BASE_ERROR)):
            minutes = traffic(seed + (0 if scenario == "bad" else 10**7), rate, latency=True)
            for name, rule in RULES.items():
                results[name][scenario].append(rule(minutes))
    rows = [
        "| rule | 2x canary: median min to roll back | p90 | 2x not rolled back | "
        "healthy: false rollbacks | healthy: median min to promote |",
        "|---|---|---|---|---|---|",
    ]
    figures: dict[str, dict[str, float]] = {}
    for name, by in results.items():
        bad_minutes = [v.minute for v in by["bad"] if v.decision == "rollback"]
        missed = sum(v.decision != "rollback" for v in by["bad"]) / seeds
        false = sum(v.decision == "rollback" for v in by["healthy"]) / seeds
        promote = [v.minute for v in by["healthy"] if v.decision == "promote"]
        figures[name] = {
            "rollback_median": statistics.median(bad_minutes) if bad_minutes else math.inf,
            "false_rollback": false,
        }
        rows.append(
            f"| {name} | {_median(bad_minutes)} | {_p90(bad_minutes)} | {missed:.2%} | "
            f"{false:.2%} | {_median(promote)} |"
        )
    return "\n".join(rows) + "\n", figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5000)
    parser.add_argument("--write", type=Path, help="replace the canary table in this Markdown file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    table, figures = run(args.seeds)
    mlci = figures[MLCI]
    flagger = figures[FLAGGER]
    ratio = mlci["rollback_median"] / flagger["rollback_median"]
    footer = (
        f"\n{args.seeds:,} seeds per scenario; mlci rolls a 2x canary back in "
        f"{ratio:.2f}x the median time of the Flagger-style rule without promotion "
        f"(target ≤ 0.33), with {mlci['false_rollback']:.2%} false rollbacks (target ≤ 1 %). "
        f"Took {time.perf_counter() - started:.0f} s.\n"
    )
    print(table + footer)
    if args.write:
        text = args.write.read_text()
        block = f"<!-- bench-canary:start -->\n{table}{footer}<!-- bench-canary:end -->"
        pattern = re.compile(r"<!-- bench-canary:start -->.*?<!-- bench-canary:end -->", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{args.write} has no <!-- bench-canary:start/end --> markers")
        args.write.write_text(pattern.sub(lambda _: block, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
