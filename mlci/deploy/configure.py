"""From ``deploy.production.canary`` / ``.blue_green`` (and flags) to the rollout's parts.

Everything here runs before any traffic moves, so every problem is a
:class:`~mlci.errors.UsageError` (exit 2) with one line that says what to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.deploy.analysis import AnalysisSpec, MetricNames, PrometheusSource, QueryCheck
from mlci.deploy.judge import JudgeSettings
from mlci.deploy.routers import CommandRouter, Router
from mlci.errors import UsageError
from mlci.prometheus import Prometheus, parse_duration

if TYPE_CHECKING:
    from mlci.config import BlueGreen, Canary, RolloutRouter

#: The bearer token for Prometheus (the action maps the configured secret to it).
TOKEN_ENV = "MLCI_PROMETHEUS_TOKEN"
#: What every router command gets from the deploy step (issue 10's contract).
DEPLOY_ENV = (
    "MLCI_MODEL",
    "MLCI_MODEL_VERSION",
    "MLCI_MODEL_DIR",
    "MLCI_IMAGE",
    "MLCI_ENVIRONMENT",
    "MLCI_ENDPOINT",
)


@dataclass(frozen=True)
class Overrides:
    """Command-line flags; ``None`` keeps the config's value."""

    prometheus_url: str | None = None
    interval: str | None = None
    steps: tuple[int, ...] | None = None
    duration: str | None = None


def seconds(text: str, *, what: str) -> float:
    try:
        return parse_duration(text)
    except UsageError:
        raise UsageError(f"{what}: {text!r} is not a duration such as 30s, 5m or 1h") from None


def prometheus(settings: Canary | BlueGreen, url: str | None) -> Prometheus:
    address = url or settings.prometheus.url
    if not address:
        raise UsageError(
            "no Prometheus to judge with: set prometheus.url under deploy.production."
            f"{'canary' if hasattr(settings, 'steps') else 'blue_green'} or pass --prometheus-url"
        )
    token = os.environ.get(TOKEN_ENV) or None
    return Prometheus(
        address,
        token=token,
        timeout=seconds(settings.prometheus.timeout, what="prometheus.timeout"),
    )


def analysis(settings: Canary | BlueGreen) -> AnalysisSpec:
    checks, judged = settings.checks, settings.analysis
    m = judged.metrics
    spec = AnalysisSpec(
        metrics=MetricNames(
            requests=m.requests,
            duration=m.duration,
            deployment_label=m.deployment_label,
            code_label=m.code_label,
            error_codes=m.error_codes,
            canary=m.canary,
            stable=m.stable,
            selector=m.selector,
        ),
        error_rate=checks.error_rate.enabled,
        error_rate_max=checks.error_rate.max,
        error_ratio=checks.error_rate.ratio,
        latency=checks.latency.enabled,
        latency_quantile=checks.latency.quantile,
        latency_max=checks.latency.max,
        latency_ratio=checks.latency.ratio,
        queries=tuple(QueryCheck(q.name, q.query, q.max, q.min) for q in checks.queries),
        settings=JudgeSettings(
            alpha=judged.false_rollback_rate,
            min_requests=judged.min_requests,
            missing_limit=judged.missing_limit,
            failure_limit=judged.failure_limit,
        ),
    )
    if not spec.rules():
        raise UsageError(
            "every check is disabled: enable checks.error_rate or checks.latency, "
            "or add checks.queries — nothing would be judged"
        )
    return spec


def deploy_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The deploy contract's variables that are set, passed on to router commands."""
    env = os.environ if environ is None else environ
    return {name: env[name] for name in DEPLOY_ENV if name in env}


def router(
    settings: Canary | BlueGreen, *, cwd: Path, env: Mapping[str, str] | None = None
) -> Router:
    config: RolloutRouter | None = settings.router
    section = "canary" if hasattr(settings, "steps") else "blue_green"
    if config is None:
        raise UsageError(
            f"deploy.production.{section}.router is missing: say where traffic moves, e.g. "
            "router: {type: command, set_weight: ./route.sh {weight}}"
        )
    timeout = seconds(config.timeout, what="router.timeout")
    if config.type == "kubernetes":
        from mlci.deploy.kubernetes import KubernetesRouter

        return KubernetesRouter.from_config(config, cwd=cwd, env=env, timeout=timeout)
    assert config.set_weight is not None  # the config model requires it
    return CommandRouter(
        set_weight_command=config.set_weight,
        deploy_command=config.deploy,
        promote_command=config.promote,
        rollback_command=config.rollback,
        cwd=cwd,
        env=dict(env or {}),
        timeout=timeout,
    )


@dataclass(frozen=True)
class Rollout:
    """Everything a rollout command needs, checked before any traffic moves."""

    interval: float
    duration: float
    spec: AnalysisSpec
    source: PrometheusSource
    router: Router


def rollout(
    settings: Canary | BlueGreen,
    *,
    flags: Overrides,
    duration: str,
    duration_key: str,
    cwd: Path,
    env: Mapping[str, str] | None,
    moves_registry: bool,
    model_version: str | None,
) -> Rollout:
    """The preamble canary-deploy and blue-green-deploy share: durations (flags first), the
    registry's precondition, the checks, Prometheus and the router — every problem exit 2."""
    interval = seconds(flags.interval or settings.interval, what="interval")
    total = seconds(flags.duration or duration, what=duration_key)
    if moves_registry and not model_version:
        raise UsageError(
            "the registry moves only for a known version: pass --model-version "
            "(or set MLCI_MODEL_VERSION), or --no-registry"
        )
    spec = analysis(settings)
    client = prometheus(settings, flags.prometheus_url)
    return Rollout(
        interval=interval,
        duration=total,
        spec=spec,
        source=PrometheusSource(client, spec),
        router=router(settings, cwd=cwd, env=env),
    )
