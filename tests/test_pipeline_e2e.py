"""The generated workflows, run end to end with act on the example repository.

act runs every job on this machine (host mode, ``-P ubuntu-latest=-self-hosted``);
the mlci actions come from this checkout (``--local-repository``). A bare
repository on disk plays GitHub: it is ``origin``, the registry's tags are
pushed there by one job and read by the next. The two third-party actions the
jobs use cannot be fetched here, so stand-ins replace them: setup-python uses
the host's Python; checkout (act's ``--no-skip-checkout``) fetches the commit
under test from ``origin``, with the tags only when the workflow asks for
``fetch-depth: 0`` — so a job that needs the registry but forgot the full
checkout fails here as it would on GitHub.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import clean_env, git, run_mlci
from github_fake import FakeGitHub
from repo_shapes import make

from mlci import lockfile

REPO_ROOT = Path(__file__).resolve().parent.parent
PINS = lockfile.load_pins()

pytestmark = pytest.mark.slow  # each act run takes 15-60 s

CHECKOUT_STAND_IN = """\
name: checkout stand-in
description: >-
  What actions/checkout does, from the bare repository on disk that plays GitHub:
  the commit under test, with the tags only when fetch-depth is 0, and no token left behind.
inputs:
  persist-credentials: {required: false, default: "true"}
  fetch-depth: {required: false, default: "1"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        FETCH_DEPTH: ${{ inputs.fetch-depth }}
      run: |
        set -eu
        git init -q .
        git remote remove origin 2>/dev/null || true
        git remote add origin "$MLCI_E2E_ORIGIN"
        if [ "$FETCH_DEPTH" = 0 ]; then tags=--tags; else tags=--no-tags; fi
        git fetch -q --force "$tags" origin '+refs/heads/*:refs/remotes/origin/*'
        git checkout -q --force --detach "$GITHUB_SHA"
        git clean -q -fdx
"""

# upload-artifact / download-artifact: a folder on disk plays the run's artifact storage. Like
# the real action, an upload of one folder roots the artifact at that folder's contents.
UPLOAD_ARTIFACT_STAND_IN = """\
name: upload-artifact stand-in
description: Copies the paths into $MLCI_E2E_ARTIFACTS/<name>, rooted as upload-artifact roots them.
inputs:
  name: {required: true}
  path: {required: true}
  if-no-files-found: {required: false, default: warn}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        PATHS: ${{ inputs.path }}
      run: |
        set -eu
        dest="$MLCI_E2E_ARTIFACTS/$NAME"
        mkdir -p "$dest"
        mapfile -t paths < <(printf '%s\\n' "$PATHS" | sed '/^$/d')
        if [ "${#paths[@]}" = 1 ] && [ -d "${paths[0]}" ]; then
          cp -R "${paths[0]%/}/." "$dest/"
        else
          for p in "${paths[@]}"; do cp -R --parents "${p%/}" "$dest/"; done
        fi
"""

DOWNLOAD_ARTIFACT_STAND_IN = """\
name: download-artifact stand-in
description: Copies $MLCI_E2E_ARTIFACTS/<name> to path.
inputs:
  name: {required: true}
  path: {required: true}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        DEST: ${{ inputs.path }}
      run: mkdir -p "$DEST" && cp -R "$MLCI_E2E_ARTIFACTS/$NAME/." "$DEST/"
"""

# What a user's deploy command sees: the verified files at their recorded paths.
DEPLOY = """\
import hashlib, os, sys
from pathlib import Path
weights = Path(os.environ["MLCI_MODEL_DIR"]) / "models" / "weights.json"
digest = hashlib.sha256(weights.read_bytes()).hexdigest()
print(f"deploying {os.environ['MLCI_MODEL']} {os.environ['MLCI_MODEL_VERSION']} to {sys.argv[1]}: weights.json sha256={digest}")
"""

SETUP_PYTHON_STAND_IN = """\
name: setup-python stand-in
description: act in host mode uses the host's Python.
inputs:
  python-version: {required: false, default: ""}
  cache: {required: false, default: ""}
  cache-dependency-path: {required: false, default: ""}
runs:
  using: composite
  steps:
    - shell: bash
      run: python --version
"""


STAND_INS = {
    "checkout": CHECKOUT_STAND_IN,
    "setup-python": SETUP_PYTHON_STAND_IN,
    "upload-artifact": UPLOAD_ARTIFACT_STAND_IN,
    "download-artifact": DOWNLOAD_ARTIFACT_STAND_IN,
}


def init(repo: Path, threshold: str) -> None:
    """`mlci init --yes --threshold ...` as the README runs it, then what act needs: the
    pipeline called as ./.github/workflows/... (``self_reference: relative``)."""
    proc = run_mlci(
        "init", "--yes", "--threshold", threshold, "--actions-repository", "acme/mlci", cwd=repo
    )
    assert proc.returncode == 0, proc.stderr
    config = repo / "mlci.yaml"
    config.write_text(
        config.read_text().replace("  self_reference: self", "  self_reference: relative")
    )
    assert run_mlci("generate", cwd=repo).returncode == 0


def publish(repo: Path, message: str) -> None:
    """Commit ``repo``, give it a bare ``origin`` beside it, push main, write the stand-ins."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    remote = repo.parent / "origin.git"
    git(repo.parent, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    for name, text in STAND_INS.items():
        (repo.parent / name).mkdir()
        (repo.parent / name / "action.yml").write_text(text)


@pytest.fixture
def pipeline_repo(tmp_path: Path, github: FakeGitHub) -> Path:
    """examples/churn after the README's first command, and a bare `origin`.

    mlci.yaml is what `mlci init --yes --threshold 'accuracy>=0.6'` wrote (issue 9: the README's
    demo passes its own gate; train.artifacts and registry.store: auto as init chose them, the
    files going to a GitHub release on the fake GitHub), but for the two things init cannot
    know: act's self-reference and the user's own deploy command.
    """
    repo = tmp_path / "churn"
    shutil.copytree(REPO_ROOT / "examples" / "churn", repo)
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    init(repo, "accuracy>=0.6")
    config = repo / "mlci.yaml"
    text = config.read_text()
    assert "    accuracy: {min: 0.6}\n" in text and "  artifacts: [models/]" in text
    text = text.replace(
        "    command: null  # e.g. ./deploy.sh staging", "    command: python deploy.py staging"
    )
    text = text.replace(
        "    strategy: direct  # direct, canary or blue-green\n    command: null",
        "    strategy: direct  # direct, canary or blue-green\n    command: python deploy.py production",
    )
    config.write_text(text)
    (repo / "deploy.py").write_text(DEPLOY)
    assert run_mlci("generate", cwd=repo).returncode == 0
    publish(repo, "churn model with its mlci pipeline")
    return repo


def act(
    repo: Path, event: str, workflow: str, *extra: str, github: FakeGitHub
) -> subprocess.CompletedProcess[str]:
    """Run ``workflow`` on ``event``; the repository is acme/<folder name> on the fake GitHub."""
    stand_ins = repo.parent
    checkout, setup_python = PINS["actions/checkout"].sha, PINS["actions/setup-python"].sha
    return subprocess.run(
        [
            "act", event,
            "-W", f".github/workflows/{workflow}",
            "-P", "ubuntu-latest=-self-hosted",
            "--no-skip-checkout",
            "-s", "GITHUB_TOKEN=fake-token",
            "--env", f"GITHUB_API_URL={github.api_url}",
            "--env", f"GITHUB_REPOSITORY=acme/{repo.name}",
            "--env", f"MLCI_E2E_ORIGIN={repo.parent / 'origin.git'}",
            "--env", f"MLCI_E2E_ARTIFACTS={repo.parent / 'artifacts'}",
            "--local-repository", f"acme/mlci@v1={REPO_ROOT}",
            "--local-repository", f"actions/checkout@{checkout}={stand_ins / 'checkout'}",
            "--local-repository", f"actions/setup-python@{setup_python}={stand_ins / 'setup-python'}",
            "--local-repository", f"actions/upload-artifact@{PINS['actions/upload-artifact'].sha}={stand_ins / 'upload-artifact'}",
            "--local-repository", f"actions/download-artifact@{PINS['actions/download-artifact'].sha}={stand_ins / 'download-artifact'}",
            *extra,
        ],
        cwd=repo, capture_output=True, text=True, check=False, timeout=900, env=clean_env(),
    )  # fmt: skip


def tags(repo: Path) -> list[str]:
    remote = repo.parent / "origin.git"
    return sorted(git(remote, "tag").split())


def jobs(log: str) -> dict[str, str]:
    """Job name -> 'succeeded' | 'failed', from act's log."""
    result = {}
    for line in log.splitlines():
        if "🏁  Job " in line:
            name = line.split("[ML pipeline/", 1)[-1].split("]", 1)[0].strip()
            result[name] = "succeeded" if "Job succeeded" in line else "failed"
    return result


def test_the_pipeline_trains_validates_registers_and_promotes(
    pipeline_repo: Path, github: FakeGitHub
) -> None:
    """The README's demo, as init wrote it, is green through production."""
    proc = act(pipeline_repo, "push", "ml-pipeline.yml", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert jobs(log) == {
        "Generated workflows are up to date": "succeeded",
        "Lint and test": "succeeded",
        "Train, validate and register": "succeeded",
        "Deploy to staging": "succeeded",
        "Deploy to production": "succeeded",
    }
    assert "model passed: 1 metric checked" in log
    assert "registered churn v0.0.1" in log and "validation passed" in log
    assert "promoted churn v0.0.1: staging (the stage was empty)" in log
    assert "promoted churn v0.0.1: staging → production" in log
    assert tags(pipeline_repo) == ["churn#production#2", "churn#staging#1", "churn@v0.0.1"]
    # the registration recorded the metrics the training wrote and the gate's verdict
    annotation = git(
        pipeline_repo.parent / "origin.git", "tag", "-l", "--format=%(contents)", "churn@v0.0.1"
    )
    payload = json.loads(annotation[annotation.index("{") :])
    assert payload["validation"] == "passed"
    assert 0.6 <= payload["metrics"]["accuracy"] <= 1.0
    # the files train wrote reached both deploys, verified against the recorded digest
    files = payload["files"]
    assert files["store"] == "github-release"
    (weights,) = files["manifest"]["files"]
    assert weights["path"] == "models/weights.json"
    assert f"files: 1 file, {weights['size']} B, {files['digest']}, store github-release" in log
    (release,) = github.releases["acme/churn"]
    assert release["tag_name"] == "churn@v0.0.1" and release["prerelease"] is True
    assert [a["name"] for a in release["assets"]] == ["churn-v0.0.1.tar.gz"]
    fetched = re.findall(
        r"fetched churn v0\.0\.1 from the workflow artifact into .*?(sha256:[0-9a-f]{64}) \(verified\)",
        log,
    )
    assert fetched == [files["digest"], files["digest"]], log
    for stage in ("staging", "production"):
        assert f"deploying churn v0.0.1 to {stage}: weights.json sha256={weights['sha256']}" in log


def test_a_rejected_model_never_reaches_staging(pipeline_repo: Path, github: FakeGitHub) -> None:
    config = pipeline_repo / "mlci.yaml"
    config.write_text(config.read_text().replace("accuracy: {min: 0.6}", "accuracy: {min: 0.99}"))
    assert run_mlci("generate", cwd=pipeline_repo).returncode == 0
    git(pipeline_repo, "commit", "-q", "-am", "a bar the model cannot clear")
    git(pipeline_repo, "push", "-q", "origin", "main")
    proc = act(pipeline_repo, "push", "ml-pipeline.yml", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert jobs(log)["Train, validate and register"] == "failed"
    assert "Deploy to staging" not in jobs(log)
    assert "accuracy" in log and "model rejected" in log
    assert tags(pipeline_repo) == []  # nothing registered, nothing promoted


def test_continuous_training_retrains_on_new_data_and_a_rollback_deploys_the_old_files(
    pipeline_repo: Path, github: FakeGitHub
) -> None:
    """CT retrains only on new data; then rollback.yml (the only act run of it) gives production
    back to v0.0.1 and deploys v0.0.1's files, fetched from GitHub release assets (the fake
    GitHub, validated against GitHub's OpenAPI description) and verified against its digest."""
    assert act(pipeline_repo, "push", "ml-pipeline.yml", github=github).returncode == 0
    assert tags(pipeline_repo) == ["churn#production#2", "churn#staging#1", "churn@v0.0.1"]

    # nothing changed since v0.0.1: the trigger says no, and no job trains
    proc = act(pipeline_repo, "schedule", "continuous-training.yml", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "should_train: false" in log
    assert "Train, validate and register" not in log
    assert tags(pipeline_repo) == ["churn#production#2", "churn#staging#1", "churn@v0.0.1"]

    # new data arrives (a row in the training split, so the weights change): the trigger
    # fires and the called pipeline ships v0.0.2
    data = pipeline_repo / "data" / "churn.csv"
    header, *rows = data.read_text().splitlines(keepends=True)
    data.write_text("".join([header, "12,99.5,3,1\n", "70,20.5,0,0\n", *rows]))
    git(pipeline_repo, "commit", "-q", "-am", "new data")
    git(pipeline_repo, "push", "-q", "origin", "main")
    proc = act(pipeline_repo, "schedule", "continuous-training.yml", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "should_train: true" in log
    assert "1 file changed under data/" in log
    assert "registered churn v0.0.2" in log
    assert "promoted churn v0.0.2: staging → production (previous: v0.0.1)" in log
    assert "churn@v0.0.2" in tags(pipeline_repo)
    releases = {r["tag_name"]: r for r in github.releases["acme/churn"]}
    assert set(releases) == {"churn@v0.0.1", "churn@v0.0.2"}
    assert all(r["prerelease"] for r in releases.values())

    old, new = (weights_sha(pipeline_repo, v) for v in ("v0.0.1", "v0.0.2"))
    assert old != new, "the new data did not change the weights: the rollback proves nothing"
    assert f"deploying churn v0.0.2 to production: weights.json sha256={new}" in log

    # roll back: production is v0.0.1 again and the deploy command gets v0.0.1's files
    proc = act(pipeline_repo, "workflow_dispatch", "rollback.yml", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "rolled back churn production: v0.0.2 → v0.0.1" in log
    assert "fetched churn v0.0.1 from github-release" in log
    assert f"deploying churn v0.0.1 to production: weights.json sha256={old}" in log


def weights_sha(repo: Path, version: str) -> str:
    """The SHA-256 of models/weights.json that registration recorded for ``version``."""
    origin = repo.parent / "origin.git"
    annotation = git(origin, "tag", "-l", "--format=%(contents)", f"churn@{version}")
    payload = json.loads(annotation[annotation.index("{") :])
    (weights,) = payload["files"]["manifest"]["files"]
    assert weights["path"] == "models/weights.json"
    return str(weights["sha256"])


# Two more repository shapes, each as `mlci init --yes --threshold` wrote it, run until the gate
# and the registration (act -j train: the check, test and train jobs only, one act run each;
# the deploys are the churn test's). What they cover that the churn run does not: install from
# src/requirements.txt, tests in tests/code with fixtures only in tests/data, a metrics file
# under results/ (src_requirements); install from the pip part of a conda environment.yml, the
# train command of an MLproject entry point with its default, a lower-is-better gate (conda_pip).
SHAPE_RUNS = {
    "src_requirements": (
        "accuracy>=0.7",
        ["Install dependencies", "Unit tests", "Train", "Validate the model"],
        "python src/train.py",
    ),
    "conda_pip": (
        "rmse<=0.3",
        ["Install dependencies", "Unit tests", "Train", "Validate the model"],
        "python train.py --epochs 3",
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPE_RUNS))
def test_a_repository_shape_is_green_until_the_gate_as_init_wrote_it(
    shape: str, tmp_path: Path, github: FakeGitHub
) -> None:
    threshold, steps, train = SHAPE_RUNS[shape]
    repo = make(tmp_path / shape.replace("_", "-"), shape)
    init(repo, threshold)
    assert f"  command: {train}\n" in (repo / "mlci.yaml").read_text()
    publish(repo, "mlci init")
    proc = act(repo, "push", "ml-pipeline.yml", "-j", "train", github=github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert jobs(log) == {
        "Generated workflows are up to date": "succeeded",
        "Lint and test": "succeeded",
        "Train, validate and register": "succeeded",
    }
    for step in steps:
        assert f"Success - Main {step}" in log, step
    assert "1 passed" in log  # the unit tests ran (tests/code, tests/unit)
    assert "Data tests" not in log  # src_requirements' tests/data holds fixtures only: no step
    assert "model passed: 1 metric checked" in log
    assert tags(repo) == [f"{repo.name}@v0.0.1"]
    (release,) = github.releases[f"acme/{repo.name}"]
    assert [a["name"] for a in release["assets"]] == [f"{repo.name}-v0.0.1.tar.gz"]
