import json
from pathlib import Path


def test_trained_weights_exist_and_are_finite() -> None:
    weights = json.loads(Path("models/weights.json").read_text())
    assert len(weights) == 4
    assert all(abs(w) < 1e6 for w in weights)
