"""mlci/git.py: the one runner every git call goes through."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunMlci, git

from mlci import git as mlci_git
from mlci.errors import UsageError

MISSING = "git is not installed (or not on PATH); mlci runs git to "


def test_missing_git_is_one_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(UsageError) as info:
        mlci_git.run("status", cwd=tmp_path, purpose="read the repository")
    assert str(info.value) == MISSING + "read the repository"
    # Best-effort questions answer "don't know" instead.
    assert mlci_git.output("status", cwd=tmp_path) is None
    assert mlci_git.is_shallow(tmp_path) is False


@pytest.mark.parametrize(
    ("args", "purpose"),
    [
        (["models", "--model", "churn"], "keep the git registry's tags"),
        (["retrain-trigger"], "compare the data of the last model with HEAD"),
    ],
)
def test_commands_without_git_exit_2_with_the_message(
    mlci: RunMlci, git_repo: Path, tmp_path: Path, args: list[str], purpose: str
) -> None:
    (git_repo / "mlci.yaml").write_text("train:\n  command: python train.py\n")
    # Python is found by its absolute path; git is not on PATH.
    proc = mlci(*args, cwd=git_repo, env={"PATH": str(tmp_path / "no-bin")})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"mlci: error: {MISSING}{purpose}\n"


def test_not_a_directory_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        mlci_git.run("status", cwd=tmp_path / "nope", purpose="x")
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is not a directory"):
        mlci_git.run("status", cwd=tmp_path / "file", purpose="x")


def test_a_failing_git_is_an_answer_not_an_error(tmp_path: Path) -> None:
    proc = mlci_git.run("rev-parse", "--git-dir", cwd=tmp_path, purpose="x")
    assert not proc.ok
    assert "not a git repository" in proc.stderr


def test_token_travels_as_a_header_never_in_arguments_and_is_scrubbed(git_repo: Path) -> None:
    token = "ghs_secret123"
    env = mlci_git.environment(token=token)
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    key = f"GIT_CONFIG_KEY_{int(env['GIT_CONFIG_COUNT']) - 1}"
    assert env[key] == "http.https://github.com/.extraheader"
    # git itself sees the header as configuration.
    proc = mlci_git.run(
        "config", "--get", "http.https://github.com/.extraheader", cwd=git_repo,
        purpose="x", token=token,
    )  # fmt: skip
    assert proc.stdout.strip() == f"AUTHORIZATION: basic {mlci_git.basic_auth(token)}"
    assert token not in " ".join(proc.args)
    text = f"fatal: auth {token} / {mlci_git.basic_auth(token)}\nfailed"
    assert mlci_git.scrub(text, token) == "fatal: auth *** / *** failed"


def test_isolated_ignores_the_users_git_config(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[merge]\n\tconflictStyle = diff3\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    seen = mlci_git.run("config", "--get", "merge.conflictStyle", cwd=git_repo, purpose="x")
    assert seen.stdout.strip() == "diff3"
    isolated = mlci_git.run(
        "config", "--get", "merge.conflictStyle", cwd=git_repo, purpose="x", isolated=True
    )
    assert not isolated.ok


def test_is_shallow_on_a_real_shallow_clone(git_repo: Path, tmp_path: Path) -> None:
    (git_repo / "data.csv").write_text("1\n")
    git(git_repo, "add", "data.csv")
    git(git_repo, "commit", "-q", "-m", "data")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{git_repo}", "shallow")
    assert mlci_git.is_shallow(tmp_path / "shallow") is True
    assert mlci_git.is_shallow(git_repo) is False
    assert mlci_git.is_shallow(tmp_path) is False  # not a repository: unknown is False
