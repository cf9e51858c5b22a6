"""One name grammar: what mlci.yaml accepts, the gate's baselines and the registries agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci import config, gate, names
from mlci.errors import ConfigError, UsageError
from mlci.registry import check_name

BASE = "train:\n  command: python train.py\n"


def stages_config(production: str) -> str:
    return BASE + f"registry:\n  stages:\n    production: '{production}'\n"


def config_accepts_stage(name: str) -> bool:
    try:
        config.parse(stages_config(name), source="mlci.yaml")
    except ConfigError:
        return False
    return True


def registry_accepts(name: str) -> bool:
    try:
        check_name(name, what="stage")
    except UsageError:
        return False
    return True


def gate_accepts_baseline(name: str) -> bool:
    try:
        gate.parse_baseline_spec(f"registry:{name}")
    except UsageError:
        return False
    return True


def test_a_stage_the_registry_rejects_is_rejected_by_mlci_yaml_with_its_line() -> None:
    # prod_env passed config validation and was then refused by the registry at promote time.
    assert not registry_accepts("prod_env")
    with pytest.raises(ConfigError) as info:
        config.parse(stages_config("prod_env"), source="mlci.yaml")
    message = str(info.value)
    assert message == (
        "mlci.yaml:5: registry.stages.production: 'prod_env' is not a stage name: lowercase "
        "letters, digits and dashes (slashes inside for a namespace), e.g. prod-env"
    )
    assert "\n" not in message


def test_a_baseline_stage_the_registry_rejects_is_rejected_by_mlci_yaml() -> None:
    with pytest.raises(ConfigError, match=r"^mlci\.yaml:4: validation\.baseline: must be"):
        config.parse(BASE + "validation:\n  baseline: registry:prod_env\n", source="mlci.yaml")


@pytest.mark.parametrize("name", ["production", "prod-env", "team/prod", "v2", "a"])
def test_valid_names_pass_everywhere(name: str) -> None:
    assert config_accepts_stage(name)
    assert registry_accepts(name)
    assert gate_accepts_baseline(name)


@pytest.mark.parametrize("name", ["prod_env", "Prod", "-prod", "prod-", "a//b", "/a", "a b", ""])
def test_invalid_names_fail_everywhere(name: str) -> None:
    assert not config_accepts_stage(name)
    assert not registry_accepts(name)
    assert not gate_accepts_baseline(name)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abz09-_/A .", max_size=8))
def test_config_gate_and_registry_agree_on_every_name(name: str) -> None:
    verdict = registry_accepts(name)
    assert config_accepts_stage(name) == verdict
    # The gate strips the spec; the others take the name as written.
    assert gate_accepts_baseline(name) == names.is_name(name.strip())


def test_roles_map_through_registry_stages() -> None:
    cfg = config.parse(BASE + "registry:\n  stages:\n    production: prod\n", source="mlci.yaml")
    assert names.stage_for("production", cfg.registry.stages) == "prod"
    assert names.stage_for("staging", cfg.registry.stages) == "staging"
    assert names.stage_for("canary", cfg.registry.stages) == "canary"
    assert names.stage_for("production", None) == "production"
