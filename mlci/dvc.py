"""DVC, run as the ``dvc`` command: the one place mlci calls it.

The dvc store keeps a version's model files on the repository's DVC remote
without touching the repository: mlci makes a scratch DVC project (no git) with
the repository's remote settings (``.dvc/config`` and ``.dvc/config.local``,
relative local remote paths made absolute), adds the files as one folder and
pushes it. What it records is DVC's own locator of that folder: the ``.dir``
object's MD5 with its size and file count, and the remote's name. Fetching
writes that ``.dvc`` file into a fresh scratch project and runs ``dvc pull``.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from mlci.errors import UsageError, one_line
from mlci.manifest import Manifest

FOLDER = "model"


def _executable() -> str | None:
    """The project's ``dvc`` on PATH (installed with the remote's extra, e.g. dvc[s3]), else
    the one beside the Python running mlci (the actions' ``extras: dvc``)."""
    beside = Path(sys.executable).parent / "dvc"
    return shutil.which("dvc") or (str(beside) if beside.is_file() else None)


def available() -> bool:
    return _executable() is not None


def run(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``dvc ARGS`` in ``cwd``; a failure is UsageError with DVC's own message."""
    exe = _executable()
    if exe is None:
        raise UsageError(
            "dvc is not installed; the dvc store needs it (pip install dvc, with the "
            "extra of your remote, e.g. dvc[s3])"
        )
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(
        [exe, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        detail = one_line(proc.stderr or proc.stdout)[:400]
        raise UsageError(f"dvc {args[0]} failed: {detail}")
    return proc


_REMOTE_SECTION = re.compile(r"""^'?remote "(?P<name>[^"]+)"'?$""")


def _read_config(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    if path.is_file():
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise UsageError(f"{path}: cannot read the DVC config: {one_line(str(exc))}") from None
    return parser


@contextmanager
def scratch_project(repo: Path, *, remote: str | None) -> Iterator[tuple[Path, str]]:
    """A DVC project in a temp folder with ``repo``'s remotes; yields (its path, the remote).

    ``repo``'s ``.dvc/config`` and ``.dvc/config.local`` are copied with local remote
    paths made absolute (DVC reads them relative to the config file) and ``no_scm`` set.
    """
    config_dir = repo.absolute() / ".dvc"
    if not (config_dir / "config").is_file():
        raise UsageError(
            f"{repo}: no .dvc/config; the dvc store pushes to the repository's DVC remote "
            "(dvc init && dvc remote add -d storage <url>), or set registry.store"
        )
    configs = {name: _read_config(config_dir / name) for name in ("config", "config.local")}
    names: set[str] = set()
    default = None
    for parser in configs.values():
        default = parser.get("core", "remote", fallback=default)
        for section in parser.sections():
            match = _REMOTE_SECTION.match(section)
            if not match:
                continue
            names.add(match["name"])
            url = parser.get(section, "url", fallback="")
            if url and "://" not in url and not os.path.isabs(url):
                parser.set(section, "url", os.path.normpath(config_dir / url))
    if remote is None or remote not in names:
        remote = default
    if not remote:
        raise UsageError(
            f"{repo}: the DVC project has no default remote; the dvc store pushes there "
            "(dvc remote add -d storage <url>)"
        )
    if not configs["config"].has_section("core"):
        configs["config"].add_section("core")
    configs["config"].set("core", "no_scm", "true")
    scratch = Path(tempfile.mkdtemp(prefix="mlci-dvc-"))
    try:
        (scratch / ".dvc").mkdir()
        for name, parser in configs.items():
            with (scratch / ".dvc" / name).open("w", encoding="utf-8") as fh:
                parser.write(fh)
        yield scratch, remote
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def push(repo: Path, files_root: Path, manifest: Manifest) -> dict[str, Any]:
    """Push the manifest's files (read below ``files_root``) to ``repo``'s default DVC remote.

    Returns the locator recorded with the version.
    """
    with scratch_project(repo, remote=None) as (scratch, remote):
        folder = scratch / FOLDER
        for entry in manifest.files:
            target = folder / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files_root / entry.path, target)
        run("add", "-q", FOLDER, cwd=scratch)
        run("push", "-q", "-r", remote, f"{FOLDER}.dvc", cwd=scratch)
        out = _out(scratch / f"{FOLDER}.dvc")
        return {
            "remote": remote,
            "md5": out["md5"],
            "size": out.get("size"),
            "nfiles": out.get("nfiles"),
        }


def pull(repo: Path, location: Mapping[str, Any], dest: Path) -> None:
    """Pull the folder ``location`` names from the DVC remote into ``dest`` (not yet there)."""
    md5 = location.get("md5")
    if not isinstance(md5, str) or not md5.endswith(".dir"):
        raise UsageError("the version's dvc store record names no DVC folder object")
    remote = location.get("remote")
    with scratch_project(repo, remote=remote if isinstance(remote, str) else None) as (
        scratch,
        name,
    ):
        out: dict[str, Any] = {"md5": md5, "hash": "md5", "path": FOLDER}
        for key in ("size", "nfiles"):
            if isinstance(location.get(key), int):
                out[key] = location[key]
        (scratch / f"{FOLDER}.dvc").write_text(yaml.safe_dump({"outs": [out]}, sort_keys=False))
        run("pull", "-q", "-r", name, f"{FOLDER}.dvc", cwd=scratch)
        folder = scratch / FOLDER
        if not folder.is_dir():
            raise UsageError(f"dvc pull brought no files for {md5} from {name}")
        shutil.move(str(folder), str(dest))


def _out(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    outs = data.get("outs") if isinstance(data, dict) else None
    if not isinstance(outs, list) or not outs or not isinstance(outs[0], dict):
        raise UsageError(f"dvc add wrote an unexpected {path.name}")
    return dict(outs[0])


__all__ = ["available", "pull", "push", "run", "scratch_project"]
