"""SHA-256 manifests of a model's files: what training produced, recorded by digest.

A manifest lists every file under the paths ``train.artifacts`` names (files or
folders, relative to the repository), sorted by path, each with its size and
SHA-256. Its one top digest is the SHA-256 of the lines

    <sha256 hex>  <size>  <path>\\n

in path order (UTF-8), written ``sha256:<hex>``. Paths are POSIX and relative;
a model directory (``MLCI_MODEL_DIR``) holds the files at those same paths.

:func:`verify` compares a directory with a manifest and raises
:class:`mlci.errors.UsageError` with one line naming the first difference (a
changed, missing, extra or renamed file): fetched files that do not match
their recorded digest are never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mlci.errors import UsageError

ALGORITHM = "sha256"
#: The file a manifest is written to beside the model files (in the workflow artifact).
MANIFEST_FILE = "mlci-model.json"
_CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, order=True)
class Entry:
    """One file of a manifest."""

    path: str
    size: int
    sha256: str

    def line(self) -> str:
        return f"{self.sha256}  {self.size}  {self.path}\n"


@dataclass(frozen=True)
class Manifest:
    """The files of a model version, sorted by path, and their top digest."""

    files: tuple[Entry, ...]

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` over the sorted entry lines: one value names the whole model."""
        h = hashlib.sha256()
        for entry in self.files:
            h.update(entry.line().encode("utf-8"))
        return f"{ALGORITHM}:{h.hexdigest()}"

    def text(self) -> bytes:
        """The entry lines whose SHA-256 is :attr:`digest`: a file of these bytes has the
        model's digest, so an attestation of the digest can be verified with that file."""
        return "".join(entry.line() for entry in self.files).encode("utf-8")

    @property
    def size(self) -> int:
        return sum(e.size for e in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": ALGORITHM,
            "digest": self.digest,
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in self.files],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        separators = None if indent else (",", ":")
        return json.dumps(self.to_dict(), indent=indent, separators=separators, sort_keys=True)

    def summary(self) -> str:
        """``3 files, 1.2 MB, sha256:abcd…`` for terminals and job summaries."""
        count = len(self.files)
        return f"{count} file{'s' if count != 1 else ''}, {human_size(self.size)}, {self.digest}"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def sha256_file(path: Path) -> tuple[int, str]:
    """(size, hex SHA-256) of one file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _check_relative(text: str, *, what: str) -> PurePosixPath:
    raw = text.replace("\\", "/")
    rel = PurePosixPath(raw)
    if not raw.strip() or not rel.parts or rel.is_absolute() or ".." in rel.parts:
        raise UsageError(
            f"{what} {text!r} must be a path inside the repository, e.g. models/ (relative, no ..)"
        )
    if any(c in raw for c in "\n\r"):
        raise UsageError(f"{what} {text!r}: a path may not hold a line break")
    return rel


def _walk(root: Path, rel: PurePosixPath, *, what: str) -> Iterable[tuple[str, Path]]:
    """(relative POSIX path, real path) of every file at or below ``root/rel``."""
    top = root.joinpath(*rel.parts) if rel.parts else root
    if top.is_file():
        yield rel.as_posix(), top
        return
    if not top.exists():
        raise UsageError(
            f"{what} {rel.as_posix()!r} does not exist in {root}; did the training write it?"
        )
    if not top.is_dir():
        raise UsageError(f"{what} {rel.as_posix()!r} is neither a file nor a folder")
    if top.is_symlink():
        raise UsageError(
            f"{what} {rel.as_posix()!r} is a symbolic link to a folder; name the folder itself"
        )
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        for name in list(dirnames):
            if (here / name).is_symlink():
                raise UsageError(
                    f"{what}: {(here / name).relative_to(root).as_posix()} is a symbolic link "
                    "to a folder; copy the folder or name its target"
                )
        dirnames.sort()
        for name in sorted(filenames):
            path = here / name
            rel_path = path.relative_to(root).as_posix()
            if any(c in rel_path for c in "\n\r"):
                raise UsageError(f"{what}: {rel_path!r}: a file name may not hold a line break")
            if not path.is_file():
                raise UsageError(f"{what}: {rel_path} is not a regular file (a broken link?)")
            yield rel_path, path


def build(root: Path, paths: Sequence[str], *, what: str = "train.artifacts") -> Manifest:
    """The manifest of every file under ``paths`` (files or folders relative to ``root``)."""
    if not paths:
        raise UsageError(
            f"{what} is empty: name the files or folders the training writes, e.g. [models/]"
        )
    found: dict[str, Path] = {}
    for text in paths:
        rel = _check_relative(text, what=what)
        files = list(_walk(root, rel, what=what))
        if not files:
            raise UsageError(
                f"{what} {text!r} is an empty folder in {root}; did the training write into it?"
            )
        found.update(files)
    entries = []
    for rel_path, path in found.items():
        size, digest = sha256_file(path)
        entries.append(Entry(path=rel_path, size=size, sha256=digest))
    return Manifest(files=tuple(sorted(entries)))


def scan(directory: Path, *, ignore: Iterable[str] = ()) -> Manifest:
    """The manifest of every file below ``directory`` (paths relative to it)."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such folder of model files")
    skipped = set(ignore)
    entries = [
        Entry(path=rel, size=size, sha256=digest)
        for rel, path in _walk(directory, PurePosixPath(), what="model files")
        if rel not in skipped
        for size, digest in [sha256_file(path)]
    ]
    return Manifest(files=tuple(sorted(entries)))


