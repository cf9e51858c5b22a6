"""The command line: a thin click layer over the core functions.

Each subcommand parses its options, calls one keyword-only core function and
prints what it returns. Core functions never print and never exit; exit codes
are decided in one place, :func:`mlci.errors.error_handler`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlci import __version__
from mlci.errors import EXIT_FAILED, EXIT_OK, CheckFailed, UsageError, error_handler

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
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
    After edits: mlci generate        re-render .github/workflows from mlci.yaml
    In CI:       mlci check           fail when the workflows are stale
                 mlci lint            actionlint + zizmor over the workflows

    Exit codes: 0 ok, 1 a gate said no (stale, findings, model rejected),
    2 bad usage or config, 3 unexpected error (rerun with MLCI_DEBUG=1).
    """


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
@click.option("-y", "--yes", is_flag=True, help="Accept detected values without asking.")
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
    yes: bool,
    force: bool,
) -> None:
    """Scaffold mlci.yaml in an existing repository and render its workflows.

    Detects requirements files, test folders (tests/unit, tests/data,
    tests/model, tests/integration), the Python version (.python-version or
    requires-python), dvc.yaml and a Dockerfile; writes a commented mlci.yaml
    and .github/workflows/{ml-pipeline,continuous-training}.yml; prints the
    secrets and GitHub environments to set up next. Never overwrites an
    existing mlci.yaml or workflow without --force.
    """
    from mlci import scaffold

    answers = scaffold.Answers(
        train_command=train_command,
        model=model_name,
        backend=backend,
        strategy=strategy,
        python_version=python_version,
        actions_repository=actions_repository,
        actions_ref=actions_ref,
    )
    if not yes and sys.stdin.isatty():
        answers = scaffold.ask(path, answers, prompt=click.prompt)
    result = scaffold.init(root=path, answers=answers, force=force)
    for written in result.written:
        click.echo(f"wrote {written}")
    click.echo("")
    click.echo(result.next_steps)


@cli.command("generate", context_settings=CONTEXT_SETTINGS)
@config_option
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
def generate_cmd(config_path: Path, force: bool) -> None:
    """Re-render the generated workflows from mlci.yaml.

    Files whose content is unchanged are not touched. A generated file that
    was edited by hand (its content no longer matches the hash in its header)
    is not overwritten: the command exits 1 naming it, unless --force.
    Writes are atomic.
    """
    from mlci import render

    result = render.generate(config_path=config_path, force=force)
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.unchanged:
        click.echo(f"unchanged {path}")
    if result.refused:
        names = ", ".join(str(p) for p in result.refused)
        raise CheckFailed(
            f"not overwritten, edited by hand: {names}; keep your edit in mlci.yaml and rerun, "
            "or rerun with --force to discard it"
        )


@cli.command("check", context_settings=CONTEXT_SETTINGS)
@config_option
def check_cmd(config_path: Path) -> None:
    """Fail (exit 1) when a generated file is stale or was edited by hand.

    Prints a unified diff of each file against what mlci.yaml renders. The
    generated pipeline runs this as its first, cheap job.
    """
    from mlci import render

    problems = render.check(config_path=config_path)
    if not problems:
        click.echo("generated files are up to date")
        return
    for problem in problems:
        click.echo(problem.diff, nl=False)
    summary = "; ".join(f"{p.path}: {p.reason}" for p in problems)
    raise CheckFailed(f"{summary}. Run `mlci generate` and commit the result.")


@cli.command("lint", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=".",
    show_default=True,
    help="Repository whose .github/workflows and actions/ are linted when no PATHS are given.",
)
def lint_cmd(paths: tuple[Path, ...], root: Path) -> None:
    """Run actionlint and zizmor --offline over the workflows (and actions/).

    Lists every finding; exits 1 if there is any.
    """
    from mlci import lint

    report = lint.lint(root=root, paths=list(paths))
    for finding in report.findings:
        click.echo(finding.render())
    click.echo(report.summary())
    if report.findings:
        raise CheckFailed("")


@cli.command("schema", context_settings=CONTEXT_SETTINGS)
def schema_cmd() -> None:
    """Print the JSON Schema of mlci.yaml (for editors and validators)."""
    import json

    from mlci import config

    click.echo(json.dumps(config.json_schema(), indent=2, sort_keys=False))


# --------------------------------------------------------------------------- validate-model


@cli.command("validate-model", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--metrics",
    "metrics_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=True),
    help="Metrics of the candidate model: JSON or YAML, flat or nested (keys a.b).",
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
    "--report-json",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the verdict as JSON to this file (written when rejected, too).",
)
def validate_model_cmd(
    metrics_path: Path,
    config_name: str | None,
    thresholds: tuple[str, ...],
    baseline_spec: str | None,
    max_regression: str | None,
    regression: str | None,
    report_json: Path | None,
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
    from mlci import gate, gha

    verdict = gate.run(
        metrics_path=metrics_path,
        config_path=Path(config_name) if config_name else None,
        threshold_args=thresholds,
        baseline_spec=baseline_spec,
        max_regression=max_regression,
        regression=regression,
    )
    report = gate.report_json(verdict)
    if report_json is not None:
        try:
            report_json.write_text(gate.report_json(verdict, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{report_json}: cannot write the report: {exc.strerror}") from None
    click.echo(gate.render_text(verdict), nl=False)
    if gha.in_actions():
        for notice in verdict.notices:
            gha.notice(notice, title="validate-model")
        for failure in verdict.failures:
            gha.error(failure, title="validate-model")
        gha.add_summary(gate.render_markdown(verdict))
        gha.set_outputs({"passed": "true" if verdict.passed else "false", "report": report})
    if not verdict.passed:
        raise CheckFailed(gate.summary_line(verdict))
    click.echo(gate.summary_line(verdict))


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


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


__all__ = ["EXIT_FAILED", "EXIT_OK", "cli", "main", "run"]
