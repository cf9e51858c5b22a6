"""The retrain-trigger composite action: metadata, actionlint, zizmor, a real run with act."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, RunMlci, clean_env, git
from test_validate_model_action import (
    SETUP_PYTHON,
    SETUP_PYTHON_STAND_IN,
    lint_repo,
    run_actionlint,
    run_zizmor,
)

ACTION = REPO_ROOT / "actions" / "retrain-trigger" / "action.yml"
DOC = REPO_ROOT / "docs" / "actions" / "retrain-trigger.md"


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def test_action_inputs_and_outputs() -> None:
    action = load_action()
    assert {name: spec["default"] for name, spec in action["inputs"].items()} == {
        "config": "mlci.yaml",
        "python-version": "",
        "extras": "",
        "reference": "",
        "current": "",
        "metrics": "",
        "force": "false",
    }
    assert all(spec["required"] is False for spec in action["inputs"].values())
    assert {name: spec["value"] for name, spec in action["outputs"].items()} == {
        "should_train": "${{ steps.trigger.outputs.should_train }}",
        "reason": "${{ steps.trigger.outputs.reason }}",
        "report": "${{ steps.trigger.outputs.report }}",
    }


def test_action_holds_no_logic_and_passes_inputs_through_env() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    setup, run = action["runs"]["steps"]
    assert setup["uses"] == SETUP_PYTHON
    assert setup["if"] == "inputs.python-version != ''"
    assert run["id"] == "trigger"
    assert run["shell"] == "bash"
    assert "${{" not in run["run"]
    assert run["env"] == {
        "MLCI_CONFIG": "${{ inputs.config }}",
        "MLCI_EXTRAS": "${{ inputs.extras }}",
        "MLCI_REFERENCE": "${{ inputs.reference }}",
        "MLCI_CURRENT": "${{ inputs.current }}",
        "MLCI_METRICS": "${{ inputs.metrics }}",
        "MLCI_FORCE": "${{ inputs.force }}",
    }
    assert run["run"] == (
        'mlci="$("$GITHUB_ACTION_PATH/../install-mlci.sh" "$MLCI_EXTRAS")"\n'
        'args=(retrain-trigger --config "$MLCI_CONFIG")\n'
        'if [ -n "$MLCI_REFERENCE" ]; then args+=(--reference "$MLCI_REFERENCE"); fi\n'
        'if [ -n "$MLCI_CURRENT" ]; then args+=(--current "$MLCI_CURRENT"); fi\n'
        'if [ -n "$MLCI_METRICS" ]; then args+=(--metrics "$MLCI_METRICS"); fi\n'
        'if [ "$MLCI_FORCE" = "true" ]; then args+=(--force); fi\n'
        '"$mlci" "${args[@]}"\n'
    )


def test_the_generated_workflow_calls_it_with_inputs_it_has() -> None:
    """continuous-training.yml (the golden) passes only inputs the action declares."""
    golden = yaml.safe_load(
        (REPO_ROOT / "tests/golden/minimal/continuous-training.yml").read_text()
    )
    step = golden["jobs"]["check-trigger"]["steps"][-1]
    assert step["uses"].split("@")[0].endswith("/actions/retrain-trigger")
    assert set(step["with"]) <= set(load_action()["inputs"])
    outputs = golden["jobs"]["check-trigger"]["outputs"]
    # The job passes on the action's outputs it needs (the train job reads these two).
    assert set(outputs) >= {"should_train", "reason"}
    assert outputs == {
        name: f"${{{{ steps.{step['id']}.outputs.{name} }}}}"
        for name in load_action()["outputs"]
        if name in outputs
    }


def test_docs_list_exactly_the_action_inputs_and_outputs() -> None:
    doc = DOC.read_text()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in doc.splitlines()]
    documented_inputs = [
        row[0].strip("`") for row in cells if len(row) == 4 and row[1] in ("yes", "no")
    ]
    assert documented_inputs == list(load_action()["inputs"])
    for output in load_action()["outputs"]:
        assert f"| `{output}` |" in doc
    for code in ("| 0 |", "| 2 |", "| 3 |"):
        assert code in doc


GOOD_WORKFLOW = """\
name: gate
on: workflow_dispatch
permissions: {}
jobs:
  check-trigger:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      should_train: ${{ steps.trigger.outputs.should_train }}
      reason: ${{ steps.trigger.outputs.reason }}
    steps:
      - name: Retraining trigger
        id: trigger
        uses: ./actions/retrain-trigger
        env:
          MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}
        with:
          config: mlci.yaml
          python-version: "3.11"
          extras: mlflow
  use:
    needs: [check-trigger]
    if: needs.check-trigger.outputs.should_train == 'true'
    runs-on: ubuntu-latest
    steps:
      - env:
          REASON: ${{ needs.check-trigger.outputs.reason }}
        run: echo "$REASON"
