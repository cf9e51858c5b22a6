"""actions/install-mlci.sh, which every mlci action runs first: uv at the exact, hash-checked
version of actions/uv-requirements.txt installs mlci into a private virtual environment under
$RUNNER_TEMP; pip is the fallback; nothing lands in the user's environment or caches. The
installing tests download from PyPI, as a fresh runner does."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import clean_env

import mlci

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "uv_requirements", ROOT / "scripts" / "uv_requirements.py"
)
assert _spec is not None and _spec.loader is not None
uv_requirements = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(uv_requirements)
SCRIPT = ROOT / "actions" / "install-mlci.sh"
REQUIREMENTS = ROOT / "actions" / "uv-requirements.txt"
LINE = re.compile(
    r"^uv @ https://files\.pythonhosted\.org/packages/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/"
    r"uv-(?P<version>\d+\.\d+\.\d+)-py3-none-(?P<tags>[a-z0-9_.]+)\.whl ; (?P<marker>.+) \\$"
)


# --------------------------------------------------------------------------- the hash lock


def requirement_lines() -> list[tuple[re.Match[str], str]]:
    lines = [line for line in REQUIREMENTS.read_text().splitlines() if not line.startswith("#")]
    pairs = []
    for head, tail in zip(lines[::2], lines[1::2], strict=True):
        match = LINE.match(head)
        assert match is not None, head
        pairs.append((match, tail))
    return pairs


def test_uv_is_one_exact_version_with_a_sha256_per_platform() -> None:
    pairs = requirement_lines()
    assert len({m["version"] for m, _ in pairs}) == 1
    for _, tail in pairs:
        assert re.fullmatch(r"    --hash=sha256:[0-9a-f]{64}", tail), tail
    markers = {m["marker"] for m, _ in pairs}
    for system, machines in {
        "linux": ("x86_64", "aarch64"),
        "darwin": ("x86_64", "arm64"),
        "win32": ("AMD64", "ARM64"),
    }.items():
        for machine in machines:
            assert f'sys_platform == "{system}" and platform_machine == "{machine}"' in markers


def test_the_lock_is_what_the_generator_writes() -> None:
    pairs = requirement_lines()
    version = pairs[0][0]["version"]
    files = [
        {
            "filename": f"uv-{version}-py3-none-{m['tags']}.whl",
            "url": m.group(0).split(" ", 2)[2].split(" ;")[0],
            "digests": {"sha256": tail.split(":")[1]},
        }
        for m, tail in pairs
    ]
    assert uv_requirements.render(version, files) == REQUIREMENTS.read_text()
    with pytest.raises(uv_requirements.Missing, match="PyPI has no uv-"):
        uv_requirements.render(version, files[1:])


def test_the_script_passes_shellcheck() -> None:
    proc = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


# --------------------------------------------------------------------------- installing


def install(
    runner_temp: Path, home: Path, *args: str, installer: str | None = None, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        {
            "RUNNER_TEMP": str(runner_temp),
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PIP_NO_CACHE_DIR": "1",
        }
    )
    env.pop("VIRTUAL_ENV", None)
    if installer:
        env["MLCI_INSTALLER"] = installer
    return subprocess.run(
        ["bash", str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def copy_checkout(dest: Path) -> Path:
    """What an action's checkout of mlci holds, copied from this one."""
    for name in ("mlci", "templates", "actions"):
        shutil.copytree(
            ROOT / name, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def venv_env() -> dict[str, str]:
    """As a job step runs the venv's mlci: no PYTHONPATH naming a checkout of ours."""
    env = clean_env()
    env.pop("PYTHONPATH", None)
    return env


def version_of(mlci_path: str) -> str:
    proc = subprocess.run(
        [mlci_path, "--version"], capture_output=True, text=True, check=False, env=venv_env()
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.slow
def test_uv_installs_mlci_privately_and_a_second_call_is_instant(tmp_path: Path) -> None:
    runner_temp, home = tmp_path / "runner-temp", tmp_path / "home"
    runner_temp.mkdir()
    home.mkdir()
    proc = install(runner_temp, home)
    assert proc.returncode == 0, proc.stderr
    venv = runner_temp / "mlci-venv"
    assert proc.stdout == f"{venv}/bin/mlci\n"
    assert "falling back" not in proc.stderr
    assert version_of(proc.stdout.strip()) == f"mlci, version {mlci.__version__}"
    # the exact, hash-checked uv, in the private folder; the venv is uv's (no pip in it)
    uv = runner_temp / "mlci-uv" / "bin" / "uv"
    version = requirement_lines()[0][0]["version"]
    assert subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.startswith(
        f"uv {version} "
    )
    assert not (venv / "bin" / "pip").exists()
    # nothing in the user's home or caches; only our two folders in the runner's temp
    # (.rustup: pip runs `rustc --version` for its user agent, which rustup's proxy answers)
    assert [p.name for p in home.iterdir() if p.name != ".rustup"] == []
    assert sorted(p.name for p in runner_temp.iterdir()) == ["mlci-uv", "mlci-venv"]
    # the mlci in the venv is this checkout's
    probe = subprocess.run(
        [venv / "bin" / "python", "-c", "import mlci; print(mlci.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=venv_env(),
    )
    assert probe.stdout.strip() == str(ROOT / "mlci" / "__init__.py")

    start = time.monotonic()
    again = install(runner_temp, home)
    assert again.returncode == 0 and again.stdout == proc.stdout
    assert time.monotonic() - start < 1.0
    assert (venv / ".mlci-installed").read_text() == (
        f"mlci {mlci.__version__} from {ROOT}\nextras: \n"
    )

    # another ref of mlci in the same job (another checkout, another version) installs
    # again instead of running the first one's mlci, and so does the first one after it
    other = copy_checkout(tmp_path / "other")
    init = other / "mlci" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{mlci.__version__}"', '"9.9.9"'))
    proc = install(runner_temp, home, script=other / "actions" / "install-mlci.sh")
    assert proc.returncode == 0, proc.stderr
    assert version_of(proc.stdout.strip()) == "mlci, version 9.9.9"
    back = install(runner_temp, home)
    assert back.returncode == 0, back.stderr
    assert version_of(back.stdout.strip()) == f"mlci, version {mlci.__version__}"


@pytest.mark.slow
def test_extras_are_installed_on_a_second_call(tmp_path: Path) -> None:
    runner_temp, home = tmp_path / "runner-temp", tmp_path / "home"
    runner_temp.mkdir()
    home.mkdir()
    assert install(runner_temp, home).returncode == 0
    python = runner_temp / "mlci-venv" / "bin" / "python"
    has_mlflow = [python, "-c", "import mlflow"]
    assert subprocess.run(has_mlflow, capture_output=True).returncode != 0
    proc = install(runner_temp, home, "mlflow")
    assert proc.returncode == 0, proc.stderr
    assert subprocess.run(has_mlflow, capture_output=True).returncode == 0


@pytest.mark.slow
def test_a_wrong_hash_is_refused_and_pip_takes_over(tmp_path: Path) -> None:
    # a copy of the checkout whose lock names a hash that no uv wheel has
    checkout = copy_checkout(tmp_path / "mlci")
    lock = checkout / "actions" / "uv-requirements.txt"
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, lock.read_text()))
    runner_temp, home = tmp_path / "runner-temp", tmp_path / "home"
    runner_temp.mkdir()
    home.mkdir()
    proc = install(runner_temp, home, script=checkout / "actions" / "install-mlci.sh")
    assert proc.returncode == 0, proc.stderr
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in proc.stderr
    assert "install-mlci.sh: uv could not install mlci; falling back to pip" in proc.stderr
    assert not (runner_temp / "mlci-uv" / "bin" / "uv").exists()
    assert (runner_temp / "mlci-venv" / "bin" / "pip").exists()
    assert version_of(proc.stdout.strip()) == f"mlci, version {mlci.__version__}"


@pytest.mark.slow
def test_mlci_installer_pip_is_the_old_path(tmp_path: Path) -> None:
    runner_temp, home = tmp_path / "runner-temp", tmp_path / "home"
    runner_temp.mkdir()
    home.mkdir()
    proc = install(runner_temp, home, installer="pip")
    assert proc.returncode == 0, proc.stderr
    assert not (runner_temp / "mlci-uv").exists()
    assert (runner_temp / "mlci-venv" / "bin" / "pip").exists()
    assert version_of(proc.stdout.strip()) == f"mlci, version {mlci.__version__}"


def test_too_old_a_python_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(
        '#!/bin/sh\nexec "$REAL" -c "import sys; sys.exit(\'mlci needs Python >= 3.10; set the python-version input\')"\n'
    )
    (fake / "python3").chmod(0o755)
    env = clean_env(
        {
            "RUNNER_TEMP": str(tmp_path),
            "PATH": f"{fake}:{os.environ['PATH']}",
            "REAL": sys.executable,
        }
    )
    proc = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "mlci needs Python >= 3.10; set the python-version input" in proc.stderr
    assert proc.stdout == ""
