"""What ``mlci doctor`` and ``mlci init`` share: would each generated step run here?

Checks the preconditions of the steps mlci.yaml describes, from files only (it
runs nothing): files named in mlci.yaml exist, test folders hold tests, the
train script exists and gets the arguments it requires, the metrics file (and,
with the mlflow backend, the model URI file) is one the training writes at that
path, the thresholds name metrics a committed metrics file has, the tools the
lint, test, train and data steps call are installed by the install step, the
scripts the commands run are in the repository, the gate has a threshold.
``mlci doctor`` runs :func:`diagnose` on ``mlci.yaml``, ``mlci init`` on what it
wrote; a "problem" fails (exit 1), a "warning" does not, a "note" is what doctor
cannot see (a secret) and the user has to do.

Where a script puts a file is read as init reads it (:mod:`mlci.detect`:
``train_script``, ``paths_in_script``), so the two never disagree.
"""

from __future__ import annotations

import ast
import difflib
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from mlci.commands import Result
from mlci.config import Config
from mlci.detect import (
    TrainScript,
    dvc_paths,
    holds_tests,
    load_yaml,
    paths_in_script,
    read,
    required_arguments,
    train_script,
)

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
    level: str  # "ok" | "note" (what doctor cannot see: do it) | "warning" | "problem"
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

    def notes(self) -> list[str]:
        return [c.message for c in self.checks if c.level == "note"]

    def render_text(self) -> str:
        marks = {"ok": "ok     ", "note": "note   ", "warning": "warning", "problem": "PROBLEM"}
        lines = [f"{marks[c.level]} {c.message}" for c in self.checks]
        problems, warnings = len(self.problems), len(self.cautions)
        lines.append(
            f"doctor: {problems} problem{'s' if problems != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        icons = {"ok": "✅", "note": "📝", "warning": "⚠️", "problem": "❌"}
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
    project = False
    for words in _words(command):
        for index, word in enumerate(words[:-1]):
            if word in ("-r", "--requirement"):
                parts.append(read(root / words[index + 1]) or "")
        project = project or _installs_the_project(words)
    if project:  # the project's own metadata, extras included (a superset: fine for "is it")
        parts += [read(root / name) or "" for name in ("pyproject.toml", "setup.cfg", "setup.py")]
    return "\n".join(parts).lower()


def _installs_the_project(words: list[str]) -> bool:
    """Does this simple command install the repository's own package (with its dependencies)?

    ``uv sync``, ``poetry install``, ``pip install --group ...``, and a pip install of
    ``.``, ``./``, ``.[extras]``, ``-e .`` or ``-e.[extras]`` however it is quoted (``shlex``
    already took the quotes off: ``'.[test]'`` is ``.[test]``).
    """
    if words[:2] in (["uv", "sync"], ["poetry", "install"]):
        return True
    if "install" not in words:
        return False
    at = words.index("install")
    if not any(w in ("pip", "pip3") or w.endswith("/pip") for w in words[:at]):
        return False
    for arg in words[at + 1 :]:
        target = re.sub(r"^(-e|--editable=)", "", arg)  # -e.[test], --editable=.
        if arg.startswith("--group") or re.match(r"^\.(/|\[|$)", target):
            return True
    return False


def _installs(text: str, tool: str) -> bool:
    pattern = rf"(^|[\s\"'\[,(=]){re.escape(tool)}($|[\s\"'\]\[<>=~!,;)])"
    return re.search(pattern, text, re.M) is not None


def _script_of(root: Path, words: list[str]) -> tuple[str, list[str]] | None:
    """The Python file a simple command runs, relative to ``root``, and its arguments.

    What :func:`mlci.detect.train_script` reads (``python x.py``, ``python -m pkg.train`` as
    src/pkg/train.py, pkg/train.py or its ``__main__.py``, ``uv run`` in front, a ``make``
    target's recipe), and a ``python x.py`` whose file is missing, to be reported.
    """
    found = train_script(root, shlex.join(words))
    if found is not None:
        return _relative(root, found.path), found.argv
    if re.fullmatch(r"python(3(\.\d+)?)?", words[0]) and words[1:2] and words[1].endswith(".py"):
        return words[1], words[2:]
    return None


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _train_scripts(root: Path, config: Config) -> list[TrainScript]:
    """The repository's Python files the training runs, with their arguments: train.command's
    (a make target's recipe too), and with ``dvc repro`` those of dvc.yaml's stages."""
    commands = [config.train.command]
    if config.train.command.startswith("dvc "):
        stages = (load_yaml(root / "dvc.yaml") or {}).get("stages")
        for stage in (stages or {}).values() if isinstance(stages, dict) else []:
            cmd = stage.get("cmd") if isinstance(stage, dict) else None
            commands += [cmd] if isinstance(cmd, str) else cmd if isinstance(cmd, list) else []
    scripts: dict[Path, TrainScript] = {}
    for command in commands:
        for words in _words(str(command)):
            found = train_script(root, shlex.join(words))
            if found is not None:
                scripts.setdefault(found.path, found)
    return list(scripts.values())


def _dvc_declares(root: Path, path: str) -> bool:
    """dvc.yaml names ``path`` as a stage's out, metrics or plots, or as a top-level metric."""
    doc = load_yaml(root / "dvc.yaml")
    if not isinstance(doc, dict):
        return False
    declared = dvc_paths(doc.get("metrics"))
    stages = doc.get("stages")
    for stage in stages.values() if isinstance(stages, dict) else []:
        if isinstance(stage, dict):
            for key in ("outs", "metrics", "plots"):
                declared += dvc_paths(stage.get(key))
    return path in {posixpath.normpath(p) for p in declared}


@dataclass(frozen=True)
class _Written:
    """How the training produces a file: ``how`` it writes it at that path (None: not seen),
    other paths the scripts put a file of that name at, uses whose folder is computed."""

    how: str | None
    elsewhere: tuple[str, ...]
    computed: tuple[str, ...]
    scripts: tuple[str, ...]


def _written_check(
    key: str, path: str, written: _Written, *, elsewhere: str, computed: str
) -> Check | None:
    """What doctor says of a file the training must write (``key`` names it in mlci.yaml)
    when the scripts show how it is written: at ``path`` (ok), at other paths, or into a
    folder computed at run time (warnings ending in what then fails). None otherwise."""
    if written.how is not None:
        return Check("ok", f"{key}: {path} is written by the training ({written.how})")
    if written.elsewhere:
        return Check(
            "warning",
            f"{key}: {path}, but the training seems to write {', '.join(written.elsewhere)}: "
            f"set {key} to the path it writes, or {elsewhere}",
        )
    if written.computed:
        return Check(
            "warning",
            f"{key}: the training writes {Path(path).name} into a folder it computes when it "
            f"runs ({'; '.join(written.computed)}): make sure the file lands at {path}, "
            f"{computed}",
        )
    return None


def _names_env(script: Path, variable: str) -> bool:
    """``script`` reads the environment variable ``variable`` (a string literal of its name)."""
    try:
        tree = ast.parse(read(script) or "")
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Constant) and node.value == variable for node in ast.walk(tree))


