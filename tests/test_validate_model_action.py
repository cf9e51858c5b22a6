"""The validate-model composite action: metadata, actionlint, zizmor, a real run with act."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, clean_env, git

ACTION = REPO_ROOT / "actions" / "validate-model" / "action.yml"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def test_action_inputs_and_outputs() -> None:
    action = load_action()
    inputs = action["inputs"]
    assert list(inputs) == [
        "metrics-file",
        "thresholds",
        "baseline",
        "max-regression",
        "config",
        "python-version",
        "extras",
        "report-file",
    ]
    assert inputs["metrics-file"]["required"] is True
    assert "default" not in inputs["metrics-file"]
    defaults = {
        name: spec.get("default") for name, spec in inputs.items() if name != "metrics-file"
    }
    assert defaults == {
        "thresholds": "",
        "baseline": "",
        "max-regression": "",
        "config": "mlci.yaml",
        "python-version": "",
        "extras": "",
        "report-file": "",
    }
    assert {name: spec["value"] for name, spec in action["outputs"].items()} == {
        "passed": "${{ steps.validate.outputs.passed }}",
        "report": "${{ steps.validate.outputs.report }}",
    }


def test_action_holds_no_logic_and_passes_inputs_through_env() -> None:
    steps = load_action()["runs"]["steps"]
    assert load_action()["runs"]["using"] == "composite"
    setup, run = steps
    assert setup["uses"] == SETUP_PYTHON
    assert setup["if"] == "inputs.python-version != ''"
    assert run["id"] == "validate"
    assert run["shell"] == "bash"
    assert "${{" not in run["run"]
    env = run["env"]
    for name in load_action()["inputs"]:
        if name == "python-version":
            continue
        assert f"${{{{ inputs.{name} }}}}" in env.values(), name
    script = run["run"]
    assert script.startswith('mlci="$("$GITHUB_ACTION_PATH/../install-mlci.sh" "$MLCI_EXTRAS")"\n')
    for var in env:
        assert f'"${var}"' in script, var
    # ActionLint-free shell logic: one install, one mlci call.
    assert script.count('"$mlci"') == 1


def test_docs_list_exactly_the_action_inputs_and_outputs() -> None:
    doc = (REPO_ROOT / "docs" / "actions" / "validate-model.md").read_text()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in doc.splitlines()]
    # The inputs table: | `name` | yes/no | default | meaning |
    documented_inputs = [
        row[0].strip("`") for row in cells if len(row) == 4 and row[1] in ("yes", "no")
    ]
    action = load_action()
    assert documented_inputs == list(action["inputs"])
    for output in action["outputs"]:
        assert f"| `{output}` |" in doc
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in doc


def lint_repo(tmp_path: Path, workflow: str) -> Path:
    repo = tmp_path / "lintrepo"
    shutil.copytree(REPO_ROOT / "actions", repo / "actions")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "gate.yml").write_text(workflow)
    git(repo, "init", "-q", "-b", "main")
    return repo


GOOD_WORKFLOW = """\
name: gate
on: push
permissions: {}
jobs:
  train:
    runs-on: ubuntu-latest
    outputs:
      passed: ${{ steps.gate.outputs.passed }}
    steps:
      - name: Validate the model
        id: gate
        uses: ./actions/validate-model
        with:
          metrics-file: metrics.json
          thresholds: |
            accuracy>=0.85
            rmse<=0.3
          baseline: file:prod.json
          max-regression: "0.05"
          config: mlci.yaml
          python-version: "3.11"
          extras: mlflow
          report-file: ${{ runner.temp }}/mlci-validation.json
      - name: Use the verdict
        if: always()
        env:
          PASSED: ${{ steps.gate.outputs.passed }}
          REPORT: ${{ steps.gate.outputs.report }}
        run: |
          echo "$PASSED"
          echo "$REPORT"
