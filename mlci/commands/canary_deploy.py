"""``mlci canary-deploy``: deploy beside stable, shift traffic in steps, judge live, decide.

Ends in exactly one of *promoted* (100 % on the new version, the old one
retired, the registry's production stage moved to the version) or *rolled back*
(traffic back to stable, the canary removed, the registry untouched, exit 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.commands._rollout import RegistryTarget, RolloutResult, record_promotion, setup
from mlci.deploy import configure
from mlci.deploy.judge import IntervalRecord
from mlci.deploy.rollout import Clock, Schedule
from mlci.deploy.rollout import canary as run_canary
from mlci.errors import UsageError


@dataclass(frozen=True)
class CanaryDeployResult(RolloutResult):
    pass


def run(
    *,
    config_path: Path,
    prometheus_url: str | None = None,
    interval: str | None = None,
    model_version: str | None = None,
    no_registry: bool = False,
    from_stage: str = "staging",
    push: bool = False,
    steps: str | None = None,
    duration: str | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> CanaryDeployResult:
    """``mlci canary-deploy``: ``deploy.production.canary`` of ``config_path``, the flags
    overriding it, rolled out from the current directory with the deploy step's
    environment (:func:`mlci.deploy.configure.deploy_env`); the registry's production
    stage moves after a promotion unless ``no_registry`` or no ``model_version``."""
    settings, target = setup(
        config_path, "canary", model_version=model_version, no_registry=no_registry,
        from_stage=from_stage, push=push,
    )  # fmt: skip
    return rollout(
        settings=settings,
        cwd=Path.cwd(),
        overrides=configure.Overrides(
            prometheus_url=prometheus_url,
            interval=interval,
            steps=steps_option(steps),
            duration=duration,
        ),
        model_version=model_version,
        registry=target,
        env=configure.deploy_env(),
        on_interval=on_interval,
    )


def rollout(
    *,
    settings: Any,
    cwd: Path,
    overrides: configure.Overrides | None = None,
    model_version: str | None = None,
    registry: RegistryTarget | None = None,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> CanaryDeployResult:
    """Run one canary rollout with ``settings`` (a ``deploy.production.canary`` section)."""
    flags = overrides or configure.Overrides()
    steps = flags.steps or tuple(settings.steps)
    ready = configure.rollout(
        settings, flags=flags, duration=settings.duration, duration_key="duration", cwd=cwd,
        env=env, moves_registry=registry is not None, model_version=model_version,
    )  # fmt: skip
    schedule = Schedule(
        steps=tuple(steps),
        interval=ready.interval,
        step_duration=ready.duration / len(steps) if steps else 0.0,
    )
    outcome = run_canary(
        router=ready.router,
        source=ready.source,
        rules=ready.spec.rules(),
        settings=ready.spec.settings,
        schedule=schedule,
        clock=clock,
        on_interval=on_interval,
    )
    move = record_promotion(outcome, registry, model_version)
    return CanaryDeployResult(
        outcome=outcome, model_version=model_version, registry=move,
        printed_live=on_interval is not None,
    )  # fmt: skip


def steps_option(text: str | None) -> tuple[int, ...] | None:
    """``--steps 10,25,50`` → (10, 25, 50)."""
    if not text:
        return None
    try:
        steps = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise UsageError(f"--steps takes weights like 10,25,50, got {text!r}") from None
    return steps or None
