#!/usr/bin/env python3
"""Write actions/uv-requirements.txt: uv at one exact version, one wheel per platform that
install-mlci.sh supports, each as a direct URL with its SHA-256 from PyPI's JSON API.

    python scripts/uv_requirements.py 0.13.9 > actions/uv-requirements.txt

Standard library only. Exit 2 when PyPI has no such version or lacks a platform's wheel.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

FILES = "https://files.pythonhosted.org/packages/"
# wheel filename suffix -> the environment marker pip evaluates on the runner
PLATFORMS = {
    "manylinux_2_17_x86_64.manylinux2014_x86_64.whl": (
        'sys_platform == "linux" and platform_machine == "x86_64"'
    ),
    "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl": (
        'sys_platform == "linux" and platform_machine == "aarch64"'
    ),
    "macosx_10_12_x86_64.whl": 'sys_platform == "darwin" and platform_machine == "x86_64"',
    "macosx_11_0_arm64.whl": 'sys_platform == "darwin" and platform_machine == "arm64"',
    "win_amd64.whl": 'sys_platform == "win32" and platform_machine == "AMD64"',
    "win_arm64.whl": 'sys_platform == "win32" and platform_machine == "ARM64"',
}
HEADER = """\
# uv, the installer install-mlci.sh uses: one exact version, one wheel per platform, each
# pinned by its SHA-256 from PyPI (https://pypi.org/pypi/uv/json, release {version}) and
# installed with `pip install --require-hashes` into a private folder. Direct URLs keep pip
# off the index (reading uv's index page alone costs pip seconds). A platform with no line
# here (or no network to files.pythonhosted.org) falls back to plain pip.
# To update: python scripts/uv_requirements.py VERSION > actions/uv-requirements.txt
"""


class Missing(Exception):
    pass


def render(version: str, files: Sequence[Mapping[str, Any]]) -> str:
    """The requirements file for ``version`` from PyPI's file entries of that release."""
    lines = [HEADER.format(version=version)]
    for suffix, marker in PLATFORMS.items():
        name = f"uv-{version}-py3-none-{suffix}"
        entry = next((f for f in files if f["filename"] == name and not f.get("yanked")), None)
        if entry is None:
            raise Missing(f"PyPI has no {name}")
        # the blob path, the same on files.pythonhosted.org whatever host the API named
        match = re.search(r"/packages/([0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]+/[^/]+)$", entry["url"])
        if match is None:
            raise Missing(f"unexpected URL for {name}: {entry['url']}")
        path = match.group(1)
        sha = entry["digests"]["sha256"]
        lines.append(f"uv @ {FILES}{path} ; {marker} \\\n    --hash=sha256:{sha}\n")
    return "".join(lines)


def fetch(version: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen("https://pypi.org/pypi/uv/json", timeout=60) as response:
        data = json.load(response)
    files = data["releases"].get(version)
    if not files:
        raise Missing(f"PyPI has no uv {version}")
    return list(files)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: uv_requirements.py VERSION", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render(args[0], fetch(args[0])))
    except Missing as exc:
        print(f"uv_requirements.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
