"""validate-model: the rule (unit and property tests) and the command (real subprocesses)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import RunMlci, git
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci import gate
from mlci.errors import UsageError
from mlci.metrics import load_metrics

T = gate.Threshold


def check(
    metrics: dict[str, Any],
    thresholds: list[gate.Threshold] | str,
    baseline: dict[str, Any] | None = None,
    **kwargs: Any,
) -> gate.Verdict:
    if isinstance(thresholds, str):
        thresholds = gate.parse_thresholds([thresholds])
    return gate.validate(metrics=metrics, thresholds=thresholds, baseline=baseline, **kwargs)


# --------------------------------------------------------------------------- threshold syntax


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy>=0.85", T("accuracy", ">=", 0.85)),
        ("  rmse <= 0.3 ", T("rmse", "<=", 0.3)),
        ("loss<1", T("loss", "<", 1.0)),
        ("auc>0.5", T("auc", ">", 0.5)),
        ("eval.f1-score>=1e-3", T("eval.f1-score", ">=", 0.001)),
        ("r2>=-0.5", T("r2", ">=", -0.5)),
        ("val/acc@1 >= 70", T("val/acc@1", ">=", 70.0)),
    ],
)
def test_parse_threshold(text: str, expected: gate.Threshold) -> None:
    assert gate.parse_threshold(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accuracy 0.85", "has no comparison"),
        ("accuracy=0.85", "'=' is not a threshold"),
        ("accuracy==0.85", "'==' is not a threshold"),
        ("accuracy!=0.85", "'!=' is not a threshold"),
        ("accuracy=>0.85", "write '>=', not '=>'"),
        (">=0.85", "names no metric"),
        ("acc uracy>=0.85", "unknown metric syntax 'acc uracy'"),
        ("accuracy>=high", "'high' is not a number"),
        ("accuracy>=", "'' is not a number"),
        ("accuracy>=nan", "must be a finite number"),
        ("accuracy>=inf", "must be a finite number"),
        ("accuracy>=0.8<=0.9", "unknown metric syntax"),
    ],
)
def test_parse_threshold_rejects(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        gate.parse_threshold(text)


def test_parse_thresholds_multiline_comments_and_duplicates() -> None:
    parsed = gate.parse_thresholds(["accuracy>=0.85\n\n# latency too\nlatency_ms<=120\n", "f1>0.5"])
    assert [str(t) for t in parsed] == ["accuracy>=0.85", "latency_ms<=120", "f1>0.5"]
    assert gate.parse_thresholds(["", "  \n"]) == []
    with pytest.raises(UsageError, match="'accuracy' given twice"):
        gate.parse_thresholds(["accuracy>=0.8", "accuracy>=0.9"])


def test_merge_thresholds_overrides_and_keeps_own_tolerance() -> None:
    config = [T("accuracy", ">=", 0.8, max_regression=0.01), T("rmse", "<=", 0.3)]
    merged = gate.merge_thresholds(config, [T("accuracy", ">=", 0.9), T("f1", ">=", 0.5)])
    assert merged == [
        T("accuracy", ">=", 0.9, max_regression=0.01),
        T("rmse", "<=", 0.3),
        T("f1", ">=", 0.5),
    ]


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("candidate", "threshold", "baseline", "kwargs", "passed"),
    [
        # direction: higher is better
        (0.90, "accuracy>=0.85", None, {}, True),
        (0.85, "accuracy>=0.85", None, {}, True),
        (0.84, "accuracy>=0.85", None, {}, False),
        (0.85, "accuracy>0.85", None, {}, False),
        # direction: lower is better
        (0.25, "rmse<=0.3", None, {}, True),
        (0.30, "rmse<=0.3", None, {}, True),
        (0.31, "rmse<=0.3", None, {}, False),
        (0.30, "rmse<0.3", None, {}, False),
        # relative tolerance: limit = 1 - 0.25 * 1 = 0.75 (exact in binary)
        (0.75, "m>=0", 1.0, {"max_regression": 0.25}, True),
        (0.7499, "m>=0", 1.0, {"max_regression": 0.25}, False),
        (1.25, "m<=9", 1.0, {"max_regression": 0.25}, True),
        (1.2501, "m<=9", 1.0, {"max_regression": 0.25}, False),
        # absolute tolerance
        (0.5, "m>=0", 1.0, {"max_regression": 0.5, "regression": "absolute"}, True),
        (0.49, "m>=0", 1.0, {"max_regression": 0.5, "regression": "absolute"}, False),
        (1.5, "m<=9", 1.0, {"max_regression": 0.5, "regression": "absolute"}, True),
        (1.51, "m<=9", 1.0, {"max_regression": 0.5, "regression": "absolute"}, False),
        # zero tolerance: any regression fails, equality passes
        (1.0, "m>=0", 1.0, {"max_regression": 0.0}, True),
        (0.9999, "m>=0", 1.0, {"max_regression": 0.0}, False),
        # zero baseline, relative: no room below zero
        (0.0, "m>=-5", 0.0, {}, True),
        (-0.001, "m>=-5", 0.0, {}, False),
        (0.001, "m<=5", 0.0, {}, False),
        # zero baseline, absolute: the tolerance still applies
        (-0.001, "m>=-5", 0.0, {"regression": "absolute", "max_regression": 0.01}, True),
        # negative baseline, higher is better (e.g. R² or a log-likelihood):
        # limit = -2 - 0.1 * |-2| = -2.2. (MLflow's (c - b) / b gets the sign wrong here.)
        (-2.1, "m>=-10", -2.0, {"max_regression": 0.1}, True),
        (-2.3, "m>=-10", -2.0, {"max_regression": 0.1}, False),
        (-1.0, "m>=-10", -2.0, {"max_regression": 0.1}, True),
        # negative baseline, lower is better: limit = -2 + 0.1 * 2 = -1.8
        (-1.9, "m<=10", -2.0, {"max_regression": 0.1}, True),
        (-1.7, "m<=10", -2.0, {"max_regression": 0.1}, False),
        (-3.0, "m<=10", -2.0, {"max_regression": 0.1}, True),
        # integers are numbers
        (120, "latency_ms<=150", 118, {}, True),
    ],
)
def test_rule(
    candidate: float, threshold: str, baseline: float | None, kwargs: dict[str, Any], passed: bool
) -> None:
    name = gate.parse_threshold(threshold).metric
    verdict = check(
        {name: candidate}, threshold, None if baseline is None else {name: baseline}, **kwargs
    )
    assert verdict.passed is passed, verdict.failures
    assert verdict.rows[0].passed is passed
    assert len(verdict.failures) == (0 if passed else 1)


def test_regression_row_numbers() -> None:
    verdict = check({"acc": 0.8}, "acc>=0.5", {"acc": 1.0}, max_regression=0.25)
    (row,) = verdict.rows
    assert (row.tolerance, row.limit, row.threshold_passed, row.regression_passed) == (
        0.25,
        0.75,
        True,
        True,
    )
    assert row.change == pytest.approx(-0.2)
    assert row.relative_change == pytest.approx(-0.2)


def test_regression_reason_states_the_numbers() -> None:
    verdict = check({"rmse": 0.41}, "rmse<=0.5", {"rmse": 0.32}, max_regression=0.25)
    assert verdict.failures == (
        "rmse: regressed from 0.32 to 0.41 (+0.09, +28.12%), beyond the allowed "
        "25% of |baseline| (limit 0.4)",
    )


def test_per_metric_tolerance_wins_over_the_global_one() -> None:
    thresholds = [T("a", ">=", 0.0, max_regression=0.5), T("b", ">=", 0.0)]
    verdict = gate.validate(
        metrics={"a": 0.6, "b": 0.6},
        thresholds=thresholds,
        baseline={"a": 1.0, "b": 1.0},
        max_regression=0.1,
    )
    assert [row.passed for row in verdict.rows] == [True, False]


def test_first_run_skips_the_regression_check_with_a_notice() -> None:
    verdict = check({"acc": 0.9}, "acc>=0.8", None, baseline_source="registry:production")
    assert verdict.passed
    assert verdict.rows[0].regression_passed is None
    assert verdict.notices == (
        "no baseline model yet (registry:production): first run, the regression check is skipped",
    )


def test_no_baseline_given_is_a_notice_too() -> None:
    verdict = check({"acc": 0.9}, "acc>=0.8", None)
    assert verdict.passed
    assert verdict.notices == ("no baseline given: the regression check is skipped",)


def test_require_baseline_fails_the_first_run() -> None:
    verdict = check(
        {"acc": 0.9},
        "acc>=0.8",
        None,
        require_baseline=True,
        baseline_source="registry:production",
    )
    assert not verdict.passed
    assert all(row.passed for row in verdict.rows)
    assert verdict.failures == (
        "no baseline model to compare against (registry:production) and require_baseline is "
        "set; register a production model first or unset require_baseline",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "acc: the candidate value is NaN (candidate)"),
        (math.inf, "acc: the candidate value is infinite (candidate)"),
        (-math.inf, "acc: the candidate value is infinite (candidate)"),
        ("0.9", 'acc: the candidate value is a string ("0.9"), not a number (candidate)'),
        ("high", 'acc: the candidate value is a string ("high"), not a number (candidate)'),
        (True, "acc: the candidate value is a boolean (true), not a number (candidate)"),
        (None, "acc: the candidate value is null, not a number (candidate)"),
        ([0.9], "acc: the candidate value is a list, not a number (candidate)"),
    ],
)
def test_unusable_candidate_values_fail_closed(value: Any, reason: str) -> None:
    verdict = check({"acc": value}, "acc>=0.0")
    assert not verdict.passed
    assert verdict.failures == (reason,)
    # ... with a baseline too: no regression check can pass without a number.
    verdict = check({"acc": value}, "acc>=0.0", {"acc": 0.5})
    assert not verdict.passed
    assert verdict.rows[0].regression_passed is None


def test_missing_candidate_metric_fails_with_a_suggestion() -> None:
    verdict = check({"accuracy": 0.9}, "acuracy>=0.5", metrics_source="metrics.json")
    assert verdict.failures == (
        "acuracy: missing from the candidate metrics (metrics.json); did you mean 'accuracy'?",
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, "0.9", None])
def test_unusable_baseline_values_fail_the_regression_check(value: Any) -> None:
    verdict = check({"acc": 0.9}, "acc>=0.5", {"acc": value}, baseline_source="file:prod.json")
    assert not verdict.passed
    assert verdict.rows[0].threshold_passed
    assert verdict.rows[0].regression_passed is False
    assert "(file:prod.json), so the regression check cannot pass" in verdict.failures[0]


def test_metric_missing_from_the_baseline_fails_its_regression_check() -> None:
    verdict = check(
        {"acc": 0.9, "f1": 0.8},
        "acc>=0.5\nf1>=0.5",
        {"acc": 0.9},
        baseline_source="file:prod.json",
    )
    assert [row.passed for row in verdict.rows] == [True, False]
    assert verdict.failures == (
        "f1: missing from the baseline (file:prod.json), so the regression check cannot pass",
    )


def test_all_failures_are_reported_together() -> None:
    verdict = check(
        {"acc": 0.5, "rmse": math.nan, "latency": 300, "auc": 0.7},
        "acc>=0.8\nrmse<=0.3\nlatency<=200\nf1>=0.5\nauc>=0.6",
        {"acc": 0.9, "rmse": 0.2, "latency": 150, "f1": 0.6, "auc": 0.9},
    )
    assert [row.metric for row in verdict.rows if not row.passed] == [
        "acc",
        "rmse",
        "latency",
        "f1",
        "auc",
    ]
    # acc: threshold + regression; rmse: NaN; latency: threshold + regression;
    # f1: missing; auc: regression only.
    assert len(verdict.failures) == 7
    assert gate.summary_line(verdict) == "model rejected: 5 of 5 metrics failed"


def test_nested_metrics_are_addressed_with_dots(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("eval:\n  accuracy: 0.91\n  loss:\n    val: 0.2\n")
    metrics = load_metrics(tmp_path / "m.yaml")
    verdict = check(metrics, "eval.accuracy>=0.9\neval.loss.val<=0.25")
    assert verdict.passed, verdict.failures


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thresholds": []}, "no thresholds to check"),
        ({"max_regression": -0.1}, "max-regression must be a number >= 0"),
        ({"max_regression": math.nan}, "max-regression must be a number >= 0"),
        ({"regression": "percent"}, "regression must be relative or absolute"),
        ({"thresholds": [T("a", ">=", 1.0), T("a", "<=", 2.0)]}, "'a' given twice"),
        ({"thresholds": [T("a", ">=", 1.0, max_regression=-1)]}, "max_regression of a"),
    ],
)
def test_validate_rejects_unusable_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "metrics": {"a": 1.0},
        "thresholds": [T("a", ">=", 0.5)],
        "baseline": None,
        **kwargs,
    }
    with pytest.raises(UsageError, match=message):
        gate.validate(**arguments)


def test_report_is_strict_json_even_for_nan() -> None:
    verdict = check({"a": math.nan, "b": math.inf}, "a>=0\nb<=1")
    report = json.loads(gate.report_json(verdict))
    assert [m["candidate"] for m in report["metrics"]] == ["NaN", "Infinity"]
    assert report["passed"] is False


# --------------------------------------------------------------------------- properties

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
tolerance = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
mode = st.sampled_from(["relative", "absolute"])
op = st.sampled_from([">=", "<=", ">", "<"])


@st.composite
def met_threshold(draw: st.DrawFn, value: float) -> gate.Threshold:
    """A threshold ``value`` meets (with some slack for the strict operators)."""
    chosen = draw(op)
    slack = draw(st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
    strict = chosen in (">", "<")
    if chosen in (">=", ">"):
        bound = value - slack - (1.0 if strict else 0.0)
    else:
        bound = value + slack + (1.0 if strict else 0.0)
    return T("m", chosen, bound)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), value=finite, t=tolerance, regression=mode)
def test_property_identical_candidate_meeting_thresholds_passes(
    data: st.DataObject, value: float, t: float, regression: str
) -> None:
    threshold = data.draw(met_threshold(value))
    verdict = gate.validate(
        metrics={"m": value},
        thresholds=[threshold],
        baseline={"m": value},
        max_regression=t,
        regression=regression,  # type: ignore[arg-type]
    )
    assert verdict.passed, verdict.failures


@settings(max_examples=300, deadline=None)
@given(
    better=finite,
    worse_by=st.floats(min_value=0.0, max_value=1e9, allow_nan=False),
    base=finite,
    bound=finite,
    t=tolerance,
    regression=mode,
    higher_is_better=st.booleans(),
    has_baseline=st.booleans(),
)
def test_property_a_worse_metric_never_turns_a_fail_into_a_pass(
    better: float,
    worse_by: float,
    base: float,
    bound: float,
    t: float,
    regression: str,
    higher_is_better: bool,
    has_baseline: bool,
) -> None:
    worse = better - worse_by if higher_is_better else better + worse_by
    threshold = T("m", ">=" if higher_is_better else "<=", bound)

    def passed(value: float) -> bool:
        return gate.validate(
            metrics={"m": value},
            thresholds=[threshold],
            baseline={"m": base} if has_baseline else None,
            max_regression=t,
            regression=regression,  # type: ignore[arg-type]
        ).passed

    if not passed(better):
        assert not passed(worse)
    if passed(worse):
        assert passed(better)


@settings(max_examples=200, deadline=None)
@given(
    bad=st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, None, True, False]),
        st.text(max_size=5),
        st.lists(finite, max_size=2),
    ),
    base=st.one_of(st.none(), finite),
    t=tolerance,
)
def test_property_an_unusable_candidate_never_passes(
    bad: Any, base: float | None, t: float
) -> None:
    verdict = gate.validate(
        metrics={"m": bad},
        thresholds=[T("m", ">=", -1e12)],
        baseline=None if base is None else {"m": base},
        max_regression=t,
    )
    assert not verdict.passed


# --------------------------------------------------------------------------- the command

METRICS = {"accuracy": 0.91, "eval": {"rmse": 0.25}}
PROD = {"accuracy": 0.9, "eval": {"rmse": 0.24}}


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def actions_env(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    out = tmp_path / "github_output"
    summary = tmp_path / "step_summary"
    out.write_text("")
    summary.write_text("")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    return env, out, summary


def test_cli_pass_exit_0(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", METRICS)
    write(tmp_path / "prod.json", PROD)
    proc = mlci(
        "validate-model",
        "--metrics",
        "metrics.json",
        "--threshold",
        "accuracy>=0.85",
        "--threshold",
        "eval.rmse<=0.3",
        "--baseline",
        "file:prod.json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "validate-model: metrics.json against file:prod.json (tolerance 5% of |baseline|)\n"
        "\n"
        "metric     candidate  threshold  baseline  change          verdict\n"
        "---------  ---------  ---------  --------  --------------  -------\n"
        "accuracy   0.91       >= 0.85    0.9       +0.01 (+1.11%)  pass\n"
        "eval.rmse  0.25       <= 0.3     0.24      +0.01 (+4.17%)  pass\n"
        "\n"
        "note: mlci.yaml not found: checking the command-line thresholds only\n"
        "model passed: 2 metrics checked\n"
    )
    assert proc.stderr == ""


def test_cli_pass_in_github_actions(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", {"accuracy": 0.75})
    env, out, summary = actions_env(tmp_path)
    proc = mlci(
        "validate-model",
        "--metrics",
        "metrics.json",
        "--threshold",
        "accuracy>=0.5",
        "--baseline",
        "none",
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "::notice title=validate-model::no baseline given: the regression check is skipped\n"
        in (proc.stdout)
    )
    assert "::error" not in proc.stdout
    report = {
        "passed": True,
        "metrics_file": "metrics.json",
        "baseline": {"source": None, "present": False, "version": None},
        "regression": "relative",
        "max_regression": 0.05,
        "metrics": [
            {
                "metric": "accuracy",
                "direction": "min",
                "threshold": ">= 0.5",
                "bound": 0.5,
                "candidate": 0.75,
                "candidate_present": True,
                "baseline": None,
                "baseline_present": False,
                "change": None,
                "relative_change": None,
                "tolerance": None,
                "limit": None,
                "threshold_passed": True,
                "regression_passed": None,
                "passed": True,
                "reasons": [],
            }
        ],
        "failures": [],
        "notices": [
            "mlci.yaml not found: checking the command-line thresholds only",
            "no baseline given: the regression check is skipped",
        ],
        "warnings": [],
    }
    assert out.read_text() == (
        "passed=true\nreport=" + json.dumps(report, separators=(",", ":")) + "\n"
    )
    assert summary.read_text() == (
        "### validate-model: ✅ model passed\n"
        "\n"
        "`metrics.json` against no baseline (none given)\n"
        "\n"
        "| metric | candidate | threshold | baseline | change | verdict |\n"
        "|---|---|---|---|---|---|\n"
        "| accuracy | 0.75 | >= 0.5 | — | — | ✅ pass |\n"
        "\n"
        "> mlci.yaml not found: checking the command-line thresholds only\n"
        "> no baseline given: the regression check is skipped\n"
    )


def test_cli_rejected_exit_1_reports_every_failure(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", '{"accuracy": 0.8, "eval": {"rmse": 0.4}, "f1": NaN}')
    write(tmp_path / "prod.json", PROD)
    env, out, summary = actions_env(tmp_path)
    proc = mlci(
        "validate-model",
        "--metrics",
        "metrics.json",
        "--threshold",
        "accuracy>=0.85\neval.rmse<=0.5\nf1>=0.5",
        "--baseline",
        "file:prod.json",
        "--max-regression",
        "0.1",
        "--report-json",
        "report.json",
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "mlci: model rejected: 3 of 3 metrics failed\n"
    failures = [
        "accuracy: 0.8 is below the minimum 0.85 (accuracy>=0.85)",
        "accuracy: regressed from 0.9 to 0.8 (-0.1, -11.11%), beyond the allowed "
        "10% of |baseline| (limit 0.81)",
        "eval.rmse: regressed from 0.24 to 0.4 (+0.16, +66.67%), beyond the allowed "
        "10% of |baseline| (limit 0.264)",
        "f1: the candidate value is NaN (metrics.json)",
        "f1: missing from the baseline (file:prod.json), so the regression check cannot pass",
    ]
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::notice title=validate-model::mlci.yaml not found: checking the command-line "
        "thresholds only",
        *(f"::error title=validate-model::{f.replace('%', '%25')}" for f in failures),
    ]
    for failure in failures:
        assert f"FAIL {failure}\n" in proc.stdout
    assert "f1         nan" in proc.stdout
    lines = out.read_text().splitlines()
    assert lines[0] == "passed=false"
    assert len(lines) == 2
    assert lines[1].startswith("report=")
    report = json.loads(lines[1].removeprefix("report="))
    assert report == json.loads((tmp_path / "report.json").read_text())
    assert report["passed"] is False
    assert report["failures"] == failures
    assert [m["passed"] for m in report["metrics"]] == [False, False, False]
    assert report["metrics"][2]["candidate"] == "NaN"
    assert summary.read_text() == (
        "### validate-model: ❌ model rejected\n"
        "\n"
        "`metrics.json` against file:prod.json (tolerance 10% of \\|baseline\\|)\n"
        "\n"
        "| metric | candidate | threshold | baseline | change | verdict |\n"
        "|---|---|---|---|---|---|\n"
        "| accuracy | 0.8 | >= 0.85 | 0.9 | -0.1 (-11.11%) | ❌ fail |\n"
        "| eval.rmse | 0.4 | <= 0.5 | 0.24 | +0.16 (+66.67%) | ❌ fail |\n"
        "| f1 | nan | >= 0.5 | missing | — | ❌ fail |\n"
        "\n"
        "**Failures**\n"
        "\n" + "".join(f"- {f.replace('|', chr(92) + '|')}\n" for f in failures) + "\n"
        "> mlci.yaml not found: checking the command-line thresholds only\n"
    )


CONFIG = """\
train:
  command: python train.py
