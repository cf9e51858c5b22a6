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
