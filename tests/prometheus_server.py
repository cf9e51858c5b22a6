"""Real Prometheus servers for tests (Debian's ``prometheus``/``promtool``).

Two ways to get data in:

* recorded series — written with ``promtool tsdb create-blocks-from openmetrics``
  *before* the server starts (blocks added later show up only after about a
  minute), timestamps relative to now;
* live scraping — ``scrape_configs`` of 127.0.0.1 targets every second.

Every server gets a fresh data dir, a free 127.0.0.1 port and its own process
group, stopped with the group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need_prometheus() -> None:
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        pytest.skip("needs Debian's prometheus package (apt-get install prometheus)")


def openmetrics(series: dict[str, Sequence[tuple[float, float]]], *, kind: str = "counter") -> str:
    """OpenMetrics text of ``{'name{labels}': [(timestamp, value), ...]}``.

    Families are grouped by metric name; counters get their ``_total`` suffix
    handled by the caller (write ``http_requests_total{...}``).
    """
    families: dict[str, list[str]] = {}
    for key, points in series.items():
        name = key.split("{", 1)[0]
        family = name
        if kind == "counter" and name.endswith("_total"):
            family = name[: -len("_total")]
        elif kind == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix):
                    family = name[: -len(suffix)]
        lines = families.setdefault(family, [])
        lines.extend(f"{key} {value!r} {ts:.3f}" for ts, value in sorted(points))
    out = []
    for family, lines in families.items():
        out.append(f"# TYPE {family} {kind}")
        out.extend(lines)
    return "\n".join(out) + "\n# EOF\n"


@contextlib.contextmanager
def prometheus(
    root: Path,
    *,
    recorded: str | None = None,
    scrape: Sequence[str] = (),
    scrape_interval: str = "1s",
) -> Iterator[str]:
    """Start Prometheus under ``root``; yield its URL; stop its process group."""
    need_prometheus()
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    data.mkdir()
    if recorded is not None:
        source = root / "series.om"
        source.write_text(recorded)
        proc = subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr + proc.stdout
    config = root / "prometheus.yml"
    lines = [f"global:\n  scrape_interval: {scrape_interval}\n  evaluation_interval: 1s"]
    if scrape:
        targets = ", ".join(f"'{t}'" for t in scrape)
        lines.append(
            "scrape_configs:\n  - job_name: models\n"
            f"    scrape_interval: {scrape_interval}\n"
            f"    static_configs:\n      - targets: [{targets}]"
        )
    config.write_text("\n".join(lines) + "\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (root / "prometheus.log").open("w")
    proc_ = subprocess.Popen(
        [
            "prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d",
            "--web.enable-lifecycle",
        ],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc_.poll() is not None or time.monotonic() - started > STARTUP_TIMEOUT:
                log.flush()
                raise RuntimeError(
                    f"prometheus did not start:\n{(root / 'prometheus.log').read_text()}"
                )
            time.sleep(0.1)
        yield url
    finally:
        if proc_.poll() is None:
            os.killpg(proc_.pid, signal.SIGTERM)
            try:
                proc_.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc_.pid, signal.SIGKILL)
                proc_.wait(timeout=10)
        log.close()
