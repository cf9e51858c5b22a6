"""Benchmark: what an mlci action costs a job before it does anything — installing mlci
into its private virtual environment (``actions/install-mlci.sh``) and running a no-op
command — with pip (the old path, ``MLCI_INSTALLER=pip``) against uv (the default).

Every figure is whole processes, as a job step runs them: ``bash install-mlci.sh`` then
``mlci --version``. *Cold* is a fresh runner: a new ``$RUNNER_TEMP``, no pip or uv cache
(``PIP_NO_CACHE_DIR=1``, caches under a fresh ``XDG_CACHE_HOME``), every package downloaded
from PyPI. *Warm* is the next mlci action in the same job (same ``$RUNNER_TEMP``). The two
installers alternate within each round so both see the same machine load. Wall time is
what a job waits; CPU time (user + system of all processes) shows the work when the
machine is shared.

Usage::

    python bench/bench_actions.py                          # print the table
    python bench/bench_actions.py --runs 5 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "actions" / "install-mlci.sh"
INSTALLERS = ("pip", "uv")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one whole process; fails loudly."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return wall, children_cpu() - cpu, proc.stdout.strip()


def fresh_env(tmp: Path, installer: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLCI_", "GITHUB_", "RUNNER_", "UV_", "VIRTUAL_ENV"))
    }
    env.update(
        RUNNER_TEMP=str(tmp / "runner-temp"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        PIP_NO_CACHE_DIR="1",
        MLCI_INSTALLER=installer,
    )
    (tmp / "runner-temp").mkdir()
    return env


def one_round(installer: str, extras: str) -> dict[str, tuple[float, float]]:
    """Cold install + no-op, then warm install + no-op, in a fresh runner temp dir."""
    with tempfile.TemporaryDirectory(prefix="mlci-bench-actions-") as tmp:
        env = fresh_env(Path(tmp), installer)
        args = ["bash", str(INSTALL), *([extras] if extras else [])]
        install_wall, install_cpu, mlci = timed(args, env)
        noop_wall, noop_cpu, _ = timed([mlci, "--version"], env)
        warm_wall, warm_cpu, again = timed(args, env)
        assert again == mlci, (again, mlci)
        warm_noop_wall, warm_noop_cpu, _ = timed([mlci, "--version"], env)
        return {
            "cold install": (install_wall, install_cpu),
            "cold install + no-op": (install_wall + noop_wall, install_cpu + noop_cpu),
            "warm install + no-op": (warm_wall + warm_noop_wall, warm_cpu + warm_noop_cpu),
            "no-op (`mlci --version`)": (warm_noop_wall, warm_noop_cpu),
        }


def uv_version() -> str:
    text = (ROOT / "actions" / "uv-requirements.txt").read_text()
    match = re.search(r"/uv-(\d+\.\d+\.\d+)-py3", text)
    assert match is not None
    return match.group(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds per installer")
    parser.add_argument("--extras", default="", help="mlci extras to install, e.g. mlflow")
    parser.add_argument("--write", type=Path, help="also write the table into this page")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, list[tuple[float, float]]]] = {i: {} for i in INSTALLERS}
    for n in range(args.runs):
        for installer in INSTALLERS if n % 2 == 0 else reversed(INSTALLERS):
            for name, figure in one_round(installer, args.extras).items():
                results[installer].setdefault(name, []).append(figure)
            print(f"round {n + 1}/{args.runs}: {installer} done", file=sys.stderr)

    def median(installer: str, name: str, index: int) -> float:
        return statistics.median(f[index] for f in results[installer][name])

    extras = f" with `[{args.extras}]`" if args.extras else ""
    lines = [
        f"| step{extras} | pip: wall | uv: wall | pip / uv | pip: CPU | uv: CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in results["pip"]:
        pip_wall, uv_wall = median("pip", name, 0), median("uv", name, 0)
        lines.append(
            f"| {name} | {pip_wall:.2f} s | {uv_wall:.2f} s | {pip_wall / uv_wall:.1f}x "
            f"| {median('pip', name, 1):.2f} s | {median('uv', name, 1):.2f} s |"
        )
    load = os.getloadavg()[0]
    lines += [
        "",
        f"Medians of {args.runs} rounds, whole processes; uv {uv_version()}; Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end (a shared machine).",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        marker = f"actions{'-' + args.extras if args.extras else ''}"
        start, end = f"<!-- bench:{marker}:start -->", f"<!-- bench:{marker}:end -->"
        report = args.write.read_text()
        if start in report and end in report:
            head, rest = report.split(start, 1)
            report = f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"
        else:
            report = f"{report.rstrip()}\n\n{start}\n{table}\n{end}\n"
        args.write.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
