"""GTO's tag grammar (iterative/gto): the names and annotations of the git registry.

* ``<model>@v<semver>`` registers a version at the commit it points to;
  ``<model>@v<semver>!`` deregisters it.
* ``<model>#<stage>#<n>`` assigns ``stage`` to the version registered at the
  commit it points to; ``<model>#<stage>!#<n>`` unassigns. ``n`` is a counter.
* mlci's facts (metrics, run URL, verdict, previous holder) are JSON after the
  first paragraph of the annotation; tags GTO wrote carry none.

Pure functions over strings: :mod:`mlci.registry.git` reads and writes the tags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.errors import UsageError

# GTO's own name pattern, deliberately looser than mlci.names.NAME (it takes "a//b"): the
# tag reader must parse every tag GTO writes; what mlci writes is checked by names.check_name.
_NAME = r"[a-z0-9](?:[a-z0-9-/]*[a-z0-9])?"
_NUM = r"(?:0|[1-9]\d*)"
_PRE = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = (
    rf"(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_PRE}(?:\.{_PRE})*))?(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
SEMVER_RE = re.compile(rf"^v{_SEMVER}$")
TAG_RE = re.compile(
    rf"^(?P<artifact>(?:[a-z0-9-_./]+=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?)"
    r"|@(?P<deprecated>deprecated)|@(?P<created>created))"
    r"(?:#(?P<counter>[0-9]+))?$"
)


@dataclass(frozen=True)
class Tag:
    name: str
    artifact: str
    commit: str
    date: int
    tagger: str
    payload: Mapping[str, Any]
    version: str | None = None
    stage: str | None = None
    cancel: bool = False
    counter: int | None = None


def version_tag(model: str, version: str) -> str:
    """The tag that registers ``version`` (``v1.2.3``) of ``model``."""
    return f"{model}@{version}"


def stage_tag(model: str, stage: str, counter: int) -> str:
    """The tag that assigns ``stage``; ``counter`` is one more than any of the model's tags."""
    return f"{model}#{stage}#{counter}"


def normalize_version(text: str) -> str:
    """``1.2.3`` or ``v1.2.3`` → ``v1.2.3``; anything else is bad input."""
    value = text.strip()
    if not value.startswith("v"):
        value = "v" + value
    if not SEMVER_RE.match(value):
        raise UsageError(
            f"model version {text!r} is not a semantic version; write e.g. v1.2.3 "
            "(the git registry follows GTO's name@v<semver> tags)"
        )
    return value


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    match = SEMVER_RE.match(version)
    if not match:
        return (-1, -1, -1, 0, version)
    pre = match["pre"]
    return (
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        0 if pre else 1,
        pre or "",
    )


def parse_payload(message: str) -> dict[str, Any]:
    """The mlci JSON after the first paragraph of a tag annotation ({} when there is none)."""
    _, sep, rest = message.partition("\n\n")
    if not sep:
        return {}
    try:
        data = json.loads(rest)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) and "mlci" in data else {}


def next_version(versions: list[str]) -> str:
    """The patch after the greatest release of ``versions``; ``v0.0.1`` for the first."""
    if not versions:
        return "v0.0.1"
    major, minor, patch, _, _ = max(semver_key(v) for v in versions)
    return f"v{major}.{minor}.{patch + 1}"


def annotation(title: str, payload: Mapping[str, Any]) -> str:
    """A tag message: a title paragraph, then mlci's facts as JSON (see :func:`parse_payload`)."""
    return f"{title}\n\n{json.dumps(payload, indent=2, sort_keys=True)}\n"
