from __future__ import annotations

import csv
import math
from pathlib import Path

FEATURES = ("tenure_months", "monthly_charges", "support_calls")


def load(path: Path) -> tuple[list[list[float]], list[int]]:
    rows, labels = [], []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append([float(row[name]) for name in FEATURES])
            labels.append(int(row["churned"]))
    return rows, labels


def scale(rows: list[list[float]]) -> list[list[float]]:
    columns = list(zip(*rows))
    lows = [min(c) for c in columns]
    spans = [(max(c) - min(c)) or 1.0 for c in columns]
    return [[(v - lo) / span for v, lo, span in zip(row, lows, spans)] for row in rows]


def predict(weights: list[float], row: list[float]) -> float:
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], row))
    return 1.0 / (1.0 + math.exp(-z))


def fit(rows: list[list[float]], labels: list[int], epochs: int = 400, lr: float = 0.5) -> list[float]:
    weights = [0.0] * (len(rows[0]) + 1)
    for _ in range(epochs):
        for row, label in zip(rows, labels):
            error = predict(weights, row) - label
            weights[0] -= lr * error
            for i, x in enumerate(row):
                weights[i + 1] -= lr * error * x
    return weights


def accuracy(weights: list[float], rows: list[list[float]], labels: list[int]) -> float:
    hits = sum((predict(weights, row) >= 0.5) == bool(label) for row, label in zip(rows, labels))
    return hits / len(labels)
