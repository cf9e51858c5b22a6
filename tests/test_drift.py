"""mlci.drift on synthetic data with known shifts (fixed seeds), real CSV and Parquet files.

The statistics are checked against SciPy's reference implementations (the
functions evidently calls), the verdicts against the shifts that were made, and
the false-positive rate of the default thresholds over repeated draws of one
distribution.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from scipy import stats

from mlci import drift
from mlci.errors import UsageError

Columns = Mapping[str, Sequence[object] | np.ndarray]


def write(path: Path, columns: Columns) -> Path:
    """Write ``columns`` as CSV or Parquet, by ``path``'s suffix."""
    table = pa.table({name: pa.array(list(values)) for name, values in columns.items()})
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


def pair(
    tmp_path: Path, reference: Columns, current: Columns, suffix: str = ".csv"
) -> tuple[Path, Path]:
    return (
        write(tmp_path / f"reference{suffix}", reference),
        write(tmp_path / f"current{suffix}", current),
    )


def shifted_data(n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Reference and current with a mean shift, a variance change, a new category, and
    columns that do not change."""
    rng = np.random.default_rng(seed)
    plans = np.array(["basic", "plus", "pro"], dtype=object)
    reference = {
        "steady": rng.normal(10, 2, n),
        "mean_shift": rng.normal(0, 1, n),
        "wider": rng.normal(0, 1, n),
        "plan": plans[rng.integers(0, 3, n)],
        "region": plans[rng.integers(0, 3, n)],
    }
    region = plans[rng.integers(0, 3, n)]
    region[rng.random(n) < 0.3] = "enterprise"
    current = {
        "steady": rng.normal(10, 2, n),
        "mean_shift": rng.normal(0.5, 1, n),
        "wider": rng.normal(0, 2, n),
        "plan": plans[rng.integers(0, 3, n)],
        "region": region,
    }
    return reference, current


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_large_samples_find_the_shifted_columns_only(tmp_path: Path, suffix: str) -> None:
    reference, current = shifted_data(5000, seed=1)
    report = drift.compare(*pair(tmp_path, reference, current, suffix))
    by = {c.column: c for c in report.columns}
    assert report.drifted_columns == ("mean_shift", "wider", "region")
    assert {c.test for c in report.columns if c.kind == "numeric"} == {"wasserstein"}
    assert {c.test for c in report.columns if c.kind == "categorical"} == {"jensenshannon"}
    assert by["region"].new_categories == ("enterprise",)
    assert by["region"].new_category_share == pytest.approx(0.3, abs=0.02)
    assert by["plan"].new_categories == ()
    assert report.share == pytest.approx(3 / 5)
    assert report.drifted  # 60 % ≥ 50 %
    assert report.reference_rows == report.current_rows == 5000


def test_small_samples_use_p_value_tests(tmp_path: Path) -> None:
    reference, current = shifted_data(400, seed=2)
    report = drift.compare(*pair(tmp_path, reference, current))
    by = {c.column: c for c in report.columns}
    assert by["steady"].test == by["mean_shift"].test == "ks"
    assert by["plan"].test == "chisquare"
    assert by["mean_shift"].drifted and by["wider"].drifted and by["region"].drifted
    assert not by["steady"].drifted
    assert by["region"].statistic < 1e-9  # a category the reference never had
    assert by["mean_shift"].measure == "p_value" and by["mean_shift"].threshold == 0.05


def test_statistics_match_scipy(tmp_path: Path) -> None:
    """Normalised Wasserstein (evidently's formula) and KS p-values, against SciPy."""
    rng = np.random.default_rng(3)
    big_ref, big_cur = rng.lognormal(0, 1, 20000), rng.lognormal(0.05, 1, 30000)
    report = drift.compare(*pair(tmp_path, {"x": big_ref}, {"x": big_cur}, ".parquet"))
    expected = stats.wasserstein_distance(big_ref, big_cur) / np.std(big_ref)
    assert report.columns[0].statistic == pytest.approx(expected, abs=2e-3)

    small_ref, small_cur = rng.normal(0, 1, 300), rng.normal(0.1, 1, 800)
    (tmp_path / "s").mkdir()
    report = drift.compare(*pair(tmp_path / "s", {"x": small_ref}, {"x": small_cur}))
    assert report.columns[0].statistic == pytest.approx(stats.ks_2samp(small_ref, small_cur).pvalue)


def test_small_reference_against_large_current_streams_the_ks_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    ref = np.round(rng.normal(0, 1, 600), 2)  # ties, on purpose
    cur = np.round(rng.normal(0.08, 1, 30000), 2)
    expected = stats.ks_2samp(ref, cur, method="asymp").pvalue
    for chunk_rows in (None, 7000):
        report = drift.compare(
            *pair(tmp_path, {"x": ref}, {"x": cur}), options=drift.Options(chunk_rows=chunk_rows)
        )
        assert report.columns[0].test == "ks"
        assert report.columns[0].statistic == pytest.approx(expected, rel=1e-6)


def test_a_statistic_at_the_threshold_is_computed_exactly(tmp_path: Path) -> None:
    """When the histogram bounds straddle the threshold, the in-memory path sorts."""
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(0, 1, 50000), rng.normal(0, 1, 50000)
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref)
    options = drift.Options(distance=float(exact))  # the threshold is the statistic itself
    report = drift.compare(*pair(tmp_path, {"x": ref}, {"x": cur}, ".parquet"), options=options)
    column = report.columns[0]
    assert column.statistic == pytest.approx(exact, rel=1e-9)
    assert not column.approximate and column.error_bound == 0.0


def test_numeric_columns_with_few_values_are_tested_as_categories(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    ref = {"stars": rng.integers(1, 6, 3000), "flag": rng.integers(0, 2, 3000)}
    cur = {"stars": rng.integers(1, 6, 3000), "flag": rng.integers(0, 2, 3000)}
    report = drift.compare(*pair(tmp_path, ref, cur))
    by = {c.column: c for c in report.columns}
    assert by["stars"].kind == "numeric" and by["stars"].test == "jensenshannon"
    assert by["flag"].test == "jensenshannon"  # 3000 rows: the reference decides the size
    (tmp_path / "small").mkdir()
    small = drift.compare(
        *pair(tmp_path / "small", {"flag": ref["flag"][:300]}, {"flag": cur["flag"][:300]})
    )
    assert small.columns[0].test == "z"
    assert not report.drifted and not small.drifted


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_reads_give_the_in_memory_verdicts(tmp_path: Path, suffix: str) -> None:
    reference, current = shifted_data(12000, seed=7)
    reference["gaps"] = np.where(np.arange(12000) % 7 == 0, np.nan, reference["steady"])
    current["gaps"] = np.where(np.arange(12000) % 5 == 0, np.nan, current["steady"])
    files = pair(tmp_path, reference, current, suffix)
    whole = drift.compare(*files)
    chunked = drift.compare(*files, options=drift.Options(chunk_rows=2500))
    assert chunked.chunked and not whole.chunked
    assert chunked.drifted_columns == whole.drifted_columns
    for a, b in zip(whole.columns, chunked.columns, strict=True):
        assert (a.column, a.test, a.reference_missing, a.current_missing) == (
            b.column,
            b.test,
            b.reference_missing,
            b.current_missing,
        )
        assert a.statistic == pytest.approx(b.statistic, abs=1e-3)
    gaps = {c.column: c for c in whole.columns}["gaps"]
    assert (gaps.reference_missing, gaps.current_missing) == (1715, 2400)


@pytest.mark.parametrize("chunk_rows", [None, 300])
def test_numpy_reader_matches_pyarrow(tmp_path: Path, chunk_rows: int | None) -> None:
    reference, current = shifted_data(2000, seed=8)
    files = pair(tmp_path, reference, current)
    arrow = drift.compare(*files, options=drift.Options(chunk_rows=chunk_rows))
    numpy = drift.compare(*files, options=drift.Options(engine="numpy", chunk_rows=chunk_rows))
    assert arrow.drifted_columns == numpy.drifted_columns
    for a, b in zip(arrow.to_json()["columns"], numpy.to_json()["columns"], strict=True):
        assert a == b | {"statistic": pytest.approx(b["statistic"], rel=1e-12)}


def test_a_csv_of_many_blocks_reads_as_the_numpy_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-file pyarrow path parses in blocks into preallocated columns: many small
    blocks, long rows first (so the first block's estimate of the row count is short and the
    columns grow), missing values and a numeric-looking category give the numpy reader's
    columns, value for value."""
    monkeypatch.setattr(drift, "_CSV_BLOCK", 1 << 12)
    rng = np.random.default_rng(21)
    lines = ["note,x,y,plan"]
    for i in range(6000):
        note = "long " * 20 if i < 200 else "s"
        x = "" if i % 97 == 0 else f"{rng.normal(0, 1):.6f}"
        lines.append(f"{note},{x},{rng.normal(5, 2):.6f},{rng.integers(1, 4)}")
    ref = tmp_path / "ref.csv"
    ref.write_text("\n".join(lines) + "\n")
    cur = tmp_path / "cur.csv"
    cur.write_text("\n".join(lines[:1] + lines[3001:] + lines[1:3001]) + "\n")
    declared = {"plan": drift.ColumnOptions(kind="categorical")}
    arrow = drift.compare(ref, cur, options=drift.Options(columns=declared))
    numpy = drift.compare(ref, cur, options=drift.Options(engine="numpy", columns=declared))
    assert [c.column for c in arrow.columns] == ["note", "x", "y", "plan"]
    assert arrow.reference_rows == arrow.current_rows == 6000
    by = {c.column: c for c in arrow.columns}
    assert (by["x"].reference_values, by["x"].reference_missing) == (5938, 62)
    assert by["plan"].kind == "categorical" and by["plan"].reference_values == 6000
    assert arrow.to_json() == numpy.to_json() | {
        "columns": [
            b | {"statistic": pytest.approx(b["statistic"], rel=1e-12)}
            for b in numpy.to_json()["columns"]
        ]
    }


def test_csv_with_quotes_and_missing_values_reads_alike(tmp_path: Path) -> None:
    text = 'city,temp\n"Paris, FR",1.5\n"Oslo, NO",\nRome,NA\n"Paris, FR",3\n'
    ref = tmp_path / "ref.csv"
    ref.write_text(text)
    cur = tmp_path / "cur.csv"
    cur.write_text(text)
    for engine in ("pyarrow", "numpy"):
        report = drift.compare(ref, cur, options=drift.Options(engine=engine))  # type: ignore[arg-type]
        by = {c.column: c for c in report.columns}
        assert by["city"].reference_values == 4 and by["city"].kind == "categorical"
        assert (by["temp"].reference_values, by["temp"].reference_missing) == (2, 2)
        assert not report.drifted


# --------------------------------------------------------------------------- false positives


def test_false_positive_rate_of_the_defaults_over_identical_draws(tmp_path: Path) -> None:
    """p ≤ 0.05 flags about 5 % of columns drawn from one distribution (by design);
    the distance tests on large samples flag none."""
    rng = np.random.default_rng(9)
    small_flags = small_tests = large_flags = large_tests = 0
    for draw in range(8):
        folder = tmp_path / str(draw)
        folder.mkdir()
        cats = np.array(list("abcd"))
        small = {f"x{i}": rng.normal(0, 1, 500) for i in range(25)}
        small |= {f"c{i}": cats[rng.integers(0, 4, 500)] for i in range(15)}
        small_cur = {f"x{i}": rng.normal(0, 1, 500) for i in range(25)}
        small_cur |= {f"c{i}": cats[rng.integers(0, 4, 500)] for i in range(15)}
        report = drift.compare(*pair(folder, small, small_cur))
        small_tests += len(report.columns)
        small_flags += len(report.drifted_columns)
        large = {f"x{i}": rng.normal(0, 1, 5000) for i in range(10)}
        large |= {f"c{i}": cats[rng.integers(0, 4, 5000)] for i in range(5)}
        large_cur = {f"x{i}": rng.normal(0, 1, 5000) for i in range(10)}
        large_cur |= {f"c{i}": cats[rng.integers(0, 4, 5000)] for i in range(5)}
        report = drift.compare(*pair(folder, large, large_cur, ".parquet"))
        large_tests += len(report.columns)
        large_flags += len(report.drifted_columns)
        assert not report.drifted
    assert small_tests == 320 and large_tests == 120
    assert 0.01 <= small_flags / small_tests <= 0.10
    assert large_flags == 0


# --------------------------------------------------------------------------- options


def test_ignored_declared_and_overridden_columns(tmp_path: Path) -> None:
    reference, current = shifted_data(3000, seed=10)
    reference["id"], current["id"] = np.arange(3000), np.arange(3000, 6000)
    reference["zip"] = current["zip"] = np.array(["75001"] * 3000)
    files = pair(tmp_path, reference, current)
    default = drift.compare(*files)
    assert "id" in default.drifted_columns  # ids always drift: ignore them
    options = drift.Options(
        ignore=("id",),
        columns={
            "zip": drift.ColumnOptions(kind="categorical"),
            "wider": drift.ColumnOptions(distance=0.9),
        },
        share=0.2,
    )
    report = drift.compare(*files, options=options)
    by = {c.column: c for c in report.columns}
    assert "id" not in by and report.ignored == ("id",)
    assert by["zip"].kind == "categorical"
    assert by["wider"].threshold == 0.9 and not by["wider"].drifted
    assert report.drifted_columns == ("mean_shift", "region")
    assert report.drifted and report.share_threshold == 0.2


def test_report_json(tmp_path: Path) -> None:
    reference, current = shifted_data(2000, seed=11)
    reference["old"] = current["new"] = np.zeros(2000)
    report = drift.compare(*pair(tmp_path, reference, current))
    data = json.loads(json.dumps(report.to_json()))
    assert data["only_in_reference"] == ["old"] and data["only_in_current"] == ["new"]
    region = next(c for c in data["columns"] if c["column"] == "region")
    assert region["new_categories"] == ["enterprise"] and region["drifted"] is True
    assert region["measure"] == "distance" and region["threshold"] == 0.1
    assert set(data) >= {"drifted", "share", "share_threshold", "drifted_columns", "columns"}
    assert "mean_shift, wider, region" in report.summary()


def test_timestamps_are_skipped_not_tested(tmp_path: Path) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text("when,x\n2024-01-01T00:00:00,1\n2024-01-02T00:00:00,2\n")
    report = drift.compare(ref, ref)
    assert [c.column for c in report.columns] == ["x"]
    assert report.skipped[0][0] == "when"


# --------------------------------------------------------------------------- bad input


def error(reference: Path, current: Path, **options: object) -> str:
    with pytest.raises(UsageError) as info:
        drift.compare(reference, current, options=drift.Options(**options))  # type: ignore[arg-type]
    return str(info.value)


@pytest.mark.parametrize("engine", ["pyarrow", "numpy"])
def test_bad_input_names_the_file_and_the_column(tmp_path: Path, engine: str) -> None:
    good = write(tmp_path / "good.csv", {"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    missing = tmp_path / "missing.csv"
    assert error(good, missing, engine=engine) == f"{missing}: no such file"

    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    assert error(good, empty, engine=engine) == f"{empty}: has no rows of data"

    nothing = tmp_path / "nothing.csv"
    nothing.write_text("")
    assert str(nothing) in error(good, nothing, engine=engine)

    all_nan = tmp_path / "nan.csv"
    all_nan.write_text("a,b\n,x\nNA,y\n")
    assert error(good, all_nan, engine=engine) == f"{all_nan}: column a has no values (all missing)"

    text = tmp_path / "text.csv"
    text.write_text("a,b\nlow,x\nhigh,y\n")
    message = error(good, text, engine=engine)
    assert "column a is numeric in" in message and str(text) in message

    declared = error(good, text, engine=engine, columns={"a": drift.ColumnOptions(kind="numeric")})
    assert declared.startswith(f"{text}: column a holds values that are not numbers")

    other = write(tmp_path / "other.csv", {"c": [1, 2]})
    assert "have no column in common" in error(good, other, engine=engine)

    absent = error(good, good, engine=engine, columns={"zz": drift.ColumnOptions()})
    assert absent.startswith(f"{good}: has no column zz")


def test_unreadable_files(tmp_path: Path) -> None:
    good = write(tmp_path / "good.parquet", {"a": [1.0, 2.0]})
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert error(good, broken).startswith(f"{broken}: cannot read it")
    weird = tmp_path / "data.xlsx"
    weird.write_bytes(b"")
    assert "cannot tell its format" in error(good, weird)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    assert error(ragged, ragged).startswith(f"{ragged}: cannot")
    assert error(ragged, ragged, engine="numpy").startswith(f"{ragged}: cannot")
