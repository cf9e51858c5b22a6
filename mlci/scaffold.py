"""``mlci init``: detect what an existing repository has, write mlci.yaml, render the workflows."""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlci import emit, git, render, update
from mlci.config import CONFIG_FILE, DEFAULT_ACTIONS_REPOSITORY, Config, parse
from mlci.errors import UsageError

TEST_KINDS = ("unit", "data", "model", "integration")


@dataclass(frozen=True)
class Answers:
    """What the user said (flags or prompts); None means "detect or default"."""

    train_command: str | None = None
    model: str | None = None
    backend: str | None = None
    strategy: str | None = None
    python_version: str | None = None
    actions_repository: str | None = None
    actions_ref: str | None = None


@dataclass(frozen=True)
class Detected:
    """What ``init`` found in the repository."""

    requirements: list[str] = field(default_factory=list)
    install_command: str | None = None
    tests: dict[str, str | None] = field(default_factory=dict)
    python_version: str | None = None
    dvc: bool = False
    dockerfile: bool = False
    train_command: str | None = None
    lint_commands: list[str] = field(default_factory=list)
    model: str = "model"
    metrics_file: str = "metrics.json"
    branch: str = "main"


@dataclass(frozen=True)
class Scaffolded:
    written: list[str]
    config: Config
    next_steps: str


# --------------------------------------------------------------------------- detection


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _git(root: Path, *args: str) -> str | None:
    return git.output(*args, cwd=root)