"""


def test_actionlint_accepts_a_workflow_that_uses_the_action(tmp_path: Path) -> None:
    proc = run_actionlint(lint_repo(tmp_path, GOOD_WORKFLOW))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_actionlint_catches_a_misused_action(tmp_path: Path) -> None:
    """The check above can fail: actionlint reads the action's inputs and outputs."""
    bad = GOOD_WORKFLOW.replace("extras: mlflow", "extra: mlflow").replace(
        "outputs.reason }}\n    steps", "outputs.why }}\n    steps"
    )
    proc = run_actionlint(lint_repo(tmp_path, bad))
    assert proc.returncode == 1
    assert 'input "extra" is not defined' in proc.stdout
    assert 'property "why" is not defined' in proc.stdout


def test_zizmor_offline_finds_nothing() -> None:
    proc = run_zizmor(ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_zizmor_would_catch_an_input_in_run(tmp_path: Path) -> None:
    """The check above can fail: an input interpolated into run: is a finding."""
    text = ACTION.read_text().replace('--config "$MLCI_CONFIG"', '--config "${{ inputs.config }}"')
    assert text != ACTION.read_text()
    bad = tmp_path / "bad" / "action.yml"
    bad.parent.mkdir()
    bad.write_text(text)
    proc = run_zizmor(bad)
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout


# --------------------------------------------------------------------------- act, end to end

E2E_WORKFLOW = """\
name: continuous training
on: push
permissions: {}
jobs:
  check-trigger:
    runs-on: ubuntu-latest
    steps:
      - name: Check out (a full clone, as actions/checkout with fetch-depth 0)
        env:
          SOURCE: ${{ vars.SOURCE }}
        run: git clone -q "$SOURCE" .
      - name: Retraining trigger
        id: trigger
        uses: acme/mlci/actions/retrain-trigger@v1
      - name: Record the outputs
        env:
          SHOULD_TRAIN: ${{ steps.trigger.outputs.should_train }}
          REASON: ${{ steps.trigger.outputs.reason }}
          OUT: ${{ vars.OUT }}
        run: |
          printf '%s' "$SHOULD_TRAIN" > "$OUT/should_train"
          printf '%s' "$REASON" > "$OUT/reason"
"""


@pytest.mark.slow
def test_act_new_data_since_the_last_tag_retrains(
    git_repo: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    repo = git_repo
    files = {
        "mlci.yaml": "train:\n  command: python train.py\nregistry:\n  model: churn\n",
        "data/train.csv": "x,y\n1,0\n",
        ".github/workflows/ct.yml": E2E_WORKFLOW,
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ml project")
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.9}')
    registered = mlci("register-model", "--metrics", str(tmp_path / "metrics.json"), cwd=repo)
    assert registered.returncode == 0, registered.stderr
    trained = git(repo, "rev-parse", "HEAD").strip()
    (repo / "data" / "fresh.csv").write_text("x,y\n2,1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "new data")

    out = tmp_path / "out"
    out.mkdir()
    stand_in = tmp_path / "setup-python"
    stand_in.mkdir()
    (stand_in / "action.yml").write_text(SETUP_PYTHON_STAND_IN)
    start = time.monotonic()
    proc = subprocess.run(
        [
            "act", "push", "-W", ".github/workflows/ct.yml",
            "-P", "ubuntu-latest=-self-hosted",
            "--local-repository", f"acme/mlci@v1={REPO_ROOT}",
            "--local-repository", f"{SETUP_PYTHON}={stand_in}",
            "--var", f"SOURCE={repo}", "--var", f"OUT={out}",
        ],
        cwd=repo, capture_output=True, text=True, check=False, timeout=600, env=clean_env(),
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    reason = f"1 file changed under data/ since churn v0.0.1 (commit {trained[:12]})"
    assert (out / "should_train").read_text() == "true"
    assert (out / "reason").read_text() == reason
    assert f"::notice title=retrain-trigger::{reason}" in log
    assert "Summary - ### retrain-trigger: retrain" in log
    print(f"act e2e (new data): {time.monotonic() - start:.1f} s")
