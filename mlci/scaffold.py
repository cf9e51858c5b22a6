"""``mlci init``: detect what an existing repository has, write mlci.yaml, render the workflows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlci import emit, files, render, update
from mlci.config import CONFIG_FILE, DEFAULT_ACTIONS_REPOSITORY, Config, parse
from mlci.detect import Detected, Placeholder, detect, model_name
from mlci.errors import UsageError
from mlci.state import read_text, split_header
from mlci.userfiles import merge_policy

__all__ = ["Answers", "Detected", "Scaffolded", "ask", "detect", "init", "model_name"]


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
    thresholds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scaffolded:
    written: list[str]
    config: Config
    next_steps: str
    merged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
    for placeholder in found.placeholders:
        if placeholder.key == "train.command":
            prompt_note = f" ({placeholder.message})"
            break
    else:
        prompt_note = ""
    train_command = answers.train_command or prompt(
        f"Command that trains the model{prompt_note}",
        default=found.train_command or "python train.py",
    )
    if train_command != found.train_command:  # its script says where the metrics go
        found = detect(root, train_command=train_command)
    model = answers.model or prompt("Registered model name", default=found.model)
    backend = answers.backend or choose("Model registry backend", BACKENDS, "git")
    strategy = answers.strategy or choose("Production rollout", STRATEGIES, "direct")
    thresholds = answers.thresholds
    if not thresholds:
        from mlci import gate

        def valid(text: str) -> str:
            import click

            try:
                if text.strip():
                    gate.parse_thresholds([text])
            except UsageError as exc:
                raise click.UsageError(str(exc)) from None  # click.prompt asks again
            return text

        suggested = (
            f"{found.threshold.metric}{'>=' if found.threshold.direction == 'min' else '<='}"
            f"{found.threshold.bound}"
            if found.threshold
            else ""
        )
        text = str(
            prompt(
                f"Gate: the primary metric in {found.metrics_file} and its bound, "
                "e.g. accuracy>=0.8 (empty: none yet)",
                default=suggested,
                show_default=bool(suggested),
                value_proc=valid,
            )
        ).strip()
        thresholds = (text,) if text else ()
    return replace(
        answers,
        train_command=train_command,
        model=model,
        backend=backend,
        strategy=strategy,
        thresholds=thresholds,
    )


# --------------------------------------------------------------------------- init


_THRESHOLDS_ANCHOR = "  thresholds: {}\n"
_ARTIFACTS_ANCHOR = "  artifacts: []  # paths uploaded as the trained model's workflow artifact\n"
_SECRETS_ANCHOR = "  train: []  # e.g. [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY] for dvc pull\n"


def _threshold_lines(answers: Answers, found: Detected) -> list[str] | None:
    """The lines of validation.thresholds, or None when there is nothing to write."""
    from mlci import gate

    if answers.thresholds:
        parsed = gate.parse_thresholds(list(answers.thresholds))
        lines = ["  thresholds:"]
        for threshold in parsed:
            key = "min" if threshold.direction == "min" else "max"
            lines.append(
                f"    {emit.yaml_scalar(threshold.metric)}: {{{key}: {threshold.bound:g}}}"
            )
        return lines
    if found.threshold is not None:
        t = found.threshold
        return [
            f"  # from {found.metrics_file} in the repository: 10% "
            f"{'below' if t.direction == 'min' else 'above'} its value; adjust",
            "  thresholds:",
            f"    {emit.yaml_scalar(t.metric)}: {{{t.direction}: {t.bound:g}}}",
        ]
    return None


def _comment_before(text: str, section: str, key: str, comment: str) -> str:
    """Insert ``# comment`` above ``key:`` in the top-level ``section:`` of scaffold text."""
    lines = text.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        if not line.startswith((" ", "#", "\n")):
            inside = line.startswith(f"{section}:")
            continue
        if inside and line.startswith(f"  {key}:"):
            lines.insert(index, f"  # TODO before the first push: {comment}\n")
            return "".join(lines)
    return text


def _placeholders(answers: Answers, found: Detected) -> list[Placeholder]:
    """What init could not know, after the answers; thresholds last."""
    out = [
        p for p in found.placeholders if not (p.key == "train.command" and answers.train_command)
    ]
    if not answers.thresholds and found.threshold is None:
        out.append(
            Placeholder(
                "validation.thresholds",
                "no metric bound is set: the gate passes every model that trains (with a "
                "warning on every run); add e.g. accuracy: {min: 0.8} under "
                "validation.thresholds, or rerun init with --threshold 'accuracy>=0.8'",
            )
        )
    return out


