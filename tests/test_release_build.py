"""The release workflow's build step, run here: ``python -m build`` makes an sdist and a wheel
of the version in mlci/__init__.py, the wheel carries the templates and the sdist the actions."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import clean_env

import mlci

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_build_makes_the_sdist_and_wheel_the_release_publishes(tmp_path: Path) -> None:
    # build from a clean export of the tracked files, as the release job's checkout is
    source = tmp_path / "src"
    source.mkdir()
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file() and not path.is_symlink():
            (source / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            (source / name.decode()).write_bytes(path.read_bytes())
        elif path.is_symlink():
            (source / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            (source / name.decode()).symlink_to(path.readlink())
    dist = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    version = mlci.__version__
    wheel = dist / f"mlci-{version}-py3-none-any.whl"
    sdist = dist / f"mlci-{version}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        assert any(n.startswith("mlci/templates/") for n in names), "templates in the wheel"
        assert "mlci/action_pins.json" in names
        metadata = whl.read(f"mlci-{version}.dist-info/METADATA").decode()
        assert f"\nVersion: {version}\n" in metadata
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
        for expected in (
            "actions/install-mlci.sh",
            "actions/check/action.yml",
            "CHANGELOG.md",
            "pyproject.toml",
        ):
            assert expected in members, expected
