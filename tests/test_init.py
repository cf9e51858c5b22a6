"""`mlci init` on real repositories laid out like ML projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunMlci, git, snapshot

from mlci import config, render


def test_init_on_a_realistic_ml_repo(ml_repo: Path, mlci: RunMlci) -> None:
    proc = mlci("init", "--yes", cwd=ml_repo)
    assert proc.returncode == 0, proc.stderr
    for rel in ("mlci.yaml", render.PIPELINE, render.TRAINING, render.ZIZMOR):
        assert f"wrote {rel}" in proc.stdout
        assert (ml_repo / rel).is_file()
    assert "Next steps:" in proc.stdout
    assert "'staging' and 'production'" in proc.stdout

    loaded = config.load(ml_repo / "mlci.yaml").config
    # dvc.yaml's train stage writes the metrics; dvc itself is installed with the project
    assert loaded.train.command == "dvc repro train"
    assert loaded.install.command == (
        "python -m pip install -r requirements.txt -r requirements-dev.txt dvc"
    )
    assert loaded.python.version == "3.11"
    assert loaded.tests.unit == "tests/unit"
    assert loaded.tests.data == "tests/data"
    assert loaded.tests.model == "tests/model"
    assert loaded.tests.integration == "tests/integration"
    assert loaded.data.pull is None  # no remote in .dvc/config: nothing to pull
    assert loaded.image.enabled is True
    assert loaded.lint.commands == ["ruff check ."]
    assert loaded.registry.model == "churn-model"
    assert loaded.trigger.new_data.paths == ["data/", "dvc.lock"]

    # the files it wrote are fresh and lint clean
    assert mlci("check", cwd=ml_repo).returncode == 0
    lint = mlci("lint", cwd=ml_repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_scaffolded_config_is_commented_and_points_editors_at_the_schema(
    ml_repo: Path, mlci: RunMlci
) -> None:
    assert mlci("init", "--yes", cwd=ml_repo).returncode == 0
    text = (ml_repo / "mlci.yaml").read_text()
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=https://")
    assert first.endswith("/mlci.schema.json")
    comment_lines = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comment_lines) >= 30


def test_init_on_a_minimal_repo_detects_little_and_still_works(
    git_repo: Path, mlci: RunMlci
) -> None:
    (git_repo / "pyproject.toml").write_text(
        '[project]\nname = "Fraud.Detector"\nrequires-python = ">=3.10"\n'
    )
    (git_repo / "src").mkdir()
    (git_repo / "src" / "train.py").write_text("print('train')\n")
    proc = mlci("init", "--yes", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    loaded = config.load(git_repo / "mlci.yaml").config
    assert loaded.train.command == "python src/train.py"
    assert loaded.install.requirements == []
    assert loaded.install.command == "python -m pip install ."
    assert loaded.python.version == "3.10"
    assert loaded.tests.unit is None and loaded.tests.integration is None
    assert loaded.data.pull is None
    assert loaded.image.enabled is False
    assert loaded.lint.commands == []
    assert loaded.registry.model == "fraud-detector"
    assert mlci("lint", cwd=git_repo).returncode == 0


def test_init_exits_1_when_what_it_wrote_would_fail_the_first_push(
    git_repo: Path, mlci: RunMlci
) -> None:
    # a train script that needs arguments init cannot know: the files are written (the
    # user fixes mlci.yaml), but `mlci init --yes && mlci lint` in a script stops, exit 1
    (git_repo / "train.py").write_text(
        "import argparse, json\np = argparse.ArgumentParser()\np.add_argument('--data', "
        "required=True)\np.parse_args()\njson.dump({'accuracy': 1}, open('metrics.json', 'w'))\n"
    )
    proc = mlci("init", "--yes", "--threshold", "accuracy>=0.8", cwd=git_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (git_repo / "mlci.yaml").is_file() and (git_repo / render.PIPELINE).is_file()
    assert "PROBLEM train.command: train.py needs the arguments --data" in proc.stdout
    assert proc.stderr.splitlines()[-1] == (
        "mlci: init wrote the files, but a problem would fail the first push: train.command: "
        "train.py needs the arguments --data; add them to train.command. Fix it in the "
        "repository or in mlci.yaml (then `mlci generate`), and rerun `mlci doctor`"
    )
    # given the arguments, the same repository initialises with exit 0
    proc = mlci(
        "init", "--yes", "--force", "--threshold", "accuracy>=0.8",
        "--train-command", "python train.py --data d.csv", cwd=git_repo,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PROBLEM" not in proc.stdout


def test_init_with_flags(git_repo: Path, mlci: RunMlci) -> None:
    proc = mlci(
        "init",
        "--yes",
        "--train-command",
        "python -m churn.train --epochs 3",
        "--model",
        "churn",
        "--backend",
        "mlflow",
        "--strategy",
        "canary",
        "--python",
        "3.12",
        "--actions-ref",
        "0123456789abcdef0123456789abcdef01234567",
        cwd=git_repo,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = config.load(git_repo / "mlci.yaml").config
    assert loaded.train.command == "python -m churn.train --epochs 3"
    assert loaded.registry.backend == "mlflow"
    assert loaded.deploy.production.strategy == "canary"
    assert loaded.python.version == "3.12"
    assert loaded.actions.pinned_by_sha
    assert "Add the repository secret MLFLOW_TRACKING_URI" in proc.stdout
    # canary renders, but cannot run without a router and a Prometheus: init says so
    assert (
        "note: deploy.production.strategy canary needs deploy.production.canary.router"
        in proc.stderr
    )
    pipeline = (git_repo / render.PIPELINE).read_text()
    assert "/actions/validate-model@0123456789abcdef0123456789abcdef01234567" in pipeline
    zizmor = (git_repo / render.ZIZMOR).read_text()
    assert "ref-pin" not in zizmor  # a SHA-pinned mlci needs no exception
    assert mlci("lint", cwd=git_repo).returncode == 0


def test_init_never_overwrites_without_force(ml_repo: Path, mlci: RunMlci) -> None:
    assert mlci("init", "--yes", cwd=ml_repo).returncode == 0
    (ml_repo / "mlci.yaml").write_text((ml_repo / "mlci.yaml").read_text() + "# mine\n")
    before = snapshot(ml_repo)
    proc = mlci("init", "--yes", cwd=ml_repo)
    assert proc.returncode == 2
    assert "already exist" in proc.stderr
    assert "mlci init --force" in proc.stderr
    assert snapshot(ml_repo) == before
    proc = mlci("init", "--yes", "--force", cwd=ml_repo)
    assert proc.returncode == 0
    assert "# mine" not in (ml_repo / "mlci.yaml").read_text()


def test_init_refuses_when_only_a_workflow_exists(ml_repo: Path, mlci: RunMlci) -> None:
    workflow = ml_repo / render.TRAINING
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n")
    before = snapshot(ml_repo)
    proc = mlci("init", "--yes", cwd=ml_repo)
    assert proc.returncode == 2
    assert render.TRAINING in proc.stderr
    assert snapshot(ml_repo) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "2.7"], "python.version"),
        (["--model", "!!!"], "registry.model"),
        (["--actions-repository", "nope"], "actions.repository"),
    ],
)
def test_init_with_bad_answers_is_exit_2_and_writes_nothing(
    ml_repo: Path, mlci: RunMlci, args: list[str], message: str
) -> None:
    before = snapshot(ml_repo)
    proc = mlci("init", "--yes", *args, cwd=ml_repo)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(ml_repo) == before


def test_init_without_a_training_command_says_what_to_pass(git_repo: Path, mlci: RunMlci) -> None:
    proc = mlci("init", "--yes", cwd=git_repo)
    assert proc.returncode == 2
    assert "--train-command" in proc.stderr
    assert not (git_repo / "mlci.yaml").exists()


def test_init_in_a_missing_directory(tmp_path: Path, mlci: RunMlci) -> None:
    proc = mlci("init", "--yes", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no such directory" in proc.stderr


def test_init_takes_the_model_name_from_the_git_remote(ml_repo: Path, mlci: RunMlci) -> None:
    git(ml_repo, "remote", "add", "origin", "https://github.com/acme/Credit_Scoring.git")
    assert mlci("init", "--yes", str(ml_repo), cwd=ml_repo.parent).returncode == 0
    assert config.load(ml_repo / "mlci.yaml").config.registry.model == "credit-scoring"


# Keys whose value init fills in from the repository or the answers. Every other value the
# scaffolded mlci.yaml writes must be the Config model's own default: the commented file
# teaches the defaults, so a value that differs would mean one thing and say another.
FILLED_BY_INIT = {
    "branches",
    "actions.repository",
    "actions.ref",
    "python.version",
    "install.requirements",
    "lint.commands",
    "tests.unit",
    "tests.data",
    "tests.model",
    "tests.integration",
    "data.pull",
    "image.enabled",
    "train.command",
    "train.metrics_file",
    "registry.backend",
    "registry.model",
    "deploy.production.strategy",
    "trigger.new_data.paths",
}


def _leaves(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, dict) and value:
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    return {path: value}


def test_the_values_init_writes_are_the_config_defaults(git_repo: Path) -> None:
    import yaml

    from mlci import scaffold

    text = scaffold.scaffold_text(git_repo, scaffold.Answers(train_command="python train.py"))
    written = _leaves(yaml.safe_load(text))
    model = config.parse("version: 1\ntrain:\n  command: python train.py\n")
    defaults = _leaves(model.model_dump(mode="json", by_alias=True))
    assert written.keys() >= FILLED_BY_INIT  # the list names keys init really writes
    assert len(written) > 50  # the whole commented file, not a fragment
    differ = {
        path: (value, defaults.get(path, "<not a Config key>"))
        for path, value in written.items()
        if path not in FILLED_BY_INIT and defaults.get(path, object()) != value
    }
    assert differ == {}


def test_the_trigger_block_init_writes_holds_the_config_defaults(git_repo: Path) -> None:
    """Every trigger key mlci.yaml.j2 writes is a key of the Config model, at its default:
    enabling drift or decay in a scaffolded file changes nothing else (no stray threshold)."""
    import yaml

    from mlci import scaffold

    text = scaffold.scaffold_text(git_repo, scaffold.Answers(train_command="python train.py"))
    written = yaml.safe_load(text)["trigger"]
    loaded = config.parse(text)
    defaults = config.Trigger()
    assert loaded.trigger.drift == defaults.drift
    assert loaded.trigger.decay == defaults.decay
    assert loaded.trigger.drift.drift_share == 0.5  # evidently's data-set drift share
    assert loaded.trigger.cooldown_hours is None
    assert set(written) == {"new_data", "drift", "decay", "cooldown_hours"}
    for section in ("drift", "decay"):
        model = getattr(defaults, section)
        assert written[section], section
        for key, value in written[section].items():
            assert key in type(model).model_fields, f"trigger.{section}.{key}"
            assert getattr(model, key) == value, f"trigger.{section}.{key}"
    # the documented keys a user turns on are all there, to be filled in
    assert {"reference", "current", "share"} <= set(written["drift"])
    assert {"metric", "source", "min", "max"} <= set(written["decay"])
