"""The one place a rollout runs the user's own shell commands (router moves, verification).

Each command is one ``bash -c`` in a folder, with the job's environment plus the
variables the caller adds, no stdin, and a timeout that stops its whole process group
(what it started in the background too). What comes back says whether it ran,
its exit code, the tail of what it printed and, when it did not succeed, one
phrase for the error message (``timed out after 30s``, ``could not start: …``,
``exited 1: <its last line>``) that the caller prefixes with what the command was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: How much of a command's output (stdout then stderr) is kept for the report.
OUTPUT_TAIL = 2000
#: How much of its last line goes into the one-line error message.
LINE_LIMIT = 400


@dataclass(frozen=True)
class Ran:
    """What one user command did."""

    command: str
    #: ``None`` when it did not finish: timed out, or could not start
    returncode: int | None
    #: the last :data:`OUTPUT_TAIL` characters of stdout + stderr
    output: str = ""
    #: why it did not succeed, e.g. ``exited 2: no capacity``; ``None`` when it did
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def last_line(output: str) -> str:
    """The last line of ``output`` that is not blank, cut to :data:`LINE_LIMIT` characters."""
    return next((ln for ln in reversed(output.splitlines()) if ln.strip()), "")[:LINE_LIMIT]


def run_user_command(
    command: str, *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float
) -> Ran:
    """Run ``command`` with ``bash -c`` in ``cwd``; ``env`` is added to the job's environment.

    Never raises for the command's sake: a timeout, a command that cannot start and a
    non-zero exit all come back as a :class:`Ran` with a ``problem``.
    """
    try:
        proc = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        return Ran(command, None, problem=f"could not start: {exc}")
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The command's own process group: what it started in the background goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        output = (stdout + stderr)[-OUTPUT_TAIL:]
        return Ran(command, None, output, problem=f"timed out after {timeout:g}s")
    output = (stdout + stderr)[-OUTPUT_TAIL:]
    if proc.returncode == 0:
        return Ran(command, 0, output)
    last = last_line(output)
    problem = f"exited {proc.returncode}" + (f": {last}" if last else "")
    return Ran(command, proc.returncode, output, problem)