# --------------------------------------------------------------------------- reading


def from_dict(data: Any, *, where: str) -> Manifest:
    """A manifest from its JSON form; a malformed one or a wrong top digest is UsageError."""
    bad = f"{where}: malformed model manifest"
    if not isinstance(data, Mapping) or data.get("algorithm") != ALGORITHM:
        raise UsageError(f"{bad} (expected an object with algorithm {ALGORITHM!r})")
    files = data.get("files")
    if not isinstance(files, list):
        raise UsageError(f"{bad} (no files list)")
    entries: list[Entry] = []
    for item in files:
        if not isinstance(item, Mapping):
            raise UsageError(f"{bad} (a file entry is not an object)")
        path, size, digest = item.get("path"), item.get("size"), item.get("sha256")
        if (
            not isinstance(path, str)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
            or not isinstance(digest, str)
            or len(digest) != 64
            or not set(digest) <= _HEX
        ):
            raise UsageError(f"{bad} (entry {item!r})")
        rel = _check_relative(path, what=f"{where}: manifest path")
        if rel.as_posix() != path:
            raise UsageError(f"{bad} (path {path!r} is not normalised)")
        entries.append(Entry(path=path, size=size, sha256=digest))
    if [e.path for e in entries] != sorted({e.path for e in entries}):
        raise UsageError(f"{bad} (paths not sorted or repeated)")
    manifest = Manifest(files=tuple(entries))
    recorded = data.get("digest")
    if recorded != manifest.digest:
        raise UsageError(
            f"{where}: model manifest's digest {recorded} does not match its files "
            f"({manifest.digest}); the record was altered"
        )
    return manifest


def loads(text: str, *, where: str) -> Manifest:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}:{exc.lineno}: malformed model manifest: {exc.msg}") from None
    return from_dict(data, where=where)


# --------------------------------------------------------------------------- the record

#: Where a version's files are kept (``registry.store``); ``none`` keeps only the digest.
STORES = ("github-release", "dvc", "mlflow", "none")


