"""mlci report: one PR comment, edited in place, against the OpenAPI-validated fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunMlci
from github_fake import SECONDARY, FakeGitHub

from mlci.commands import report as report_cmd
from mlci.github import GitHub

REPO = "octo/churn"
TOKEN = "fake-token"


@pytest.fixture
def validation_report(mlci: RunMlci, tmp_path: Path) -> Path:
    """A real validate-model report: accuracy passes, rmse regresses against production."""
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.91, "rmse": 160.5}))
    (tmp_path / "prod.json").write_text(json.dumps({"accuracy": 0.89, "rmse": 120.0}))
    out = tmp_path / "report.json"
    proc = mlci(
        "validate-model",
        "--metrics", "metrics.json",
        "--threshold", "accuracy>=0.85\nrmse<=150",
        "--baseline", "file:prod.json",
        "--report-json", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # rejected: the report is written anyway
    return out


def actions_env(
    tmp_path: Path, fake: FakeGitHub, event: dict[str, object] | None = None, **extra: str
) -> dict[str, str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event if event is not None else pr_event(7)))
    for name in ("summary.md", "output.txt"):
        (tmp_path / name).write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
    }
    env.update(extra)
    return env


def pr_event(number: int, head: str = REPO) -> dict[str, object]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {
                "sha": "0123456789abcdef0123456789abcdef01234567",
                "repo": {"full_name": head},
            },
            "base": {"repo": {"full_name": REPO}},
        },
    }


def outputs(tmp_path: Path) -> str:
    return (tmp_path / "output.txt").read_text()


# ---------------------------------------------------------------- create, find, update


def test_first_run_creates_one_comment(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = actions_env(tmp_path, github)
    proc = mlci(
        "report",
        "--from-report",
        str(validation_report),
        "--model-version",
        "v1.3.0",
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    [comment] = github.comments_of(REPO, 7)
    body = comment["body"]
    assert body.startswith("<!-- mlci:report -->\n")
    assert "❌ model rejected" in body and "v1.3.0" in body
    assert "| rmse | 160.5 | 120 | +40.5 (+33.75%) | <= 150 | ❌ fail |" in body
    assert "```mermaid\nxychart-beta" in body
    assert "https://github.com/octo/churn/actions/runs/4242" in body
    assert "commit `0123456789ab`" in body  # which push the numbers belong to
    assert f"created the comment on {REPO}#7" in proc.stdout
    assert "action=created" in outputs(tmp_path)
    assert "comment-url=https://github.com/octo/churn/pull/7#issuecomment-" in outputs(tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert (
        "The model report is [on the pull request](https://github.com/octo/churn/pull/7#issuecomment-"
        in summary
    )
    assert "| rmse |" not in summary  # not twice: validate-model's own summary has the table


def test_later_runs_edit_the_same_comment_found_across_pages(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    github.add_comments(REPO, 7, [f"review comment {i}" for i in range(150)])
    env = actions_env(tmp_path, github)
    first = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    github.add_comments(
        REPO, 7, [f"later comment {i}" for i in range(80)]
    )  # marker now on page 2 of 3

    data = json.loads(validation_report.read_text())
    data["metrics"][1]["candidate"] = 99.0
    validation_report.write_text(json.dumps(data))
    second = mlci(
        "report",
        "--from-report",
        str(validation_report),
        "--model-version",
        "v1.3.1",
        cwd=tmp_path,
        env=env,
    )
    assert second.returncode == 0, second.stderr
    assert f"updated the comment on {REPO}#7" in second.stdout

    ours = [c for c in github.comments_of(REPO, 7) if c["body"].startswith("<!-- mlci:report")]
    assert len(ours) == 1
    assert len(github.comments_of(REPO, 7)) == 231
    assert "| rmse | 99 |" in ours[0]["body"] and "v1.3.1" in ours[0]["body"]
    assert len(github.calls("issues/create-comment")) == 1
    assert len(github.calls("issues/update-comment")) == 1
    pages = [r.path for r in github.calls("issues/list-comments")]
    assert sum("page=3" in p for p in pages) == 1  # the second run read every page


def test_one_comment_per_model(github: FakeGitHub, validation_report: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, github)
    gh = GitHub(api_url=github.api_url, token=TOKEN)
    for model in ("churn", "ltv", "churn"):
        result = report_cmd.run(report_path=validation_report, model=model, env=env, client=gh)
        assert result.ok
    bodies = [c["body"].split("\n", 1)[0] for c in github.comments_of(REPO, 7)]
    assert bodies == ["<!-- mlci:report model=churn -->", "<!-- mlci:report model=ltv -->"]


# ---------------------------------------------------------------- never fails the job


def test_fork_pull_request_goes_to_the_summary(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = actions_env(tmp_path, github, event=pr_event(9, head="someone/churn"))
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert github.requests == []  # a fork's token is read-only: not even tried
    assert (
        "::notice title=report::the report was not posted on the pull request: this pull request comes from a fork"
        in proc.stdout
    )
    assert "| rmse | 160.5 |" in (tmp_path / "summary.md").read_text()
    assert "action=summary" in outputs(tmp_path)


def test_token_without_permission_goes_to_the_summary(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    github.read_only = True
    env = actions_env(tmp_path, github)
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "403: Resource not accessible by integration" in proc.stdout
    assert "pull-requests: write" in proc.stdout
    assert "| rmse | 160.5 |" in (tmp_path / "summary.md").read_text()
    assert github.comments_of(REPO, 7) == []
    assert len(github.calls("issues/create-comment")) == 1  # tried once, never retried


def test_rate_limit_is_waited_out(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    github.fail("issues/create-comment", 403, message=SECONDARY, retry_after=1)
    env = actions_env(tmp_path, github)
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "created the comment" in proc.stdout
    assert len(github.calls("issues/create-comment")) == 2
    assert len(github.comments_of(REPO, 7)) == 1


def test_5xx_is_retried(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    github.fail("issues/list-comments", 502, message="Bad Gateway")
    env = actions_env(tmp_path, github)
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "created the comment" in proc.stdout
    assert len(github.calls("issues/list-comments")) == 2


def test_rate_limit_beyond_budget_goes_to_the_summary(
    github: FakeGitHub, validation_report: Path, tmp_path: Path
) -> None:
    github.fail("issues/create-comment", 429, message=SECONDARY, retry_after=3600)
    env = actions_env(tmp_path, github)
    waits: list[float] = []
    gh = GitHub(api_url=github.api_url, token=TOKEN, sleep=waits.append)
    result = report_cmd.run(report_path=validation_report, env=env, client=gh)
    assert result.ok and result.action == "summary"
    assert "rate limit" in (result.reason or "")
    assert waits == []


def test_the_token_never_shows(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    secret = "ghs_S3cretValueThatMustNeverPrint000"
    env = actions_env(tmp_path, github, GITHUB_TOKEN=secret)  # the fake rejects it: 401
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "401: Bad credentials" in proc.stdout
    for text in (
        proc.stdout,
        proc.stderr,
        outputs(tmp_path),
        (tmp_path / "summary.md").read_text(),
    ):
        assert secret not in text
    assert github.requests[0].headers["authorization"] == f"Bearer {secret}"


def test_no_token_goes_to_the_summary(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = actions_env(tmp_path, github, GITHUB_TOKEN="")
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "no token: set GITHUB_TOKEN or GH_TOKEN" in proc.stdout
    assert github.requests == []


# ---------------------------------------------------------------- on a laptop


def test_laptop_flags_and_gh_token(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = {"GITHUB_API_URL": github.api_url, "GH_TOKEN": TOKEN}
    proc = mlci(
        "report",
        "--from-report",
        str(validation_report),
        "--pr",
        "12",
        "--repo",
        "octo/other",
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "created the comment on octo/other#12" in proc.stdout
    [comment] = github.comments_of("octo/other", 12)
    assert "workflow run" not in comment["body"]  # no run outside Actions


def test_dry_run_posts_nothing(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    proc = mlci(
        "report",
        "--from-report",
        str(validation_report),
        "--dry-run",
        cwd=tmp_path,
        env={"GITHUB_API_URL": github.api_url},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!-- mlci:report -->\n### mlci: ❌ model rejected")
    assert github.requests == []


def test_usage_errors_exit_2(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = {"GITHUB_API_URL": github.api_url, "GITHUB_TOKEN": TOKEN}
    no_pr = mlci(
        "report", "--from-report", str(validation_report), "--repo", REPO, cwd=tmp_path, env=env
    )
    assert no_pr.returncode == 2
    assert "no pull request: pass --pr NUMBER" in no_pr.stderr
    no_repo = mlci(
        "report", "--from-report", str(validation_report), "--pr", "3", cwd=tmp_path, env=env
    )
    assert no_repo.returncode == 2 and "pass --repo owner/name" in no_repo.stderr
    missing = mlci(
        "report", "--from-report", "nope.json", "--pr", "3", "--repo", REPO, cwd=tmp_path, env=env
    )
    assert missing.returncode == 2 and "nope.json: no such validate-model report" in missing.stderr
    (tmp_path / "other.json").write_text('{"should_train": true}')
    wrong = mlci(
        "report", "--from-report", "other.json", "--pr", "3", "--repo", REPO, cwd=tmp_path, env=env
    )
    assert wrong.returncode == 2 and "not a validate-model report" in wrong.stderr
    (tmp_path / "binary.json").write_bytes(b'{"passed": "\xff\xfe"}')
    binary = mlci(
        "report", "--from-report", "binary.json", "--pr", "3", "--repo", REPO, cwd=tmp_path, env=env
    )
    assert binary.returncode == 2, binary.stderr
    assert binary.stderr == "mlci: error: binary.json: is not UTF-8 text\n"
    outputs = no_pr.stderr + no_repo.stderr + missing.stderr + wrong.stderr + binary.stderr
    assert "Traceback" not in outputs


def test_no_such_pull_request_exits_2(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    github.fail("issues/list-comments", 404, message="Not Found")
    env = {"GITHUB_API_URL": github.api_url, "GITHUB_TOKEN": TOKEN}
    proc = mlci(
        "report",
        "--from-report",
        str(validation_report),
        "--pr",
        "404",
        "--repo",
        REPO,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 2
    assert "GitHub found nothing at GET /repos/octo/churn/issues/404/comments" in proc.stderr


def test_push_event_in_actions_only_summarises(
    github: FakeGitHub, mlci: RunMlci, validation_report: Path, tmp_path: Path
) -> None:
    env = actions_env(tmp_path, github, event={"ref": "refs/heads/main"}, GITHUB_EVENT_NAME="push")
    proc = mlci("report", "--from-report", str(validation_report), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "this run is not for a pull request" in proc.stdout
    assert github.requests == []


# ---------------------------------------------------------------- rendering


def test_no_production_model_and_a_trigger_report(tmp_path: Path) -> None:
    report = {
        "passed": True,
        "baseline": {"source": "registry:production", "present": False, "version": None},
        "metrics": [
            {"metric": "accuracy", "threshold": ">= 0.8", "candidate": 0.9, "passed": True},
            {"metric": 'weird|"name', "threshold": "<= 5", "candidate": 3, "passed": True},
        ],
        "failures": [],
        "notices": ["no model in production yet"],
    }
    trigger = {
        "should_train": True,
        "reason": "drift in 1 of 2 features",
        "checks": [{"trigger": "drift", "fired": True, "reason": "age drifted"}],
        "drift": {
            "summary": "1 of 2 features drifted",
            "features": [{"feature": "age", "psi": 0.31, "drifted": True}],
        },
    }
    body = report_cmd.render_comment(report, model="churn", trigger=trigger)
    assert "✅ model passed" in body
    assert "against no production model (registry:production)" in body
    assert "| accuracy | 0.9 | — | — | >= 0.8 | ✅ pass |" in body
    assert "weird\\|" in body  # a pipe cannot break the table
    assert "> no model in production yet" in body
    assert "**Retraining trigger:** retrain — drift in 1 of 2 features" in body
    assert "| feature | psi | drifted |\n|---|---|---|\n| age | 0.31 | true |" in body
    # scores share a 0..1 chart; a metric on another scale gets its own
    assert body.count("```mermaid") == 2
    assert 'x-axis ["accuracy"]' in body and 'x-axis ["weird|name"]' in body


def test_huge_reports_stay_under_githubs_limit() -> None:
    rows = [
        {"metric": f"m{i}" * 40, "threshold": ">= 0", "candidate": 1.0, "passed": True}
        for i in range(2000)
    ]
    body = report_cmd.render_comment({"passed": True, "baseline": {}, "metrics": rows})
    assert len(body) <= 65_536
    assert body.startswith("<!-- mlci:report -->")
    assert "the full report is in the job summary" in body
