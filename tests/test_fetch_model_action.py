"""The fetch-model action: inputs through env, outputs declared, actionlint and zizmor clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO_ROOT, RunMlci, clean_env, git

ACTION = REPO_ROOT / "actions" / "fetch-model" / "action.yml"


def load() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def test_inputs_and_outputs() -> None:
    action = load()
    assert list(action["inputs"]) == [
        "model", "model-version", "stage", "dest", "from-dir", "verify-attestation", "config",
        "github-token", "python-version", "extras",
    ]  # fmt: skip
    assert {k for k, v in action["inputs"].items() if v["required"]} == {"dest"}
    assert {k: v["value"] for k, v in action["outputs"].items()} == {
        name: f"${{{{ steps.fetch.outputs.{name} }}}}"
        for name in ("model", "model_version", "model_dir", "digest")
    }


def test_action_holds_no_logic_and_passes_every_input_through_env() -> None:
    setup, run = load()["runs"]["steps"]
    assert setup["if"] == "inputs.python-version != ''"
    assert "${{" not in run["run"]
    assert '"$mlci" fetch-model ' in run["run"]
    passed = {v.removeprefix("${{ inputs.").removesuffix(" }}") for v in run["env"].values()}
    assert passed == set(load()["inputs"]) - {"python-version"}


WORKFLOW = """\
name: deploy
on:
  workflow_dispatch:
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
          fetch-depth: 0
      - id: model
        uses: ./actions/fetch-model
        with:
          stage: production
          dest: ${{ runner.temp }}/model
          github-token: ${{ github.token }}
      - name: Deploy
        env:
          MLCI_MODEL_DIR: ${{ steps.model.outputs.model_dir }}
          MLCI_DIGEST: ${{ steps.model.outputs.digest }}
        run: ls -R "$MLCI_MODEL_DIR" && echo "$MLCI_DIGEST"
"""


def lint_repo(tmp_path: Path, workflow: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "actions", repo / "actions")
    (repo / ".github" / "workflows" / "deploy.yml").write_text(workflow)
    git(repo, "init", "-q", "-b", "main")
    return repo


def actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["actionlint", "-no-color", "-oneline", ".github/workflows/deploy.yml"],
        cwd=repo, capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip


def test_actionlint_accepts_a_workflow_using_it_and_catches_a_misuse(tmp_path: Path) -> None:
    proc = actionlint(lint_repo(tmp_path / "ok", WORKFLOW))
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr
    bad = WORKFLOW.replace("dest: ${{ runner.temp }}/model", "destination: x").replace(
        "outputs.model_dir", "outputs.dir"
    )
    proc = actionlint(lint_repo(tmp_path / "bad", bad))
    assert proc.returncode == 1
    assert 'missing input "dest"' in proc.stdout
    assert 'property "dir" is not defined' in proc.stdout


def test_zizmor_offline_finds_nothing_and_can_fail(tmp_path: Path) -> None:
    def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["zizmor", "--offline", "--no-progress", str(path)],
            capture_output=True, text=True, check=False, env=clean_env(),
        )  # fmt: skip

    proc = zizmor(ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = ACTION.read_text().replace('--dest "$MLCI_DEST"', "--dest ${{ inputs.dest }}")
    target = tmp_path / "fetch-model" / "action.yml"
    target.parent.mkdir()
    target.write_text(bad)
    assert "template-injection" in zizmor(target).stdout


def test_outputs_inside_github_actions(git_repo: Path, tmp_path: Path, mlci: RunMlci) -> None:
    (git_repo / "models").mkdir()
    (git_repo / "models" / "w.bin").write_bytes(b"\x00weights")
    (git_repo / "metrics.json").write_text('{"accuracy": 0.9}')
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--artifacts", "models",
        "--store", "none", cwd=git_repo,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out, summary = tmp_path / "out", tmp_path / "summary"
    out.touch()
    summary.touch()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    dest = tmp_path / "model"
    proc = mlci(
        "fetch-model", "--model", "churn", "--version", "v0.0.1", "--stage", "",
        "--from-dir", str(git_repo / "models"), "--dest", str(dest), cwd=git_repo, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    outputs = out.read_text()
    assert "model=churn\n" in outputs and "model_version=v0.0.1\n" in outputs
    assert f"model_dir={dest}\n" in outputs and "digest=sha256:" in outputs
    assert "### Model files of `churn` v0.0.1" in summary.read_text()
    assert (dest / "models" / "w.bin").read_bytes() == b"\x00weights"
