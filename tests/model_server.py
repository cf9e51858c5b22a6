"""A real HTTP model server for the rollout end-to-end test (run as its own process).

Serves ``examples/churn``'s model (weights from ``$MLCI_MODEL_DIR/weights.json``,
predictions by ``churn.model.predict``) at ``POST /predict`` and exports the
metrics the canary judge reads by default with ``prometheus_client`` at
``/metrics``: ``http_requests_total{code, deployment}`` and the
``http_request_duration_seconds{deployment}`` histogram. ``--error-rate``
makes every n-th request a 500, deterministically. Every answer names its
deployment in ``X-Deployment``, so the test can see where traffic went.

    python tests/model_server.py --port 8001 --deployment canary --error-rate 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "churn"))
from churn.model import FEATURES, predict  # noqa: E402

REQUESTS = Counter("http_requests_total", "Requests served", ["code", "deployment"])
LATENCY = Histogram("http_request_duration_seconds", "Request latency", ["deployment"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--error-rate", type=float, default=0.0)
    args = parser.parse_args()
    weights = json.loads((Path(os.environ["MLCI_MODEL_DIR"]) / "weights.json").read_text())
    every = round(1 / args.error_rate) if args.error_rate > 0 else 0
    lock = threading.Lock()
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, code: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Deployment", args.deployment)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
            else:
                self._send(200, b'{"status": "ok"}')

        def do_POST(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length", 0))
            with lock:
                served[0] += 1
                fail = every and served[0] % every == 0
            try:
                row = json.loads(self.rfile.read(length))
                features = [float(row[name]) for name in FEATURES]
            except (ValueError, KeyError, TypeError):
                code, body = 400, b'{"error": "bad input"}'
            else:
                if fail:
                    code, body = 500, b'{"error": "injected failure"}'
                else:
                    score = predict(weights, features)
                    code, body = 200, json.dumps({"churn": score}).encode()
            self._send(code, body)
            LATENCY.labels(args.deployment).observe(time.perf_counter() - started)
            REQUESTS.labels(str(code), args.deployment).inc()

        def log_message(self, *a: object) -> None:
            pass

    # the series exist from the first scrape, at zero (counters start at 0 on both sides)
    REQUESTS.labels("200", args.deployment)
    LATENCY.labels(args.deployment)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
