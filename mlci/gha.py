"""GitHub Actions I/O: ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``, ``::error::``.

Inside GitHub Actions (``GITHUB_ACTIONS=true``) a command writes its outputs to
``$GITHUB_OUTPUT``, a Markdown summary to ``$GITHUB_STEP_SUMMARY`` and
annotations to stdout. Outside Actions these functions do nothing: the
command prints the same facts to the terminal itself.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def in_ci() -> bool:
    """Inside a CI job: GitHub Actions, or any CI that sets ``CI=true`` (most do)."""
    return in_actions() or os.environ.get("CI", "").lower() in ("true", "1")


def _append(env_var: str, text: str) -> None:
    path = os.environ.get(env_var)
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(text)


def set_outputs(outputs: Mapping[str, str]) -> None:
    """Append ``name=value`` pairs to ``$GITHUB_OUTPUT`` (multi-line safe)."""
    if not in_actions():
        return
    lines = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    _append("GITHUB_OUTPUT", "".join(lines))


def add_summary(markdown: str) -> None:
    """Append Markdown to the job summary (``$GITHUB_STEP_SUMMARY``)."""
    if not in_actions():
        return
    _append("GITHUB_STEP_SUMMARY", markdown if markdown.endswith("\n") else markdown + "\n")


def add_mask(value: str) -> None:
    """Have the runner hide ``value`` in every log line from now on (``::add-mask::``).

    Written before anything that could echo the secret, so it is the one
    workflow command a core function may emit.
    """
    if not in_actions():
        return
    sys.stdout.write(f"::add-mask::{value}\n")
    sys.stdout.flush()


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotate(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> None:
    """Print a workflow command annotation (``::error::``, ``::warning::``, ``::notice::``)."""
    if not in_actions():
        return
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
    if line is not None:
        props.append(f"line={line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}::" if props else f"::{level}::"
    sys.stdout.write(head + _escape_data(message) + "\n")
    sys.stdout.flush()


def error(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    annotate("error", message, file=file, line=line, title=title)


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    annotate("warning", message, file=file, line=line, title=title)


def notice(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> None:
    annotate("notice", message, file=file, line=line, title=title)
