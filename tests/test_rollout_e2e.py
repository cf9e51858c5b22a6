"""A real canary and a real blue-green rollout on this machine, end to end.

Two real model servers (``tests/model_server.py``: ``examples/churn``'s model,
metrics by ``prometheus_client``), a real nginx splitting traffic by upstream
weights, a real Prometheus scraping both every second, a bounded load generator
on 127.0.0.1, and ``mlci canary-deploy`` / ``mlci blue-green-deploy`` whose
``command`` router rewrites nginx's upstream weights and reloads it. A healthy
new version is promoted (and the git registry's production stage moves); one
that answers 5 % errors is rolled back early, and traffic really returns to
the old version.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import RunMlci, clean_env, git, run_mlci
from prometheus_server import free_port, prometheus

pytestmark = pytest.mark.slow

SERVER = Path(__file__).parent / "model_server.py"
LOAD_RATE = 120  # requests per second, in all
WEIGHTS = [0.2, -2.0, 1.5, 1.0]

ROUTE_SH = """#!/usr/bin/env bash
# The command router's set_weight: {weight} % of the traffic to the new version.
set -euo pipefail
weight="$1"
if [ "$weight" -le 0 ]; then
  stable="weight=100"; new="down"
elif [ "$weight" -ge 100 ]; then
  stable="down"; new="weight=100"
else
  stable="weight=$((100 - weight))"; new="weight=$weight"
