#!/usr/bin/env python3
"""The logic of mlci's release workflow (.github/workflows/release.yml), kept out of YAML.

    release.py check-tag vX.Y.Z     the tag, mlci.__version__ and CHANGELOG.md agree (else exit 2)
    release.py notes vX.Y.Z         print the CHANGELOG.md section of that version
    release.py outputs vX.Y.Z       version= and prerelease= lines (for $GITHUB_OUTPUT)
    release.py move-major vX.Y.Z [--push] [--remote origin]
                                    move the major tag (v1) to the release's commit: only for a
                                    final release, never backwards; prints what it does

A tag is ``vX.Y.Z`` (final) or ``vX.Y.Z{a,b,rc}N`` (pre-release, PEP 440 spelling of the
package version). ``move-major`` reads the tags of the local clone (check out with
``fetch-depth: 0``); ``--push`` force-pushes the major tag to the remote. Exit codes: 0 done
(or nothing to do), 2 bad input. Standard library only: the workflow runs it before
installing anything.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:(a|b|rc)(0|[1-9]\d*))?$")
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}


class ReleaseError(Exception):
    """Bad input: printed as one line, exit 2."""


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    # (3, 0) for a final release sorts after every pre-release (a=0, b=1, rc=2)
    pre: tuple[int, int]

    @property
    def final(self) -> bool:
        return self.pre[0] == 3

    @property
    def text(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        if self.final:
            return base
        kind = {v: k for k, v in _PRE_ORDER.items()}[self.pre[0]]
        return f"{base}{kind}{self.pre[1]}"

    @property
    def major_tag(self) -> str:
        return f"v{self.major}"


def parse_tag(tag: str) -> Version:
    match = TAG.match(tag)
    if match is None:
        raise ReleaseError(
            f"{tag!r} is not a release tag: use vX.Y.Z, or vX.Y.ZaN / vX.Y.ZbN / vX.Y.ZrcN"
        )
    major, minor, patch, kind, number = match.groups()
    pre = (3, 0) if kind is None else (_PRE_ORDER[kind], int(number))
    return Version(int(major), int(minor), int(patch), pre)


def package_version(root: Path) -> str:
    text = (root / "mlci" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise ReleaseError('mlci/__init__.py: no __version__ = "..." line')
    return match.group(1)


def changelog_section(root: Path, version: str) -> str:
    """The body of ``## [version] - YYYY-MM-DD`` in CHANGELOG.md, without its heading."""
    lines = (root / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$")
    start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    if start is None:
        raise ReleaseError(
            f"CHANGELOG.md has no section '## [{version}] - YYYY-MM-DD'; "
            "move the entries under [Unreleased] there"
        )
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    body = "\n".join(line for line in lines[start + 1 : end] if not line.startswith("[")).strip()
    if not body:
        raise ReleaseError(f"CHANGELOG.md: the section of {version} is empty")
    return body + "\n"


def check_tag(root: Path, tag: str) -> Version:
    version = parse_tag(tag)
    package = package_version(root)
    if package != version.text:
        raise ReleaseError(
            f"tag {tag} does not match mlci/__init__.py __version__ = {package!r}; "
            f"set it to {version.text!r} in a commit, then tag that commit"
        )
    changelog_section(root, version.text)
    return version


# --------------------------------------------------------------------------- git


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def commit_of(root: Path, ref: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def release_tags(root: Path) -> dict[Version, str]:
    """Every release tag of the clone, as ``{version: commit}``."""
    out = git(root, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags/v*")
    tags: dict[Version, str] = {}
    for name in out.split():
        if TAG.match(name):
            commit = commit_of(root, f"refs/tags/{name}")
            if commit is not None:
                tags[parse_tag(name)] = commit
    return tags


@dataclass(frozen=True)
class MajorMove:
    tag: str  # the major tag, e.g. v1
    target: str | None  # the commit it should name; None: leave it
    current: str | None  # the commit it names now
    reason: str


def plan_major_move(root: Path, tag: str) -> MajorMove:
    version = parse_tag(tag)
    major = version.major_tag
    commit = commit_of(root, f"refs/tags/{tag}")
    if commit is None:
        raise ReleaseError(f"no tag {tag} in this clone (check out with fetch-depth: 0)")
    current = commit_of(root, f"refs/tags/{major}")
    if not version.final:
        return MajorMove(major, None, current, f"{tag} is a pre-release: {major} stays")
    newer = sorted(
        v for v in release_tags(root) if v.final and v.major == version.major and v > version
    )
    if newer:
        return MajorMove(
            major,
            None,
            current,
            f"v{newer[-1].text} is newer than {tag}: {major} never moves backwards, it stays",
        )
    if current == commit:
        return MajorMove(major, None, current, f"{major} already names {tag} ({commit[:12]})")
    return MajorMove(major, commit, current, f"{major} -> {tag} ({commit[:12]})")


def move_major(root: Path, tag: str, *, push: bool, remote: str) -> MajorMove:
    move = plan_major_move(root, tag)
    if move.target is not None:
        git(root, "tag", "--force", move.tag, move.target)
        if push:
            git(root, "push", "--force", remote, f"refs/tags/{move.tag}:refs/tags/{move.tag}")
    return move


# --------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release.py", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the mlci checkout")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("check-tag", "notes", "outputs", "move-major"):
        command = sub.add_parser(name)
        command.add_argument("tag")
        if name == "move-major":
            command.add_argument("--push", action="store_true", help="push the moved tag")
            command.add_argument("--remote", default="origin")
    args = parser.parse_args(argv)
    root: Path = args.root
    try:
        if args.command == "check-tag":
            version = check_tag(root, args.tag)
            kind = "final release" if version.final else "pre-release"
            print(f"{args.tag}: {kind} {version.text}; mlci/__init__.py and CHANGELOG.md agree")
        elif args.command == "notes":
            print(changelog_section(root, parse_tag(args.tag).text), end="")
        elif args.command == "outputs":
            version = parse_tag(args.tag)
            print(f"version={version.text}")
            print(f"prerelease={'false' if version.final else 'true'}")
        else:
            move = move_major(root, args.tag, push=args.push, remote=args.remote)
            done = "moved" if move.target is not None else "unchanged"
            pushed = " and pushed" if move.target is not None and args.push else ""
            print(f"{done}{pushed}: {move.reason}")
    except ReleaseError as exc:
        print(f"release.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