"""


def run_actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["actionlint", "-no-color", "-oneline", ".github/workflows/gate.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )


def test_actionlint_accepts_a_workflow_that_uses_the_action(tmp_path: Path) -> None:
    proc = run_actionlint(lint_repo(tmp_path, GOOD_WORKFLOW))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_actionlint_catches_a_misused_action(tmp_path: Path) -> None:
    """The check above can fail: actionlint does read the action's inputs."""
    bad = GOOD_WORKFLOW.replace("metrics-file: metrics.json", "metric-file: metrics.json")
    proc = run_actionlint(lint_repo(tmp_path, bad))
    assert proc.returncode == 1
    assert 'input "metric-file" is not defined' in proc.stdout
    assert 'missing input "metrics-file"' in proc.stdout


def run_zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["zizmor", "--offline", "--no-progress", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )


def test_zizmor_offline_finds_nothing(tmp_path: Path) -> None:
    proc = run_zizmor(ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_zizmor_would_catch_an_input_in_run(tmp_path: Path) -> None:
    """The check above can fail: an input interpolated into run: is a finding."""
    text = ACTION.read_text().replace(
        '--metrics "$MLCI_METRICS_FILE"', '--metrics "${{ inputs.metrics-file }}"'
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
name: gate
on: push
permissions: {}
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - name: Train (writes the metrics)
        env:
          METRICS: ${{ vars.METRICS }}
          ROLLOUT: ${{ vars.ROLLOUT }}
        run: |
          printf '%s' "$METRICS" > metrics.json
          printf '%s' '{"accuracy": 0.9, "eval": {"rmse": 0.25}}' > prod.json
          printf '%s' "$ROLLOUT" > rollout.yaml
      - name: Validate the model
        id: gate
        uses: acme/mlci/actions/validate-model@v1
        with:
          metrics-file: metrics.json
          thresholds: |
            accuracy>=0.85
            eval.rmse<=0.3
          baseline: file:prod.json
          max-regression: "0.1"
          report-file: ${{ vars.OUT }}/report-file.json
      # (issue 11) canary-deploy's outputs under act, in this run rather than one of its own:
      # a Prometheus with no series, so the judge rolls back on missing evidence in 2 s
      - name: Canary with nothing to judge
        id: canary
        continue-on-error: true
        uses: acme/mlci/actions/canary-deploy@v1
        with:
          config: rollout.yaml
          prometheus-url: ${{ vars.PROM }}
          registry: "false"
      - name: Record the outputs
        if: always()
        env:
          PASSED: ${{ steps.gate.outputs.passed }}
          REPORT: ${{ steps.gate.outputs.report }}
          DECISION: ${{ steps.canary.outputs.decision }}
          REASON: ${{ steps.canary.outputs.reason }}
          OUT: ${{ vars.OUT }}
        run: |
          printf '%s' "$PASSED" > "$OUT/passed"
          printf '%s' "$REPORT" > "$OUT/report.json"
          printf '%s' "$DECISION" > "$OUT/decision"
          printf '%s' "$REASON" > "$OUT/reason"
"""

ROLLOUT_YAML = (
    "{version: 1, train: {command: python train.py}, deploy: {production: {canary: "
    "{steps: [50], duration: 2s, interval: 1s, "
    "router: {type: command, set_weight: 'echo routed {weight}%'}}}}}"
)


SETUP_PYTHON_STAND_IN = """\
name: setup-python stand-in
description: >-
  github.com is unreachable here, and act resolves every action of a composite
  action, even one whose step is skipped. validate-model skips setup-python
  when python-version is empty; this stand-in fails the job if it ever runs.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "setup-python must be skipped when python-version is empty" >&2; exit 1
"""


def run_act(
    repo: Path, metrics: dict[str, Any], out: Path, prometheus_url: str = ""
) -> tuple[int, str, float]:
    out.mkdir()
    stand_in = out.parent / "setup-python"
    stand_in.mkdir(exist_ok=True)
    (stand_in / "action.yml").write_text(SETUP_PYTHON_STAND_IN)
    start = time.monotonic()
    proc = subprocess.run(
        [
            "act",
            "push",
            "-W",
            ".github/workflows/gate.yml",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--local-repository",
            f"acme/mlci@v1={REPO_ROOT}",
            "--local-repository",
            f"{SETUP_PYTHON}={stand_in}",
            "--var",
            f"METRICS={json.dumps(metrics)}",
            "--var",
            f"OUT={out}",
            "--var",
            f"PROM={prometheus_url}",
            "--var",
            f"ROLLOUT={ROLLOUT_YAML}",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=clean_env(),
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


@pytest.fixture
def act_repo(git_repo: Path) -> Path:
    workflows = git_repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "gate.yml").write_text(E2E_WORKFLOW)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "workflow")
    return git_repo


def test_act_runs_the_action_on_a_passing_model(act_repo: Path, tmp_path: Path) -> None:
    from prometheus_server import prometheus

    out = tmp_path / "out"
    with prometheus(tmp_path / "prometheus") as url:
        code, log, seconds = run_act(
            act_repo, {"accuracy": 0.91, "eval": {"rmse": 0.26}}, out, prometheus_url=url
        )
    assert code == 0, log
    assert "model passed: 2 metrics checked" in log
    assert "Summary - ### validate-model: ✅ model passed" in log
    assert [ln for ln in log.splitlines() if "❗" in ln and "canary-deploy" not in ln] == []
    assert (out / "passed").read_text() == "true"
    report = json.loads((out / "report.json").read_text())
    assert json.loads((out / "report-file.json").read_text()) == report
    assert report["passed"] is True
    assert report["baseline"] == {"source": "file:prod.json", "present": True, "version": None}
    assert [m["metric"] for m in report["metrics"]] == ["accuracy", "eval.rmse"]
    # canary-deploy's outputs, read by a later step: missing evidence is never a pass
    assert (out / "decision").read_text() == "rolled-back"
    assert "no evidence for 2 consecutive intervals" in (out / "reason").read_text()
    assert "interval 2 at 50%" in log and "rollback: done" in log
    print(f"act e2e (passing model): {seconds:.1f} s")


def test_act_runs_the_action_on_a_failing_model(act_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, log, seconds = run_act(act_repo, {"accuracy": 0.8, "eval": {"rmse": "n/a"}}, out)
    assert code != 0, log
    assert "mlci: model rejected: 2 of 2 metrics failed" in log
    annotations = [line.split("❗", 1)[1].strip() for line in log.splitlines() if "❗" in line]
    assert annotations == [
        "::error title=validate-model::accuracy: 0.8 is below the minimum 0.85 (accuracy>=0.85)",
        "::error title=validate-model::accuracy: regressed from 0.9 to 0.8 (-0.1, -11.11%25), "
        "beyond the allowed 10%25 of |baseline| (limit 0.81)",
        '::error title=validate-model::eval.rmse: the candidate value is a string ("n/a"), '
        "not a number (metrics.json)",
    ]
    assert "Summary - ### validate-model: ❌ model rejected" in log
    assert (out / "passed").read_text() == "false"
    assert (out / "decision").read_text() == ""  # the canary is skipped after a failed gate
    report = json.loads((out / "report.json").read_text())
    assert json.loads((out / "report-file.json").read_text()) == report
    assert report["passed"] is False
    assert report["failures"] == [
        "accuracy: 0.8 is below the minimum 0.85 (accuracy>=0.85)",
        "accuracy: regressed from 0.9 to 0.8 (-0.1, -11.11%), beyond the allowed "
        "10% of |baseline| (limit 0.81)",
        'eval.rmse: the candidate value is a string ("n/a"), not a number (metrics.json)',
    ]
    print(f"act e2e (failing model): {seconds:.1f} s")
