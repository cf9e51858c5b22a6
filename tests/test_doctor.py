"""``mlci doctor``: each check on a small real repository, passing and failing.

Every check here was a false "ok" of a user trial: doctor said the repository was
ready and the first push failed. Each test shows the check both ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
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


# ------------------------------------------------------------------ tools the install step installs

PYPROJECT = """\
[project]
name = "churn"
version = "0.1.0"
dependencies = ["scikit-learn"]

[project.optional-dependencies]
test = ["pytest"]
"""


@pytest.mark.parametrize(
    "install",
    [
        "python -m pip install '.[test]'",
        'pip install -e ".[test]"',
        "python -m pip install --upgrade pip && python -m pip install .[test]",
        "uv pip install --system './[test]'",
        "python -m pip install -e.[test]",
    ],
)
def test_pytest_from_the_projects_extras_is_installed(install: str, tmp_path: Path) -> None:
    """The common pyproject shape: pytest in an extra, the project installed with it. The old
    pattern missed a quoted '.[test]', and init exited 1 on a repository that was fine."""
    config = CONFIG.replace(
        "install:\n  requirements: [requirements.txt]\n", f"install:\n  command: {install!r}\n"
    )
    repo = make_repo(tmp_path / "r", {"pyproject.toml": PYPROJECT, "requirements.txt": ""}, config)
    result = check(repo)
    assert "tests.command: pytest is installed by the install step" in lines(result, "ok")
    assert result.ok, result.render_text()


@pytest.mark.parametrize(
    "install", ["python -m pip install -r requirements.txt", "python -m pip install .venv-tools"]
)
def test_pytest_not_installed_is_still_a_problem(install: str, tmp_path: Path) -> None:
    config = CONFIG.replace(
        "install:\n  requirements: [requirements.txt]\n", f"install:\n  command: {install!r}\n"
    )
    repo = make_repo(
        tmp_path / "r", {"pyproject.toml": PYPROJECT, "requirements.txt": "scikit-learn\n"}, config
    )
    assert any("runs pytest, which the install step does not install" in m
               for m in lines(check(repo), "problem"))  # fmt: skip


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


def test_the_train_and_data_commands_scripts_are_checked_too(tmp_path: Path) -> None:
    config = CONFIG.replace("command: python train.py", "command: ./train.sh --fast") + (
        "data:\n  validate: python checks/validate.py data/\n"
    )
    result = check(make_repo(tmp_path / "missing", {}, config))
    assert [p.split(",")[0] for p in result.problems] == [
        "train.command: ./train.sh does not exist",
        "data.validate: checks/validate.py does not exist",
    ]
    files = {"train.sh": "#!/bin/sh\npython train.py\n", "checks/validate.py": ""}
    result = check(make_repo(tmp_path / "present", files, config, executable=("train.sh",)))
    assert result.ok, result.render_text()
    assert {"train.command: ./train.sh exists", "data.validate: checks/validate.py exists"} <= set(
        lines(result, "ok")
    )
    # (a shell script's metrics file is not read: the metrics warning stays)
    assert [c.split(":")[0] for c in result.cautions] == ["train.metrics_file"]


def test_a_kubernetes_routers_manifests_folder_must_exist(tmp_path: Path) -> None:
    config = (
        with_deploy(
            "  production:\n    strategy: canary\n    canary:\n      router:\n"
            "        type: kubernetes\n        deployment: churn\n        manifests: k8s\n"
        )
        + "image:\n  enabled: true\n"
    )  # the kubernetes router deploys the image
    dockerfile = {"Dockerfile": "FROM python:3.12-slim\n"}
    result = check(make_repo(tmp_path / "missing", dockerfile, config))
    assert result.problems == [
        "deploy.production.canary.router.manifests: k8s is not a folder in the repository; "
        "commit your manifests there, or remove the key to use the manifests mlci renders"
    ]
    result = check(
        make_repo(
            tmp_path / "present",
            {"k8s/deployment.yaml": "kind: Deployment\n", **dockerfile},
            config,
        )
    )
    assert result.ok, result.render_text()
    assert "deploy.production.canary.router.manifests: k8s exists" in lines(result, "ok")


def test_what_generate_notes_about_the_config_doctor_notes_too(tmp_path: Path) -> None:
    """A rollout without router or Prometheus fails only deploy-production, and init scaffolds
    one that way: a note (as generate prints it), never a problem that fails doctor."""
    config = with_deploy("  production:\n    strategy: canary\n")
    result = check(make_repo(tmp_path / "r", {}, config))
    assert result.ok, result.render_text()
    assert [n for n in lines(result, "note") if n.startswith("deploy.")] == [
        "deploy.production.strategy canary needs deploy.production.canary.router (where traffic "
        "moves) and .prometheus.url (what judges it): deploy-production exits 2 until they are "
        "set (docs/deploy.md)"
    ]
    config = with_deploy("  production:\n    blue_green:\n      verify: pytest tests\n")
    result = check(make_repo(tmp_path / "v", {}, config))
    assert "deploy.production.blue_green.verify is not run: strategy is direct" in (
        result.render_text()
    )
    # what generate refuses is a problem here
    config = CONFIG + "trigger:\n  drift: {enabled: true, reference: 'git:production'}\n"
    result = check(make_repo(tmp_path / "d", {}, config))
    assert result.problems == [
        "trigger.drift: enabled needs current: the current data (CSV or Parquet) compared with "
        "reference, e.g. current: data/live.csv (mlci generate refuses this)"
    ]


# ------------------------------------------------------------------ thresholds vs the metrics file

DVC_METRICS = '{"train": {"roc_auc": 0.99, "precision": 0.95},\n "test": {"roc_auc": 0.93}}\n'


def test_a_threshold_on_a_metric_the_committed_metrics_file_lacks_is_a_problem(
    tmp_path: Path,
) -> None:
    # the trial's r4b: DVC commits eval/metrics.json with nested keys; the gate reads
    # test.roc_auc, so a threshold on roc_auc (or accuracy) fails as 'missing'
    config = CONFIG.replace("    accuracy: {min: 0.8}\n", "    roc_auc: {min: 0.9}\n").replace(
        "  command: python train.py\n",
        "  command: python train.py\n  metrics_file: eval/metrics.json\n",
    )
    files = {
        "eval/metrics.json": DVC_METRICS,
        "train.py": TRAIN.replace("metrics.json", "eval/metrics.json"),
    }
    result = check(make_repo(tmp_path / "nested", files, config))
    assert result.problems == [
        "validation.thresholds: roc_auc is not in eval/metrics.json (the metrics file in the "
        "repository has test.roc_auc, train.roc_auc, train.precision), and the gate fails on a "
        "missing metric: name the metric as the file does, or make the training write roc_auc"
    ]
    # named as the gate reads it, it passes
    fixed = config.replace("    roc_auc:", "    test.roc_auc:")
    result = check(make_repo(tmp_path / "fixed", files, fixed))
    assert result.ok, result.render_text()
    assert "validation.thresholds: test.roc_auc" in lines(result, "ok")


def test_thresholds_are_not_checked_without_a_readable_metrics_file(tmp_path: Path) -> None:
    # no committed file: what the training will write is unknown here
    assert check(make_repo(tmp_path / "absent", {})).ok
    # a file the gate cannot read as it stands (a placeholder the training overwrites)
    result = check(make_repo(tmp_path / "placeholder", {"metrics.json": ""}))
    assert result.ok, result.render_text()
    # a readable one that has the metric
    assert check(make_repo(tmp_path / "has", {"metrics.json": '{"accuracy": 0.9}'})).ok
    assert not check(make_repo(tmp_path / "lacks", {"metrics.json": "f1: 0.9\n"})).ok


# ------------------------------------------------------------------ the metrics file's path


def with_train(command: str, metrics_file: str) -> str:
    return CONFIG.replace(
        "  command: python train.py\n",
        f"  command: {command}\n  metrics_file: {metrics_file}\n",
    )


WRITES = {
    "literal": 'import json\nPATH = Path("reports/metrics.json")\nPATH.write_text("{}")\n',
    "joined": 'Path("reports").mkdir()\n(Path("reports") / "metrics.json").write_text("{}")\n',
    "os.path.join": 'open(os.path.join("reports", "metrics.json"), "w").write("{}")\n',
}


def metrics_line(result: DoctorResult) -> str:
    (line,) = [f"{c.level} {c.message}" for c in result.checks if "metrics_file" in c.message]
    return line


@pytest.mark.parametrize("spelling", sorted(WRITES))
def test_the_metrics_file_is_ok_only_at_the_path_the_script_writes(
    spelling: str, tmp_path: Path
) -> None:
    script = "import os\nfrom pathlib import Path\n" + WRITES[spelling]
    repo = make_repo(
        tmp_path / "right",
        {"train.py": script},
        with_train("python train.py", "reports/metrics.json"),
    )
    assert metrics_line(check(repo)) == (
        "ok train.metrics_file: reports/metrics.json is written by the training "
        "(train.py writes it)"
    )
    # the trial's r2: the script writes reports/metrics.json, mlci.yaml says metrics.json
    repo = make_repo(
        tmp_path / "wrong", {"train.py": script}, with_train("python train.py", "metrics.json")
    )
    assert metrics_line(check(repo)) == (
        "warning train.metrics_file: metrics.json, but the training seems to write "
        "reports/metrics.json (train.py): set train.metrics_file to the path it writes, or the "
        "gate fails (or reads a stale committed file)"
    )


def test_a_metrics_file_in_a_folder_the_script_computes(tmp_path: Path) -> None:
    # the trial's r1: out = Path(args.out_dir) defaulting to artifacts; mlci.yaml said metrics.json
    script = (
        "import argparse\nfrom pathlib import Path\np = argparse.ArgumentParser()\n"
        'p.add_argument("--out-dir", default="artifacts")\nargs = p.parse_args()\n'
        "out = Path(args.out_dir)\n"
        '(out / "metrics.json").write_text("{}")\n'
    )
    config = with_train("python train.py", "metrics.json")
    assert metrics_line(check(make_repo(tmp_path / "default", {"train.py": script}, config))) == (
        "warning train.metrics_file: metrics.json, but the training seems to write "
        "artifacts/metrics.json (train.py): set train.metrics_file to the path it writes, or the "
        "gate fails (or reads a stale committed file)"
    )
    # the value the command gives, through a make target (the trial's r3 ran `make train`)
    files = {"train.py": script, "Makefile": "train:\n\tpython train.py --out-dir out\n"}
    repo = make_repo(tmp_path / "make", files, with_train("make train", "out/metrics.json"))
    assert metrics_line(check(repo)) == (
        "ok train.metrics_file: out/metrics.json is written by the training (train.py writes it)"
    )
    # a folder from the script's own config: shown, not guessed
    script = (
        "import json, os\ncfg = json.load(open('train.json'))\n"
        "open(os.path.join(cfg['out'], 'metrics.json'), 'w').write('{}')\n"
    )
    repo = make_repo(tmp_path / "computed", {"train.py": script}, config)
    assert metrics_line(check(repo)) == (
        "warning train.metrics_file: the training writes metrics.json into a folder it computes "
        "when it runs (train.py line 3: os.path.join(cfg['out'], 'metrics.json')): make sure "
        "the file lands at metrics.json, or set train.metrics_file to where it does, or the "
        "gate fails"
    )
    # a script that names no metrics file at all: the warning of before
    repo = make_repo(tmp_path / "none", {"train.py": "print('trained')\n"})
    assert metrics_line(check(repo)).startswith(
        "warning train.metrics_file: metrics.json is not in the repository, not declared in "
        "dvc.yaml and not named by the train script"
    )


def test_dvc_declares_the_path_not_a_substring_of_it(tmp_path: Path) -> None:
    dvc = (
        "stages:\n  evaluate:\n    cmd: python src/evaluate.py\n"
        "    metrics:\n      - eval/metrics.json:\n          cache: false\n"
    )
    files = {
        "dvc.yaml": dvc,
        "src/evaluate.py": 'from pathlib import Path\nPath("eval/metrics.json").write_text("{}")\n',
        "requirements.txt": "dvc\npytest\n",
    }
    repo = make_repo(tmp_path / "right", files, with_train("dvc repro", "eval/metrics.json"))
    assert metrics_line(check(repo)) == (
        "ok train.metrics_file: eval/metrics.json is written by the training "
        "(src/evaluate.py writes it)"
    )
    # 'metrics.json' is a substring of dvc.yaml's eval/metrics.json: it passed before
    repo = make_repo(tmp_path / "wrong", files, with_train("dvc repro", "metrics.json"))
    assert metrics_line(check(repo)).startswith(
        "warning train.metrics_file: metrics.json, but the training seems to write "
        "eval/metrics.json (src/evaluate.py)"
    )
    # declared by dvc.yaml alone (the stage's script writes it into a computed folder)
    files["src/evaluate.py"] = "import sys\nopen(sys.argv[1], 'w').write('{}')\n"
    repo = make_repo(tmp_path / "declared", files, with_train("dvc repro", "eval/metrics.json"))
    assert metrics_line(check(repo)) == (
        "ok train.metrics_file: eval/metrics.json is written by the training (dvc.yaml declares it)"
    )


@pytest.mark.parametrize(
    "module", ["src/churn/train.py", "churn/train.py", "churn/train/__main__.py"]
)
def test_python_dash_m_is_the_module_file_in_the_repository(module: str, tmp_path: Path) -> None:
    # what init writes for a src layout; the trial's r1 got no check of its script at all
    needs = (
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--data', required=True)\np.parse_args()\n"
    )
    repo = make_repo(
        tmp_path / "r", {module: needs}, with_train("python -m churn.train", "metrics.json")
    )
    assert check(repo).problems == [
        f"train.command: {module} needs the arguments --data; add them to train.command"
    ]
    writes = "from pathlib import Path\nPath('metrics.json').write_text('{}')\n"
    repo = make_repo(
        tmp_path / "args", {module: needs + writes},
        with_train("uv run python -m churn.train --data d.csv", "metrics.json"),
    )  # fmt: skip
    result = check(repo)
    assert result.ok, result.render_text()
    assert f"train.command: {module} exists" in lines(result, "ok")
    assert metrics_line(result) == (
        f"ok train.metrics_file: metrics.json is written by the training ({module} writes it)"
    )


# ------------------------------------------------------------------ registry.backend: mlflow

MLFLOW = CONFIG + "registry:\n  backend: mlflow\n  tracking_uri_secret: TRACKING_URI\n"

LOGS = (
    "import json, os\nfrom pathlib import Path\nimport mlflow\n"
    "json.dump({'accuracy': 0.9}, open('metrics.json', 'w'))\n"
    "info = mlflow.sklearn.log_model(model, name='model')\n"
)


def mlflow_lines(result: DoctorResult) -> list[str]:
    return [
        f"{c.level} {c.message}"
        for c in result.checks
        if "model_uri_file" in c.message or "registry.backend" in c.message
    ]


def test_mlflow_backend_needs_the_model_uri_file_mlflow_and_the_secret(tmp_path: Path) -> None:
    # the trial's r1: backend mlflow, a script that logs no URI file, no mlflow installed
    repo = make_repo(tmp_path / "r1", {"train.py": LOGS}, MLFLOW)
    result = check(repo)
    assert mlflow_lines(result) == [
        "problem train.model_uri_file: registry.backend mlflow registers the model whose URI "
        "the training writes to model_uri.txt (register-model --source @model_uri.txt), and "
        "train.py never names model_uri.txt: after logging the model, write its URI there, e.g. "
        'Path("model_uri.txt").write_text(model_info.model_uri), or set train.model_uri_file',
        "warning registry.backend mlflow: the training logs its model with mlflow, but the "
        "install step does not appear to install mlflow; add mlflow (or mlflow-skinny) to a "
        "requirements file (install.requirements) or to install.command",
        "note registry.backend mlflow: add the repository secret TRACKING_URI "
        "(registry.tracking_uri_secret) holding your tracking server's URI (Settings > Secrets "
        "and variables > Actions); doctor cannot see secrets",
    ]
    assert result.notes() == [mlflow_lines(result)[-1].removeprefix("note ")]
    assert "note    registry.backend mlflow" in result.render_text()
    assert result.render_text().endswith("doctor: 1 problem, 1 warning\n")  # a note is neither
    # writing the URI (at the path, or where MLCI_MODEL_URI_FILE says) and installing mlflow
    for name, writes in {
        "path": "Path('model_uri.txt').write_text(info.model_uri)\n",
        "env": "Path(os.environ['MLCI_MODEL_URI_FILE']).write_text(info.model_uri)\n",
    }.items():
        files = {"train.py": LOGS + writes, "requirements.txt": "mlflow>=3\npytest\n"}
        result = check(make_repo(tmp_path / name, files, MLFLOW))
        assert result.ok and not result.cautions, result.render_text()
        how = (
            "train.py writes it"
            if name == "path"
            else "train.py writes the file $MLCI_MODEL_URI_FILE names"
        )
        assert mlflow_lines(result)[:2] == [
            f"ok train.model_uri_file: model_uri.txt is written by the training ({how})",
            "ok registry.backend mlflow: mlflow is installed by the install step",
        ]


def test_a_model_uri_file_under_another_folder_or_an_unread_command(tmp_path: Path) -> None:
    files = {"train.py": LOGS + "Path('out/model_uri.txt').write_text(info.model_uri)\n"}
    result = check(make_repo(tmp_path / "elsewhere", files, MLFLOW))
    assert mlflow_lines(result)[0] == (
        "warning train.model_uri_file: model_uri.txt, but the training seems to write "
        "out/model_uri.txt (train.py): set train.model_uri_file to the path it writes, or "
        "registration fails"
    )
    # a train command doctor cannot read (a shell script): a warning, not a problem
    config = MLFLOW.replace("command: python train.py", "command: ./train.sh")
    files = {"train.sh": "#!/bin/sh\npython train.py\n"}
    result = check(make_repo(tmp_path / "shell", files, config))
    assert mlflow_lines(result)[0].startswith(
        "warning train.model_uri_file: registry.backend mlflow registers the model whose URI "
        "the training writes to model_uri.txt (register-model --source @model_uri.txt), and no "
        "train script doctor can read names it"
    )
    # the git backend reads no URI file: nothing of this is checked
    assert mlflow_lines(check(make_repo(tmp_path / "git", {"train.py": LOGS}))) == []


def test_a_make_target_is_read_through_its_recipe(tmp_path: Path) -> None:
    # the trial's r3 trains with `make train`: its script was not checked at all
    needs = (
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--config', required=True)\np.parse_args()\n"
        "open('metrics.json', 'w').write('{}')\n"
    )
    config = with_train("make train", "metrics.json")
    files = {"training/train.py": needs, "Makefile": "train:\n\tpython training/train.py\n"}
    result = check(make_repo(tmp_path / "bare", files, config))
    assert result.problems == [
        "train.command: training/train.py needs the arguments --config; add them to the "
        "recipe of make train in the Makefile"
    ]
    files["Makefile"] = "train:\n\tpython training/train.py --config configs/train.yaml\n"
    result = check(make_repo(tmp_path / "given", files, config))
    assert result.ok, result.render_text()
    assert metrics_line(result) == (
        "ok train.metrics_file: metrics.json is written by the training "
        "(training/train.py writes it)"
    )
