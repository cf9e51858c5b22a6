"""The e2e-kind load generator: RATE requests/s to URL from 4 threads, until stopped.

    python load.py http://model.models.svc/predict 40

Each answer's code and X-Deployment are counted and printed every 10 s (kubectl logs).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

THREADS = 4


def main() -> None:
    url, rate = sys.argv[1], float(sys.argv[2])
    body = json.dumps({"tenure_months": 12, "monthly_charges": 70.5, "support_calls": 3}).encode()
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def run() -> None:
        period = THREADS / rate
        while True:
            started = time.monotonic()
            request = urllib.request.Request(url, data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    key = f"{answer.headers.get('X-Deployment', '?')} {answer.status}"
            except urllib.error.HTTPError as exc:
                key = f"{exc.headers.get('X-Deployment', '?')} {exc.code}"
                exc.close()
            except OSError:
                key = "unreachable"
            with lock:
                seen[key] += 1
            time.sleep(max(0.0, period - (time.monotonic() - started)))

    for _ in range(THREADS):
        threading.Thread(target=run, daemon=True).start()
    while True:
        time.sleep(10)
        with lock:
            print(dict(seen), flush=True)
            seen.clear()


if __name__ == "__main__":
    main()
