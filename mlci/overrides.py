"""``overrides:`` in mlci.yaml: patch generated jobs and steps by id, not by position.

::

    overrides:
      ml-pipeline:                  # the workflow: ml-pipeline or continuous-training
        train:                      # a job id
          runs-on: [self-hosted, gpu]   # merge patch on the job (RFC 7396: null deletes)
          steps:                    # step id -> merge patch
            model-tests: null       # delete the step
            train:
              env: {EXTRA: "1"}
            notify:                 # a new id with after:/before: inserts a step
              after: train
              name: Notify
              run: ./notify.sh

Every generated job and step has a stable ``id``; an upgrade of mlci that moves
a step does not move a patch onto another one. An unknown id is a config error
that names the valid ids. Patches apply to the rendered YAML through a
round trip of ruamel.yaml, so comments and layout survive and the output is
deterministic. Config strings holding ``${{`` never reach ``run:`` (see
:func:`mlci.config.parse`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from mlci import emit
from mlci.errors import ConfigError

WORKFLOW_FILES = {
    "ml-pipeline": ".github/workflows/ml-pipeline.yml",
    "continuous-training": ".github/workflows/continuous-training.yml",
}
WORKFLOW_NAMES = {path: name for name, path in WORKFLOW_FILES.items()}

_STEP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 2**30  # never fold a long scalar
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _string(value: str) -> Any:
    """A string as the node whose style mlci.emit chose: plain, literal block or quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if emit.yaml_scalar(value) == value:
        return value
    # ruamel writes no indentation indicator before a first tab, which libyaml and go-yaml
    # (actionlint) refuse: such text stays quoted.
    if emit.yaml_run(value, 10).startswith("|") and not value.startswith("\t"):
        return LiteralScalarString(value)
    return DoubleQuotedScalarString(value)


