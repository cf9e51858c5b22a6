"""The retrain trigger's JSON report (``mlci retrain-trigger --report-json``) read by
``mlci report --trigger-report``: the files the two commands really write, in a real git
repository with a really registered version — the decision, each check and the per-column
drift table reach the comment. Unit-level calls: the process boundary adds nothing here
(tests/test_report_action.py runs the action under act)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git
from test_retrain_trigger import BASE, commit
from test_retrain_trigger_drift import DRIFT, table

from mlci.commands import register_model, retrain_trigger, validate_model
from mlci.commands import report as report_cmd


def test_the_trigger_report_file_renders_its_drift_table_in_the_pr_report(
    git_repo: Path, tmp_path: Path
) -> None:
    repo = git_repo
    config = repo / "mlci.yaml"
    commit(repo, {"mlci.yaml": BASE, "train.py": "print('train')\n"}, "ml project")
    commit(
        repo,
        {
            "mlci.yaml": DRIFT,
            "data/reference.csv": table(1),
            "data/current.csv": table(2, shift=1.0, new_category=True),
        },
        "data",
    )
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"accuracy": 0.91}')
    validation = tmp_path / "validation.json"
    verdict = validate_model.run(
        metrics_path=metrics,
        config_path=config,
        threshold_args=["accuracy>=0.8"],
        baseline_spec="none",
        report_path=validation,
    )
    assert verdict.ok
    registered = register_model.run(
        model=None,
        config_path=config,
        backend=None,
        root=repo,
        tracking_uri=None,
        metrics_path=metrics,
        report_path=validation,
    )
    assert registered.ok
    assert git(repo, "tag").split() == ["churn@v0.0.1"]

    trigger_file = tmp_path / "trigger.json"
    decision = retrain_trigger.run(config_path=config, root=repo, report_path=trigger_file)
    assert decision.ok and decision.decision.should_train
    written = json.loads(trigger_file.read_text())
    assert written["trigger"] == "drift"

    result = report_cmd.run(
        report_path=validation,
        trigger_path=trigger_file,
        model="churn",
        env={"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/churn"},
    )
    assert result.action == "summary"  # a run not for a pull request: the job summary
    body = result.render_markdown()
    reason = "data drift: 2 of 3 columns drifted (age, plan), 67% against a threshold of 50%"
    assert f"**Retraining trigger:** retrain — {reason}" in body
    assert f"- 🔺 `drift`: {reason}" in body
    assert f"Drift: {written['drift']['summary']}" in body
    lines = body.splitlines()
    header = lines.index("| feature | type | test | statistic | threshold | drifted |")
    assert lines[header + 1] == "|---|---|---|---|---|---|"
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[header + 2 : header + 5]}
    assert set(rows) == {"age", "income", "plan"}
    assert rows["age"].endswith("| true |") and rows["plan"].endswith("| true |")
    assert rows["income"].endswith("| false |")
    assert "| plan | categorical | chisquare |" in rows["plan"]
    # every number the trigger wrote is in the table, as the report prints numbers
    for feature in written["drift"]["features"]:
        assert report_cmd._cell(feature["statistic"]) in rows[feature["feature"]]
        assert report_cmd._cell(feature["threshold"]) in rows[feature["feature"]]
