"""The MLflow registry against a real ``mlflow server`` (SQLite store, 127.0.0.1, random port).

The server starts once per session in its own process group and the whole group
is stopped at teardown. Models are logged by a real training subprocess (MLflow
3: ``log_model(name=...)`` lands in the logged-model store), registered through
real ``mlci`` subprocesses, and loaded back by alias.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import RunMlci, clean_env
from mlflow_server import LOAD, free_port, python

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.slow

_counter = iter(range(1_000_000))


@pytest.fixture
def model() -> str:
    """A registered-model name no other test uses (the server is shared)."""
    return f"churn-{os.getpid()}-{next(_counter)}"


@pytest.fixture
def run(mlci: RunMlci, mlflow_server: str, tmp_path: Path) -> RunMlci:
    """``mlci`` with the mlflow backend and MLFLOW_TRACKING_URI set, in ``tmp_path``."""

    def runner(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        env = {"MLFLOW_TRACKING_URI": mlflow_server, **kwargs.pop("env", {})}
        return mlci(
            *args, "--backend", "mlflow", cwd=kwargs.pop("cwd", tmp_path), env=env, **kwargs
        )

    return runner


def client(uri: str) -> Any:
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def registry(uri: str) -> Any:
    """The backend in-process, for setting up state fast (the CLI is tested on the behaviour)."""
    from mlci.registry.mlflow import MlflowRegistry

    return MlflowRegistry(tracking_uri=uri)


def register(uri: str, model: str, source: str, accuracy: float) -> str:
    version = registry(uri).register(model, metrics={"accuracy": accuracy}, source=source)
    return str(version.version)


def test_register_a_logged_model_and_load_it_by_alias(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    """The MLflow 3 trap: runs:/<run>/model is resolved to the logged model, so it loads."""
    write(tmp_path / "metrics.json", {"accuracy": 0.9, "eval": {"f1": 0.8}})
    write(tmp_path / "report.json", {"passed": True})
    proc = run(
        "register-model", "--model", model, "--metrics", "metrics.json", "--report", "report.json",
        "--source", f"runs:/{logged_model['run_id']}/model",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"registered {model} 1, validation passed"
    mv = client(mlflow_server).get_model_version(model, "1")
    assert mv.source == logged_model["model_uri"]
    assert mv.run_id == logged_model["run_id"]
    assert json.loads(mv.tags["mlci.metrics"]) == {"accuracy": 0.9, "eval.f1": 0.8}
    assert mv.tags["mlci.validation"] == "passed"
    proc = run("promote-model", "--model", model, "--model-version", "1", "--to-stage", "staging")
    assert proc.returncode == 0, proc.stderr
    assert python(LOAD, f"models:/{model}@staging", mlflow_server, cwd=tmp_path) == "0.9"


def test_register_needs_a_source_and_refuses_a_failed_report(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    write(tmp_path / "metrics.json", {"accuracy": 0.4})
    proc = run("register-model", "--model", model, "--metrics", "metrics.json")
    assert proc.returncode == 2
    assert "the mlflow registry needs --source" in proc.stderr
    write(tmp_path / "report.json", {"passed": False})
    proc = run(
        "register-model", "--model", model, "--metrics", "metrics.json", "--report", "report.json",
        "--source", logged_model["model_uri"],
    )  # fmt: skip
    assert proc.returncode == 1
    assert "the validation report says the model failed" in proc.stderr
    assert client(mlflow_server).search_registered_models(f"name = '{model}'") == []


def test_promote_rollback_and_append_only_history(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    uri = logged_model["model_uri"]
    for n, accuracy in ((1, 0.8), (2, 0.85)):
        assert register(mlflow_server, model, uri, accuracy) == str(n)
        if n == 1:
            registry(mlflow_server).promote(model, "1", to_stage="staging")
            registry(mlflow_server).promote(model, "1", to_stage="production", from_stage="staging")
            continue
        proc = run(
            "promote-model", "--model", model, "--model-version", str(n), "--to-stage", "staging"
        )
        assert proc.returncode == 0, proc.stderr
        proc = run(
            "promote-model", "--model", model, "--model-version", str(n),
            "--from-stage", "staging", "--to-stage", "production",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"promoted {model} 2: staging → production (previous: 1)\n"
    mlflow_client = client(mlflow_server)
    history_before = {
        k: v for k, v in mlflow_client.get_registered_model(model).tags.items() if "history" in k
    }
    assert len(history_before) == 4
    proc = run("rollback-model", "--model", model, "--stage", "production")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"rolled back {model} production: 2 → 1\n"
    assert mlflow_client.get_model_version_by_alias(model, "production").version == "1"
    tags_after = mlflow_client.get_registered_model(model).tags
    history_after = {k: v for k, v in tags_after.items() if "history" in k}
    assert history_before.items() < history_after.items()  # append-only
    proc = run("rollback-model", "--model", model, "--stage", "production")
    assert proc.returncode == 1
    assert "there is nothing to roll back to" in proc.stderr
    data = json.loads(run("models", "--model", model, "--json").stdout)
    assert [(e["action"], e["stage"], e["version"], e["previous"]) for e in data["history"]] == [
        ("assign", "staging", "1", None),
        ("promote", "production", "1", None),
        ("assign", "staging", "2", "1"),
        ("promote", "production", "2", "1"),
        ("rollback", "production", "1", "2"),
    ]
    assert [(v["version"], v["stages"]) for v in data["versions"]] == [
        ("1", ["production"]),
        ("2", ["staging"]),
    ]


def test_promote_refusals_and_noop(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    uri = logged_model["model_uri"]
    register(mlflow_server, model, uri, 0.8)
    register(mlflow_server, model, uri, 0.7)
    registry(mlflow_server).promote(model, "1", to_stage="staging")
    proc = run(
        "promote-model", "--model", model, "--model-version", "2",
        "--from-stage", "staging", "--to-stage", "production",
    )  # fmt: skip
    assert proc.returncode == 1
    assert f"{model} version 2 is not in staging (staging holds 1)" in proc.stderr
    mlflow_client = client(mlflow_server)
    # A verdict recorded as failed after registration (e.g. by a later evaluation).
    mlflow_client.set_model_version_tag(model, "2", "mlci.validation", "failed")
    proc = run(
        "promote-model", "--model", model, "--model-version", "2", "--to-stage", "production"
    )
    assert proc.returncode == 1
    assert "its recorded validation verdict is failed" in proc.stderr
    assert mlflow_client.get_registered_model(model).aliases == {"staging": "1"}
    proc = run("promote-model", "--model", model, "--model-version", "1", "--to-stage", "staging")
    assert proc.returncode == 0
    assert proc.stdout == f"{model} 1 already holds staging; nothing to do\n"
    history = [k for k in mlflow_client.get_registered_model(model).tags if "history" in k]
    assert len(history) == 1


def test_stage_names_are_checked_before_anything_like_the_git_backend(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str
) -> None:
    """A misspelt stage is exit 2 with a "did you mean", before the no-op; a stage no version
    ever held cannot be rolled back (2), a known one with nothing earlier is a refusal (1)."""
    register(mlflow_server, model, logged_model["model_uri"], 0.8)
    registry(mlflow_server).promote(model, "1", to_stage="staging")
    registry(mlflow_server).promote(model, "1", to_stage="production", from_stage="staging")
    mlflow_client = client(mlflow_server)
    mlflow_client.set_registered_model_alias(model, "champion", "1")  # set outside mlci: known
    tags_before = mlflow_client.get_registered_model(model).tags
    for args, message in [
        (("--to-stage", "prodution"), f"{model} has no stage 'prodution'; did you mean 'production'?"),
        (("--to-stage", "champoin"), "did you mean 'champion'?"),
        (("--from-stage", "stagin", "--to-stage", "production"), "did you mean 'staging'?"),
        (("--from-stage", "nosuch", "--to-stage", "production"), "no version ever held it"),
    ]:  # fmt: skip
        proc = run("promote-model", "--model", model, "--model-version", "1", *args)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert len(proc.stderr.splitlines()) == 1
    proc = run("rollback-model", "--model", model, "--stage", "nosuch")
    assert proc.returncode == 2
    assert f"{model} has no stage 'nosuch': no version ever held it; known stages: " in proc.stderr
    proc = run("rollback-model", "--model", model, "--stage", "productoin")
    assert proc.returncode == 2
    assert "did you mean 'production'?" in proc.stderr
    proc = run("rollback-model", "--model", model, "--stage", "production")
    assert proc.returncode == 1
    assert "there is nothing to roll back to" in proc.stderr
    registered = mlflow_client.get_registered_model(model)
    assert registered.tags == tags_before
    assert registered.aliases == {"staging": "1", "production": "1", "champion": "1"}
    from mlci.errors import UsageError

    with pytest.raises(UsageError, match="did you mean 'production'"):
        registry(mlflow_server).resolve(model, "prodution")
    assert registry(mlflow_server).resolve(model, "nosuch") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model-version", "7", "--to-stage", "production"), "version 7 does not exist"),
        (("--model-version", "v1", "--to-stage", "production"), "MLflow versions are numbers"),
        (("--model-version", "1", "--to-stage", "Prod"), "stage 'Prod' is not valid"),
    ],
)
def test_promote_bad_input_exit_2(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str,
    args: tuple[str, ...], message: str,
) -> None:  # fmt: skip
    register(mlflow_server, model, logged_model["model_uri"], 0.8)
    proc = run("promote-model", "--model", model, *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_unknown_model_exit_2(run: RunMlci, model: str) -> None:
    proc = run(
        "promote-model", "--model", model, "--model-version", "1", "--to-stage", "production"
    )
    assert proc.returncode == 2
    assert f"model {model!r} is not registered on MLflow at http://127.0.0.1:" in proc.stderr


def test_unreachable_server_exit_2_quickly(mlci: RunMlci, tmp_path: Path) -> None:
    started = time.monotonic()
    proc = mlci(
        "promote-model", "--backend", "mlflow", "--model", "churn", "--model-version", "1",
        "--to-stage", "production", "--tracking-uri", f"http://user:secret@127.0.0.1:{free_port()}",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "cannot reach MLflow at http://***@127.0.0.1:" in proc.stderr
    assert "secret" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert time.monotonic() - started < 30


def test_no_tracking_uri_exit_2(mlci: RunMlci, tmp_path: Path) -> None:
    proc = mlci("models", "--backend", "mlflow", "--model", "churn", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        "the mlflow registry needs the tracking server's URI: set MLFLOW_TRACKING_URI"
        in proc.stderr
    )


def test_missing_mlflow_package_exit_2(mlci_process: RunMlci, tmp_path: Path) -> None:
    """Without the MLflow client installed (here: an import that fails, first on the path).

    A real process: in this one, another test may have imported mlflow already."""
    shadow = tmp_path / "shadow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named mlflow')\n")
    path = os.pathsep.join(filter(None, [str(tmp_path / "shadow"), os.environ.get("PYTHONPATH")]))
    proc = mlci_process(
        "models", "--backend", "mlflow", "--model", "churn", "--tracking-uri", "http://127.0.0.1:1",
        cwd=tmp_path, env={"PYTHONPATH": path},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "install mlci[mlflow]" in proc.stderr


def test_copy_to_stage_model(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    register(mlflow_server, model, logged_model["model_uri"], 0.8)
    proc = run(
        "promote-model", "--model", model, "--model-version", "1", "--to-stage", "production",
        "--copy-to-stage-model",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    copy = client(mlflow_server).get_model_version_by_alias(f"{model}-production", "production")
    assert copy.source == f"models:/{model}/1"
    assert (
        python(LOAD, f"models:/{model}-production@production", mlflow_server, cwd=tmp_path) == "0.9"
    )


def test_copy_to_stage_model_from_the_config(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    """registry.copy_to_stage_models in mlci.yaml: what the generated pipeline's promote steps use."""
    (tmp_path / "mlci.yaml").write_text(
        "train:\n  command: python train.py\n"
        f"registry:\n  backend: mlflow\n  model: {model}\n  copy_to_stage_models: true\n"
    )
    register(mlflow_server, model, logged_model["model_uri"], 0.8)
    proc = run("promote-model", "--model-version", "1", "--to-stage", "staging")
    assert proc.returncode == 0, proc.stderr
    copy = client(mlflow_server).get_model_version_by_alias(f"{model}-staging", "staging")
    assert copy.source == f"models:/{model}/1"