validation:
  thresholds:
    accuracy: {min: 0.85}
    eval.rmse: {max: 0.3, max_regression: 0.5}
  baseline: file:prod.json
"""


def test_cli_reads_thresholds_and_baseline_from_mlci_yaml(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "mlci.yaml", CONFIG)
    write(tmp_path / "prod.json", {"accuracy": 0.9, "eval": {"rmse": 0.2}})
    # rmse 0.29 regresses 45% against 0.2: fine with its own tolerance 0.5.
    write(tmp_path / "metrics.yaml", "accuracy: 0.88\neval:\n  rmse: 0.29\n")
    proc = mlci("validate-model", "--metrics", "metrics.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "against file:prod.json (tolerance 5% of |baseline|)" in proc.stdout
    assert "model passed: 2 metrics checked" in proc.stdout
    # The command line overrides a config threshold and adds another.
    proc = mlci(
        "validate-model",
        "--metrics",
        "metrics.yaml",
        "--threshold",
        "accuracy>=0.89",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "FAIL accuracy: 0.88 is below the minimum 0.89 (accuracy>=0.89)" in proc.stdout
    # A stricter global tolerance does not override rmse's own; accuracy now regresses.
    proc = mlci(
        "validate-model", "--metrics", "metrics.yaml", "--max-regression", "0.01", cwd=tmp_path
    )
    assert proc.returncode == 1
    assert [line for line in proc.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL accuracy: regressed from 0.9 to 0.88 (-0.02, -2.22%), beyond the allowed "
        "1% of |baseline| (limit 0.891)"
    ]
    # --baseline none on the command line wins over the config's baseline.
    proc = mlci("validate-model", "--metrics", "metrics.yaml", "--baseline", "none", cwd=tmp_path)
    assert proc.returncode == 0
    assert "note: no baseline given: the regression check is skipped" in proc.stdout


def test_cli_require_baseline_rejects_first_run(tmp_path: Path, mlci: RunMlci) -> None:
    write(
        tmp_path / "mlci.yaml",
        "train:\n  command: python train.py\nvalidation:\n  thresholds:\n"
        "    accuracy: {min: 0.5}\n  baseline: null\n  require_baseline: true\n",
    )
    write(tmp_path / "metrics.json", {"accuracy": 0.9})
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "mlci: model rejected: 0 of 1 metric failed, 1 other problem\n"
    assert "FAIL no baseline model to compare against (none given)" in proc.stdout


def test_cli_absolute_regression(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", {"loss": -1.0})
    write(tmp_path / "prod.json", {"loss": -2.0})
    args = ["validate-model", "--metrics", "metrics.json", "--threshold", "loss<=0"]
    args += ["--baseline", "file:prod.json", "--max-regression", "1.0"]
    assert mlci(*args, "--regression", "absolute", cwd=tmp_path).returncode == 0
    proc = mlci(*args, "--regression", "relative", "--max-regression", "0.4", cwd=tmp_path)
    assert proc.returncode == 1
    assert "limit -1.2" in proc.stdout


CONFIG_NO_THRESHOLDS = "train:\n  command: python train.py\n"


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({}, ["--threshold", "accuracy>=0.5"], "mlci: error: metrics.json: no such metrics file"),
        (
            {"metrics.json": '{"accuracy": 0.9'},
            ["--threshold", "accuracy>=0.5"],
            "mlci: error: metrics.json:1: malformed metrics file:",
        ),
        (
            {"metrics.json": "accuracy: [0.9\n"},
            ["--threshold", "accuracy>=0.5"],
            "mlci: error: metrics.json:2: malformed metrics file:",
        ),
        (
            {"metrics.json": "[0.9]"},
            ["--threshold", "accuracy>=0.5"],
            "mlci: error: metrics.json: a metrics file must hold a mapping",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy=0.5"],
            "mlci: error: threshold 'accuracy=0.5': '=' is not a threshold",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "acuracy>=0.5"],
            "mlci: error: --threshold: unknown metric 'acuracy': metrics.json has accuracy; "
            "did you mean 'accuracy'?",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--config", "ci/mlci.yaml"],
            "mlci: error: ci/mlci.yaml: no such file",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}', "mlci.yaml": "train: {}\n"},
            ["--threshold", "accuracy>=0.5"],
            "mlci: error: mlci.yaml:1:",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--baseline", "prod.json"],
            "mlci: error: baseline 'prod.json': write file:PATH",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--baseline", "file:prod.json"],
            "mlci: error: prod.json: no such metrics file",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--max-regression", "five"],
            "mlci: error: --max-regression 'five' is not a number",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--max-regression", "-0.1"],
            "mlci: error: --max-regression must be a number >= 0, got -0.1",
        ),
        (
            {"metrics.json": '{"accuracy": 0.9}'},
            ["--threshold", "accuracy>=0.5", "--regression", "percent"],
            "mlci: error: Invalid value for '--regression'",
        ),
    ],
)
def test_cli_bad_input_exit_2(
    tmp_path: Path, mlci: RunMlci, files: dict[str, str], args: list[str], message: str
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    env, out, summary = actions_env(tmp_path)
    proc = mlci("validate-model", "--metrics", "metrics.json", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("mlci:")] == [last]
    # Bad input never says "passed".
    assert out.read_text() == ""
    assert summary.read_text() == ""


REGISTRY_CONFIG = """\
train:
  command: python train.py
