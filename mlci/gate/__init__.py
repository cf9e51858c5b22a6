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

The package: :mod:`~mlci.gate.rule` (the rule), :mod:`~mlci.gate.inputs`
(gathering its inputs) and :mod:`~mlci.gate.report` (rendering the verdict).
"""

from __future__ import annotations

from mlci.gate.inputs import (
    NO_THRESHOLDS_WARNING,
    Baseline,
    Inputs,
    direction_of,
    gather,
    load_baseline,
    parse_baseline_spec,
    parse_max_regression,
    unguarded,
)
from mlci.gate.report import (
    HEADER,
    render_markdown,
    render_text,
    report_json,
    summary_line,
    table_rows,
    to_report,
)
from mlci.gate.rule import (
    DEFAULT_CONFIG,
    DEFAULT_MAX_REGRESSION,
    Direction,
    Op,
    RegressionMode,
    Row,
    Threshold,
    Verdict,
    merge_thresholds,
    parse_threshold,
    parse_thresholds,
    regression_limit,
    thresholds_from_config,
    validate,
)

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_MAX_REGRESSION",
    "HEADER",
    "NO_THRESHOLDS_WARNING",
    "Baseline",
    "Direction",
    "Inputs",
    "Op",
    "RegressionMode",
    "Row",
    "Threshold",
    "Verdict",
    "direction_of",
    "gather",
    "load_baseline",
    "merge_thresholds",
    "parse_baseline_spec",
    "parse_max_regression",
    "parse_threshold",
    "parse_thresholds",
    "regression_limit",
    "render_markdown",
    "render_text",
    "report_json",
    "summary_line",
    "table_rows",
    "thresholds_from_config",
    "to_report",
    "unguarded",
    "validate",
]