def test_concurrent_promotions_serialise(
    run: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str, tmp_path: Path
) -> None:
    """Real concurrency: the lock serialises them; the history chain and the alias agree."""
    for accuracy in (0.8, 0.81, 0.82):
        register(mlflow_server, model, logged_model["model_uri"], accuracy)
    env = clean_env({"MLFLOW_TRACKING_URI": mlflow_server})
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mlci", "promote-model", "--backend", "mlflow", "--model", model,
             "--model-version", version, "--to-stage", "production"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for version in ("1", "2", "3")
    ]  # fmt: skip
    results = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        results.append((p.returncode, err))
    assert all(code in (0, 1) for code, _ in results), results
    winners = sum(1 for code, _ in results if code == 0)
    assert winners >= 1
    mlflow_client = client(mlflow_server)
    registered = mlflow_client.get_registered_model(model)
    events = [
        json.loads(v) for k, v in sorted(registered.tags.items()) if k.startswith("mlci.history.")
    ]
    assert len(events) == winners
    assert events[0]["previous"] is None
    for before, after in itertools.pairwise(events):
        assert after["previous"] == before["version"]  # no interleaving
    assert registered.aliases == {"production": events[-1]["version"]}
    assert mlflow_client.search_registered_models(f"name = '{model}.mlci-lock'") == []


