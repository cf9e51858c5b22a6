"""Where a registered version's files are kept, so any later job can fetch them by digest.

``registry.store`` picks the store; ``auto`` means ``mlflow`` for the mlflow
backend, ``dvc`` when the repository has ``.dvc/config``, else
``github-release`` (:func:`resolve`, when ``register-model`` runs without
``--store``; the generated pipeline resolves ``auto`` itself, from mlci.yaml
alone, and passes the store explicitly). Each store has two halves:

* :func:`prepare` (before the version is recorded) builds the manifest of
  ``train.artifacts`` and, for ``dvc``, pushes the files to the DVC remote, so
  the record names files that are already stored. The mlflow backend uploads
  them to the version's run inside ``register``; ``github-release`` uploads
  after the tag exists (:func:`publish`).
* :func:`download` gets the files of a recorded version into a new folder. The
  caller verifies them against the recorded manifest (see
  :mod:`mlci.commands.fetch_model`).

``none`` records the digest only: a deploy in the same run verifies the
workflow artifact against it, but a rollback cannot fetch the files again.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlci import manifest
from mlci.errors import UsageError
from mlci.manifest import ModelFiles

CHOICES = ("auto", *manifest.STORES)


def resolve(store: str, *, backend: str, root: Path) -> str:
    """The store ``registry.store`` means for this backend and repository."""
    if store not in CHOICES:
        raise UsageError(f"unknown registry.store {store!r}: use one of {', '.join(CHOICES)}")
    if store != "auto":
        return store
    if backend == "mlflow":
        return "mlflow"
    if (root / ".dvc" / "config").is_file():
        return "dvc"
    return "github-release"


@dataclass(frozen=True)
class Prepared:
    """The record to register with a version, and where its files are on disk."""

    files: ModelFiles
    root: Path


def prepare(
    *, root: Path, artifacts: Sequence[str], store: str, backend: str, push: bool = False
) -> Prepared | None:
    """The manifest of ``artifacts`` (relative to ``root``) and, for dvc, the pushed locator.

    None when no artifacts are named (nothing is recorded then). github-release records
    the repository when it is known; ``push`` (the files will be uploaded) requires it,
    before anything is recorded.
    """
    if not artifacts:
        return None
    chosen = resolve(store, backend=backend, root=root)
    if chosen == "mlflow" and backend != "mlflow":
        raise UsageError("registry.store: mlflow needs registry.backend: mlflow")
    if chosen == "github-release" and backend != "git":
        raise UsageError(
            "registry.store: github-release needs registry.backend: git "
            "(a release belongs to a version tag); use mlflow, dvc or none"
        )
    found = manifest.build(root, artifacts)
    location: dict[str, Any] = {}
    if chosen == "dvc":
        from mlci import dvc

        location = dvc.push(root, root, found)
    elif chosen == "github-release":
        # Needed to upload (--push) and to fetch; a local registration records it when known.
        repo = os.environ.get("GITHUB_REPOSITORY") or origin_repository(root)
        if push and not repo:
            repo = _repository(None)  # the one-line error: uploading needs it
        location = {"repository": repo} if repo else {}
    return Prepared(files=ModelFiles(manifest=found, store=chosen, location=location), root=root)


def download(
    files: ModelFiles,
    *,
    registry: Any,
    root: Path,
    dest: Path,
    what: str,
    model: str,
    version: str,
) -> None:
    """Get the recorded files into ``dest`` (a path that does not exist yet)."""
    if files.store == "none":
        raise UsageError(
            f"{what} was registered with registry.store: none; only its digest "
            f"({files.digest}) is recorded and its files cannot be fetched"
        )
    if files.store == "dvc":
        from mlci import dvc

        dvc.pull(root, files.location, dest)
        return
    if files.store == "mlflow":
        if getattr(registry, "backend", None) != "mlflow":
            raise UsageError(f"{what} keeps its files on MLflow; open the mlflow backend")
        registry.download_files(files, dest)
        return
    if files.store == "github-release":
        _download_release(files, model=model, version=version, dest=dest, what=what)
        return
    raise UsageError(
        f"{what} keeps its files in store {files.store!r}, which this mlci cannot fetch yet"
    )


# --------------------------------------------------------------------------- github-release


def asset_name(model: str, version: str) -> str:
    """The release asset of a version: ``churn-v0.0.3.tar.gz`` on release ``churn@v0.0.3``."""
    return f"{model.replace('/', '-')}-{version}.tar.gz"


_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
    r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def origin_repository(root: Path) -> str | None:
    """``owner/name`` of the ``origin`` remote when it is on github.com, else ``None``."""
    from mlci import git

    url = git.output("config", "--get", "remote.origin.url", cwd=root)
    match = _GITHUB_REMOTE.match(url or "")
    return match["repo"] if match else None


def _repository(files: ModelFiles | None) -> str:
    recorded = files.location.get("repository") if files is not None else None
    repo = recorded if isinstance(recorded, str) else os.environ.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError(
            "the github-release store needs the repository: set GITHUB_REPOSITORY=owner/name "
            "(Actions sets it) or an origin remote on github.com, or pick registry.store: dvc "
            "or none"
        )
    return repo


def _client() -> Any:
    from mlci.github import GitHub
    from mlci.registry import TOKEN_ENV

    gh = GitHub.from_env()
    gh.token = os.environ.get(TOKEN_ENV) or gh.token
    return gh


def tarball(root: Path, found: manifest.Manifest) -> bytes:
    """The manifest's files as a gzipped tar, byte for byte the same for the same files."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for entry in found.files:
            info = tarfile.TarInfo(entry.path)
            info.size = entry.size
            info.mode = 0o644
            with (root / entry.path).open("rb") as fh:
                tar.addfile(info, fh)
    return buffer.getvalue()