def model_name(text: str) -> str:
    """A GTO-compatible model name from a repository or directory name."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return name or "model"


def _python_from_requires(spec: str) -> str | None:
    match = re.search(r">=?\s*(3\.\d{1,2})", spec)
    return match.group(1) if match else None


def detect(root: Path) -> Detected:
    """Look at the repository and return what a config for it should say."""
    requirements = sorted(
        (p.name for p in root.glob("requirements*.txt") if p.is_file()),
        key=lambda name: (name != "requirements.txt", name),
    )
    pyproject = _load_toml(root / "pyproject.toml")
    install_command = None
    if not requirements and pyproject is not None:
        install_command = "python -m pip install ."

    tests = {
        kind: f"tests/{kind}" if (root / "tests" / kind).is_dir() else None for kind in TEST_KINDS
    }
    if not any(tests.values()) and (root / "tests").is_dir():
        tests["unit"] = "tests"

    python_version = None
    pinned = _read(root / ".python-version")
    if pinned:
        match = re.match(r"\s*(3\.\d{1,2})", pinned)
        python_version = match.group(1) if match else None
    if python_version is None and pyproject is not None:
        requires = pyproject.get("project", {}).get("requires-python")
        if isinstance(requires, str):
            python_version = _python_from_requires(requires)

    dvc_text = _read(root / "dvc.yaml")
    dvc = dvc_text is not None
    metrics_file = "metrics.json"
    train_command = None
    if (root / "train.py").is_file():
        train_command = "python train.py"
    elif (root / "src" / "train.py").is_file():
        train_command = "python src/train.py"
    if dvc_text:
        import yaml

        try:
            dvc_doc = yaml.safe_load(dvc_text) or {}
        except yaml.YAMLError:
            dvc_doc = {}
        stages = dvc_doc.get("stages", {}) if isinstance(dvc_doc, dict) else {}
        if isinstance(stages, dict):
            if train_command is None and "train" in stages:
                train_command = "dvc repro"
            for stage in stages.values():
                metrics = stage.get("metrics") if isinstance(stage, dict) else None
                if isinstance(metrics, list) and metrics:
                    first = metrics[0]
                    metrics_file = (
                        first if isinstance(first, str) else next(iter(first), metrics_file)
                    )
                    break

    lint_commands = []
    ruff_configured = (
        (root / "ruff.toml").is_file()
        or (root / ".ruff.toml").is_file()
        or (pyproject is not None and "ruff" in pyproject.get("tool", {}))
    )
    if ruff_configured:
        lint_commands.append("ruff check .")
    elif (root / ".flake8").is_file() or _setup_cfg_has(root, "flake8"):
        lint_commands.append("flake8")

    remote = _git(root, "config", "--get", "remote.origin.url")
    repo_name = re.sub(r"\.git$", "", remote.rstrip("/").rsplit("/", 1)[-1]) if remote else None
    project_name = pyproject.get("project", {}).get("name") if pyproject else None
    name = model_name(
        repo_name or (project_name if isinstance(project_name, str) else "") or root.resolve().name
    )
    branch = _git(root, "symbolic-ref", "--short", "HEAD") or "main"

    return Detected(
        requirements=requirements,
        install_command=install_command,
        tests=tests,
        python_version=python_version,
        dvc=dvc,
        dockerfile=(root / "Dockerfile").is_file(),
        train_command=train_command,
        lint_commands=lint_commands,
        model=name,
        metrics_file=metrics_file,
        branch=branch if re.match(r"^[A-Za-z0-9._/-]+$", branch) else "main",
    )


def _load_toml(path: Path) -> dict[str, Any] | None:
    text = _read(path)
    if text is None:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return data


def _setup_cfg_has(root: Path, section: str) -> bool:
    text = _read(root / "setup.cfg")
    if text is None:
        return False
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return False
    return parser.has_section(section)


# --------------------------------------------------------------------------- prompts


BACKENDS = ("git", "mlflow")
STRATEGIES = ("direct", "canary", "blue-green")


def ask(
    root: Path,
    answers: Answers,
    *,
    prompt: Callable[..., Any],
    choose: Callable[[str, tuple[str, ...], str], str],
) -> Answers:
    """Fill the unanswered questions interactively, offering the detected values.

    ``prompt(text, default=...)`` asks for free text; ``choose(text, choices, default)``
    asks for one of ``choices`` (and asks again on anything else).
    """
    found = detect(root)
    train_command = answers.train_command or prompt(
        "Command that trains the model", default=found.train_command or "python train.py"
    )
    model = answers.model or prompt("Registered model name", default=found.model)
    backend = answers.backend or choose("Model registry backend", BACKENDS, "git")
    strategy = answers.strategy or choose("Production rollout", STRATEGIES, "direct")
    return replace(
        answers, train_command=train_command, model=model, backend=backend, strategy=strategy
    )


# --------------------------------------------------------------------------- init


def scaffold_text(root: Path, answers: Answers) -> str:
    """The commented mlci.yaml for ``root``; raises UsageError if it cannot be completed."""
    found = detect(root)
    train_command = answers.train_command or found.train_command
    if not train_command:
        raise UsageError(
            "no training command found (no train.py, src/train.py or dvc.yaml train stage); "
            "pass --train-command 'python -m yourpkg.train'"
        )
    repository = answers.actions_repository or DEFAULT_ACTIONS_REPOSITORY
    ref = answers.actions_ref or "v1"
    context = {
        "schema_url": f"https://raw.githubusercontent.com/{repository}/{ref}/mlci.schema.json",
        "branches": [found.branch],
        "actions_repository": repository,
        "actions_ref": ref,
        "python_version": answers.python_version or found.python_version or "3.11",
        "requirements": found.requirements,
        "install_command": found.install_command,
        "lint_commands": found.lint_commands,
        "tests": found.tests,
        "data_pull": "dvc pull" if found.dvc else None,
        "image_enabled": found.dockerfile,
        "train_command": train_command,
        "metrics_file": found.metrics_file,
        "backend": answers.backend or "git",
        "model": answers.model or found.model,
        "strategy": answers.strategy or "direct",
        "new_data_paths": ["data/"] + (["dvc.lock"] if found.dvc else []),
    }
    env = render._environment(render._templates())  # same delimiters and filters
    env.filters.update(
        qn=lambda value: "null" if value is None else emit.yaml_scalar(value),
        flow=lambda values: "[" + ", ".join(emit.yaml_scalar(v) for v in values) + "]",
    )
    return str(env.get_template("mlci.yaml.j2").render(context))


def init(*, root: Path, answers: Answers, force: bool = False) -> Scaffolded:
    """Write mlci.yaml and the generated workflows into ``root``; nothing is half-written."""
    if not root.exists():
        raise UsageError(f"{root}: no such directory")
    if not root.is_dir():
        raise UsageError(f"{root}: is not a directory")
    text = scaffold_text(root, answers)
    try:
        config = parse(text, source=CONFIG_FILE)
    except UsageError as exc:  # an answer the config rejects, e.g. a bad --python
        raise UsageError(f"cannot write mlci.yaml with these answers: {exc}") from None
    rendered = {CONFIG_FILE: text, **render.render(config, config_name=CONFIG_FILE)}
    existing = [rel for rel in rendered if (root / rel).exists()]
    if existing and not force:
        raise UsageError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "run `mlci generate` to re-render from mlci.yaml, or `mlci init --force` to start over"
        )
    render.write_atomic(root / CONFIG_FILE, text)
    # The workflows, and .mlci/ (their last rendering, so later hand edits merge).
    update.generate(config_path=root / CONFIG_FILE, force=True, restore=True)
    return Scaffolded(written=list(rendered), config=config, next_steps=next_steps(config))


def next_steps(config: Config) -> str:
    """What the user does next: secrets, environments, commit, lint."""
    lines = ["Next steps:"]
    secrets = config.secret_names
    step = 1
    if secrets:
        lines.append(
            f"  {step}. Add the repository secret{'s' if len(secrets) > 1 else ''} "
            f"{', '.join(secrets)} (Settings > Secrets and variables > Actions)."
        )
        step += 1
    lines.append(
        f"  {step}. Create the GitHub environments 'staging' and 'production' "
        "(Settings > Environments); give production required reviewers."
    )
    step += 1
    if config.registry.backend == "git":
        lines.append(
            f"  {step}. The git registry records versions and stages as tags (model@v1.2.3, "
            "model#production#1) pushed with the job's token; tag rulesets must allow them."
        )
        step += 1
    lines.append(f"  {step}. Review mlci.yaml, then run `mlci generate` after every change.")
    step += 1
    lines.append(
        f"  {step}. Commit mlci.yaml, .mlci/ and .github/; "
        "`mlci lint` audits the workflows locally."
    )
    return "\n".join(lines)