fi
cat > "$NGINX_PREFIX/upstream.conf" <<EOF
upstream model {
    server 127.0.0.1:$STABLE_PORT $stable;
    server 127.0.0.1:$NEW_PORT $new;
}
EOF
nginx -p "$NGINX_PREFIX" -c nginx.conf -s reload
echo "routed $weight% to the new version ($MLCI_MODEL_VERSION)"
"""

NGINX_CONF = """worker_processes 1;
daemon off;
pid nginx.pid;
error_log logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include upstream.conf;
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://model; }}
    }}
}}
"""


@dataclass
class Stack:
    root: Path
    nginx_port: int
    stable_port: int
    new_port: int
    prometheus: str
    env: dict[str, str] = field(default_factory=dict)

    def route(self, weight: int) -> None:
        proc = subprocess.run(
            ["bash", str(self.root / "route.sh"), str(weight)],
            env={**os.environ, **self.env, "MLCI_MODEL_VERSION": "-"},
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        time.sleep(0.3)  # a reload starts new workers asynchronously


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (OSError, urllib.error.HTTPError):
            pass
        assert proc.poll() is None, f"{what} exited"
        time.sleep(0.05)
    raise AssertionError(f"{what} did not answer at {url}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not shutil.which("nginx"):
        pytest.skip("needs Debian's nginx (apt-get install nginx)")
    pytest.importorskip("prometheus_client")
    root = tmp_path_factory.mktemp("rollout")
    ports = {free_port() for _ in range(6)}
    nginx_port, stable_port, new_port = sorted(ports)[:3]
    prefix = root / "nginx"
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True)
    (prefix / "nginx.conf").write_text(NGINX_CONF.format(port=nginx_port))
    (root / "route.sh").write_text(ROUTE_SH)
    (root / "route.sh").chmod(0o755)
    env = {"NGINX_PREFIX": str(prefix), "STABLE_PORT": str(stable_port), "NEW_PORT": str(new_port)}
    targets = [f"127.0.0.1:{stable_port}", f"127.0.0.1:{new_port}"]
    with prometheus(root / "prometheus", scrape=targets) as url:
        s = Stack(root, nginx_port, stable_port, new_port, url, env)
        (prefix / "upstream.conf").write_text(
            f"upstream model {{ server 127.0.0.1:{stable_port}; server 127.0.0.1:{new_port} down; }}\n"
        )
        nginx = subprocess.Popen(
            ["nginx", "-p", str(prefix), "-c", "nginx.conf"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while not (prefix / "nginx.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            yield s
        finally:
            _stop(nginx)


class Load:
    """A bounded load generator: LOAD_RATE requests/s through nginx, at most 60 s."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/predict"
        self.stop = threading.Event()
        self.answers: list[tuple[float, str, int]] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(8)]

    def _run(self) -> None:
        body = json.dumps(
            {"tenure_months": 12, "monthly_charges": 70.5, "support_calls": 3}
        ).encode()
        period = len(self.threads) / LOAD_RATE
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            request = urllib.request.Request(self.url, data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    self.answers.append(
                        (time.time(), response.headers.get("X-Deployment", "?"), response.status)
                    )
            except urllib.error.HTTPError as exc:
                self.answers.append((time.time(), exc.headers.get("X-Deployment", "?"), exc.code))
                exc.close()
            except OSError:
                self.answers.append((time.time(), "?", 0))
            self.stop.wait(max(0.0, period - (time.monotonic() - started)))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def since(self, t: float) -> Counter[str]:
        return Counter(who for when, who, _ in list(self.answers) if when >= t)


@contextlib.contextmanager
def servers(stack: Stack, tag: str, *, new_error_rate: float) -> Iterator[None]:
    """The old version (label old-<tag>) and the new one (new-<tag>) on the fixed ports."""
    model_dir = stack.root / f"model-{tag}"
    model_dir.mkdir()
    (model_dir / "weights.json").write_text(json.dumps(WEIGHTS))
    env = clean_env({"MLCI_MODEL_DIR": str(model_dir)})
    procs = []
    try:
        for port, label, rate in (
            (stack.stable_port, f"old-{tag}", 0.0),
            (stack.new_port, f"new-{tag}", new_error_rate),
        ):
            proc = subprocess.Popen(
                [sys.executable, str(SERVER), "--port", str(port), "--deployment", label,
                 "--error-rate", str(rate)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            procs.append((proc, port, label))
        for proc, port, label in procs:  # both start at once; then wait for both
            _wait_http(f"http://127.0.0.1:{port}/metrics", proc, f"model server {label}")
        yield
    finally:
        for proc, _, _ in procs:
            _stop(proc)


# The judge runs on mlci's defaults: no `checks:` and no judge keys under `analysis:` (ratio 2,
# false_rollback_rate 0.01, min_requests 500, missing_limit 2, failure_limit 2, latency on).
# Only two kinds of key differ from the defaults, neither of which changes how a verdict is
# reached: `analysis.metrics` names this test's series (each test labels its servers anew, so
# no counter of an earlier test shares a series with this one), and the schedule (steps,
# duration, interval, baseline) is in seconds instead of minutes.
CANARY = "    strategy: canary\n    canary:\n      steps: [30, 60]\n      duration: 12s\n      interval: 3s\n"
BLUE_GREEN = (
    "    strategy: blue-green\n    blue_green:\n      verify_duration: 6s\n      interval: 3s\n"
    "      baseline: 4s\n      verify: 'curl -sf \"$MLCI_ENDPOINT/health\"'\n"
)
BASELINE_WAIT = 4.5  # blue serves alone for the baseline window before blue-green starts


def wait_for_traffic(stack: Stack, label: str, *, window: str, least: float) -> None:
    """Wait ``least`` seconds, then until Prometheus holds requests of ``label`` over the
    last ``window`` — what the judge reads first. A fixed sleep alone was not enough on a
    loaded machine: scrapes fell behind and blue-green saw no baseline (exit 2)."""
    time.sleep(least)
    query = f'sum(increase(http_requests_total{{deployment="{label}"}}[{window}]))'
    url = f"{stack.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as response:
            result = json.load(response)["data"]["result"]
        if result and float(result[0]["value"][1]) > 0:
            return
        time.sleep(0.25)
    raise AssertionError(f"Prometheus holds no requests of {label} over {window} after 30 s")


def repo(stack: Stack, tmp_path: Path, tag: str, rollout: str) -> Path:
    """A git repository whose registry holds churn v0.0.1 in staging, and its mlci.yaml."""
    from mlci.commands import promote_model, register_model

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for key, value in (("user.name", "t"), ("user.email", "t@t.invalid"), ("tag.gpgsign", "false")):
        git(root, "config", key, value)
    (root / "route.sh").write_text(ROUTE_SH)
    (root / "route.sh").chmod(0o755)
    (root / "metrics.json").write_text('{"accuracy": 0.9}\n')
    (root / "mlci.yaml").write_text(
        "version: 1\ntrain: {command: python train.py}\nregistry: {model: churn}\n"
        f"deploy:\n  production:\n{rollout}"
        f"      router: {{type: command, set_weight: './route.sh {{weight}}'}}\n"
        f"      prometheus: {{url: '{stack.prometheus}'}}\n"
        f"      analysis: {{metrics: {{canary: new-{tag}, stable: old-{tag}}}}}\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "churn")
    # the registry, in process (the process boundary is the rollout's, below)
    common = {"model": None, "config_path": root / "mlci.yaml", "backend": None, "root": root,
              "tracking_uri": None}  # fmt: skip
    register_model.run(**common, metrics_path=root / "metrics.json")
    promote_model.run(**common, version="v0.0.1", to_stage="staging")
    return root


def stages_of_v001(root: Path) -> list[str]:
    from mlci.commands import models

    listed = models.run(
        model=None, config_path=root / "mlci.yaml", backend=None, root=root, tracking_uri=None
    )
    return next(list(v.stages) for v in listed.versions if v.version == "v0.0.1")


def run_rollout(
    mlci: RunMlci, stack: Stack, root: Path, command: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **stack.env, "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(root.parent / "outputs"),
        "GITHUB_STEP_SUMMARY": str(root.parent / "summary.md"), "MLCI_MODEL_VERSION": "v0.0.1",
        "MLCI_MODEL": "churn", "MLCI_ENDPOINT": f"http://127.0.0.1:{stack.new_port}",
    }  # fmt: skip
    started = time.monotonic()
    # a process of its own: in this one it would share the interpreter with the load threads
    proc = run_mlci(command, cwd=root, env=env, timeout=60)
    return proc, time.monotonic() - started


def after_rollout(load: Load) -> Counter[str]:
    """Who answers once the rollout has ended (nginx's reload settles within 0.5 s)."""
    ended = time.time()
    time.sleep(1.2)
    return load.since(ended + 0.5)


def outputs(root: Path) -> dict[str, str]:
    text = (root.parent / "outputs").read_text()
    out = {}
    for line in text.splitlines():
        if "=" in line and "<<" not in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def test_healthy_canary_is_promoted_and_the_registry_moves(
    stack: Stack, mlci: RunMlci, tmp_path: Path
) -> None:
    root = repo(stack, tmp_path, "c1", CANARY)
    stack.route(0)
    with servers(stack, "c1", new_error_rate=0.0), Load(stack.nginx_port) as load:
        wait_for_traffic(stack, "old-c1", window="3s", least=2)  # stable's series first
        proc, seconds = run_rollout(mlci, stack, root, "canary-deploy")
        after = after_rollout(load)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "canary v0.0.1 promoted" in proc.stdout
    assert "registry: churn production → v0.0.1" in proc.stdout
    assert outputs(root)["decision"] == "promoted"
    steps = [
        m.group(0)
        for ln in proc.stdout.splitlines()
        if (m := re.match(r"interval \d+ at \d+%", ln))
    ]
    assert steps == [
        "interval 1 at 30%",
        "interval 2 at 30%",
        "interval 3 at 60%",
        "interval 4 at 60%",
    ]
    assert "production" in stages_of_v001(root)
    # every request now goes to the new version
    assert set(after) == {"new-c1"}, after
    assert seconds < 30


def test_failing_canary_is_rolled_back_early_and_traffic_returns(
    stack: Stack, mlci: RunMlci, tmp_path: Path
) -> None:
    """The issue's case: 5 % errors against a stable version without any, default judge."""
    root = repo(stack, tmp_path, "c2", CANARY)
    stack.route(0)
    with servers(stack, "c2", new_error_rate=0.05), Load(stack.nginx_port) as load:
        wait_for_traffic(stack, "old-c2", window="3s", least=2)  # stable's series first
        proc, seconds = run_rollout(mlci, stack, root, "canary-deploy")
        after = after_rollout(load)
        during = Counter(who for _, who, _ in load.answers)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error-rate: canary worse than stable" in proc.stdout
    assert "that it is 2x stable" in proc.stdout  # the default ratio judged it
    assert "canary v0.0.1 rolled back at " in proc.stdout
    judged = [ln for ln in proc.stdout.splitlines() if ln.startswith("interval ")]
    assert len(judged) < 4, "rolled back before the schedule's last interval"
    assert "rollback: done" in proc.stdout
    assert outputs(root)["decision"] == "rolled-back"
    assert "production" not in stages_of_v001(root)
    assert during["new-c2"] > 0  # the canary really served traffic
    assert set(after) == {"old-c2"}, after  # and now nothing reaches it
    assert seconds < 20
    summary = (root.parent / "summary.md").read_text()
    assert "Canary rolled-back" in summary and "| error-rate |" in summary


def test_healthy_blue_green_switches_and_retires_blue(
    stack: Stack, mlci: RunMlci, tmp_path: Path
) -> None:
    root = repo(stack, tmp_path, "b1", BLUE_GREEN)
    stack.route(0)
    with servers(stack, "b1", new_error_rate=0.0), Load(stack.nginx_port) as load:
        wait_for_traffic(stack, "old-b1", window="4s", least=BASELINE_WAIT)
        proc, _ = run_rollout(mlci, stack, root, "blue-green-deploy")
        after = after_rollout(load)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "blue-green deployment v0.0.1 promoted" in proc.stdout
    assert "production" in stages_of_v001(root)
    assert set(after) == {"new-b1"}, after


def test_failing_green_is_switched_back_to_blue(
    stack: Stack, mlci: RunMlci, tmp_path: Path
) -> None:
    root = repo(stack, tmp_path, "b2", BLUE_GREEN)
    stack.route(0)
    with servers(stack, "b2", new_error_rate=0.05), Load(stack.nginx_port) as load:
        wait_for_traffic(stack, "old-b2", window="4s", least=BASELINE_WAIT)
        proc, _ = run_rollout(mlci, stack, root, "blue-green-deploy")
        after = after_rollout(load)
        during = Counter(who for _, who, _ in load.answers)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "rolled back at 100%: error-rate: canary worse than stable" in proc.stdout
    assert during["new-b2"] > 0
    assert set(after) == {"old-b2"}, after
    assert "production" not in stages_of_v001(root)
