"""The generated workflows: goldens, structure, and actionlint + zizmor over a broad range of configs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlci import config, render

GOLDEN = Path(__file__).parent / "golden"
SHA = "0123456789abcdef0123456789abcdef01234567"

# Representative configs, each rendered into tests/golden/<name>/.
CASES: dict[str, str] = {
    "minimal": "train:\n  command: python train.py\n",
    "git-canary-image": """\
branches: [main, develop]
install:
  requirements: [requirements.txt, requirements-dev.txt]
lint:
  commands: [ruff check ., mypy src]
data:
  pull: dvc pull
  validate: python -m churn.validate_data data/
image:
  enabled: true
train:
  command: dvc repro
  runs_on: [self-hosted, linux, gpu]
  timeout_minutes: 360
  artifacts: [models/, metrics.json]
validation:
  thresholds:
    accuracy: {min: 0.85}
    latency_ms: {max: 200, max_regression: 0.1}
registry:
  model: churn
deploy:
  staging:
    command: ./deploy.sh staging
    endpoint: https://staging.example.com/predict
  production:
    strategy: canary
    command: ./deploy.sh production
    canary: {steps: [20, 50], duration: 1h}
secrets:
  train: [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY]
  deploy: [KUBECONFIG_B64]
trigger:
  drift:
    enabled: true
    reference: git:production
    current: data/live.parquet
    ignore: [customer_id]
""",
    "git-image-after-training": """\
image:
  enabled: true
  build: after-training
  name: registry.example.com:5000/ml/ranker
  username_secret: REGISTRY_USER
  password_secret: REGISTRY_TOKEN
train:
  command: python train.py
  artifacts: [models/]
registry:
  model: team/ranker
  attest: true
deploy:
  staging:
    command: ./deploy.sh staging
  production:
    command: ./deploy.sh production
""",
    "mlflow-blue-green": f"""\
actions:
  repository: acme/mlci
  ref: {SHA}
python:
  version: "3.12"
install:
  requirements: []
  command: pip install -e ".[train]"
tests:
  unit: tests
  data: null
  model: null
  integration: null
image:
  enabled: true
  name: docker.io/acme/fraud
  username_secret: DOCKERHUB_USER
  password_secret: DOCKERHUB_TOKEN
train:
  command: |
    python -m fraud.features
    python -m fraud.train --out "models/fraud model"
  metrics_file: reports/metrics.yaml
registry:
  backend: mlflow
  model: fraud-detector
  tracking_uri_secret: MLFLOW_URI
deploy:
  production:
    strategy: blue-green
    blue_green: {{verify_duration: 15m}}
schedule:
  pipeline: null
  retrain: "30 2 * * MON-FRI"
secrets:
  deploy: [DEPLOY_TOKEN]
trigger:
  decay:
    enabled: true
    metric: accuracy
    prometheus: https://prometheus.example.com
    query: avg_over_time(model_accuracy{{model="fraud-detector"}}[1d])
    token_secret: PROMETHEUS_TOKEN
    min: 0.9
workflows:
  self_reference: relative
  runs_on: ubuntu-24.04
