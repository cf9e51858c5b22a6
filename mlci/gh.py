"""The GitHub CLI (``gh``), run for the one thing only it does here: verifying the artifact
attestation of a model's digest (``gh attestation verify``, gh 2.49 or later).

Every way this can go wrong is one :class:`~mlci.errors.UsageError` line (exit 2): gh is
missing, too old, unreachable or says the attestation does not verify. Nothing here
decides that a model is fine without gh's say-so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mlci.errors import UsageError

#: gh gained ``gh attestation`` in 2.49.0.
NEEDS = "gh 2.49 or later"


def _env(token: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if token:
        env["GH_TOKEN"] = token
    env.setdefault("GH_PROMPT_DISABLED", "1")
    env["NO_COLOR"] = "1"
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def verify_attestation(
    subject: Path,
    *,
    repo: str,
    what: str,
    token: str | None = None,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run ``gh attestation verify SUBJECT --repo REPO``; return only when it verified."""
    exe = shutil.which("gh", path=(env or os.environ).get("PATH"))
    if exe is None:
        raise UsageError(
            f"--verify-attestation needs the GitHub CLI ({NEEDS}) on PATH; install it "
            "(GitHub-hosted runners have it) or drop --verify-attestation"
        )
    run_env = dict(env) if env is not None else _env(token)
    try:
        proc = subprocess.run(
            [exe, "attestation", "verify", str(subject), "--repo", repo],
            capture_output=True,
            text=True,
            env=run_env,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"gh attestation verify gave no answer for {what} within {timeout:.0f} s"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot run {exe}: {exc.strerror or exc}") from None
    if proc.returncode == 0:
        return
    said = proc.stderr + proc.stdout
    if 'unknown command "attestation"' in said:
        raise UsageError(
            f"{_version(exe, run_env)} has no `gh attestation` command; it needs {NEEDS}"
        )
    raise UsageError(f"the attestation of {what} did not verify for {repo}: {_last_line(said)}")


def _version(exe: str, env: Mapping[str, str]) -> str:
    """``gh 2.23.0`` (or ``gh`` when it will not say)."""
    try:
        proc = subprocess.run(
            [exe, "--version"],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "gh"
    words = proc.stdout.split()
    return f"gh {words[2]}" if len(words) > 2 and words[:2] == ["gh", "version"] else "gh"
