from pathlib import Path

from churn.model import FEATURES, load


def test_data_has_rows_and_binary_labels() -> None:
    rows, labels = load(Path("data/churn.csv"))
    assert len(rows) >= 100
    assert all(len(row) == len(FEATURES) for row in rows)
    assert set(labels) <= {0, 1}
