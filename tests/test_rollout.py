"""The canary and blue-green state machines with the real command router.

The router runs real bash commands that append to a log file, so each test reads
the exact sequence of moves. Time is a clock object that advances when the
rollout sleeps; traffic comes from a scripted source of synthetic intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlci.deploy.analysis import Baseline, Interval
from mlci.deploy.judge import CheckRule, Counts, JudgeSettings, Observation
from mlci.deploy.rollout import Schedule, blue_green, canary
from mlci.deploy.routers import CommandRouter
from mlci.errors import UsageError

RULES = [CheckRule("error-rate", sequential=True)]
SETTINGS = JudgeSettings(min_requests=100)


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class Traffic:
    """Every interval: 1,000 stable and 100 canary requests at the given error rates."""

    def __init__(self, canary_errors: float = 1, stable_errors: float = 10) -> None:
        self.canary_errors = canary_errors
        self.stable_errors = stable_errors
        self.observed: list[float] = []
        self.preflights = 0
        self.fail_preflight: Exception | None = None

    def preflight(self, *, at: float | None = None, window: float = 60.0) -> None:
        self.preflights += 1
        if self.fail_preflight:
            raise self.fail_preflight

    def baseline(self, *, at: float, window: float) -> Baseline:
        return Baseline(Counts(self.stable_errors * 10, 10_000), None, window)

    def observe(self, *, at: float, window: float, baseline: Baseline | None = None) -> Interval:
        self.observed.append(at)
        c = Counts(self.canary_errors, 100)
        s = baseline.errors if baseline else Counts(self.stable_errors, 1000)
        return Interval(
            {"error-rate": Observation("error-rate", value=c.rate, canary=c, stable=s)}, 100
        )


def router(tmp_path: Path, **failing: str) -> tuple[CommandRouter, Callable[[], list[str]]]:
    """A command router whose commands log themselves; ``failing`` makes one exit 1."""
    log = tmp_path / "moves.log"

    def cmd(name: str) -> str:
        fail = "; echo 'no capacity' >&2; exit 1" if name in failing else ""
        return f'echo "{name} $MLCI_WEIGHT $MLCI_MODEL_VERSION" >> {log}{fail}'

    r = CommandRouter(
        set_weight_command=cmd("set_weight") + " # {weight}",
        deploy_command=cmd("deploy"),
        promote_command=cmd("promote"),
        rollback_command=cmd("rollback"),
        cwd=tmp_path,
        env={"MLCI_MODEL_VERSION": "v7"},
    )
    return r, lambda: log.read_text().splitlines() if log.exists() else []


SCHEDULE = Schedule(steps=(10, 25, 50), interval=60, step_duration=120)


def test_healthy_canary_walks_every_step_and_is_promoted(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    clock = Clock()
    outcome = canary(
        router=r, source=Traffic(), rules=RULES, settings=SETTINGS, schedule=SCHEDULE, clock=clock
    )
    assert outcome.decision == "promoted", outcome.reason
    assert moves() == [
        "deploy 0 v7", "set_weight 10 v7", "set_weight 25 v7", "set_weight 50 v7",
        "set_weight 100 v7", "promote 100 v7",
    ]  # fmt: skip
    assert len(outcome.intervals) == 6 and outcome.seconds == 360
    assert [i.weight for i in outcome.intervals] == [10, 10, 25, 25, 50, 50]
    assert outcome.rollback_ok is None and outcome.reached == 100


def test_bad_canary_is_rolled_back_at_the_first_step(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    outcome = canary(
        router=r, source=Traffic(canary_errors=10), rules=RULES, settings=SETTINGS,
        schedule=SCHEDULE, clock=Clock(),
    )  # fmt: skip
    assert outcome.decision == "rolled-back"
    assert outcome.reason.startswith("error-rate: canary worse than stable")
    assert moves() == ["deploy 0 v7", "set_weight 10 v7", "set_weight 0 v7", "rollback 0 v7"]
    assert outcome.rollback_ok is True and outcome.reached == 10


def test_router_failure_after_traffic_moved_rolls_back(tmp_path: Path) -> None:
    log = tmp_path / "moves.log"
    r = CommandRouter(
        set_weight_command=f'echo "w {{weight}}" >> {log}; test {{weight}} -ne 25',
        rollback_command=f"echo rollback >> {log}",
        cwd=tmp_path,
    )
    outcome = canary(
        router=r, source=Traffic(), rules=RULES, settings=SETTINGS, schedule=SCHEDULE, clock=Clock()
    )
    assert outcome.decision == "rolled-back"
    assert outcome.reason.startswith("could not move traffic: router set_weight")
    assert "exited 1" in outcome.reason
    assert log.read_text().splitlines() == ["w 10", "w 25", "w 0", "rollback"]
    assert outcome.rollback_ok is True


def test_failed_rollback_is_reported(tmp_path: Path) -> None:
    r, _ = router(tmp_path, rollback="1")
    outcome = canary(
        router=r, source=Traffic(canary_errors=10), rules=RULES, settings=SETTINGS,
        schedule=SCHEDULE, clock=Clock(),
    )  # fmt: skip
    assert outcome.decision == "rolled-back"
    assert outcome.rollback_ok is False
    assert outcome.rollback_error is not None and "no capacity" in outcome.rollback_error


def test_failed_promotion_rolls_back(tmp_path: Path) -> None:
    r, moves = router(tmp_path, promote="1")
    outcome = canary(
        router=r, source=Traffic(), rules=RULES, settings=SETTINGS, schedule=SCHEDULE, clock=Clock()
    )
    assert outcome.decision == "rolled-back"
    assert outcome.reason.startswith("promotion failed: router promote")
    assert moves()[-2:] == ["set_weight 0 v7", "rollback 0 v7"]


def test_failed_deploy_is_exit_2_after_cleanup_and_moves_no_traffic(tmp_path: Path) -> None:
    r, moves = router(tmp_path, deploy="1")
    with pytest.raises(
        UsageError,
        match=r"router deploy .* exited 1: no capacity; nothing was routed .*cleanup: done",
    ):
        canary(
            router=r,
            source=Traffic(),
            rules=RULES,
            settings=SETTINGS,
            schedule=SCHEDULE,
            clock=Clock(),
        )
    assert moves() == ["deploy 0 v7", "set_weight 0 v7", "rollback 0 v7"]


def test_bad_prometheus_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    source = Traffic()
    source.fail_preflight = UsageError("Prometheus rejected the query (bad_data): parse error")
    with pytest.raises(UsageError, match="bad_data"):
        canary(
            router=r,
            source=source,
            rules=RULES,
            settings=SETTINGS,
            schedule=SCHEDULE,
            clock=Clock(),
        )
    assert moves() == []


def test_weight_placeholder_is_required_before_anything_runs(tmp_path: Path) -> None:
    r = CommandRouter(set_weight_command="./route.sh", cwd=tmp_path)
    with pytest.raises(UsageError, match=r"must contain \{weight\}"):
        canary(
            router=r,
            source=Traffic(),
            rules=RULES,
            settings=SETTINGS,
            schedule=SCHEDULE,
            clock=Clock(),
        )


@pytest.mark.parametrize(
    ("steps", "interval", "duration", "message"),
    [
        ((), 60, 60, "steps are empty"),
        ((10, 100), 60, 60, "between 1 and 99"),
        ((50, 10), 60, 60, "must increase"),
        ((10,), 60, 30, "at least one analysis interval"),
    ],
)
def test_bad_schedules_are_usage_errors(
    steps: tuple[int, ...], interval: float, duration: float, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        Schedule(steps=steps, interval=interval, step_duration=duration)


def test_blue_green_healthy_switches_then_retires_blue(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    verified: list[bool] = []
    outcome = blue_green(
        router=r, source=Traffic(), rules=RULES, settings=SETTINGS, interval=60,
        verify_duration=180, baseline_window=600, verify=lambda: verified.append(True) or None,
        clock=Clock(),
    )  # fmt: skip
    assert outcome.decision == "promoted", outcome.reason
    assert verified == [True]
    assert moves() == ["deploy 0 v7", "set_weight 100 v7", "set_weight 100 v7", "promote 100 v7"]
    assert len(outcome.intervals) == 3


def test_blue_green_failed_verification_never_switches(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    outcome = blue_green(
        router=r, source=Traffic(), rules=RULES, settings=SETTINGS, interval=60,
        verify_duration=180, baseline_window=600, verify=lambda: "tests exited 1", clock=Clock(),
    )  # fmt: skip
    assert outcome.decision == "rolled-back"
    assert outcome.reason == "verification of green failed: tests exited 1"
    assert moves() == ["deploy 0 v7", "set_weight 0 v7", "rollback 0 v7"]
    assert outcome.reached == 0


def test_blue_green_bad_green_switches_back(tmp_path: Path) -> None:
    r, moves = router(tmp_path)
    outcome = blue_green(
        router=r, source=Traffic(canary_errors=10), rules=RULES, settings=SETTINGS,
        interval=60, verify_duration=600, baseline_window=600, clock=Clock(),
    )  # fmt: skip
    assert outcome.decision == "rolled-back"
    assert outcome.reason.startswith("error-rate: canary worse than stable")
    assert moves() == ["deploy 0 v7", "set_weight 100 v7", "set_weight 0 v7", "rollback 0 v7"]
    assert len(outcome.intervals) < 10
