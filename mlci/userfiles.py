"""Configuration files that are the user's own: mlci adds its settings, keeps the user's.

``.github/zizmor.yml`` and ``.github/actionlint.yaml`` may be the repository's own. mlci then
never replaces them (``workflows.zizmor_config`` / ``workflows.actionlint_config: false``):
``mlci init`` merges mlci's zizmor pin policy into the user's zizmor.yml, and ``mlci generate``
adds the self-hosted runner labels mlci.yaml names to the user's actionlint.yaml, through a
ruamel round trip that keeps the user's keys, values and comments and marks each addition
``# added by mlci``.
"""

from __future__ import annotations

import io
from typing import Any

from mlci.errors import UsageError


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def merge_policy(user_text: str, mlci_text: str, *, source: str) -> str:
    """mlci's zizmor/actionlint settings merged into the user's file, comments kept.

    Only what the user's file lacks is added (a mapping key, a list item), each
    addition marked ``# added by mlci``; the user's own rules win.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    yaml = _round_trip()
    try:
        user = yaml.load(user_text)
    except YAMLError as exc:
        raise UsageError(f"{source}: invalid YAML, cannot add mlci's settings: {exc}") from None
    ours = yaml.load(mlci_text)
    if user is None:
        user = CommentedMap()
    if not isinstance(user, CommentedMap):
        raise UsageError(f"{source}: the top level must be a mapping to add mlci's settings")

    def merge(into: Any, add: Any) -> None:
        for key, value in add.items():
            if key not in into:
                into[key] = value
                into.yaml_add_eol_comment("added by mlci", key)
            elif isinstance(into[key], CommentedMap) and isinstance(value, CommentedMap):
                merge(into[key], value)
            elif isinstance(into[key], CommentedSeq) and isinstance(value, CommentedSeq):
                for item in value:
                    if item not in into[key]:
                        into[key].append(item)
                        into[key].yaml_add_eol_comment("added by mlci", len(into[key]) - 1)

    merge(user, ours)
    buffer = io.StringIO()
    yaml.dump(user, buffer)
    return buffer.getvalue()


def merge_runner_labels(text: str, labels: list[str], *, source: str) -> str:
    """The user's actionlint config ``text`` with the runner ``labels`` it lacks added."""
    from mlci import emit

    body = "self-hosted-runner:\n  labels:\n" + "".join(
        f"    - {emit.yaml_scalar(label)}\n" for label in labels
    )
    return merge_policy(text, body, source=source)


__all__ = ["merge_policy", "merge_runner_labels"]
