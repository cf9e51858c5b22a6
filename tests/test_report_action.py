"""The report composite action: metadata, docs, actionlint, zizmor, and act against the fake GitHub."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, clean_env, git
from github_fake import FakeGitHub
from test_validate_model_action import (
    SETUP_PYTHON,
    SETUP_PYTHON_STAND_IN,
    lint_repo,
    run_actionlint,
    run_zizmor,
)

ACTION = REPO_ROOT / "actions" / "report" / "action.yml"
DOC = REPO_ROOT / "docs" / "actions" / "report.md"


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def test_action_inputs_and_outputs() -> None:
    action = load_action()
    inputs = action["inputs"]
    assert inputs["report-file"]["required"] is True
    assert {name: spec["default"] for name, spec in inputs.items() if name != "report-file"} == {
        "trigger-report": "",
        "model": "",
        "model-version": "",
        "pull-request": "",
        "token": "${{ github.token }}",
        "python-version": "",
        "extras": "",
    }
    assert {name: spec["value"] for name, spec in action["outputs"].items()} == {
        "action": "${{ steps.report.outputs.action }}",
        "comment-url": "${{ steps.report.outputs.comment-url }}",
    }


def test_action_holds_no_logic_and_passes_inputs_through_env() -> None:
    setup, run = load_action()["runs"]["steps"]
    assert setup["uses"] == SETUP_PYTHON
    assert setup["if"] == "inputs.python-version != ''"
    assert run["id"] == "report" and run["shell"] == "bash"
    assert "${{" not in run["run"]
    assert run["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert set(run["env"]) == {
        "MLCI_REPORT_FILE",
        "MLCI_TRIGGER_REPORT",
        "MLCI_REPORT_MODEL",
        "MLCI_REPORT_MODEL_VERSION",
        "MLCI_PULL_REQUEST",
        "MLCI_EXTRAS",
        "GITHUB_TOKEN",
    }
    assert run["run"].splitlines()[0] == (
        'mlci="$("$GITHUB_ACTION_PATH/../install-mlci.sh" "$MLCI_EXTRAS")"'
    )


def test_docs_list_exactly_the_action_inputs_and_outputs() -> None:
    doc = DOC.read_text()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in doc.splitlines()]
    documented = [row[0].strip("`") for row in cells if len(row) == 4 and row[1] in ("yes", "no")]
    assert documented == list(load_action()["inputs"])
    for output in load_action()["outputs"]:
        assert f"| `{output}` |" in doc
    for code in ("| 0 |", "| 2 |", "| 3 |"):
        assert code in doc


GOOD_WORKFLOW = """\
name: pr
on: pull_request
permissions: {}
jobs:
  train:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - name: Comment the model report
        id: report
        if: ${{ !cancelled() }}
        uses: ./actions/report
        with:
          report-file: ${{ runner.temp }}/mlci-validation.json
          model: churn
          model-version: v1.0.0
          python-version: "3.11"
      - name: Use it
        env:
          URL: ${{ steps.report.outputs.comment-url }}
          ACTION: ${{ steps.report.outputs.action }}
        run: echo "$ACTION $URL"
"""


def test_actionlint_accepts_a_workflow_that_uses_the_action(tmp_path: Path) -> None:
    proc = run_actionlint(lint_repo(tmp_path, GOOD_WORKFLOW))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_actionlint_catches_a_misused_action(tmp_path: Path) -> None:
    bad = GOOD_WORKFLOW.replace("model: churn", "name: churn").replace(
        "outputs.comment-url", "outputs.url"
    )
    proc = run_actionlint(lint_repo(tmp_path, bad))
    assert proc.returncode == 1
    assert 'input "name" is not defined' in proc.stdout
    assert 'property "url" is not defined' in proc.stdout


def test_zizmor_offline_finds_nothing() -> None:
    proc = run_zizmor(ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_zizmor_would_catch_an_input_in_run(tmp_path: Path) -> None:
    text = ACTION.read_text().replace(
        '--pr "$MLCI_PULL_REQUEST"', '--pr "${{ inputs.pull-request }}"'
    )
    assert text != ACTION.read_text()
    bad = tmp_path / "bad" / "action.yml"
    bad.parent.mkdir()
    bad.write_text(text)
    proc = run_zizmor(bad)
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout


# --------------------------------------------------------------------------- act, end to end

E2E_WORKFLOW = """\
name: pr
on: pull_request
permissions: {}
jobs:
  train:
    runs-on: ubuntu-latest
    permissions:
      pull-requests: write
    steps:
      - name: Validate (writes the report, rejects the model)
        id: gate
        uses: acme/mlci/actions/validate-model@v1
        with:
          metrics-file: ${{ vars.WORK }}/metrics.json
          thresholds: accuracy>=0.85
          baseline: file:${{ vars.WORK }}/prod.json
          report-file: ${{ vars.WORK }}/report.json
      - name: Comment the model report
        id: report
        if: ${{ !cancelled() }}
        uses: acme/mlci/actions/report@v1
        with:
          report-file: ${{ vars.WORK }}/report.json
          model: churn
          model-version: v2.0.0
      - name: Record the outputs
        if: ${{ !cancelled() }}
        env:
          ACTION: ${{ steps.report.outputs.action }}
          OUT: ${{ vars.WORK }}
        run: printf '%s' "$ACTION" > "$OUT/action"
