"""``mlci check``'s fast path: the same answers as the full check, without the heavy imports.

The property test edits a generated repository at random (hand edits, conflict
markers, deleted files, edits of the config, of ``.mlci/`` and of the headers)
and compares the fast path with the full check in-process; the subprocess tests
show the real command takes the fast path and imports nothing heavy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import clean_env, git, make_ml_repo, run_mlci
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci import state, update

PIPELINE = ".github/workflows/ml-pipeline.yml"
TRAINING = ".github/workflows/continuous-training.yml"
ZIZMOR = ".github/zizmor.yml"
HEAVY = ("click", "jinja2", "ruamel", "pydantic", "yaml")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = tmp_path_factory.mktemp("generated")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q",
        "--allow-empty", "-m", "initial")  # fmt: skip
    make_ml_repo(repo)
    proc = run_mlci("init", "--yes", "--train-command", "python train.py", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    yield repo


def imported_modules(stderr: str) -> set[str]:
    """Top-level package names from ``python -X importtime`` output."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def run_check(repo: Path, *, fast: bool) -> tuple[int, str, str, set[str]]:
    env = clean_env(None if fast else {"MLCI_NO_FAST_CHECK": "1"})
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlci", "check"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = proc.stderr.splitlines(keepends=True)
    stderr = "".join(line for line in lines if not line.startswith("import time:"))
    return proc.returncode, proc.stdout, stderr, imported_modules(proc.stderr)


def test_unchanged_repo_is_answered_without_heavy_imports(generated: Path) -> None:
    code, out, err, modules = run_check(generated, fast=True)
    assert (code, out, err) == (0, "generated files are up to date\n", "")
    assert not modules.intersection(HEAVY), sorted(modules.intersection(HEAVY))
    slow = run_check(generated, fast=False)
    assert slow[:3] == (code, out, err)
    assert {"jinja2", "click"} <= slow[3], "the slow path really renders"


def test_hand_edits_and_deletions_are_answered_fast_too(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo, symlinks=True)
    text = (repo / PIPELINE).read_text()
    (repo / PIPELINE).write_text(text.replace("    name: Lint and test\n", "    name: Mine\n"))
    (repo / TRAINING).unlink()
    fast = run_check(repo, fast=True)
    slow = run_check(repo, fast=False)
    assert fast[:3] == slow[:3]
    assert fast[0] == 0 and f"hand edits kept in: {PIPELINE}" in fast[1]
    assert f"deleted by you and not regenerated: {TRAINING}" in fast[1]
    assert not fast[3].intersection(HEAVY)


def test_a_changed_config_falls_through_to_the_full_check(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo, symlinks=True)
    config = repo / "mlci.yaml"
    text = config.read_text()
    assert "  timeout_minutes: 120\n" in text
    config.write_text(text.replace("  timeout_minutes: 120\n", "  timeout_minutes: 90\n"))
    fast = run_check(repo, fast=True)
    assert fast[0] == 1 and f"{PIPELINE}: stale" in fast[2]
    assert "jinja2" in fast[3]
    assert fast[:3] == run_check(repo, fast=False)[:3]


# --------------------------------------------------------------------------- property

FILES = (PIPELINE, TRAINING, ZIZMOR)

edit_ops = st.one_of(
    st.tuples(
        st.just("replace-line"),
        st.sampled_from(FILES),
        st.integers(0, 400),
        st.text(alphabet="abc: -#", max_size=12),
    ),
    st.tuples(
        st.just("insert-line"),
        st.sampled_from(FILES),
        st.integers(0, 400),
        st.text(alphabet="xyz: #", max_size=12),
    ),
    st.tuples(st.just("delete-file"), st.sampled_from(FILES), st.just(0), st.just("")),
    st.tuples(st.just("markers"), st.sampled_from(FILES), st.integers(4, 400), st.just("")),
    st.tuples(st.just("header"), st.sampled_from(FILES), st.integers(0, 2), st.just("x")),
    st.tuples(st.just("crlf"), st.sampled_from(FILES), st.just(0), st.just("")),
    st.tuples(st.just("config-comment"), st.just("mlci.yaml"), st.just(0), st.just("")),
    st.tuples(st.just("config-change"), st.just("mlci.yaml"), st.just(0), st.just("")),
    st.tuples(st.just("base"), st.sampled_from(FILES), st.integers(0, 400), st.just("b")),
    st.tuples(st.just("manifest-version"), st.just(""), st.just(0), st.just("")),
    st.tuples(st.just("lock"), st.just(""), st.just(0), st.just("")),
)

