"""The one place mlci runs ``kubectl``: argv, context/namespace flags, timeouts, errors.

Every call goes through :meth:`Kubectl.run`; output is parsed (``-o json``), never
guessed. A non-zero exit is a :class:`KubectlError` holding kubectl's own last
error line (``Error from server (NotFound): deployments.apps "x" not found``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlci.deploy.routers import RouterError

DEFAULT_TIMEOUT = 600.0


class KubectlError(RouterError):
    """kubectl exited non-zero, timed out, or printed what it should not have."""


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # klog lines (E1205 03:49:39.81 ... memcache.go:381] ...) repeat the cause: skip them
    plain = [ln for ln in lines if not (len(ln) > 5 and ln[0] in "EWIF" and ln[1:5].isdigit())]
    return (plain or lines or [""])[-1]


@dataclass
class Kubectl:
    binary: str = "kubectl"
    context: str | None = None
    namespace: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def argv(self, *args: str, cluster: bool = True) -> list[str]:
        flags: list[str] = []
        if cluster and self.context:
            flags += ["--context", self.context]
        if cluster and self.namespace:
            flags += ["--namespace", self.namespace]
        return [self.binary, *flags, *args]

    def run(self, *args: str, stdin: str | None = None, cluster: bool = True) -> str:
        """Run kubectl; return stdout; raise KubectlError with kubectl's reason."""
        argv = self.argv(*args, cluster=cluster)
        self.calls.append(tuple(argv[1:]))
        try:
            proc = subprocess.run(
                argv,
                input=stdin if stdin is not None else "",  # never the job's own stdin
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env={**os.environ, **self.env},
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise KubectlError(
                f"kubectl {' '.join(args[:2])} timed out after {self.timeout:g}s"
            ) from None
        except OSError as exc:
            raise KubectlError(f"kubectl could not run ({self.binary}): {exc.strerror}") from None
        if proc.returncode != 0:
            reason = _last_error_line(proc.stderr or proc.stdout) or f"exit {proc.returncode}"
            raise KubectlError(f"kubectl {' '.join(args[:2])}: {reason}")
        return proc.stdout

    def get_json(self, *args: str) -> dict[str, Any]:
        out = self.run(*args, "-o", "json")
        try:
            data = json.loads(out)
        except ValueError:
            raise KubectlError(f"kubectl {' '.join(args[:2])} -o json printed no JSON") from None
        if not isinstance(data, dict):
            raise KubectlError(f"kubectl {' '.join(args[:2])} -o json printed no object")
        return data

    def contexts(self) -> list[str]:
        return self.run("config", "get-contexts", "-o", "name", cluster=False).split()

    def kustomize(self, directory: str) -> str:
        return self.run("kustomize", directory, cluster=False)