""",
}


def rendered(name: str) -> dict[str, str]:
    return render.render(config.parse(CASES[name]))


def golden_path(name: str, rel: str) -> Path:
    return GOLDEN / name / Path(rel).name


@pytest.mark.parametrize("name", sorted(CASES))
def test_goldens(name: str, update_goldens: bool) -> None:
    outputs = rendered(name)
    if update_goldens:
        # Rewriting is not passing: a rewritten golden is skipped with what changed, so
        # --update-goldens can never make this test pass vacuously.
        rewritten = []
        for rel, text in outputs.items():
            path = golden_path(name, rel)
            if not path.is_file() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                rewritten.append(str(path.relative_to(GOLDEN)))
        if rewritten:
            pytest.skip(f"--update-goldens rewrote {', '.join(rewritten)}; review the diff")
    for rel, text in outputs.items():
        path = golden_path(name, rel)
        assert path.is_file(), f"no golden {path}; run pytest --update-goldens and review the diff"
        assert text == path.read_text(), f"{path} differs; run pytest --update-goldens and review"


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {golden_path(name, rel) for name in CASES for rel in rendered(name)}
    assert {p for p in GOLDEN.rglob("*") if p.is_file()} == expected


# --------------------------------------------------------------------------- structure


def load_yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def jobs_of(text: str) -> dict[str, Any]:
    jobs: dict[str, Any] = load_yaml12(text)["jobs"]
    return jobs


@pytest.mark.parametrize("name", sorted(CASES))
def test_workflows_parse_as_yaml_1_2_with_on_as_a_string(name: str) -> None:
    files = rendered(name)
    for rel in (render.PIPELINE, render.TRAINING):
        document = load_yaml12(files[rel])
        assert "on" in document and True not in document, rel


@pytest.mark.parametrize("name", sorted(CASES))
def test_secure_defaults(name: str) -> None:
    files = rendered(name)
    for rel in (render.PIPELINE, render.TRAINING):
        text = files[rel]
        document = load_yaml12(text)
        assert document["permissions"] == {}, rel
        assert "concurrency" in document, rel
        for job_id, job in document["jobs"].items():
            assert "permissions" in job, f"{rel}: {job_id} has no permissions"
            if "uses" in job:  # a reusable-workflow call
                continue
            assert isinstance(job["timeout-minutes"], int), f"{rel}: {job_id}"
            for step in job["steps"]:
                assert "id" in step, f"{rel}: {job_id} has a step without id"
                if "run" in step:
                    assert "${{" not in step["run"], f"{rel}: {job_id}.{step['id']}"
                uses = step.get("uses", "")
                if uses.startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
        # third-party actions pinned by a 40-hex SHA with the version as a comment
        for line in text.splitlines():
            match = re.search(r"uses: ((?:actions|docker)/[\w-]+)@(\S+)", line)
            if match:
                assert re.fullmatch(r"[0-9a-f]{40}", match.group(2)), line
                assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_secrets_reach_only_the_jobs_that_need_them() -> None:
    jobs = jobs_of(rendered("git-canary-image")[render.PIPELINE])
    text_of = {job_id: json.dumps(job) for job_id, job in jobs.items()}
    for job_id in ("check", "test", "build-image"):
        assert "AWS_" not in text_of[job_id] and "KUBECONFIG_B64" not in text_of[job_id]
    assert "AWS_ACCESS_KEY_ID" in text_of["train"] and "KUBECONFIG_B64" not in text_of["train"]
    for job_id in ("deploy-staging", "deploy-production"):
        assert "KUBECONFIG_B64" in text_of[job_id] and "AWS_" not in text_of[job_id]
        assert "environment" in jobs[job_id]


def test_pipeline_job_graph_and_gates() -> None:
    jobs = jobs_of(rendered("git-canary-image")[render.PIPELINE])
    assert jobs["test"]["needs"] == ["check"]
    assert jobs["build-image"]["needs"] == ["test"]
    assert jobs["train"]["needs"] == ["test", "build-image"]
    assert jobs["train"]["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert jobs["train"]["timeout-minutes"] == 360
    assert (
        jobs["train"]["outputs"]["model_version"] == "${{ steps.register.outputs.model_version }}"
    )
    step_ids = [step["id"] for step in jobs["train"]["steps"]]
    assert step_ids.index("train") < step_ids.index("validate") < step_ids.index("register")
    assert jobs["train"]["steps"][step_ids.index("validate")]["uses"] == (
        "mlci-dev/mlci/actions/validate-model@v1"
    )
    assert jobs["deploy-staging"]["environment"] == {
        "name": "staging",
        "url": "https://staging.example.com/predict",
    }
    production = jobs["deploy-production"]
    assert production["needs"] == ["train", "deploy-staging", "build-image"]
    assert "github.ref == 'refs/heads/main'" in production["if"]
    assert production["environment"] == "production"
    # the model files are verified first, then the project is installed (the router's
    # commands run on its PATH); the canary action moves the registry's production stage
    # itself, after a promotion only
    assert [step["id"] for step in production["steps"]] == [
        "checkout", "model-artifact", "model", "setup-python", "install", "rollout",
    ]  # fmt: skip
    rollout = production["steps"][5]
    assert rollout["uses"].endswith("/actions/canary-deploy@v1")
    assert rollout["with"]["github-token"] == "${{ github.token }}"
    assert rollout["env"]["MLCI_MODEL_VERSION"] == "${{ needs.train.outputs.model_version }}"
    assert rollout["env"]["MLCI_MODEL_DIR"] == "${{ steps.model.outputs.model_dir }}"
    assert rollout["env"]["MLCI_IMAGE"] == (
        "${{ needs.build-image.outputs.image }}@${{ needs.build-image.outputs.digest }}"
    )
    assert production["timeout-minutes"] == 90


def test_an_image_built_after_training_carries_the_gated_model_and_is_deployed_by_digest() -> None:
    files = rendered("git-image-after-training")
    jobs = jobs_of(files[render.PIPELINE])
    assert "build-image" not in jobs and jobs["train"]["needs"] == ["test"]
    train = jobs["train"]
    # pushed to registry.example.com with the login secrets: GITHUB_TOKEN needs no packages
    assert "packages" not in train["permissions"]
    steps = {step["id"]: step for step in train["steps"]}
    ids = list(steps)
    # built once the gate passed, from the workspace the training wrote the files into, and
    # recorded by digest with the version that registers them
    assert ids.index("validate") < ids.index("image") < ids.index("register") < ids.index("upload")
    assert steps["image"]["with"]["push"] == "${{ github.event_name != 'pull_request' }}"
    assert steps["login"]["with"]["password"] == "${{ secrets.REGISTRY_TOKEN }}"
    assert steps["register"]["with"]["image"] == (
        "${{ steps.image-name.outputs.image }}@${{ steps.image.outputs.digest }}"
    )
    tag = steps["image-tag"]
    assert tag["env"]["IMAGE"] == "${{ steps.register.outputs.image }}"
    assert tag["env"]["MODEL"] == "team/ranker" and "${{" not in tag["run"]
    assert train["outputs"]["image"] == "${{ steps.register.outputs.image }}"
    for job_id in ("deploy-staging", "deploy-production"):
        assert jobs[job_id]["needs"][0] == "train" and "build-image" not in jobs[job_id]["needs"]
        deploy = {step["id"]: step for step in jobs[job_id]["steps"]}["deploy"]
        assert deploy["env"]["MLCI_IMAGE"] == "${{ needs.train.outputs.image }}"
        assert "REGISTRY_TOKEN" not in json.dumps(jobs[job_id])
    rollback = {
        s["id"]: s for s in load_yaml12(files[render.ROLLBACK])["jobs"]["rollback"]["steps"]
    }
    assert rollback["deploy"]["env"]["MLCI_IMAGE"] == "${{ steps.rollback.outputs.image }}"


def test_attestation_of_the_model_digest_is_signed_in_train_only_and_checked_by_rollback() -> None:
    files = rendered("git-image-after-training")
    jobs = jobs_of(files[render.PIPELINE])
    for job_id, job in jobs.items():
        granted = job.get("permissions", {})
        if job_id == "train":
            assert granted["id-token"] == "write" and granted["attestations"] == "write"
        else:
            assert "id-token" not in granted and "attestations" not in granted, job_id
    steps = {step["id"]: step for step in jobs["train"]["steps"]}
    ids = list(steps)
    assert ids.index("register") < ids.index("attest")
    attest = steps["attest"]
    assert attest["uses"].startswith(
        "actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32"
    )
    assert attest["with"] == {
        "subject-name": "team/ranker@${{ steps.register.outputs.model_version }}",
        "subject-digest": "${{ steps.register.outputs.digest }}",
    }
    assert "pull_request" in attest["if"]
    training = load_yaml12(files[render.TRAINING])["jobs"]["train"]["permissions"]
    assert training["id-token"] == "write" and training["attestations"] == "write"
    rollback = load_yaml12(files[render.ROLLBACK])["jobs"]["rollback"]
    assert rollback["permissions"]["attestations"] == "read"
    model = {s["id"]: s for s in rollback["steps"]}["model"]
    assert model["with"]["verify-attestation"] is True
    assert model["with"]["github-token"] == "${{ github.token }}"
    plain = jobs_of(rendered("minimal")[render.PIPELINE])
    assert not any("attest" in json.dumps(job) for job in plain.values())
    with pytest.raises(config.ConfigError, match=r"registry\.attest attests the model files"):
        config.parse("registry: {attest: true}\ntrain: {command: x}\n")


def test_image_after_training_needs_model_files() -> None:
    with pytest.raises(config.ConfigError, match="after-training puts the model files"):
        config.parse("image: {enabled: true, build: after-training}\ntrain: {command: x}\n")


def test_pipeline_is_callable_with_the_secrets_its_caller_passes() -> None:
    files = rendered("mlflow-blue-green")
    pipeline = load_yaml12(files[render.PIPELINE])
    call = pipeline["on"]["workflow_call"]
    assert set(call["secrets"]) == {
        "MLFLOW_URI",
        "DEPLOY_TOKEN",
        "DOCKERHUB_USER",
        "DOCKERHUB_TOKEN",
    }
    assert "schedule" not in pipeline["on"]
    training = load_yaml12(files[render.TRAINING])
    assert training["on"]["schedule"] == [{"cron": "30 2 * * MON-FRI"}]
    assert training["on"]["workflow_dispatch"]["inputs"]["force_retrain"]["type"] == "boolean"
    train = training["jobs"]["train"]
    assert train["uses"] == "./.github/workflows/ml-pipeline.yml"
    assert train["secrets"] == {
        name: f"${{{{ secrets.{name} }}}}"
        for name in ("DEPLOY_TOKEN", "DOCKERHUB_TOKEN", "DOCKERHUB_USER", "MLFLOW_URI")
    }
    # force_retrain reaches the trigger (its should_train says true, reason forced): one answer
    assert train["if"] == "needs.check-trigger.outputs.should_train == 'true'"
    assert train["with"] == {
        "reason": "${{ needs.check-trigger.outputs.reason }}",
        "trigger_report": "${{ needs.check-trigger.outputs.report }}",
    }
    assert train["permissions"] == {
        "contents": "read",  # no packages: the image goes to docker.io with its own login
        "pull-requests": "write",  # the called train job comments on pull requests
    }
    assert training["jobs"]["check-trigger"]["outputs"]["should_train"]


def test_registration_records_the_verdict_and_the_mlflow_source() -> None:
    git_train = jobs_of(rendered("git-canary-image")[render.PIPELINE])["train"]
    steps = {step["id"]: step for step in git_train["steps"]}
    assert steps["validate"]["with"]["report-file"] == steps["register"]["with"]["report"]
    assert steps["register"]["with"]["github-token"] == "${{ github.token }}"
    assert "source" not in steps["register"]["with"]
    mlflow_train = jobs_of(rendered("mlflow-blue-green")[render.PIPELINE])["train"]
    steps = {step["id"]: step for step in mlflow_train["steps"]}
    assert steps["register"]["with"]["source"] == "@model_uri.txt"
    assert steps["register"]["env"] == {"MLFLOW_TRACKING_URI": "${{ secrets.MLFLOW_URI }}"}
    assert steps["train"]["env"]["MLCI_MODEL_URI_FILE"] == "model_uri.txt"
    assert "github-token" not in steps["register"]["with"]


def test_the_trigger_check_pulls_the_data_drift_reads_first() -> None:
    """trigger.drift with data.pull: check-trigger pulls (with the train secrets), then checks."""
    training = load_yaml12(rendered("git-canary-image")[render.TRAINING])
    check = training["jobs"]["check-trigger"]
    steps = {step["id"]: step for step in check["steps"]}
    assert list(steps) == ["checkout", "setup-python", "install", "data-pull", "trigger"]
    assert steps["data-pull"]["run"] == "dvc pull"
    assert steps["data-pull"]["env"] == {
        name: f"${{{{ secrets.{name} }}}}"
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    assert steps["install"]["run"] == (
        "python -m pip install -r requirements.txt -r requirements-dev.txt"
    )
    # Python is set up once, before the pull; pyarrow (the drift extra) reads the data
    assert steps["trigger"]["with"] == {
        "config": "mlci.yaml",
        "extras": "drift",
        "force": "${{ inputs.force_retrain == true }}",
    }
    assert check["outputs"]["report"] == "${{ steps.trigger.outputs.report }}"
    assert check["timeout-minutes"] == 30
    # no drift check: no pull, no secret in check-trigger, the action sets up Python itself
    for name in ("minimal", "mlflow-blue-green"):
        check = load_yaml12(rendered(name)[render.TRAINING])["jobs"]["check-trigger"]
        assert [step["id"] for step in check["steps"]] == ["checkout", "trigger"], name
        assert "python-version" in check["steps"][1]["with"]
        assert "secrets.AWS" not in json.dumps(check)
    # the called pipeline hands the trigger's verdict to the training command
    train = jobs_of(rendered("minimal")[render.PIPELINE])["train"]
    env = next(step["env"] for step in train["steps"] if step["id"] == "train")
    assert env["MLCI_TRIGGER_REASON"] == "${{ inputs.reason }}"
    assert env["MLCI_TRIGGER_REPORT"] == "${{ inputs.trigger_report }}"


def test_the_prometheus_token_reaches_only_the_trigger_step() -> None:
    """trigger.decay.token_secret: an input of the trigger step (the action maps it to env),
    in no other job, not passed to the called pipeline, nowhere in ml-pipeline.yml."""
    files = rendered("mlflow-blue-green")
    training = load_yaml12(files[render.TRAINING])
    trigger = training["jobs"]["check-trigger"]["steps"][-1]
    assert trigger["with"]["prometheus-token"] == "${{ secrets.PROMETHEUS_TOKEN }}"
    assert files[render.TRAINING].count("PROMETHEUS_TOKEN") == 1
    assert "PROMETHEUS_TOKEN" not in files[render.PIPELINE]
    assert "PROMETHEUS_TOKEN" not in training["jobs"]["train"].get("secrets", {})
    # decay off, or read from a file: no token anywhere
    for name in ("minimal", "git-canary-image"):
        assert "prometheus-token" not in rendered(name)[render.TRAINING], name


def test_the_drift_check_without_a_pull_reads_committed_data() -> None:
    """trigger.drift without data.pull: no pull step, no install; the action sets up Python."""
    text = CASES["minimal"] + (
        "trigger:\n  drift: {enabled: true, reference: git:production, current: data/live.csv}\n"
    )
    check = load_yaml12(render.render(config.parse(text))[render.TRAINING])["jobs"]["check-trigger"]
    assert [step["id"] for step in check["steps"]] == ["checkout", "trigger"]
    trigger = check["steps"][1]
    assert trigger["with"]["extras"] == "drift"
    assert trigger["with"]["python-version"] == "3.11"
    assert check["timeout-minutes"] == 15


def test_self_reference_default_uses_the_dollar_form() -> None:
    training = load_yaml12(rendered("minimal")[render.TRAINING])
    assert training["jobs"]["train"]["uses"] == "$/.github/workflows/ml-pipeline.yml"


# --------------------------------------------------------------------------- real linters


def lint_clean(*roots: Path) -> None:
    """actionlint and zizmor --offline, run directly, report nothing for any of ``roots``.

    actionlint runs once per repository (it resolves ./.github/workflows/... calls within
    one); zizmor once per persona over all of them, each finding its own .github/zizmor.yml.
    """
    for root in roots:
        workflows = sorted(str(p) for p in (root / ".github" / "workflows").glob("*.yml"))
        proc = subprocess.run(
            ["actionlint", "-no-color", *workflows], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"{root.name}: " + proc.stdout + proc.stderr
    proc = subprocess.run(
        ["zizmor", "--offline", "--no-progress", "--format", "json-v1", *map(str, roots)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [f for f in json.loads(proc.stdout) if not f.get("ignored")] == []
    proc = subprocess.run(
        ["zizmor", "--offline", "--no-progress", "--persona", "pedantic", *map(str, roots)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def write_rendered(root: Path, files: dict[str, str]) -> None:
    """Lay the files out in a git repository, as actionlint finds its config from the repo root."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_representative_configs_lint_clean(name: str, tmp_path: Path) -> None:
    write_rendered(tmp_path, rendered(name))
    lint_clean(tmp_path)


