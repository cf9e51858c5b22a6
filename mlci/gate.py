"""validate-model: thresholds, baselines, verdicts.

The gate between training and staging. :func:`validate` is the rule, a pure
function: it never prints, never exits and never reads a file. :func:`gather`
collects its inputs (metrics files, ``mlci.yaml``, the registry); the command
:mod:`mlci.commands.validate_model` calls both.

The rule, for a metric with tolerance ``t`` (relative by default):

* higher is better (``min``): the metric must meet its threshold, and fails the
  regression check when ``candidate < baseline - t·|baseline|``;
* lower is better (``max``): mirrored, ``candidate > baseline + t·|baseline|``.

With ``regression="absolute"`` the tolerance is ``t`` in metric units. The
tolerance is relative to ``|baseline|`` so that negative and zero baselines
behave. Everything fails closed: a candidate metric that is missing, NaN,
infinite or not a number fails; a metric missing from an existing baseline
fails its regression check. With no baseline at all (the first run) the
regression check is skipped with a notice, unless ``require_baseline``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlci import names
from mlci.errors import UsageError

if TYPE_CHECKING:
    from mlci.config import Config, Validation

Op = Literal[">=", ">", "<=", "<"]
Direction = Literal["min", "max"]
RegressionMode = Literal["relative", "absolute"]

DEFAULT_CONFIG = Path("mlci.yaml")
DEFAULT_MAX_REGRESSION = 0.05


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """``metric op bound``, e.g. ``accuracy >= 0.85``, with an optional own tolerance."""

    metric: str
    op: Op
    bound: float
    max_regression: float | None = None

    @property
    def direction(self) -> Direction:
        """``min``: higher is better; ``max``: lower is better."""
        return "min" if self.op in (">=", ">") else "max"

    def met_by(self, value: float) -> bool:
        if self.op == ">=":
            return value >= self.bound
        if self.op == ">":
            return value > self.bound
        if self.op == "<=":
            return value <= self.bound
        return value < self.bound

    @property
    def expression(self) -> str:
        return f"{self.op} {_num(self.bound)}"

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{_num(self.bound)}"


_OPERATOR = re.compile(r"(>=|<=|=>|=<|==|!=|>|<|=)")
_THRESHOLD_HELP = (
    "write METRIC>=NUMBER (higher is better) or METRIC<=NUMBER (lower is better), "
    "e.g. accuracy>=0.85"
)


def parse_threshold(expression: str) -> Threshold:
    """Parse ``accuracy>=0.85``, ``rmse <= 0.3``, ``loss<1``; bad input raises UsageError."""
    text = expression.strip()
    parts = _OPERATOR.split(text, maxsplit=1)
    if len(parts) != 3:
        raise UsageError(f"threshold {text!r} has no comparison: {_THRESHOLD_HELP}")
    metric, op, bound_text = (part.strip() for part in parts)
    if op in ("==", "=", "!="):
        raise UsageError(
            f"threshold {text!r}: {op!r} is not a threshold; use >=, >, <= or <: {_THRESHOLD_HELP}"
        )
    if op in ("=>", "=<"):
        raise UsageError(f"threshold {text!r}: write {op[::-1]!r}, not {op!r}")
    if not metric:
        raise UsageError(f"threshold {text!r} names no metric: {_THRESHOLD_HELP}")
    if any(ch.isspace() for ch in metric) or _OPERATOR.search(bound_text):
        raise UsageError(f"threshold {text!r}: unknown metric syntax {metric!r}: {_THRESHOLD_HELP}")
    try:
        bound = float(bound_text)
    except ValueError:
        raise UsageError(
            f"threshold {text!r}: {bound_text!r} is not a number: {_THRESHOLD_HELP}"
        ) from None
    if not math.isfinite(bound):
        raise UsageError(f"threshold {text!r}: the bound must be a finite number")
    normalized: Op = ">=" if op == ">=" else "<=" if op == "<=" else ">" if op == ">" else "<"
    return Threshold(metric=metric, op=normalized, bound=bound)


def parse_thresholds(values: Sequence[str]) -> list[Threshold]:
    """Parse ``--threshold`` values; each may hold several expressions, one per line.

    Blank lines and lines starting with ``#`` are ignored. A metric named twice
    is an error.
    """
    thresholds: list[Threshold] = []
    seen: set[str] = set()
    for value in values:
        for line in value.splitlines():
            if not line.strip() or line.strip().startswith("#"):
                continue
            threshold = parse_threshold(line)
            if threshold.metric in seen:
                raise UsageError(f"threshold for {threshold.metric!r} given twice; keep one")
            seen.add(threshold.metric)
            thresholds.append(threshold)
    return thresholds


def thresholds_from_config(validation: Validation) -> list[Threshold]:
    """``validation.thresholds`` of mlci.yaml as :class:`Threshold` objects."""
    thresholds = []
    for metric, spec in validation.thresholds.items():
        op: Op = ">=" if spec.min is not None else "<="
        bound = spec.min if spec.min is not None else spec.max
        assert bound is not None  # the config model requires exactly one of min and max
        thresholds.append(
            Threshold(metric=metric, op=op, bound=bound, max_regression=spec.max_regression)
        )
    return thresholds


def merge_thresholds(base: Sequence[Threshold], overrides: Sequence[Threshold]) -> list[Threshold]:
    """``overrides`` (the command line) replace or add to ``base`` (mlci.yaml), per metric.

    An override keeps the per-metric ``max_regression`` of the config entry it replaces.
    """
    merged = {t.metric: t for t in base}
    for threshold in overrides:
        previous = merged.get(threshold.metric)
        if previous is not None and threshold.max_regression is None:
            threshold = Threshold(
                metric=threshold.metric,
                op=threshold.op,
                bound=threshold.bound,
                max_regression=previous.max_regression,
            )
        merged[threshold.metric] = threshold
    return list(merged.values())


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class Row:
    """The verdict on one metric."""

    metric: str
    direction: Direction
    threshold: str
    bound: float
    candidate: Any
    baseline: Any = None
    change: float | None = None
    relative_change: float | None = None
    tolerance: float | None = None
    limit: float | None = None
    candidate_present: bool = True
    baseline_present: bool = False
    threshold_passed: bool = False
    regression_passed: bool | None = None
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"


@dataclass(frozen=True)
class Verdict:
    """What the gate decided, with every reason."""

    rows: tuple[Row, ...]
    problems: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    baseline_present: bool = False
    max_regression: float = DEFAULT_MAX_REGRESSION
    regression: RegressionMode = "relative"
    metrics_source: str = "candidate"
    baseline_source: str | None = None
    baseline_version: str | None = None
    failures: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        reasons = [reason for row in self.rows for reason in row.reasons]
        object.__setattr__(self, "failures", (*reasons, *self.problems))

    @property
    def passed(self) -> bool:
        return not self.failures


def _number(value: Any) -> tuple[float | None, str | None]:
    """``(number, None)`` for a usable metric value, else ``(None, why not)``."""
    if isinstance(value, bool):
        return None, f"is a boolean ({str(value).lower()}), not a number"
    if isinstance(value, int):
        return float(value), None
    if isinstance(value, float):
        if math.isnan(value):
            return None, "is NaN"
        if math.isinf(value):
            return None, "is infinite"
        return value, None
    if value is None:
        return None, "is null, not a number"
    if isinstance(value, str):
        return None, f'is a string ("{value}"), not a number'
    return None, f"is a {type(value).__name__}, not a number"


def _did_you_mean(metric: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(metric, list(names), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_tolerance(value: float, what: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{what} must be a number >= 0, got {value}")
    return value


def validate(
    *,
    metrics: Mapping[str, Any],
    thresholds: Sequence[Threshold],
    baseline: Mapping[str, Any] | None,
    max_regression: float = DEFAULT_MAX_REGRESSION,
    regression: RegressionMode = "relative",
    require_baseline: bool = False,
    metrics_source: str = "candidate",
    baseline_source: str | None = None,
    baseline_version: str | None = None,
) -> Verdict:
    """Decide whether the candidate ships.

    ``metrics`` and ``baseline`` are flat mappings (nested keys as ``a.b``);
    ``baseline=None`` means there is no production model yet. Raises
    :class:`UsageError` for unusable arguments (no thresholds, a negative
    tolerance, a metric named twice); everything about the model itself ends up
    in the verdict.
    """
    if not thresholds:
        raise UsageError(
            "no thresholds to check: add validation.thresholds to mlci.yaml "
            "or pass --threshold 'accuracy>=0.85'"
        )
    if regression not in ("relative", "absolute"):
        raise UsageError(f"regression must be relative or absolute, got {regression!r}")
    _check_tolerance(max_regression, "max-regression")
    names = [t.metric for t in thresholds]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"threshold for {duplicates[0]!r} given twice; keep one")
    for threshold in thresholds:
        if threshold.max_regression is not None:
            _check_tolerance(threshold.max_regression, f"max_regression of {threshold.metric}")
        if not math.isfinite(threshold.bound):
            raise UsageError(f"threshold {threshold}: the bound must be a finite number")

    baseline_label = baseline_source or "baseline"
    rows = [
        _judge(
            threshold,
            metrics=metrics,
            baseline=baseline,
            tolerance=threshold.max_regression
            if threshold.max_regression is not None
            else max_regression,
            regression=regression,
            metrics_source=metrics_source,
            baseline_label=baseline_label,
        )
        for threshold in thresholds
    ]
    problems: list[str] = []
    notices: list[str] = []
    if baseline is None:
        if require_baseline:
            problems.append(
                f"no baseline model to compare against ({baseline_source or 'none given'}) and "
                "require_baseline is set; register a production model first "
                "or unset require_baseline"
            )
        elif baseline_source is None:
            notices.append("no baseline given: the regression check is skipped")
        else:
            notices.append(
                f"no baseline model yet ({baseline_source}): first run, "
                "the regression check is skipped"
            )
    return Verdict(
        rows=tuple(rows),
        problems=tuple(problems),
        notices=tuple(notices),
        baseline_present=baseline is not None,
        max_regression=max_regression,
        regression=regression,
        metrics_source=metrics_source,
        baseline_source=baseline_source,
        baseline_version=baseline_version,
    )


def regression_limit(
    baseline: float, tolerance: float, *, direction: Direction, regression: RegressionMode
) -> tuple[float, float]:
    """``(allowed drift, the worst value that still passes)`` for one metric."""
    allowed = tolerance * abs(baseline) if regression == "relative" else tolerance
    limit = baseline - allowed if direction == "min" else baseline + allowed
    return allowed, limit


def _judge(
    threshold: Threshold,
    *,
    metrics: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    tolerance: float,
    regression: RegressionMode,
    metrics_source: str,
    baseline_label: str,
) -> Row:
    metric = threshold.metric
    reasons: list[str] = []
    raw = metrics.get(metric)
    base_raw = None if baseline is None else baseline.get(metric)
    row: dict[str, Any] = {
        "metric": metric,
        "direction": threshold.direction,
        "threshold": threshold.expression,
        "bound": threshold.bound,
        "candidate": raw,
        "baseline": base_raw,
        "candidate_present": metric in metrics,
        "baseline_present": baseline is not None and metric in baseline,
    }

    if metric not in metrics:
        reasons.append(
            f"{metric}: missing from the candidate metrics ({metrics_source})"
            + _did_you_mean(metric, list(metrics))
        )
        candidate = None
    else:
        candidate, why = _number(raw)
        if why:
            reasons.append(f"{metric}: the candidate value {why} ({metrics_source})")

    if candidate is not None:
        row["threshold_passed"] = threshold.met_by(candidate)
        if not row["threshold_passed"]:
            missed = {
                ">=": "is below the minimum",
                ">": "is not above",
                "<=": "is above the maximum",
                "<": "is not below",
            }[threshold.op]
            reasons.append(
                f"{metric}: {_num(candidate)} {missed} {_num(threshold.bound)} ({threshold})"
            )

    if baseline is not None:
        if metric not in baseline:
            row["regression_passed"] = False
            reasons.append(
                f"{metric}: missing from the baseline ({baseline_label}), "
                "so the regression check cannot pass"
            )
        else:
            base, why = _number(base_raw)
            if base is None:
                row["regression_passed"] = False
                reasons.append(
                    f"{metric}: the baseline value {why} ({baseline_label}), "
                    "so the regression check cannot pass"
                )
            elif candidate is not None:
                allowed, limit = regression_limit(
                    base, tolerance, direction=threshold.direction, regression=regression
                )
                change = candidate - base
                row["change"] = change
                row["relative_change"] = change / abs(base) if base != 0 else None
                row["tolerance"] = allowed
                row["limit"] = limit
                ok = candidate >= limit if threshold.direction == "min" else candidate <= limit
                row["regression_passed"] = ok
                if not ok:
                    allowed_text = (
                        f"{_pct(tolerance)} of |baseline|"
                        if regression == "relative"
                        else f"{_num(tolerance)} absolute"
                    )
                    reasons.append(
                        f"{metric}: regressed from {_num(base)} to {_num(candidate)} "
                        f"({_change(change, row['relative_change'], parens=False)}), "
                        "beyond the allowed "
                        f"{allowed_text} (limit {_num(limit)})"
                    )
    return Row(**row, reasons=tuple(reasons))


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Baseline:
    """A baseline's metrics (None: there is no production model yet) and where they came from."""

    metrics: Mapping[str, Any] | None
    source: str | None
    version: str | None = None


