"""The gate's inputs: metrics files, MLflow runs, mlci.yaml and baselines.

:func:`gather` reads what :func:`mlci.gate.rule.validate` needs; unreadable
files or registries raise :class:`mlci.errors.UsageError` (exit 2), never a pass.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci import names
from mlci.errors import UsageError
from mlci.gate.rule import (
    DEFAULT_CONFIG,
    DEFAULT_MAX_REGRESSION,
    Direction,
    Op,
    RegressionMode,
    Row,
    Threshold,
    Verdict,
    _check_tolerance,
    _did_you_mean,
    _judge,
    _number,
    merge_thresholds,
    parse_thresholds,
    thresholds_from_config,
)

if TYPE_CHECKING:
    from mlci.config import Config, Validation


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
    configured: bool = False  # the thresholds came from an mlci.yaml


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
        configured=loaded is not None,
    )


NO_THRESHOLDS_WARNING = (
    "no thresholds set (validation.thresholds in mlci.yaml is empty): only regression against "
    "production is checked, for the metrics whose direction mlci knows from their name; add a "
    "bound, e.g. accuracy: {min: 0.8} under validation.thresholds"
)

_HIGHER_IS_BETTER = re.compile(
    r"^(acc|accuracy|auc|roc_auc|pr_auc|average_precision|f1|f1_score|precision|recall|r2|"
    r"map|ndcg|top\d+|top_\d+_accuracy|balanced_accuracy|mcc|kappa)$"
)
_LOWER_IS_BETTER = re.compile(r"(loss|error|rmse|mae|mse|mape|latency|seconds|_ms$|_time$)")


def direction_of(metric: str) -> Direction | None:
    """``min`` (higher is better) or ``max`` from a metric's name; None when unknown."""
    leaf = metric.rsplit(".", 1)[-1].lower()
    if _HIGHER_IS_BETTER.match(leaf):
        return "min"
    if _LOWER_IS_BETTER.search(leaf):
        return "max"
    return None


def unguarded(inputs: Inputs) -> Verdict:
    """The verdict of a gate whose mlci.yaml sets no thresholds: regression only, and a warning.

    Fails closed: a non-finite metric, a metrics file without a single number, a metric
    production has and the candidate lacks. Each metric whose direction its name tells
    (accuracy, auc, f1 … higher; loss, rmse, latency … lower) is checked for regression
    against the baseline; the others are named in a notice.
    """
    metrics, baseline = inputs.metrics, inputs.baseline.metrics
    problems: list[str] = []
    numbers = [k for k, v in metrics.items() if _number(v)[0] is not None]
    if not numbers:
        problems.append(f"{inputs.metrics_source} holds no number: nothing the gate could judge")
    for key, raw in metrics.items():
        if isinstance(raw, float) and not math.isfinite(raw):
            why = _number(raw)[1]
            problems.append(f"{key}: the candidate value {why} ({inputs.metrics_source})")
    notices = list(inputs.notices)
    rows: list[Row] = []
    if baseline is None:
        notices.append(
            f"no baseline model yet ({inputs.baseline.source or 'none given'}): "
            "first run, the regression check is skipped"
        )
    else:
        names = list(dict.fromkeys([*metrics, *baseline]))
        unknown = [n for n in names if direction_of(n) is None]
        for name in names:
            direction = direction_of(name)
            if direction is None or (name not in metrics and _number(baseline[name])[0] is None):
                continue
            value = metrics.get(name)
            if isinstance(value, float) and not math.isfinite(value):
                continue  # already a problem above
            op: Op = ">=" if direction == "min" else "<="
            bound = -math.inf if direction == "min" else math.inf
            row = _judge(
                Threshold(metric=name, op=op, bound=bound),
                metrics=metrics,
                baseline=baseline,
                tolerance=inputs.max_regression,
                regression=inputs.regression,
                metrics_source=inputs.metrics_source,
                baseline_label=inputs.baseline.source or "baseline",
            )
            rows.append(replace(row, threshold="none", bound=0.0))
        if unknown:
            notices.append(
                "not compared with production (direction unknown; set a threshold to judge "
                f"them): {', '.join(unknown)}"
            )
    return Verdict(
        rows=tuple(rows),
        problems=tuple(problems),
        notices=tuple(notices),
        warnings=(NO_THRESHOLDS_WARNING,),
        metrics_source=inputs.metrics_source,
        max_regression=inputs.max_regression,
        regression=inputs.regression,
        baseline_source=inputs.baseline.source,
        baseline_present=baseline is not None,
        baseline_version=inputs.baseline.version,
    )
