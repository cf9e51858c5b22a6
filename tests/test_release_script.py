"""scripts/release.py, the logic of .github/workflows/release.yml: the tag, the package version
and CHANGELOG.md agree; the release notes; the major tag moves only for a final release and
never backwards. Real git repositories with a bare remote standing in for GitHub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env, git

from mlci import pin
from mlci.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "release.py"

CHANGELOG = """\
# Changelog

## [Unreleased]

## [1.1.0] - 2027-01-10

### Added

- Something new.

## [1.0.0] - 2026-12-24

### Added

- Everything.

[Unreleased]: https://github.com/mlci-dev/mlci/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/mlci-dev/mlci/compare/v1.0.0...v1.1.0
"""


def release(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(cwd), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )


def write_project(root: Path, version: str, changelog: str = CHANGELOG) -> None:
    (root / "mlci").mkdir(parents=True, exist_ok=True)
    (root / "mlci" / "__init__.py").write_text(f'"""mlci."""\n\n__version__ = "{version}"\n')
    (root / "CHANGELOG.md").write_text(changelog)


def commit(repo: Path, message: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@mlci.invalid"]
    git(repo, *env_args, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """A clone with ``origin`` a bare repository, as the release job's checkout."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    write_project(work, "1.0.0")
    git(work, "add", "-A")
    return work, remote


def remote_tag(remote: Path, name: str) -> str | None:
    out = git(remote, "for-each-ref", "--format=%(objectname)", f"refs/tags/{name}")
    return out.strip() or None


# --------------------------------------------------------------------------- check-tag, notes


