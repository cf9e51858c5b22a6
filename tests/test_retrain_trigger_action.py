"""The retrain-trigger composite action: metadata, actionlint, zizmor, a real run with act."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, clean_env, git
from test_validate_model_action import (
    SETUP_PYTHON,
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
        "prometheus-token": "",
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
        "MLCI_PROMETHEUS_TOKEN": "${{ inputs.prometheus-token }}",
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

# The pipeline continuous-training.yml calls, as a stand-in: it records what it was called
# with. (The real ml-pipeline.yml under a CT call is test_pipeline_e2e's; this run proves the
# drift wiring: pull first, drift fires, the call happens with the trigger's report.)
PIPELINE_STAND_IN = """\
name: ML pipeline
on:
  workflow_call:
    inputs:
      reason: {type: string, required: false, default: ""}
      trigger_report: {type: string, required: false, default: ""}
permissions: {}
jobs:
  train:
    name: Called pipeline
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - env:
          REASON: ${{ inputs.reason }}
          REPORT: ${{ inputs.trigger_report }}
        run: |
          printf '%s' "$REASON" > "$MLCI_E2E_OUT/reason"
          printf '%s' "$REPORT" > "$MLCI_E2E_OUT/report.json"
"""

DRIFT_CONFIG = """\
install: {requirements: []}
train: {command: python train.py}
registry: {model: churn}
data: {pull: dvc pull}
trigger:
  new_data: {enabled: false}
  drift: {enabled: true, reference: data/reference.csv, current: data/live.csv}
workflows: {self_reference: relative}
"""


def _csv(rows: int, *, shift: float, plans: tuple[str, ...], seed: int) -> str:
    import numpy as np

    rng = np.random.default_rng(seed)
    tenure = rng.normal(24 + shift, 6, rows)
    plan = rng.choice(plans, rows)
    return "tenure,plan\n" + "".join(f"{t:.3f},{p}\n" for t, p in zip(tenure, plan, strict=True))


@pytest.mark.slow
def test_act_a_drifted_data_commit_retrains_and_calls_the_pipeline(tmp_path: Path) -> None:
    """The generated continuous-training.yml under act: dvc pull fetches the drifted data
    before the check, drift fires, should_train is true and the pipeline is called with the
    reason and the report. What no other test covers: the check-trigger job as generated,
    with a data pull, and its report reaching the called workflow."""
    from test_pipeline_e2e import CHECKOUT_STAND_IN, PINS
    from test_pipeline_e2e import SETUP_PYTHON_STAND_IN as HOST_PYTHON

    from mlci import config, render

    repo, origin, out = tmp_path / "churn", tmp_path / "origin.git", tmp_path / "out"
    out.mkdir()
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    files = render.render(config.parse(DRIFT_CONFIG))
    files |= {
        "mlci.yaml": DRIFT_CONFIG,
        render.PIPELINE: PIPELINE_STAND_IN,
        "data/reference.csv": _csv(300, shift=0, plans=("basic", "pro"), seed=1),
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / "data/live.csv").write_text(_csv(300, shift=0, plans=("basic", "pro"), seed=2))
    dvc = ["dvc", "--quiet"]
    env = clean_env()
    for args in (["init", "-q"], ["remote", "add", "-d", "store", str(tmp_path / "store")]):
        subprocess.run([*dvc[:1], *args], cwd=repo, check=True, env=env)
    subprocess.run([*dvc, "add", "data/live.csv"], cwd=repo, check=True, env=env)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "churn model, data in dvc")
    git(repo, "tag", "-a", "churn@v0.0.1", "-m", "registered")  # the model trained on it
    # the drifted data commit: tenure moves by a standard deviation, a plan appears
    (repo / "data/live.csv").write_text(_csv(300, shift=6, plans=("basic", "pro", "max"), seed=3))
    subprocess.run([*dvc, "add", "data/live.csv"], cwd=repo, check=True, env=env)
    subprocess.run([*dvc, "push"], cwd=repo, check=True, env=env)
    git(repo, "commit", "-q", "-am", "new data")
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "push", "-q", "--tags", str(origin), "main")
    for name, text in (("checkout", CHECKOUT_STAND_IN), ("setup-python", HOST_PYTHON)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "action.yml").write_text(text)

    checkout, setup_python = PINS["actions/checkout"].sha, PINS["actions/setup-python"].sha
    start = time.monotonic()
    proc = subprocess.run(
        [
            "act", "schedule", "-W", f".github/workflows/{Path(render.TRAINING).name}",
            "-P", "ubuntu-latest=-self-hosted", "--no-skip-checkout",
            "--env", f"MLCI_E2E_ORIGIN={origin}", "--env", f"MLCI_E2E_OUT={out}",
            "--local-repository", f"mlci-dev/mlci@v1={REPO_ROOT}",
            "--local-repository", f"actions/checkout@{checkout}={tmp_path / 'checkout'}",
            "--local-repository", f"actions/setup-python@{setup_python}={tmp_path / 'setup-python'}",
        ],
        cwd=repo, capture_output=True, text=True, check=False, timeout=600, env=env,
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    # the pull ran, and before the check (the checkout has only the .dvc file)
    pulled = log.index("⭐ Run Main Pull the data the drift check reads")
    assert "✅  Success - Main Pull the data the drift check reads" in log
    assert pulled < log.index("⭐ Run Main Retraining trigger")
    assert "should_train: true" in log
    reason = (out / "reason").read_text()
    assert reason.startswith("data drift: 2 of 2 columns drifted (tenure, plan)"), reason
    report = json.loads((out / "report.json").read_text())
    assert report["should_train"] is True and report["trigger"] == "drift"
    features = {f["feature"]: f for f in report["drift"]["features"]}
    assert features["tenure"]["drifted"] and features["plan"]["drifted"]
    # the job summary holds the per-column drift table
    assert "Summary - ### retrain-trigger: retrain" in log
    assert "| `plan` | categorical | chi-square p-value |" in log
    assert "🏁  Job succeeded" in log.split("Called pipeline", 1)[1]
    print(f"act CT drift: {time.monotonic() - start:.1f} s")