def test_a_held_lock_refuses_and_changes_nothing(
    model: str, logged_model: dict[str, str], mlflow_server: str
) -> None:
    from mlci.errors import CheckFailed
    from mlci.registry.mlflow import MlflowRegistry

    registry = MlflowRegistry(tracking_uri=mlflow_server, lock_wait=0.5)
    version = registry.register(model, metrics={"accuracy": 0.8}, source=logged_model["model_uri"])
    mlflow_client = client(mlflow_server)
    mlflow_client.create_registered_model(f"{model}.mlci-lock")
    with pytest.raises(CheckFailed, match=r"another promotion of .* is running"):
        registry.promote(model, version.version, to_stage="production")
    assert registry.resolve(model, "production") is None
    assert registry.history(model) == []
    mlflow_client.delete_registered_model(f"{model}.mlci-lock")
    assert registry.promote(model, version.version, to_stage="production").changed


def test_validate_model_reads_the_production_baseline(
    run: RunMlci, mlci: RunMlci, model: str, logged_model: dict[str, str], mlflow_server: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    """validate-model --baseline registry:production goes through this backend's resolve()."""
    register(mlflow_server, model, logged_model["model_uri"], 0.9)
    registry(mlflow_server).promote(model, "1", to_stage="production")
    (tmp_path / "mlci.yaml").write_text(
        "train:\n  command: python train.py\n"
        f"registry:\n  backend: mlflow\n  model: {model}\n"
        "validation:\n  thresholds:\n    accuracy: {min: 0.5}\n"
    )
    write(tmp_path / "candidate.json", {"accuracy": 0.7})
    proc = mlci(
        "validate-model", "--metrics", "candidate.json", "--baseline", "registry:production",
        cwd=tmp_path, env={"MLFLOW_TRACKING_URI": mlflow_server},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"registry:production ({model} 1)" in proc.stdout
    assert "regressed from 0.9 to 0.7" in proc.stdout
