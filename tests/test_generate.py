"""`mlci generate` and `mlci check` as real subprocesses in real git repositories."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import RunMlci, git, snapshot, write_config

from mlci import render

PIPELINE = ".github/workflows/ml-pipeline.yml"
TRAINING = ".github/workflows/continuous-training.yml"
ZIZMOR = ".github/zizmor.yml"

CONFIG = """\
train:
  command: python train.py
validation:
  thresholds:
    accuracy: {min: 0.8}
"""


def test_generate_writes_every_file_with_a_header(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    for rel in (PIPELINE, TRAINING, ZIZMOR):
        text = (git_repo / rel).read_text()
        header, body = render.split_header(text)
        assert header is not None, rel
        assert header.source == "mlci.yaml"
        assert header.sha256 == render.content_hash(body)
        assert f"wrote {rel}" in proc.stdout


def test_generate_twice_changes_no_byte_and_no_mtime(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    before = snapshot(git_repo)
    mtimes = {rel: os.stat(git_repo / rel).st_mtime_ns for rel in (PIPELINE, TRAINING, ZIZMOR)}
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 0
    assert "wrote" not in proc.stdout
    assert f"unchanged {PIPELINE}" in proc.stdout
    assert snapshot(git_repo) == before
    assert {rel: os.stat(git_repo / rel).st_mtime_ns for rel in mtimes} == mtimes


def test_config_change_makes_check_fail_until_generate(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    assert mlci("check", cwd=git_repo).returncode == 0
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "pipeline")

    write_config(git_repo, CONFIG.replace("python train.py", "python -m model.train"))
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 1
    assert f"--- a/{PIPELINE}" in proc.stdout
    assert "-        run: python train.py" in proc.stdout
    assert "+        run: python -m model.train" in proc.stdout
    assert f"{PIPELINE}: stale" in proc.stderr
    assert "Run `mlci generate`" in proc.stderr

    assert mlci("generate", cwd=git_repo).returncode == 0
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "generated files are up to date"


def test_generate_notes_what_cannot_run_yet(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    proc = mlci("generate", cwd=git_repo)
    assert "note:" not in proc.stderr
    write_config(git_repo, CONFIG + "deploy:\n  production:\n    strategy: blue-green\n")
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert (
        "note: deploy.production.strategy blue-green needs deploy.production.blue_green.router"
        in proc.stderr
    )
    # the router written, the Prometheus not yet: still a note, the files still written
    write_config(
        git_repo,
        CONFIG + "deploy:\n  production:\n    strategy: blue-green\n    blue_green:\n"
        "      router: {type: command, set_weight: './route.sh {weight}'}\n",
    )
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "note: deploy.production.strategy blue-green needs "
        "deploy.production.blue_green.prometheus.url (what judges the rollout): deploy-production "
        "exits 2 until it is set (docs/deploy.md)\n"
    )


def test_check_reports_a_missing_file(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    (git_repo / TRAINING).unlink()
    # A file deleted after mlci recorded it stays deleted (issue 3): check passes, says so.
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"deleted by you and not regenerated: {TRAINING}" in proc.stdout
    # Without the record in .mlci/, it is a file mlci.yaml generates that is not there yet:
    # plain `mlci generate` writes it (--restore is only for files deleted after a record).
    shutil.rmtree(git_repo / ".mlci")
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 1
    assert f"{TRAINING}: not written yet. Run `mlci generate` and commit" in proc.stderr
    assert "--restore" not in proc.stderr


def test_hand_edit_is_merged_and_force_overwrites(git_repo: Path, mlci: RunMlci) -> None:
    # Issue 3 changed the contract: a hand edit is merged into a new rendering, never lost;
    # --force still discards it.
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    pipeline = git_repo / PIPELINE
    edited = pipeline.read_text().replace("timeout-minutes: 30", "timeout-minutes: 45", 1)
    assert edited != pipeline.read_text()
    pipeline.write_text(edited)

    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"hand edits kept in: {PIPELINE}" in proc.stdout

    write_config(git_repo, CONFIG.replace("python train.py", "python train.py --fast"))
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 1
    assert f"{PIPELINE}: stale" in proc.stderr
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"merged your hand edits into {PIPELINE}" in proc.stdout
    merged = pipeline.read_text()
    assert "timeout-minutes: 45" in merged
    assert "python train.py --fast" in merged
    assert f"wrote {TRAINING}" in proc.stdout or f"unchanged {TRAINING}" in proc.stdout
    assert mlci("check", cwd=git_repo).returncode == 0

    proc = mlci("generate", "--force", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "timeout-minutes: 45" not in pipeline.read_text()
    assert "python train.py --fast" in pipeline.read_text()
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "hand edits kept" not in proc.stdout


def test_strict_check_fails_on_any_hand_edit_with_a_diff(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    assert mlci("check", "--strict", cwd=git_repo).returncode == 0
    pipeline = git_repo / PIPELINE
    pipeline.write_text(
        pipeline.read_text().replace("timeout-minutes: 30", "timeout-minutes: 45", 1)
    )
    assert mlci("check", cwd=git_repo).returncode == 0  # merged edits pass the default check
    proc = mlci("check", "--strict", cwd=git_repo)
    assert proc.returncode == 1
    assert f"{PIPELINE}: edited by hand" in proc.stderr
    assert "-    timeout-minutes: 45" in proc.stdout and "+    timeout-minutes: 30" in proc.stdout
    # the advice clears it (plain `mlci generate` keeps the edit: that advice looped, issue 9)
    assert "then run `mlci generate --force`" in proc.stderr
    assert mlci("generate", "--force", cwd=git_repo).returncode == 0
    assert mlci("check", "--strict", cwd=git_repo).returncode == 0
    (git_repo / TRAINING).unlink()
    proc = mlci("check", "--strict", cwd=git_repo)
    assert proc.returncode == 1
    assert f"{TRAINING}: missing" in proc.stderr


def test_a_file_mlci_did_not_write_is_never_overwritten(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    own = git_repo / PIPELINE
    own.parent.mkdir(parents=True)
    own.write_text("name: my own pipeline\non: push\n")
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 1
    assert own.read_text() == "name: my own pipeline\non: push\n"
    proc = mlci("check", cwd=git_repo)
    assert proc.returncode == 1
    assert "not generated by mlci" in proc.stderr


def test_writes_are_atomic_and_leave_no_temp_files(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    leftovers = [p for p in (git_repo / ".github").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_generated_files_keep_their_permissions(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    assert mlci("generate", cwd=git_repo).returncode == 0
    pipeline = git_repo / PIPELINE
    assert pipeline.stat().st_mode & 0o777 == 0o644
    pipeline.chmod(0o664)
    write_config(git_repo, CONFIG.replace("0.8", "0.9"))
    assert mlci("generate", cwd=git_repo).returncode == 0
    assert pipeline.stat().st_mode & 0o777 == 0o664


def test_config_elsewhere_renders_beside_it(git_repo: Path, mlci: RunMlci) -> None:
    sub = git_repo / "ml"
    sub.mkdir()
    write_config(sub, CONFIG)
    proc = mlci("generate", "--config", "ml/mlci.yaml", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert (sub / PIPELINE).is_file()
    assert mlci("check", "--config", "ml/mlci.yaml", cwd=git_repo).returncode == 0


def test_a_directory_in_place_of_a_generated_file_is_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, CONFIG)
    (git_repo / PIPELINE).mkdir(parents=True)
    proc = mlci("generate", cwd=git_repo)
    assert proc.returncode == 2
    assert "is a directory where mlci writes a file" in proc.stderr
    assert "Traceback" not in proc.stderr
