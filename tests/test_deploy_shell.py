"""mlci/deploy/shell.py: the one runner of the user's bash commands (the command router's
moves and blue-green's verification), run for real with bash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlci.commands.blue_green_deploy import verifier
from mlci.deploy.routers import CommandRouter, RouterError
from mlci.deploy.shell import LINE_LIMIT, OUTPUT_TAIL, run_user_command


def test_a_command_that_succeeds_keeps_its_output(tmp_path: Path) -> None:
    ran = run_user_command("pwd; echo to-stderr >&2", cwd=tmp_path, timeout=10)
    assert ran.ok and ran.returncode == 0 and ran.problem is None
    assert ran.output == f"{tmp_path}\nto-stderr\n"  # in cwd; stdout, then stderr


def test_env_is_added_to_the_jobs_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCI_TEST_FROM_THE_JOB", "job")
    monkeypatch.setenv("MLCI_MODEL_VERSION", "v1")
    ran = run_user_command(
        'echo "$MLCI_TEST_FROM_THE_JOB $MLCI_MODEL_VERSION"', cwd=tmp_path,
        env={"MLCI_MODEL_VERSION": "v7"}, timeout=10,
    )  # fmt: skip
    assert ran.output == "job v7\n"  # the caller's values win


def test_a_failure_names_the_exit_code_and_the_last_line_said(tmp_path: Path) -> None:
    ran = run_user_command(
        "echo starting; echo 'no capacity' >&2; echo; exit 3", cwd=tmp_path, timeout=10
    )
    assert not ran.ok and ran.returncode == 3
    assert ran.problem == "exited 3: no capacity"  # a trailing blank line is skipped
    silent = run_user_command("exit 1", cwd=tmp_path, timeout=10)
    assert silent.problem == "exited 1" and silent.output == ""


def test_output_and_the_message_are_bounded(tmp_path: Path) -> None:
    ran = run_user_command(
        f"head -c 5000 /dev/zero | tr '\\0' a; echo; head -c {LINE_LIMIT + 50} /dev/zero | tr '\\0' b; exit 1",
        cwd=tmp_path, timeout=10,
    )  # fmt: skip
    assert len(ran.output) == OUTPUT_TAIL and ran.output.endswith("b")
    assert ran.problem == "exited 1: " + "b" * LINE_LIMIT


def test_a_timeout_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    ran = run_user_command("echo begun; exec sleep 10", cwd=tmp_path, timeout=0.3)
    assert not ran.ok and ran.returncode is None
    assert ran.problem == "timed out after 0.3s"


def test_a_timeout_stops_what_the_command_started_and_keeps_its_output(tmp_path: Path) -> None:
    """A user's command that starts a server in the background and then hangs: the
    timeout stops the whole process group, not only bash, and what it printed is kept."""
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    ran = run_user_command(
        f"sleep 30 & echo $! > {pid_file}; echo waiting; wait", cwd=tmp_path, timeout=1
    )
    assert time.monotonic() - started < 10, "the timeout did not wait for the background child"
    assert ran.problem == "timed out after 1s" and ran.output == "waiting\n"
    child = int(pid_file.read_text())
    for _ in range(50):  # SIGKILL is asynchronous; a reaped or zombie child is stopped
        status = Path(f"/proc/{child}/status")
        if not status.exists() or "\nState:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the background child {child} outlived the timeout")


def test_a_command_gets_no_stdin(tmp_path: Path) -> None:
    """A command that reads stdin (a prompt) sees end of input at once instead of waiting
    on the job's stdin until the timeout. The runner runs in a process whose stdin is a
    pipe that stays open, as a job's can be (pytest's own stdin is /dev/null)."""
    script = (
        "import sys; from pathlib import Path; from mlci.deploy.shell import run_user_command;"
        "ran = run_user_command('read -r answer; echo \"got [$answer] $?\"', cwd=Path('.'),"
        " timeout=5); print(ran.problem or ran.output, end='')"
    )
    read_end, write_end = os.pipe()  # the write end stays open: no end of input
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, stdin=read_end,
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    finally:
        os.close(read_end)
        os.close(write_end)
    assert proc.stdout == "got [] 1\n", proc.stdout + proc.stderr


def test_a_command_that_cannot_start_is_a_problem(tmp_path: Path) -> None:
    ran = run_user_command("true", cwd=tmp_path / "gone", timeout=10)
    assert not ran.ok and ran.returncode is None
    assert ran.problem is not None and ran.problem.startswith("could not start: ")
    assert "gone" in ran.problem


def test_both_callers_put_what_ran_before_the_problem(tmp_path: Path) -> None:
    router = CommandRouter(
        set_weight_command="echo $MLCI_ROLLOUT_ACTION $MLCI_WEIGHT; echo full >&2; exit 4 # {weight}",
        cwd=tmp_path,
    )
    with pytest.raises(RouterError) as info:
        router.set_weight(30)
    command = "echo $MLCI_ROLLOUT_ACTION $MLCI_WEIGHT; echo full >&2; exit 4 # 30"
    assert str(info.value) == f"router set_weight ({command}) exited 4: full"
    assert router.moves[-1].output == "set_weight 30\nfull\n" and not router.moves[-1].ok

    verify = verifier(
        'test "$MLCI_ENDPOINT" = http://green:8080 || { echo "wrong endpoint" >&2; exit 1; }',
        endpoint="http://green:8080", cwd=tmp_path, env={}, timeout=10,
    )  # fmt: skip
    assert verify is not None and verify() is None
    slow = verifier("exec sleep 10", endpoint=None, cwd=tmp_path, env=None, timeout=0.2)
    assert slow is not None and slow() == "exec sleep 10 timed out after 0.2s"
    assert verifier(None, endpoint=None, cwd=tmp_path, env=None, timeout=1) is None
