"""Exception types and the one place that maps them to exit codes.

Exit codes (every command, every action):

* 0 — ok
* 1 — a gate said no (:class:`CheckFailed`): model rejected, workflows stale,
  lint findings, a generated file edited by hand
* 2 — usage or config error (:class:`UsageError`, :class:`ConfigError`): a
  one-line message that says what to fix
* 3 — an unexpected bug: a traceback only with ``MLCI_DEBUG=1``
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 3


class MlciError(Exception):
    """Base of every error mlci reports as a message rather than a traceback."""

    exit_code = EXIT_USAGE


class UsageError(MlciError):
    """Bad input on the command line or in a file it names (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """``mlci.yaml`` is missing, malformed or invalid (exit 2)."""


class CheckFailed(MlciError):
    """A gate said no: the command ran correctly and the answer is "no" (exit 1)."""

    exit_code = EXIT_FAILED


def one_line(message: str) -> str:
    """Collapse a message to one line: exit-2 errors are always one line."""
    return " ".join(message.split())


@contextlib.contextmanager
def error_handler() -> Iterator[list[int]]:
    """Run a command body; turn exceptions into a message and an exit code.

    Yields a one-element list that holds the exit code once the body is done.
    """
    result = [EXIT_OK]
    try:
        yield result
    except CheckFailed as exc:
        if str(exc):
            print(f"mlci: {exc}", file=sys.stderr)
        result[0] = exc.exit_code
    except MlciError as exc:
        print(f"mlci: error: {one_line(str(exc))}", file=sys.stderr)
        result[0] = exc.exit_code
    except KeyboardInterrupt:
        print("mlci: interrupted", file=sys.stderr)
        result[0] = 130
    except Exception as exc:
        if os.environ.get("MLCI_DEBUG") == "1":
            traceback.print_exc()
        print(
            f"mlci: unexpected error ({type(exc).__name__}: {one_line(str(exc))}) "
            "— rerun with MLCI_DEBUG=1 and report it",
            file=sys.stderr,
        )
        result[0] = EXIT_BUG