def _written(root: Path, config: Config, path: str, *, env: str) -> _Written:
    """Whether the training clearly writes ``path``: a train script puts it there (read by
    :func:`mlci.detect.paths_in_script`, as init reads the metrics file) or reads the path
    from ``$env`` (set on the train step), train.command names it, or dvc.yaml declares it."""
    path = posixpath.normpath(path)
    runs = _train_scripts(root, config)
    names = [_relative(root, run.path) for run in runs]
    elsewhere: list[str] = []
    computed: list[str] = []
    how: str | None = None
    for run, name in zip(runs, names, strict=True):
        found = paths_in_script(run, posixpath.basename(path))
        if found is None:
            continue
        if found.path == path:
            how = how or f"{name} writes it"
        elif found.path is not None:
            elsewhere.append(f"{found.path} ({name})")
        elif found.unknown is not None and found.unknown.startswith("line "):
            computed.append(f"{name} {found.unknown}")
        elif found.unknown is not None:  # several paths
            if path in found.unknown.split(", "):
                how = how or f"{name} writes it"
            else:
                elsewhere.append(f"{found.unknown} ({name})")
    for run, name in zip(runs, names, strict=True):
        if how is None and _names_env(run.path, env):
            how = f"{name} writes the file ${env} names"
    words = [w.split("=", 1)[-1] for ws in _words(config.train.command) for w in ws]
    if how is None and path in {posixpath.normpath(w) for w in words if w}:
        how = "train.command names it"
    if how is None and _dvc_declares(root, path):
        how = "dvc.yaml declares it"
    return _Written(how, tuple(elsewhere), tuple(computed), tuple(names))


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

    def note(message: str) -> None:
        checks.append(Check("note", message))

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
        found = _script_of(root, words)
        if found is None:
            continue
        script, arguments = found
        if not (root / script).is_file():
            problem(f"train.command: {script} does not exist")
            continue
        needed = required_arguments(root / script)
        if needed and not arguments:
            problem(
                f"train.command: {script} needs the arguments {', '.join(needed)}; add them to "
                + (
                    f"the recipe of {shlex.join(words)} in the Makefile"
                    if words[0] == "make"
                    else "train.command"
                )
            )
        else:
            ok(f"train.command: {script} exists")
    if config.train.command.startswith("dvc ") and not (root / "dvc.yaml").is_file():
        problem("train.command runs dvc but there is no dvc.yaml")

    # metrics: written by the training at the path the gate reads
    metrics = config.train.metrics_file
    written = _written(root, config, metrics, env="MLCI_METRICS_FILE")
    seen_written = _written_check(
        "train.metrics_file", metrics, written,
        elsewhere="the gate fails (or reads a stale committed file)",
        computed="or set train.metrics_file to where it does, or the gate fails",
    )  # fmt: skip
    if seen_written is not None:
        checks.append(seen_written)
    elif (root / metrics).is_file():
        ok(f"train.metrics_file: {metrics} is in the repository")
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

    # mlflow backend: registration reads the model's URI the training wrote, and the secret
    if config.registry.backend == "mlflow":
        uri_file = config.train.model_uri_file
        written = _written(root, config, uri_file, env="MLCI_MODEL_URI_FILE")
        seen_written = _written_check(
            "train.model_uri_file", uri_file, written,
            elsewhere="registration fails", computed="or registration fails",
        )  # fmt: skip
        if seen_written is not None:
            checks.append(seen_written)
        else:
            (problem if written.scripts else warn)(
                f"train.model_uri_file: registry.backend mlflow registers the model whose URI "
                f"the training writes to {uri_file} (register-model --source @{uri_file}), and "
                + (
                    f"{', '.join(written.scripts)} never names {uri_file}"
                    if written.scripts
                    else "no train script doctor can read names it"
                )
                + f': after logging the model, write its URI there, e.g. Path("{uri_file}")'
                ".write_text(model_info.model_uri), or set train.model_uri_file"
            )
        if "mlflow" not in seen:
            if _installs(installed, "mlflow") or _installs(installed, "mlflow-skinny"):
                ok("registry.backend mlflow: mlflow is installed by the install step")
            else:
                warn(
                    "registry.backend mlflow: the training logs its model with mlflow, but the "
                    "install step does not appear to install mlflow; add mlflow (or "
                    "mlflow-skinny) to a requirements file (install.requirements) or to "
                    "install.command"
                )
        note(
            f"registry.backend mlflow: add the repository secret "
            f"{config.registry.tracking_uri_secret} (registry.tracking_uri_secret) holding your "
            "tracking server's URI (Settings > Secrets and variables > Actions); doctor cannot "
            "see secrets"
        )

    # DVC: a pull needs a remote
    if config.data.pull and "dvc" in config.data.pull:
        if "remote" not in (read(root / ".dvc" / "config") or ""):
            problem("data.pull runs dvc pull, but .dvc/config names no remote")
        else:
            ok("data.pull: .dvc/config names a remote")

    # the scripts the train, data and deploy commands run are in the repository
    steps: list[tuple[str, str | None]] = [("train.command", config.train.command)]
    steps += [("data.pull", config.data.pull), ("data.validate", config.data.validate_command)]
    steps += [("lint.commands", command) for command in config.lint.commands]
    for key, command in [(k, c) for k, c in steps if c] + _deploy_commands(config):
        for words in _words(command):
            if words[0] == "cd":
                break  # later paths are relative to another folder
            program = _program_of(words)
            if program is None:
                continue
            path, direct = program
            if key == "train.command" and not direct and path.endswith(".py"):
                continue  # the train script is checked above, with its arguments
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

    strategy = config.deploy.production.strategy
    if strategy != "direct":
        key = "canary" if strategy == "canary" else "blue_green"
        router = getattr(config.deploy.production, key).router
        if router is not None and router.type == "kubernetes" and router.manifests:
            if not (root / router.manifests).is_dir():
                problem(
                    f"deploy.production.{key}.router.manifests: {router.manifests} is not a "
                    "folder in the repository; commit your manifests there, or remove the key "
                    "to use the manifests mlci renders"
                )
            else:
                ok(f"deploy.production.{key}.router.manifests: {router.manifests} exists")

    if config.image.enabled and not (root / config.image.dockerfile).is_file():
        problem(f"image.dockerfile: {config.image.dockerfile} does not exist")

    # what generate notes about the config (a rollout without its router or Prometheus, a
    # setting of a strategy not chosen): notes, as there, so init (which prints them itself
    # and leaves doctor's notes out) does not fail on a config it scaffolds this way
    from mlci import config as config_module
    from mlci.render import notices

    for message in [*notices(config), *config_module.notes(config)]:
        note(message)
    # what generate refuses (the workflows would fail on every run), should doctor see it
    for _, message in config_module.workflow_problems(config):
        problem(f"{message} (mlci generate refuses this)")
    return DoctorResult(checks=tuple(checks))
