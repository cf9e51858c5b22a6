"""Data drift between a reference data set and current data, column by column.

:func:`compare` reads two tables (CSV or Parquet) and tests every column they
share, vectorised with NumPy/SciPy (no Python loop over rows). The defaults are
evidently's (``DataDriftPreset``), written down here rather than imported:

===========================  ===============================  =========================
column                       reference has ≤ 1000 values      more
===========================  ===============================  =========================
numeric, > 5 distinct        Kolmogorov-Smirnov, p ≤ 0.05     Wasserstein / ref std ≥ 0.1
numeric ≤ 5 distinct, or     chi-square p ≤ 0.05 (z-test      Jensen-Shannon ≥ 0.1
categorical                  of proportions for 2 values)
===========================  ===============================  =========================

The data set drifts when at least half of the tested columns drift
(``share``). Each threshold can be overridden per column. Missing values are
left out of every test and counted.

Large files cost O(rows): the Wasserstein distance is bounded from fine
histograms (:data:`BINS` equal-width bins over the pooled range) and computed
exactly (sorting) only when the bounds straddle the threshold, so the verdict
is the exact one. Files larger than the memory budget (or than ``chunk_rows``)
are read in chunks, twice: moments, ranges and category counts first, then the
histograms; there the distance is the histogram estimate, whose error bound is
in the report (``approximate`` when it straddles the threshold, which the
16,384 bins make rare).

Bad input is :class:`~mlci.errors.UsageError` naming the file and the column:
a drift check can never pass because a column could not be read.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlci.errors import UsageError, one_line

Kind = Literal["numeric", "categorical"]
Test = Literal["ks", "z", "chisquare", "wasserstein", "jensenshannon"]
Floats = npt.NDArray[np.float64]

#: Drift when a test's p-value is at most this (evidently: 0.05).
P_VALUE = 0.05
#: Drift when a distance (normalised Wasserstein, Jensen-Shannon) is at least this (0.1).
DISTANCE = 0.1
#: The data set drifts when at least this share of the tested columns drift (0.5).
SHARE = 0.5
#: A reference with at most this many values per column gets the p-value tests.
SMALL_SAMPLE = 1000
#: A numeric column with at most this many distinct values is tested as categories.
FEW_VALUES = 5
#: Histogram bins of the Wasserstein bounds.
BINS = 1 << 14
#: Rows per chunk when a file is read in chunks.
CHUNK_ROWS = 500_000
#: Values kept per numeric column for the exact small-sample tests (scipy's exact KS limit).
_KEEP = 10_000
_LISTED_CATEGORIES = 10
_P_TESTS: frozenset[str] = frozenset({"ks", "z", "chisquare"})
_NULLS = frozenset({"", "NA", "N/A", "#N/A", "NULL", "null", "NaN", "nan", "-NaN", "None"})
_TEST_NAMES: dict[str, str] = {
    "ks": "Kolmogorov-Smirnov p-value",
    "z": "z-test p-value",
    "chisquare": "chi-square p-value",
    "wasserstein": "Wasserstein distance (normed)",
    "jensenshannon": "Jensen-Shannon distance",
}


# --------------------------------------------------------------------------- options and report


@dataclass(frozen=True)
class ColumnOptions:
    """A column's declaration: its kind and its own thresholds (None: the defaults)."""

    kind: Kind | None = None
    p_value: float | None = None
    distance: float | None = None


@dataclass(frozen=True)
class Options:
    """How to compare: declared columns, ignored columns, thresholds, chunking."""

    #: Declared columns: each must be in both files; kind and thresholds override detection.
    columns: Mapping[str, ColumnOptions] = field(default_factory=dict)
    #: Columns never tested (ids, timestamps, the target).
    ignore: Sequence[str] = ()
    p_value: float = P_VALUE
    distance: float = DISTANCE
    share: float = SHARE
    #: Read files in chunks of this many rows; None: only files over the memory budget.
    chunk_rows: int | None = None
    #: CSV reader: pyarrow when installed (auto), or NumPy's C parser.
    engine: Literal["auto", "pyarrow", "numpy"] = "auto"


@dataclass(frozen=True)
class ColumnDrift:
    """One column's test: its statistic against its threshold."""

    column: str
    kind: Kind
    test: Test
    statistic: float
    threshold: float
    drifted: bool
    reference_values: int
    current_values: int
    reference_missing: int = 0
    current_missing: int = 0
    #: Categories in the current data the reference never had (the first few).
    new_categories: tuple[str, ...] = ()
    new_category_count: int = 0
    #: Share of the current values that fall into those new categories.
    new_category_share: float = 0.0
    #: Chunked reads: the distance's error bound (0 when exact or decided by the bounds).
    error_bound: float = 0.0
    #: Chunked reads: the bound straddles the threshold; the verdict is the estimate's.
    approximate: bool = False

    @property
    def measure(self) -> Literal["p_value", "distance"]:
        return "p_value" if self.test in _P_TESTS else "distance"

    @property
    def test_name(self) -> str:
        return _TEST_NAMES[self.test]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "column": self.column,
            "kind": self.kind,
            "test": self.test,
            "measure": self.measure,
            "statistic": _finite(self.statistic),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "reference_values": self.reference_values,
            "current_values": self.current_values,
            "reference_missing": self.reference_missing,
            "current_missing": self.current_missing,
        }
        if self.kind == "categorical":
            data["new_categories"] = list(self.new_categories)
            data["new_category_count"] = self.new_category_count
            data["new_category_share"] = self.new_category_share
        if self.error_bound:
            data["error_bound"] = self.error_bound
        if self.approximate:
            data["approximate"] = True
        return data


