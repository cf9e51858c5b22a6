"""The action pins: the table shipped in the wheel and ``.mlci/pins.lock.json``.

The workflows pin every third-party action to a commit SHA. The wheel ships a
table of them (``mlci/action_pins.json``); ``mlci pin`` writes
``.mlci/pins.lock.json``, which overrides the table entry by entry and may pin
the mlci actions' own ``actions.ref`` too. :func:`load_pins` is what rendering
uses; :func:`read_lock` / :func:`write_lock` are the lock file itself. One
:class:`Pin` type serves both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mlci.errors import UsageError
from mlci.state import LOCK, read_text, write_atomic

_SHA = re.compile(r"^[0-9a-f]{40}$")
_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_LOCK_ABOUT = (
    "Written by `mlci pin`: commit SHAs of the actions the generated workflows use; "
    "overrides the table shipped with mlci. Commit it; rerun `mlci pin` to refresh."
)


@dataclass(frozen=True)
class Pin:
    """An action's release tag and the commit it points at."""

    version: str
    sha: str


@dataclass(frozen=True)
class MlciPin:
    """The mlci actions' ``actions.ref`` resolved to a release and its commit."""

    repository: str
    ref: str
    version: str
    sha: str


@dataclass(frozen=True)
class Lock:
    """``.mlci/pins.lock.json``: pins that override the shipped table."""

    actions: dict[str, Pin] = field(default_factory=dict)
    mlci: MlciPin | None = None

    def dumps(self) -> str:
        data: dict[str, object] = {
            "_about": _LOCK_ABOUT,
            "actions": {
                name: {"version": pin.version, "sha": pin.sha}
                for name, pin in sorted(self.actions.items())
            },
        }
        if self.mlci is not None:
            data["mlci"] = {
                "repository": self.mlci.repository,
                "ref": self.mlci.ref,
                "version": self.mlci.version,
                "sha": self.mlci.sha,
            }
        return json.dumps(data, indent=2) + "\n"


def _bad_lock(path: Path, what: str) -> UsageError:
    return UsageError(f"{path}: {what}; rerun `mlci pin` to rewrite it, or delete it")


def read_lock(root: Path) -> Lock | None:
    """``.mlci/pins.lock.json``; ``None`` when absent; exit 2 when malformed."""
    path = root / LOCK
    text = read_text(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise _bad_lock(path, "is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("actions", {}), dict):
        raise _bad_lock(path, "must hold an actions mapping")
    actions: dict[str, Pin] = {}
    for name, entry in data.get("actions", {}).items():
        if (
            not _ACTION.match(name)
            or not isinstance(entry, dict)
            or not isinstance(entry.get("version"), str)
            or not _SHA.match(str(entry.get("sha", "")))
        ):
            raise _bad_lock(path, f"actions.{name} must be {{version, sha (40 hex digits)}}")
        actions[name] = Pin(version=entry["version"], sha=entry["sha"])
    mlci = data.get("mlci")
    mlci_pin = None
    if mlci is not None:
        keys = ("repository", "ref", "version", "sha")
        if not isinstance(mlci, dict) or not all(isinstance(mlci.get(k), str) for k in keys):
            raise _bad_lock(path, "mlci must be {repository, ref, version, sha}")
        if not _SHA.match(mlci["sha"]) or not _ACTION.match(mlci["repository"]):
            raise _bad_lock(path, "mlci.sha must be 40 hex digits and repository owner/repo")
        mlci_pin = MlciPin(*(mlci[k] for k in keys))
    return Lock(actions=actions, mlci=mlci_pin)


def write_lock(root: Path, lock: Lock) -> bool:
    """Write the lock file when it changed; True when it was written."""
    path = root / LOCK
    text = lock.dumps()
    if read_text(path) == text:
        return False
    write_atomic(path, text)
    return True


def load_pins(lock: Lock | None = None) -> dict[str, Pin]:
    """The commit SHAs of the third-party actions the workflows use.

    The table shipped in the wheel, overridden entry by entry by ``lock``.
    """
    raw = json.loads(resources.files("mlci").joinpath("action_pins.json").read_text("utf-8"))
    pins = {
        name: Pin(version=entry["version"], sha=entry["sha"])
        for name, entry in raw.items()
        if not name.startswith("_")
    }
    if lock is not None:
        pins.update(lock.actions)
    return pins


__all__ = ["Lock", "MlciPin", "Pin", "load_pins", "read_lock", "write_lock"]
