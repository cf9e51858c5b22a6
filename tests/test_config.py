"""mlci.yaml: every kind of bad config is one line, exit 2, and touches nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunMlci, run_on_config, write_config

from mlci import config

GOOD = """\
train:
  command: python train.py
"""

# (id, mlci.yaml text, text the one-line message must contain)
BAD_CONFIGS = [
    ("empty-file", "", "the file is empty"),
    ("only-comments", "# nothing here\n", "the file is empty"),
    ("bad-yaml", "train:\n  command: [python\n", "invalid YAML"),
    ("tab-indent", "train:\n\tcommand: x\n", "invalid YAML"),
    ("duplicate-key", "train:\n  command: a\n  command: b\n", "invalid YAML"),
    ("top-level-list", "- train\n", "top level must be a mapping"),
    ("top-level-scalar", "hello\n", "top level must be a mapping"),
    ("missing-train", "python:\n  version: '3.11'\n", "train is required"),
    ("missing-train-command", "train:\n  runs_on: [ubuntu-latest]\n", "train.command is required"),
    ("empty-train-command", "train:\n  command: '   '\n", "train.command"),
    ("unknown-top-key", GOOD + "registy:\n  backend: git\n", "did you mean 'registry'"),
    ("unknown-nested-key", "train:\n  comand: python train.py\n", "did you mean 'command'"),
    ("unknown-key-no-match", GOOD + "zzz: 1\n", "unknown key 'zzz'"),
    ("wrong-type-timeout", GOOD + "  timeout_minutes: soon\n", "must be a whole number"),
    ("timeout-out-of-range", GOOD + "  timeout_minutes: 0\n", "train.timeout_minutes"),
    ("wrong-type-section", GOOD + "validation: strict\n", "validation must be a mapping"),
    ("bad-backend", GOOD + "registry:\n  backend: s3\n", "registry.backend must be one of"),
    (
        "bad-strategy",
        GOOD + "deploy:\n  production:\n    strategy: yolo\n",
        "strategy must be one of",
    ),
    ("bad-cron-fields", GOOD + "schedule:\n  pipeline: '0 4 * *'\n", "has 4 fields"),
    ("bad-cron-range", GOOD + "schedule:\n  retrain: '61 * * * *'\n", "minute 61 is out of range"),
    ("bad-cron-step", GOOD + "schedule:\n  retrain: '*/0 * * * *'\n", "must be a positive number"),
    (
        "threshold-both",
        GOOD + "validation:\n  thresholds:\n    acc: {min: 0.8, max: 0.9}\n",
        "exactly one of min",
    ),
    (
        "threshold-string",
        GOOD + "validation:\n  thresholds:\n    acc: {min: high}\n",
        "must be a number",
    ),
    ("python-float", GOOD + "python:\n  version: 3.10\n", "must be a quoted string"),
    ("python-2", GOOD + "python:\n  version: '2.7'\n", "Python 3 version"),
    ("bad-model-name", GOOD + "registry:\n  model: My Model\n", "is not a model name"),
    ("bad-secret-name", GOOD + "secrets:\n  train: [1BAD]\n", "not a valid secret name"),
    (
        "github-secret-name",
        GOOD + "secrets:\n  deploy: [GITHUB_TOKEN]\n",
        "may not start with GITHUB_",
    ),
    (
        "bad-repository",
        GOOD + "actions:\n  repository: just-a-name\n",
        "must be a GitHub owner/repo",
    ),
    ("bad-ref", GOOD + "actions:\n  ref: 'v1 ; rm -rf'\n", "actions.ref"),
    (
        "expression-in-command",
        "train:\n  command: echo ${{ github.event.issue.title }}\n",
        "GitHub expression",
    ),
    (
        "canary-percentage-removed",
        GOOD + "deploy:\n  production:\n    canary: {percentage: 10}\n",
        "deploy.production.canary: percentage was removed: set deploy.production.canary.steps",
    ),
    (
        "bad-duration",
        GOOD + "deploy:\n  production:\n    canary: {duration: forever}\n",
        "must be a duration",
    ),
    ("pattern-main-branch", GOOD + "branches: ['release/*']\n", "cannot be a pattern"),
    ("empty-runs-on", GOOD + "  runs_on: []\n", "at least one runner label"),
    ("bad-version", GOOD + "version: 2\n", "version must be one of"),
    ("negative-regression", GOOD + "validation:\n  max_regression: -0.1\n", "max_regression"),
    ("empty-lint-command", GOOD + "lint:\n  commands: ['']\n", "empty command"),
    (
        "image-login-missing",
        GOOD + "image:\n  enabled: true\n  name: docker.io/acme/m\n",
        "needs a login",
    ),
    ("not-utf8", b"train:\n  command: \xff\xfe\n", "not UTF-8"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in BAD_CONFIGS], ids=[i for i, _, _ in BAD_CONFIGS]
)
def test_bad_config_is_one_line_exit_2_and_touches_nothing(
    ml_repo: Path, mlci: RunMlci, text: str | bytes, expected: str
) -> None:
    write_config(ml_repo, GOOD)
    assert mlci("generate", cwd=ml_repo).returncode == 0
    runs, untouched = run_on_config(ml_repo, text)

    for proc in runs:
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("mlci: error: mlci.yaml"), lines[0]
        assert expected in lines[0], lines[0]
    assert untouched


def test_kinds_of_bad_config_are_at_least_twenty() -> None:
    assert len({case_id for case_id, _, _ in BAD_CONFIGS}) >= 20


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