def parse_baseline_spec(spec: str) -> tuple[str, str]:
    """``file:PATH`` → ("file", PATH); ``registry:STAGE`` → ("registry", STAGE); ``none``."""
    parsed = names.parse_baseline(spec)
    if parsed is None:
        raise UsageError(
            f"baseline {spec!r}: write file:PATH (a metrics file), registry:STAGE "
            "(e.g. registry:production) or none"
        )
    return parsed


def load_baseline(
    spec: str, *, config: Config | None, root: Path | None = None, fetch: bool | None = False
) -> Baseline:
    """Read the baseline a spec names. Unreadable files or registries raise (exit 2).

    ``registry:STAGE`` asks the registry mlci.yaml configures (git tags in
    ``root`` without a config) for the version holding STAGE; ``fetch`` first
    fetches the git registry's tags from ``origin`` (shallow CI checkouts carry
    none, and a missing tag would look like a first run); ``fetch=None``
    fetches inside GitHub Actions when the checkout is shallow. No version
    holding the stage is a first run; a registry that cannot be read is an
    error, never a pass.
    """
    from mlci.metrics import flatten, load_metrics

    kind, value = parse_baseline_spec(spec)
    if kind == "none":
        return Baseline(metrics=None, source=None)
    if kind == "file":
        return Baseline(metrics=load_metrics(Path(value)), source=f"file:{value}")

    from mlci import registry as registry_module

    # registry:production names the production *role*; mlci.yaml may call its stage otherwise.
    stage = names.stage_for(value, config.registry.stages if config is not None else None)
    model = config.registry.model if config is not None else "model"
    source = f"registry:{value}"
    if fetch is None:
        fetch = _shallow_checkout_in_actions(root or Path("."))
    hint = (
        " (check out with fetch-depth: 0, or give the job a token in MLCI_GITHUB_TOKEN)"
        if fetch
        else ""
    )
    try:
        registry = registry_module.from_config(
            config,
            root=root,
            fetch=fetch,
            token=os.environ.get(registry_module.TOKEN_ENV) or None,
        )
        version = registry.resolve(model, stage)
    except UsageError as exc:
        raise UsageError(
            f"baseline {source}: {exc}{hint}; the gate does not pass without its baseline"
        ) from None
    if version is None:
        return Baseline(metrics=None, source=source)
    return Baseline(
        metrics=flatten(dict(version.metrics)),
        source=f"{source} ({model} {version.version})",
        version=version.version,
    )


