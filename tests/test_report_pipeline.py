"""The generated pipeline comments the model report on pull requests, and only there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_workflows import CASES, lint_clean, load_yaml12, rendered, write_rendered

from mlci import config, render

LEVEL = {"none": 0, "read": 1, "write": 2}


def render_with(pr_comment: bool) -> dict[str, str]:
    data = {"train": {"command": "python train.py"}, "validation": {"pr_comment": pr_comment}}
    return render.render(config.parse(json.dumps(data)))


def steps_by_id(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in job["steps"]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_train_comments_on_pull_requests_only(name: str) -> None:
    pipeline = load_yaml12(rendered(name)[render.PIPELINE])
    train = pipeline["jobs"]["train"]
    steps = steps_by_id(train)
    report = steps["report"]
    assert report["uses"].split("@")[0].endswith("/actions/report")
    assert "github.event_name == 'pull_request'" in report["if"]
    # it runs after a rejected model too (that is when reviewers need it), not after a
    # training that never produced a report
    assert "!cancelled()" in report["if"]
    assert "steps.validate.outcome != 'skipped'" in report["if"]
    assert report["with"]["report-file"] == steps["validate"]["with"]["report-file"]
    ids = list(steps)
    assert ids.index("validate") < ids.index("report") < ids.index("register")
    # pull-requests: write is in the job that comments and nowhere else
    for job_id, job in pipeline["jobs"].items():
        granted = job.get("permissions", {}).get("pull-requests")
        assert granted == ("write" if job_id == "train" else None), job_id
    # no trigger that would give untrusted code a write token
    assert not {"pull_request_target", "workflow_run"} & set(pipeline["on"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_caller_grants_what_the_called_pipeline_asks(name: str) -> None:
    """A called workflow's job may ask for no more than the caller grants (else GitHub
    refuses the whole run, whatever the job's if: says)."""
    files = rendered(name)
    pipeline = load_yaml12(files[render.PIPELINE])
    granted = load_yaml12(files[render.TRAINING])["jobs"]["train"]["permissions"]
    for job_id, job in pipeline["jobs"].items():
        for scope, level in job.get("permissions", {}).items():
            assert LEVEL[level] <= LEVEL[granted.get(scope, "none")], f"{job_id}: {scope}"


def test_pr_comment_false_removes_the_step_and_the_permission(tmp_path: Path) -> None:
    files = render_with(False)
    for rel in (render.PIPELINE, render.TRAINING):
        assert "pull-requests" not in files[rel]
    train = load_yaml12(files[render.PIPELINE])["jobs"]["train"]
    assert "report" not in steps_by_id(train)
    assert "report" in steps_by_id(load_yaml12(render_with(True)[render.PIPELINE])["jobs"]["train"])
    write_rendered(tmp_path, files)
    lint_clean(tmp_path)


def test_pr_comment_is_documented_in_the_config_reference() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "config.md").read_text()
    assert "| `validation.pr_comment` |" in page
