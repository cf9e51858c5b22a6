"""mlci retrain-trigger in real git repositories, with versions registered by real
``mlci register-model`` runs (git tags), and against a real MLflow server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import RunMlci, git
from mlflow_server import free_port

BASE = """\
train:
  command: python train.py
registry:
  model: churn
"""


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    """Write ``files``, commit them all, return the new commit's SHA."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """An ML repo with data/ and mlci.yaml committed (default trigger: new data under data/)."""
    commit(
        git_repo,
        {"mlci.yaml": BASE, "train.py": "print('train')\n", "data/train.csv": "x,y\n1,0\n"},
        "ml project",
    )
    return git_repo


def register(mlci: RunMlci, repo: Path, tmp_path: Path) -> str:
    """Register HEAD as a new version with the real command; return the 12-char commit."""
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"accuracy": 0.9}')
    proc = mlci("register-model", "--metrics", str(metrics), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return git(repo, "rev-parse", "HEAD").strip()[:12]


def decide(
    mlci: RunMlci, repo: Path, *args: str, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return mlci("retrain-trigger", *args, cwd=repo, **kwargs)


# --------------------------------------------------------------------------- the rule, git registry


def test_no_registered_version_yet_retrains(mlci: RunMlci, repo: Path) -> None:
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "should_train: true\nreason: no registered version of churn yet\n"
    assert proc.stderr == ""


def test_data_changed_since_the_last_version_retrains(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    register(mlci, repo, tmp_path)  # v0.0.1
    commit(repo, {"train.py": "print('train v2')\n"}, "code")
    at = register(mlci, repo, tmp_path)  # v0.0.2: the newest version is compared, not the first
    commit(repo, {"data/train.csv": "x,y\n1,0\n2,1\n", "data/new.csv": "x,y\n"}, "new data")
    commit(repo, {"README.md": "# docs\n"}, "docs")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "should_train: true\n"
        f"reason: 2 files changed under data/ since churn v0.0.2 (commit {at})\n"
        "changed:\n"
        "  data/new.csv\n"
        "  data/train.csv\n"
    )


def test_only_code_changed_does_not_retrain(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    at = register(mlci, repo, tmp_path)
    commit(repo, {"train.py": "print('faster')\n", "src/features.py": "X = 1\n"}, "code only")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"should_train: false\nreason: no change under data/ since churn v0.0.1 (commit {at})\n"
    )
    assert proc.stderr == ""


def test_dvc_lock_in_paths(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    config = BASE + "trigger:\n  new_data:\n    paths: [data/, dvc.lock]\n"
    commit(repo, {"mlci.yaml": config, "dvc.lock": "md5: aaa\n"}, "dvc")
    at = register(mlci, repo, tmp_path)
    commit(repo, {"dvc.lock": "md5: bbb\n"}, "dvc pull of new data")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "should_train: true\n"
        f"reason: 1 file changed under data/, dvc.lock since churn v0.0.1 (commit {at})\n"
        "changed:\n"
        "  dvc.lock\n"
    )


def test_a_deleted_data_file_is_a_change(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    register(mlci, repo, tmp_path)
    git(repo, "rm", "-q", "data/train.csv")
    git(repo, "commit", "-q", "-m", "drop the old data")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("should_train: true\nreason: 1 file changed under data/ since")
    assert "  data/train.csv\n" in proc.stdout


def test_a_path_matching_no_committed_file_is_a_warning(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    """data kept out of git (e.g. by DVC) could never fire the trigger: say so."""
    config = BASE + "trigger:\n  new_data:\n    paths: [data/, datasets/]\n"
    commit(repo, {"mlci.yaml": config}, "config")
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("should_train: false\n")
    assert proc.stderr == (
        "warning: trigger.new_data.paths: datasets/ matches no file committed at HEAD, so it can "
        "never start a retrain (data kept out of git? list dvc.lock or the .dvc files instead)\n"
    )


def test_new_data_disabled_does_not_retrain_and_says_so(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    config = BASE + "trigger:\n  new_data:\n    enabled: false\n"
    commit(repo, {"mlci.yaml": config}, "config")
    register(mlci, repo, tmp_path)
    commit(repo, {"data/more.csv": "x\n"}, "data")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "should_train: false\nreason: no retraining trigger is enabled "
        "(trigger.new_data, trigger.drift and trigger.decay are off); churn v0.0.1 stays; "
        "run with force_retrain to retrain\n"
    )


def test_shallow_checkout_without_tags_retrains_and_says_why(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    """actions/checkout's default depth 1 fetches no tags: retrain, and name the fix."""
    register(mlci, repo, tmp_path)
    commit(repo, {"train.py": "print('v2')\n"}, "code")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    assert git(clone, "tag").strip() == ""
    proc = decide(mlci, clone)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "should_train: true\nreason: no registered version of churn yet (this checkout is "
        "shallow and may lack the registry's tags: check out with fetch-depth: 0)\n"
    )


def test_force(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, "--force")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "should_train: true\nreason: forced\n"


# --------------------------------------------------------------------------- bad input: exit 2


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (
            "  drift:\n    enabled: true\n",
            "mlci: error: trigger.drift.current is not set: name the current data (CSV or "
            "Parquet), or pass --current FILE\n",
        ),
        (
            "  decay:\n    enabled: true\n    metric: accuracy\n    min: 0.8\n",
            "mlci: error: trigger.decay: say where accuracy comes from: source (a JSON or CSV "
            "monitoring export, or --metrics FILE) or prometheus and query\n",
        ),
        (
            "  new_data:\n    paths: []\n",
            "mlci: error: trigger.new_data.paths is empty: list the paths whose change starts "
            'a retrain (e.g. ["data/", "dvc.lock"]), or set trigger.new_data.enabled: false\n',
        ),
    ],
    ids=["drift", "decay", "no-paths"],
)
@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
def test_incomplete_trigger_config_exit_2(
    mlci: RunMlci, repo: Path, trigger: str, message: str, force: bool
) -> None:
    commit(repo, {"mlci.yaml": BASE + "trigger:\n" + trigger}, "config")
    proc = decide(mlci, repo, *(["--force"] if force else []))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BASE + "trigger:\n  new_data:\n    path: [data/]\n",
            "mlci: error: mlci.yaml:7: unknown key 'path' in trigger.new_data "
            "(did you mean 'paths'?)\n",
        ),
        ("train: [\n", "mlci: error: mlci.yaml:2: invalid YAML: "),
    ],
    ids=["unknown-key", "invalid-yaml"],
)
def test_broken_config_exit_2(mlci: RunMlci, repo: Path, text: str, message: str) -> None:
    (repo / "mlci.yaml").write_text(text)
    proc = decide(mlci, repo)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(message)
    assert len(proc.stderr.splitlines()) == 1


