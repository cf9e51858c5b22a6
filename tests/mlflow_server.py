"""A real MLflow tracking server and a real logged model, shared by every MLflow test.

Imported into conftest.py, so one server serves the whole session: started on
127.0.0.1 in its own process group (``--workers 1``, job execution off: about
7 s), stopped with its whole group at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import clean_env

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow tracking server; yields its URI."""
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    log = (root / "server.log").open("w")
    env = clean_env({"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
        ],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() - started > STARTUP_TIMEOUT:
                log.flush()
                raise RuntimeError(
                    f"mlflow server did not start:\n{(root / 'server.log').read_text()}"
                )
            time.sleep(0.2)
        print(f"mlflow server ready in {time.monotonic() - started:.1f}s at {uri}")
        yield uri
    finally:
        with_group = os.getpgid(proc.pid) if proc.poll() is None else None
        if with_group is not None:
            os.killpg(with_group, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(with_group, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


TRAIN = """
import json, sys, warnings
warnings.simplefilter("ignore")
import mlflow, mlflow.pyfunc

class Model(mlflow.pyfunc.PythonModel):
    def __init__(self, value):
        self.value = value

    def predict(self, context, model_input):
        return [self.value] * len(model_input)

mlflow.set_tracking_uri(sys.argv[2])
with mlflow.start_run() as run:
    mlflow.log_metric("accuracy", float(sys.argv[1]))
    info = mlflow.pyfunc.log_model(name="model", python_model=Model(float(sys.argv[1])))
print(json.dumps({"run_id": run.info.run_id, "model_uri": info.model_uri}))
"""

LOAD = """
import sys, warnings
warnings.simplefilter("ignore")
import mlflow, mlflow.pyfunc
mlflow.set_tracking_uri(sys.argv[2])
print(mlflow.pyfunc.load_model(sys.argv[1]).predict([[0.0]])[0])
"""


def python(code: str, *args: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=clean_env(), capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def logged_model(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One model logged by a real training run (MLflow 3 logged-model store)."""
    out = python(TRAIN, "0.9", mlflow_server, cwd=tmp_path_factory.mktemp("train"))
    data = json.loads(out)
    assert data["model_uri"].startswith("models:/m-")
    return {str(k): str(v) for k, v in data.items()}
