"""Validation of the five-field cron expressions GitHub Actions accepts in ``schedule``."""

from __future__ import annotations

import itertools

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (name, low, high, names mapped to numbers)
_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
]


# GitHub Actions' shortest schedule interval, in minutes.
MIN_INTERVAL = 5


class CronError(ValueError):
    pass


def _value(text: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(f"{field} {text!r} is not a number between {low} and {high}")
    number = int(text)
    if not low <= number <= high:
        raise CronError(f"{field} {number} is out of range {low}-{high}")
    return number


def _expand(part: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """The values a (valid) field selects."""
    values: set[int] = set()
    for item in part.split(","):
        base, slash, step = item.partition("/")
        if base == "*":
            first, last = low, high
        else:
            start, dash, end = base.partition("-")
            first = _value(start, "", low, high, names)
            last = _value(end, "", low, high, names) if dash else (high if slash else first)
        values.update(range(first, last + 1, int(step) if slash else 1))
    return values


def shortest_interval(expression: str) -> int:
    """The fewest minutes between two runs of a valid ``expression`` (at most 1440)."""
    fields = expression.split()
    minutes = sorted(_expand(fields[0], *_FIELDS[0][1:]))
    hours = _expand(fields[1], *_FIELDS[1][1:])
    gaps = [b - a for a, b in itertools.pairwise(minutes)]
    # From the last run of an hour to the first of the next one, when both hours run
    # (23 -> 0 crosses midnight: assume the next day may run too).
    if any((hour + 1) % 24 in hours for hour in hours):
        gaps.append(60 - minutes[-1] + minutes[0])
    return min(gaps, default=24 * 60)


def validate_cron(expression: str) -> str:
    """Return ``expression`` if GitHub Actions accepts it, else raise :class:`CronError`.

    >>> validate_cron("0 4 * * MON-FRI")
    '0 4 * * MON-FRI'
    """
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"cron {expression!r} has {len(parts)} fields; GitHub Actions wants 5: "
            "minute hour day-of-month month day-of-week, e.g. '0 4 * * *'"
        )
    for part, (field, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            if not item:
                raise CronError(f"cron {expression!r}: empty item in the {field} field")
            base, slash, step = item.partition("/")
            if slash and (not step.isdigit() or int(step) == 0):
                raise CronError(f"cron {expression!r}: step {step!r} must be a positive number")
            if base == "*":
                continue
            start, dash, end = base.partition("-")
            first = _value(start, field, low, high, names)
            if dash:
                last = _value(end, field, low, high, names)
                if last < first:
                    raise CronError(f"cron {expression!r}: range {base!r} runs backwards")
    interval = shortest_interval(expression)
    if interval < MIN_INTERVAL:
        raise CronError(
            f"cron {expression!r} runs every {interval} minute{'s' if interval != 1 else ''}; "
            f"GitHub Actions runs schedules at most every {MIN_INTERVAL} minutes"
        )
    return expression