def publish(files: ModelFiles, *, root: Path, model: str, version: str) -> str:
    """Attach the files to the release of the version's tag (a pre-release that never
    becomes the repository's latest); a rerun finds the asset there and keeps it."""
    from mlci.github import NotFound, Unprocessable

    repo = _repository(files)
    tag = f"{model}@{version}"
    name = asset_name(model, version)
    gh = _client()
    try:
        release = gh.get_release_by_tag(repo, tag)
    except NotFound:
        try:
            release = gh.create_release(
                repo,
                tag,
                name=f"{model} {version}",
                body=f"Model files of {model} {version}: {files.manifest.summary()}.\n"
                "Fetch them verified with `mlci fetch-model`.",
                prerelease=True,
                make_latest="false",
            )
        except Unprocessable:  # created by a concurrent run in between
            release = gh.get_release_by_tag(repo, tag)
    if any(a.get("name") == name for a in gh.list_release_assets(repo, int(release["id"]))):
        return f"{repo} release {tag} already holds {name}"
    gh.upload_release_asset(release, name, tarball(root, files.manifest))
    return f"uploaded {name} to the {repo} release {tag}"


def _download_release(
    files: ModelFiles, *, model: str, version: str, dest: Path, what: str
) -> None:
    from mlci.github import NotFound

    repo = _repository(files)
    tag = f"{model}@{version}"
    name = asset_name(model, version)
    gh = _client()
    try:
        release = gh.get_release_by_tag(repo, tag)
    except NotFound:
        raise UsageError(
            f"{what}: {repo} has no release {tag}, so its files are missing "
            "(was it registered without --push?)"
        ) from None
    asset = next(
        (a for a in gh.list_release_assets(repo, int(release["id"])) if a.get("name") == name),
        None,
    )
    if asset is None:
        raise UsageError(f"{what}: the release {tag} of {repo} has no asset {name}")
    _extract(gh.download_release_asset(repo, int(asset["id"])), dest, what=what)


def _extract(data: bytes, dest: Path, *, what: str) -> None:
    """Unpack a release tarball into ``dest``: regular files at relative paths, nothing else."""
    dest.mkdir()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                rel = PurePosixPath(member.name)
                if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                    raise UsageError(
                        f"{what}: the release asset holds a path outside it: {member.name}"
                    )
                if member.isdir():
                    continue
                if not member.isfile():
                    raise UsageError(
                        f"{what}: the release asset holds a link or device: {member.name}"
                    )
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    continue
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UsageError(f"{what}: the release asset is not a readable tarball ({exc})") from None


__all__ = ["CHOICES", "Prepared", "asset_name", "download", "prepare", "publish", "resolve"]
