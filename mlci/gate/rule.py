"""The gate's rule: thresholds and the verdict, a pure function.

:func:`validate` never prints, never exits and never reads a file: given the
candidate's metrics, the thresholds and the baseline's metrics it returns a
:class:`Verdict`. See :mod:`mlci.gate` for the rule itself.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlci.errors import UsageError

if TYPE_CHECKING:
    from mlci.config import Validation

Op = Literal[">=", ">", "<=", "<"]
Direction = Literal["min", "max"]
RegressionMode = Literal["relative", "absolute"]

DEFAULT_CONFIG = Path("mlci.yaml")
DEFAULT_MAX_REGRESSION = 0.05


# --------------------------------------------------------------------------- thresholds


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
    warnings: tuple[str, ...] = ()
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
