"""The canary-deploy and blue-green-deploy composite actions: no logic, actionlint, zizmor."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, clean_env, git

SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"
ACTIONS = ("canary-deploy", "blue-green-deploy")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "actions" / name / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", ACTIONS)
def test_action_holds_no_logic_and_passes_inputs_through_env(name: str) -> None:
    action = load(name)
    assert action["runs"]["using"] == "composite"
    setup, run = action["runs"]["steps"]
    assert setup["uses"] == SETUP_PYTHON and setup["if"] == "inputs.python-version != ''"
    assert run["id"] == "rollout" and run["shell"] == "bash"
    assert "${{" not in run["run"]
    env = run["env"]
    for input_name in action["inputs"]:
        if input_name != "python-version":
            assert f"${{{{ inputs.{input_name} }}}}" in env.values(), input_name
    script = run["run"]
    assert script.startswith('mlci="$("$GITHUB_ACTION_PATH/../install-mlci.sh" "$MLCI_EXTRAS")"\n')
    assert script.count('"$mlci"') == 1 and f'"$mlci" {name} ' in script
    for var in env:
        if var == "MLCI_PROMETHEUS_TOKEN":  # mlci reads it from the environment: never in argv
            assert var not in script
            continue
        assert f"${var}" in script or "{" + var in script, var
    # Each output passes on the rollout step's output of the same name (names the command's
    # result writes), and says what it holds (wording is the docs').
    outputs = action["outputs"]
    assert {k: v["value"] for k, v in outputs.items()} == {
        k: f"${{{{ steps.rollout.outputs.{k} }}}}" for k in ("decision", "reason")
    }
    assert all(str(v["description"]).strip() for v in outputs.values())


@pytest.mark.parametrize("name", ACTIONS)
def test_every_flag_the_action_passes_exists(name: str) -> None:
    script = load(name)["runs"]["steps"][1]["run"]
    flags = {word.strip('"()') for word in script.split() if word.startswith(("--", "(--"))}
    proc = subprocess.run(
        ["python", "-m", "mlci", name, "--help"], capture_output=True, text=True, check=False,
        env=clean_env({"PYTHONPATH": str(REPO_ROOT)}),
    )  # fmt: skip
    assert proc.returncode == 0
    for flag in flags:
        assert flag.rstrip(")") in proc.stdout, flag


WORKFLOW = """\
name: rollout
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - name: Roll out
        id: rollout
        uses: ./actions/ACTION
        with:
          config: mlci.yaml
          model-version: v1.2.0
          prometheus-url: http://prometheus:9090
          prometheus-token: ${{ secrets.PROMETHEUS_TOKEN }}
          interval: 1m
          github-token: ${{ secrets.GITHUB_TOKEN }}
          python-version: "3.11"
      - name: Use the decision
        if: always()
        env:
          DECISION: ${{ steps.rollout.outputs.decision }}
          REASON: ${{ steps.rollout.outputs.reason }}
        run: echo "$DECISION $REASON"
"""


def lint(tmp_path: Path, workflow: str) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "lintrepo"
    shutil.copytree(REPO_ROOT / "actions", repo / "actions")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "rollout.yml").write_text(workflow)
    git(repo, "init", "-q", "-b", "main")
    return subprocess.run(
        ["actionlint", "-no-color", "-oneline", ".github/workflows/rollout.yml"],
        cwd=repo, capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip


@pytest.mark.parametrize("name", ACTIONS)
def test_actionlint_accepts_a_workflow_using_the_action(tmp_path: Path, name: str) -> None:
    proc = lint(tmp_path, WORKFLOW.replace("ACTION", name))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ACTIONS)
def test_actionlint_catches_a_misused_action(tmp_path: Path, name: str) -> None:
    bad = WORKFLOW.replace("ACTION", name).replace("interval: 1m", "intervals: 1m")
    bad = bad.replace("steps.rollout.outputs.reason", "steps.rollout.outputs.why")
    proc = lint(tmp_path, bad)
    assert proc.returncode == 1
    assert 'input "intervals" is not defined' in proc.stdout
    assert 'property "why" is not defined' in proc.stdout


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["zizmor", "--offline", "--no-progress", *map(str, paths)],
        capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip


def test_zizmor_offline_finds_nothing() -> None:
    proc = zizmor(*(REPO_ROOT / "actions" / name / "action.yml" for name in ACTIONS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


@pytest.mark.parametrize("name", ACTIONS)
def test_zizmor_would_catch_an_input_in_run(tmp_path: Path, name: str) -> None:
    path = REPO_ROOT / "actions" / name / "action.yml"
    text = path.read_text().replace('--config "$MLCI_CONFIG"', '--config "${{ inputs.config }}"')
    assert text != path.read_text()
    bad = tmp_path / name / "action.yml"
    bad.parent.mkdir()
    bad.write_text(text)
    proc = zizmor(bad)
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout
