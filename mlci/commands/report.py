"""``mlci report``: the model's numbers on the pull request, in one comment edited in place.

Reads the validate-model JSON report (``mlci validate-model --report-json``)
and, optionally, a retrain-trigger report; renders candidate vs production
metrics (threshold, change, verdict), the drift summary, the model version, the
run link and a Mermaid bar chart; then creates **one** comment on the pull
request, found again on every later run by a hidden marker (searching every
page of comments) and edited in place.

The report informs, it does not gate: a pull request from a fork (read-only
token), a token without ``pull-requests: write``, no token, a rate limit or an
unreachable GitHub never fail the command. The report then goes to the job
summary (``$GITHUB_STEP_SUMMARY``) with a notice saying why it was not posted.
A bad report file, or no pull request / repository to name, is a usage error
(exit 2).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlci.commands import Result
from mlci.errors import UsageError
from mlci.files import read_text
from mlci.github import Forbidden, GitHub, GitHubError, NotFound

MARKER_PREFIX = "<!-- mlci:report"
#: GitHub refuses comment bodies over 65,536 characters.
MAX_BODY = 65_000
MAX_CHART_METRICS = 12

Action = Literal["created", "updated", "summary", "printed"]


def marker(model: str | None) -> str:
    """The hidden first line that finds the comment again (one comment per model)."""
    name = re.sub(r"[^A-Za-z0-9_.@/-]", "-", model) if model else ""
    return f"{MARKER_PREFIX} model={name} -->" if name else f"{MARKER_PREFIX} -->"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PullRequest:
    repo: str
    number: int | None
    #: Why commenting is known to be impossible before trying (a fork), else None.
    blocked: str | None = None
    #: The pull request's head commit (the push the numbers belong to), from the event.
    head_sha: str | None = None


def _load_json(path: Path, what: str) -> dict[str, Any]:
    text = read_text(path, what=what)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: the {what} is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the {what} must be a JSON object")
    return data


def load_validation_report(path: Path) -> dict[str, Any]:
    """The validate-model report; exit 2 unless it has the shape ``report_json`` writes."""
    data = _load_json(path, "validate-model report")
    metrics = data.get("metrics")
    if not isinstance(data.get("passed"), bool) or not isinstance(metrics, list):
        raise UsageError(
            f"{path}: not a validate-model report (no 'passed' and 'metrics'); "
            "write one with mlci validate-model --report-json FILE"
        )
    for row in metrics:
        if not isinstance(row, dict) or not isinstance(row.get("metric"), str):
            raise UsageError(f"{path}: every entry of 'metrics' needs a 'metric' name")
    return data


def load_trigger_report(path: Path) -> dict[str, Any]:
    data = _load_json(path, "retrain-trigger report")
    if not isinstance(data.get("should_train"), bool):
        raise UsageError(f"{path}: not a retrain-trigger report (no boolean 'should_train')")
    return data


def pull_request_from_env(
    env: Mapping[str, str], *, number: int | None, repo: str | None
) -> PullRequest:
    """The PR and repository: flags first, then ``GITHUB_EVENT_PATH`` / ``GITHUB_REPOSITORY``."""
    event: dict[str, Any] = {}
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            loaded = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        event = loaded if isinstance(loaded, dict) else {}
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    if not repo:
        raise UsageError("no repository: pass --repo owner/name (or set GITHUB_REPOSITORY)")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise UsageError(f"--repo must be owner/name, got {repo!r}")
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    blocked = None
    head_sha = None
    if number is None and pr is not None and isinstance(pr.get("number"), int):
        number = pr["number"]
    if pr is not None and number == pr.get("number"):
        head = (pr.get("head") or {}).get("repo") or {}
        base = (pr.get("base") or {}).get("repo") or {}
        sha = (pr.get("head") or {}).get("sha")
        head_sha = sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{7,64}", sha) else None
        if head.get("full_name") != base.get("full_name"):
            blocked = (
                "this pull request comes from a fork, whose token is read-only "
                "(mlci uses no pull_request_target)"
            )
    return PullRequest(repo=repo, number=number, blocked=blocked, head_sha=head_sha)


def run_url(env: Mapping[str, str]) -> str | None:
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if not repo or not run_id:
        return None
    url = f"{server}/{repo}/actions/runs/{run_id}"
    attempt = env.get("GITHUB_RUN_ATTEMPT")
    if attempt and attempt != "1":
        url += f"/attempts/{attempt}"
    return url


# --------------------------------------------------------------------------- rendering


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:.6g}"
    return str(value)


def _cell(value: Any) -> str:
    return _num(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _change(row: Mapping[str, Any]) -> str:
    change = _finite(row.get("change"))
    if change is None:
        return "—"
    relative = _finite(row.get("relative_change"))
    text = f"{change:+.4g}"
    return f"{text} ({relative * 100:+.2f}%)" if relative is not None else text


def metrics_table(report: Mapping[str, Any]) -> list[str]:
    has_baseline = bool((report.get("baseline") or {}).get("present"))
    lines = [
        "| metric | candidate | production | change | threshold | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in report["metrics"]:
        candidate = _cell(row.get("candidate")) if row.get("candidate_present", True) else "missing"
        if not has_baseline:
            baseline = "—"
        else:
            baseline = _cell(row.get("baseline")) if row.get("baseline_present") else "missing"
        verdict = "✅ pass" if row.get("passed") else "❌ fail"
        threshold = _cell(row.get("threshold", ""))
        lines.append(
            f"| {_cell(row['metric'])} | {candidate} | {baseline} | {_change(row)} "
            f"| {threshold} | {verdict} |"
        )
    return lines


def _label(text: str) -> str:
    return '"' + re.sub(r'["\\\n\r]', "", text)[:30] + '"'


def mermaid_charts(report: Mapping[str, Any]) -> list[str]:
    """Bars of candidate (and production) per metric; one chart per scale.

    Metrics within [0, 1] (scores) share one chart; any other metric gets its own,
    so an RMSE of 120 does not flatten an accuracy of 0.9. Missing or NaN values
    have no bar (the table says "missing").
    """
    has_baseline = bool((report.get("baseline") or {}).get("present"))
    shared: list[tuple[str, str, float]] = []
    own: list[list[tuple[str, str, float]]] = []
    for row in report["metrics"][:MAX_CHART_METRICS]:
        bars: list[tuple[str, str, float]] = []
        for who, key in (("production", "baseline"), ("candidate", "candidate")):
            if who == "production" and not has_baseline:
                continue
            value = _finite(row.get(key))
            if value is not None:
                bars.append((str(row["metric"]), who, value))
        if not bars:
            continue
        if all(0.0 <= v <= 1.0 for _, _, v in bars):
            shared += bars
        else:
            own.append(bars)
    charts = []
    for bars in ([shared] if shared else []) + own:
        top = max(v for _, _, v in bars)
        bottom = min(0.0, min(v for _, _, v in bars))
        upper = 1.0 if top <= 1.0 and bottom >= 0.0 else top * 1.1 if top > 0 else 0.0
        labels = ", ".join(
            _label(f"{m} ({'prod' if who == 'production' else 'cand'})" if has_baseline else m)
            for m, who, _ in bars
        )
        values = ", ".join(_num(v) for _, _, v in bars)
        charts += [
            "",
            "```mermaid",
            "xychart-beta",
            f"    x-axis [{labels}]",
            f'    y-axis "value" {_num(bottom)} --> {_num(upper)}',
            f"    bar [{values}]",
            "```",
        ]
    return charts


def trigger_section(trigger: Mapping[str, Any]) -> list[str]:
    """The retraining trigger: its decision, each check, and a drift table when given."""
    decision = "retrain" if trigger.get("should_train") else "no retrain"
    out = [f"**Retraining trigger:** {decision} — {_cell(trigger.get('reason', ''))}"]
    checks = trigger.get("checks")
    if isinstance(checks, list) and checks:
        out.append("")
        for check in checks:
            if isinstance(check, dict):
                mark = "🔺" if check.get("fired") else "·"
                name, why = _cell(check.get("trigger", "?")), _cell(check.get("reason", ""))
                out.append(f"- {mark} `{name}`: {why}")
    drift = trigger.get("drift")
    rows = drift.get("features") if isinstance(drift, dict) else drift
    if isinstance(drift, dict) and drift.get("summary"):
        out += ["", f"Drift: {_cell(drift['summary'])}"]
    if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        columns = list(rows[0])
        out += [
            "",
            "| " + " | ".join(_cell(c) for c in columns) + " |",
            "|" + "---|" * len(columns),
        ]
        out += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows[:50]]
    return out


def render_comment(
    report: Mapping[str, Any],
    *,
    model: str | None = None,
    model_version: str | None = None,
    trigger: Mapping[str, Any] | None = None,
    run: str | None = None,
    commit: str | None = None,
) -> str:
    """The comment's Markdown, starting with the hidden marker line."""
    passed = bool(report["passed"])
    name = f" `{_cell(model)}`" if model else ""
    version = f" {_cell(model_version)}" if model_version else ""
    head = "✅ model passed" if passed else "❌ model rejected"
    baseline = report.get("baseline") or {}
    if baseline.get("present"):
        prod = f"production `{_cell(baseline.get('version'))}`" if baseline.get("version") else ""
        against = prod or f"`{_cell(baseline.get('source') or 'the baseline')}`"
        tolerance = _finite(report.get("max_regression"))
        if tolerance is not None:
            kind = "of |baseline|" if report.get("regression") == "relative" else "absolute"
            shown = f"{tolerance * 100:g}%" if kind.startswith("of") else _num(tolerance)
            against += f", tolerance {shown} {kind}"
    else:
        against = f"no production model ({_cell(baseline.get('source') or 'no baseline')})"
    out = [
        marker(model),
        f"### mlci: {head} —{name}{version}".rstrip(" —"),
        "",
        f"Candidate{name}{version} against {against}.",
        "",
        *metrics_table(report),
    ]
    failures = [f for f in report.get("failures", []) if isinstance(f, str)]
    if failures:
        out += ["", "**Why it was rejected**", ""]
        out += [f"- {_cell(f)}" for f in failures]
    notices = [n for n in report.get("notices", []) if isinstance(n, str)]
    if notices:
        out.append("")
        out += [f"> {_cell(n)}" for n in notices]
    charts = mermaid_charts(report)
    out += charts
    if trigger is not None:
        out += ["", *trigger_section(trigger)]
    footer = []
    if commit:
        footer.append(f"commit `{commit[:12]}`")
    if run:
        footer.append(f"[workflow run]({run})")
    footer.append("updated on every push by `mlci report`")
    out += ["", "<sub>" + " · ".join(footer) + "</sub>"]
    body = "\n".join(out) + "\n"
    if len(body) > MAX_BODY:
        body = (
            body[: MAX_BODY - 200].rsplit("\n", 1)[0]
            + "\n\n… (cut: the full report is in the job summary)\n"
        )
    return body


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ReportResult(Result):
    body: str
    action: Action
    repo: str | None = None
    number: int | None = None
    comment_url: str | None = None
    comment_id: int | None = None
    #: Why the comment was not posted (action "summary"), one line.
    reason: str | None = None
    in_actions: bool = False

    def render_text(self) -> str:
        where = f"{self.repo}#{self.number}" if self.number is not None else str(self.repo)
        if self.action in ("created", "updated"):
            return f"mlci report: {self.action} the comment on {where}: {self.comment_url}\n"
        if self.action == "printed":
            return self.body
        text = f"mlci report: not posted on {where}: {self.reason}\n"
        if self.in_actions:
            return text + "The report is in the job summary.\n"
        return text + "\n" + self.body

    def render_markdown(self) -> str:
        """Posted: one line linking the comment. Not posted: the whole report (no marker)."""
        if self.action in ("created", "updated"):
            link = f"[on the pull request]({self.comment_url})"
            return f"### mlci report\n\nThe model report is {link}.\n"
        return self.body.split("\n", 1)[1] if self.body.startswith(MARKER_PREFIX) else self.body

    def outputs(self) -> Mapping[str, str]:
        return {
            "action": self.action,
            "comment-url": self.comment_url or "",
            "comment-id": str(self.comment_id) if self.comment_id is not None else "",
        }

    def notes(self) -> Sequence[str]:
        if self.action == "summary" and self.reason:
            return [f"the report was not posted on the pull request: {self.reason}"]
        return []


# --------------------------------------------------------------------------- run


def find_comment(client: GitHub, repo: str, number: int, mark: str) -> dict[str, Any] | None:
    """The newest comment whose first line is ``mark``, searching every page."""
    found = None
    for comment in client.list_issue_comments(repo, number):
        body = comment.get("body") or ""
        if body.split("\n", 1)[0].strip() == mark:
            found = comment
    return found


def run(
    *,
    report_path: Path,
    trigger_path: Path | None = None,
    pr: int | None = None,
    repo: str | None = None,
    model: str | None = None,
    model_version: str | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    client: GitHub | None = None,
) -> ReportResult:
    env = os.environ if env is None else env
    report = load_validation_report(report_path)
    trigger = load_trigger_report(trigger_path) if trigger_path is not None else None
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    if dry_run:
        body = render_comment(
            report, model=model, model_version=model_version, trigger=trigger, run=run_url(env)
        )
        return ReportResult(body=body, action="printed", repo=repo, number=pr)
    target = pull_request_from_env(env, number=pr, repo=repo)
    body = render_comment(
        report,
        model=model,
        model_version=model_version,
        trigger=trigger,
        run=run_url(env),
        commit=target.head_sha,
    )

    def fallback(reason: str) -> ReportResult:
        return ReportResult(
            body=body,
            action="summary",
            repo=target.repo,
            number=target.number,
            reason=reason,
            in_actions=in_actions,
        )

    if target.number is None:
        if in_actions:
            return fallback("this run is not for a pull request")
        raise UsageError("no pull request: pass --pr NUMBER (or run on a pull_request event)")
    if target.blocked:
        return fallback(target.blocked)
    client = client or GitHub.from_env(env)
    if not client.token:
        return fallback("no token: set GITHUB_TOKEN or GH_TOKEN")
    mark = marker(model)
    try:
        existing = find_comment(client, target.repo, target.number, mark)
        if existing is None:
            comment = client.create_issue_comment(target.repo, target.number, body)
            action: Action = "created"
        else:
            comment = client.update_issue_comment(target.repo, int(existing["id"]), body)
            action = "updated"
    except NotFound as exc:
        raise UsageError(str(exc)) from None
    except Forbidden as exc:
        return fallback(
            f"{exc} — give the job `pull-requests: write` (a fork's token never has it)"
        )
    except GitHubError as exc:  # rate limits, an unreachable GitHub: the report informs only
        return fallback(str(exc))
    return ReportResult(
        body=body,
        action=action,
        repo=target.repo,
        number=target.number,
        comment_url=comment.get("html_url"),
        comment_id=comment.get("id"),
        in_actions=in_actions,
    )
