"""The register-model and promote-model actions, and the commands' GitHub Actions I/O.

actionlint checks a workflow that uses both actions (and is shown able to fail);
zizmor --offline audits the actions; real ``mlci`` subprocesses write the
outputs the actions declare to ``$GITHUB_OUTPUT``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, RunMlci, clean_env, git

ACTIONS = REPO_ROOT / "actions"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ACTIONS / name / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_register_model_action_inputs_and_outputs() -> None:
    action = load("register-model")
    inputs = action["inputs"]
    assert list(inputs) == [
        "model", "metrics-file", "report", "source", "store", "image", "config", "github-token",
        "python-version", "extras",
    ]  # fmt: skip
    assert inputs["metrics-file"]["required"] is True
    defaults = {k: v.get("default") for k, v in inputs.items() if k != "metrics-file"}
    assert defaults == {
        "model": "", "report": "", "source": "", "store": "", "image": "", "config": "mlci.yaml",
        "github-token": "",
        "python-version": "", "extras": "",
    }  # fmt: skip
    # Each output passes on the register step's output of the same name (the names
    # RegisterModelResult.outputs() writes), and says what it holds (wording is the docs').
    outputs = action["outputs"]
    assert {k: v["value"] for k, v in outputs.items()} == {
        k: f"${{{{ steps.register.outputs.{k} }}}}" for k in ("model_version", "digest", "image")
    }
    assert all(str(v["description"]).strip() for v in outputs.values())


def test_promote_model_action_inputs_and_outputs() -> None:
    action = load("promote-model")
    inputs = action["inputs"]
    assert list(inputs) == [
        "model", "model-version", "from-stage", "to-stage", "config", "github-token",
        "python-version", "extras",
    ]  # fmt: skip
    assert {k for k, v in inputs.items() if v["required"]} == {"model-version", "to-stage"}
    assert inputs["from-stage"]["default"] == ""
    assert inputs["github-token"]["default"] == ""
    outputs = action["outputs"]
    assert outputs["model_version"]["value"] == "${{ steps.promote.outputs.model_version }}"
    assert outputs["previous_version"]["value"] == "${{ steps.promote.outputs.previous_version }}"


@pytest.mark.parametrize("name", ["register-model", "promote-model"])
def test_action_holds_no_logic_and_passes_inputs_through_env(name: str) -> None:
    steps = load(name)["runs"]["steps"]
    assert load(name)["runs"]["using"] == "composite"
    setup, run = steps
    assert setup["uses"] == SETUP_PYTHON
    assert f"uses: {SETUP_PYTHON} # v7.0.0\n" in (ACTIONS / name / "action.yml").read_text()
    assert setup["if"] == "inputs.python-version != ''"
    assert run["shell"] == "bash"
    assert "${{" not in run["run"]
    assert run["run"].startswith(
        'mlci="$("$GITHUB_ACTION_PATH/../install-mlci.sh" "$MLCI_EXTRAS")"\n'
    )
    assert f'"$mlci" {name} ' in run["run"]
    inputs = set(load(name)["inputs"]) - {"python-version"}
    passed = {v.removeprefix("${{ inputs.").removesuffix(" }}") for v in run["env"].values()}
    assert passed == inputs  # every input reaches mlci, only through env
    assert run["env"]["MLCI_GITHUB_TOKEN"] == "${{ inputs.github-token }}"


WORKFLOW = """\
name: pipeline
on:
  push:
    branches: [main]
permissions: {}
jobs:
  train:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    outputs:
      model_version: ${{ steps.register.outputs.model_version }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
          fetch-depth: 0
      - name: Register the model
        id: register
        uses: ./actions/register-model
        with:
          metrics-file: metrics.json
          report: report.json
          github-token: ${{ secrets.GITHUB_TOKEN }}
          python-version: "3.11"
      - name: Assign staging
        uses: ./actions/promote-model
        with:
          model-version: ${{ steps.register.outputs.model_version }}
          to-stage: staging
          github-token: ${{ secrets.GITHUB_TOKEN }}
  deploy-production:
    needs: train
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - name: Promote
        id: promote
        uses: ./actions/promote-model
        env:
          MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}
        with:
          model: churn-model
          model-version: ${{ needs.train.outputs.model_version }}
          from-stage: staging
          to-stage: production
          extras: mlflow
      - name: Use the outputs
        env:
          NOW: ${{ steps.promote.outputs.model_version }}
          BEFORE: ${{ steps.promote.outputs.previous_version }}
        run: echo "$BEFORE -> $NOW"
