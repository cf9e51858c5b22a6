"""register-model on a working tree that is not the commit it registers (issue 9).

Real git repositories, real ``mlci`` subprocesses (CI is an environment variable of the
process). A laptop gets a warning; CI (``CI=true`` or ``GITHUB_ACTIONS=true``) a refusal in one
line, exit 1, nothing registered; ``--allow-dirty`` lets it through. What a training job writes
(the metrics, ``train.artifacts``, DVC's outputs, ``.venv``, ``__pycache__``) is never a reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunMlci, git

from mlci import worktree

CONFIG = """\
version: 1
train:
  command: python train.py
  metrics_file: eval/metrics.json
  artifacts: [models/]
registry:
  model: churn
  store: none
"""


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """A committed ML repository, after a training run: its outputs untracked, except the DVC
    metrics file, which is tracked (DVC's ``cache: false`` metrics live in git) and rewritten."""
    (git_repo / "mlci.yaml").write_text(CONFIG)
    (git_repo / "train.py").write_text("print('train')\n")
    (git_repo / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: python train.py\n    outs: [models/]\n"
        "    metrics:\n      - eval/metrics.json:\n          cache: false\n"
    )
    (git_repo / "dvc.lock").write_text("schema: '2.0'\n")
    (git_repo / "eval").mkdir()
    (git_repo / "eval" / "metrics.json").write_text('{"accuracy": 0.7}')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "model")
    # what the training job leaves behind
    (git_repo / "eval" / "metrics.json").write_text('{"accuracy": 0.8}')
    (git_repo / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    (git_repo / "models").mkdir()
    (git_repo / "models" / "model.pkl").write_bytes(b"weights")
    for junk in (".venv/bin/python", "__pycache__/train.cpython-311.pyc", "churn.egg-info/PKG"):
        (git_repo / junk).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / junk).write_text("x")
    return git_repo


def register(mlci: RunMlci, repo: Path, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return mlci("register-model", "--metrics", "eval/metrics.json", *args, cwd=repo, env=env)


def tags(repo: Path) -> list[str]:
    return git(repo, "tag").split()


def test_a_training_jobs_own_outputs_are_not_a_dirty_tree(repo: Path, mlci: RunMlci) -> None:
    tree = worktree.inspect(repo, outputs=[Path("eval/metrics.json"), Path("models/")])
    assert tree is not None
    assert tree.changed == ()  # the tracked metrics file and dvc.lock are the training's
    assert sorted(tree.untracked) == [".venv/", "__pycache__/", "churn.egg-info/"]
    proc = register(mlci, repo, GITHUB_ACTIONS="true", CI="true")
    assert proc.returncode == 0, proc.stderr
    assert "working tree" not in proc.stdout + proc.stderr  # no warning in CI for untracked
    assert tags(repo) == ["churn@v0.0.1"]


def test_a_modified_tracked_file_warns_on_a_laptop(repo: Path, mlci: RunMlci) -> None:
    (repo / "train.py").write_text("print('tuned')\n")
    (repo / "notes.md").write_text("todo\n")
    proc = register(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    head = git(repo, "rev-parse", "HEAD")[:12]
    (warning,) = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warning.startswith(
        f"warning: the working tree is not commit {head} "
        "(changed train.py; untracked .venv/, __pycache__/, churn.egg-info/ (+1 more)): "
    )
    assert "--allow-dirty" in warning
    assert tags(repo) == ["churn@v0.0.1"]


@pytest.mark.parametrize("ci", [{"CI": "true"}, {"GITHUB_ACTIONS": "true"}])
def test_ci_refuses_a_modified_tracked_file_in_one_line(
    repo: Path, mlci: RunMlci, ci: dict[str, str]
) -> None:
    (repo / "train.py").write_text("print('tuned')\n")
    git(repo, "add", "train.py")  # staged counts too
    proc = register(mlci, repo, **ci)
    assert proc.returncode == 1
    head = git(repo, "rev-parse", "HEAD")[:12]
    assert proc.stderr.strip().splitlines()[-1] == (
        f"mlci: refusing to register from a working tree that is not commit {head} "
        "(changed train.py): the version would name a commit that did not train this model; "
        "commit the changes, or pass --allow-dirty"
    )
    assert tags(repo) == []


def test_an_uncommitted_mlci_yaml_is_a_change(git_repo: Path, mlci: RunMlci) -> None:
    (git_repo / "mlci.yaml").write_text(CONFIG)  # never committed
    (git_repo / "eval").mkdir()
    (git_repo / "eval" / "metrics.json").write_text(json.dumps({"accuracy": 0.8}))
    (git_repo / "models").mkdir()
    (git_repo / "models" / "model.pkl").write_bytes(b"weights")
    proc = register(mlci, git_repo, CI="true")
    assert proc.returncode == 1
    assert "(changed mlci.yaml)" in proc.stderr
    proc = register(mlci, git_repo, "--allow-dirty", GITHUB_ACTIONS="true")
    assert proc.returncode == 0, proc.stderr
    assert "::warning title=register-model::registered from a working tree that is not " in (
        proc.stdout
    )
    assert "(changed mlci.yaml): --allow-dirty" in proc.stdout
    assert tags(git_repo) == ["churn@v0.0.1"]


def test_allow_dirty_from_the_environment_of_the_action_step(repo: Path, mlci: RunMlci) -> None:
    (repo / "train.py").unlink()  # a deletion is a change too
    proc = register(mlci, repo, CI="true", MLCI_ALLOW_DIRTY="true")
    assert proc.returncode == 0, proc.stderr
    assert "(changed train.py): --allow-dirty" in proc.stderr


def test_another_commit_registered_is_not_about_the_working_tree(repo: Path, mlci: RunMlci) -> None:
    (repo / "train.py").write_text("print('tuned')\n")
    proc = register(mlci, repo, "--source", "HEAD~1", CI="true")
    assert proc.returncode == 0, proc.stderr
    assert tags(repo) == ["churn@v0.0.1"]


def test_paths_are_those_of_the_folder_registered_from(tmp_path: Path, git_repo: Path) -> None:
    """A project in a subfolder of the repository; a renamed file; a name with a space."""
    sub = git_repo / "ml project"
    sub.mkdir()
    (sub / "a b.py").write_text("1\n")
    (sub / "old.py").write_text("2\n")
    (git_repo / "elsewhere.py").write_text("3\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "sub")
    (sub / "a b.py").write_text("changed\n")
    git(git_repo, "mv", "ml project/old.py", "ml project/new.py")
    (git_repo / "elsewhere.py").write_text("outside the project\n")
    (sub / "metrics.json").write_text("{}")
    tree = worktree.inspect(sub, outputs=[sub / "metrics.json"])
    assert tree is not None
    assert sorted(tree.changed) == ["a b.py", "new.py"] and tree.untracked == ()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert worktree.inspect(plain, outputs=[]) is None  # not a git work tree: nothing to say
