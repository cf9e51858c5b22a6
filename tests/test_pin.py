"""``mlci pin`` against local bare repositories standing in for GitHub (no network)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import RunMlci, git

from mlci.errors import UsageError
from mlci.lockfile import load_pins
from mlci.pin import write_all

PIPELINE = ".github/workflows/ml-pipeline.yml"
ROOT = Path(__file__).resolve().parent.parent
PYPI_PUBLISH = "pypa/gh-action-pypi-publish"  # in .github/action-pins.json only
USES = re.compile(r"^\s*(?:- )?uses: (?P<action>[^@\s]+)@(?P<ref>\S+)(?: # (?P<comment>.+))?$")
# tag -> annotated?  (v7.3.0-rc1 and the moving major tag v7 are not releases)
TAGS = {
    "v4.0.0": False,
    "v4.9.1": True,
    "v5.0.0": False,
    "v7.0.1": False,
    "v7.1.0": True,
    "v7.2.0": False,
    "v7.3.0-rc1": False,
    "v8.0.0": False,
    "v8.1.0": True,
    "v1.0.0": False,
    "v1.2.0": True,
    "v2.0.0": False,
}


@pytest.fixture(scope="module")
def remotes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A remote base with a bare repository per action, each with the tags above."""
    work = tmp_path_factory.mktemp("upstream")
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.name", "upstream")
    git(work, "config", "user.email", "upstream@example.invalid")
    git(work, "config", "commit.gpgsign", "false")
    git(work, "config", "tag.gpgsign", "false")
    commits: dict[str, str] = {}
    for tag, annotated in TAGS.items():
        (work / "VERSION").write_text(tag + "\n")
        git(work, "add", "VERSION")
        git(work, "commit", "-q", "-m", tag)
        commits[tag] = git(work, "rev-parse", "HEAD").strip()
        if annotated:
            git(work, "tag", "-a", tag, "-m", f"release {tag}")
        else:
            git(work, "tag", tag)
    git(work, "tag", "v7", commits["v7.0.1"])
    base = tmp_path_factory.mktemp("remotes")
    for name in [*load_pins(), "mlci-dev/mlci", PYPI_PUBLISH]:
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        git(base, "clone", "-q", "--bare", str(work), str(target))
    return base, commits


def init(repo: Path, mlci: RunMlci) -> None:
    proc = mlci("init", "--yes", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "mlci init")


