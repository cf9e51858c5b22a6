"""What ``mlci doctor`` and ``mlci init`` share: would each generated step run here?

Checks the preconditions of the steps mlci.yaml describes, from files only (it
runs nothing): files named in mlci.yaml exist, test folders hold tests, the
train script exists and gets the arguments it requires, the metrics file is one
the training plausibly writes, the tools the lint, test, train and data steps
call are installed by the install step, the gate has a threshold. ``mlci doctor``
runs :func:`diagnose` on ``mlci.yaml``, ``mlci init`` on what it wrote; a
"problem" fails (exit 1), a "warning" does not.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from mlci.commands import Result
from mlci.config import Config
from mlci.detect import holds_tests, read, required_arguments

# The first word of a command -> the distribution that provides it.
_TOOLS = {
    "pytest": "pytest",
    "ruff": "ruff",
    "flake8": "flake8",
    "dvc": "dvc",
    "pre-commit": "pre-commit",
    "mlflow": "mlflow",
    "black": "black",
    "mypy": "mypy",
}


@dataclass(frozen=True)
class Check:
    level: str  # "ok" | "warning" | "problem"
    message: str


@dataclass(frozen=True)
class DoctorResult(Result):
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(c.level == "problem" for c in self.checks)

    @property
    def problems(self) -> list[str]:
        return [c.message for c in self.checks if c.level == "problem"]

    @property
    def cautions(self) -> list[str]:
        return [c.message for c in self.checks if c.level == "warning"]

    def render_text(self) -> str:
        marks = {"ok": "ok     ", "warning": "warning", "problem": "PROBLEM"}
        lines = [f"{marks[c.level]} {c.message}" for c in self.checks]
        problems, warnings = len(self.problems), len(self.cautions)
        lines.append(
            f"doctor: {problems} problem{'s' if problems != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        icons = {"ok": "✅", "warning": "⚠️", "problem": "❌"}
        return "### mlci doctor\n\n" + "".join(
            f"- {icons[c.level]} {c.message}\n" for c in self.checks
        )

    def warnings(self) -> list[str]:
        return self.cautions

    def failures(self) -> list[str]:
        return self.problems


def _words(command: str) -> list[list[str]]:
    """The simple commands of a shell line (split at &&, ||, ;, |), each as words."""
    out = []
    for part in re.split(r"&&|\|\||;|\|", command):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]  # VAR=value command
        if words:
            out.append(words)
    return out


def _tool_of(words: list[str]) -> str | None:
    """The distribution a command needs: ``python -m pytest`` -> pytest, ``dvc repro`` -> dvc."""
    if words[0] in ("python", "python3") and len(words) > 2 and words[1] == "-m":
        return _TOOLS.get(words[2])
    return _TOOLS.get(words[0])


def _installed_text(root: Path, config: Config) -> str:
    """Everything the install step installs, as text to search for distribution names."""
    command = config.install.command
    if not command:
        return "\n".join(read(root / f) or "" for f in config.install.requirements).lower()
    parts = [command]
    for words in _words(command):
        for index, word in enumerate(words[:-1]):
            if word in ("-r", "--requirement"):
                parts.append(read(root / words[index + 1]) or "")
    if re.search(r"uv sync|poetry install|pip install .*(\s\.|\s-e|--group)", command):
        parts.append(read(root / "pyproject.toml") or "")
    return "\n".join(parts).lower()


def _installs(text: str, tool: str) -> bool:
    pattern = rf"(^|[\s\"'\[,(=]){re.escape(tool)}($|[\s\"'\]\[<>=~!,;)])"
    return re.search(pattern, text, re.M) is not None


def _script_of(words: list[str]) -> str | None:
    if words[0] in ("python", "python3") and len(words) > 1 and words[1].endswith(".py"):
        return words[1]
    return None


def _deploy_commands(config: Config) -> list[tuple[str, str]]:
    """The deploy commands the pipeline and rollback.yml run, with their mlci.yaml keys."""
    deploy = config.deploy
    commands = [
        ("deploy.staging.command", deploy.staging.command),
        ("deploy.production.command", deploy.production.command),
    ]
    strategy = deploy.production.strategy
    if strategy != "direct":
        key = "canary" if strategy == "canary" else "blue_green"
        rollout = deploy.production.canary if strategy == "canary" else deploy.production.blue_green
        if strategy == "blue-green":
            commands.append(
                ("deploy.production.blue_green.verify", deploy.production.blue_green.verify)
            )
        router = rollout.router
        if router is not None and router.type == "command":
            for name in ("set_weight", "deploy", "promote", "rollback"):
                commands.append((f"deploy.production.{key}.router.{name}", getattr(router, name)))
    return [(key, command) for key, command in commands if command]


_INTERPRETERS = ("bash", "sh", "python", "python3")


def _program_of(words: list[str]) -> tuple[str, bool] | None:
    """The repository file a command runs and whether it runs it directly (needs +x).

    ``./deploy.sh x`` and ``scripts/deploy.sh`` -> (path, True); ``bash deploy.sh`` and
    ``python tools/deploy.py`` -> (path, False); anything else (a program on PATH,
    ``python -m``, an absolute path, a variable) -> None.
    """
    first = words[0]
    if first in _INTERPRETERS:
        rest = words[1:]
        while rest and rest[0].startswith("-") and rest[0] not in ("-c", "-m"):
            rest = rest[1:]  # bash -e, python -u
        if not rest or rest[0].startswith("-"):
            return None  # bash -c '...', python -m pkg, a bare interpreter
        path, direct = rest[0], False
    elif "/" in first:
        path, direct = first, True
    else:
        return None
    if path.startswith(("/", "~")) or re.search(r"[$`{*?\[]", path):
        return None
    return path, direct


def _thresholds_missing_from(path: Path, config: Config) -> list[tuple[str, list[str]]] | None:
    """The thresholds' metrics a committed metrics file lacks, each with the file's metric
    names (the closest first); None when there is no such file or the gate cannot read it.

    The file is read as the gate reads the candidate's (nested keys become ``test.roc_auc``).
    """
    from mlci.errors import MlciError
    from mlci.gate.rule import thresholds_from_config
    from mlci.metrics import load_metrics

    if not path.is_file():
        return None
    try:
        metrics = load_metrics(path)
    except MlciError:
        return None  # not a file the gate reads as it stands; the training rewrites it
    missing = []
    for threshold in thresholds_from_config(config.validation):
        if threshold.metric in metrics:
            continue
        leaf = threshold.metric.rsplit(".", 1)[-1]
        same_leaf = sorted(
            (name for name in metrics if name.rsplit(".", 1)[-1] == leaf),
            key=lambda name: (-difflib.SequenceMatcher(None, threshold.metric, name).ratio(), name),
        )
        close = difflib.get_close_matches(threshold.metric, list(metrics), n=len(metrics))
        ordered = list(dict.fromkeys([*same_leaf, *close, *sorted(metrics)]))
        missing.append((threshold.metric, ordered))
    return missing


def _some(names: list[str], shown: int = 6) -> str:
    if not names:
        return "no metrics"
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def diagnose(*, config: Config, root: Path) -> DoctorResult:
    """Check the preconditions of every step ``config`` generates, in ``root``."""
    checks: list[Check] = []

    def ok(message: str) -> None:
        checks.append(Check("ok", message))

    def warn(message: str) -> None:
        checks.append(Check("warning", message))

    def problem(message: str) -> None:
        checks.append(Check("problem", message))

    # install: the files it names
    for name in config.install.requirements:
        if (root / name).is_file():
            ok(f"install.requirements: {name} exists")
        else:
            problem(f"install.requirements: {name} does not exist; fix the path or remove it")
    if not config.install.command and not config.install.requirements:
        warn("install: nothing is installed (no requirements, no command); is that right?")

    # tests: each folder holds tests
    for kind in ("unit", "data", "model", "integration"):
        folder = getattr(config.tests, kind)
        if folder is None:
            continue
        if holds_tests(root / folder):
            ok(f"tests.{kind}: {folder} holds tests")
        elif (root / folder).is_dir():
            problem(
                f"tests.{kind}: {folder} holds no test_*.py or *_test.py (pytest would exit 5, "
                f"'no tests ran'); set tests.{kind} to the folder with the tests, or null"
            )
        elif kind == "integration" and config.deploy.staging.endpoint is None:
            pass  # not run without a staging deployment anyway
        else:
            problem(f"tests.{kind}: {folder} does not exist; set tests.{kind}: null to skip it")

    # train: the script exists and gets its required arguments
    for words in _words(config.train.command):
        script = _script_of(words)
        if script is None:
            continue
        if not (root / script).is_file():
            problem(f"train.command: {script} does not exist")
            continue
        needed = required_arguments(root / script)
        if needed and len(words) == 2:
            problem(
                f"train.command: {script} needs the arguments {', '.join(needed)}; "
                "add them to train.command"
            )
        else:
            ok(f"train.command: {script} exists")
    if config.train.command.startswith("dvc ") and not (root / "dvc.yaml").is_file():
        problem("train.command runs dvc but there is no dvc.yaml")

    # metrics: plausibly written by the training
    metrics = config.train.metrics_file
    sources = [read(root / "dvc.yaml") or ""]
    for words in _words(config.train.command):
        script = _script_of(words)
        if script:
            sources.append(read(root / script) or "")
    sources.append(config.train.command)
    if (root / metrics).is_file() or any(metrics in text for text in sources):
        ok(f"train.metrics_file: {metrics} is written by the training")
    elif any(Path(metrics).name in text for text in sources):
        ok(f"train.metrics_file: {metrics} is named by the training")
    else:
        warn(
            f"train.metrics_file: {metrics} is not in the repository, not declared in dvc.yaml "
            "and not named by the train script: make sure the training writes it, or the gate "
            "fails"
        )

    # the gate
    missing = _thresholds_missing_from(root / metrics, config)
    for metric, names in missing or []:
        problem(
            f"validation.thresholds: {metric} is not in {metrics} (the metrics file in the "
            f"repository has {_some(names)}), and the gate fails on a missing metric: name the "
            f"metric as the file does, or make the training write {metric}"
        )
    if missing:
        pass  # the problems above name the thresholds
    elif config.validation.thresholds:
        ok(f"validation.thresholds: {', '.join(config.validation.thresholds)}")
    else:
        warn(
            "validation.thresholds is empty: the gate passes every model that trains (it warns "
            "on every run); add e.g. accuracy: {min: 0.8}"
        )

    # tools the steps call are installed by the install step
    installed = _installed_text(root, config)
    commands = [("lint.commands", c) for c in config.lint.commands] + [
        ("train.command", config.train.command)
    ]
    if any(getattr(config.tests, k) for k in ("unit", "data", "model", "integration")):
        commands.append(("tests.command", config.tests.command))
    if config.data.pull:
        commands.append(("data.pull", config.data.pull))
    if config.data.validate_command:
        commands.append(("data.validate", config.data.validate_command))
    seen: set[str] = set()
    for key, command in commands:
        for words in _words(command):
            tool = _tool_of(words)
            if tool is None or tool in seen:
                continue
            seen.add(tool)
            if _installs(installed, tool):
                ok(f"{key}: {tool} is installed by the install step")
            else:
                problem(
                    f"{key} runs {tool}, which the install step does not install; add {tool} "
                    "to a requirements file (install.requirements) or to install.command"
                )

    # DVC: a pull needs a remote
    if config.data.pull and "dvc" in config.data.pull:
        if "remote" not in (read(root / ".dvc" / "config") or ""):
            problem("data.pull runs dvc pull, but .dvc/config names no remote")
        else:
            ok("data.pull: .dvc/config names a remote")

    # deploy: the scripts the deploy commands run are in the repository
    for key, command in _deploy_commands(config):
        for words in _words(command):
            if words[0] == "cd":
                break  # later paths are relative to another folder
            found = _program_of(words)
            if found is None:
                continue
            path, direct = found
            file = root / path
            if not file.is_file():
                problem(
                    f"{key}: {path} does not exist, so the step fails ('No such file or "
                    f"directory'); commit {path} or fix the command"
                )
            elif direct and not os.access(file, os.X_OK):
                warn(
                    f"{key}: {path} is not executable, so the step fails ('Permission "
                    f"denied'); run chmod +x {path.removeprefix('./')} and commit it, or run it "
                    f"as bash {path}"
                )
            else:
                ok(f"{key}: {path} exists")

    if config.image.enabled and not (root / config.image.dockerfile).is_file():
        problem(f"image.dockerfile: {config.image.dockerfile} does not exist")
    return DoctorResult(checks=tuple(checks))
