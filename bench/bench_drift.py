"""Data drift on 1,000,000 rows: mlci against evidently's DataDriftPreset, side by side.

The data: 1,000,000 rows x 20 numeric columns (x0-x2 shifted by 0.1, 0.2 and
0.3 standard deviations in the current data) and 5 categorical columns (c0 gets
a new category in 20 % of the current rows), fixed seed, written once as
Parquet (and CSV) under --data.

Each tool runs as a whole, fresh process on the same files: wall time, CPU time
and peak RSS (``ru_maxrss`` of the child) are measured from outside, and each
process prints the columns it flags. evidently needs pandas < 3, so it runs from
its own virtualenv (--evidently-python); the third process is the plain
approach, a per-column SciPy loop (``ks_2samp``/``wasserstein_distance``/
``jensenshannon`` on pandas columns).

    python -m venv /tmp/evidently-venv
    /tmp/evidently-venv/bin/pip install 'evidently==0.7.23' 'pandas<3' pyarrow
    python bench/bench_drift.py --evidently-python /tmp/evidently-venv/bin/python \\
        --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROWS = 1_000_000
SHIFTS = {"x0": 0.1, "x1": 0.2, "x2": 0.3}
START, END = "<!-- bench-drift:start -->", "<!-- bench-drift:end -->"

MLCI = """
import json, sys
from pathlib import Path
from mlci import drift
report = drift.compare(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps(list(report.drifted_columns)))
"""

EVIDENTLY = """
import json, sys
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current, reference)
flagged = []
for metric in snapshot.dict()["metrics"]:
    config = metric["config"]
    if not config["type"].endswith("ValueDrift"):
        continue
    p_value = "p_value" in config["method"]
    value, threshold = metric["value"], config["threshold"]
    if (value < threshold) if p_value else (value >= threshold):
        flagged.append(config["column"])
order = list(reference.columns)
print(json.dumps(sorted(flagged, key=order.index)))
"""

SCIPY_LOOP = """
import json, sys
import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
flagged = []
for column in reference.columns:
    r, c = reference[column].dropna(), current[column].dropna()
    if pd.api.types.is_numeric_dtype(r):
        value = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
    else:
        keys = sorted(set(r) | set(c))
        p = r.value_counts().reindex(keys, fill_value=0).to_numpy() / len(r)
        q = c.value_counts().reindex(keys, fill_value=0).to_numpy() / len(c)
        value = distance.jensenshannon(p, q, base=2)
    if value >= 0.1:
        flagged.append(column)
print(json.dumps(flagged))
"""


def make_data(folder: Path) -> tuple[Path, Path]:
    """Write (once) the reference and current data sets as Parquet and CSV."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    reference, current = folder / "reference.parquet", folder / "current.parquet"
    if reference.exists() and current.exists():
        return reference, current
    rng = np.random.default_rng(12)
    colours = np.array(["red", "green", "blue", "cyan", "pink"], dtype=object)
    for path, drifted in ((reference, False), (current, True)):
        columns: dict[str, object] = {}
        for i in range(20):
            name = f"x{i}"
            values = rng.normal(50 + i, 1 + i / 10, ROWS)
            if drifted and name in SHIFTS:
                values += SHIFTS[name] * (1 + i / 10)
            columns[name] = values
        for j in range(5):
            values = colours[rng.integers(0, 5, ROWS)]
            if drifted and j == 0:
                values[rng.random(ROWS) < 0.2] = "violet"
            columns[f"c{j}"] = values
        table = pa.table(columns)
        pq.write_table(table, path)
        pacsv.write_csv(table, path.with_suffix(".csv"))
    return reference, current


def in_memory_size(*paths: Path) -> int:
    """Bytes of the data sets in memory (Arrow: float64 columns, string categories)."""
    import pyarrow.parquet as pq

    return sum(pq.read_table(p).nbytes for p in paths)


def run(command: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """Run one whole process; its wall and CPU time, peak RSS and flagged columns."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{err}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss * 1024,
        "flagged": json.loads(out.strip().splitlines()[-1]),
    }


def main() -> int:
    if sys.argv[1:2] == ["--prepare"]:
        reference, current = make_data(Path(sys.argv[2]))
        print(reference, current, in_memory_size(reference, current))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/mlci-bench-drift"))
    parser.add_argument("--evidently-python", help="python of a venv with evidently installed")
    parser.add_argument("--runs", type=int, default=1, help="runs of mlci (the median is shown)")
    parser.add_argument("--write", type=Path, help="replace the results in this markdown file")
    args = parser.parse_args()

    # Data and its size in a child process: a child's peak RSS (ru_maxrss) starts from
    # the parent's, so the parent stays small (no NumPy, no pyarrow, no data).
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare", str(args.data)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    reference, current, size = Path(prepared[0]), Path(prepared[1]), int(prepared[2])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    rows: list[tuple[str, dict[str, object]]] = []
    mlci_runs = [run([sys.executable, "-c", MLCI, str(reference), str(current)], env)]
    for _ in range(args.runs - 1):
        mlci_runs.append(run([sys.executable, "-c", MLCI, str(reference), str(current)], env))
    mlci_runs.sort(key=lambda r: float(r["wall"]))  # type: ignore[arg-type]
    rows.append(("mlci (Parquet)", mlci_runs[len(mlci_runs) // 2]))
    rows.append(
        (
            "mlci (CSV, pyarrow reader)",
            run(
                [
                    sys.executable,
                    "-c",
                    MLCI,
                    str(reference.with_suffix(".csv")),
                    str(current.with_suffix(".csv")),
                ],
                env,
            ),
        )
    )
    if args.evidently_python:
        rows.append(
            (
                "evidently 0.7 DataDriftPreset",
                run([args.evidently_python, "-c", EVIDENTLY, str(reference), str(current)]),
            )
        )
        rows.append(
            (
                "per-column SciPy loop",
                run([args.evidently_python, "-c", SCIPY_LOOP, str(reference), str(current)]),
            )
        )
    base = rows[0][1]
    lines = [
        f"Data: {ROWS:,} rows x 25 columns, twice; in memory {size / 2**20:,.0f} MiB "
        f"(both data sets, Arrow). Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average at the start "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| process | wall | CPU | peak RSS | RSS ÷ data | flagged columns | vs mlci (wall / CPU) |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, r in rows:
        wall, cpu, rss = float(r["wall"]), float(r["cpu"]), int(r["rss"])  # type: ignore[arg-type]
        ratio = (
            "—"
            if r is base
            else f"{wall / float(base['wall']):.0f}x / {cpu / float(base['cpu']):.0f}x"  # type: ignore[arg-type]
        )
        flagged = ", ".join(r["flagged"]) or "none"  # type: ignore[arg-type]
        lines.append(
            f"| {name} | {wall:.1f} s | {cpu:.1f} s | {rss / 2**20:,.0f} MiB | "
            f"{rss / size:.2f} | {flagged} | {ratio} |"
        )
    same = all(r["flagged"] == base["flagged"] for _, r in rows)
    lines += ["", f"Same columns flagged by every process: {'yes' if same else 'NO'}."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        text = args.write.read_text()
        if START in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1]
            text = f"{head}{START}\n{table}\n{END}{tail}"
        else:
            text += f"\n{START}\n{table}\n{END}\n"
        args.write.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
