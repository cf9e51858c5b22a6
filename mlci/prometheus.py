"""A small client for the Prometheus HTTP API: ``/api/v1/query`` and ``/api/v1/query_range``.

Standard library only (``urllib``). Two kinds of failure, kept apart because
their callers treat them differently:

* :class:`PrometheusUnavailable` — the server could not be reached, timed out,
  or answered 5xx / ``errorType: timeout``. Transient: the canary judge counts
  it as missing evidence (against the canary once a small consecutive-error
  limit is passed); a one-shot command reports it as exit 2.
* :class:`~mlci.errors.UsageError` — the answer is not what the API promises
  (not JSON, wrong shape), or Prometheus rejected the query (``bad_data``: the
  PromQL is wrong). Retrying will not help; the user must fix something.

A bearer token is sent in the ``Authorization`` header and appears in no
message, ``repr`` or exception: error texts quote the URL without user info and
Prometheus' own error text with the token masked.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.errors import MlciError, UsageError

DEFAULT_TIMEOUT = 10.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


class PrometheusUnavailable(MlciError):
    """Prometheus could not answer now (unreachable, timeout, 5xx): missing evidence."""


@dataclass(frozen=True)
class Sample:
    """One element of an instant vector (or a scalar, with no labels)."""

    labels: Mapping[str, str]
    value: float
    timestamp: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: its labels and ``(timestamp, value)`` points."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


def parse_duration(text: str) -> float:
    """``"90s"``, ``"5m"``, ``"1h"`` → seconds; anything else is a UsageError."""
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(f"{text!r} is not a duration: write a number and a unit, e.g. 30s, 5m, 1h")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise UsageError(f"{text!r}: a duration must be longer than zero")
    return seconds


def _value(raw: Any, where: str) -> tuple[float, float]:
    """A ``[timestamp, "value"]`` pair; ``"NaN"``/``"+Inf"`` parse as floats."""
    if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], str)):
        raise UsageError(f'malformed Prometheus answer: {where} is not [time, "value"]')
    try:
        return float(raw[0]), float(raw[1])
    except (TypeError, ValueError):
        raise UsageError(f"malformed Prometheus answer: {where} holds {raw!r}") from None


def _labels(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise UsageError(f"malformed Prometheus answer: {where}.metric is not a label map")
    return dict(raw)


class Prometheus:
    """A Prometheus server at ``url`` (e.g. ``http://prometheus:9090``)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"{url!r} is not a Prometheus URL: write http(s)://host:port, "
                "e.g. http://prometheus:9090"
            )
        if timeout <= 0:
            raise UsageError(f"the Prometheus timeout must be positive, got {timeout}")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        if ":" in parts.hostname:  # IPv6 literal
            netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
        self._base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._token = token or None
        self._timeout = timeout

    @property
    def url(self) -> str:
        """The base URL, without user info: safe to print."""
        return self._base

    def __repr__(self) -> str:
        auth = ", token=***" if self._token else ""
        return f"Prometheus({self._base!r}{auth})"

    # -- the two endpoints -------------------------------------------------

    def query(self, promql: str, *, at: float | None = None) -> list[Sample]:
        """Evaluate ``promql`` at one instant (``at``, epoch seconds; default now).

        A vector answer is a list of samples; a scalar answer is one sample
        without labels. An empty list means no data.
        """
        params = {"query": promql}
        if at is not None:
            params["time"] = _fmt(at)
        data = self._call("query", params)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            if not isinstance(result, list):
                raise UsageError("malformed Prometheus answer: data.result is not a list")
            samples = []
            for i, item in enumerate(result):
                where = f"data.result[{i}]"
                if not isinstance(item, dict):
                    raise UsageError(f"malformed Prometheus answer: {where} is not an object")
                ts, value = _value(item.get("value"), f"{where}.value")
                samples.append(Sample(_labels(item.get("metric", {}), where), value, ts))
            return samples
        if kind == "scalar":
            ts, value = _value(result, "data.result")
            return [Sample({}, value, ts)]
        raise UsageError(
            f"Prometheus answered a {kind!r} to an instant query; "
            "write a query that returns a number or an instant vector"
        )

    def query_range(self, promql: str, *, start: float, end: float, step: float) -> list[Series]:
        """Evaluate ``promql`` from ``start`` to ``end`` every ``step`` seconds."""
        if step <= 0 or end < start:
            raise UsageError(f"bad query range: start={start} end={end} step={step}")
        params = {"query": promql, "start": _fmt(start), "end": _fmt(end), "step": _fmt(step)}
        data = self._call("query_range", params)
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise UsageError("malformed Prometheus answer: a range query did not return a matrix")
        series = []
        for i, item in enumerate(result):
            where = f"data.result[{i}]"
            values = item.get("values") if isinstance(item, dict) else None
            if not isinstance(values, list):
                raise UsageError(f"malformed Prometheus answer: {where}.values is not a list")
            points = tuple(_value(v, f"{where}.values[{j}]") for j, v in enumerate(values))
            series.append(Series(_labels(item.get("metric", {}), where), points))
        return series

    def value(self, promql: str, *, at: float | None = None) -> float | None:
        """The one number ``promql`` evaluates to, or ``None`` for no data (or NaN).

        More than one series is a UsageError: the query must aggregate
        (``sum(...)``) down to one number.
        """
        samples = self.query(promql, at=at)
        if not samples:
            return None
        if len(samples) > 1:
            raise UsageError(
                f"query returned {len(samples)} series, expected one number: "
                f"aggregate it, e.g. sum(...): {promql}"
            )
        return None if math.isnan(samples[0].value) else samples[0].value

    # -- transport ---------------------------------------------------------

    def _call(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self._base}/api/v1/{endpoint}"
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Accept", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        status: int
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
            exc.close()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PrometheusUnavailable(
                f"Prometheus at {self._base} is unreachable: {self._mask(str(reason))}"
            ) from None
        return self._decode(status, raw, endpoint)

    def _decode(self, status: int, raw: bytes, endpoint: str) -> dict[str, Any]:
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            if status >= 500 or status == 429:
                raise PrometheusUnavailable(
                    f"Prometheus at {self._base} answered HTTP {status} to {endpoint}"
                )
            if status in (401, 403):
                raise UsageError(
                    f"Prometheus at {self._base} refused the request (HTTP {status}): "
                    "check the bearer token secret"
                )
            raise UsageError(
                f"malformed Prometheus answer from {self._base}/api/v1/{endpoint} "
                f"(HTTP {status}, not a JSON object): is the URL a Prometheus server?"
            )
        if payload.get("status") == "success":
            data = payload.get("data")
            if not isinstance(data, dict):
                raise UsageError("malformed Prometheus answer: data is not an object")
            return data
        if payload.get("status") != "error":
            raise UsageError("malformed Prometheus answer: status is neither success nor error")
        kind = str(payload.get("errorType", ""))
        text = self._mask(str(payload.get("error", "")))
        if kind in ("timeout", "canceled", "unavailable") or status >= 500:
            raise PrometheusUnavailable(f"Prometheus could not answer ({kind}): {text}")
        raise UsageError(f"Prometheus rejected the query ({kind or f'HTTP {status}'}): {text}")

    def _mask(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _fmt(number: float) -> str:
    return f"{number:.3f}"
