"""`mlci lint`: real actionlint and zizmor over real files."""

from __future__ import annotations

from pathlib import Path

from conftest import RunMlci, write_config

ROOT = Path(__file__).resolve().parent.parent

BAD_WORKFLOW = """\
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_findings_of_both_tools_are_listed_and_exit_1(git_repo: Path, mlci: RunMlci) -> None:
    workflow = git_repo / ".github" / "workflows" / "bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(BAD_WORKFLOW)
    proc = mlci("lint", cwd=git_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith(".github/workflows/bad.yml:7:") and "actionlint[expression]" in line
        for line in lines
    )
    assert any("zizmor[template-injection]" in line for line in lines)
    assert any("zizmor[dangerous-triggers]" in line for line in lines)
    assert any("zizmor[artipacked]" in line for line in lines)
    assert lines[-1].endswith("findings in 1 files")


def test_generated_workflows_lint_clean(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, "train:\n  command: python train.py\n  runs_on: [self-hosted, gpu]\n")
    assert mlci("generate", cwd=git_repo).returncode == 0
    proc = mlci("lint", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip() == "actionlint and zizmor: no findings in 2 files"


def test_named_files_and_directories(git_repo: Path, mlci: RunMlci) -> None:
    write_config(git_repo, "train:\n  command: python train.py\n")
    assert mlci("generate", cwd=git_repo).returncode == 0
    proc = mlci("lint", ".github/workflows/ml-pipeline.yml", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "in 1 file" in proc.stdout
    proc = mlci("lint", "README.md", cwd=git_repo)
    assert proc.returncode == 2
    assert "not a workflow" in proc.stderr


def test_nothing_to_lint_is_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    proc = mlci("lint", cwd=git_repo)
    assert proc.returncode == 2
    assert "run `mlci init` first" in proc.stderr


def test_this_repositorys_actions_lint_clean(mlci: RunMlci) -> None:
    actions = sorted((ROOT / "actions").glob("*/action.yml"))
    assert actions, "no actions/*/action.yml"
    proc = mlci("lint", *[str(p) for p in actions], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"no findings in {len(actions)} files" in proc.stdout


def test_a_file_that_cannot_be_parsed_is_a_finding_not_no_findings(
    tmp_path: Path, mlci: RunMlci
) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text("on: push\njobs:\n  a: [\n")
    (tmp_path / "action.yml").write_text("name: x\nruns: {using: composite, steps: 3}\n")
    proc = mlci("lint", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "broken.yml:4:1: mlci[syntax]" in proc.stdout
    assert "no findings" not in proc.stdout.lower()
    proc = mlci("lint", "action.yml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "action.yml: zizmor[collection]" in proc.stdout
