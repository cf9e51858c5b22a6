"""Train the churn model and write metrics.json (what mlci validate-model reads)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from churn.model import accuracy, fit, load, scale

rows, labels = load(Path("data/churn.csv"))
rows = scale(rows)
split = int(len(rows) * 0.75)
started = time.perf_counter()
weights = fit(rows[:split], labels[:split])
Path("models").mkdir(exist_ok=True)
Path("models/weights.json").write_text(json.dumps(weights))
metrics = {
    "accuracy": accuracy(weights, rows[split:], labels[split:]),
    "train": {"accuracy": accuracy(weights, rows[:split], labels[:split])},
    "train_seconds": time.perf_counter() - started,
}
Path("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
print(json.dumps(metrics))
