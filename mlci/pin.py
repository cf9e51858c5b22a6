"""``mlci pin``: refresh the commit SHAs the generated workflows pin actions to.

The wheel ships a table of third-party actions (``mlci/action_pins.json``). ``mlci
pin`` asks each action's repository for its release tags (``git ls-remote <url>
'refs/tags/v*'``), takes the newest release within the major version in use (or
the version asked for), and records ``{version, sha}`` in ``.mlci/pins.lock.json``,
which overrides the shipped table. With ``--mlci`` it also resolves the mlci
actions' own ``actions.ref`` to a commit SHA: the commit the major tag (``v1``)
names, which mlci's release workflow moves to each final release once it is
published, with the release ``v1.x.y`` at that commit as the version (without a
``v1`` tag: the newest ``v1.x.y``). The workflows then read
``owner/mlci/actions/x@<sha> # v1.4.2``. Then it regenerates.

The remotes are ``<remote base>/<owner>/<repo>``; the base is
``https://github.com`` unless ``--remote-base`` or ``MLCI_PIN_REMOTE_BASE`` names
another (a mirror, or local bare repositories in tests).

For mlci's maintainers, :func:`refresh_source` (``mlci pin --mlci-source DIR``) does the
same to a checkout of mlci's source instead of a lock: the shipped table
(``mlci/action_pins.json``), the table of actions only mlci's own workflows use
(``.github/action-pins.json``), and every ``uses: <action>@<sha> # <version>`` line of
those actions in ``actions/*/action.yml`` and ``.github/workflows/*.yml``, so that the
composite actions and the generated workflows pin the same commits.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import git
from mlci.errors import UsageError
from mlci.lockfile import Lock, MlciPin, Pin, read_lock
from mlci.state import read_text, write_atomic

DEFAULT_REMOTE_BASE = "https://github.com"
ENV_REMOTE_BASE = "MLCI_PIN_REMOTE_BASE"

_RELEASE = re.compile(r"^v(\d+)\.(\d+)(?:\.(\d+))?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


# --------------------------------------------------------------------------- tags


def _version_key(version: str) -> tuple[int, int, int]:
    match = _RELEASE.match(version)
    assert match is not None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def major_of(version: str) -> int | None:
    match = re.match(r"^v(\d+)(?:\.\d+){0,2}$", version)
    return int(match[1]) if match else None


def list_releases(url: str) -> dict[str, str]:
    """``{vX.Y.Z: commit sha}`` of the release tags at ``url`` (annotated tags peeled)."""
    return {name: sha for name, sha in list_tags(url).items() if _RELEASE.match(name)}


def list_tags(url: str) -> dict[str, str]:
    """``{tag: commit sha}`` of the ``v*`` tags at ``url`` (annotated tags peeled)."""
    try:
        proc = git.run(
            "ls-remote", url, "refs/tags/v*", purpose="read the release tags of actions", timeout=60
        )
    except git.GitTimeout:
        raise UsageError(
            f"git ls-remote {url} timed out; check the network or --remote-base"
        ) from None
    if proc.returncode != 0:
        first = next((line for line in proc.stderr.splitlines() if line.strip()), "failed")
        raise UsageError(f"cannot list the tags of {url}: {first.strip()}")
    direct: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            peeled[name[:-3]] = sha
        else:
            direct[name] = sha
    return {
        name: peeled.get(name, sha)
        for name, sha in direct.items()
        if _SHA.match(peeled.get(name, sha))
    }


def choose(releases: Mapping[str, str], *, major: int | None, exact: str | None, url: str) -> Pin:
    """The release to pin: ``exact``, else the newest within ``major``."""
    if exact is not None:
        if exact not in releases:
            near = ", ".join(sorted(releases, key=_version_key)[-5:]) or "none"
            raise UsageError(f"{url} has no release tag {exact}; newest tags: {near}")
        return Pin(version=exact, sha=releases[exact])
    candidates = [v for v in releases if major is None or _version_key(v)[0] == major]
    if not candidates:
        within = f" v{major}.x" if major is not None else ""
        raise UsageError(f"{url} has no release tag{within} (vX.Y.Z); name a version explicitly")
    newest = max(candidates, key=_version_key)
    return Pin(version=newest, sha=releases[newest])


def choose_major(tags: Mapping[str, str], *, major: int, url: str) -> Pin:
    """What ``v<major>`` names: its commit, with the newest final release at that commit.

    The major tag moves only after a release is published, so between a tag push and the
    end of the release workflow it still names the previous, finished release — and that
    is what a SHA pin should take. Without a major tag, the newest ``v<major>.x.y``.
    """
    releases = {v: sha for v, sha in tags.items() if _RELEASE.match(v)}
    moved = tags.get(f"v{major}")
    if moved is None:
        return choose(releases, major=major, exact=None, url=url)
    named = [v for v, sha in releases.items() if sha == moved and _version_key(v)[0] == major]
    if not named:
        raise UsageError(
            f"{url}: v{major} names commit {moved[:12]}, which no release tag v{major}.x.y "
            "names; pass --mlci-version vX.Y.Z"
        )
    return Pin(version=max(named, key=_version_key), sha=moved)


# --------------------------------------------------------------------------- pin


@dataclass(frozen=True)
class PinChange:
    name: str
    old: str | None
    new: Pin

    def render(self) -> str:
        if self.old == f"{self.new.version}@{self.new.sha}":
            return f"{self.name}: {self.new.version} ({self.new.sha[:12]}), unchanged"
        return f"{self.name}: {self.old or 'unpinned'} -> {self.new.version} ({self.new.sha[:12]})"


def _parse_spec(
    spec: str, known: Mapping[str, Pin], what: str = "an action the generated workflows use"
) -> tuple[str, str | None]:
    name, _, version = spec.partition("@")
    if name not in known:
        raise UsageError(f"{name!r} is not {what}; known: {', '.join(sorted(known))}")
    if version and _RELEASE.match(version) is None:
        raise UsageError(f"{spec!r}: the version must be a release tag such as v4.2.1")
    return name, version or None


def resolve(
    *,
    root: Path,
    shipped: Mapping[str, Pin],
    specs: Sequence[str],
    mlci_repository: str,
    mlci_ref: str,
    mlci: bool,
    mlci_version: str | None,
    remote_base: str,
) -> tuple[Lock, list[PinChange]]:
    """The new lock: the actions named in ``specs`` (all when empty) re-resolved."""
    lock = read_lock(root) or Lock()
    current = {**shipped, **lock.actions}
    wanted = [_parse_spec(spec, current) for spec in specs] or [(n, None) for n in current]
    base = remote_base.rstrip("/")
    actions = dict(lock.actions)
    changes: list[PinChange] = []
    for name, exact in wanted:
        url = f"{base}/{name}"
        pin = choose(
            list_releases(url), major=major_of(current[name].version), exact=exact, url=url
        )
        actions[name] = pin
        old = current[name]
        changes.append(PinChange(name, f"{old.version}@{old.sha}", pin))
    mlci_pin = lock.mlci
    if mlci or mlci_version is not None:
        if mlci_version is not None and _RELEASE.match(mlci_version) is None:
            raise UsageError(
                f"--mlci-version {mlci_version!r} must be a release tag such as v1.2.0"
            )
        major = major_of(mlci_ref)
        if major is None and lock.mlci is not None and lock.mlci.ref == mlci_ref:
            major = major_of(lock.mlci.version)
        if major is None and mlci_version is None:
            raise UsageError(
                f"actions.ref {mlci_ref!r} names no major version (such as v1); "
                "pass --mlci-version vX.Y.Z"
            )
        url = f"{base}/{mlci_repository}"
        if mlci_version is None and major is not None:
            pin = choose_major(list_tags(url), major=major, url=url)
        else:
            pin = choose(list_releases(url), major=major, exact=mlci_version, url=url)
        old_mlci = (
            f"{lock.mlci.version}@{lock.mlci.sha}"
            if lock.mlci is not None and lock.mlci.repository == mlci_repository
            else mlci_ref
        )
        mlci_pin = MlciPin(mlci_repository, mlci_ref, pin.version, pin.sha)
        changes.append(PinChange(f"{mlci_repository} (actions.ref {mlci_ref})", old_mlci, pin))
    return Lock(actions=actions, mlci=mlci_pin), changes


# --------------------------------------------------------------------------- mlci's source

SHIPPED_TABLE = Path("mlci/action_pins.json")
REPO_TABLE = Path(".github/action-pins.json")
_USES = re.compile(r"^(?P<lead>\s*(?:- )?uses: )(?P<action>[^@\s]+)@(?P<ref>\S+)(?: # .+)?$")


@dataclass(frozen=True)
class SourceRefresh:
    """What :func:`refresh_source` resolved and the new text of each file it changes."""

    changes: list[PinChange]
    texts: dict[Path, str]  # path relative to the source root -> new text (changed only)


def _read_table(root: Path, relative: Path, *, required: bool) -> dict[str, object]:
    text = read_text(root / relative)
    if text is None:
        if required:
            raise UsageError(
                f"{root} is not a checkout of mlci's source: {relative} is missing "
                "(--mlci-source names the folder that holds mlci/ and actions/)"
            )
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise UsageError(f"{root / relative} is not JSON") from None
    if not isinstance(data, dict):
        raise UsageError(f"{root / relative} must be a JSON object")
    for name, entry in data.items():
        if name.startswith("_"):
            continue
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("version"), str)
            or not _SHA.match(str(entry.get("sha", "")))
        ):
            raise UsageError(f"{root / relative}: {name} must be {{version, sha (40 hex digits)}}")
    return data


def _pinned_files(root: Path) -> list[Path]:
    return sorted((root / "actions").glob("*/action.yml")) + sorted(
        (root / ".github" / "workflows").glob("*.y*ml")
    )


def refresh_source(
    *, root: Path, specs: Sequence[str], remote_base: str, today: datetime.date | None = None
) -> SourceRefresh:
    """Re-resolve the pins of mlci's source checkout at ``root`` and rewrite the files.

    Returns the new texts; nothing is written here (the caller writes them all or none).
    An action of ``.github/action-pins.json`` whose pin was read some other way gets the
    ``git ls-remote`` it was resolved by as its evidence.
    """
    tables = {
        SHIPPED_TABLE: _read_table(root, SHIPPED_TABLE, required=True),
        REPO_TABLE: _read_table(root, REPO_TABLE, required=False),
    }
    current: dict[str, Pin] = {}
    home: dict[str, Path] = {}
    for relative, table in tables.items():
        for name, entry in table.items():
            if not name.startswith("_") and isinstance(entry, dict):
                current.setdefault(name, Pin(version=entry["version"], sha=entry["sha"]))
                home.setdefault(name, relative)
    tabled = f"an action of {SHIPPED_TABLE.as_posix()} or {REPO_TABLE.as_posix()}"
    wanted = [_parse_spec(spec, current, tabled) for spec in specs] or [(n, None) for n in current]
    base = remote_base.rstrip("/")
    day = (today or datetime.datetime.now(datetime.timezone.utc).date()).isoformat()
    new: dict[str, Pin] = dict(current)
    changes: list[PinChange] = []
    for name, exact in wanted:
        url = f"{base}/{name}"
        pin = choose(
            list_releases(url), major=major_of(current[name].version), exact=exact, url=url
        )
        old = current[name]
        changes.append(PinChange(name, f"{old.version}@{old.sha}", pin))
        new[name] = pin
        entry = tables[home[name]][name]
        assert isinstance(entry, dict)
        entry["version"], entry["sha"] = pin.version, pin.sha
        evidence = entry.get("evidence")
        if evidence is not None and (pin != old or not str(evidence).startswith("git ls-remote")):
            entry["evidence"] = (
                f"git ls-remote {url} 'refs/tags/v*' ({day}, mlci pin --mlci-source): "
                f"the release tag {pin.version} names commit {pin.sha}."
            )
    texts: dict[Path, str] = {}
    for relative, table in tables.items():
        if table:
            text = json.dumps(table, indent=2, ensure_ascii=False) + "\n"
            if text != read_text(root / relative):
                texts[relative] = text
    for path in _pinned_files(root):
        before = read_text(path) or ""
        lines = before.splitlines(keepends=True)
        for index, line in enumerate(lines):
            body = line.rstrip("\r\n")
            match = _USES.match(body)
            if match is None or match["action"] not in new:
                continue
            pin = new[match["action"]]
            rewritten = f"{match['lead']}{match['action']}@{pin.sha} # {pin.version}"
            lines[index] = rewritten + line[len(body) :]
        after = "".join(lines)
        if after != before:
            texts[path.relative_to(root)] = after
    return SourceRefresh(changes=changes, texts=texts)


def write_all(root: Path, texts: Mapping[Path, str]) -> None:
    """Write every text or none: a failed write puts the files written before it back."""
    before = {root / relative: read_text(root / relative) for relative in texts}
    done: list[Path] = []
    for path, text in zip(before, texts.values(), strict=True):
        try:
            write_atomic(path, text)
        except OSError as exc:
            for written in reversed(done):
                old = before[written]
                if old is None:
                    written.unlink(missing_ok=True)
                else:
                    write_atomic(written, old)
            raise UsageError(
                f"{path}: cannot write: {exc.strerror}; the {len(done)} file(s) written "
                "before it were put back"
            ) from None
        done.append(path)
