"""Every composite action is described for the Marketplace and for users: name, description,
branding, every input and output described, and a docs page per action whose inputs and
outputs tables match its action.yml (name, order, required, default)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))

# The icons GitHub's Marketplace accepts are Feather icons; these are the colours it accepts.
COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


def action(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "actions" / name / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def table(doc: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row is ``header``."""
    lines = doc.splitlines()
    assert header in lines, f"no table headed {header!r}"
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_there_are_actions() -> None:
    assert {"check", "validate-model", "register-model", "promote-model"} <= set(ACTIONS)


@pytest.mark.parametrize("name", ACTIONS)
def test_action_metadata_is_complete(name: str) -> None:
    data = action(name)
    assert data["name"] == f"mlci {name}"
    assert len(data["description"]) >= 40
    assert data["branding"]["icon"]
    assert data["branding"]["color"] in COLORS
    assert data["runs"]["using"] == "composite"
    for key, spec in {**data.get("inputs", {}), **data.get("outputs", {})}.items():
        assert str(spec.get("description", "")).strip(), f"{name}: {key} has no description"
    for key, spec in data.get("inputs", {}).items():
        assert isinstance(spec.get("required"), bool), f"{name}: input {key} must say required"
        if not spec["required"]:
            assert "default" in spec, f"{name}: optional input {key} needs a default"


@pytest.mark.parametrize("name", ACTIONS)
def test_the_description_names_the_command_the_action_runs(name: str) -> None:
    """An action is one mlci command: its description says which, and its script runs it."""
    data = action(name)
    assert f"(mlci {name})" in " ".join(data["description"].split())
    scripts = [step.get("run", "") for step in data["runs"]["steps"]]
    runs = [f'"$mlci" {name} ' in s or f"args=({name} " in s for s in scripts]  # or built args
    assert runs.count(True) == 1


def test_the_check_action_says_what_mlci_check_fails_on() -> None:
    """The action's description carries the command's own claims, read from its help: what
    it fails on and when it passes. Rewording the help changes what is required here."""
    from mlci.cli import cli

    def plain(text: str) -> str:
        return " ".join(text.replace("`", "").replace("(exit 1) ", "").lower().split())

    help_text = plain(cli.commands["check"].help or "")
    description = plain(action("check")["description"])
    fails_on = re.search(r"^fail when a generated (?:file|workflow) is (.+?)\.", help_text)
    passes_when = re.search(r"passes exactly when (.+?)[:.]", help_text)
    assert fails_on and passes_when, f"the help no longer says what it fails on: {help_text}"
    assert fails_on[1] in description, (fails_on[1], description)
    assert passes_when[1] in description, (passes_when[1], description)


def doc_mismatches(name: str, doc: str) -> list[str]:
    """What the page's inputs/outputs tables say differently from actions/<name>/action.yml."""
    data = action(name)
    problems = []
    if (
        f"mlci-dev/mlci/actions/{name}@v1" not in doc
        and f"<owner>/mlci/actions/{name}@v1" not in doc
    ):
        problems.append(f"the page never shows uses: mlci-dev/mlci/actions/{name}@v1")
    rows = table(doc, "| input | required | default | meaning |")
    documented = [(r[0].strip("`"), r[1], r[2]) for r in rows]
    expected = []
    for key, spec in data.get("inputs", {}).items():
        default = "" if spec["required"] else f"`{spec['default']}`"
        expected.append((key, "yes" if spec["required"] else "no", default.replace("``", '`""`')))
    if documented != expected:
        problems.append(f"inputs table {documented} != action.yml {expected}")
    problems += [f"input {r[0]} has no meaning" for r in rows if not r[3]]
    outputs = list(data.get("outputs", {}))
    if outputs:
        listed = [r[0].strip("`") for r in table(doc, "| output | value |")]
        if listed != outputs:
            problems.append(f"outputs table {listed} != action.yml {outputs}")
    elif "no outputs" not in doc:
        problems.append("the page must say the action has no outputs")
    return problems


@pytest.mark.parametrize("name", ACTIONS)
def test_docs_page_tables_match_the_action(name: str) -> None:
    page = ROOT / "docs" / "actions" / f"{name}.md"
    assert page.is_file(), f"write docs/actions/{name}.md (and add it to the nav of mkdocs.yml)"
    assert doc_mismatches(name, page.read_text()) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("| `metrics-file` | yes | |", "| `metrics-file` | no | |"),  # required
        ("| `config` | no | `mlci.yaml` |", "| `config` | no | `x.yaml` |"),  # default
        ('| `extras` | no | `""` | pip', '| `extra` | no | `""` | pip'),  # name
        ("| `report` | the verdict", "| `reports` | the verdict"),  # output
    ],
)
def test_a_page_that_drifts_from_its_action_is_caught(old: str, new: str) -> None:
    doc = (ROOT / "docs" / "actions" / "validate-model.md").read_text()
    assert old in doc
    assert doc_mismatches("validate-model", doc.replace(old, new, 1)) != []
