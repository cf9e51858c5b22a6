"""The docs stay true: generated pages are current, links resolve, README's commands are CI's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunMlci, git

from mlci import docgen

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("rel", sorted(docgen.pages()))
def test_generated_pages_are_current(rel: str) -> None:
    assert (ROOT / rel).read_text() == docgen.pages()[rel], "run: python -m mlci.docgen"


def test_command_page_covers_every_command() -> None:
    from mlci.cli import cli

    page = (ROOT / docgen.COMMANDS_PAGE).read_text()
    for name in cli.commands:
        assert f"## mlci {name}\n" in page


def test_config_page_covers_every_key() -> None:
    page = (ROOT / docgen.CONFIG_PAGE).read_text()
    for key in (
        "train.command",
        "validation.thresholds",
        "registry.backend",
        "workflows.self_reference",
    ):
        assert f"| `{key}` |" in page


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text()):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()[:20]
    block = "\n".join(readme)
    assert "mlci init --yes --threshold 'accuracy>=0.6' /tmp/mlci-demo" in block
    assert "bash .ci/run" in block
    test_command = re.search(r"the test command is `([^`]+)`", block)
    assert test_command is not None
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == test_command.group(1)
    # what .ci/run needs is said beside the command: root, apt, and every package it installs
    assert "as root on Debian/Ubuntu" in block
    script = "\n".join(ci)
    packages = {tool.split(":")[1] for tool in re.findall(r"\b[a-z]+:[a-z]+\b", script)}
    packages |= set(re.findall(r"apt-get install -y -qq ([a-z]+) ", script))
    assert packages >= {"shellcheck", "nginx", "npm"}
    for package in packages:
        assert package in block, f"README does not say .ci/run installs {package}"


def test_the_readme_main_job_on_the_example_repo(tmp_path: Path, mlci: RunMlci) -> None:
    demo = tmp_path / "mlci-demo"
    shutil.copytree(ROOT / "examples" / "churn", demo)
    git(tmp_path, "init", "-q", "-b", "main", str(demo))
    proc = mlci("init", "--yes", "--threshold", "accuracy>=0.6", str(demo), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {demo / 'mlci.yaml'}" in proc.stdout
    lint = mlci("lint", "--root", str(demo), cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "no findings" in lint.stdout
    # the example trains and writes the metrics file the gate reads
    subprocess.run([sys.executable, "train.py"], cwd=demo, check=True, capture_output=True)
    assert (demo / "metrics.json").is_file()
    # ... and the gate passes it on the first run (no empty thresholds, no exit 2)
    gate = mlci("validate-model", "--metrics", "metrics.json", "--baseline", "none", cwd=demo)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "model passed: 1 metric checked" in gate.stdout
