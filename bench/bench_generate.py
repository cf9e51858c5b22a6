"""Benchmark: ``mlci generate`` / ``mlci check`` against ``copier copy`` / ``copier update``.

Every measurement is a whole, fresh process (a new Python interpreter each run, as
a pre-commit hook or a CI step starts it); the OS file cache is warm. Both tools
run as ``python -m <tool>`` so neither pays for a shell shim. The copier template
renders the same two workflows mlci generates (taken from mlci's own rendering,
with the train command, the Python version and the retrain cron as questions),
with mlci's ``[[ ]]`` / ``[% %]`` delimiters so GitHub's ``${{ }}`` passes through.

Usage::

    python bench/bench_generate.py                 # print the table
    python bench/bench_generate.py --runs 21 --write docs/benchmarks.md

Needs ``copier`` (``pip install copier``) and git.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

PY = sys.executable
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("MLCI_", "GITHUB_"))},
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
WORKFLOWS = (".github/workflows/ml-pipeline.yml", ".github/workflows/continuous-training.yml")


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds one whole process takes; fails loudly if the command fails."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=env or ENV, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)


def ml_repo(root: Path) -> Path:
    repo = root / "ml-repo"
    for rel, text in {
        "requirements.txt": "scikit-learn>=1.4\n",
        ".python-version": "3.11\n",
        "train.py": "print('training')\n",
        "tests/unit/test_ok.py": "def test_ok():\n    assert True\n",
        "data/.gitkeep": "",
    }.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ml project")
    run([PY, "-m", "mlci", "init", "--yes"], repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "mlci init")
    return repo


def copier_template(root: Path, repo: Path) -> Path:
    """A copier template of the same two workflows; v1.0.0 and v1.1.0 differ in one line."""
    template = root / "copier-template"
    (template / ".github" / "workflows").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "_envops:\n"
        '  block_start_string: "[%"\n  block_end_string: "%]"\n'
        '  variable_start_string: "[["\n  variable_end_string: "]]"\n'
        '  comment_start_string: "[#"\n  comment_end_string: "#]"\n'
        "train_command:\n  type: str\n  default: python train.py\n"
        "python_version:\n  type: str\n  default: '3.11'\n"
        "retrain_cron:\n  type: str\n  default: '0 4 * * *'\n"
    )
    for rel in WORKFLOWS:
        text = (repo / rel).read_text()
        text = text.replace("run: python train.py", "run: [[ train_command ]]")
        text = text.replace('python-version: "3.11"', 'python-version: "[[ python_version ]]"')
        text = text.replace('cron: "0 4 * * *"', 'cron: "[[ retrain_cron ]]"')
        (template / f"{rel}.jinja").write_text(text)
    (template / "[[ _copier_conf.answers_file ]].jinja").write_text(
        "# Changes here will be overwritten by Copier\n[[ _copier_answers|to_nice_yaml ]]"
    )
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "v1.0.0")
    git(template, "tag", "v1.0.0")
    pipeline = template / f"{WORKFLOWS[0]}.jinja"
    pipeline.write_text(pipeline.read_text().replace("timeout-minutes: 10", "timeout-minutes: 12"))
    git(template, "commit", "-q", "-am", "v1.1.0")
    git(template, "tag", "v1.1.0")
    return template


def measure(runs: int, once: Callable[[int], float]) -> list[float]:
    once(-1)  # warm the file cache and any compiled bytecode; not counted
    return [once(i) for i in range(runs)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per measurement (odd)")
    parser.add_argument("--write", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        raise SystemExit("git is needed")
    if subprocess.run([PY, "-m", "copier", "--version"], capture_output=True).returncode:
        raise SystemExit("copier is not installed: pip install copier")

    with tempfile.TemporaryDirectory(prefix="mlci-bench-") as tmp:
        root = Path(tmp)
        repo = ml_repo(root)
        template = copier_template(root, repo)
        config = repo / "mlci.yaml"
        original = config.read_text()
        edited = original.replace("command: python train.py", "command: python train.py --fast")
        assert edited != original
        slow_env = {**ENV, "MLCI_NO_FAST_CHECK": "1"}

        def generate_changed(i: int) -> float:
            config.write_text(edited if i % 2 == 0 else original)
            return run([PY, "-m", "mlci", "generate"], repo)

        def copier_copy(i: int) -> float:
            dst = root / f"copy-{i + 1}"
            return run(
                [
                    PY,
                    "-m",
                    "copier",
                    "copy",
                    "--defaults",
                    "--quiet",
                    "-r",
                    "v1.0.0",
                    str(template),
                    str(dst),
                ],
                root,
            )

        def copier_update(i: int) -> float:
            dst = root / f"update-{i + 1}"
            run(
                [
                    PY,
                    "-m",
                    "copier",
                    "copy",
                    "--defaults",
                    "--quiet",
                    "-r",
                    "v1.0.0",
                    str(template),
                    str(dst),
                ],
                root,
            )
            git(dst, "init", "-q", "-b", "main")
            git(dst, "add", "-A")
            git(dst, "commit", "-q", "-m", "copied")
            return run([PY, "-m", "copier", "update", "--defaults", "--quiet", "-r", "v1.1.0"], dst)

        config.write_text(original)
        run([PY, "-m", "mlci", "generate"], repo)
        rows: list[tuple[str, list[float]]] = [
            (
                "`mlci check` (nothing changed: fast path)",
                measure(args.runs, lambda i: run([PY, "-m", "mlci", "check"], repo)),
            ),
            (
                "`mlci check` (full check: render and compare)",
                measure(args.runs, lambda i: run([PY, "-m", "mlci", "check"], repo, env=slow_env)),
            ),
            (
                "`mlci generate` (nothing changed)",
                measure(args.runs, lambda i: run([PY, "-m", "mlci", "generate"], repo)),
            ),
            (
                "`mlci generate` (config changed: render + write)",
                measure(args.runs, generate_changed),
            ),
            ("`copier copy` (2 workflows)", measure(args.runs, copier_copy)),
            (
                "`copier update` (2 workflows, one template change)",
                measure(args.runs, copier_update),
            ),
            (
                "`python -c pass` (interpreter start, for scale)",
                measure(args.runs, lambda i: run([PY, "-c", "pass"], repo)),
            ),
        ]
        config.write_text(original)

    medians = {name: statistics.median(times) for name, times in rows}
    check_fast = medians[rows[0][0]]
    generate_changed_median = medians[rows[3][0]]
    copy_median = medians[rows[4][0]]
    update_median = medians[rows[5][0]]
    lines = [
        "| command | median | min | max |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {statistics.median(t) * 1000:.0f} ms | {min(t) * 1000:.0f} ms "
            f"| {max(t) * 1000:.0f} ms |"
            for name, t in rows
        ),
        "",
        f"* `copier update` / `mlci check` (fast): **{update_median / check_fast:.1f}x**",
        f"* `copier update` / `mlci generate` (config changed): "
        f"**{update_median / generate_changed_median:.1f}x**",
        f"* `copier copy` / `mlci generate` (config changed): "
        f"**{copy_median / generate_changed_median:.1f}x**",
        "",
        f"{args.runs} runs each, whole processes; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"copier {copier_version()}.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        report = args.write.read_text() if args.write.exists() else ""
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        if start in report and end in report:
            head, rest = report.split(start, 1)
            report = f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"
        else:
            report = f"{report}{start}\n{table}\n{end}\n"
        args.write.write_text(report)
    return 0


def copier_version() -> str:
    proc = subprocess.run([PY, "-m", "copier", "--version"], capture_output=True, text=True)
    return proc.stdout.strip().split()[-1]


if __name__ == "__main__":
    raise SystemExit(main())
