"""Validation of the five-field cron expressions GitHub Actions accepts in ``schedule``."""

from __future__ import annotations

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
    return expression