"""


def run_act(repo: Path, work: Path, fake: FakeGitHub, event: dict[str, Any]) -> tuple[int, str]:
    stand_in = work / "setup-python"
    stand_in.mkdir(exist_ok=True)
    (stand_in / "action.yml").write_text(SETUP_PYTHON_STAND_IN)
    (work / "event.json").write_text(json.dumps(event))
    proc = subprocess.run(
        [
            "act", "pull_request", "-W", ".github/workflows/pr.yml",
            "-e", str(work / "event.json"),
            "-P", "ubuntu-latest=-self-hosted",
            "--local-repository", f"acme/mlci@v1={REPO_ROOT}",
            "--local-repository", f"{SETUP_PYTHON}={stand_in}",
            "--var", f"WORK={work}",
            "--env", f"GITHUB_API_URL={fake.api_url}",
            "-s", "GITHUB_TOKEN=fake-token",
        ],
        cwd=repo, capture_output=True, text=True, check=False, timeout=600, env=clean_env(),
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def pr_event(head: str) -> dict[str, Any]:
    return {
        "number": 5,
        "pull_request": {
            "number": 5,
            "head": {"ref": "feature", "repo": {"full_name": head}},
            "base": {"ref": "main", "repo": {"full_name": "octo/churn"}},
        },
        "repository": {"full_name": "octo/churn", "name": "churn", "owner": {"login": "octo"}},
    }


@pytest.mark.slow
def test_act_comments_once_and_edits_it_on_the_next_push(
    git_repo: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    workflows = git_repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "pr.yml").write_text(E2E_WORKFLOW)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "workflow")
    git(
        git_repo, "remote", "add", "origin", "https://github.com/octo/churn.git"
    )  # act's repository
    work = tmp_path / "work"
    work.mkdir()
    (work / "prod.json").write_text('{"accuracy": 0.9}')
    start = time.monotonic()
    for accuracy in (0.8, 0.95):  # a rejected push, then a passing one
        (work / "metrics.json").write_text(json.dumps({"accuracy": accuracy}))
        code, log = run_act(git_repo, work, github, pr_event("octo/churn"))
        if accuracy < 0.85:
            assert code != 0, log  # the gate failed the job; the comment was still posted
        else:
            assert code == 0, log
    seconds = time.monotonic() - start
    assert {r.path.split("/issues")[0] for r in github.requests} == {"/repos/octo/churn"}
    [comment] = github.comments_of("octo/churn", 5)
    assert comment["body"].startswith("<!-- mlci:report model=churn -->")
    assert "✅ model passed" in comment["body"] and "| accuracy | 0.95 | 0.9 |" in comment["body"]
    assert len(github.calls("issues/create-comment")) == 1
    assert len(github.calls("issues/update-comment")) == 1
    assert (work / "action").read_text() == "updated"

    # the same pull request from a fork: nothing is tried, the job still succeeds
    code, log = run_act(git_repo, work, github, pr_event("someone/churn"))
    assert code == 0, log
    assert "this pull request comes from a fork" in log
    assert (work / "action").read_text() == "summary"
    assert len(github.comments_of("octo/churn", 5)) == 1
    print(f"act e2e (report, 2 pushes): {seconds:.1f} s")