def _shallow_checkout_in_actions(root: Path) -> bool:
    """Inside GitHub Actions, is ``root`` a shallow clone (whose registry tags are absent)?"""
    from mlci import gha, git

    return gha.in_actions() and git.is_shallow(root)


@dataclass(frozen=True)
class Inputs:
    """Everything :func:`validate` needs, gathered from files and options."""

    metrics: Mapping[str, Any]
    metrics_source: str
    thresholds: list[Threshold]
    baseline: Baseline
    max_regression: float
    regression: RegressionMode
    require_baseline: bool
    notices: tuple[str, ...] = ()


def _regression_mode(option: str | None, validation: Validation | None) -> RegressionMode:
    if option == "relative":
        return "relative"
    if option == "absolute":
        return "absolute"
    if option:
        raise UsageError(f"--regression must be relative or absolute, got {option!r}")
    return validation.regression if validation is not None else "relative"


def parse_max_regression(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"--max-regression {text!r} is not a number; write e.g. 0.05 (5% of |baseline|)"
        ) from None
    return _check_tolerance(value, "--max-regression")


def gather(
    *,
    metrics_path: Path | None,
    run_id: str | None = None,
    config_path: Path | None,
    threshold_args: Sequence[str] = (),
    baseline_spec: str | None = None,
    max_regression: str | None = None,
    regression: str | None = None,
    fetch: bool | None = False,
) -> Inputs:
    """Read the metrics, mlci.yaml (optional when it is the default ``mlci.yaml``), the baseline.

    ``None`` or an empty string for an option means "not given": the value
    comes from mlci.yaml, else the default.
    """
    from mlci import config as config_module
    from mlci.metrics import load_metrics

    notices: list[str] = []
    loaded: Config | None = None
    path = config_path if config_path is not None else DEFAULT_CONFIG
    if path.exists() or (config_path is not None and config_path != DEFAULT_CONFIG):
        loaded = config_module.load(path).config
    else:
        notices.append(f"{path} not found: checking the command-line thresholds only")

    cli_thresholds = parse_thresholds(threshold_args)
    if (metrics_path is None) == (not run_id):
        raise UsageError(
            "name the candidate's metrics: --metrics FILE, or --run-id ID of an MLflow run"
        )
    if metrics_path is not None:
        metrics = load_metrics(metrics_path)
        metrics_source = str(metrics_path)
    else:
        assert run_id is not None
        from mlci.registry.mlflow import load_run_metrics

        metrics = load_run_metrics(run_id)
        metrics_source = f"mlflow run {run_id}"
    unknown = [t.metric for t in cli_thresholds if t.metric not in metrics]
    if unknown:
        known = ", ".join(sorted(metrics)) or "no metrics"
        raise UsageError(
            f"--threshold: unknown metric {unknown[0]!r}: {metrics_source} has {known}"
            + _did_you_mean(unknown[0], list(metrics))
        )

    validation = loaded.validation if loaded is not None else None
    thresholds = merge_thresholds(
        thresholds_from_config(validation) if validation is not None else [], cli_thresholds
    )

    if max_regression:
        tolerance = parse_max_regression(max_regression)
    else:
        tolerance = validation.max_regression if validation is not None else DEFAULT_MAX_REGRESSION

    if baseline_spec:
        spec: str | None = baseline_spec
    elif validation is not None:
        spec = validation.baseline
    else:
        spec = None
    baseline = (
        load_baseline(spec, config=loaded, fetch=fetch)
        if spec
        else Baseline(metrics=None, source=None)
    )

    return Inputs(
        metrics=metrics,
        metrics_source=metrics_source,
        thresholds=thresholds,
        baseline=baseline,
        max_regression=tolerance,
        regression=_regression_mode(regression, validation),
        require_baseline=validation.require_baseline if validation is not None else False,
        notices=tuple(notices),
    )


