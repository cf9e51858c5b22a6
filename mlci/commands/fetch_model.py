"""``mlci fetch-model``: a registered version's files, verified against its recorded digest.

The files come from the version's store (:mod:`mlci.stores`) or, inside the run
that trained them, from a folder the workflow artifact of ``train`` was
downloaded into (``from_dir``). Either way they land in a temp folder beside
``dest``, are verified against the manifest recorded with the version, and
only then are renamed to ``dest``. A mismatch, a missing file or store, or an
unreachable store is a :class:`~mlci.errors.UsageError` (exit 2) and leaves
nothing in ``dest``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlci import gh, manifest, stores
from mlci.commands import Result
from mlci.errors import UsageError
from mlci.manifest import Manifest
from mlci.registry import ModelVersion


@dataclass(frozen=True)
class FetchModelResult(Result):
    model: str
    version: str
    digest: str
    dest: Path
    source: str  # the store's name, or "workflow artifact"
    files: int
    size: int
    #: The repository whose attestation of the digest ``gh attestation verify`` accepted.
    attested_by: str | None = None

    def render_text(self) -> str:
        attested = f"; attestation verified for {self.attested_by}" if self.attested_by else ""
        return (
            f"fetched {self.model} {self.version} from {self.source} into {self.dest}: "
            f"{self.files} file{'s' if self.files != 1 else ''}, "
            f"{manifest.human_size(self.size)}, {self.digest} (verified{attested})\n"
        )

    def render_markdown(self) -> str:
        return (
            f"### Model files of `{self.model}` {self.version}\n\n"
            f"Verified {self.files} file(s), {manifest.human_size(self.size)}, "
            f"from {self.source}: `{self.digest}`\n"
            + (
                f"\nIts build provenance attestation verified for {self.attested_by}.\n"
                if self.attested_by
                else ""
            )
        )

    def outputs(self) -> Mapping[str, str]:
        return {
            "model": self.model,
            "model_version": self.version,
            "model_dir": str(self.dest),
            "digest": self.digest,
        }


def _check_dest(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise UsageError(f"--dest {dest} exists and is not a folder; name a new folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise UsageError(f"--dest {dest} is not empty; name a new or empty folder")


def _prefixes(expected: Manifest) -> list[str]:
    """Folders a workflow artifact may have stripped from the paths, longest first.

    ``actions/upload-artifact`` roots an artifact at the common ancestor of the paths
    it was given, so ``models/`` alone uploads ``weights.json`` without ``models/``.
    """
    parents = [PurePosixPath(e.path).parent.parts for e in expected.files]
    common: list[str] = []
    for parts in zip(*parents, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return ["/".join(common[:n]) for n in range(len(common), -1, -1)]


def _copy_from_dir(source: Path, expected: Manifest, target: Path) -> None:
    """Copy ``source`` into ``target``, putting back the folder the artifact stripped."""
    found = manifest.scan(source)
    have = {e.path for e in found.files}
    want = [e.path for e in expected.files]

    def hits(prefix: str) -> int:
        return sum(1 for p in want if (p[len(prefix) + 1 :] if prefix else p) in have)

    prefix = max(_prefixes(expected), key=hits)  # max keeps the first (longest) of ties
    target.mkdir()
    for entry in found.files:
        dest = target / prefix / entry.path if prefix else target / entry.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / entry.path, dest)


def run(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    dest: Path,
    version: str | None = None,
    stage: str | None = None,
    from_dir: Path | None = None,
    fetch: bool = False,
    verify_attestation: bool = False,
) -> FetchModelResult:
    """Fetch ``version`` (or the version holding ``stage``) of ``model`` into ``dest``.

    ``verify_attestation``: also have ``gh attestation verify`` check the build provenance
    attestation of the digest (``registry.attest``) for ``$GITHUB_REPOSITORY``.
    """
    from mlci.commands._registry import open_registry
    from mlci.names import stage_for

    if (version is None) == (stage is None):
        raise UsageError("name exactly one of --version V or --stage S")
    ctx = open_registry(
        model=model,
        config_path=config_path,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        fetch=fetch,
    )
    return fetch_files(
        registry=ctx.registry,
        model=ctx.model,
        dest=dest,
        version=version,
        stage=stage_for(stage, ctx.stages) if stage else None,
        from_dir=from_dir,
        root=root,
        verify_attestation=verify_attestation,
    )


def fetch_files(
    *,
    registry: Any,
    model: str,
    dest: Path,
    version: str | None,
    stage: str | None,
    from_dir: Path | None,
    root: Path,
    verify_attestation: bool = False,
) -> FetchModelResult:
    """Fetch from an open ``registry``: the store (or ``from_dir``), verify, rename."""
    repo = os.environ.get("GITHUB_REPOSITORY", "") if verify_attestation else ""
    if verify_attestation and not repo:
        raise UsageError(
            "--verify-attestation needs the repository that attested the model: set "
            "GITHUB_REPOSITORY=owner/name (Actions sets it)"
        )
    if version is not None:
        found: ModelVersion = registry.get(model, version)
        what = f"{model} {found.version}"
    else:
        holder = registry.resolve(model, str(stage))
        if holder is None:
            raise UsageError(f"no version of {model} holds {stage}; there is nothing to fetch")
        found = holder
        what = f"{model} {found.version} ({stage})"
    if found.files is None:
        raise UsageError(
            f"{what} records no model files (registered without train.artifacts); "
            "there is no digest to verify against"
        )
    files = found.files
    _check_dest(dest)
    parent = dest.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".mlci-fetch-", dir=parent))
    try:
        incoming = scratch / "files"
        if from_dir is not None:
            if not from_dir.is_dir():
                raise UsageError(f"--from-dir {from_dir}: no such folder")
            _copy_from_dir(from_dir, files.manifest, incoming)
            source = "the workflow artifact"
        else:
            stores.download(
                files,
                registry=registry,
                root=root,
                dest=incoming,
                what=what,
                model=model,
                version=found.version,
            )
            source = files.store
        if not incoming.is_dir():
            raise UsageError(f"{what}: the {source} store returned no files")
        manifest.verify(incoming, files.manifest, what=f"{what}'s files from {source}")
        if verify_attestation:
            # A file of the manifest's lines has the model's digest: gh checks the attestation
            # of that digest, which covers every file through the manifest just verified.
            subject = scratch / "manifest.txt"
            subject.write_bytes(files.manifest.text())
            gh.verify_attestation(
                subject, repo=repo, what=f"{what} ({files.digest})", token=_token()
            )
        if dest.is_dir():
            dest.rmdir()  # empty, checked above
        os.replace(incoming, dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return FetchModelResult(
        model=model,
        version=found.version,
        digest=files.digest,
        dest=dest,
        source=source,
        files=len(files.manifest.files),
        size=files.manifest.size,
        attested_by=repo or None,
    )


def _token() -> str | None:
    from mlci.registry import TOKEN_ENV

    return os.environ.get(TOKEN_ENV) or os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")


__all__: Sequence[str] = ["FetchModelResult", "fetch_files", "run"]
