"""The command line: a thin click layer over the commands in :mod:`mlci.commands`.

Each subcommand parses its options and hands ``run`` of its module
``mlci/commands/<name>.py`` with them to :func:`_publish` (``_publish(check.run,
"check", config_path=...)``), the one place that runs it, prints its result and
writes GitHub Actions outputs and annotations. Commands never
print and never exit; exceptions become exit codes in one place,
:func:`mlci.errors.error_handler`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

import click

from mlci import __version__
from mlci.errors import EXIT_FAILED, EXIT_OK, CheckFailed, UsageError, error_handler

if TYPE_CHECKING:
    from mlci.commands import Result

P = ParamSpec("P")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

config_option = click.option(
    "--config",
    "config_path",
    # No dir_okay=False: config.load reports a directory in one line (exit 2).
    type=click.Path(path_type=Path),
    metavar="FILE",
    default="mlci.yaml",
    show_default=True,
    help="Path of the mlci config file.",
)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="mlci")
def cli() -> None:
    """mlci: a complete, secure CI/CD pipeline on GitHub Actions for an ML repository.

    \b
    Start here:  mlci init            scaffold mlci.yaml and render the workflows
                 mlci doctor          would each generated step run on this repository?
    After edits: mlci generate        re-render .github/workflows from mlci.yaml
    In CI:       mlci check           fail when the workflows are stale
                 mlci lint            actionlint + zizmor over the workflows
    Upkeep:      mlci pin             refresh the SHA pins of the actions

    \b
    The pipeline's steps, runnable on a laptop too:
                 mlci validate-model  gate a trained model (exit 1 rejects it)
                 mlci register-model, promote-model, rollback-model, models
                 mlci fetch-model     a version's files, verified by digest
                 mlci retrain-trigger should continuous training retrain now?
                 mlci report          the model's numbers as one comment on the PR

    Exit codes: 0 ok, 1 a gate said no (stale, findings, model rejected),
    2 bad usage or config, 3 unexpected error (rerun with MLCI_DEBUG=1).
    """


def _publish(run: Callable[P, Result], title: str, /, *args: P.args, **kwargs: P.kwargs) -> None:
    """Run a command's core and publish its result: the one place a command becomes output.

    Prints the :class:`mlci.commands.Result` ``run`` returns and, inside Actions, writes
    its outputs, summary and annotations; an error ``run`` raises (bad input, a registry
    that refuses) becomes an ``::error::`` annotation titled ``title`` there too. A result
    that is not ``ok`` raises :class:`CheckFailed` (exit 1).
    """
    from mlci import gha
    from mlci.errors import MlciError, one_line

    try:
        result = run(*args, **kwargs)
    except MlciError as exc:
        if gha.in_actions():
            gha.error(one_line(str(exc)), title=title)
        raise
    text = result.render_text()
    if text:
        click.echo(text, nl=False)
    for remark in result.remarks():
        click.echo(remark, err=True)
    if gha.in_actions():
        for warning in result.warnings():
            gha.warning(warning, title=title)
        for note in result.notes():
            gha.notice(note, title=title)
        for reason in result.failures():
            gha.error(reason, title=title)
        summary = result.render_markdown()
        if summary:
            gha.add_summary(summary)
        outputs = dict(result.outputs())
        if outputs:
            gha.set_outputs(outputs)
    if not result.ok:
        raise CheckFailed(result.failure())


# --------------------------------------------------------------------------- generator


@cli.command("init", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "path",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    required=False,
)
@click.option(
    "--train-command",
    help="Command that trains the model (default: detected, e.g. python train.py).",
)
@click.option(
    "--model", "model_name", help="Registered model name (default: the repository's name)."
)
@click.option(
    "--backend",
    type=click.Choice(["git", "mlflow"]),
    help="Model registry backend (default: git tags, no server needed).",
)
@click.option(
    "--strategy",
    type=click.Choice(["direct", "canary", "blue-green"]),
    help="Production rollout strategy (default: direct).",
)
@click.option("--python", "python_version", help="Python version (default: detected, else 3.11).")
@click.option("--actions-repository", help="owner/repo the mlci actions come from.")
@click.option("--actions-ref", help="Tag or commit SHA of the mlci actions (default: v1).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="EXPR",
    help="The gate's bound, e.g. 'accuracy>=0.8' (repeatable). [default: detected from a "
    "metrics file in the repository, else none: the gate warns on every run]",
)
@click.option(
    "-y",
    "--yes",
    is_flag=True,
    help="Accept detected values without asking (also when stdin is not a terminal).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite an existing mlci.yaml and generated workflows."
)
def init_cmd(
    path: Path,
    train_command: str | None,
    model_name: str | None,
    backend: str | None,
    strategy: str | None,
    python_version: str | None,
    actions_repository: str | None,
    actions_ref: str | None,
    thresholds: tuple[str, ...],
    yes: bool,
    force: bool,
) -> None:
    """Scaffold mlci.yaml in an existing repository and render its workflows.

    Detects how to install the project (requirements files, pyproject extras and
    dependency groups, uv, Poetry, conda), test folders that hold tests, lint
    configs, the Python version, the train command (dvc.yaml, MLproject, train.py),
    the metrics file and the model's files (docs/detection.md); writes a commented
    mlci.yaml and .github/workflows/{ml-pipeline,continuous-training}.yml, then
    checks them (mlci doctor: a problem exits 1, the files stay written) and prints
    what to do next, what init could not know first. An existing .github/zizmor.yml
    of yours gets mlci's policy merged in. --force replaces mlci.yaml and files mlci
    generated, never your own.

    \b
    Example:  mlci init --yes --threshold 'accuracy>=0.8'
    """
    from mlci import scaffold
    from mlci.commands import init

    answers = scaffold.Answers(
        train_command=train_command,
        model=model_name,
        backend=backend,
        strategy=strategy,
        python_version=python_version,
        actions_repository=actions_repository,
        actions_ref=actions_ref,
        thresholds=thresholds,
    )
    interactive = not yes and sys.stdin is not None and sys.stdin.isatty()
    if not yes and not interactive:
        click.echo("note: stdin is not a terminal: accepting the detected values (--yes)", err=True)
    if interactive:
        answers = scaffold.ask(
            path,
            answers,
            prompt=click.prompt,
            choose=lambda text, choices, default: str(
                click.prompt(text, type=click.Choice(choices), default=default)
            ),
        )
    _publish(init.run, "init", root=path, answers=answers, force=force)


@cli.command("generate", context_settings=CONTEXT_SETTINGS)
@config_option
@click.option(
    "--force",
    is_flag=True,
    help="Discard hand edits: overwrite edited files with the new rendering.",
)
@click.option("--restore", is_flag=True, help="Write generated files you deleted again.")
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print what would change as a diff; write nothing."
)
def generate_cmd(
    config_path: Path, force: bool, restore: bool, dry_run: bool, show_diff: bool
) -> None:
    """Re-render the generated workflows from mlci.yaml, keeping your hand edits.

    \b
    Files whose content is unchanged are not touched; writes are atomic.
    A file you edited by hand is merged 3-way (base: its last rendering,
    kept in .mlci/; ours: the file; theirs: the new rendering), so the edit
    survives a config change or an mlci upgrade. Overlapping changes leave
    conflict markers in that file only (exit 1, the lines named); every
    other file is still updated. A generated file you deleted stays deleted
    unless --restore. A file mlci no longer generates is removed if
    untouched, else kept and reported. Commit .mlci/ with the workflows.
    """
    from mlci.commands import generate

    _publish(
        generate.run,
        "generate",
        config_path=config_path,
        force=force,
        restore=restore,
        dry_run=dry_run,
        show_diff=show_diff,
    )


@cli.command("check", context_settings=CONTEXT_SETTINGS)
@config_option
@click.option(
    "--strict",
    is_flag=True,
    help="Also fail on hand edits (merged or not) and deleted files: every generated file "
    "must be exactly what mlci.yaml renders.",
)
def check_cmd(config_path: Path, strict: bool) -> None:
    """Fail (exit 1) when a generated file is stale or holds merge conflict markers.

    Passes exactly when `mlci generate` would change no generated file: hand
    edits already merged into the current rendering are fine. Prints a
    unified diff of each problem. When mlci.yaml, mlci and the files match
    what .mlci/ records, answers without rendering. The generated pipeline
    runs this as its first, cheap job.
    """
    from mlci.commands import check

    _publish(check.run, "check", config_path=config_path, strict=strict)


@cli.command("pin", context_settings=CONTEXT_SETTINGS)
@config_option
@click.argument("specs", nargs=-1, metavar="[ACTION[@VERSION]]...")
@click.option(
    "--mlci",
    "pin_mlci",
    is_flag=True,
    help="Also pin the mlci actions by commit SHA: the commit the major tag of actions.ref "
    "(e.g. v1) names, with the release at that commit as the version.",
)
@click.option(
    "--mlci-version",
    metavar="vX.Y.Z",
    help="Pin the mlci actions to this release (implies --mlci).",
)
@click.option(
    "--remote-base",
    envvar="MLCI_PIN_REMOTE_BASE",
    default="https://github.com",
    show_default=True,
    help="Where <owner>/<repo> of each action is fetched from (a mirror, a file:// path). "
    "Env: MLCI_PIN_REMOTE_BASE.",
)
@click.option(
    "--mlci-source",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="For mlci's maintainers: refresh the checkout of mlci's source at DIR instead — "
    "mlci/action_pins.json, .github/action-pins.json and every pinned uses: line of those "
    "actions in actions/*/action.yml and .github/workflows; regenerates nothing.",
)
def pin_cmd(
    config_path: Path,
    specs: tuple[str, ...],
    pin_mlci: bool,
    mlci_version: str | None,
    remote_base: str,
    mlci_source: Path | None,
) -> None:
    """Refresh the commit SHAs the workflows pin actions to, then regenerate.

    \b
    For each third-party action (or each ACTION named, e.g. actions/checkout
    or actions/checkout@v4.2.1) lists the release tags with
    `git ls-remote <remote>/<owner>/<repo> 'refs/tags/v*'`, picks the newest
    vX.Y.Z within the major version in use (or the VERSION named), records
    it in .mlci/pins.lock.json (which overrides the table shipped with mlci)
    and runs `mlci generate`. Exit 2 when a remote cannot be read; then
    nothing is written.

    \b
    Maintainers of mlci: `mlci pin --mlci-source .` in mlci's checkout writes
    the same resolution into the shipped table and the composite actions, so
    the actions and the generated workflows pin the same commits.
    """
    from mlci.commands import pin

    _publish(
        pin.run,
        "pin",
        config_path=config_path,
        specs=list(specs),
        mlci=pin_mlci,
        mlci_version=mlci_version,
        remote_base=remote_base,
        mlci_source=mlci_source,
    )


@cli.command("lint", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    show_default=True,
    help="Repository whose .github/workflows and actions/ are linted when no PATHS are given.",
)
@click.option(
    "--all",
    "all_workflows",
    is_flag=True,
    help="Lint every workflow in .github/workflows, not only those mlci generated.",
)
def lint_cmd(paths: tuple[Path, ...], root: Path, all_workflows: bool) -> None:
    """Run actionlint and zizmor --offline over mlci's workflows (and actions/).

    Without PATHS: the workflows mlci generated (they carry its header) and
    actions/*/action.yml; your other workflows only with --all. Lists every
    finding; exits 1 if there is any.
    """
    from mlci.commands import lint

    _publish(lint.run, "lint", root=root, paths=list(paths), all_workflows=all_workflows)


@cli.command("schema", context_settings=CONTEXT_SETTINGS)
def schema_cmd() -> None:
    """Print the JSON Schema of mlci.yaml (for editors and validators)."""
    from mlci.commands import schema

    _publish(schema.run, "schema")


# --------------------------------------------------------------------------- validate-model


@cli.command("validate-model", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--metrics",
    "metrics_path",
    type=click.Path(path_type=Path, dir_okay=True),
    help="Metrics of the candidate model: JSON or YAML, flat or nested (keys a.b).",
)
@click.option(
    "--run-id",
    metavar="ID",
    help="Instead of --metrics: the metrics an MLflow run logged "
    "(server in $MLFLOW_TRACKING_URI; needs mlci[mlflow]).",
)
@click.option(
    "--config",
    "config_name",
    metavar="PATH",
    default=None,
    help="mlci.yaml to read validation: from; another file named here must exist. "
    "[default: mlci.yaml; when it is absent, only --threshold is checked]",
)
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="EXPR",
    help="METRIC>=X (higher is better) or METRIC<=X (lower is better); also > and <. "
    "Repeatable; one value may hold several, one per line. Adds to or overrides "
    "validation.thresholds.",
)
@click.option(
    "--baseline",
    "baseline_spec",
    metavar="SPEC",
    help="file:PATH, registry:STAGE or none. [default: validation.baseline; empty = default]",
)
@click.option(
    "--max-regression",
    metavar="T",
    help="Allowed regression against the baseline, e.g. 0.05 (5% of |baseline|). "
    "[default: validation.max_regression, else 0.05; empty = default]",
)
@click.option(
    "--regression",
    type=click.Choice(["relative", "absolute"]),
    help="relative: T is a fraction of |baseline|; absolute: T in metric units. "
    "[default: validation.regression, else relative]",
)
@click.option(
    "--fetch/--no-fetch",
    default=None,
    help="For a registry:STAGE baseline in the git registry, fetch the tags of origin first. "
    "[default: --fetch inside GitHub Actions when the checkout is shallow (it has no tags)]",
)
@click.option(
    "--report-json",
    "report_name",
    metavar="PATH",
    help="Also write the verdict as JSON to this file (written when rejected, too; empty = none).",
)
def validate_model_cmd(
    metrics_path: Path | None,
    run_id: str | None,
    config_name: str | None,
    thresholds: tuple[str, ...],
    baseline_spec: str | None,
    max_regression: str | None,
    regression: str | None,
    fetch: bool | None,
    report_name: str | None,
) -> None:
    """Gate a trained model: exit 0 ships it, exit 1 rejects it with every reason.

    Each metric must meet its threshold, and must not regress against the
    baseline (the production model) beyond the tolerance T: a higher-is-better
    metric fails when candidate < baseline - T*|baseline| (mirrored for
    lower-is-better). A missing, NaN, infinite or non-numeric metric fails.
    With no production model yet, the regression check is skipped with a
    notice, unless validation.require_baseline is true.

    \b
    Exit codes: 0 passed, 1 rejected, 2 bad input (unreadable or malformed
    file, bad threshold, unknown metric in --threshold, unreachable registry).
    """
    from mlci.commands import validate_model

    _publish(
        validate_model.run,
        "validate-model",
        metrics_path=metrics_path,
        run_id=run_id,
        config_path=Path(config_name) if config_name else None,
        threshold_args=thresholds,
        baseline_spec=baseline_spec,
        max_regression=max_regression,
        regression=regression,
        fetch=fetch,
        report_path=Path(report_name) if report_name else None,
    )


# --------------------------------------------------------------------------- model registry


def _registry_options(func: Any) -> Any:
    """Options every registry command shares (the backend, where it lives, the model)."""
    options = [
        click.option(
            "--model",
            "model_name",
            metavar="NAME",
            help="Registered model name. [default: registry.model in mlci.yaml]",
        ),
        click.option(
            "--config",
            "config_name",
            metavar="PATH",
            default=None,
            help="mlci.yaml to read registry: from; another file named here must exist. "
            "[default: mlci.yaml; when it is absent, the git backend]",
        ),
        click.option(
            "--backend",
            type=click.Choice(["git", "mlflow", ""]),
            default="",
            help="Override registry.backend. [default: from mlci.yaml, else git]",
        ),
        click.option(
            "--root",
            type=click.Path(path_type=Path, file_okay=False),
            default=".",
            show_default=True,
            help="Git repository of the git backend.",
        ),
        click.option(
            "--tracking-uri",
            envvar="MLFLOW_TRACKING_URI",
            metavar="URI",
            help="MLflow tracking server of the mlflow backend. [default: $MLFLOW_TRACKING_URI]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


push_option = click.option(
    "--push",
    is_flag=True,
    help="git backend: fetch the remote's tags first, push the new tag to origin "
    "(authenticated with $MLCI_GITHUB_TOKEN when set). Ignored by the mlflow backend.",
)


@cli.command("register-model", context_settings=CONTEXT_SETTINGS)
@_registry_options
@click.option(
    "--metrics",
    "metrics_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Metrics of the trained model (JSON or YAML), recorded with the version.",
)
@click.option(
    "--report",
    "report_path",
    metavar="PATH",
    help="validate-model --report-json output; its verdict is recorded, a failed one refused.",
)
@click.option(
    "--source",
    metavar="REF",
    help="git: the commit to register [default: HEAD]. mlflow (required): the logged "
    "model, models:/m-… or runs:/<run id>/<name>. @FILE reads it from the first line of FILE "
    "(what the training wrote, train.model_uri_file).",
)
@click.option(
    "--model-version",
    "model_version",
    metavar="V",
    help="git: the version to register, e.g. v1.2.0. [default: the greatest version, patch + 1]",
)
@click.option(
    "--artifacts",
    "artifacts",
    multiple=True,
    metavar="PATH",
    help="A file or folder of the model (repeatable), recorded by SHA-256 and kept in the "
    "store. [default: train.artifacts in mlci.yaml]",
)
@click.option(
    "--store",
    type=click.Choice(["", "auto", "github-release", "dvc", "mlflow", "none"]),
    default="",
    help="Where the files are kept. [default: registry.store in mlci.yaml, else auto]",
)
@click.option(
    "--allow-dirty",
    is_flag=True,
    envvar="MLCI_ALLOW_DIRTY",
    help="Register even when tracked files differ from the commit (refused in CI, where "
    "CI=true or GITHUB_ACTIONS=true; a warning elsewhere). Env: MLCI_ALLOW_DIRTY=true.",
)
@click.option(
    "--image",
    default="",
    metavar="NAME@sha256:…",
    help="The serving image deployed with the model files, pinned by digest; recorded with "
    "them (the pipeline passes the image it built, image.build before- or after-training).",
)
@push_option
def register_model_cmd(
    model_name: str | None,
    config_name: str | None,
    backend: str,
    root: Path,
    tracking_uri: str | None,
    metrics_path: Path,
    report_path: str | None,
    source: str | None,
    model_version: str | None,
    artifacts: tuple[str, ...],
    store: str,
    allow_dirty: bool,
    image: str,
    push: bool,
) -> None:
    """Register a trained model as a new version, with its metrics and verdict.

    git (default): an annotated tag <model>@v<semver> on the commit (GTO's
    grammar), holding the metrics, the run URL and the validation verdict.
    mlflow: a model version of the registered model, the same facts as tags.
    With model files (train.artifacts or --artifacts) their SHA-256 manifest is
    recorded too and the files are kept in the store (docs/registry.md).

    The version names the commit checked out: tracked files that differ from it
    (the training's outputs aside) are a warning, and in CI a refusal.

    \b
    Exit codes: 0 registered (or already registered at this commit with these
    metrics), 1 refused (the report says the model failed; a tag push lost a
    race; in CI, tracked files differ from the commit), 2 bad input (unreadable
    metrics or report, unknown source, unreachable registry).
    """
    from mlci import gha
    from mlci.commands import register_model

    _publish(
        register_model.run,
        "register-model",
        model=model_name,
        config_path=Path(config_name) if config_name else None,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        metrics_path=metrics_path,
        report_path=Path(report_path) if report_path else None,
        source=source,
        version=model_version,
        push=push,
        artifacts=artifacts,
        store=store or None,
        ci=gha.in_ci(),
        allow_dirty=allow_dirty,
        image=image or None,
    )


@cli.command("promote-model", context_settings=CONTEXT_SETTINGS)
@_registry_options
@click.option(
    "--model-version",
    "model_version",
    required=True,
    metavar="V",
    help="The version to promote, e.g. v0.3.0 (git) or 7 (mlflow).",
)
@click.option(
    "--from-stage",
    metavar="STAGE",
    help="Refuse unless the version holds this stage now (a stage some version holds or held; "
    "a no-op when it already holds --to-stage). [default: assign directly]",
)
@click.option(
    "--to-stage",
    required=True,
    metavar="STAGE",
    help="The stage (alias) to move to the version, e.g. production; a new name starts a new "
    "stage unless it looks like a typo of a known one.",
)
@click.option(
    "--copy-to-stage-model",
    "copy_to_stage_models",
    is_flag=True,
    help="mlflow: also copy the version into the registered model <model>-<stage>.",
)
@push_option
def promote_model_cmd(
    model_name: str | None,
    config_name: str | None,
    backend: str,
    root: Path,
    tracking_uri: str | None,
    model_version: str,
    from_stage: str | None,
    to_stage: str,
    copy_to_stage_models: bool,
    push: bool,
) -> None:
    """Move a stage (alias) to a version, recording the previous holder.

    Refuses (exit 1) a version that does not hold --from-stage, or whose
    recorded validation verdict failed. Promoting the version that already
    holds the stage is a successful no-op. Concurrent promotions cannot
    interleave: a lost race exits 1 and changes nothing. Known stages are
    staging and production (through registry.stages) and every stage a
    version holds or held; a stage name close to a known one is refused
    with "did you mean" (exit 2) instead of starting a new stage.

    \b
    Exit codes: 0 promoted or already there, 1 refused or race lost, 2 bad
    input (unknown model or version; a misspelt stage, or a --from-stage no
    version ever held; unreachable registry; no permission).
    """
    from mlci.commands import promote_model

    _publish(
        promote_model.run,
        "promote-model",
        model=model_name,
        config_path=Path(config_name) if config_name else None,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        version=model_version,
        to_stage=to_stage,
        from_stage=from_stage,
        copy_to_stage_models=copy_to_stage_models,
        push=push,
    )


@cli.command("rollback-model", context_settings=CONTEXT_SETTINGS)
@_registry_options
@click.option(
    "--stage", required=True, metavar="STAGE", help="The stage to roll back, e.g. production."
)
@push_option
def rollback_model_cmd(
    model_name: str | None,
    config_name: str | None,
    backend: str,
    root: Path,
    tracking_uri: str | None,
    stage: str,
    push: bool,
) -> None:
    """Give a stage back to the version that held it before the last promotion.

    Rolling back is itself recorded (history is append-only); a second
    rollback goes one more step back.

    \b
    Exit codes: 0 rolled back, 1 nothing to roll back to (the stage is empty
    or has held one version) or race lost, 2 bad input (unknown model; a
    stage no version ever held, with "did you mean" when it is close to one;
    unreachable registry).
    """
    from mlci.commands import rollback_model

    _publish(
        rollback_model.run,
        "rollback-model",
        model=model_name,
        config_path=Path(config_name) if config_name else None,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        stage=stage,
        push=push,
    )


@cli.command("models", context_settings=CONTEXT_SETTINGS)
@_registry_options
@click.option("--json", "as_json", is_flag=True, help="Print versions and history as JSON.")
@click.option("--fetch", is_flag=True, help="git: fetch the tags of origin first.")
def models_cmd(
    model_name: str | None,
    config_name: str | None,
    backend: str,
    root: Path,
    tracking_uri: str | None,
    as_json: bool,
    fetch: bool,
) -> None:
    """List a model's versions, the stages they hold, and the stage history."""
    from mlci.commands import models

    _publish(
        models.run,
        "models",
        model=model_name,
        config_path=Path(config_name) if config_name else None,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        fetch=fetch,
        as_json=as_json,
    )


# --------------------------------------------------------------------------- retrain-trigger


@cli.command("retrain-trigger", context_settings=CONTEXT_SETTINGS)
@config_option
@click.option("--force", is_flag=True, help="Retrain whatever the triggers say (reason: forced).")
@click.option(
    "--reference",
    metavar="FILE",
    help="Reference data (CSV/Parquet, or git:<rev>[:<path>]); overrides trigger.drift.reference.",
)
@click.option("--current", metavar="FILE", help="Current data; overrides trigger.drift.current.")
@click.option(
    "--metrics",
    metavar="FILE",
    help="Monitoring export (JSON/CSV) holding the decay metric; overrides trigger.decay.source.",
)
@click.option(
    "--report-json",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the decision and every check (the drift table too) as JSON here.",
)
def retrain_trigger_cmd(
    config_path: Path,
    force: bool,
    reference: str | None,
    current: str | None,
    metrics: str | None,
    report_json: Path | None,
) -> None:
    """Decide whether the model should be retrained now (continuous training).

    \b
    Retrain when no version of registry.model is registered yet, or when an
    enabled trigger fires: new data (a file under trigger.new_data.paths
    differs between the newest version's commit and HEAD), data drift (the
    current data drifts from the reference: per-column tests, data-set drift
    when trigger.drift.share of the columns drift) or model decay (a production
    metric below trigger.decay.min or above max). Every enabled trigger is
    evaluated and reported. Missing evidence (no commit, no metric) retrains,
    with the reason. trigger.cooldown_hours holds a retrain back. Inside GitHub
    Actions writes the outputs should_train (true/false), reason and report
    (JSON), and a summary with the per-column drift table. A bearer token for
    trigger.decay.prometheus is read from MLCI_PROMETHEUS_TOKEN (never printed).

    \b
    Exit codes: 0 decided (retrain or not: the answer is the output), 2 bad
    input (invalid mlci.yaml, unreadable data file or column, unreachable
    registry or Prometheus, not a git repository).

    \b
    Example:
      mlci retrain-trigger --reference git:production --current data/live.csv \\
          --metrics monitoring/accuracy.json --report-json trigger.json
    """
    import os

    from mlci import trigger
    from mlci.commands import retrain_trigger

    inputs = trigger.Inputs(
        reference=reference,
        current=current,
        metrics=metrics,
        prometheus_token=os.environ.get(trigger.PROMETHEUS_TOKEN_ENV) or None,
    )
    _publish(
        retrain_trigger.run,
        "retrain-trigger",
        config_path=config_path,
        force=force,
        inputs=inputs,
        report_path=report_json,
    )


# --------------------------------------------------------------------------- report (issue 13)


@cli.command(
    "report",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mlci report --from-report report.json --pr 7 --repo octo/churn
  mlci report --from-report report.json --dry-run      # print the comment only""",
)
@click.option(
    "--from-report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The validate-model JSON report (mlci validate-model --report-json FILE).",
)
@click.option(
    "--trigger-report",
    "trigger_path",
    default="",
    metavar="FILE",
    help="A retrain-trigger JSON report: its decision and drift summary join the comment.",
)
@click.option("--pr", default="", metavar="N", help="Pull request number (default: the event's).")
@click.option(
    "--repo", default="", metavar="OWNER/NAME", help="owner/name (default: $GITHUB_REPOSITORY)."
)
@click.option(
    "--model", default="", metavar="NAME", help="Model name: shown, and one comment per model."
)
@click.option(
    "--model-version",
    default="",
    metavar="VERSION",
    help="The candidate's version, shown in the comment.",
)
@click.option("--dry-run", is_flag=True, help="Print the comment; post nothing.")
def report_cmd(
    report_path: Path,
    trigger_path: str,
    pr: str,
    repo: str,
    model: str,
    model_version: str,
    dry_run: bool,
) -> None:
    """Post the model report on the pull request: one comment, edited on every run.

    Candidate vs production metrics with thresholds, change and verdict, a
    Mermaid bar chart, the trigger's drift summary, the model version and the
    run link. The comment is found again by a hidden marker and edited in
    place, never posted twice. The token comes from GITHUB_TOKEN or GH_TOKEN,
    the API from GITHUB_API_URL. A fork's read-only token, a token without
    pull-requests: write, a rate limit or an unreachable GitHub do not fail:
    the report goes to the job summary with a notice.

    \b
    Exit codes: 0 posted (or reported in the summary), 2 bad input (unreadable
    report, no pull request or repository to name, no such pull request).
    """
    from mlci.commands import report

    # Empty values mean "not given", so the action can pass every input through.
    if pr and not (pr.isdigit() and int(pr) > 0):
        raise UsageError(f"--pr must be a pull request number, got {pr!r}")
    _publish(
        report.run,
        "report",
        report_path=report_path,
        trigger_path=Path(trigger_path) if trigger_path else None,
        pr=int(pr) if pr else None,
        repo=repo or None,
        model=model or None,
        model_version=model_version or None,
        dry_run=dry_run,
    )


# --------------------------------------------------------------------------- rollouts (issue 11)


def _rollout_options(func: Any) -> Any:
    """Options canary-deploy and blue-green-deploy share."""
    options = [
        config_option,
        click.option(
            "--prometheus-url", metavar="URL", help="Override prometheus.url of the section."
        ),
        click.option("--interval", metavar="DURATION", help="Override the analysis interval."),
        click.option(
            "--model-version",
            metavar="V",
            envvar="MLCI_MODEL_VERSION",
            help="The version being rolled out; moves the registry's production stage "
            "after a promotion. [default: $MLCI_MODEL_VERSION]",
        ),
        click.option(
            "--no-registry",
            is_flag=True,
            help="Do not move the registry's production stage after a promotion.",
        ),
        click.option(
            "--from-stage",
            metavar="STAGE",
            default="staging",
            show_default=True,
            help="The registry refuses a version not in this stage ('' for none).",
        ),
        push_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _echo_interval(record: Any) -> None:
    from mlci.deploy.report import interval_line

    click.echo(interval_line(record))


@cli.command("canary-deploy", context_settings=CONTEXT_SETTINGS)
@_rollout_options
@click.option("--steps", metavar="W,W,…", help="Override the traffic steps, e.g. 10,25,50.")
@click.option("--duration", metavar="DURATION", help="Override the total observation time.")
def canary_deploy_cmd(
    config_path: Path, prometheus_url: str | None, interval: str | None,
    model_version: str | None, no_registry: bool, from_stage: str, push: bool,
    steps: str | None, duration: str | None,
) -> None:  # fmt: skip
    """Roll a new version out as a canary, judged live, promoted or rolled back.

    \b
    Settings: deploy.production.canary in mlci.yaml (flags override). The
    router deploys the new version beside stable, then traffic moves through
    the steps (default 10, 25, 50 %), each held duration/len(steps). Every
    interval the judge compares canary with stable in Prometheus (error rate,
    latency quantile, your PromQL checks) and prints the values, thresholds and
    verdict. Promoted: 100 % on the new version, the old one retired, the
    registry's production stage moved to --model-version. Rolled back: traffic
    back to stable, the canary removed, the registry untouched. Outputs:
    decision (promoted/rolled-back), reason.

    \b
    Exit codes: 0 promoted, 1 rolled back (or the registry refused the move),
    2 bad input before any traffic moved (config, router, Prometheus).
    """
    from mlci.commands import canary_deploy

    _publish(
        canary_deploy.run,
        "canary-deploy",
        config_path=config_path,
        prometheus_url=prometheus_url,
        interval=interval,
        model_version=model_version,
        no_registry=no_registry,
        from_stage=from_stage,
        push=push,
        steps=steps,
        duration=duration,
        on_interval=_echo_interval,
    )


@cli.command("blue-green-deploy", context_settings=CONTEXT_SETTINGS)
@_rollout_options
@click.option("--verify-duration", metavar="DURATION", help="Override verify_duration.")
def blue_green_deploy_cmd(
    config_path: Path, prometheus_url: str | None, interval: str | None,
    model_version: str | None, no_registry: bool, from_stage: str, push: bool,
    verify_duration: str | None,
) -> None:  # fmt: skip
    """Roll a new version out blue-green: verify green, switch, watch, retire blue.

    \b
    Settings: deploy.production.blue_green in mlci.yaml (flags override). The
    router deploys green beside blue; the verify command runs against green's
    endpoint (MLCI_ENDPOINT); all traffic switches; for verify_duration the
    judge compares green with blue's traffic from before the switch. Promoted:
    blue retired, the registry's production stage moved. A failed verification
    or a bad verdict switches back to blue. Outputs: decision, reason.

    \b
    Exit codes: 0 promoted, 1 rolled back, 2 bad input before any traffic moved.
    """
    from mlci.commands import blue_green_deploy

    _publish(
        blue_green_deploy.run,
        "blue-green-deploy",
        config_path=config_path,
        prometheus_url=prometheus_url,
        interval=interval,
        model_version=model_version,
        no_registry=no_registry,
        from_stage=from_stage,
        push=push,
        verify_duration=verify_duration,
        on_interval=_echo_interval,
    )


@cli.command("canary-analyze", context_settings=CONTEXT_SETTINGS)
@config_option
@click.option("--prometheus-url", metavar="URL", help="Override prometheus.url.")
@click.option(
    "--lookback", metavar="DURATION", help="Replay the last DURATION of recorded data. [30m]"
)
@click.option("--duration", metavar="DURATION", help="Judge live for DURATION instead.")
@click.option("--interval", metavar="DURATION", help="Analysis interval. [canary.interval]")
def canary_analyze_cmd(
    config_path: Path, prometheus_url: str | None, lookback: str | None,
    duration: str | None, interval: str | None,
) -> None:  # fmt: skip
    """Judge a canary against stable in Prometheus without touching traffic.

    \b
    Uses the checks of deploy.production.canary in mlci.yaml (defaults when
    there is no mlci.yaml): over the last --lookback of recorded data replayed
    interval by interval, or live for --duration. Judges rollouts made by
    other tools too. Outputs: decision (healthy/unhealthy), reason.

    \b
    Example:
      mlci canary-analyze --prometheus-url http://prometheus:9090 --lookback 30m

    \b
    Exit codes: 0 healthy, 1 unhealthy, 2 bad input (URL, durations, PromQL,
    unreachable Prometheus).
    """
    from mlci.commands import canary_analyze

    _publish(
        canary_analyze.run,
        "canary-analyze",
        config_path=config_path,
        prometheus_url=prometheus_url,
        lookback=lookback,
        duration=duration,
        interval=interval,
        on_interval=_echo_interval,
    )


# --------------------------------------------------------------------------- fetch-model


@cli.command(
    "fetch-model",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Example:
  mlci fetch-model --stage production --dest /tmp/model
  mlci fetch-model --version v0.0.3 --dest "$RUNNER_TEMP/model" """,
)
@_registry_options
@click.option(
    "--version",
    "--model-version",
    "model_version",
    metavar="V",
    help="The version to fetch, e.g. v0.0.3 (git) or 7 (mlflow).",
)
@click.option(
    "--stage", metavar="STAGE", help="Fetch the version that holds this stage, e.g. production."
)
@click.option(
    "--dest",
    required=True,
    type=click.Path(path_type=Path),
    help="A new (or empty) folder for the files; written only once they are verified.",
)
@click.option(
    "--from-dir",
    "from_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Take the files from this folder (the downloaded workflow artifact of train) "
    "instead of the store; they are verified the same way.",
)
@click.option("--fetch", is_flag=True, help="git: fetch the tags of origin first.")
@click.option(
    "--verify-attestation",
    "verify_attestation",
    is_flag=True,
    help="Also verify the build provenance attestation of the digest (registry.attest) with "
    "gh attestation verify, for $GITHUB_REPOSITORY; needs gh 2.49 or later.",
)
def fetch_model_cmd(
    model_name: str | None,
    config_name: str | None,
    backend: str,
    root: Path,
    tracking_uri: str | None,
    model_version: str | None,
    stage: str | None,
    dest: Path,
    from_dir: Path | None,
    fetch: bool,
    verify_attestation: bool,
) -> None:
    """Fetch a registered version's model files and verify them against its digest.

    Downloads into a temp folder beside --dest, checks every file against the
    SHA-256 manifest recorded with the version, and only then renames it to
    --dest. Inside GitHub Actions writes the outputs model, model_version,
    model_dir and digest.

    \b
    Exit codes: 0 fetched and verified, 2 anything else (a file differs, is
    missing or extra; the store is unreachable or keeps nothing; unknown
    version; no version holds the stage, or it is misspelt: "did you mean";
    with --verify-attestation: no gh, or the attestation does not verify) —
    --dest is then left as it was.
    """
    from mlci.commands import fetch_model

    _publish(
        fetch_model.run,
        "fetch-model",
        model=model_name,
        config_path=Path(config_name) if config_name else None,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        fetch=fetch,
        version=model_version or None,
        stage=stage or None,
        dest=dest,
        from_dir=from_dir,
        verify_attestation=verify_attestation,
    )


# --------------------------------------------------------------------------- doctor


@cli.command("doctor", context_settings=CONTEXT_SETTINGS)
@config_option
def doctor_cmd(config_path: Path) -> None:
    """Check that each step mlci.yaml generates would run on this repository.

    Reads files only, runs nothing: files named in mlci.yaml exist, test folders
    hold tests, the train script exists and gets the arguments it requires, the
    metrics file is one the training writes, the tools the lint, test, train and
    data steps call are installed by the install step, and the gate has a
    threshold. mlci init runs it on what it wrote.

    \b
    Exit codes: 0 no problems (warnings allowed), 1 a step would fail,
    2 invalid mlci.yaml.
    Example:  mlci doctor --config mlci.yaml
    """
    from mlci.commands import doctor

    _publish(doctor.run, "doctor", config_path=config_path)


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        with click.Context(cli, info_name="mlci") as ctx:
            click.echo(cli.get_help(ctx))
        return EXIT_OK
    with error_handler() as code:
        try:
            cli.main(args=args, prog_name="mlci", standalone_mode=False)
        except click.exceptions.Exit as exc:
            code[0] = exc.exit_code
        except click.ClickException as exc:
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            raise UsageError(exc.format_message()) from None
        except click.exceptions.Abort:
            raise UsageError("aborted") from None
    return code[0]


__all__ = ["EXIT_FAILED", "EXIT_OK", "cli", "main"]