def test_pin_takes_the_newest_release_within_each_major(
    ml_repo: Path, mlci: RunMlci, remotes: tuple[Path, dict[str, str]]
) -> None:
    base, commits = remotes
    init(ml_repo, mlci)
    shipped = load_pins()
    proc = mlci("pin", "--remote-base", base.as_uri(), cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    lock = json.loads((ml_repo / ".mlci" / "pins.lock.json").read_text())["actions"]
    for name, pin in shipped.items():
        major = pin.version.split(".")[0]
        newest = {"v7": "v7.2.0", "v4": "v4.9.1", "v8": "v8.1.0"}[major]
        assert lock[name] == {"version": newest, "sha": commits[newest]}, name
    text = (ml_repo / PIPELINE).read_text()
    assert f"actions/checkout@{commits['v7.2.0']} # v7.2.0" in text
    assert "v7.3.0-rc1" not in text
    assert "wrote .mlci/pins.lock.json" in proc.stdout
    assert f"wrote {PIPELINE}" in proc.stdout
    assert mlci("check", cwd=ml_repo).returncode == 0
    assert mlci("lint", cwd=ml_repo).returncode == 0

    # nothing new upstream: nothing changes
    proc = mlci("pin", cwd=ml_repo, env={"MLCI_PIN_REMOTE_BASE": base.as_uri()})
    assert proc.returncode == 0, proc.stderr
    assert "unchanged .mlci/pins.lock.json" in proc.stdout


def test_pin_an_explicit_version_and_the_mlci_actions(
    ml_repo: Path, mlci: RunMlci, remotes: tuple[Path, dict[str, str]]
) -> None:
    base, commits = remotes
    init(ml_repo, mlci)
    pipeline = ml_repo / PIPELINE
    edited = pipeline.read_text().replace(
        "    name: Deploy to staging\n", "    name: Deploy to staging (EU)\n"
    )
    pipeline.write_text(edited)

    proc = mlci("pin", "actions/checkout@v7.1.0", "--mlci", "--remote-base", str(base), cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    lock = json.loads((ml_repo / ".mlci" / "pins.lock.json").read_text())
    # an annotated tag resolves to its commit, not to the tag object
    assert lock["actions"] == {"actions/checkout": {"version": "v7.1.0", "sha": commits["v7.1.0"]}}
    assert lock["mlci"] == {
        "repository": "mlci-dev/mlci",
        "ref": "v1",
        "version": "v1.2.0",
        "sha": commits["v1.2.0"],
    }
    text = pipeline.read_text()
    assert f"actions/checkout@{commits['v7.1.0']} # v7.1.0" in text
    assert f"mlci-dev/mlci/actions/check@{commits['v1.2.0']} # v1.2.0" in text
    assert "name: Deploy to staging (EU)" in text, "pin regenerates through the merge"
    assert mlci("check", cwd=ml_repo).returncode == 0

    proc = mlci("pin", "--mlci-version", "v2.0.0", "--remote-base", str(base), cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"mlci-dev/mlci/actions/check@{commits['v2.0.0']} # v2.0.0" in pipeline.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["actions/checkout@v7.9.9"], "has no release tag v7.9.9"),
        (["actions/chekout"], "'actions/chekout' is not an action the generated workflows use"),
        (["actions/checkout@latest"], "the version must be a release tag such as v4.2.1"),
        (["--mlci-version", "1.2"], "--mlci-version '1.2' must be a release tag"),
    ],
)
def test_bad_pin_requests_are_exit_2_and_write_nothing(
    ml_repo: Path,
    mlci: RunMlci,
    remotes: tuple[Path, dict[str, str]],
    args: list[str],
    message: str,
) -> None:
    base, _ = remotes
    init(ml_repo, mlci)
    proc = mlci("pin", *args, "--remote-base", str(base), cwd=ml_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (ml_repo / ".mlci" / "pins.lock.json").exists()
    assert git(ml_repo, "status", "--porcelain") == ""


def test_unreachable_remote_is_exit_2(ml_repo: Path, mlci: RunMlci, tmp_path: Path) -> None:
    init(ml_repo, mlci)
    proc = mlci("pin", "--remote-base", (tmp_path / "nowhere").as_uri(), cwd=ml_repo)
    assert proc.returncode == 2
    assert "cannot list the tags of" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert git(ml_repo, "status", "--porcelain") == ""


def test_malformed_lock_is_exit_2(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    (ml_repo / ".mlci" / "pins.lock.json").write_text('{"actions": {"actions/checkout": 1}}')
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 2
    assert "pins.lock.json: actions.actions/checkout must be" in proc.stderr


# --------------------------------------------------------------------------- --mlci-source


def source_copy(tmp_path: Path) -> Path:
    """The pinned files of this checkout of mlci's source, copied: the two tables, the
    composite actions, the repository's workflows, and a tests/golden folder."""
    src = tmp_path / "mlci-src"
    (src / "mlci").mkdir(parents=True)
    shutil.copy(ROOT / "mlci" / "action_pins.json", src / "mlci" / "action_pins.json")
    shutil.copytree(ROOT / "actions", src / "actions")
    shutil.copytree(ROOT / ".github", src / ".github")
    (src / "tests" / "golden").mkdir(parents=True)
    return src


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_mlci_source_refreshes_both_tables_and_every_pinned_uses_line(
    tmp_path: Path, mlci: RunMlci, remotes: tuple[Path, dict[str, str]]
) -> None:
    """The maintainer path: the composite actions' setup-python (and every other tabled
    action) move with the shipped table, so actions and generated workflows pin alike."""
    base, commits = remotes
    src = source_copy(tmp_path)
    before = snapshot(src)
    proc = mlci("pin", "--mlci-source", str(src), "--remote-base", str(base), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shipped = json.loads((src / "mlci" / "action_pins.json").read_text())
    repo = json.loads((src / ".github" / "action-pins.json").read_text())
    newest = {"v7": "v7.2.0", "v4": "v4.9.1", "v8": "v8.1.0", "v1": "v1.2.0"}
    old_shipped = json.loads(before["mlci/action_pins.json"])
    for table, old in (
        (shipped, old_shipped),
        (repo, json.loads(before[".github/action-pins.json"])),
    ):
        assert list(table) == list(old), "key order and _about are kept"
        assert table["_about"] == old["_about"]
        for name, entry in table.items():
            if name == "_about":
                continue
            version = newest[old[name]["version"].split(".")[0]]
            assert (entry["version"], entry["sha"]) == (version, commits[version]), name
    assert repo[PYPI_PUBLISH]["evidence"].startswith(
        f"git ls-remote {base}/{PYPI_PUBLISH} 'refs/tags/v*' ("
    )
    assert commits["v1.2.0"] in repo[PYPI_PUBLISH]["evidence"]

    tables = {**shipped, **repo}
    after = snapshot(src)
    rewritten = 0
    for path, text in after.items():
        if not path.startswith(("actions/", ".github/workflows/")):
            continue
        old_lines, new_lines = before[path].splitlines(), text.splitlines()
        assert len(old_lines) == len(new_lines), path
        for old_line, line in zip(old_lines, new_lines, strict=True):
            match = USES.match(line)
            if match is None or match["action"] not in tables:
                assert line == old_line, f"{path}: only pinned uses: lines change"
                continue
            assert (match["ref"], match["comment"]) == (
                tables[match["action"]]["sha"],
                tables[match["action"]]["version"],
            ), f"{path}: {line}"
            rewritten += line != old_line
    setup_python = f"actions/setup-python@{commits['v7.2.0']} # v7.2.0"
    actions = sorted(ROOT.glob("actions/*/action.yml"))
    assert all(setup_python in (src / p.relative_to(ROOT)).read_text() for p in actions), (
        "every composite action's setup-python moved"
    )
    assert rewritten >= len(actions)
    assert "wrote mlci/action_pins.json" in proc.stdout
    assert "wrote actions/check/action.yml" in proc.stdout
    assert "wrote .github/workflows/release.yml" in proc.stdout
    assert "tests/golden still pins the old commits" in proc.stderr

    # nothing new upstream: nothing is rewritten (the evidence is not re-dated)
    proc = mlci("pin", "--mlci-source", str(src), "--remote-base", str(base), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" not in proc.stdout
    assert "unchanged" in proc.stdout
    assert snapshot(src) == after
    # this checkout was only read
    assert (ROOT / "mlci" / "action_pins.json").read_text() == before["mlci/action_pins.json"]


def test_mlci_source_one_action_at_an_explicit_version(
    tmp_path: Path, mlci: RunMlci, remotes: tuple[Path, dict[str, str]]
) -> None:
    base, commits = remotes
    src = source_copy(tmp_path)
    proc = mlci(
        "pin", "actions/setup-python@v7.1.0", "--mlci-source", str(src),
        "--remote-base", str(base), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    shipped = json.loads((src / "mlci" / "action_pins.json").read_text())
    assert shipped["actions/setup-python"] == {"version": "v7.1.0", "sha": commits["v7.1.0"]}
    assert shipped["actions/checkout"] == load_pins()["actions/checkout"].__dict__
    text = (src / "actions" / "report" / "action.yml").read_text()
    assert f"actions/setup-python@{commits['v7.1.0']} # v7.1.0" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mlci"], "--mlci-source refreshes mlci's own source"),
        (["actions/chekout"], "'actions/chekout' is not an action of mlci/action_pins.json or"),
        (["--remote-base", "/nowhere"], "cannot list the tags of /nowhere/"),
    ],
)
def test_bad_mlci_source_requests_are_exit_2_and_write_nothing(
    tmp_path: Path,
    mlci: RunMlci,
    remotes: tuple[Path, dict[str, str]],
    args: list[str],
    message: str,
) -> None:
    base, _ = remotes
    src = source_copy(tmp_path)
    before = snapshot(src)
    proc = mlci("pin", "--mlci-source", str(src), "--remote-base", str(base), *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(src) == before


def test_mlci_source_must_be_mlci_source(tmp_path: Path, mlci: RunMlci) -> None:
    (tmp_path / "actions").mkdir()
    proc = mlci("pin", "--mlci-source", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "is not a checkout of mlci's source: mlci/action_pins.json is missing" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_failed_write_puts_back_the_files_written_before_it(tmp_path: Path) -> None:
    (tmp_path / "first.json").write_text("old\n")
    # a name the file system takes, but not with the temporary file's prefix and suffix
    texts = {Path("first.json"): "new\n", Path("n" * 250): "new\n", Path("third"): "new\n"}
    with pytest.raises(UsageError, match=r"cannot write: .*the 1 file\(s\) written before it"):
        write_all(tmp_path, texts)
    assert (tmp_path / "first.json").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.json"]