# Shell commands that are clean under shellcheck, with quoting, pipes and variables.
COMMANDS = st.sampled_from(
    [
        "python train.py",
        "python -m pkg.train --epochs 3 --lr 0.01",
        'python train.py --name "my model"',
        "dvc repro && dvc push",
        "make train",
        "python train.py | tee train.log",
        'echo "training on $GITHUB_SHA"',
        "python -c 'print(1)'",
        "python train.py\npython evaluate.py --out metrics.json",
        "bash scripts/train.sh",
    ]
)
LABELS = st.lists(
    st.sampled_from(
        ["ubuntu-latest", "self-hosted", "gpu", "linux", "x64", "ubuntu-24.04", "a100"]
    ),
    min_size=1,
    max_size=3,
    unique=True,
)
SECRETS = st.lists(
    st.sampled_from(
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GCP_SA_KEY", "HF_TOKEN", "DEPLOY_KEY"]
    ),
    max_size=3,
    unique=True,
)
PATHS = st.sampled_from(["tests/unit", "tests", "test suite/unit", "src/tests", None])
CRONS = st.sampled_from(["0 4 * * *", "*/15 * * * *", "30 2 * * MON-FRI", "0 0 1 JAN,JUL *", None])


IMAGES = st.sampled_from(
    [
        {"enabled": False},
        {"enabled": True},
        {"enabled": True, "name": "ghcr.io/acme/model"},
        {"enabled": True, "build": "after-training"},
        {
            "enabled": True,
            "name": "registry.example.com:5000/ml/model",
            "username_secret": "REGISTRY_USER",
            "password_secret": "REGISTRY_TOKEN",
        },
        {
            "enabled": True,
            "build": "after-training",
            "name": "docker.io/acme/model",
            "username_secret": "REGISTRY_USER",
            "password_secret": "REGISTRY_TOKEN",
        },
    ]
)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    backend = draw(st.sampled_from(["git", "mlflow"]))
    strategy = draw(st.sampled_from(["direct", "canary", "blue-green"]))
    image = draw(IMAGES)
    artifacts = draw(
        st.lists(
            st.sampled_from(["models/", "model.pkl", "out dir/"]),
            max_size=2,
            unique=True,
            min_size=int(image.get("build") == "after-training"),  # it needs files
        )
    )
    return {
        "branches": draw(
            st.sampled_from([["main"], ["master"], ["main", "release/*"], ["trunk", "dev"]])
        ),
        "actions": {
            "repository": draw(st.sampled_from(["mlci-dev/mlci", "acme-corp/mlci.fork"])),
            "ref": draw(st.sampled_from(["v1", "v1.2.3", SHA, "main"])),
        },
        "python": {"version": draw(st.sampled_from(["3.10", "3.11", "3.12", "3.13"]))},
        "install": draw(
            st.sampled_from(
                [
                    {"requirements": ["requirements.txt"]},
                    {"requirements": ["requirements.txt", "requirements-dev.txt"]},
                    {"requirements": [], "command": 'pip install -e ".[train]"'},
                    {"requirements": []},
                ]
            )
        ),
        "lint": {"commands": draw(st.lists(COMMANDS, max_size=2, unique=True))},
        "tests": {
            "unit": draw(PATHS),
            "data": draw(PATHS),
            "model": draw(PATHS),
            "integration": draw(PATHS),
        },
        "data": {
            "pull": draw(st.sampled_from([None, "dvc pull", "aws s3 sync s3://bucket/data data/"])),
            "validate": draw(st.sampled_from([None, "python validate.py"])),
        },
        "image": image,
        "train": {
            "command": draw(COMMANDS),
            "runs_on": draw(LABELS),
            "timeout_minutes": draw(st.integers(min_value=1, max_value=4320)),
            "metrics_file": draw(
                st.sampled_from(["metrics.json", "out/metrics.yaml", "eval results.json"])
            ),
            "artifacts": artifacts,
        },
        "validation": {"pr_comment": draw(st.booleans())},
        "registry": {
            "attest": draw(st.booleans()) and bool(artifacts),
            "backend": backend,
            "model": draw(st.sampled_from(["model", "churn", "fraud-detector", "team/ranker"])),
            "store": draw(
                st.sampled_from(
                    ["auto", "dvc", "none", "github-release" if backend == "git" else "mlflow"]
                )
            ),
        },
        "deploy": {
            "staging": {
                "command": draw(
                    st.sampled_from([None, "./deploy.sh staging", "kubectl apply -k k8s/staging"])
                ),
                "endpoint": draw(
                    st.sampled_from([None, "https://staging.example.com/v1/predict?x=1&y=2"])
                ),
            },
            "production": {
                "strategy": strategy,
                "command": draw(st.sampled_from([None, "./deploy.sh production"])),
                "endpoint": draw(st.sampled_from([None, "https://example.com"])),
                "canary": {
                    "steps": draw(st.sampled_from([[10, 25, 50], [20], [1, 50, 99]])),
                    "duration": draw(st.sampled_from(["30m", "2h", "90s"])),
                },
            },
        },
        "schedule": {"pipeline": draw(CRONS), "retrain": draw(CRONS)},
        "secrets": {"train": draw(SECRETS), "deploy": draw(SECRETS)},
        "workflows": {
            "self_reference": draw(st.sampled_from(["self", "relative"])),
            "runs_on": draw(st.sampled_from(["ubuntu-latest", "ubuntu-24.04"])),
        },
    }