BENIGN = {"replace-line", "insert-line", "delete-file"}


def apply_edit(repo: Path, op: tuple[str, str, int, str]) -> None:
    kind, rel, index, text = op
    path = repo / rel
    if kind == "manifest-version":
        manifest = repo / state.MANIFEST
        manifest.write_text(manifest.read_text().replace('"mlci": "', '"mlci": "0.0.0.', 1))
        return
    if kind == "lock":
        (repo / state.LOCK).write_text('{"actions": {}}\n')
        return
    if kind == "base":
        path = repo / state.base_rel(rel)
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    at = index % (len(lines) + 1)
    if kind in {"replace-line", "base"} and lines:
        lines[at % len(lines)] = f"{text}\n"
    elif kind == "insert-line":
        lines.insert(at, f"{text}\n")
    elif kind == "delete-file":
        path.unlink()
        return
    elif kind == "markers":
        lines[at:at] = ["<<<<<<< ours\n", "a: 1\n", "=======\n", "a: 2\n", ">>>>>>> theirs\n"]
    elif kind == "header":
        lines[index] = lines[index].rstrip("\n") + f" {text}\n"
    elif kind == "crlf":
        lines = [line.replace("\n", "\r\n") for line in lines]
    elif kind == "config-comment":
        lines.append("# a comment only\n")
    elif kind == "config-change":
        lines = [line.replace("python train.py", "python fit.py") for line in lines]
    path.write_bytes("".join(lines).encode())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(edit_ops, min_size=0, max_size=3))
def test_fast_path_answers_as_the_full_check(
    generated: Path, ops: list[tuple[str, str, int, str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(generated, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        for op in ops:
            apply_edit(repo, op)
        config = repo / "mlci.yaml"
        fast = state.fast_check(config)
        try:
            slow: state.CheckReport | str = update.check(config_path=config)
        except Exception as exc:  # an exit-2 answer of the full check, e.g. a bad manifest
            slow = f"{type(exc).__name__}: {exc}"
        if fast is not None:
            assert isinstance(slow, state.CheckReport), slow
            assert slow.ok, [p.reason for p in slow.problems]
            assert fast.ok_text() == slow.ok_text()
        # the fast path is not a stub: plain hand edits and deletions are answered by it
        if all(op[0] in BENIGN for op in ops):
            touched_headers = False
            for rel in FILES:
                path = repo / rel
                base = (repo / state.base_rel(rel)).read_text()
                if path.exists() and not path.read_text().startswith(state.header_text(base)):
                    touched_headers = True
            if not touched_headers:
                assert fast is not None, ops


def test_pre_commit_hook_runs_the_fast_check(generated: Path, tmp_path: Path) -> None:
    import re
    import shlex

    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "mlci-check")
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for rel in ("mlci.yaml", PIPELINE, TRAINING, ZIZMOR, ".mlci/manifest.json"):
        assert files.search(rel), rel
    assert not files.search("src/model.py")

    repo = tmp_path / "repo"
    shutil.copytree(generated, repo, symlinks=True)
    command = shlex.split(hook["entry"])
    assert command[0] == "python"
    env = clean_env()
    ok = subprocess.run([sys.executable, *command[1:]], cwd=repo, env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    config = repo / "mlci.yaml"
    text = config.read_text()
    assert "  timeout_minutes: 120\n" in text
    config.write_text(text.replace("  timeout_minutes: 120\n", "  timeout_minutes: 90\n"))
    stale = subprocess.run([sys.executable, *command[1:]], cwd=repo, env=env, capture_output=True)
    assert stale.returncode == 1