@dataclass(frozen=True)
class DriftReport:
    """Every tested column, and whether the data set drifted."""

    reference: str
    current: str
    columns: tuple[ColumnDrift, ...]
    share_threshold: float
    reference_rows: int
    current_rows: int
    ignored: tuple[str, ...] = ()
    only_in_reference: tuple[str, ...] = ()
    only_in_current: tuple[str, ...] = ()
    #: Columns left out, with why (e.g. a timestamp column).
    skipped: tuple[tuple[str, str], ...] = ()
    chunked: bool = False

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    @property
    def share(self) -> float:
        return len(self.drifted_columns) / len(self.columns) if self.columns else 0.0

    @property
    def drifted(self) -> bool:
        """Data-set drift: the share of drifted columns reaches ``share_threshold``."""
        return bool(self.columns) and self.share >= self.share_threshold

    def summary(self) -> str:
        n, k = len(self.columns), len(self.drifted_columns)
        which = f" ({', '.join(self.drifted_columns[:5])}{', …' if k > 5 else ''})" if k else ""
        verdict = "data drift" if self.drifted else "no data drift"
        return (
            f"{verdict}: {k} of {n} column{'s' if n != 1 else ''} drifted{which}, "
            f"{self.share:.0%} against a threshold of {self.share_threshold:.0%}"
        )

    def render_text(self) -> str:
        """One line per column: verdict, statistic against threshold, test."""
        lines = [self.summary()]
        for c in self.columns:
            mark = "DRIFT" if c.drifted else "ok"
            sign = "<=" if c.measure == "p_value" else ">="
            new = f"; new: {', '.join(c.new_categories)}" if c.new_categories else ""
            lines.append(
                f"  {mark:5} {c.column}: {c.test} {_shown(c.statistic)} "
                f"(drift if {sign} {c.threshold:g}){new}"
            )
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        """The per-column table of the job summary."""
        lines = [
            f"**Data drift** — {self.summary()}",
            "",
            f"Reference `{self.reference}` ({self.reference_rows:,} rows), "
            f"current `{self.current}` ({self.current_rows:,} rows).",
            "",
            "| column | type | test | statistic | threshold | drift | missing (ref / cur) "
            "| new categories |",
            "|---|---|---|---:|---:|---|---|---|",
        ]
        for c in self.columns:
            sign = "≤" if c.measure == "p_value" else "≥"
            new = ", ".join(f"`{n}`" for n in c.new_categories)
            if c.new_category_count > len(c.new_categories):
                new += f" … ({c.new_category_count})"
            lines.append(
                f"| `{c.column}` | {c.kind} | {c.test_name} | {_shown(c.statistic)} | "
                f"{sign} {c.threshold:g} | {'**yes**' if c.drifted else 'no'} | "
                f"{c.reference_missing} / {c.current_missing} | {new} |"
            )
        notes = []
        if self.ignored:
            notes.append(f"ignored: {', '.join(self.ignored)}")
        if self.only_in_reference:
            notes.append(f"only in the reference: {', '.join(self.only_in_reference)}")
        if self.only_in_current:
            notes.append(f"only in the current data: {', '.join(self.only_in_current)}")
        notes += [f"skipped {name}: {why}" for name, why in self.skipped]
        if notes:
            lines += ["", *(f"* {n}" for n in notes)]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "current": self.current,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "drifted": self.drifted,
            "share": self.share,
            "share_threshold": self.share_threshold,
            "drifted_columns": list(self.drifted_columns),
            "columns": [c.to_json() for c in self.columns],
            "ignored": list(self.ignored),
            "only_in_reference": list(self.only_in_reference),
            "only_in_current": list(self.only_in_current),
            "skipped": [{"column": c, "reason": r} for c, r in self.skipped],
            "chunked": self.chunked,
        }


def _shown(value: float) -> str:
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.2e}"
    return f"{value:.4f}"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- reading

# A batch: column name → float64 values (numeric, NaN = missing) or a string array / pyarrow
# array (categorical). Readers yield batches; the accumulators below consume them.
Batch = dict[str, Any]
#: Bytes of CSV parsed at a time when a file is read whole.
_CSV_BLOCK = 1 << 20
_Type = Literal["numeric", "categorical", "null", "other"]


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow


def _format(path: Path, label: str) -> Literal["csv", "parquet"]:
    name = path.name.lower()
    for suffix in (".gz", ".bz2", ".zst", ".lz4"):
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise UsageError(f"{label}: cannot tell its format; name it *.csv or *.parquet")