@dataclass(frozen=True)
class ModelFiles:
    """What a registry records with a version: the manifest and where the files are kept."""

    manifest: Manifest
    store: str
    #: Store-specific locator (a release tag and asset, a DVC object, an MLflow artifact path).
    location: Mapping[str, Any] = field(default_factory=dict)
    #: The serving image built from these files, ``name@sha256:…`` (image.build: after-training).
    image: str | None = None

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def to_dict(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "store": self.store,
            "location": dict(self.location),
            "manifest": self.manifest.to_dict(),
            **({"image": self.image} if self.image else {}),
        }


def files_from_dict(data: Any, *, where: str) -> ModelFiles:
    """The record :meth:`ModelFiles.to_dict` wrote; a malformed one is UsageError."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where}: malformed model files record (not an object)")
    store = data.get("store")
    location = data.get("location") or {}
    if store not in STORES or not isinstance(location, Mapping):
        raise UsageError(f"{where}: malformed model files record (store {store!r})")
    found = from_dict(data.get("manifest"), where=where)
    if data.get("digest") != found.digest:
        raise UsageError(
            f"{where}: the recorded digest {data.get('digest')} is not its manifest's "
            f"({found.digest}); the record was altered"
        )
    image = data.get("image")
    if image is not None and not (isinstance(image, str) and IMAGE_REF.match(image)):
        raise UsageError(f"{where}: malformed model files record (image {image!r})")
    return ModelFiles(manifest=found, store=str(store), location=dict(location), image=image)


#: An image pinned by digest, as the pipeline records and deploys it.
IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$")


def check_image(ref: str) -> str:
    """``ref`` when it names an image by digest (``name@sha256:<64 hex>``); else UsageError."""
    if not IMAGE_REF.match(ref):
        raise UsageError(
            f"--image {ref!r} is not an image pinned by digest; expected name@sha256:<64 hex>, "
            "e.g. ghcr.io/acme/churn@sha256:…"
        )
    return ref


# --------------------------------------------------------------------------- verifying


def differences(expected: Manifest, actual: Manifest) -> list[str]:
    """What differs, one phrase each, in path order: changed, renamed, missing, extra."""
    want = {e.path: e for e in expected.files}
    have = {e.path: e for e in actual.files}
    problems: list[str] = []
    missing = [want[p] for p in sorted(want.keys() - have.keys())]
    extra = [have[p] for p in sorted(have.keys() - want.keys())]
    extra_by_digest: dict[str, list[Entry]] = {}
    for entry in extra:
        extra_by_digest.setdefault(entry.sha256, []).append(entry)
    renamed: set[str] = set()
    for path in sorted(want.keys() & have.keys()):
        w, h = want[path], have[path]
        if w.size != h.size:
            problems.append(f"{path} is {h.size} bytes, {w.size} recorded")
        elif w.sha256 != h.sha256:
            problems.append(f"{path} has sha256 {h.sha256[:12]}…, {w.sha256[:12]}… recorded")
    for entry in missing:
        candidates = extra_by_digest.get(entry.sha256)
        if candidates:
            moved = candidates.pop(0)
            renamed.add(moved.path)
            problems.append(f"{entry.path} was renamed to {moved.path}")
        else:
            problems.append(f"{entry.path} is missing")
    for entry in extra:
        if entry.path not in renamed:
            problems.append(f"{entry.path} is not in the recorded manifest (extra file)")
    return problems


def verify(directory: Path, expected: Manifest, *, what: str, ignore: Iterable[str] = ()) -> None:
    """Raise UsageError (one line) unless ``directory`` holds exactly the manifest's files."""
    actual = scan(directory, ignore=ignore)
    if actual.digest == expected.digest:
        return
    problems = differences(expected, actual) or ["the files differ"]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    raise UsageError(
        f"{what} do not match the recorded digest {expected.digest}: {problems[0]}{more}; "
        "nothing was used"
    )


__all__ = [
    "ALGORITHM",
    "MANIFEST_FILE",
    "STORES",
    "Entry",
    "Manifest",
    "ModelFiles",
    "build",
    "differences",
    "files_from_dict",
    "from_dict",
    "loads",
    "scan",
    "sha256_file",
    "verify",
]
