"""Reading metrics files: JSON or YAML, flat or nested (nested keys become ``a.b``).

Written by training scripts, by DVC (``metrics.json``) and by ``mlflow`` runs.
Values are returned as they are: the gate decides what is a usable number, so
that a string or a NaN fails closed there with a reason, instead of vanishing
here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlci import files
from mlci.errors import UsageError

Metrics = dict[str, Any]


def flatten(data: Mapping[str, Any], prefix: str = "") -> Metrics:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists are kept as values."""
    flat: Metrics = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def parse_metrics(text: str, *, source: str) -> Metrics:
    """Parse metrics text (JSON, or YAML when JSON fails) into a flat mapping."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "not valid JSON or YAML"
            raise UsageError(f"{source}{where}: malformed metrics file: {problem}") from None
    if data is None:
        raise UsageError(f"{source}: the metrics file is empty")
    if not isinstance(data, Mapping):
        raise UsageError(
            f"{source}: a metrics file must hold a mapping of metric names to numbers, "
            f"got a {type(data).__name__}"
        )
    return flatten({str(k): v for k, v in data.items()})


def load_metrics(path: Path) -> Metrics:
    """Read a metrics file; bad input raises :class:`UsageError` (exit 2) naming the file."""
    return parse_metrics(files.read_text(path, what="metrics file"), source=str(path))
