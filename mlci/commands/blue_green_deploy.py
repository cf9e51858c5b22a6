"""``mlci blue-green-deploy``: deploy green beside blue, verify, switch, watch, retire blue.

A failed verification or a bad verdict while green serves everything switches
back to blue (exit 1); the registry's production stage moves only after blue
is retired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.commands._rollout import RegistryTarget, RolloutResult, record_promotion, setup
from mlci.deploy import configure
from mlci.deploy.judge import IntervalRecord
from mlci.deploy.rollout import Clock
from mlci.deploy.rollout import blue_green as run_blue_green
from mlci.deploy.shell import run_user_command


@dataclass(frozen=True)
class BlueGreenDeployResult(RolloutResult):
    pass


def verifier(
    command: str | None,
    *,
    endpoint: str | None,
    cwd: Path,
    env: Mapping[str, str] | None,
    timeout: float,
) -> Callable[[], str | None] | None:
    """The verification run against green: ``None`` when it passed, else why not."""
    if not command:
        return None

    def verify() -> str | None:
        extra = {**(env or {}), **({"MLCI_ENDPOINT": endpoint} if endpoint else {})}
        ran = run_user_command(command, cwd=cwd, env=extra, timeout=timeout)
        return None if ran.ok else f"{command} {ran.problem}"

    return verify


def run(
    *,
    config_path: Path,
    prometheus_url: str | None = None,
    interval: str | None = None,
    model_version: str | None = None,
    no_registry: bool = False,
    from_stage: str = "staging",
    push: bool = False,
    verify_duration: str | None = None,
    on_interval: Callable[[IntervalRecord], None] | None = None,
) -> BlueGreenDeployResult:
    """``mlci blue-green-deploy``: ``deploy.production.blue_green`` of ``config_path``, the
    flags overriding it, rolled out from the current directory with the deploy step's
    environment (:func:`mlci.deploy.configure.deploy_env`); the registry's production
    stage moves after a promotion unless ``no_registry`` or no ``model_version``."""
    settings, target = setup(
        config_path, "blue_green", model_version=model_version, no_registry=no_registry,
        from_stage=from_stage, push=push,
    )  # fmt: skip
    return rollout(
        settings=settings,
        cwd=Path.cwd(),
        overrides=configure.Overrides(
            prometheus_url=prometheus_url, interval=interval, duration=verify_duration
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
) -> BlueGreenDeployResult:
    """Run one blue-green rollout with ``settings`` (a ``deploy.production.blue_green`` section)."""
    flags = overrides or configure.Overrides()
    baseline = configure.seconds(settings.baseline, what="baseline")
    ready = configure.rollout(
        settings, flags=flags, duration=settings.verify_duration, duration_key="verify_duration",
        cwd=cwd, env=env, moves_registry=registry is not None, model_version=model_version,
    )  # fmt: skip
    router_timeout = configure.seconds(settings.router.timeout, what="router.timeout")
    outcome = run_blue_green(
        router=ready.router,
        source=ready.source,
        rules=ready.spec.rules(),
        settings=ready.spec.settings,
        interval=ready.interval,
        verify_duration=ready.duration,
        baseline_window=baseline,
        verify=verifier(
            settings.verify, endpoint=settings.endpoint, cwd=cwd, env=env, timeout=router_timeout
        ),
        clock=clock,
        on_interval=on_interval,
    )
    move = record_promotion(outcome, registry, model_version)
    return BlueGreenDeployResult(
        outcome=outcome, model_version=model_version, registry=move,
        printed_live=on_interval is not None,
    )  # fmt: skip
