"""``mlci lint``: actionlint and ``zizmor --offline`` over workflows and composite actions.

actionlint checks workflow syntax, expressions, job graphs and (with
shellcheck on PATH) the shell in ``run:``; zizmor audits security: template
injection, credential persistence, unpinned actions, excessive permissions.
Both run as real subprocesses; their JSON output becomes one list of
:class:`Finding`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.errors import UsageError

_WORKFLOW_SUFFIXES = (".yml", ".yaml")
_ACTION_NAMES = ("action.yml", "action.yaml")


@dataclass(frozen=True)
class Finding:
    tool: str
    path: str
    line: int | None
    column: int | None
    rule: str
    message: str
    severity: str = "error"

    def render(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.tool}[{self.rule}] ({self.severity}) {self.message}"


@dataclass
class Report:
    workflows: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        files = len(self.workflows) + len(self.actions)
        if not self.findings:
            return f"actionlint and zizmor: no findings in {files} file{'s' if files != 1 else ''}"
        return (
            f"{len(self.findings)} finding{'s' if len(self.findings) != 1 else ''} in {files} files"
        )


def find_tool(name: str) -> str:
    """The path of ``name``: on PATH, or beside this Python (a venv's bin/)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise UsageError(f"{name} not found; install it with: pip install 'mlci[lint]'")


def collect(root: Path, paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split the inputs into workflow files and action files."""
    workflows: list[Path] = []
    actions: list[Path] = []
    if not paths:
        if not root.is_dir():
            raise UsageError(f"{root}: no such directory")
        wf_dir = root / ".github" / "workflows"
        if wf_dir.is_dir():
            workflows = sorted(p for p in wf_dir.iterdir() if p.suffix in _WORKFLOW_SUFFIXES)
        actions_dir = root / "actions"
        if actions_dir.is_dir():
            actions = sorted(p for name in _ACTION_NAMES for p in actions_dir.rglob(name))
        if not workflows and not actions:
            raise UsageError(
                f"{root}: no .github/workflows/*.yml and no actions/*/action.yml to lint; "
                "run `mlci init` first, or name the files"
            )
        return workflows, actions
    for path in paths:
        if path.is_dir():
            sub_workflows, sub_actions = collect(path, [])
            workflows += sub_workflows
            actions += sub_actions
        elif path.name in _ACTION_NAMES:
            actions.append(path)
        elif path.suffix in _WORKFLOW_SUFFIXES:
            workflows.append(path)
        else:
            raise UsageError(f"{path}: not a workflow (.yml/.yaml) or an action.yml")
    return workflows, actions


def _run(argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=300
        )
    except OSError as exc:
        raise UsageError(f"cannot run {argv[0]}: {exc.strerror}") from None


def run_actionlint(workflows: list[Path], *, cwd: Path) -> list[Finding]:
    if not workflows:
        return []
    argv = [find_tool("actionlint"), "-no-color", "-format", "{{json .}}"]
    # actionlint finds .github/actionlint.yaml only from a git root; name it explicitly.
    config_file = cwd / ".github" / "actionlint.yaml"
    if config_file.is_file():
        argv += ["-config-file", str(config_file)]
    proc = _run([*argv, *map(str, workflows)], cwd=cwd)
    if proc.returncode not in (0, 1):
        raise UsageError(f"actionlint failed (exit {proc.returncode}): {proc.stderr.strip()}")
    entries: list[dict[str, Any]] = json.loads(proc.stdout or "[]") or []
    return [
        Finding(
            tool="actionlint",
            path=entry.get("filepath", "?"),
            line=entry.get("line"),
            column=entry.get("column"),
            rule=entry.get("kind", "?"),
            message=entry.get("message", ""),
        )
        for entry in entries
    ]


def unparseable(files: list[Path], *, cwd: Path) -> list[Finding]:
    """A finding for each file that is not YAML (linters skip such files, or stop)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    findings = []
    for path in files:
        try:
            text = (cwd / path).read_text("utf-8")
            YAML(typ="safe", pure=True).load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            findings.append(
                Finding(
                    tool="mlci",
                    path=str(path),
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    rule="syntax",
                    message=f"cannot be parsed as YAML ({exc.problem or exc.context}); "
                    "no auditor can check it",
                )
            )
        except (YAMLError, ValueError, OSError, RecursionError) as exc:
            detail = str(exc).strip().splitlines()
            findings.append(
                Finding(
                    tool="mlci",
                    path=str(path),
                    line=None,
                    column=None,
                    rule="syntax",
                    message=f"cannot be read as YAML ({detail[0][:200] if detail else exc!r}); "
                    "no auditor can check it",
                )
            )
    return findings


_NOT_LOADED = re.compile(
    r"failed to load (?:file://)?(.+?) as (?:workflow|action|composite action)"
)


def run_zizmor(files: list[Path], *, cwd: Path) -> list[Finding]:
    """zizmor over ``files``; a file zizmor cannot load is a finding, never skipped."""
    findings: list[Finding] = []
    files = list(files)
    while files:
        proc = _run(
            [
                find_tool("zizmor"),
                "--offline",
                "--no-progress",
                "--strict-collection",  # fail on a file it cannot load, not "No findings"
                "--format",
                "json-v1",
                *map(str, files),
            ],
            cwd=cwd,
        )
        skipped = _NOT_LOADED.search(proc.stderr)
        if proc.returncode == 1 and skipped and Path(skipped.group(1)) in files:
            path = Path(skipped.group(1))
            files.remove(path)
            findings.append(
                Finding(
                    tool="zizmor",
                    path=str(path),
                    line=None,
                    column=None,
                    rule="collection",
                    message="zizmor cannot load this file as a workflow or action, "
                    "so it was not audited",
                )
            )
            continue
        return findings + _zizmor_findings(proc)
    return findings


def _zizmor_findings(proc: subprocess.CompletedProcess[str]) -> list[Finding]:
    # zizmor exits 0 without findings, 10-14 with findings (by severity), else on errors.
    if proc.returncode != 0 and not 10 <= proc.returncode <= 14:
        lines = [
            line.strip()
            for line in proc.stderr.splitlines()
            if line.strip() and not line.lstrip().startswith(("INFO", "WARN"))
        ]
        raise UsageError(
            f"zizmor failed (exit {proc.returncode}): {lines[0][:300] if lines else 'no output'}"
        )
    findings = []
    for entry in json.loads(proc.stdout or "[]"):
        if entry.get("ignored"):
            continue
        primary = next(
            (
                loc
                for loc in entry.get("locations", [])
                if loc.get("symbolic", {}).get("kind") == "Primary"
            ),
            (entry.get("locations") or [{}])[0],
        )
        key: dict[str, dict[str, str]] = primary.get("symbolic", {}).get("key", {})
        path = next(iter(key.values())).get("verbatim_path", "?") if key else "?"
        point = primary.get("concrete", {}).get("location", {}).get("start_point", {})
        annotation = primary.get("symbolic", {}).get("annotation", "")
        findings.append(
            Finding(
                tool="zizmor",
                path=path,
                line=point["row"] + 1 if "row" in point else None,
                column=point["column"] + 1 if "column" in point else None,
                rule=entry.get("ident", "?"),
                message=f"{entry.get('desc', '')}: {annotation}".rstrip(": "),
                severity=entry.get("determinations", {}).get("severity", "?").lower(),
            )
        )
    return findings


def lint(*, root: Path, paths: list[Path]) -> Report:
    """Lint ``paths`` (or the workflows and actions under ``root``)."""
    workflows, actions = collect(root, paths)
    cwd = (root if root.is_dir() else Path(".")).resolve()

    def relative(path: Path) -> Path:
        return Path(os.path.relpath(path.resolve(), cwd))

    rel_workflows = [relative(p) for p in workflows]
    rel_actions = [relative(p) for p in actions]
    broken = unparseable(rel_workflows + rel_actions, cwd=cwd)
    skip = {Path(finding.path) for finding in broken}
    findings = (
        broken
        + run_actionlint([p for p in rel_workflows if p not in skip], cwd=cwd)
        + run_zizmor([p for p in rel_workflows + rel_actions if p not in skip], cwd=cwd)
    )
    return Report(
        workflows=[str(p) for p in workflows],
        actions=[str(p) for p in actions],
        findings=findings,
    )
