"""mlci's own workflows (.github/workflows: ci, self-test, release, e2e-kind) and its actions pass
actionlint and ``zizmor --offline --persona pedantic`` with no findings, pin every action by
SHA from the shipped table, and keep their security promises (id-token only where PyPI
publishing needs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import clean_env

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))
PINS = json.loads((ROOT / "mlci" / "action_pins.json").read_text())
# Actions only this repository's workflows use (PyPI publishing), each with the evidence for
# its SHA: a second, documented list (docs/versioning.md).
REPO_PINS = json.loads((ROOT / ".github" / "action-pins.json").read_text())
PYPI_PUBLISH = "pypa/gh-action-pypi-publish"
USES = re.compile(r"^\s*(?:- )?uses: (?P<action>[^@\s]+)@(?P<ref>\S+)(?: # (?P<comment>.+))?$")


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec["steps"]]


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["zizmor", "--offline", "--persona", "pedantic", "--no-progress", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
        timeout=120,
    )


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS.glob("*.yml")} >= {
        "ci.yml",
        "self-test.yml",
        "release.yml",
        "e2e-kind.yml",
    }


def test_actionlint_finds_nothing() -> None:
    proc = subprocess.run(
        ["actionlint", "-no-color", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_zizmor_pedantic_finds_nothing() -> None:
    proc = zizmor(WORKFLOWS, ROOT / "actions")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_zizmor_pedantic_would_catch_an_expression_in_run(tmp_path: Path) -> None:
    """The check above can fail: the release tag interpolated into run: is a finding."""
    text = (WORKFLOWS / "release.yml").read_text()
    bad = text.replace('check-tag "$TAG"', 'check-tag "${{ github.ref_name }}"')
    assert bad != text
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "release.yml").write_text(bad)
    proc = zizmor(tmp_path / ".github" / "workflows" / "release.yml")
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout


def test_mlci_lint_over_this_repository_is_clean() -> None:
    proc = subprocess.run(
        ["python", "-m", "mlci", "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=clean_env({"PYTHONPATH": str(ROOT)}),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no findings" in proc.stdout


def pinned_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted((ROOT / "actions").glob("*/action.yml"))


def test_every_third_party_action_is_pinned_from_one_of_the_two_lists() -> None:
    """Every `uses:` of a third-party action in .github/workflows and actions/ names the SHA
    and version of mlci/action_pins.json or of .github/action-pins.json — never a tag, never
    a SHA from nowhere."""
    seen = set()
    for path in pinned_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES.match(line)
            if match is None or match["action"].startswith("./"):
                continue
            where = f"{path.relative_to(ROOT)}:{number}"
            action = match["action"]
            table = PINS if action in PINS else REPO_PINS
            assert action in table, f"{where}: {action} is in neither pin list"
            assert match["ref"] == table[action]["sha"], where
            assert match["comment"] == table[action]["version"], where
            seen.add(action)
    assert PYPI_PUBLISH in seen
    assert set(REPO_PINS) - {"_about"} <= seen, "a pin in .github/action-pins.json nobody uses"


def test_the_second_pin_list_never_overrides_the_shipped_one() -> None:
    for action, pin in REPO_PINS.items():
        if action == "_about":
            continue
        assert action not in PINS, action
        assert re.fullmatch(r"[0-9a-f]{40}", pin["sha"]), action
        assert pin["evidence"].strip(), f"{action}: say where the SHA was read"


def test_the_pin_check_sees_every_uses_line() -> None:
    """The regex above must not skip a uses: line (a step written differently would escape)."""
    for path in pinned_files():
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(- )?uses:", line):
                assert USES.match(line) or "uses: ./" in line, line


def test_permissions_are_empty_at_the_top_and_id_token_only_for_pypi() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {}, path.name
        for job, spec in workflow["jobs"].items():
            assert "timeout-minutes" in spec, f"{path.name}: {job}"
            for step in spec["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
            if (path.name, job) == ("release.yml", "pypi"):
                assert spec["permissions"] == {"id-token": "write"}
                assert spec["environment"]["name"] == "pypi"
                assert [s["uses"].split("@")[0] for s in spec["steps"]][-1] == PYPI_PUBLISH
            else:
                assert "id-token" not in spec.get("permissions", {}), f"{path.name}: {job}"


def test_release_runs_on_version_tags_and_calls_the_tested_script() -> None:
    release = load("release.yml")
    assert release[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+*"]}}  # yaml reads on: as True
    text = (WORKFLOWS / "release.yml").read_text()
    for command in ("check-tag", "outputs", "notes", "move-major"):
        assert f"scripts/release.py {command} " in text
    jobs = release["jobs"]
    assert jobs["pypi"]["needs"] == ["build"]
    assert "pypi" in jobs["github-release"]["needs"]  # no GitHub release, no v1, without PyPI
    assert jobs["github-release"]["permissions"] == {"contents": "write"}


def test_ci_tests_every_supported_python_and_the_slow_tests_once() -> None:
    ci = load("ci.yml")
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    runs = [step.get("run", "") for _, step in steps(ci)]
    assert sum('-m "not slow"' in run for run in runs) == 1
    assert sum("-m slow" in run for run in runs) == 1
    assert "strategy" not in ci["jobs"]["slow"]
    for command in (
        "ruff check",
        "ruff format --check",
        "mypy",
        "mlci lint",
        "mkdocs build --strict",
    ):
        assert any(command in run for run in runs), command


def test_self_test_runs_every_action_with_inputs_it_has() -> None:
    used: set[str] = set()
    workflow = load("self-test.yml")
    # the actions run from the checkout of this repository at ./mlci (scripts/self_test_act.py
    # runs the same file under act, which knows no $/ form)
    (checkout,) = [
        s for _, s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkout["with"]["path"] == "mlci"
    for _, step in steps(workflow):
        uses = step.get("uses", "")
        assert not uses.startswith("$/"), uses
        match = re.fullmatch(r"\./mlci/actions/([a-z-]+)", uses)
        if match is None:
            continue
        name = match.group(1)
        used.add(name)
        inputs = yaml.safe_load((ROOT / "actions" / name / "action.yml").read_text())["inputs"]
        given = set(step.get("with", {}))
        assert given <= set(inputs), f"{name}: unknown inputs {given - set(inputs)}"
        required = {k for k, v in inputs.items() if v.get("required")}
        assert required <= given, f"{name}: missing {required - given}"
    assert used == set(ACTIONS)


def test_shellcheck_is_there_for_actionlint() -> None:
    # actionlint checks run: blocks with shellcheck only when it is installed
    assert shutil.which("shellcheck") is not None


def test_e2e_kind_runs_both_rollout_actions_and_reads_their_outputs() -> None:
    """The kind workflow (GitHub's CI only): both actions, each outcome checked by a later
    step through env:, least privilege, tools installed by checksum, triggers that exist."""
    workflow = load("e2e-kind.yml")
    assert set(workflow[True]) == {"workflow_dispatch", "schedule", "push"}  # on: reads as True
    for pattern in workflow[True]["push"]["paths"]:
        assert list(ROOT.glob(pattern.replace("**", "**/*"))) or (ROOT / pattern).exists(), pattern
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'go install "sigs.k8s.io/kind@$KIND_VERSION"' in runs  # go checks the module's sum
    assert "--require-hashes -r mlci/tests/e2e-kind/requirements-kubectl.txt" in runs
    rollouts = {
        step["id"]: step["uses"]
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("./mlci/actions/")
    }
    assert rollouts == {
        "canary-good": "./mlci/actions/canary-deploy",
        "canary-bad": "./mlci/actions/canary-deploy",
        "green-good": "./mlci/actions/blue-green-deploy",
        "green-bad": "./mlci/actions/blue-green-deploy",
    }
    for step_id in rollouts:
        readers = [
            step
            for step in job["steps"]
            if f"steps.{step_id}.outputs.decision" in json.dumps(step.get("env", {}))
        ]
        assert len(readers) == 1, step_id
        assert "expect.sh" in readers[0]["run"]
        assert "${{" not in readers[0]["run"]  # outputs reach the shell through env: only
    for name in ("requirements-kubectl.txt", "requirements-model.txt"):
        text = (ROOT / "tests" / "e2e-kind" / name).read_text()
        assert "==" in text and "--hash=sha256:" in text, name
