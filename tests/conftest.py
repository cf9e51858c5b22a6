"""Shared fixtures: real git repositories and real ``mlci`` subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import github_fake

REPO_ROOT = Path(__file__).resolve().parent.parent


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return its stdout; fail the test on error."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without GitHub Actions variables, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "MLCI_", "MLFLOW_")) and k != "CI"
    }
    env.update(
        {
            "GIT_AUTHOR_NAME": "mlci tests",
            "GIT_AUTHOR_EMAIL": "tests@mlci.invalid",
            "GIT_COMMITTER_NAME": "mlci tests",
            "GIT_COMMITTER_EMAIL": "tests@mlci.invalid",
        }
    )
    if extra:
        env.update(extra)
    return env


RunMlci = Callable[..., subprocess.CompletedProcess[str]]


def run_mlci(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mlci ARGS`` as a real subprocess in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "mlci", *args],
        cwd=cwd,
        env=clean_env(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_mlci_here(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``mlci ARGS`` as ``python -m mlci`` does, but in this process (no interpreter start).

    The same entry point (``mlci.__main__.run``: the fast ``check`` path, then the CLI and its
    error handler) with the same process-level inputs: working directory ``cwd``, the whole
    environment replaced by ``clean_env(env)``, ``stdin`` as standard input, Python's default
    warning filters (a warning prints to stderr as it would). stdout, stderr and the exit code
    come back as a CompletedProcess. What a process boundary alone proves (interpreter start,
    imports, output of child processes that inherit the terminal, signals) needs ``run_mlci``.
    ``timeout`` is accepted for the same signature and not enforced.
    """
    import io
    import warnings

    from mlci import __main__ as entry

    def stream(data: bytes = b"") -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", write_through=True)

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    out, err = stream(), stream()
    code: object = 0  # run() always exits; 0 if it ever returns
    environment = clean_env(env)  # before clearing: clean_env reads the current environment
    try:
        os.environ.clear()
        os.environ.update(environment)
        os.chdir(cwd)
        sys.argv = ["mlci", *args]
        sys.stdin, sys.stdout, sys.stderr = stream((stdin or "").encode()), out, err
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
                warnings.simplefilter("ignore", category)
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                entry.run()
            except SystemExit as exc:
                code = exc.code
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    if code is None:
        returncode = 0
    elif isinstance(code, int):
        returncode = code
    else:  # SystemExit("message"): Python prints it and exits 1
        err.write(f"{code}\n")
        returncode = 1
    return subprocess.CompletedProcess(["mlci", *args], returncode, _text(out), _text(err))


def _text(stream: object) -> str:
    import io

    assert isinstance(stream, io.TextIOWrapper)
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8")


@pytest.fixture
def mlci() -> RunMlci:
    """``mlci ARGS`` in this process (``run_mlci_here``); ``mlci_process`` for a real one.

    ``MLCI_TEST_SUBPROCESS=1`` runs every such call as a real subprocess instead.
    """
    return run_mlci if os.environ.get("MLCI_TEST_SUBPROCESS") == "1" else run_mlci_here


@pytest.fixture
def mlci_process() -> RunMlci:
    """``python -m mlci ARGS`` as a real subprocess, where the process boundary is the point."""
    return run_mlci


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository on branch main with one commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "mlci tests")
    git(repo, "config", "user.email", "tests@mlci.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "config", "tag.gpgsign", "false")
    (repo / "README.md").write_text("# example\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def make_ml_repo(repo: Path) -> Path:
    """Lay out a realistic ML repository: requirements, tests, DVC, Dockerfile, train.py."""
    files = {
        "requirements.txt": "scikit-learn>=1.4\npandas>=2.0\n",
        "requirements-dev.txt": "pytest>=8\nruff>=0.5\n",
        ".python-version": "3.11\n",
        "pyproject.toml": '[project]\nname = "churn-model"\nrequires-python = ">=3.11"\n\n[tool.ruff]\nline-length = 100\n',
        "train.py": "import json\njson.dump({'accuracy': 0.9}, open('metrics.json', 'w'))\n",
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    metrics:\n      - metrics.json\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
        "tests/unit/test_features.py": "def test_ok():\n    assert True\n",
        "tests/data/test_schema.py": "def test_ok():\n    assert True\n",
        "tests/model/test_model.py": "def test_ok():\n    assert True\n",
        "tests/integration/test_endpoint.py": "def test_ok():\n    assert True\n",
        "data/.gitkeep": "",
    }
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ml project")
    return repo


@pytest.fixture
def ml_repo(git_repo: Path) -> Path:
    """A git repository laid out like a typical ML project."""
    return make_ml_repo(git_repo)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current templates (review the diff before committing).",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def write_config(repo: Path, text: str) -> Path:
    """Write mlci.yaml into ``repo`` and return its path."""
    path = repo / "mlci.yaml"
    path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (but .git) with its bytes: to prove nothing was touched."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def run_on_config(
    repo: Path, text: str | bytes | None, commands: tuple[str, ...] = ("generate", "check")
) -> tuple[list[subprocess.CompletedProcess[str]], bool]:
    """Put ``text`` into ``repo``/mlci.yaml (None: a directory in its place), run each of
    ``commands`` there as the CLI runs it (``run_mlci_here``); return their results and
    whether every file below ``repo`` (but .git) stayed as it was."""
    import shutil

    path = repo / "mlci.yaml"
    if path.is_dir():
        shutil.rmtree(path)
    if text is None:
        path.unlink(missing_ok=True)
        path.mkdir()
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    before = snapshot(repo)
    runs = [run_mlci_here(command, cwd=repo) for command in commands]
    return runs, snapshot(repo) == before


# ---------------------------------------------------------------- GitHub (issue 13)


@pytest.fixture
def github() -> Iterator[github_fake.FakeGitHub]:
    """A fake GitHub on 127.0.0.1 that validates every request and response against
    GitHub's OpenAPI description; the test fails if anything broke the description."""
    from github_fake import FakeGitHub

    with FakeGitHub(token="fake-token") as fake:
        yield fake
    assert fake.violations == [], "\n".join(fake.violations)


# One real MLflow server for the whole session (tests/mlflow_server.py); imported last, as
# that module reads clean_env from here.
from mlflow_server import logged_model, mlflow_server  # noqa: E402, F401
