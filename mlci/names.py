"""The one grammar of model and stage names, baseline specs, and stage roles.

Model and stage names follow GTO's artifact grammar, which both registry
backends accept: lowercase letters and digits, dashes inside, ``/`` between
namespace parts (``churn``, ``team/churn-model``, ``production``). ``mlci.yaml``
(:mod:`mlci.config`), the gate's ``registry:STAGE`` baselines
(:mod:`mlci.gate`) and the registries (:mod:`mlci.registry`) all check names
here, so a name ``mlci.yaml`` accepts is one every registry accepts.

The pipeline speaks of two *roles*, ``staging`` and ``production``;
``registry.stages`` in ``mlci.yaml`` names the stage (alias) each role has in
the registry. :func:`stage_for` is that mapping.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

from mlci.errors import UsageError

_PART = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
NAME = re.compile(rf"^{_PART}(?:/{_PART})*$")
#: What a valid name looks like, for messages.
NAME_RULE = "lowercase letters, digits and dashes (slashes inside for a namespace)"
ROLES = ("staging", "production")

BaselineKind = Literal["none", "file", "registry"]


class StageNames(Protocol):
    """``registry.stages`` of mlci.yaml: the stage each role has in the registry."""

    @property
    def staging(self) -> str: ...

    @property
    def production(self) -> str: ...


def is_name(value: str) -> bool:
    """Is ``value`` a valid model or stage name?"""
    return NAME.match(value) is not None


def check_name(value: str, *, what: str) -> str:
    """``value`` when it is a valid name, else exit 2 saying what a name looks like."""
    if not is_name(value):
        raise UsageError(
            f"{what} {value!r} is not valid: {NAME_RULE}, e.g. churn-model or production"
        )
    return value


def stage_for(name: str, stages: StageNames | None) -> str:
    """The registry stage of a role (``staging``/``production`` through ``registry.stages``).

    Any other name is a stage already and is returned as it is; so is every
    name when there is no mlci.yaml (``stages`` ``None``).
    """
    if stages is not None and name == "staging":
        return stages.staging
    if stages is not None and name == "production":
        return stages.production
    return name


def parse_baseline(spec: str) -> tuple[BaselineKind, str] | None:
    """``file:PATH``, ``registry:STAGE`` or ``none`` as (kind, value); ``None`` when invalid."""
    text = spec.strip()
    if text.lower() in ("none", "null"):
        return "none", ""
    kind, sep, rest = text.partition(":")
    rest = rest.strip()
    if sep and kind == "file" and rest:
        return "file", rest
    if sep and kind == "registry" and is_name(rest):
        return "registry", rest
    return None


__all__ = ["NAME", "NAME_RULE", "ROLES", "check_name", "is_name", "parse_baseline", "stage_for"]
