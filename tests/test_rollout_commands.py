"""canary-deploy and blue-green-deploy: bad input is one UsageError (exit 2) raised before
any traffic moves — the router's commands never ran. ``rollout`` is the core on a settings
section; ``run`` (what the CLI calls) reads it from mlci.yaml and takes the flags' values.

The rollouts themselves are tested end to end in tests/test_rollout_e2e.py (slow); these
are the preconditions both commands share (mlci/deploy/configure.py ``rollout``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlci import config
from mlci.commands import blue_green_deploy, canary_deploy
from mlci.commands._rollout import RegistryTarget
from mlci.deploy import configure
from mlci.errors import UsageError
from mlci.prometheus import PrometheusUnavailable

ROUTER = "router: {type: command, set_weight: 'touch moved-{weight}'}"


def config_text(section: str, body: str) -> str:
    text = "version: 1\ntrain: {command: python train.py}\ndeploy:\n  production:\n"
    return text + f"    {section}:\n" + "".join(f"      {line}\n" for line in body.splitlines())


def settings(section: str, body: str) -> Any:
    return getattr(config.parse(config_text(section, body)).deploy.production, section)


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
        command.rollout(settings=settings(section, body), cwd=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []  # the router never ran


def test_an_unreachable_prometheus_is_a_usage_error_before_traffic_moves(tmp_path: Path) -> None:
    s = settings(
        "canary",
        f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9', timeout: 2s}}\ninterval: 1s\n"
        "steps: [50]\nduration: 2s",
    )
    with pytest.raises(PrometheusUnavailable, match=r"127\.0\.0\.1:9 is unreachable") as info:
        canary_deploy.rollout(settings=s, cwd=tmp_path)
    assert info.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_canary_steps_that_cannot_hold_an_interval_are_a_usage_error(tmp_path: Path) -> None:
    s = settings("canary", f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}")
    flags = configure.Overrides(steps=(10, 20, 30), duration="2m", interval="1m")
    with pytest.raises(UsageError, match="must last at least one analysis interval"):
        canary_deploy.rollout(settings=s, cwd=tmp_path, overrides=flags)
    assert list(tmp_path.iterdir()) == []


def write_config(root: Path, section: str, body: str, name: str = "mlci.yaml") -> Path:
    path = root / name
    path.write_text(config_text(section, body))
    return path


@pytest.mark.parametrize(
    ("command", "section"), [(canary_deploy, "canary"), (blue_green_deploy, "blue_green")]
)
def test_run_reads_its_own_section_of_mlci_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: Any, section: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_config(tmp_path, section, "prometheus: {url: 'http://127.0.0.1:9'}")
    with pytest.raises(UsageError, match=rf"deploy\.production\.{section}\.router is missing"):
        command.run(config_path=path, model_version="v1", no_registry=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlci.yaml"]


def test_run_takes_the_flags_over_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_config(tmp_path, "canary", f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}")
    with pytest.raises(UsageError, match="--steps takes weights like 10,25,50, got '10,x'"):
        canary_deploy.run(config_path=path, steps="10,x")
    with pytest.raises(UsageError, match="must last at least one analysis interval"):
        canary_deploy.run(config_path=path, steps="10,20,30", duration="2m", interval="1m")
    bg = write_config(
        tmp_path, "blue_green", f"{ROUTER}\nprometheus: {{url: 'http://127.0.0.1:9'}}", "bg.yaml"
    )
    with pytest.raises(UsageError, match="verify_duration: 'later' is not a duration"):
        blue_green_deploy.run(config_path=bg, verify_duration="later")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bg.yaml", "mlci.yaml"]