"""


def lint_repo(tmp_path: Path, workflow: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copytree(ACTIONS, repo / "actions")
    (repo / ".github" / "workflows" / "pipeline.yml").write_text(workflow)
    git(repo, "init", "-q", "-b", "main")
    return repo


def actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["actionlint", "-no-color", "-oneline", ".github/workflows/pipeline.yml"],
        cwd=repo, capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip


def test_actionlint_accepts_a_workflow_that_uses_both_actions(tmp_path: Path) -> None:
    proc = actionlint(lint_repo(tmp_path, WORKFLOW))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_actionlint_catches_a_misused_action(tmp_path: Path) -> None:
    bad = WORKFLOW.replace("to-stage: staging", "stage: staging").replace(
        "steps.promote.outputs.previous_version", "steps.promote.outputs.previous"
    )
    proc = actionlint(lint_repo(tmp_path, bad))
    assert proc.returncode == 1
    assert 'input "stage" is not defined' in proc.stdout
    assert 'missing input "to-stage"' in proc.stdout
    assert 'property "previous" is not defined' in proc.stdout


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["zizmor", "--offline", "--no-progress", *map(str, paths)],
        capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip


def test_zizmor_offline_finds_nothing_in_the_actions() -> None:
    proc = zizmor(
        ACTIONS / "register-model" / "action.yml", ACTIONS / "promote-model" / "action.yml"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


def test_zizmor_would_flag_an_expression_in_run(tmp_path: Path) -> None:
    """The audit above can fail: an input expanded inside run: is a template injection."""
    text = (ACTIONS / "promote-model" / "action.yml").read_text()
    bad = text.replace('--to-stage "$MLCI_TO_STAGE"', "--to-stage ${{ inputs.to-stage }}")
    assert bad != text
    target = tmp_path / "promote-model" / "action.yml"
    target.parent.mkdir()
    target.write_text(bad)
    proc = zizmor(target)
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- GitHub Actions I/O


def actions_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path, Path]:
    out, summary = tmp_path / "output", tmp_path / "summary"
    out.touch()
    summary.touch()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/churn",
        "GITHUB_RUN_ID": "42",
        "GITHUB_ACTOR": "octocat",
        **extra,
    }
    return env, out, summary


def test_outputs_inside_github_actions(git_repo: Path, tmp_path: Path, mlci: RunMlci) -> None:
    (git_repo / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
    (git_repo / "report.json").write_text(json.dumps({"passed": True}))
    env, out, summary = actions_env(tmp_path)
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--report", "report.json",
        "--source", "", "--config", "mlci.yaml", cwd=git_repo, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "model_version=v0.0.1\n"
    assert "### Registered `churn` v0.0.1" in summary.read_text()
    message = git(git_repo, "tag", "-l", "--format=%(contents)", "churn@v0.0.1")
    assert '"run_url": "https://github.com/acme/churn/actions/runs/42"' in message
    assert '"actor": "octocat"' in message
    out.write_text("")
    proc = mlci(
        "promote-model", "--model", "churn", "--model-version", "v0.0.1", "--from-stage", "",
        "--to-stage", "staging", cwd=git_repo, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "model_version=v0.0.1\nprevious_version=\n"
    assert "::warning" not in proc.stdout and "warning" not in proc.stderr  # its verdict: passed
    proc = mlci("rollback-model", "--model", "churn", "--stage", "staging", cwd=git_repo, env=env)
    assert proc.returncode == 1
    assert out.read_text() == "model_version=v0.0.1\nprevious_version=\n"  # nothing added
    assert proc.stdout == (
        "::error title=rollback-model::churn: staging has held only v0.0.1 (no earlier version "
        "recorded); there is nothing to roll back to\n"
    )


def test_token_is_masked_and_never_printed(git_repo: Path, tmp_path: Path, mlci: RunMlci) -> None:
    token = "ghs_exampletoken1234567890"
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(origin))
    git(git_repo, "remote", "add", "origin", str(origin))
    (git_repo / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
    env, out, _ = actions_env(tmp_path, MLCI_GITHUB_TOKEN=token)
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--push",
        cwd=git_repo, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert proc.stdout.splitlines()[0] == f"::add-mask::{basic}"
    assert token not in proc.stdout + proc.stderr
    assert sorted(git(origin, "tag").split()) == ["churn@v0.0.1"]
    assert out.read_text() == "model_version=v0.0.1\n"


def test_promoting_a_version_without_a_verdict_warns(git_repo: Path, mlci: RunMlci) -> None:
    """A user trial registered without --report (optional on a laptop) and promoted that
    version to production without a word; it still may, but is told nothing shows it passed
    the gate. (A rejected model is not registered at all: exit 1.)"""
    (git_repo / "metrics.json").write_text(json.dumps({"accuracy": 0.5}))
    register = ("register-model", "--model", "churn", "--metrics", "metrics.json")
    assert mlci(*register, cwd=git_repo).returncode == 0
    proc = mlci(
        "promote-model", "--model", "churn", "--model-version", "v0.0.1",
        "--to-stage", "production", cwd=git_repo,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "warning: churn v0.0.1 has no recorded validation verdict (registered without "
        "--report): nothing shows it passed the gate\n"
    )
    (git_repo / "report.json").write_text(json.dumps({"passed": False}))
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "retrain")
    proc = mlci(*register, "--report", "report.json", cwd=git_repo)
    assert proc.returncode == 1 and "a rejected model is not registered" in proc.stderr