# --------------------------------------------------------------------------- rendering


def _num(value: float) -> str:
    """A number for people: 0.85, 1e-07, 12 (12 significant digits; the JSON report is exact)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.12g}"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.6g}%"


def _change(change: float, relative: float | None, *, parens: bool = True) -> str:
    """``+0.05 (+14.29%)``, or ``+0.05, +14.29%`` inside a sentence."""
    if relative is None:
        return f"{change:+.4g}"
    percent = f"{relative * 100:+.2f}%"
    return f"{change:+.4g} ({percent})" if parens else f"{change:+.4g}, {percent}"


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, str):
        return f'"{value}"'
    return type(value).__name__


def table_rows(verdict: Verdict) -> list[list[str]]:
    """The report table: metric, candidate, threshold, baseline, change, verdict."""
    rows = []
    for row in verdict.rows:
        candidate = _shown(row.candidate) if row.candidate_present else "missing"
        if not verdict.baseline_present:
            baseline = "—"
        else:
            baseline = _shown(row.baseline) if row.baseline_present else "missing"
        change = _change(row.change, row.relative_change) if row.change is not None else "—"
        rows.append([row.metric, candidate, row.threshold, baseline, change, row.verdict])
    return rows


HEADER = ["metric", "candidate", "threshold", "baseline", "change", "verdict"]


def render_text(verdict: Verdict) -> str:
    """The terminal report."""
    rows = [HEADER, *table_rows(verdict)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out = [f"validate-model: {verdict.metrics_source} against {_baseline_text(verdict)}", ""]
    out += lines
    out.append("")
    for notice in verdict.notices:
        out.append(f"note: {notice}")
    for failure in verdict.failures:
        out.append(f"FAIL {failure}")
    return "\n".join(out) + "\n"


def _baseline_text(verdict: Verdict) -> str:
    if not verdict.baseline_present:
        return f"no baseline ({verdict.baseline_source or 'none given'})"
    if verdict.regression == "relative":
        mode = f"{_pct(verdict.max_regression)} of |baseline|"
    else:
        mode = f"{_num(verdict.max_regression)} absolute"
    return f"{verdict.baseline_source} (tolerance {mode})"


def summary_line(verdict: Verdict) -> str:
    n = len(verdict.rows)
    if verdict.passed:
        return f"model passed: {n} metric{'s' if n != 1 else ''} checked"
    failed = sum(1 for row in verdict.rows if not row.passed)
    problems = len(verdict.problems)
    extra = f", {problems} other problem{'s' if problems != 1 else ''}" if problems else ""
    return f"model rejected: {failed} of {n} metric{'s' if n != 1 else ''} failed{extra}"


def _md(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(verdict: Verdict) -> str:
    """The job summary (``$GITHUB_STEP_SUMMARY``)."""
    head = "✅ model passed" if verdict.passed else "❌ model rejected"
    out = [
        f"### validate-model: {head}",
        "",
        f"`{_md(verdict.metrics_source)}` against {_md(_baseline_text(verdict))}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for cells in table_rows(verdict):
        cells[-1] = "✅ pass" if cells[-1] == "pass" else "❌ fail"
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if verdict.failures:
        out += ["", "**Failures**", ""]
        out += [f"- {_md(f)}" for f in verdict.failures]
    if verdict.notices:
        out.append("")
        out += [f"> {_md(n)}" for n in verdict.notices]
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def to_report(verdict: Verdict) -> dict[str, Any]:
    """The verdict as JSON-ready data (``--report-json`` and the ``report`` output)."""
    return {
        "passed": verdict.passed,
        "metrics_file": verdict.metrics_source,
        "baseline": {
            "source": verdict.baseline_source,
            "present": verdict.baseline_present,
            "version": verdict.baseline_version,
        },
        "regression": verdict.regression,
        "max_regression": verdict.max_regression,
        "metrics": [
            {
                "metric": row.metric,
                "direction": row.direction,
                "threshold": row.threshold,
                "bound": row.bound,
                "candidate": _json_value(row.candidate),
                "candidate_present": row.candidate_present,
                "baseline": _json_value(row.baseline),
                "baseline_present": row.baseline_present,
                "change": row.change,
                "relative_change": row.relative_change,
                "tolerance": row.tolerance,
                "limit": row.limit,
                "threshold_passed": row.threshold_passed,
                "regression_passed": row.regression_passed,
                "passed": row.passed,
                "reasons": list(row.reasons),
            }
            for row in verdict.rows
        ],
        "failures": list(verdict.failures),
        "notices": list(verdict.notices),
    }


def report_json(verdict: Verdict, *, indent: int | None = None) -> str:
    import json

    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(to_report(verdict), indent=indent, separators=separators, allow_nan=False)
