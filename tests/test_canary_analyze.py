"""``mlci canary-analyze`` against a real Prometheus holding recorded canary traffic."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import RunMlci
from prometheus_server import free_port, openmetrics, prometheus

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
MINUTES = 20
TICK = 15.0


def _probabilities(scale: float) -> np.ndarray:
    cdf = [
        0.5 * math.erfc(-math.log(b / (0.1 * scale)) / (0.5 * math.sqrt(2))) for b in BUCKETS[:-1]
    ]
    return np.diff([0.0, *cdf, 1.0])


def recorded_traffic(seed: int, *, canary_errors: float, canary_latency: float = 1.0) -> str:
    """MINUTES of traffic ending now: stable 40 req/s at 1 % errors, canary 10 req/s."""
    rng = np.random.default_rng(seed)
    end = time.time() - 1
    counters: dict[str, list[tuple[float, float]]] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    totals: dict[str, float] = {}
    for side, rate, errors, scale in (
        ("stable", 40, 0.01, 1.0),
        ("canary", 10, canary_errors, canary_latency),
    ):
        ok = err = 0.0
        cum = np.zeros(len(BUCKETS))
        for i in range(int(MINUTES * 60 / TICK) + 1):
            t = end - MINUTES * 60 + i * TICK
            if i:
                n = int(rng.poisson(rate * TICK))
                e = int(rng.binomial(n, errors))
                ok, err = ok + n - e, err + e
                cum += np.cumsum(rng.multinomial(n, _probabilities(scale)))
            counters.setdefault(
                f'http_requests_total{{code="200",deployment="{side}"}}', []
            ).append((t, ok))
            counters.setdefault(
                f'http_requests_total{{code="500",deployment="{side}"}}', []
            ).append((t, err))
            for le, c in zip(BUCKETS, cum, strict=True):
                label = "+Inf" if math.isinf(le) else repr(le)
                key = f'http_request_duration_seconds_bucket{{deployment="{side}",le="{label}"}}'
                buckets.setdefault(key, []).append((t, float(c)))
        totals[side] = ok + err
    histogram = openmetrics(buckets, kind="histogram").replace("# EOF\n", "")
    return histogram + openmetrics(counters)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prometheus(
        tmp_path_factory.mktemp("healthy"), recorded=recorded_traffic(1, canary_errors=0.01)
    ) as url:
        yield url


@pytest.fixture(scope="module")
def twice_the_errors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prometheus(
        tmp_path_factory.mktemp("bad"), recorded=recorded_traffic(2, canary_errors=0.02)
    ) as url:
        yield url


def test_healthy_canary_is_healthy(mlci: RunMlci, healthy: str, tmp_path: Path) -> None:
    proc = mlci("canary-analyze", "--prometheus-url", healthy, "--lookback", "15m", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len([ln for ln in lines if ln.startswith("interval ")]) == 15
    assert lines[-1].startswith(
        "canary healthy: every check within its thresholds over 15 intervals"
    )
    # each interval shows values, threshold and verdict of both ready-made checks
    assert "error-rate 1." in lines[0] or "error-rate 0." in lines[0]
    assert "[not 2x stable, evidence" in lines[0] and "latency p99" in lines[1]


def test_twice_the_error_rate_is_unhealthy_early(
    mlci: RunMlci, twice_the_errors: str, tmp_path: Path
) -> None:
    proc = mlci(
        "canary-analyze", "--prometheus-url", twice_the_errors, "--lookback", "15m", cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "canary unhealthy: error-rate: canary worse than stable" in proc.stdout
    assert len([ln for ln in proc.stdout.splitlines() if ln.startswith("interval ")]) < 15
    assert "mlci: canary unhealthy" in proc.stderr


def test_outputs_and_summary_inside_actions(mlci: RunMlci, healthy: str, tmp_path: Path) -> None:
    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    proc = mlci(
        "canary-analyze", "--prometheus-url", healthy, "--lookback", "5m", cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "decision=healthy" in out.read_text()
    assert (
        "| # | time (UTC) | weight | check | canary | stable | threshold | evidence | verdict |"
        in summary.read_text()
    )


def test_live_judging_prints_each_interval_once(
    mlci: RunMlci, healthy: str, tmp_path: Path
) -> None:
    # --duration judges live: each interval is printed as it is judged, and not again at the end
    # (2 s of sleeping; the recorded data is too coarse for 1 s windows: no evidence, exit 1)
    proc = mlci(
        "canary-analyze", "--prometheus-url", healthy, "--duration", "2s", "--interval", "1s",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.split(":")[0] for ln in lines] == [
        "interval 1 at 0%", "interval 2 at 0%", "canary unhealthy",
    ]  # fmt: skip


def test_no_data_is_unhealthy(mlci: RunMlci, healthy: str, tmp_path: Path) -> None:
    (tmp_path / "mlci.yaml").write_text(
        "version: 1\ntrain: {command: python train.py}\n"
        "deploy:\n  production:\n    canary:\n      analysis:\n        metrics: {canary: nonexistent}\n"
    )
    proc = mlci("canary-analyze", "--prometheus-url", healthy, "--lookback", "5m", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no evidence for 2 consecutive intervals" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lookback", "5m", "--duration", "5m"], "not both"),
        (["--lookback", "soon"], "not a duration"),
        (["--lookback", "30s"], "shorter than one interval"),
    ],
)
def test_bad_input_is_exit_2(
    mlci: RunMlci, healthy: str, tmp_path: Path, args: list[str], message: str
) -> None:
    proc = mlci("canary-analyze", "--prometheus-url", healthy, *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_prometheus_is_exit_2(mlci: RunMlci, tmp_path: Path) -> None:
    proc = mlci(
        "canary-analyze", "--prometheus-url", f"http://127.0.0.1:{free_port()}", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "unreachable" in proc.stderr


def test_bad_promql_is_exit_2(mlci: RunMlci, healthy: str, tmp_path: Path) -> None:
    (tmp_path / "mlci.yaml").write_text(
        "version: 1\ntrain: {command: python train.py}\n"
        "deploy:\n  production:\n    canary:\n      checks:\n        queries:\n"
        "          - {name: broken, query: 'sum(rate(x[5m])', max: 1}\n"
    )
    proc = mlci("canary-analyze", "--prometheus-url", healthy, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Prometheus rejected the query (bad_data)" in proc.stderr
