"""rollback.yml and the rollback-model action: production back, with that version's verified files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO_ROOT, clean_env

from mlci import config, render

ACTION = REPO_ROOT / "actions" / "rollback-model" / "action.yml"


def rendered(**registry: Any) -> dict[str, str]:
    data = {
        "train": {"command": "python train.py", "artifacts": ["models/"]},
        "registry": {"model": "churn", **registry},
        "deploy": {"production": {"command": "./deploy.sh production"}},
        "secrets": {"train": ["REMOTE_KEY"], "deploy": ["DEPLOY_TOKEN"]},
    }
    return render.render(config.parse(json.dumps(data)))


def steps(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    job = yaml.safe_load(files[render.ROLLBACK])["jobs"]["rollback"]
    assert job["environment"] == "production"
    return {step["id"]: step for step in job["steps"]}


def test_rollback_fetches_the_restored_versions_files_and_deploys_them() -> None:
    found = steps(rendered(store="github-release"))
    assert list(found)[:3] == ["checkout", "rollback", "model"] and list(found)[-1] == "deploy"
    assert found["rollback"]["uses"] == "mlci-dev/mlci/actions/rollback-model@v1"
    assert found["rollback"]["with"]["stage"] == "production"
    model = found["model"]
    assert model["with"]["model-version"] == "${{ steps.rollback.outputs.model_version }}"
    assert model["with"]["github-token"] == "${{ github.token }}"
    assert "from-dir" not in model["with"]  # from the store, not a workflow artifact
    env = found["deploy"]["env"]
    assert env["MLCI_MODEL_DIR"] == "${{ steps.model.outputs.model_dir }}"
    assert env["MLCI_MODEL_VERSION"] == "${{ steps.rollback.outputs.model_version }}"
    assert env["DEPLOY_TOKEN"] == "${{ secrets.DEPLOY_TOKEN }}"


def test_dvc_store_gives_the_fetch_dvc_and_the_remote_credentials() -> None:
    model = steps(rendered(store="dvc"))["model"]
    assert model["with"]["extras"] == "dvc"
    assert model["env"] == {"REMOTE_KEY": "${{ secrets.REMOTE_KEY }}"}
    mlflow = steps(rendered(backend="mlflow"))["model"]
    assert mlflow["with"]["extras"] == "mlflow"
    assert set(mlflow["env"]) == {"MLFLOW_TRACKING_URI"}


def test_store_none_says_the_files_cannot_be_fetched_again() -> None:
    files = rendered(store="none")
    found = steps(files)
    assert "model" not in found
    assert "cannot be fetched" in found["store-note"]["run"]
    assert "MLCI_MODEL_DIR" not in found["deploy"]["env"]
    # and each deploy of the pipeline says so in its summary (the act run uses a release)
    pipeline = yaml.safe_load(files[render.PIPELINE])["jobs"]
    for job in ("deploy-staging", "deploy-production"):
        (note,) = [s for s in pipeline[job]["steps"] if s.get("id") == "store-note"]
        assert "cannot fetch this version's files again" in note["run"], job
    assert not any(
        s.get("id") == "store-note"
        for s in yaml.safe_load(rendered()[render.PIPELINE])["jobs"]["deploy-staging"]["steps"]
    )


def test_no_rollback_workflow_without_model_files() -> None:
    data = {"train": {"command": "python train.py"}}
    assert render.ROLLBACK not in render.render(config.parse(json.dumps(data)))


def test_rollback_model_action_passes_inputs_through_env_and_lints_clean() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert list(action["inputs"]) == [
        "model", "stage", "config", "github-token", "python-version", "extras",
    ]  # fmt: skip
    assert set(action["outputs"]) == {"model_version", "previous_version", "image"}
    _, run = action["runs"]["steps"]
    assert "${{" not in run["run"]
    passed = {v.removeprefix("${{ inputs.").removesuffix(" }}") for v in run["env"].values()}
    assert passed == set(action["inputs"]) - {"python-version"}
    proc = subprocess.run(
        ["zizmor", "--offline", "--no-progress", str(ACTION)],
        capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rollback_model_outputs_inside_actions(tmp_path: Path, git_repo: Path) -> None:
    from conftest import run_mlci

    from mlci.registry.git import GitRegistry

    registry = GitRegistry(root=git_repo)
    for n in (1, 2):
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", f"v{n}"],
            cwd=git_repo,
            check=True,
            env=clean_env(),
        )
        registry.register("churn", metrics={"accuracy": 0.9})
        registry.promote("churn", f"v0.0.{n}", to_stage="production")
    out = tmp_path / "out"
    out.touch()
    proc = run_mlci(
        "rollback-model", "--model", "churn", "--stage", "production", cwd=git_repo,
        env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(tmp_path / "s")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "model_version=v0.0.1\n" in out.read_text()
    assert "previous_version=v0.0.2\n" in out.read_text()


def test_dvc_store_installs_the_project_before_the_fetch_runs_dvc() -> None:
    """mlci/dvc.py runs the `dvc` on PATH (with the remote's plugin), which the action's
    private venv does not provide: the project's install runs first, once per job."""
    found = steps(rendered(store="dvc"))
    ids = list(found)
    assert ids[:5] == ["checkout", "rollback", "setup-python", "install", "model"]
    assert ids.count("setup-python") == 1 and ids[-1] == "deploy"
    assert found["setup-python"]["with"]["python-version"] == "3.11"
    assert found["install"]["run"] == "python -m pip install -r requirements.txt"
    assert found["model"]["env"] == {"REMOTE_KEY": "${{ secrets.REMOTE_KEY }}"}
    # other stores fetch with mlci alone: the project is set up for the deploy only
    ids = list(steps(rendered(store="github-release")))
    assert ids.index("model") < ids.index("setup-python") < ids.index("deploy")


def test_an_image_built_before_training_is_recorded_and_a_rollback_deploys_it() -> None:
    """The deploy contract gives MLCI_IMAGE to rollback.yml's deploy whenever image.enabled:
    the image build-image pushed is recorded with the model files, as after-training does."""
    data = {
        "train": {"command": "python train.py", "artifacts": ["models/"]},
        "image": {"enabled": True, "build": "before-training"},
        "deploy": {"production": {"command": "./deploy.sh production"}},
    }
    files = render.render(config.parse(json.dumps(data)))
    jobs = yaml.safe_load(files[render.PIPELINE])["jobs"]
    assert set(jobs["build-image"]["outputs"]) == {"image", "digest"}
    assert "build-image" in jobs["train"]["needs"]
    register = {s["id"]: s for s in jobs["train"]["steps"]}["register"]
    assert register["with"]["image"] == (
        "${{ needs.build-image.outputs.image }}@${{ needs.build-image.outputs.digest }}"
    )
    assert steps(files)["deploy"]["env"]["MLCI_IMAGE"] == "${{ steps.rollback.outputs.image }}"
    # without model files register-model refuses --image (nothing to record it with), and
    # there is no rollback.yml: the image is deployed by build-image's digest only
    del data["train"]["artifacts"]
    files = render.render(config.parse(json.dumps(data)))
    jobs = yaml.safe_load(files[render.PIPELINE])["jobs"]
    assert "image" not in {s["id"]: s for s in jobs["train"]["steps"]}["register"]["with"]
    assert render.ROLLBACK not in files