# 40 configs as 4 batches of 10: zizmor starts once per batch and persona, not per config.
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=st.lists(configs(), min_size=10, max_size=10))
def test_any_valid_config_renders_workflows_that_lint_clean(
    batch: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    roots = []
    for data in batch:
        root = tmp_path_factory.mktemp("render")
        loaded = config.parse(json.dumps(data))
        files = render.render(loaded)
        write_rendered(root, files)
        roots.append(root)
        for rel in (render.PIPELINE, render.TRAINING):
            document = load_yaml12(files[rel])
            assert document["permissions"] == {}
        # rendering is deterministic
        assert render.render(config.parse(json.dumps(data))) == files
    lint_clean(*roots)


# --------------------------------------------------------------------------- generator <-> actions

ACTIONS = Path(__file__).resolve().parent.parent / "actions"


def mlci_steps(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(job id, action name, step) for every step that uses an mlci action."""
    found = []
    for job_id, job in document["jobs"].items():
        for step in job.get("steps", []):
            match = re.fullmatch(r"[\w.-]+/[\w.-]+/actions/([\w-]+)@\S+", step.get("uses", ""))
            if match:
                found.append((job_id, match.group(1), step))
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_steps_match_the_inputs_and_outputs_of_the_actions(name: str) -> None:
    seen = set()
    for rel in (render.PIPELINE, render.TRAINING):
        document = load_yaml12(rendered(name)[rel])
        for job_id, action, step in mlci_steps(document):
            seen.add(action)
            path = ACTIONS / action / "action.yml"
            assert path.is_file(), f"{rel}: {job_id} uses {action}, which actions/ does not have"
            metadata = load_yaml12(path.read_text())
            inputs = metadata.get("inputs", {})
            given = set(step.get("with", {}))
            assert given <= set(inputs), (
                f"{job_id}.{step['id']}: unknown inputs {given - set(inputs)}"
            )
            required = {k for k, v in inputs.items() if v.get("required") and "default" not in v}
            assert required <= given, f"{job_id}.{step['id']}: missing inputs {required - given}"
            # every output the workflow reads from this step exists
            text = json.dumps(document["jobs"][job_id])
            for output in re.findall(rf"steps\.{re.escape(step['id'])}\.outputs\.(\w+)", text):
                assert output in metadata.get("outputs", {}), f"{action} has no output {output}"
    assert {"check", "validate-model", "register-model", "promote-model", "retrain-trigger"} <= seen
