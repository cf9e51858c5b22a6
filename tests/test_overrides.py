"""``overrides:`` in mlci.yaml: jobs and steps patched by id, through real ``mlci`` runs.

The patched workflows are parsed back, and linted with the real actionlint and
``zizmor --offline`` (through ``mlci lint``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunMlci, git, snapshot

PIPELINE = ".github/workflows/ml-pipeline.yml"
TRAINING = ".github/workflows/continuous-training.yml"


def setup(repo: Path, mlci: RunMlci, overrides: str) -> Path:
    proc = mlci("init", "--yes", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "mlci init")
    config = repo / "mlci.yaml"
    config.write_text(config.read_text() + overrides)
    return config


def workflow(repo: Path, rel: str = PIPELINE) -> dict[str, Any]:
    data = yaml.safe_load((repo / rel).read_text())
    assert isinstance(data, dict)
    return data


def step_ids(job: dict[str, Any]) -> list[str]:
    return [step["id"] for step in job["steps"]]


OVERRIDES = """
overrides:
  ml-pipeline:
    train:
      runs-on: [self-hosted, linux, gpu]
      timeout-minutes: 300
      steps:
        model-tests: null
        notify:
          after: train
          name: Notify the team
          env:
            WEBHOOK: ${{ secrets.TEAM_WEBHOOK }}
          run: |
            curl --fail --silent --data "trained" "$WEBHOOK"
            echo "notified"
        train:
          env:
            EPOCHS: "30"
    test:
      steps:
        data-tests:
          before: unit-tests
  continuous-training:
    check-trigger:
      timeout-minutes: 20
"""


def test_overrides_patch_jobs_and_steps_by_id_and_lint_clean(ml_repo: Path, mlci: RunMlci) -> None:
    setup(ml_repo, mlci, OVERRIDES)
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr

    jobs = workflow(ml_repo)["jobs"]
    train = jobs["train"]
    assert train["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert train["timeout-minutes"] == 300
    ids = step_ids(train)
    assert "model-tests" not in ids
    assert ids[ids.index("train") + 1] == "notify"
    notify = train["steps"][ids.index("notify")]
    assert notify["run"] == 'curl --fail --silent --data "trained" "$WEBHOOK"\necho "notified"\n'
    assert notify["env"] == {"WEBHOOK": "${{ secrets.TEAM_WEBHOOK }}"}
    trained = train["steps"][ids.index("train")]
    assert trained["env"]["EPOCHS"] == "30"
    assert trained["env"]["MLCI_METRICS_FILE"] == "metrics.json", "a merge patch keeps the rest"
    test_ids = step_ids(jobs["test"])
    assert test_ids.index("data-tests") == test_ids.index("unit-tests") - 1
    assert workflow(ml_repo, TRAINING)["jobs"]["check-trigger"]["timeout-minutes"] == 20

    text = (ml_repo / PIPELINE).read_text()
    assert "runs-on: [self-hosted, linux, gpu]" in text, "short lists stay in flow style"
    assert "# pushes the git registry's tags" in text, "comments survive the round trip"
    # the custom label is declared for actionlint, and both linters are clean
    assert "gpu" in (ml_repo / ".github" / "actionlint.yaml").read_text()
    proc = mlci("lint", cwd=ml_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert mlci("check", cwd=ml_repo).returncode == 0

    before = snapshot(ml_repo)
    assert mlci("generate", cwd=ml_repo).returncode == 0
    assert snapshot(ml_repo) == before, "overrides render deterministically"


def test_overrides_merge_with_hand_edits(ml_repo: Path, mlci: RunMlci) -> None:
    config = setup(ml_repo, mlci, "")
    pipeline = ml_repo / PIPELINE
    text = pipeline.read_text()
    pipeline.write_text(text.replace("    name: Deploy to staging\n", "    name: Staging (EU)\n"))
    config.write_text(
        config.read_text()
        + "overrides:\n  ml-pipeline:\n    train:\n      steps:\n        model-tests: null\n"
    )
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    jobs = workflow(ml_repo)["jobs"]
    assert jobs["deploy-staging"]["name"] == "Staging (EU)"
    assert "model-tests" not in step_ids(jobs["train"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            "overrides:\n  ml-pipeline:\n    trian:\n      timeout-minutes: 5\n",
            "overrides.ml-pipeline.trian: no job 'trian' in ml-pipeline.yml; valid job ids: "
            "check, test, build-image, train, deploy-staging, deploy-production",
        ),
        (
            "overrides:\n  ml-pipeline:\n    train:\n      steps:\n        fit: null\n",
            "overrides.ml-pipeline.train.steps.fit: no step 'fit' in job train; valid step ids: "
            "checkout, setup-python, install, train, model-tests, validate, report, register",
        ),
        (
            "overrides:\n  ml-pipeline:\n    train:\n      steps:\n"
            "        notify: {after: fit, run: echo hi}\n",
            "overrides.ml-pipeline.train.steps.notify.after: no step 'fit' in job train",
        ),
        (
            "overrides:\n  ml-pipeline:\n    train:\n      steps:\n        notify: {name: x}\n",
            "to add a step, give it after: <id> or before: <id>",
        ),
        (
            "overrides:\n  continuous-training:\n    train:\n      steps:\n        x: null\n",
            "job train calls a workflow and has no steps",
        ),
        (
            "overrides:\n  pipeline:\n    train: {}\n",
            "overrides.pipeline must be one of 'ml-pipeline' or 'continuous-training'",
        ),
        (
            "overrides:\n  ml-pipeline:\n    train:\n      steps:\n"
            "        notify:\n          after: train\n"
            "          run: echo ${{ github.event.pull_request.title }}\n",
            "would become shell or script text (template injection)",
        ),
        (
            "overrides:\n  ml-pipeline:\n    train:\n      steps:\n"
            "        train:\n          run: echo ${{ github.head_ref }}\n",
            "overrides.ml-pipeline.train.steps.train.run contains a GitHub expression",
        ),
    ],
    ids=[
        "unknown-job",
        "unknown-step",
        "unknown-anchor",
        "new-step-without-anchor",
        "steps-of-a-called-workflow",
        "unknown-workflow",
        "expression-in-new-run",
        "expression-in-patched-run",
    ],
)
def test_bad_overrides_are_exit_2_and_write_nothing(
    ml_repo: Path, mlci: RunMlci, overrides: str, message: str
) -> None:
    setup(ml_repo, mlci, overrides)
    before = snapshot(ml_repo)
    for command in ("generate", "check"):
        proc = mlci(command, cwd=ml_repo)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert message in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        # the message names the line of the offending key in mlci.yaml
        match = re.match(r"mlci: error: mlci\.yaml:(\d+): ([\w.-]+)", proc.stderr)
        assert match is not None, proc.stderr
        line, key = int(match.group(1)), match.group(2).rsplit(".", 1)[-1]
        assert f"{key}:" in (ml_repo / "mlci.yaml").read_text().splitlines()[line - 1]
    assert snapshot(ml_repo) == before


def test_override_deletes_a_job_and_a_key(ml_repo: Path, mlci: RunMlci) -> None:
    setup(
        ml_repo,
        mlci,
        "overrides:\n  ml-pipeline:\n    deploy-production: null\n"
        "    deploy-staging:\n      if: null\n",
    )
    proc = mlci("generate", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    jobs = workflow(ml_repo)["jobs"]
    assert "deploy-production" not in jobs
    assert "if" not in jobs["deploy-staging"]
    assert jobs["deploy-staging"]["environment"] == "staging"