def scaffold_text(root: Path, answers: Answers, *, found: Detected | None = None) -> str:
    """The commented mlci.yaml for ``root``; raises UsageError if it cannot be completed."""
    found = found or detect(root, train_command=answers.train_command)
    train_command = answers.train_command or found.train_command
    if not train_command:
        raise UsageError(
            "no training command found (no dvc.yaml stage, MLproject entry point, Makefile "
            "train target, train.py, src/train.py, src/<pkg>/train.py, scripts/train.py or "
            "pipelines/train.py); pass --train-command 'python -m yourpkg.train'"
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
        "data_pull": found.data_pull,
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
    text = str(env.get_template("mlci.yaml.j2").render(context))
    # What the template does not know yet: detected thresholds, artifacts, placeholders.
    thresholds = _threshold_lines(answers, found)
    if thresholds is not None and _THRESHOLDS_ANCHOR in text:
        text = text.replace(_THRESHOLDS_ANCHOR, "\n".join(thresholds) + "\n", 1)
    if found.artifacts and _ARTIFACTS_ANCHOR in text:
        flow = "[" + ", ".join(emit.yaml_scalar(p) for p in found.artifacts) + "]"
        text = text.replace(
            _ARTIFACTS_ANCHOR,
            f"  artifacts: {flow}  # the trained model's files, uploaded as a workflow artifact\n",
            1,
        )
    if found.train_secrets and _SECRETS_ANCHOR in text:
        flow = "[" + ", ".join(emit.yaml_scalar(n) for n in found.train_secrets) + "]"
        text = text.replace(
            _SECRETS_ANCHOR, f"  train: {flow}  # what dvc pull needs for the DVC remote\n", 1
        )
    for placeholder in _placeholders(answers, found):
        section, key = placeholder.key.split(".", 1)
        text = _comment_before(text, section, key, placeholder.message)
    return text


# --------------------------------------------------------------------------- user-owned files


def _generated_by_mlci(path: Path) -> bool:
    text = read_text(path)
    return text is not None and split_header(text)[0] is not None


def _users_own(path: Path) -> bool:
    """A file there that mlci did not write."""
    return path.is_file() and not _generated_by_mlci(path)


def init(*, root: Path, answers: Answers, force: bool = False) -> Scaffolded:
    """Write mlci.yaml and the generated workflows into ``root``; nothing is half-written.

    An existing ``.github/zizmor.yml`` of the user's own gets mlci's pin policy merged
    in (comments kept) and mlci.yaml says ``workflows.zizmor_config: false``; an existing
    ``.github/actionlint.yaml`` stays the user's (``workflows.actionlint_config: false``:
    ``generate`` adds runner labels to it, :mod:`mlci.userfiles`). ``force``
    replaces mlci.yaml and files mlci generated, never another file of the user's.
    """
    if not root.exists():
        raise UsageError(f"{root}: no such directory")
    if not root.is_dir():
        raise UsageError(f"{root}: is not a directory")
    found = detect(root, train_command=answers.train_command)
    text = scaffold_text(root, answers, found=found)
    user_zizmor = _users_own(root / render.ZIZMOR)
    yours = ""
    if user_zizmor:
        yours += (
            "  # mlci's pin policy was merged into your own .github/zizmor.yml\n"
            "  zizmor_config: false\n"
        )
    if _users_own(root / render.ACTIONLINT):
        yours += (
            "  # .github/actionlint.yaml is your own: generate adds the runner labels to it\n"
            "  actionlint_config: false\n"
        )
    if yours:
        text = text.replace("  runs_on: ubuntu-latest\n", "  runs_on: ubuntu-latest\n" + yours)
    try:
        config = parse(text, source=CONFIG_FILE)
    except UsageError as exc:  # an answer the config rejects, e.g. a bad --python
        raise UsageError(f"cannot write mlci.yaml with these answers: {exc}") from None
    rendered = {CONFIG_FILE: text, **render.render(config, config_name=CONFIG_FILE)}
    existing = [rel for rel in rendered if (root / rel).exists()]
    foreign = [rel for rel in existing if rel != CONFIG_FILE and not _generated_by_mlci(root / rel)]
    if foreign:
        raise UsageError(
            f"{', '.join(foreign)}: already there and not generated by mlci; rename "
            f"{'it' if len(foreign) == 1 else 'them'} (mlci writes its own files there), "
            "then rerun `mlci init`"
        )
    if existing and not force:
        raise UsageError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "run `mlci generate` to re-render from mlci.yaml, or `mlci init --force` to start over"
        )
    merged = []
    if user_zizmor:
        zizmor_path = root / render.ZIZMOR
        policy = render.render(
            config.model_copy(
                update={"workflows": config.workflows.model_copy(update={"zizmor_config": True})}
            ),
            config_name=CONFIG_FILE,
        )[render.ZIZMOR]
        _, policy_body = split_header(policy)
        current = files.read_text(zizmor_path, what="zizmor policy")
        new = merge_policy(current, policy_body, source=render.ZIZMOR)
        if new != current:
            render.write_atomic(zizmor_path, new)
            merged.append(render.ZIZMOR)
    render.write_atomic(root / CONFIG_FILE, text)
    # The workflows, and .mlci/ (their last rendering, so later hand edits merge).
    update.generate(config_path=root / CONFIG_FILE, force=True, restore=True)
    return Scaffolded(
        written=list(rendered),
        config=config,
        next_steps=next_steps(config, placeholders=_placeholders(answers, found)),
        merged=merged,
        warnings=list(found.warnings),
    )


def next_steps(config: Config, *, placeholders: list[Placeholder] | None = None) -> str:
    """What the user does next: what init could not know first, then secrets and environments."""
    lines = ["Next steps:"]
    step = 1
    for placeholder in placeholders or []:
        lines.append(f"  {step}. {placeholder.key} in mlci.yaml: {placeholder.message}.")
        step += 1
    secrets = config.secret_names
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
        "`mlci doctor` checks the steps' preconditions, `mlci lint` audits the workflows."
    )
    return "\n".join(lines)