def test_check_tag_passes_when_tag_version_and_changelog_agree(tmp_path: Path) -> None:
    write_project(tmp_path, "1.1.0")
    proc = release("check-tag", "v1.1.0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "v1.1.0: final release 1.1.0; mlci/__init__.py and CHANGELOG.md agree\n"


@pytest.mark.parametrize(
    ("version", "tag", "message"),
    [
        ("1.1.0", "v1.2.0", "tag v1.2.0 does not match mlci/__init__.py __version__ = '1.1.0'"),
        ("1.2.0", "v1.2.0", "CHANGELOG.md has no section '## [1.2.0] - YYYY-MM-DD'"),
        ("1.1.0", "1.1.0", "'1.1.0' is not a release tag"),
        ("1.1.0", "v1.1", "'v1.1' is not a release tag"),
        ("1.1.0", "v1.1.0-rc.1", "'v1.1.0-rc.1' is not a release tag"),
        ("1.1.0", "v01.1.0", "'v01.1.0' is not a release tag"),
    ],
)
def test_check_tag_refuses_with_one_line_exit_2(
    tmp_path: Path, version: str, tag: str, message: str
) -> None:
    write_project(tmp_path, version)
    proc = release("check-tag", tag, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"release.py: error: {message}")
    assert len(proc.stderr.splitlines()) == 1


def test_check_tag_refuses_an_empty_changelog_section(tmp_path: Path) -> None:
    write_project(
        tmp_path, "1.2.0", CHANGELOG.replace("## [1.1.0]", "## [1.2.0] - 2027-02-01\n\n## [1.1.0]")
    )
    proc = release("check-tag", "v1.2.0", cwd=tmp_path)
    assert proc.returncode == 2
    assert "the section of 1.2.0 is empty" in proc.stderr


def test_notes_are_the_changelog_section_without_heading_or_link_definitions(
    tmp_path: Path,
) -> None:
    write_project(tmp_path, "1.1.0")
    assert release("notes", "v1.1.0", cwd=tmp_path).stdout == "### Added\n\n- Something new.\n"
    last = release("notes", "v1.0.0", cwd=tmp_path)
    assert last.stdout == "### Added\n\n- Everything.\n"


def test_outputs_say_whether_it_is_a_prerelease(tmp_path: Path) -> None:
    assert (
        release("outputs", "v1.2.0rc1", cwd=tmp_path).stdout
        == "version=1.2.0rc1\nprerelease=true\n"
    )
    assert release("outputs", "v1.2.0", cwd=tmp_path).stdout == "version=1.2.0\nprerelease=false\n"


def test_the_real_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "\n## [Unreleased]\n" in text
    assert "keepachangelog.com" in text


# --------------------------------------------------------------------------- move-major


def tag(repo: Path, name: str) -> str:
    sha = commit(repo, f"release {name}")
    git(repo, "tag", name)
    return sha


def test_major_tag_moves_forward_on_final_releases_only(repo: tuple[Path, Path]) -> None:
    work, remote = repo
    v100 = tag(work, "v1.0.0")
    proc = release("move-major", "v1.0.0", "--push", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"moved and pushed: v1 -> v1.0.0 ({v100[:12]})\n"
    assert remote_tag(remote, "v1") == v100

    tag(work, "v1.1.0rc1")
    proc = release("move-major", "v1.1.0rc1", "--push", cwd=work)
    assert proc.stdout == "unchanged: v1.1.0rc1 is a pre-release: v1 stays\n"
    assert remote_tag(remote, "v1") == v100

    v110 = tag(work, "v1.1.0")
    assert release("move-major", "v1.1.0", "--push", cwd=work).returncode == 0
    assert remote_tag(remote, "v1") == v110

    # a patch of the older line, released after v1.1.0: v1 never moves backwards
    git(work, "checkout", "-q", "-b", "v1.0.x", "v1.0.0")
    tag(work, "v1.0.1")
    proc = release("move-major", "v1.0.1", "--push", cwd=work)
    assert proc.returncode == 0
    assert (
        proc.stdout
        == "unchanged: v1.1.0 is newer than v1.0.1: v1 never moves backwards, it stays\n"
    )
    assert remote_tag(remote, "v1") == v110

    # rerunning the release job changes nothing
    proc = release("move-major", "v1.1.0", "--push", cwd=work)
    assert proc.stdout == f"unchanged: v1 already names v1.1.0 ({v110[:12]})\n"

    # a new major gets its own tag; v1 stays
    v200 = tag(work, "v2.0.0")
    assert release("move-major", "v2.0.0", "--push", cwd=work).returncode == 0
    assert remote_tag(remote, "v2") == v200
    assert remote_tag(remote, "v1") == v110


def test_without_push_only_the_local_tag_moves(repo: tuple[Path, Path]) -> None:
    work, remote = repo
    v100 = tag(work, "v1.0.0")
    proc = release("move-major", "v1.0.0", cwd=work)
    assert proc.stdout == f"moved: v1 -> v1.0.0 ({v100[:12]})\n"
    assert git(work, "rev-parse", "v1^{commit}").strip() == v100
    assert remote_tag(remote, "v1") is None


def test_annotated_release_tags_are_peeled_to_their_commit(repo: tuple[Path, Path]) -> None:
    work, remote = repo
    sha = commit(work, "release")
    git(
        work,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@mlci.invalid",
        "tag",
        "-a",
        "-m",
        "v1.0.0",
        "v1.0.0",
    )
    assert release("move-major", "v1.0.0", "--push", cwd=work).returncode == 0
    assert remote_tag(remote, "v1") == sha


def test_move_major_refuses_a_tag_the_clone_does_not_have(repo: tuple[Path, Path]) -> None:
    work, remote = repo
    commit(work, "no tag")
    proc = release("move-major", "v1.0.0", "--push", cwd=work)
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "release.py: error: no tag v1.0.0 in this clone (check out with fetch-depth: 0)\n"
    )
    assert remote_tag(remote, "v1") is None


def test_a_rejected_push_is_exit_2(repo: tuple[Path, Path], tmp_path: Path) -> None:
    work, _ = repo
    tag(work, "v1.0.0")
    git(work, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    proc = release("move-major", "v1.0.0", "--push", cwd=work)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "release.py: error: git push --force origin refs/tags/v1:refs/tags/v1:"
    )


# --------------------------------------------------------------------------- mlci pin --mlci


def test_mlci_pin_resolves_the_major_tag_the_release_moved(tmp_path: Path) -> None:
    """A user who pins by SHA gets the commit `@v1` runs: the release script moves v1 on a
    real remote, and `mlci pin --mlci` (pin.resolve) reads it back — also mid-release, when a
    new vX.Y.Z is pushed but v1 still names the finished one, and after an older line's patch."""
    base = tmp_path / "github"
    remote = base / "mlci-dev" / "mlci"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(work))

    def mlci_pin() -> tuple[str, str]:
        _, changes = pin.resolve(
            root=tmp_path,
            shipped={},
            specs=[],
            mlci_repository="mlci-dev/mlci",
            mlci_ref="v1",
            mlci=True,
            mlci_version=None,
            remote_base=str(base),
        )
        (change,) = changes
        return change.new.version, change.new.sha

    def publish(name: str) -> str:
        sha = tag(work, name)
        git(work, "push", "-q", "origin", name)
        return sha

    v100 = publish("v1.0.0")
    assert mlci_pin() == ("v1.0.0", v100)  # no v1 tag yet: the newest v1.x.y
    assert release("move-major", "v1.0.0", "--push", cwd=work).returncode == 0
    assert mlci_pin() == ("v1.0.0", v100)

    v110 = publish("v1.1.0")  # pushed; the release workflow has not moved v1 yet
    assert mlci_pin() == ("v1.0.0", v100)
    assert release("move-major", "v1.1.0", "--push", cwd=work).returncode == 0
    assert remote_tag(remote, "v1") == v110
    assert mlci_pin() == ("v1.1.0", v110)

    publish("v1.2.0rc1")  # a pre-release never moves v1
    assert release("move-major", "v1.2.0rc1", "--push", cwd=work).returncode == 0
    git(work, "checkout", "-q", "-b", "v1.0.x", "v1.0.0")
    publish("v1.0.1")  # a patch of the older line: v1 never moves backwards
    assert release("move-major", "v1.0.1", "--push", cwd=work).returncode == 0
    assert mlci_pin() == ("v1.1.0", v110)

    # v1 moved by hand to a commit no release names: refuse, never guess
    git(work, "checkout", "-q", "main")
    stray = commit(work, "not a release")
    git(work, "push", "-q", "--force", "origin", f"{stray}:refs/tags/v1")
    with pytest.raises(UsageError, match=r"v1 names commit [0-9a-f]{12}, which no release tag"):
        mlci_pin()
