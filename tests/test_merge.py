"""Living with generated files: 3-way merge of hand edits, deletions, orphans, dry runs.

Every test runs real ``mlci`` subprocesses in a real git repository laid out like an
ML project, and reads the files they leave behind.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from conftest import RunMlci, git, snapshot

PIPELINE = ".github/workflows/ml-pipeline.yml"
TRAINING = ".github/workflows/continuous-training.yml"
ZIZMOR = ".github/zizmor.yml"


def init(repo: Path, mlci: RunMlci) -> Path:
    # the merge tests edit the train command: a plain script, not ml_repo's dvc.yaml stage
    proc = mlci("init", "--yes", "--train-command", "python train.py", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / ".mlci" / "manifest.json").is_file(), "init records .mlci/"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "mlci init")
    return repo


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    text = text.replace(old, new)
    path.write_text(text)
    return text


def test_hand_edit_survives_a_config_change(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    pipeline = ml_repo / PIPELINE
    edit(pipeline, "    name: Lint and test\n", "    name: Lint and test  # reviewed by ops\n")
    edit(ml_repo / "mlci.yaml", "command: python train.py", "command: python train.py --epochs 3")

    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"merged your hand edits into {PIPELINE}" in proc.stdout
    text = pipeline.read_text()
    assert "name: Lint and test  # reviewed by ops" in text
    assert "run: python train.py --epochs 3" in text
    assert "<<<<<<<" not in text

    proc = mlci("check", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"hand edits kept in: {PIPELINE}" in proc.stdout

    before = snapshot(ml_repo)
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"unchanged (hand edits kept) {PIPELINE}" in proc.stdout
    assert snapshot(ml_repo) == before, "a second generate changes no byte, .mlci/ included"


def test_same_line_conflict_marks_only_that_file(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    pipeline, training = ml_repo / PIPELINE, ml_repo / TRAINING
    edit(pipeline, "run: python train.py\n", "run: python train.py --seed 1\n")
    config = ml_repo / "mlci.yaml"
    edit(config, "command: python train.py", "command: python train.py --epochs 3")
    cron = re.search(r'retrain: "([^"]+)"', config.read_text())
    assert cron is not None
    edit(config, f'retrain: "{cron[1]}"', 'retrain: "17 3 * * *"')

    # a user's diff3 conflict style does not change the markers mlci writes
    gitconfig = ml_repo.parent / "user.gitconfig"
    gitconfig.write_text("[merge]\n\tconflictStyle = diff3\n")
    proc = mlci("generate", cwd=ml_repo, env={"GIT_CONFIG_GLOBAL": str(gitconfig)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    text = pipeline.read_text()
    assert "|||||||" not in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith("<<<<<<< "))
    end = next(i for i, line in enumerate(lines, 1) if line.startswith(">>>>>>> "))
    assert f"merge conflict: {PIPELINE} lines {start}-{end}" in proc.stderr
    block = "\n".join(lines[start - 1 : end])
    assert "python train.py --seed 1" in block and "python train.py --epochs 3" in block
    # the other file is updated, and holds no markers
    assert "17 3 * * *" in training.read_text()
    assert "<<<<<<<" not in training.read_text()
    assert f"wrote {TRAINING}" in proc.stdout

    proc = mlci("check", cwd=ml_repo)
    assert proc.returncode == 1
    assert f"{PIPELINE}: unresolved merge conflict (lines {start}-{end})" in proc.stderr
    assert mlci("generate", cwd=ml_repo).returncode == 1, "markers still there: still exit 1"

    # resolve: keep both wishes
    resolved = re.sub(
        r"<<<<<<< [^\n]*\n.*?>>>>>>> [^\n]*\n",
        "        run: python train.py --epochs 3 --seed 1\n",
        pipeline.read_text(),
        flags=re.DOTALL,
    )
    pipeline.write_text(resolved)
    proc = mlci("check", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert pipeline.read_text() == resolved


def _templates_copy(tmp_path: Path) -> Path:
    target = tmp_path / "templates-next"
    source = resources.files("mlci").joinpath("templates")
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_file():
            (target / entry.name).write_bytes(entry.read_bytes())
    return target


def test_mlci_upgrade_merges_into_hand_edits(ml_repo: Path, mlci: RunMlci, tmp_path: Path) -> None:
    init(ml_repo, mlci)
    pipeline = ml_repo / PIPELINE
    edit(pipeline, "    name: Deploy to staging\n", "    name: Deploy to staging (EU)\n")
    # the "next release" of mlci changes a template
    templates = _templates_copy(tmp_path)
    template = templates / "ml-pipeline.yml.j2"
    text = template.read_text()
    assert text.count("    timeout-minutes: 10\n") == 1
    template.write_text(text.replace("    timeout-minutes: 10\n", "    timeout-minutes: 12\n"))
    upgraded = {"MLCI_TEMPLATES_DIR": str(templates)}

    proc = mlci("check", cwd=ml_repo, env=upgraded)
    assert proc.returncode == 1
    assert f"{PIPELINE}: stale" in proc.stderr
    proc = mlci("generate", cwd=ml_repo, env=upgraded)
    assert proc.returncode == 0, proc.stderr
    merged = pipeline.read_text()
    assert "name: Deploy to staging (EU)" in merged
    assert "timeout-minutes: 12" in merged
    assert mlci("check", cwd=ml_repo, env=upgraded).returncode == 0
    # back on the old templates the recorded rendering is stale again
    assert mlci("check", cwd=ml_repo).returncode == 1


def test_deleted_file_stays_deleted_unless_restore(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    (ml_repo / TRAINING).unlink()
    edit(ml_repo / "mlci.yaml", "command: python train.py", "command: python train.py --epochs 3")
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"deleted by you, not regenerated (--restore brings it back) {TRAINING}" in proc.stdout
    assert not (ml_repo / TRAINING).exists()
    assert "--epochs 3" in (ml_repo / PIPELINE).read_text()
    proc = mlci("check", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"deleted by you and not regenerated: {TRAINING}" in proc.stdout

    proc = mlci("generate", "--restore", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"restored {TRAINING}" in proc.stdout
    assert (ml_repo / TRAINING).read_text().startswith("# Generated by mlci")
    assert "deleted" not in mlci("check", cwd=ml_repo).stdout


def _set_zizmor_config(repo: Path, value: str) -> None:
    config = repo / "mlci.yaml"
    text = config.read_text()
    if "zizmor_config:" in text:
        text = re.sub(r"zizmor_config: \w+", f"zizmor_config: {value}", text)
    else:
        text = text.replace("\nworkflows:\n", f"\nworkflows:\n  zizmor_config: {value}\n", 1)
    assert f"zizmor_config: {value}" in text
    config.write_text(text)


def test_orphans_are_removed_only_when_untouched(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    manifest = ml_repo / ".mlci" / "manifest.json"
    base = ml_repo / ".mlci" / "base" / f"{ZIZMOR}.base"
    assert ZIZMOR in json.loads(manifest.read_text())["files"] and base.is_file()

    _set_zizmor_config(ml_repo, "false")
    proc = mlci("check", cwd=ml_repo)
    assert proc.returncode == 1
    assert f"{ZIZMOR}: no longer generated (mlci generate removes it)" in proc.stderr
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"removed (no longer generated) {ZIZMOR}" in proc.stdout
    assert not (ml_repo / ZIZMOR).exists()
    assert ZIZMOR not in json.loads(manifest.read_text())["files"] and not base.exists()

    # generated again, edited by hand, then no longer generated: kept and reported
    _set_zizmor_config(ml_repo, "true")
    assert mlci("generate", cwd=ml_repo).returncode == 0
    edited = edit(ml_repo / ZIZMOR, "rules:\n", "# our own policy\nrules:\n")
    _set_zizmor_config(ml_repo, "false")
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"no longer generated, kept because edited by hand; delete it yourself {ZIZMOR}" in (
        proc.stdout
    )
    assert (ml_repo / ZIZMOR).read_text() == edited
    assert ZIZMOR not in json.loads(manifest.read_text())["files"]
    assert mlci("check", cwd=ml_repo).returncode == 0


def test_a_manifest_entry_never_deletes_a_file_mlci_did_not_write(
    ml_repo: Path, mlci: RunMlci
) -> None:
    init(ml_repo, mlci)
    readme = (ml_repo / "README.md").read_text()
    manifest = ml_repo / ".mlci" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"]["README.md"] = {"sha256": "0" * 64}
    manifest.write_text(json.dumps(data))
    (ml_repo / ".mlci" / "base" / "README.md.base").write_text(readme)
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert (ml_repo / "README.md").read_text() == readme
    assert "no longer generated, kept" in proc.stdout


def test_manifest_path_outside_the_repo_is_refused(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    outside = ml_repo.parent / "outside.txt"
    outside.write_text("not yours\n")
    manifest = ml_repo / ".mlci" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"]["../outside.txt"] = {"sha256": "0" * 64}
    manifest.write_text(json.dumps(data))
    before = snapshot(ml_repo)
    for command in ("generate", "check"):
        proc = mlci(command, cwd=ml_repo)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "'../outside.txt' is not a path inside the repository" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert outside.read_text() == "not yours\n"
    assert snapshot(ml_repo) == before


def test_symlink_out_of_the_repo_is_never_followed(
    ml_repo: Path, mlci: RunMlci, tmp_path: Path
) -> None:
    init(ml_repo, mlci)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(ml_repo / ".github" / "workflows")
    (ml_repo / ".github" / "workflows").symlink_to(elsewhere, target_is_directory=True)
    proc = mlci("generate", "--restore", cwd=ml_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "leads outside the repository" in proc.stderr
    assert list(elsewhere.iterdir()) == []


def test_dry_run_and_diff_write_nothing(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    edit(ml_repo / PIPELINE, "    name: Lint and test\n", "    name: Lint and test (hand)\n")
    edit(ml_repo / "mlci.yaml", "command: python train.py", "command: python train.py --epochs 3")
    before = snapshot(ml_repo)

    proc = mlci("generate", "--dry-run", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"would merge your hand edits into {PIPELINE}" in proc.stdout
    assert f"unchanged {TRAINING}" in proc.stdout

    proc = mlci("generate", "--diff", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"--- a/{PIPELINE}" in proc.stdout
    assert (
        "-        run: python train.py\n+        run: python train.py --epochs 3\n" in proc.stdout
    )
    assert "Lint and test (hand)" not in "".join(
        line for line in proc.stdout.splitlines(keepends=True) if line[:1] in "+-"
    ), "the hand edit is kept, so it is no change"
    assert snapshot(ml_repo) == before

    # a dry run of a conflicting update says so, exits 1, and still writes nothing
    edit(ml_repo / PIPELINE, "run: python train.py\n", "run: python train.py --seed 1\n")
    before = snapshot(ml_repo)
    proc = mlci("generate", "--dry-run", cwd=ml_repo)
    assert proc.returncode == 1
    assert f"would leave a CONFLICT in {PIPELINE}" in proc.stdout
    assert snapshot(ml_repo) == before


def test_without_a_record_a_hand_edit_is_refused_not_lost(ml_repo: Path, mlci: RunMlci) -> None:
    init(ml_repo, mlci)
    shutil.rmtree(ml_repo / ".mlci")  # e.g. a repository generated before .mlci/ existed
    edited = edit(ml_repo / PIPELINE, "    name: Lint and test\n", "    name: Mine\n")
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 1
    assert f"not overwritten, edited by hand: {PIPELINE}" in proc.stderr
    assert (ml_repo / PIPELINE).read_text() == edited
    assert mlci("check", cwd=ml_repo).returncode == 1, "an incomplete record is never trusted"
    proc = mlci("generate", "--force", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    assert "name: Mine" not in (ml_repo / PIPELINE).read_text()
    assert mlci("check", cwd=ml_repo).returncode == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not a manifest written by mlci"), ('{"files": 3}', "is not a manifest")],
)
def test_malformed_manifest_is_exit_2(
    ml_repo: Path, mlci: RunMlci, content: str, message: str
) -> None:
    init(ml_repo, mlci)
    (ml_repo / ".mlci" / "manifest.json").write_text(content)
    for command in ("generate", "check"):
        proc = mlci(command, cwd=ml_repo)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