def test_missing_config_exit_2(mlci: RunMlci, repo: Path) -> None:
    proc = decide(mlci, repo, "--config", "ci/mlci.yaml")
    assert proc.returncode == 2
    assert proc.stderr == (
        "mlci: error: ci/mlci.yaml: no such file; run `mlci init` to create it, or pass --config\n"
    )


def test_not_a_git_repository_exit_2(mlci: RunMlci, tmp_path: Path) -> None:
    (tmp_path / "mlci.yaml").write_text(BASE)
    proc = decide(mlci, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"mlci: error: {tmp_path}: is not a git repository")
    assert len(proc.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- inside GitHub Actions


def actions_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "output").write_text("")
    (tmp_path / "summary").write_text("")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }


def test_outputs_and_summary_inside_actions(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    at = register(mlci, repo, tmp_path)
    commit(repo, {"data/more.csv": "x\n"}, "data")
    proc = decide(mlci, repo, env=actions_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    reason = f"1 file changed under data/ since churn v0.0.1 (commit {at})"
    assert proc.stdout == (
        f"should_train: true\nreason: {reason}\nchanged:\n  data/more.csv\n"
        f"::notice title=retrain-trigger::{reason}\n"
    )
    output = (tmp_path / "output").read_text()
    assert output.startswith(f"should_train=true\nreason={reason}\nreport=")
    report = json.loads(output.split("report=", 1)[1])
    assert report["trigger"] == "new_data" and report["should_train"] is True
    assert report["checks"][0]["changed"] == ["data/more.csv"]
    assert (tmp_path / "summary").read_text() == (
        "### retrain-trigger: retrain\n\n"
        f"`should_train=true` — {reason}\n\n"
        "Changed files:\n\n"
        "* `data/more.csv`\n"
    )


def test_no_retrain_outputs_inside_actions(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    at = register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, env=actions_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    reason = f"no change under data/ since churn v0.0.1 (commit {at})"
    output = (tmp_path / "output").read_text()
    assert output.startswith(f"should_train=false\nreason={reason}\nreport=")
    assert json.loads(output.split("report=", 1)[1])["should_train"] is False
    assert (tmp_path / "summary").read_text() == (
        f"### retrain-trigger: no retrain\n\n`should_train=false` — {reason}\n"
    )


def test_bad_input_inside_actions_writes_no_output(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    commit(repo, {"mlci.yaml": BASE + "trigger:\n  drift:\n    enabled: true\n"}, "config")
    proc = decide(mlci, repo, env=actions_env(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == (
        "::error title=retrain-trigger::trigger.drift.current is not set: name the current data "
        "(CSV or Parquet), or pass --current FILE\n"
    )
    assert (tmp_path / "output").read_text() == ""
    assert (tmp_path / "summary").read_text() == ""


# --------------------------------------------------------------------------- MLflow registry

MLFLOW = """\
train:
  command: python train.py
registry:
  backend: mlflow
  model: {model}
"""

_models = iter(range(1_000_000))


@pytest.fixture
def mlflow_repo(git_repo: Path) -> tuple[Path, str]:
    """A repo whose mlci.yaml names a model no other test uses on the shared server."""
    pytest.importorskip("mlflow")
    model = f"trigger-{next(_models)}-{git_repo.stat().st_ino}"
    commit(
        git_repo,
        {"mlci.yaml": MLFLOW.format(model=model), "data/train.csv": "x,y\n1,0\n"},
        "ml project",
    )
    return git_repo, model


def register_mlflow(
    mlci: RunMlci, repo: Path, uri: str, source: str, tmp_path: Path, sha: str | None
) -> None:
    """Register with the real command; GITHUB_SHA set as inside Actions (or not)."""
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"accuracy": 0.9}')
    env = {"MLFLOW_TRACKING_URI": uri, **({"GITHUB_SHA": sha} if sha else {})}
    proc = mlci("register-model", "--metrics", str(metrics), "--source", source, cwd=repo, env=env)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_mlflow_first_run_then_new_data(
    mlci: RunMlci,
    mlflow_repo: tuple[Path, str],
    mlflow_server: str,
    logged_model: dict[str, str],
    tmp_path: Path,
) -> None:
    repo, model = mlflow_repo
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    first = decide(mlci, repo, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"should_train: true\nreason: no registered version of {model} yet\n"
    sha = git(repo, "rev-parse", "HEAD").strip()
    register_mlflow(mlci, repo, mlflow_server, logged_model["model_uri"], tmp_path, sha)
    unchanged = decide(mlci, repo, env=env)
    assert unchanged.stdout == (
        f"should_train: false\nreason: no change under data/ since {model} 1 (commit {sha[:12]})\n"
    )
    commit(repo, {"data/train.csv": "x,y\n1,0\n2,1\n"}, "new data")
    changed = decide(mlci, repo, env=env)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.startswith(
        f"should_train: true\nreason: 1 file changed under data/ since {model} 1 "
        f"(commit {sha[:12]})\n"
    )


@pytest.mark.slow
def test_mlflow_version_without_a_commit_retrains(
    mlci: RunMlci,
    mlflow_repo: tuple[Path, str],
    mlflow_server: str,
    logged_model: dict[str, str],
    tmp_path: Path,
) -> None:
    """Registered outside Actions: no commit recorded, so new data cannot be ruled out."""
    repo, model = mlflow_repo
    register_mlflow(mlci, repo, mlflow_server, logged_model["model_uri"], tmp_path, None)
    proc = decide(mlci, repo, env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"should_train: true\nreason: {model} 1 records no commit (registered outside GitHub "
        "Actions?), so new data under data/ since it cannot be ruled out; retraining, the safe "
        "answer when a trigger cannot tell\n"
    )


@pytest.mark.slow
def test_mlflow_commit_missing_from_a_shallow_clone_retrains(
    mlci: RunMlci,
    mlflow_repo: tuple[Path, str],
    mlflow_server: str,
    logged_model: dict[str, str],
    tmp_path: Path,
) -> None:
    repo, model = mlflow_repo
    trained = git(repo, "rev-parse", "HEAD").strip()
    register_mlflow(mlci, repo, mlflow_server, logged_model["model_uri"], tmp_path, trained)
    commit(repo, {"train.py": "print('v2')\n"}, "code")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    proc = decide(mlci, clone, env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"should_train: true\nreason: commit {trained[:12]} of {model} 1 is not in this "
        "repository (this checkout is shallow: check out with fetch-depth: 0), so new data "
        "under data/ since it cannot be ruled out; retraining, the safe answer when a trigger "
        "cannot tell\n"
    )


def test_unreachable_mlflow_exit_2(mlci: RunMlci, git_repo: Path) -> None:
    pytest.importorskip("mlflow")
    commit(git_repo, {"mlci.yaml": MLFLOW.format(model="churn")}, "config")
    uri = f"http://127.0.0.1:{free_port()}"
    proc = decide(mlci, git_repo, env={"MLFLOW_TRACKING_URI": uri})
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"cannot reach MLflow at {uri}" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
