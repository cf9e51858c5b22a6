"""validate-model with MLflow: metrics of a run (--run-id) and a production baseline by alias.

Against a real ``mlflow server`` on 127.0.0.1 (the session fixture of
tests/mlflow_server.py, through conftest.py); runs are logged by real training
subprocesses, models registered and promoted by real ``mlci`` subprocesses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import RunMlci

pytest.importorskip("mlflow")

from mlflow_server import TRAIN, python  # the server and logged-model fixtures: conftest.py

pytestmark = pytest.mark.slow  # starts an MLflow server


def test_run_id_metrics_pass_and_fail(
    mlci: RunMlci,
    mlflow_server: str,
    tmp_path: Path,
) -> None:
    run = json.loads(python(TRAIN, "0.91", mlflow_server, cwd=tmp_path))["run_id"]
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    args = ["validate-model", "--run-id", run, "--baseline", "none"]
    proc = mlci(*args, "--threshold", "accuracy>=0.9", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"validate-model: mlflow run {run} against no baseline" in proc.stdout
    proc = mlci(*args, "--threshold", "accuracy>=0.95", cwd=tmp_path, env=env)
    assert proc.returncode == 1
    assert "FAIL accuracy: 0.91 is below the minimum 0.95 (accuracy>=0.95)" in proc.stdout
    proc = mlci(*args, "--threshold", "f1>=0.5", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"mlci: error: --threshold: unknown metric 'f1': mlflow run {run} has accuracy\n"
    )


def test_run_id_bad_input_exit_2(mlci: RunMlci, mlflow_server: str, tmp_path: Path) -> None:
    args = ["validate-model", "--run-id", "0" * 32, "--threshold", "accuracy>=0.5"]
    proc = mlci(*args, cwd=tmp_path, env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert proc.returncode == 2
    assert proc.stderr == f"mlci: error: --run-id {'0' * 32}: no such run on the tracking server\n"
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "set MLFLOW_TRACKING_URI" in proc.stderr
    write_metrics = tmp_path / "metrics.json"
    write_metrics.write_text('{"accuracy": 0.9}')
    proc = mlci(*args, "--metrics", "metrics.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "mlci: error: name the candidate's metrics: --metrics FILE, "
        "or --run-id ID of an MLflow run\n"
    )


def test_production_baseline_from_the_mlflow_registry(
    mlci: RunMlci,
    mlflow_server: str,
    logged_model: dict[str, str],
    tmp_path: Path,
) -> None:
    model = f"gate-{os.getpid()}"
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    (tmp_path / "mlci.yaml").write_text(
        "train:\n  command: python train.py\n"
        "validation:\n  thresholds:\n    accuracy: {min: 0.8}\n"
        f"registry:\n  backend: mlflow\n  model: {model}\n"
    )
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.86}')
    # First run: no version holds production yet.
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no baseline model yet (registry:production)" in proc.stdout
    (tmp_path / "prod.json").write_text('{"accuracy": 0.92}')
    proc = mlci(
        "register-model", "--backend", "mlflow", "--model", model, "--metrics", "prod.json",
        "--source", f"runs:/{logged_model['run_id']}/model", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = mlci(
        "promote-model", "--backend", "mlflow", "--model", model, "--model-version", "1",
        "--to-stage", "production", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"against registry:production ({model} 1)" in proc.stdout
    assert "FAIL accuracy: regressed from 0.92 to 0.86" in proc.stdout
    # An unreachable tracking server fails closed.
    proc = mlci(
        "validate-model", "--metrics", "metrics.json", cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: baseline registry:production: ")
    assert proc.stderr.endswith("the gate does not pass without its baseline\n")
