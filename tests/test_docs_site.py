"""The documentation site builds with ``mkdocs build --strict``: no broken link or anchor,
no page under docs/ missing from the nav."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for page in ("index.html", "tutorial/index.html", "troubleshooting/index.html"):
        assert (site / page).is_file(), page


def test_strict_build_fails_on_broken_links_and_pages_missing_from_the_nav() -> None:
    # mkdocs reports these only as warnings; strict turns every warning into a failure.
    config = (ROOT / "mkdocs.yml").read_text()
    assert "\nstrict: true\n" in config
    for check in ("omitted_files", "unrecognized_links", "anchors", "absolute_links"):
        assert f"\n  {check}: warn\n" in config, check


def test_every_docs_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    nav = config[config.index("\nnav:\n") :]
    for page in sorted((ROOT / "docs").rglob("*.md")):
        rel = page.relative_to(ROOT / "docs").as_posix()
        assert f": {rel}\n" in nav, f"add docs/{rel} to the nav of mkdocs.yml"
