"""canary-deploy and blue-green-deploy (``run``): bad input is one UsageError (exit 2)
raised before any traffic moves — the router's commands never ran.

The rollouts themselves are tested end to end in tests/test_rollout_e2e.py (slow); these
are the preconditions both commands share (mlci/deploy/configure.py ``rollout``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlci import config
from mlci.commands import blue_green_deploy, canary_deploy
from mlci.commands.canary_deploy import RegistryTarget
from mlci.deploy import configure
from mlci.errors import UsageError
from mlci.prometheus import PrometheusUnavailable

ROUTER = "router: {type: command, set_weight: 'touch moved-{weight}'}"


def settings(section: str, body: str) -> Any:
    text = (
        f"version: 1\ntrain: {{command: python train.py}}\ndeploy:\n  production:\n    {section}:\n"
    )
    text += "".join(f"      {line}\n" for line in body.splitlines())
    return getattr(config.parse(text).deploy.production, section)


@pytest.mark.parametrize("command", [canary_deploy, blue_green_deploy])
@pytest.mark.parametrize(
    ("body", "kwargs", "message"),
    [
        ("prometheus: {url: 'http://127.0.0.1:9'}", {}, "router is missing"),
        (ROUTER, {}, "no Prometheus to judge with"),
        (
            f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}\n"
            "checks: {error_rate: {enabled: false}, latency: {enabled: false}}",
            {},
            "every check is disabled",
        ),
        (
            f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}",
            {"overrides": configure.Overrides(interval="soon")},
            "interval: 'soon' is not a duration",
        ),
        (
            f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}",
            {"registry": RegistryTarget(None, "churn", "production", "staging")},
            "the registry moves only for a known version",
        ),
    ],
)
def test_bad_input_is_a_usage_error_before_traffic_moves(
    tmp_path: Path, command: Any, body: str, kwargs: dict[str, Any], message: str
) -> None:
    section = "canary" if command is canary_deploy else "blue_green"
    with pytest.raises(UsageError, match=message):
        command.run(settings=settings(section, body), cwd=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []  # the router never ran


def test_an_unreachable_prometheus_is_a_usage_error_before_traffic_moves(tmp_path: Path) -> None:
    s = settings(
        "canary",
        f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9', timeout: 2s}}\ninterval: 1s\n"
        "steps: [50]\nduration: 2s",
    )
    with pytest.raises(PrometheusUnavailable, match=r"127\.0\.0\.1:9 is unreachable") as info:
        canary_deploy.run(settings=s, cwd=tmp_path)
    assert info.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_canary_steps_that_cannot_hold_an_interval_are_a_usage_error(tmp_path: Path) -> None:
    s = settings("canary", f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}")
    flags = configure.Overrides(steps=(10, 20, 30), duration="2m", interval="1m")
    with pytest.raises(UsageError, match="must last at least one analysis interval"):
        canary_deploy.run(settings=s, cwd=tmp_path, overrides=flags)
    assert list(tmp_path.iterdir()) == []