def _requote(node: Any) -> None:
    """Literal blocks of the rendered text that ruamel would write back unreadably, quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    items = node.items() if isinstance(node, Mapping) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, LiteralScalarString) and value.startswith("\t"):
            node[key] = DoubleQuotedScalarString(str(value))
        elif isinstance(value, Mapping | list):
            _requote(value)


def _node(value: Any) -> Any:
    """Plain config values as ruamel nodes, each string in the style mlci.emit chooses."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[_string(key) if isinstance(key, str) else key] = _node(item)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_node(item) for item in value)
        if all(isinstance(item, str | int | float) and "\n" not in str(item) for item in value):
            seq.fa.set_flow_style()  # [a, b], as the templates write short lists
        return seq
    if isinstance(value, str):
        return _string(value)
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch, in place where ``target`` is a mapping."""
    if not isinstance(patch, Mapping):
        return _node(patch)
    if not isinstance(target, Mapping):
        target = _node({})
    for key, value in patch.items():
        if value is None:
            if key in target:
                del target[key]
        elif key in target:
            target[key] = merge_patch(target[key], value)
        else:
            target[_string(key) if isinstance(key, str) else key] = merge_patch(None, value)
    return target


class OverrideError(ConfigError):
    """An override that does not fit the rendered workflow; ``loc`` is its key path."""

    def __init__(self, *, source: str, loc: tuple[str, ...], message: str) -> None:
        self.loc = loc
        self.detail = f"{'.'.join(loc)}: {message}"
        super().__init__(f"{source}: {self.detail}")


class _Patcher:
    def __init__(self, *, source: str, workflow: str) -> None:
        self.source = source
        self.workflow = workflow

    def fail(self, where: str, message: str) -> ConfigError:
        loc = ("overrides", self.workflow, *where.split("."))
        return OverrideError(source=self.source, loc=loc, message=message)

    def jobs(self, jobs: Any, patches: Mapping[str, Any]) -> None:
        for job_id, patch in patches.items():
            if job_id not in jobs:
                raise self.fail(
                    job_id,
                    f"no job {job_id!r} in {self.workflow}.yml; valid job ids: {', '.join(jobs)}",
                )
            if patch is None:
                del jobs[job_id]
                continue
            if not isinstance(patch, Mapping):
                raise self.fail(
                    job_id, "must be a mapping of job keys (runs-on:, steps:, ...) or null"
                )
            job = jobs[job_id]
            for key, value in patch.items():
                if key == "steps":
                    self.steps(job_id, job, value)
                elif value is None:
                    if key in job:
                        del job[key]
                elif key in job:
                    job[key] = merge_patch(job[key], value)
                else:
                    job[_string(key)] = merge_patch(None, value)

    def steps(self, job_id: str, job: Any, patches: Any) -> None:
        where = f"{job_id}.steps"
        if "steps" not in job:
            raise self.fail(where, f"job {job_id} calls a workflow and has no steps")
        if not isinstance(patches, Mapping):
            raise self.fail(
                where,
                "must map step ids to patches (null deletes a step; after: or before: adds one)",
            )
        steps = job["steps"]

        def ids() -> list[str]:
            return [str(step.get("id")) for step in steps]

        def position(step_id: str) -> int | None:
            found = ids()
            return found.index(step_id) if step_id in found else None

        def unknown(step_id: str, hint: str = "") -> ConfigError:
            return self.fail(
                f"{where}.{step_id}",
                f"no step {step_id!r} in job {job_id}; valid step ids: {', '.join(ids())}{hint}",
            )

        for step_id, patch in patches.items():
            here = f"{where}.{step_id}"
            index = position(step_id)
            if patch is None:
                if index is None:
                    raise unknown(step_id)
                del steps[index]
                continue
            if not isinstance(patch, Mapping):
                raise self.fail(here, "must be a mapping of step keys, or null to delete it")
            patch = dict(patch)
            after, before = patch.pop("after", None), patch.pop("before", None)
            if after is not None and before is not None:
                raise self.fail(here, "give after: or before:, not both")
            if "id" in patch:
                raise self.fail(here, "the key is the step's id; remove id:")
            anchor = after if after is not None else before
            if index is None:
                if anchor is None:
                    raise unknown(step_id, "; to add a step, give it after: <id> or before: <id>")
                if not _STEP_ID.match(step_id):
                    raise self.fail(here, "a step id is letters, digits, - and _")
                if "run" not in patch and "uses" not in patch:
                    raise self.fail(here, "a new step needs run: or uses:")
                step = _node({"id": step_id})
                merge_patch(step, patch)
            else:
                step = steps[index]
                merge_patch(step, patch)
                if anchor is not None:
                    del steps[index]
            if anchor is not None:
                target = position(str(anchor))
                if target is None:
                    raise self.fail(
                        f"{here}.{'after' if after is not None else 'before'}",
                        f"no step {anchor!r} in job {job_id}; valid step ids: {', '.join(ids())}",
                    )
                steps.insert(target + (1 if after is not None else 0), step)


def runner_labels(overrides: Mapping[Any, Any]) -> list[str]:
    """Every runner label a ``runs-on:`` in ``overrides`` names."""
    labels: list[str] = []
    for jobs in overrides.values():
        for patch in (jobs or {}).values():
            value = patch.get("runs-on") if isinstance(patch, Mapping) else None
            if isinstance(value, Mapping):  # {group: ..., labels: [...]}
                value = value.get("labels")
            if isinstance(value, str) and "${{" in value:
                continue
            if isinstance(value, str):
                labels.append(value)
            elif isinstance(value, list):
                labels.extend(str(label) for label in value if isinstance(label, str))
    return labels


def apply(body: str, patches: Mapping[str, Any], *, workflow: str, source: str) -> str:
    """The rendered workflow ``body`` with ``patches`` applied (jobs and steps by id)."""
    if not patches:
        return body
    yaml = _yaml()
    document = yaml.load(body)
    _requote(document)
    _Patcher(source=source, workflow=workflow).jobs(document["jobs"], patches)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()
