"""The CLI's contract: help, version, exit codes, and prompts on a terminal.

These run ``python -m mlci`` as real processes (``mlci_process``): the boundary itself is
what they prove; the rest of the suite calls the same entry point in-process."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunMlci, clean_env

from mlci import __version__, errors


def test_no_arguments_prints_help(tmp_path: Path, mlci_process: RunMlci) -> None:
    proc = mlci_process(cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Usage: mlci")
    for command in ("init", "generate", "check", "lint", "schema"):
        assert f"  {command} " in proc.stdout


def test_version(tmp_path: Path, mlci_process: RunMlci) -> None:
    proc = mlci_process("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"mlci, version {__version__}"


@pytest.mark.parametrize("args", [["nope"], ["check", "--bogus"], ["init", "--backend", "s3"]])
def test_usage_errors_are_exit_2_without_traceback(
    tmp_path: Path, mlci_process: RunMlci, args: list[str]
) -> None:
    proc = mlci_process(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("mlci: error: ")


def test_console_script_and_module_agree(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "mlci"
    if not script.exists():
        pytest.skip("console script not installed beside this python")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == f"mlci, version {__version__}"


def run_in_handler(
    exc: BaseException, debug: bool, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    old = os.environ.pop("MLCI_DEBUG", None)
    if debug:
        os.environ["MLCI_DEBUG"] = "1"
    try:
        with errors.error_handler() as code:
            raise exc
    finally:
        os.environ.pop("MLCI_DEBUG", None)
        if old is not None:
            os.environ["MLCI_DEBUG"] = old
    return code[0], capsys.readouterr().err


def test_error_handler_maps_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_in_handler(errors.CheckFailed("model rejected"), False, capsys) == (
        1,
        "mlci: model rejected\n",
    )
    code, err = run_in_handler(errors.ConfigError("mlci.yaml:3: bad\nthing"), False, capsys)
    assert (code, err) == (2, "mlci: error: mlci.yaml:3: bad thing\n")
    code, err = run_in_handler(RuntimeError("boom"), False, capsys)
    assert code == 3
    assert "unexpected error (RuntimeError: boom)" in err and "MLCI_DEBUG=1" in err
    assert "Traceback" not in err
    code, err = run_in_handler(RuntimeError("boom"), True, capsys)
    assert code == 3 and "Traceback (most recent call last)" in err


def test_init_asks_on_a_terminal(ml_repo: Path) -> None:
    """With a terminal on stdin, init offers the detected values and takes the answers."""
    primary, secondary = pty.openpty()
    # an invalid backend is asked again; Enter takes the detected model name
    # and a threshold without a comparison too
    answers = b"python -m churn.train\n\ns3\nmlflow\ncanary\naccuracy\naccuracy>=0.7\n"
    os.write(primary, answers)
    proc = subprocess.run(
        [sys.executable, "-m", "mlci", "init"],
        cwd=ml_repo,
        stdin=secondary,
        capture_output=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    os.close(secondary)
    os.close(primary)
    assert proc.returncode == 0, proc.stderr
    assert b"Error: 's3' is not one of 'git', 'mlflow'." in proc.stdout + proc.stderr
    text = (ml_repo / "mlci.yaml").read_text()
    assert "command: python -m churn.train" in text
    assert "model: churn-model" in text  # the detected default, accepted with Enter
    assert "backend: mlflow" in text
    assert "strategy: canary" in text
    assert "has no comparison" in (proc.stdout + proc.stderr).decode()
    assert "    accuracy: {min: 0.7}\n" in text


def test_help_epilog_renders_as_written() -> None:
    """click's rewrapping once mangled it into `mlci validate-\\n  model  gate ...` (issue 9)."""
    proc = subprocess.run(
        [sys.executable, "-m", "mlci", "--help"],
        capture_output=True, text=True, env=clean_env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0
    assert "\n               mlci validate-model  gate a trained model (exit 1 rejects it)\n" in (
        proc.stdout
    )
    assert "\n               mlci retrain-trigger should continuous training retrain now?\n" in (
        proc.stdout
    )
