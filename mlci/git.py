"""The one runner for every git command mlci runs.

Everything that runs git goes through :func:`run` (or :func:`output` for a
best-effort question whose answer may be "don't know"): the update's 3-way
merge, ``mlci pin``'s ``ls-remote``, the retrain trigger's diffs, ``init``'s
detection, the gate's shallow-clone check and the git registry. So there is
one "git is not installed" message, one way to pass a token (an HTTP header
through ``GIT_CONFIG_*`` environment variables, never the command line or a
remote URL), one scrubber that keeps it out of messages, and one answer to
"is this a shallow clone?".

Git never prompts (``GIT_TERMINAL_PROMPT=0``): a missing credential is an
error, not a hung job.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci.errors import UsageError, one_line

#: Where the token goes: the header git sends to github.com (what actions/checkout does).
_HEADER_KEY = "http.https://github.com/.extraheader"


class GitTimeout(UsageError):
    """A git command ran longer than its timeout (exit 2)."""


@dataclass(frozen=True)
class Output:
    """What a git command answered: exit status and its output as text."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def basic_auth(token: str) -> str:
    """The base64 ``x-access-token:<token>`` GitHub accepts as basic auth."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def scrub(text: str, token: str | None) -> str:
    """``text`` on one line, with the token (and its basic-auth form) replaced by ***."""
    if token:
        text = text.replace(token, "***").replace(basic_auth(token), "***")
    return one_line(text)


def environment(
    *,
    token: str | None = None,
    isolated: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment git runs in: no prompts; the token as a header; ``extra`` on top.

    ``isolated`` ignores the user's and the system's git config, so output
    (merge markers, for one) is the same on every machine.
    """
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    if isolated:
        env["GIT_CONFIG_GLOBAL"] = os.devnull
        env["GIT_CONFIG_NOSYSTEM"] = "1"
    if token:
        n = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
        env[f"GIT_CONFIG_KEY_{n}"] = _HEADER_KEY
        env[f"GIT_CONFIG_VALUE_{n}"] = f"AUTHORIZATION: basic {basic_auth(token)}"
        env["GIT_CONFIG_COUNT"] = str(n + 1)
    if extra:
        env.update(extra)
    return env


def run(
    *args: str,
    cwd: Path | None = None,
    purpose: str,
    input: str | None = None,
    timeout: float | None = None,
    token: str | None = None,
    isolated: bool = False,
    env: Mapping[str, str] | None = None,
) -> Output:
    """Run ``git ARGS`` in ``cwd`` and return what it said; a failing git is not an error.

    ``purpose`` completes "mlci runs git to ..." in the one message for a
    missing git (exit 2). A ``cwd`` that is not a directory is exit 2 too;
    a timeout raises :class:`GitTimeout`. Output is decoded as UTF-8
    (undecodable bytes replaced), line endings untouched.
    """
    if cwd is not None and not cwd.is_dir():
        raise UsageError(f"{cwd}: {'is not a directory' if cwd.exists() else 'no such directory'}")
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=environment(token=token, isolated=isolated, extra=env),
            input=input.encode("utf-8") if input is not None else None,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise UsageError(
            f"git is not installed (or not on PATH); mlci runs git to {purpose}"
        ) from None
    except subprocess.TimeoutExpired:
        raise GitTimeout(f"git {args[0]} timed out after {timeout:g} s") from None
    return Output(
        args=tuple(args),
        returncode=proc.returncode,
        stdout=proc.stdout.decode("utf-8", errors="replace"),
        stderr=proc.stderr.decode("utf-8", errors="replace"),
    )


def output(*args: str, cwd: Path, timeout: float = 10) -> str | None:
    """Best effort: git's stripped stdout, or ``None`` when git fails, is missing or hangs."""
    try:
        proc = run(*args, cwd=cwd, purpose="detect the repository", timeout=timeout)
    except UsageError:
        return None
    return proc.stdout.strip() if proc.ok else None


def is_shallow(root: Path) -> bool:
    """Is ``root`` a shallow clone (whose history and tags may be missing)? False if unknown."""
    return output("rev-parse", "--is-shallow-repository", cwd=root) == "true"


__all__ = [
    "GitTimeout",
    "Output",
    "basic_auth",
    "environment",
    "is_shallow",
    "output",
    "run",
    "scrub",
]
