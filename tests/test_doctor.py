"""``mlci doctor``: each check on a small real repository, passing and failing.

Every check here was a false "ok" of a user trial: doctor said the repository was
ready and the first push failed. Each test shows the check both ways.
"""

from __future__ import annotations

from pathlib import Path

from conftest import git

from mlci.commands import doctor
from mlci.commands._doctor import DoctorResult

CONFIG = """\
install:
  requirements: [requirements.txt]
tests:
  unit: tests
  data: null
  model: null
train:
  command: python train.py
validation:
  thresholds:
    accuracy: {min: 0.8}
"""

TRAIN = 'import json\njson.dump({"accuracy": 0.9}, open("metrics.json", "w"))\n'


def make_repo(
    root: Path, files: dict[str, str], config: str = CONFIG, *, executable: tuple[str, ...] = ()
) -> Path:
    """A git repository holding ``files`` (beside a passing train.py, tests, requirements)."""
    everything = {
        "requirements.txt": "scikit-learn\npytest\n",
        "tests/test_it.py": "def test_it():\n    assert True\n",
        "train.py": TRAIN,
        "mlci.yaml": config,
        **files,
    }
    root.mkdir(parents=True)
    for name, text in everything.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name in executable:
        (root / name).chmod(0o755)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "repo")
    return root


def check(repo: Path) -> DoctorResult:
    return doctor.run(config_path=repo / "mlci.yaml")


def lines(result: DoctorResult, level: str) -> list[str]:
    return [c.message for c in result.checks if c.level == level]


def test_the_base_repository_has_no_problem_and_no_warning(tmp_path: Path) -> None:
    result = check(make_repo(tmp_path / "r", {}))
    assert result.ok and not result.cautions, result.render_text()


# ------------------------------------------------------------------ deploy commands' scripts


def with_deploy(deploy: str) -> str:
    return CONFIG + "deploy:\n" + deploy


def test_a_deploy_script_that_is_not_in_the_repository_is_a_problem(tmp_path: Path) -> None:
    # the trial's r4: deploy.staging.command ./deploy.sh staging, no deploy.sh
    config = with_deploy(
        "  staging:\n    command: ./deploy.sh staging\n"
        "  production:\n    command: bash scripts/release.sh && python tools/smoke.py --prod\n"
    )
    result = check(make_repo(tmp_path / "missing", {}, config))
    assert not result.ok
    assert result.problems == [
        "deploy.staging.command: ./deploy.sh does not exist, so the step fails ('No such file "
        "or directory'); commit ./deploy.sh or fix the command",
        "deploy.production.command: scripts/release.sh does not exist, so the step fails ('No "
        "such file or directory'); commit scripts/release.sh or fix the command",
        "deploy.production.command: tools/smoke.py does not exist, so the step fails ('No such "
        "file or directory'); commit tools/smoke.py or fix the command",
    ]
    # the same commands with their scripts committed (deploy.sh executable) pass
    scripts = {"deploy.sh": "#!/bin/sh\n", "scripts/release.sh": "", "tools/smoke.py": ""}
    result = check(make_repo(tmp_path / "present", scripts, config, executable=("deploy.sh",)))
    assert result.ok and not result.cautions, result.render_text()
    assert "deploy.staging.command: ./deploy.sh exists" in lines(result, "ok")


def test_a_deploy_script_run_directly_must_be_executable(tmp_path: Path) -> None:
    config = with_deploy("  staging:\n    command: ./deploy.sh staging\n")
    result = check(make_repo(tmp_path / "r", {"deploy.sh": "#!/bin/sh\n"}, config))
    assert result.ok  # a warning: the file is there
    assert lines(result, "warning") == [
        "deploy.staging.command: ./deploy.sh is not executable, so the step fails ('Permission "
        "denied'); run chmod +x deploy.sh and commit it, or run it as bash ./deploy.sh"
    ]


def test_the_rollout_commands_of_the_chosen_strategy_are_checked(tmp_path: Path) -> None:
    config = with_deploy(
        "  production:\n    strategy: blue-green\n    blue_green:\n"
        "      verify: sh checks/verify.sh\n"
        "      router:\n        set_weight: ./route.sh {weight}\n        deploy: kubectl apply -f k8s\n"
        # not the chosen strategy: not run, not checked
        "    canary:\n      router:\n        set_weight: ./unused.sh {weight}\n"
    )
    result = check(make_repo(tmp_path / "r", {}, config))
    assert [p.split(",")[0] for p in result.problems] == [
        "deploy.production.blue_green.verify: checks/verify.sh does not exist",
        "deploy.production.blue_green.router.set_weight: ./route.sh does not exist",
    ]


def test_commands_that_run_programs_on_path_are_not_file_checks(tmp_path: Path) -> None:
    config = with_deploy(
        "  staging:\n    command: kubectl apply -f k8s/ && python -m deployer --env $ENV\n"
        "  production:\n    command: cd infra && ./apply.sh\n"
    )
    result = check(make_repo(tmp_path / "r", {}, config))
    assert result.ok and not result.cautions, result.render_text()
