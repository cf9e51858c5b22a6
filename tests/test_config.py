"""mlci.yaml: parsing, line numbers and defaults (the table of invalid kinds, each exit 2
with one line and nothing touched, is tests/test_invalid_configs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunMlci

from mlci import config

GOOD = """\
train:
  command: python train.py
"""


def test_error_names_the_line_of_the_offending_key() -> None:
    text = GOOD + "validation:\n  thresholds:\n    accuracy:\n      min: high\n"
    with pytest.raises(config.ConfigError) as info:
        config.parse(text, source="mlci.yaml")
    assert str(info.value).startswith(
        "mlci.yaml:6: validation.thresholds.accuracy.min must be a number"
    )


def test_missing_config_file_is_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 2
    assert "mlci.yaml: no such file; run `mlci init`" in proc.stderr
    proc = mlci("check", "--config", "elsewhere/mlci.yaml", cwd=git_repo)
    assert proc.returncode == 2
    assert "elsewhere/mlci.yaml: no such file" in proc.stderr


def test_config_path_that_is_a_directory_is_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    (git_repo / "conf").mkdir()
    proc = mlci("generate", "--config", "conf", cwd=git_repo)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 or "Usage" in proc.stderr


def test_defaults_fill_everything_but_the_train_command() -> None:
    loaded = config.parse(GOOD)
    assert loaded.train.command == "python train.py"
    assert loaded.registry.backend == "git"
    assert loaded.actions.ref == "v1"
    assert loaded.deploy.production.strategy == "direct"
    assert loaded.schedule.retrain == "0 4 * * *"
    assert loaded.branches == ["main"]


def test_yaml_1_2_keeps_on_and_yes_as_strings() -> None:
    # YAML 1.1 would read `on` as true and `yes` as a boolean; mlci.yaml is YAML 1.2.
    loaded = config.parse(GOOD + "branches: [on, yes]\n")
    assert loaded.branches == ["on", "yes"]


def test_runs_on_accepts_one_label_or_a_list() -> None:
    assert config.parse(GOOD + "  runs_on: gpu\n").train.runs_on == ["gpu"]
    assert config.parse(GOOD + "  runs_on: [self-hosted, gpu]\n").train.runs_on == [
        "self-hosted",
        "gpu",
    ]


def test_schema_command_prints_the_models_schema(tmp_path: Path, mlci: RunMlci) -> None:
    proc = mlci("schema", cwd=tmp_path)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema == config.json_schema()
    assert schema["required"] == ["train"]
    assert schema["additionalProperties"] is False


def test_committed_schema_file_is_current() -> None:
    committed = json.loads((Path(__file__).parent.parent / "mlci.schema.json").read_text())
    assert committed == config.json_schema(), "run: mlci schema > mlci.schema.json"


def test_scaffolded_config_validates_against_the_schema(
    ml_repo: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    assert mlci("init", "--yes", cwd=ml_repo).returncode == 0
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(config.json_schema()))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(schema),
            str(ml_repo / "mlci.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_rejects_what_the_model_rejects(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(config.json_schema()))
    bad = tmp_path / "mlci.yaml"
    bad.write_text(GOOD + "registy: {}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout


ROUTER = "      router: {type: command, set_weight: './route.sh {weight}'}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD, []),
        (  # a router but no Prometheus: written a piece at a time, as init scaffolds it
            GOOD + "deploy:\n  production:\n    strategy: canary\n    canary:\n" + ROUTER,
            [
                "deploy.production.strategy canary needs deploy.production.canary.prometheus.url "
                "(what judges the rollout): deploy-production exits 2 until it is set "
                "(docs/deploy.md)"
            ],
        ),
        (  # the URL given to the rollout step by an override (e.g. from a repository variable)
            GOOD
            + "deploy:\n  production:\n    strategy: blue-green\n    blue_green:\n"
            + ROUTER
            + "overrides:\n  ml-pipeline:\n    deploy-production:\n      steps:\n"
            "        rollout:\n          with: {prometheus-url: '${{ vars.PROMETHEUS_URL }}'}\n",
            [],
        ),
        (
            GOOD
            + "deploy:\n  production:\n    strategy: blue-green\n    blue_green:\n"
            + ROUTER
            + "      prometheus: {url: 'http://prometheus:9090'}\n      verify: pytest tests/it\n",
            [],
        ),
        (  # a setting of the strategy not chosen, kept while switching
            GOOD + "deploy:\n  production:\n    blue_green:\n      verify: pytest tests/it\n",
            [
                "deploy.production.blue_green.verify is not run: strategy is direct, and verify "
                "runs against green in a blue-green rollout only"
            ],
        ),
        (
            GOOD + "trigger:\n  decay: {enabled: true, metric: acc, min: 0.8, source: m.json, "
            "token_secret: PROM_TOKEN}\n",
            [
                "trigger.decay reads acc from source (m.json); trigger.decay.token_secret is not "
                "used while source is set"
            ],
        ),
        (
            GOOD + "trigger:\n  decay: {enabled: true, metric: acc, min: 0.8, source: m.json, "
            "prometheus: 'http://prometheus:9090', query: up}\n",
            [
                "trigger.decay reads acc from source (m.json); trigger.decay.prometheus, "
                "trigger.decay.query are not used while source is set"
            ],
        ),
        (  # a disabled trigger keeps whatever it holds, silently
            GOOD + "trigger:\n  decay: {enabled: false, source: m.json, token_secret: T}\n",
            [],
        ),
    ],
    ids=[
        "default",
        "no-prometheus",
        "prometheus-from-override",
        "complete-blue-green",
        "verify-unused",
        "token-unused",
        "prometheus-unused",
        "decay-off",
    ],
)
def test_notes_name_settings_that_will_not_do_what_they_seem(
    text: str, expected: list[str]
) -> None:
    assert config.notes(config.parse(text)) == expected


def test_workflow_problems_are_for_generate_the_commands_accept_them() -> None:
    """The kubernetes router needs MLCI_IMAGE: the generated pipeline has it from image.enabled
    or an override; a workflow of one's own calling canary-deploy passes it itself, so the
    config model (what every command loads) accepts it and only generate refuses."""
    rollout = (
        "deploy:\n  production:\n    strategy: canary\n    canary:\n"
        "      router: {type: kubernetes, deployment: churn}\n"
    )
    problems = config.workflow_problems(config.parse(GOOD + rollout))
    assert problems == [
        (
            ("deploy", "production", "canary", "router"),
            "deploy.production.canary.router: the kubernetes router deploys the serving image "
            "(MLCI_IMAGE), which only an image build provides: set image.enabled: true, or use "
            "a command router (type: command)",
        )
    ]
    for fine in (
        rollout + "image:\n  enabled: true\n",
        rollout + "overrides:\n  ml-pipeline:\n    deploy-production:\n"
        "      env: {MLCI_IMAGE: '${{ vars.SERVING_IMAGE }}'}\n",
        rollout + "overrides:\n  ml-pipeline:\n    deploy-production:\n      steps:\n"
        "        rollout: {env: {MLCI_IMAGE: '${{ vars.SERVING_IMAGE }}'}}\n",
        rollout.replace("strategy: canary", "strategy: direct"),  # not the chosen strategy
    ):
        assert config.workflow_problems(config.parse(GOOD + fine)) == [], fine
    # retrain-trigger --current/--metrics supply what the trigger lacks: only generate refuses
    text = GOOD + "trigger:\n  drift: {enabled: true}\n  decay: {enabled: true, metric: acc}\n"
    assert [loc for loc, _ in config.workflow_problems(config.parse(text))] == [
        ("trigger", "drift", "enabled"),
        ("trigger", "decay", "enabled"),
    ]