validation:
  thresholds:
    accuracy: {min: 0.85}
    eval.rmse: {max: 0.3}
registry:
  model: churn-model
  stages: {production: prod}
"""


def promote_to_production(repo: Path, metrics: dict[str, Any]) -> str:
    """Register a version with ``metrics`` in the real git registry and make it production."""
    from mlci.registry.git import GitRegistry

    registry = GitRegistry(root=repo)
    version = registry.register("churn-model", metrics=metrics)
    registry.promote("churn-model", version.version, to_stage="prod")
    return version.version


def test_cli_registry_baseline_from_git_tags(git_repo: Path, mlci: RunMlci) -> None:
    write(git_repo / "mlci.yaml", REGISTRY_CONFIG)
    # First run: nothing holds production yet, so only the thresholds count.
    write(git_repo / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "note: no baseline model yet (registry:production): first run, "
        "the regression check is skipped" in proc.stdout
    )
    version = promote_to_production(git_repo, {"accuracy": 0.9, "eval": {"rmse": 0.24}})
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"against registry:production (churn-model {version})" in proc.stdout
    assert [line for line in proc.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL eval.rmse: regressed from 0.24 to 0.26 (+0.02, +8.33%), beyond the allowed "
        "5% of |baseline| (limit 0.252)"
    ]
    proc = mlci(
        "validate-model", "--metrics", "metrics.json", "--max-regression", "0.1", cwd=git_repo
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_registry_require_baseline_rejects_first_run(git_repo: Path, mlci: RunMlci) -> None:
    write(
        git_repo / "mlci.yaml",
        REGISTRY_CONFIG.replace("registry:", "  require_baseline: true\nregistry:"),
    )
    write(git_repo / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 1
    assert "FAIL no baseline model to compare against (registry:production)" in proc.stdout


def test_cli_registry_fetches_tags_in_github_actions(
    git_repo: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    write(git_repo / "mlci.yaml", REGISTRY_CONFIG)
    git(git_repo, "add", "mlci.yaml")
    git(git_repo, "commit", "-q", "-m", "config")
    promote_to_production(git_repo, {"accuracy": 0.95, "eval": {"rmse": 0.2}})
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(origin))
    # A CI checkout: shallow, no tags. Without fetching, production would look absent.
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{origin}", str(clone))
    assert git(clone, "tag") == ""
    write(clone / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    # --no-fetch reads the local tags only: here none, so it looks like a first run.
    proc = mlci("validate-model", "--metrics", "metrics.json", "--no-fetch", cwd=clone)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no baseline model yet (registry:production)" in proc.stdout
    # Inside GitHub Actions the tags are fetched first: production is found.
    env, out, _summary = actions_env(tmp_path)
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=clone, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert out.read_text().startswith("passed=false\n")
    assert "regressed from 0.95 to 0.88" in proc.stdout


def test_cli_registry_does_not_fetch_a_full_checkout(
    git_repo: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    """A full clone (fetch-depth: 0) has its tags: no fetch, so no credentials needed."""
    write(git_repo / "mlci.yaml", REGISTRY_CONFIG)
    write(git_repo / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    promote_to_production(git_repo, {"accuracy": 0.95, "eval": {"rmse": 0.2}})
    git(git_repo, "remote", "add", "origin", str(tmp_path / "unreachable.git"))
    env, out, _summary = actions_env(tmp_path)
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=git_repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "regressed from 0.95 to 0.88" in proc.stdout
    assert out.read_text().startswith("passed=false\n")


def test_cli_unreachable_registry_fails_closed_in_a_shallow_checkout(
    git_repo: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    write(git_repo / "mlci.yaml", REGISTRY_CONFIG)
    git(git_repo, "add", "mlci.yaml")
    git(git_repo, "commit", "-q", "-m", "config")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{git_repo}", str(clone))
    git(clone, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    write(clone / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    env, out, _summary = actions_env(tmp_path)
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=clone, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("mlci: error: baseline registry:production: cannot fetch tags")
    assert proc.stderr.endswith(
        "(check out with fetch-depth: 0, or give the job a token in MLCI_GITHUB_TOKEN); "
        "the gate does not pass without its baseline\n"
    )
    assert out.read_text() == ""


def test_cli_unreachable_registry_fails_closed(git_repo: Path, mlci: RunMlci) -> None:
    write(git_repo / "mlci.yaml", REGISTRY_CONFIG)
    write(git_repo / "metrics.json", {"accuracy": 0.88, "eval": {"rmse": 0.26}})
    git(git_repo, "remote", "add", "origin", str(git_repo.parent / "gone.git"))
    proc = mlci("validate-model", "--metrics", "metrics.json", "--fetch", cwd=git_repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: baseline registry:production: cannot fetch tags")
    assert proc.stderr.rstrip().endswith("the gate does not pass without its baseline")
    assert len(proc.stderr.splitlines()) == 1
    # Without --fetch the local tags are read (none here): a first run, not an error.
    proc = mlci("validate-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr


def test_cli_registry_outside_a_git_repository_exit_2(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", {"accuracy": 0.9})
    proc = mlci(
        "validate-model",
        "--metrics",
        "metrics.json",
        "--threshold",
        "accuracy>=0.5",
        "--baseline",
        "registry:production",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: baseline registry:production: ")
    assert "is not a git repository" in proc.stderr


def test_cli_unwritable_report_json_exit_2(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", {"accuracy": 0.9})
    args = ["validate-model", "--metrics", "metrics.json", "--threshold", "accuracy>=0.5"]
    proc = mlci(*args, "--report-json", "", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]
    proc = mlci(*args, "--report-json", "no/such/dir/report.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "mlci: error: no/such/dir/report.json: cannot write the report: No such file or directory\n"
    )


def test_cli_help_states_the_exit_codes(tmp_path: Path, mlci: RunMlci) -> None:
    proc = mlci("validate-model", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "Exit codes: 0 passed, 1 rejected, 2 bad input" in text
    for option in ("--metrics", "--config", "--threshold", "--baseline", "--max-regression"):
        assert option in text
    assert "--report-json" in text


def test_a_config_without_thresholds_passes_with_a_warning_on_every_run(
    tmp_path: Path, mlci: RunMlci
) -> None:
    """What `mlci init` writes when it finds no metric: not red on every run (issue 9)."""
    (tmp_path / "mlci.yaml").write_text(CONFIG_NO_THRESHOLDS)
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.9}')
    summary = tmp_path / "summary.md"
    proc = mlci(
        "validate-model", "--metrics", "metrics.json", "--baseline", "none", cwd=tmp_path,
        env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
             "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        "::warning title=validate-model::no thresholds set (validation.thresholds in mlci.yaml "
        "is empty): only regression against production is checked"
    ) in proc.stdout
    assert "accuracy: {min: 0.8} under validation.thresholds" in proc.stdout
    assert "no thresholds set: only regression" not in proc.stdout  # one wording, not two
    assert "no thresholds set (validation.thresholds" in summary.read_text()
    assert "model passed: no thresholds set and no production model" in proc.stdout


def test_without_thresholds_every_known_metric_is_checked_against_production(
    tmp_path: Path, mlci: RunMlci
) -> None:
    (tmp_path / "mlci.yaml").write_text(CONFIG_NO_THRESHOLDS)
    (tmp_path / "prod.json").write_text('{"accuracy": 0.9, "rmse": 1.0, "epochs": 3}')
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.89, "rmse": 1.01, "epochs": 9}')
    args = ("validate-model", "--metrics", "metrics.json", "--baseline", "file:prod.json")
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 metrics checked for regression against production" in proc.stdout
    assert "direction unknown; set a threshold to judge them): epochs" in proc.stdout
    # a regression beyond the tolerance fails, in either direction
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.7, "rmse": 1.5, "epochs": 3}')
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "accuracy: regressed from 0.9 to 0.7" in proc.stdout
    assert "rmse: regressed from 1 to 1.5" in proc.stdout
    # a metric production has and the candidate lacks fails closed
    (tmp_path / "metrics.json").write_text('{"rmse": 1.0}')
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "accuracy: missing from the candidate metrics" in proc.stdout


def test_a_config_without_thresholds_still_fails_closed(tmp_path: Path, mlci: RunMlci) -> None:
    (tmp_path / "mlci.yaml").write_text(CONFIG_NO_THRESHOLDS)
    args = ("validate-model", "--metrics", "metrics.json", "--baseline", "none")
    (tmp_path / "metrics.json").write_text('{"accuracy": "high"}')
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "holds no number" in proc.stdout
    (tmp_path / "metrics.json").write_text('{"accuracy": NaN, "f1": 0.8}')
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 1
    assert "accuracy: the candidate value is NaN" in proc.stdout
    (tmp_path / "metrics.json").unlink()
    proc = mlci(*args, cwd=tmp_path)
    assert proc.returncode == 2  # a missing metrics file is still bad input
    assert "no such metrics file" in proc.stderr