class _Source:
    """One data file: its columns, their types, and batches of its rows."""

    def __init__(self, path: Path, label: str, engine: str = "auto") -> None:
        self.path = path
        self.label = label
        self.format = _format(path, label)
        if not path.is_file():
            raise UsageError(f"{label}: no such file")
        self.pa: Any = None if engine == "numpy" and self.format == "csv" else _pyarrow()
        if engine == "pyarrow" and self.pa is None:
            raise UsageError(
                f"{label}: the pyarrow engine needs pyarrow: pip install 'mlci[drift]'"
            )
        if self.format == "parquet" and self.pa is None:
            raise UsageError(
                f"{label}: reading Parquet needs pyarrow: pip install 'mlci[drift]' "
                "(or pyarrow), or give a CSV file"
            )
        self.strings: dict[str, bool] = {}
        self.delimiter = "\t" if path.name.lower().split(".")[-1] == "tsv" else ","
        self.types: dict[str, _Type] = self._types()

    # -- schema

    def _types(self) -> dict[str, _Type]:
        if self.pa is None:
            return self._numpy_types()
        pa = self.pa
        try:
            if self.format == "parquet":
                import pyarrow.parquet as pq

                schema = pq.read_schema(self.path)
            else:
                import pyarrow.csv as pacsv

                with pacsv.open_csv(
                    self.path,
                    read_options=pacsv.ReadOptions(block_size=1 << 20),
                    parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                    convert_options=self._convert(),
                ) as reader:
                    schema = reader.schema
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"{self.label}: cannot read it: {one_line(str(exc))}") from None
        self.strings = {
            f.name: pa.types.is_string(f.type)
            or (pa.types.is_dictionary(f.type) and pa.types.is_string(f.type.value_type))
            for f in schema
        }
        return {f.name: _arrow_type(pa, f.type) for f in schema}

    def has_rows(self) -> bool:
        """Whether the file holds at least one row below its header."""
        if self.pa is None:
            with _open_text(self.path) as f:
                f.readline()
                return any(line.strip() for line in itertools.islice(f, 100))
        if self.format == "parquet":
            import pyarrow.parquet as pq

            return bool(pq.read_metadata(self.path).num_rows)
        import pyarrow.csv as pacsv

        with pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(block_size=1 << 16),
            parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
            convert_options=self._convert(),
        ) as reader:
            for batch in reader:
                if batch.num_rows:
                    return True
        return False

    def _convert(self, types: Mapping[str, Any] | None = None) -> Any:
        import pyarrow.csv as pacsv

        return pacsv.ConvertOptions(
            null_values=sorted(_NULLS),
            strings_can_be_null=True,
            column_types=dict(types or {}),
        )

    def _numpy_types(self) -> dict[str, _Type]:
        header = self._header()
        first = next(self._numpy_batches(header, None, 10_000), None)
        if first is None:
            return dict.fromkeys(header, "null")
        return {name: _numpy_type(first[name]) for name in header}

    def _header(self) -> list[str]:
        try:
            with _open_text(self.path) as f:
                line = f.readline()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{self.label}: cannot read it: {one_line(str(exc))}") from None
        if not line.strip():
            raise UsageError(f"{self.label}: is empty (no header row)")
        return next(csv.reader([line], delimiter=self.delimiter))

    # -- rows

    def batches(self, kinds: Mapping[str, Kind], chunk_rows: int | None) -> Iterator[Batch]:
        """The columns in ``kinds``, converted to their kind, in batches of ``chunk_rows``."""
        try:
            if self.pa is None:
                header = self._header()
                for raw in self._numpy_batches(header, list(kinds), chunk_rows):
                    yield {name: self._numpy_column(raw[name], name, kinds[name]) for name in kinds}
            elif self.format == "csv" and chunk_rows is None:
                yield self._whole_csv(kinds)
            else:
                for table in self._arrow_tables(list(kinds), kinds, chunk_rows):
                    batch: Batch = {}
                    for name in table.column_names:
                        column = table.column(name)
                        table = table.drop_columns([name])  # its memory goes with the last use
                        batch[name] = self._arrow_column(column, name, kinds[name])
                        del column
                        self.pa.default_memory_pool().release_unused()
                    yield batch
                    del batch
                    self.pa.default_memory_pool().release_unused()
        except UsageError:
            raise
        # pyarrow's errors subclass these (ArrowInvalid is a ValueError, ArrowIOError an OSError).
        except (OSError, ValueError, TypeError, NotImplementedError) as exc:
            found = re.search(r"CSV column #(\d+): CSV conversion error to double", str(exc))
            names = list(self.types)
            if found and int(found.group(1)) < len(names):
                raise _not_numeric(self.label, names[int(found.group(1))]) from None
            raise UsageError(f"{self.label}: cannot read it: {one_line(str(exc))}") from None

    def columns(self, kinds: Mapping[str, Kind]) -> Iterator[tuple[str, Any]]:
        """In memory: each column of ``kinds``, converted, one at a time where the format
        allows (Parquet is read column by column; a CSV is parsed once, then handed out)."""
        for batch in self.batches(kinds, None):
            for name in list(batch):
                yield name, batch.pop(name)

    def _arrow_tables(
        self, names: list[str], kinds: Mapping[str, Kind], chunk_rows: int | None
    ) -> Iterator[Any]:
        pa = self.pa
        if self.format == "parquet":
            import pyarrow.parquet as pq

            # Categories as dictionaries: counting them is counting small integers.
            dictionary = [n for n in names if kinds[n] == "categorical" and self.strings[n]]
            with pq.ParquetFile(self.path, read_dictionary=dictionary) as file:
                if chunk_rows is None:
                    # Column by column: a column is all a test needs at once.
                    for name in names:
                        yield file.read(columns=[name])
                    return
                for batch in file.iter_batches(batch_size=chunk_rows, columns=names):
                    yield pa.Table.from_batches([batch])
            return
        import pyarrow.csv as pacsv

        # Fixed types, so every block of a streamed file parses alike.
        # Categories as dictionaries: compact, and no string keeps a parsed block alive.
        category = pa.dictionary(pa.int32(), pa.string())
        types = {n: pa.float64() if kinds[n] == "numeric" else category for n in names}
        convert = self._convert(types)
        convert.include_columns = names
        parse = pacsv.ParseOptions(delimiter=self.delimiter)
        assert chunk_rows is not None  # a whole CSV file is read by _whole_csv
        # ~100 bytes a row is a guess; batches are re-cut to chunk_rows below.
        read = pacsv.ReadOptions(block_size=max(1 << 20, min(chunk_rows * 100, 1 << 30)))
        with pacsv.open_csv(
            self.path, read_options=read, parse_options=parse, convert_options=convert
        ) as reader:
            for batch in reader:
                yield pa.Table.from_batches([batch])

    def _whole_csv(self, kinds: Mapping[str, Kind]) -> Batch:
        """Every column of ``kinds``, the file parsed in small blocks, each block's numbers
        copied straight into one preallocated array per column. Memory holds the columns
        and one block, never the file's bytes (read_csv keeps them while it parses) nor a
        second copy of a column; categories are read as dictionaries (4 bytes a value)."""
        pa = self.pa
        import pyarrow.csv as pacsv

        names = list(kinds)
        category = pa.dictionary(pa.int32(), pa.string())
        convert = self._convert(
            {n: pa.float64() if kinds[n] == "numeric" else category for n in names}
        )
        convert.include_columns = names
        read = pacsv.ReadOptions(block_size=_CSV_BLOCK)
        parse = pacsv.ParseOptions(delimiter=self.delimiter)
        numbers: dict[str, npt.NDArray[np.float64]] = {}
        chunks: dict[str, list[Any]] = {n: [] for n in names if kinds[n] != "numeric"}
        size = self.path.stat().st_size
        rows = 0
        with pacsv.open_csv(
            self.path, read_options=read, parse_options=parse, convert_options=convert
        ) as reader:
            for block in reader:
                n = block.num_rows
                if rows + n > (capacity := _capacity(numbers)):
                    # Room for the rest of the file at this block's bytes per row (pages
                    # never written are never resident), grown by half when it was short.
                    want = max(capacity * 3 // 2, rows + n, int(size / _CSV_BLOCK * n * 1.1))
                    for name in names:
                        if kinds[name] == "numeric":
                            grown = np.empty(want, dtype=np.float64)
                            if name in numbers:
                                grown[:rows] = numbers[name][:rows]
                            numbers[name] = grown
                for name in names:
                    column = block.column(name)
                    if kinds[name] == "numeric":
                        numbers[name][rows : rows + n] = column.to_numpy(zero_copy_only=False)
                    else:
                        chunks[name].append(column)
                rows += n
                del block, column
        batch: Batch = {}
        for name in names:
            if kinds[name] == "numeric":
                batch[name] = numbers.pop(name, np.empty(0))[:rows]
            else:
                column = pa.chunked_array(chunks.pop(name), type=category)
                batch[name] = column if self.strings[name] else _as_strings(column)
        return batch

    def _arrow_column(self, column: Any, name: str, kind: Kind) -> Any:
        pa = self.pa
        import pyarrow.compute as pc

        if kind == "numeric":
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                try:
                    column = pc.cast(column, pa.float64())
                except pa.ArrowInvalid:
                    raise _not_numeric(self.label, name) from None
            if not pa.types.is_float64(column.type):
                column = pc.cast(column, pa.float64())
            array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            # No nulls: a view of Arrow's buffer, not a copy (nulls become NaN in a copy).
            return np.asarray(array.to_numpy(zero_copy_only=array.null_count == 0))
        t = column.type
        if not (pa.types.is_string(t) or (pa.types.is_dictionary(t) and self.strings[name])):
            column = pc.cast(column, pa.string())
        return column

    def _numpy_batches(
        self, header: list[str], names: list[str] | None, chunk_rows: int | None
    ) -> Iterator[dict[str, npt.NDArray[np.str_]]]:
        """Rows parsed by NumPy's C reader (``np.loadtxt``), ``chunk_rows`` lines at a time."""
        wanted = names if names is not None else header
        usecols = [header.index(n) for n in wanted]
        with _open_text(self.path) as f:
            f.readline()
            line_no = 1
            while True:
                lines = list(itertools.islice(f, chunk_rows or None))
                if not lines:
                    return
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        table = np.loadtxt(
                            lines,
                            dtype=str,
                            delimiter=self.delimiter,
                            quotechar='"',
                            comments=None,
                            ndmin=2,
                            encoding=None,
                        )
                except ValueError as exc:
                    raise UsageError(
                        f"{self.label}: cannot parse rows {line_no + 1}-{line_no + len(lines)}: "
                        f"{one_line(str(exc))}"
                    ) from None
                if table.shape[0] and table.shape[1] != len(header):
                    raise UsageError(
                        f"{self.label}: rows have {table.shape[1]} fields but the header names "
                        f"{len(header)} columns"
                    )
                line_no += len(lines)
                yield {n: table[:, i] for n, i in zip(wanted, usecols, strict=True)}
                if chunk_rows is None:
                    return

    def _numpy_column(self, raw: npt.NDArray[np.str_], name: str, kind: Kind) -> Any:
        raw = np.char.strip(raw)
        missing = np.isin(raw, list(_NULLS))
        if kind == "numeric":
            try:
                return np.where(missing, "nan", raw).astype(np.float64)
            except ValueError:
                raise _not_numeric(self.label, name) from None
        values = raw.astype(object)
        values[missing] = None
        return values


def _capacity(numbers: Mapping[str, npt.NDArray[np.float64]]) -> int:
    return min((len(a) for a in numbers.values()), default=0) if numbers else 0


def _as_strings(column: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(column, pa.string())


@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[Any]:
    name = path.name.lower()
    if name.endswith(".gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            yield f
    else:
        with open(path, encoding="utf-8", newline="") as f:
            yield f


def _arrow_type(pa: Any, t: Any) -> _Type:
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_dictionary(t):
        return _arrow_type(pa, t.value_type) if pa.types.is_integer(t.value_type) else "categorical"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t):
        return "categorical"
    return "other"


def _numpy_type(raw: npt.NDArray[np.str_]) -> _Type:
    raw = np.char.strip(raw)
    present = raw[~np.isin(raw, list(_NULLS))]
    if present.size == 0:
        return "null"
    try:
        present.astype(np.float64)
    except ValueError:
        return "categorical"
    return "numeric"


def _not_numeric(label: str, column: str) -> UsageError:
    return UsageError(
        f"{label}: column {column} holds values that are not numbers; "
        f"declare it categorical (trigger.drift.columns.{column}.type: categorical) or fix the data"
    )


# --------------------------------------------------------------------------- accumulators


_SCRATCH: dict[Any, npt.NDArray[Any]] = {}


def _scratch(n: int, dtype: Any) -> npt.NDArray[Any]:
    """A reused work array of ``n`` items: no fresh pages for every column."""
    key = np.dtype(dtype)
    buf = _SCRATCH.get(key)
    if buf is None or buf.size < n:
        buf = _SCRATCH[key] = np.empty(n, dtype=key)
    return buf[:n]


class _Numeric:
    """A numeric column of one file: moments and range (pass 1), histogram (pass 2)."""

    def __init__(self) -> None:
        self.count = 0
        self.missing = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.low = math.inf
        self.high = -math.inf
        #: Value counts while the column has at most FEW_VALUES distinct values.
        self.few: Counter[float] | None = Counter()
        #: The values themselves while there are at most _KEEP of them.
        self.kept: list[Floats] | None = []
        self.hist: npt.NDArray[np.int64] | None = None
        #: Streaming KS against a small reference: counts below / at each reference value.
        self.below: npt.NDArray[np.int64] | None = None
        self.at: npt.NDArray[np.int64] | None = None

    def add(self, values: Floats) -> None:
        nan = np.isnan(values)
        present = values[~nan] if nan.any() else values
        self.missing += values.size - present.size
        n = present.size
        if n == 0:
            return
        mean = float(present.mean())
        centred = _scratch(n, np.float64)
        np.subtract(present, mean, out=centred)
        m2 = float(np.dot(centred, centred))
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.low = min(self.low, float(present.min()))
        self.high = max(self.high, float(present.max()))
        if self.few is not None:
            # A sample first: a continuous column shows more than FEW_VALUES values at once.
            sample = np.unique(present[: FEW_VALUES * 1000]).tolist()
            if len(set(self.few) | set(sample)) <= FEW_VALUES:
                distinct, counts = np.unique(present, return_counts=True)
                if len(set(self.few) | set(distinct.tolist())) <= FEW_VALUES:
                    self.few.update(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
                else:
                    self.few = None
            else:
                self.few = None
        if self.kept is not None:
            if self.count <= _KEEP:
                self.kept.append(present)
            else:
                self.kept = None

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0

    def values(self) -> Floats | None:
        if self.kept is None:
            return None
        return np.concatenate(self.kept) if self.kept else np.empty(0)

    def add_histogram(self, values: Floats, low: float, width: float) -> None:
        nan = np.isnan(values)
        present = values[~nan] if nan.any() else values
        scaled = _scratch(present.size, np.float64)
        np.subtract(present, low, out=scaled)
        scaled *= 1 / width
        index = _scratch(present.size, np.intp)
        np.copyto(index, scaled, casting="unsafe")
        np.clip(index, 0, BINS - 1, out=index)
        counts = np.bincount(index, minlength=BINS)
        self.hist = counts if self.hist is None else self.hist + counts

    def add_ks(self, values: Floats, reference: Floats) -> None:
        present = values[~np.isnan(values)]
        left = np.searchsorted(reference, present, side="left")
        right = np.searchsorted(reference, present, side="right")
        # Values equal to reference[i] land in at[i]; values between reference[i-1] and
        # reference[i] count below reference[i].
        below = np.bincount(left, minlength=reference.size + 1)
        at = np.bincount(left[right > left], minlength=reference.size + 1)
        self.below = below if self.below is None else self.below + below
        self.at = at if self.at is None else self.at + at


class _Categorical:
    """A categorical column of one file: value counts."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.missing = 0

    def add(self, values: Any) -> None:
        if isinstance(values, np.ndarray):
            present = values[values != np.array(None)]
            self.missing += values.size - present.size
            distinct, counts = np.unique(present.astype(str), return_counts=True)
            self.counts.update(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
            return
        import pyarrow.compute as pc

        self.missing += values.null_count
        for item in pc.value_counts(values).to_pylist():
            if item["values"] is not None:
                self.counts[item["values"]] += item["counts"]

    @property
    def count(self) -> int:
        return sum(self.counts.values())


# --------------------------------------------------------------------------- the tests


def _p_value_test(
    ref: Mapping[Any, int], cur: Mapping[Any, int]
) -> tuple[Literal["z", "chisquare"], float]:
    """Categories, small reference: z-test of proportions (≤ 2 values) or chi-square."""
    keys = sorted(set(ref) | set(cur), key=str)
    r = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    c = np.array([cur.get(k, 0) for k in keys], dtype=np.float64)
    n_r, n_c = r.sum(), c.sum()
    if len(keys) <= 2:
        if len(keys) < 2:
            return "z", 1.0
        pooled = (r[0] + c[0]) / (n_r + n_c)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_r + 1 / n_c))
        z = (r[0] / n_r - c[0] / n_c) / se
        from scipy import stats

        return "z", float(2 * stats.norm.sf(abs(z)))
    # Homogeneity of the 2 x k table: both samples vary (a goodness-of-fit test against
    # the reference's counts, as evidently runs it, flags far more than 5 % of unchanged
    # columns at p <= 0.05).
    total = r + c
    expected_r, expected_c = total * (n_r / (n_r + n_c)), total * (n_c / (n_r + n_c))
    chi2 = float(
        np.sum(np.square(r - expected_r) / expected_r + np.square(c - expected_c) / expected_c)
    )
    from scipy import stats

    return "chisquare", float(stats.chi2.sf(chi2, len(keys) - 1))


def _jensen_shannon(ref: Mapping[Any, int], cur: Mapping[Any, int]) -> float:
    keys = sorted(set(ref) | set(cur), key=str)
    r = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    c = np.array([cur.get(k, 0) for k in keys], dtype=np.float64)
    p, q = r / r.sum(), c / c.sum()
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(math.sqrt(max((kl_p + kl_q) / 2, 0.0) / math.log(2)))


def _ks_streamed(
    reference: Floats, below: npt.NDArray[np.int64], at: npt.NDArray[np.int64], m: int
) -> float:
    """KS statistic of a (sorted) small reference against counts of the current data."""
    n = reference.size
    first = np.searchsorted(reference, reference, side="left")
    last = np.searchsorted(reference, reference, side="right")
    # Current values at most / below each reference value (``below[i]`` counts the
    # values in (reference[i-1], reference[i]]; ``at`` those equal to one, by first index).
    at_most = np.cumsum(below)[:n]
    less = at_most - at[first]
    d_at = np.abs(last / n - at_most / m)
    d_before = np.abs(first / n - less / m)
    return float(max(d_at.max(), d_before.max()))


def _ks_p_value(d: float, n: int, m: int) -> float:
    big, small = sorted([float(n), float(m)], reverse=True)
    from scipy import stats

    return float(stats.kstwo.sf(d, np.round(big * small / (big + small))))


def _wasserstein_bounds(
    ref_hist: npt.NDArray[np.int64], cur_hist: npt.NDArray[np.int64], width: float
) -> tuple[float, float, float]:
    """The Wasserstein-1 distance of two histograms on one grid: (estimate, low, high).

    Within a bin each CDF lies between its values at the bin's edges, which bounds
    the integral of |F_ref - F_cur| there; the estimate takes each CDF as linear
    within the bin (values spread evenly).
    """
    a = np.concatenate(([0.0], np.cumsum(ref_hist) / ref_hist.sum()))
    b = np.concatenate(([0.0], np.cumsum(cur_hist) / cur_hist.sum()))
    d0, d1 = a[:-1] - b[:-1], a[1:] - b[1:]
    lo_d, hi_d = a[:-1] - b[1:], a[1:] - b[:-1]
    high = float(np.sum(np.maximum(np.abs(lo_d), np.abs(hi_d)))) * width
    crosses = (lo_d <= 0) & (hi_d >= 0)
    low = float(np.sum(np.where(crosses, 0.0, np.minimum(np.abs(lo_d), np.abs(hi_d))))) * width
    same_sign = d0 * d1 >= 0
    span = np.abs(d0) + np.abs(d1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = np.where(span > 0, (d0 * d0 + d1 * d1) / (2 * span), 0.0)
    estimate = float(np.sum(np.where(same_sign, span / 2, mixed))) * width
    return estimate, low, high


def _wasserstein_exact(a: Floats, b: Floats) -> float:
    """The Wasserstein-1 distance of two samples: the area between their CDFs (sorting)."""
    a, b = np.sort(a), np.sort(b)
    both = np.concatenate([a, b])
    both.sort(kind="stable")  # two sorted runs: a linear merge
    cdf_a = np.searchsorted(a, both[:-1], side="right") / a.size
    cdf_b = np.searchsorted(b, both[:-1], side="right") / b.size
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(both)))


# --------------------------------------------------------------------------- compare


def compare(
    reference: Path,
    current: Path,
    *,
    options: Options | None = None,
    reference_label: str | None = None,
    current_label: str | None = None,
) -> DriftReport:
    """Test every shared column of ``reference`` and ``current`` for drift."""
    options = options or Options()
    ref = _Source(reference, reference_label or str(reference), options.engine)
    cur = _Source(current, current_label or str(current), options.engine)
    kinds, ignored, skipped = _kinds(ref, cur, options)
    chunk_rows = options.chunk_rows
    if chunk_rows is None and _too_big(reference, current):
        chunk_rows = CHUNK_ROWS
    chunked = chunk_rows is not None

    if chunk_rows is None:
        results, ref_rows, cur_rows = _in_memory(ref, cur, kinds, options)
    else:
        results, ref_rows, cur_rows = _in_chunks(ref, cur, kinds, options, chunk_rows)
    return DriftReport(
        reference=ref.label,
        current=cur.label,
        columns=tuple(results[n] for n in kinds),
        share_threshold=options.share,
        reference_rows=ref_rows,
        current_rows=cur_rows,
        ignored=ignored,
        only_in_reference=tuple(n for n in ref.types if n not in cur.types and n not in ignored),
        only_in_current=tuple(n for n in cur.types if n not in ref.types and n not in ignored),
        skipped=skipped,
        chunked=chunked,
    )


def _check_counts(source: _Source, rows: int, name: str, acc: _Acc) -> None:
    if rows == 0:
        raise UsageError(f"{source.label}: has no rows of data")
    if acc.count == 0:
        raise UsageError(f"{source.label}: column {name} has no values (all missing)")


def _plan(r: _Acc, c: _Acc) -> tuple[str, Any] | None:
    """What pass 2 computes for a column: a histogram, a streamed KS test, or nothing."""
    if not (isinstance(r, _Numeric) and isinstance(c, _Numeric)) or _few(r, c):
        return None
    if r.count <= SMALL_SAMPLE:
        ref_values = r.values()
        assert ref_values is not None
        return ("ks", np.sort(ref_values)) if c.values() is None else None
    low, high = min(r.low, c.low), max(r.high, c.high)
    width = (high - low) / BINS if high > low else 1.0
    return "hist", (low, width)


def _second_pass(acc: _Numeric, values: Floats, plan: tuple[str, Any]) -> None:
    how, arg = plan
    if how == "hist":
        acc.add_histogram(values, *arg)
    else:
        acc.add_ks(values, arg)


def _in_memory(
    ref: _Source, cur: _Source, kinds: Mapping[str, Kind], options: Options
) -> tuple[dict[str, ColumnDrift], int, int]:
    """Column by column across both files: only one column pair is held as arrays."""
    results: dict[str, ColumnDrift] = {}
    ref_rows = cur_rows = 0
    waiting: dict[str, Any] = {}
    cur_columns = cur.columns(kinds)
    for name, a in ref.columns(kinds):
        while name not in waiting:
            other, values = next(cur_columns)
            waiting[other] = values
        b = waiting.pop(name)
        ref_rows, cur_rows = len(a), len(b)
        r: _Acc = _Numeric() if kinds[name] == "numeric" else _Categorical()
        c: _Acc = _Numeric() if kinds[name] == "numeric" else _Categorical()
        r.add(a)
        _check_counts(ref, ref_rows, name, r)
        c.add(b)
        _check_counts(cur, cur_rows, name, c)
        plan = _plan(r, c)
        if plan is not None:
            assert isinstance(r, _Numeric) and isinstance(c, _Numeric)
            if plan[0] == "hist":
                _second_pass(r, a, plan)
            _second_pass(c, b, plan)

        def exact(_: str, a: Any = a, b: Any = b) -> float | None:
            return _wasserstein_exact(a[~np.isnan(a)], b[~np.isnan(b)])

        results[name] = _column_drift(name, kinds[name], r, c, options, plan, exact)
        del a, b, r, c
    return results, ref_rows, cur_rows


def _in_chunks(
    ref: _Source, cur: _Source, kinds: Mapping[str, Kind], options: Options, chunk_rows: int
) -> tuple[dict[str, ColumnDrift], int, int]:
    """Files read in chunks, twice: moments, ranges and counts; then histograms."""
    ref_cols, ref_rows = _pass_one(ref, kinds, chunk_rows)
    cur_cols, cur_rows = _pass_one(cur, kinds, chunk_rows)
    for source, cols, rows in ((ref, ref_cols, ref_rows), (cur, cur_cols, cur_rows)):
        for name, acc in cols.items():
            _check_counts(source, rows, name, acc)
    plans = {n: p for n in kinds if (p := _plan(ref_cols[n], cur_cols[n])) is not None}
    if plans:
        _pass_two(ref, ref_cols, plans, kinds, chunk_rows, reference_side=True)
        _pass_two(cur, cur_cols, plans, kinds, chunk_rows, reference_side=False)
    results = {
        name: _column_drift(
            name, kind, ref_cols[name], cur_cols[name], options, plans.get(name), lambda _: None
        )
        for name, kind in kinds.items()
    }
    return results, ref_rows, cur_rows


def _kinds(
    ref: _Source, cur: _Source, options: Options
) -> tuple[dict[str, Kind], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Which columns to test and as what: declared, else detected from both files."""
    for name in options.columns:
        for source in (ref, cur):
            if name not in source.types:
                raise UsageError(
                    f"{source.label}: has no column {name} (declared in trigger.drift.columns; "
                    f"its columns: {', '.join(list(source.types)[:20])})"
                )
        if name in options.ignore:
            raise UsageError(f"column {name} is both declared and ignored; keep one")
    common = [n for n in ref.types if n in cur.types]
    ignored = tuple(n for n in options.ignore if n in ref.types or n in cur.types)
    if not [n for n in common if n not in options.ignore]:
        raise UsageError(
            f"{ref.label} and {cur.label} have no column in common to compare "
            f"(reference: {', '.join(list(ref.types)[:10]) or 'none'}; "
            f"current: {', '.join(list(cur.types)[:10]) or 'none'})"
        )
    kinds: dict[str, Kind] = {}
    skipped: list[tuple[str, str]] = []
    for name in common:
        if name in options.ignore:
            continue
        declared = options.columns.get(name, ColumnOptions()).kind
        r, c = ref.types[name], cur.types[name]
        for source, t in ((ref, r), (cur, c)):
            if t == "null":
                if not source.has_rows():
                    raise UsageError(f"{source.label}: has no rows of data")
                raise UsageError(f"{source.label}: column {name} has no values (all missing)")
        if declared is not None:
            kinds[name] = declared
            continue
        if r == "other" or c == "other":
            skipped.append((name, "neither numbers nor categories (a date or time?)"))
            continue
        if r != c:
            raise UsageError(
                f"column {name} is {r} in {ref.label} but {c} in {cur.label}; fix the data or "
                f"declare its type (trigger.drift.columns.{name}.type)"
            )
        kinds[name] = "numeric" if r == "numeric" else "categorical"
    if not kinds:
        raise UsageError(
            f"{ref.label} and {cur.label}: no column left to compare "
            f"({'; '.join(f'{n}: {why}' for n, why in skipped)})"
        )
    return kinds, ignored, tuple(skipped)


def _too_big(*paths: Path) -> bool:
    """Whether the files (roughly their in-memory size) exceed a quarter of available memory."""
    size = sum(p.stat().st_size for p in paths)
    available = 8 << 30
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    return size * 2 > available // 4


_Acc = _Numeric | _Categorical


def _pass_one(
    source: _Source, kinds: Mapping[str, Kind], chunk_rows: int
) -> tuple[dict[str, _Acc], int]:
    """Moments, ranges and category counts of every column, chunk by chunk."""
    cols: dict[str, _Acc] = {
        n: _Numeric() if k == "numeric" else _Categorical() for n, k in kinds.items()
    }
    rows = 0
    for batch in source.batches(kinds, chunk_rows):
        rows += len(next(iter(batch.values())))
        for name, values in batch.items():
            cols[name].add(values)
    return cols, rows


def _pass_two(
    source: _Source,
    cols: Mapping[str, _Acc],
    plans: Mapping[str, tuple[str, Any]],
    kinds: Mapping[str, Kind],
    chunk_rows: int,
    *,
    reference_side: bool,
) -> None:
    """Histograms of large numeric columns; the current side of a streamed KS test."""
    wanted = {n: kinds[n] for n, (how, _) in plans.items() if how == "hist" or not reference_side}
    if not wanted:
        return
    for batch in source.batches(wanted, chunk_rows):
        for name, values in batch.items():
            acc = cols[name]
            assert isinstance(acc, _Numeric)
            _second_pass(acc, values, plans[name])


def _column_drift(
    name: str,
    kind: Kind,
    r: _Acc,
    c: _Acc,
    options: Options,
    plan: tuple[str, Any] | None,
    exact: Callable[[str], float | None],
) -> ColumnDrift:
    declared = options.columns.get(name, ColumnOptions())
    p_threshold = declared.p_value if declared.p_value is not None else options.p_value
    d_threshold = declared.distance if declared.distance is not None else options.distance
    common: dict[str, Any] = {
        "column": name,
        "kind": kind,
        "reference_values": r.count,
        "current_values": c.count,
        "reference_missing": r.missing,
        "current_missing": c.missing,
    }
    if isinstance(r, _Categorical) or isinstance(c, _Categorical):
        assert isinstance(r, _Categorical) and isinstance(c, _Categorical)
        new = sorted(k for k in c.counts if k not in r.counts)
        extra: dict[str, Any] = {
            "new_categories": tuple(new[:_LISTED_CATEGORIES]),
            "new_category_count": len(new),
            "new_category_share": sum(c.counts[k] for k in new) / c.count,
        }
        return _by_counts(r.counts, c.counts, r.count, p_threshold, d_threshold, common, extra)
    assert isinstance(r, _Numeric) and isinstance(c, _Numeric)
    if _few(r, c):
        assert r.few is not None and c.few is not None
        return _by_counts(r.few, c.few, r.count, p_threshold, d_threshold, common, {})
    if r.count <= SMALL_SAMPLE:
        ref_values, cur_values = r.values(), c.values()
        assert ref_values is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if cur_values is not None:
                from scipy import stats

                p = float(stats.ks_2samp(ref_values, cur_values).pvalue)
            else:
                assert plan is not None and c.below is not None and c.at is not None
                d = _ks_streamed(plan[1], c.below, c.at, c.count)
                p = _ks_p_value(d, r.count, c.count)
        return ColumnDrift(
            **common, test="ks", statistic=p, threshold=p_threshold, drifted=p <= p_threshold
        )
    assert plan is not None and r.hist is not None and c.hist is not None
    norm = max(r.std, 0.001)
    estimate, low, high = _wasserstein_bounds(r.hist, c.hist, plan[1][1])
    estimate, low, high = estimate / norm, low / norm, high / norm
    bound = 0.0
    approximate = False
    value = estimate
    if low < d_threshold <= high:
        exact_value = exact(name)
        if exact_value is not None:
            value = exact_value / norm
        else:
            approximate = True
            bound = max(estimate - low, high - estimate)
    return ColumnDrift(
        **common,
        test="wasserstein",
        statistic=value,
        threshold=d_threshold,
        drifted=value >= d_threshold,
        error_bound=bound,
        approximate=approximate,
    )


def _few(r: _Numeric, c: _Numeric) -> bool:
    """A numeric column with at most FEW_VALUES distinct values in both files together."""
    return r.few is not None and c.few is not None and len(set(r.few) | set(c.few)) <= FEW_VALUES


def _by_counts(
    ref: Mapping[Any, int],
    cur: Mapping[Any, int],
    ref_count: int,
    p_threshold: float,
    d_threshold: float,
    common: dict[str, Any],
    extra: dict[str, Any],
) -> ColumnDrift:
    """Categories (or a numeric column of few values): p-value test if small, else JS."""
    if ref_count <= SMALL_SAMPLE:
        test, p = _p_value_test(ref, cur)
        return ColumnDrift(
            **common,
            **extra,
            test=test,
            statistic=p,
            threshold=p_threshold,
            drifted=p <= p_threshold,
        )
    js = _jensen_shannon(ref, cur)
    return ColumnDrift(
        **common,
        **extra,
        test="jensenshannon",
        statistic=js,
        threshold=d_threshold,
        drifted=js >= d_threshold,
    )


__all__ = [
    "DISTANCE",
    "P_VALUE",
    "SHARE",
    "SMALL_SAMPLE",
    "ColumnDrift",
    "ColumnOptions",
    "DriftReport",
    "Options",
    "compare",
]
