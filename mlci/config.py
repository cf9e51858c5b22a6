"""``mlci.yaml``: load (ruamel.yaml, with line numbers), validate, defaults, JSON Schema.

The pydantic model below is the single source of truth for the config: its
defaults, its validation, the JSON Schema that ``mlci schema`` prints for
editors, and the config reference in ``docs/config.md``.

Keys are snake_case. Unknown keys are errors (with a "did you mean" when one is
close). Every error names the file, the line and the key, and says what to
write instead.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlci import files, names
from mlci.cron import CronError, validate_cron
from mlci.errors import ConfigError

CONFIG_FILE = "mlci.yaml"
SCHEMA_URL = "https://raw.githubusercontent.com/mlci-dev/mlci/v1/mlci.schema.json"
DEFAULT_ACTIONS_REPOSITORY = "mlci-dev/mlci"

_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# GitHub: an owner is letters, digits and single inner hyphens (at most 39 characters);
# a repository name is letters, digits, ".", "-" and "_" (at most 100), not "." or "..".
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO_NAME = re.compile(r"^(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_DURATION = re.compile(r"^(\d+)(s|m|h)$")
_RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PYTHON_VERSION = re.compile(r"^3\.\d{1,2}(\.\d{1,2})?$")


class _Section(BaseModel):
    # strict: a string stays a string (no 120 for "120", no true for 1): what YAML read is
    # what the workflow gets, or an error.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)


_MAX_SHOWN = 60
MAX_SECRET_NAME = 255


def show(value: object) -> str:
    """``repr(value)``, cut to a readable length for a one-line message."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 5] + "...'"


def _unique(values: list[str], what: str, *, fold: bool = False) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        key = value.casefold() if fold else value
        if key in seen:
            same = "" if seen[key] == value else f" (as {show(seen[key])}; case does not count)"
            raise ValueError(f"lists the {what} {show(value)} twice{same}; remove one")
        seen[key] = value
    return values


def _secret_names(names: list[str]) -> list[str]:
    for name in names:
        if not _SECRET_NAME.match(name):
            raise ValueError(
                f"{show(name)} is not a valid secret name "
                "(letters, digits and _; not starting with a digit)"
            )
        if name.upper().startswith("GITHUB_"):
            raise ValueError(f"{show(name)}: secret names may not start with GITHUB_")
        if len(name) > MAX_SECRET_NAME:
            raise ValueError(
                f"{show(name)} is longer than {MAX_SECRET_NAME} characters; use a shorter name"
            )
    return _unique(names, "secret", fold=True)


def _secret_name(value: str | None) -> str | None:
    """One optional secret name, checked as :func:`_secret_names` checks a list."""
    if value is not None:
        _secret_names([value])
    return value


def _non_empty_commands(value: list[str]) -> list[str]:
    for command in value:
        if not command.strip():
            raise ValueError("holds an empty command; remove it or write the command")
    return _unique(value, "command")


def _command(value: str | None) -> str | None:
    """An optional command: null skips the step; an empty one is a mistake."""
    if value is not None and not value.strip():
        raise ValueError("is empty; write the command, or null to skip the step")
    return value


def _paths(value: list[str], what: str) -> list[str]:
    for path in value:
        if not path.strip():
            raise ValueError(f"holds an empty {what}")
        if any(ch in path for ch in "\r\n") or not path.isprintable():
            raise ValueError(
                f"{show(path)}: a {what} is one line of printable characters "
                "(the list is written one path per line)"
            )
    return _unique(value, what)


def _runner_label(label: str) -> str:
    if not _RUNNER_LABEL.match(label):
        raise ValueError(
            f"{show(label)} is not a runner label (letters, digits, . - _; "
            "starting with a letter or digit)"
        )
    return label


def runner_labels(labels: list[str]) -> list[str]:
    """``labels`` of one ``runs-on``: valid, each once, none that rules out another."""
    from mlci.runners import conflict

    for label in labels:
        _runner_label(label)
    _unique(labels, "runner label", fold=True)
    clash = conflict(labels)
    if clash:
        raise ValueError(
            f"{show(clash[1])} and {show(clash[0])} name different runner images; no runner "
            "has both labels (one job runs on one runner)"
        )
    return labels


def ref_problem(name: str, *, branch: bool = False, pattern: bool = False) -> str | None:
    """Why git (``git check-ref-format``) refuses ``name`` as a ref, or None.

    ``branch``: also what ``--branch`` refuses (a leading "-", HEAD); ``pattern``: "*" is
    allowed (a GitHub branch filter).
    """
    forbidden = " ~^:?[\\" + ("" if pattern else "*")
    if not name:
        return "is empty"
    if any(ord(ch) < 32 or ord(ch) == 127 or ch in forbidden for ch in name):
        return "holds a space, a control character or one of ~ ^ : ? [ \\" + (
            "" if pattern else " *"
        )
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return 'starts or ends with "/", or holds "//"'
    if ".." in name or "@{" in name or name == "@":
        return 'holds ".." or "@{", or is "@"'
    if name.endswith("."):
        return 'ends with "."'
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return 'has a part that starts with "." or ends with ".lock"'
    if branch and (name.startswith("-") or name == "HEAD"):
        return 'starts with "-" or is HEAD'
    return None


class Actions(_Section):
    """Where the mlci composite actions come from."""

    repository: str = Field(
        DEFAULT_ACTIONS_REPOSITORY,
        description="owner/repo of the mlci actions (your fork, or the upstream repository).",
    )
    ref: str = Field(
        "v1",
        description="Tag, branch or full 40-character commit SHA of the mlci actions. "
        "A SHA is the safest pin; a tag is allowed through .github/zizmor.yml.",
    )

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        owner, slash, name = value.partition("/")
        if not slash or not _OWNER.match(owner) or not _REPO_NAME.match(name):
            raise ValueError(
                f"must be a GitHub owner/repo (owner: letters, digits, inner single -; repo: "
                f"letters, digits, . - _), e.g. {DEFAULT_ACTIONS_REPOSITORY}, got {show(value)}"
            )
        return value

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        problem = ref_problem(value, branch=True)
        if problem or "@" in value or "#" in value:
            raise ValueError(
                f"must be a tag, branch or commit SHA such as v1, got {show(value)}"
                + (f" ({problem})" if problem else "")
            )
        return value

    @property
    def pinned_by_sha(self) -> bool:
        return bool(_SHA.match(self.ref))


class Python(_Section):
    """Python the jobs set up."""

    version: str = Field("3.11", description='Python version the jobs set up, e.g. "3.11".')

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(
                'must be a quoted string such as "3.11" '
                f"(unquoted, YAML reads it as the number {value})"
            )
        if isinstance(value, str) and not _PYTHON_VERSION.match(value):
            raise ValueError(f'must be a Python 3 version such as "3.11", got {show(value)}')
        return value


class Install(_Section):
    """How the jobs install the project."""

    requirements: list[str] = Field(
        default_factory=lambda: ["requirements.txt"],
        description="Requirements files installed with pip, in order.",
    )
    command: str | None = Field(
        None,
        description="Install command to run instead of the requirements files, "
        'e.g. "pip install -e .[train]".',
    )

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return _paths(value, "requirements file")

    _check = field_validator("command")(classmethod(lambda cls, v: _command(v)))


class Lint(_Section):
    """Lint commands of the test job."""

    commands: list[str] = Field(
        default_factory=list, description='Lint commands run in the test job, e.g. "ruff check .".'
    )

    _check = field_validator("commands")(classmethod(lambda cls, v: _non_empty_commands(v)))


class Tests(_Section):
    """Test folders by kind; null skips a kind."""

    command: str = Field("python -m pytest", description="Test runner; each test path is appended.")
    unit: str | None = Field("tests/unit", description="Unit tests, run in the test job.")
    data: str | None = Field("tests/data", description="Data tests, run in the test job.")
    model: str | None = Field(
        "tests/model", description="Model tests, run in the train job on the trained model."
    )
    integration: str | None = Field(
        "tests/integration",
        description="Integration tests, run against the staging endpoint (MLCI_ENDPOINT).",
    )

    @field_validator("command")
    @classmethod
    def _runner(cls, value: str) -> str:
        """One line that a test path can be appended to as a shell word."""
        import shlex

        if not value.strip():
            raise ValueError("is empty; write the test runner, e.g. python -m pytest")
        line = value.rstrip("\n")
        if "\n" in line or "\r" in line:
            raise ValueError(
                "must be one line: each test path is appended to it "
                "(put longer scripts in a file and run that)"
            )
        try:
            words, without_comments = shlex.split(line), shlex.split(line, comments=True)
        except ValueError:
            raise ValueError(
                f"{show(value)} ends inside a quote or with a backslash, "
                "so the appended test path would not be a word of its own"
            ) from None
        if words != without_comments:
            raise ValueError(
                f"{show(value)} ends with a comment, which would swallow the test path"
            )
        return line

    @field_validator("unit", "data", "model", "integration")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None:
            _paths([value], "test path")
        return value


class Data(_Section):
    """Fetching and validating data before training."""

    pull: str | None = Field(
        None,
        description='Command that fetches the data, e.g. "dvc pull": before training, and in '
        "continuous-training.yml before the drift check (trigger.drift).",
    )
    validate_command: str | None = Field(
        None,
        alias="validate",
        description="Command that validates the fresh data before training.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    _check = field_validator("pull", "validate_command")(classmethod(lambda cls, v: _command(v)))


def image_registry(name: str | None) -> str:
    """The registry host of an image name (ghcr.io when unnamed, docker.io when no host)."""
    if not name:
        return "ghcr.io"
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


class Image(_Section):
    """The container image built after the tests."""

    enabled: bool = Field(False, description="Build a container image (needs a Dockerfile).")
    build: Literal["before-training", "after-training"] = Field(
        "before-training",
        description="before-training: a build-image job after the tests, tagged with the "
        "commit. after-training: the train job builds it once the gate passed, with the model "
        "files (train.artifacts) in the build context, and tags it <model>-<version>. Either "
        "way, with train.artifacts set, its digest is recorded with the version, so every "
        "deploy and a rollback run that image.",
    )
    dockerfile: str = "Dockerfile"
    context: str = "."
    name: str | None = Field(
        None,
        description="Image name; defaults to ghcr.io/<owner>/<repo>. "
        "Pushed on pushes, not on pull requests.",
    )
    username_secret: str | None = Field(
        None, description="Secret holding the registry user (registries other than ghcr.io)."
    )
    password_secret: str | None = Field(
        None, description="Secret holding the registry password or token (other than ghcr.io)."
    )

    @field_validator("dockerfile", "context")
    @classmethod
    def _path(cls, value: str) -> str:
        _paths([value], "path")
        return value

    @model_validator(mode="after")
    def _login(self) -> Image:
        for secret in (self.username_secret, self.password_secret):
            if secret is not None:
                _secret_names([secret])
        if (self.username_secret is None) != (self.password_secret is None):
            raise ValueError("needs both username_secret and password_secret, or neither")
        registry = image_registry(self.name)
        if self.enabled and registry != "ghcr.io" and self.password_secret is None:
            raise ValueError(
                f"pushing to {registry} needs a login: set username_secret and password_secret "
                "to the names of the secrets that hold it (ghcr.io needs none)"
            )
        return self


class Train(_Section):
    """Training: the command, its runners and the files it writes."""

    command: str = Field(..., description="The command that trains the model (required).")
    runs_on: list[str] = Field(
        default_factory=lambda: ["ubuntu-latest"],
        description="Runner labels for training; GPU or self-hosted runners are labels.",
    )
    timeout_minutes: int = Field(
        120, ge=1, le=4320, description="Minutes before GitHub cancels the train job (1-4320)."
    )
    metrics_file: str = Field(
        "metrics.json", description="Metrics the training writes (JSON or YAML)."
    )
    model_uri_file: str = Field(
        "model_uri.txt",
        description="mlflow backend: file the training writes the URI of the model it logged "
        "into (models:/m-... or runs:/<run id>/<name>); registration reads it.",
    )
    model_version_file: str | None = Field(
        None, description="File the training writes the model version into, if it picks one."
    )
    artifacts: list[str] = Field(
        default_factory=list,
        description="Files and folders the training writes (the model). Uploaded as the "
        "workflow artifact of train, recorded with the version as a SHA-256 manifest, kept "
        "in registry.store, and given to every deploy step as MLCI_MODEL_DIR.",
    )

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "is empty; write the command that trains your model, e.g. python train.py"
            )
        return value

    @field_validator("runs_on", mode="before")
    @classmethod
    def _runs_on(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            if not value:
                raise ValueError("needs at least one runner label, e.g. ubuntu-latest")
            for label in value:
                if isinstance(label, str):
                    _runner_label(label)
        return value

    @field_validator("runs_on")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return runner_labels(value)

    @field_validator("metrics_file", "model_uri_file", "model_version_file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None:
            _paths([value], "file path")
        return value

    @field_validator("artifacts")
    @classmethod
    def _artifacts(cls, value: list[str]) -> list[str]:
        return _paths(value, "artifact path")


class Threshold(_Section):
    """One metric's bound and direction."""

    min: float | None = Field(
        None, description="Higher is better: the metric must be at least this."
    )
    max: float | None = Field(None, description="Lower is better: the metric must be at most this.")
    max_regression: float | None = Field(
        None, ge=0, description="Allowed regression against production for this metric."
    )

    @model_validator(mode="after")
    def _one_direction(self) -> Threshold:
        if (self.min is None) == (self.max is None):
            raise ValueError("needs exactly one of min (higher is better) or max (lower is better)")
        bound = self.min if self.min is not None else self.max
        if bound is not None and not math.isfinite(bound):
            raise ValueError("bound must be a finite number")
        return self

    @property
    def direction(self) -> Literal["min", "max"]:
        return "min" if self.min is not None else "max"


class Validation(_Section):
    """The validate-model gate between training and staging."""

    thresholds: dict[str, Threshold] = Field(
        default_factory=dict, description="Per-metric thresholds: {metric: {min: x} | {max: x}}."
    )
    max_regression: float = Field(
        0.05, ge=0, description="Allowed regression against the production model."
    )
    regression: Literal["relative", "absolute"] = Field(
        "relative",
        description="relative: tolerance is a fraction of |baseline|; absolute: in metric units.",
    )
    baseline: str | None = Field(
        "registry:production",
        description="Baseline: registry:<stage>, file:<path>, or null for none.",
    )
    require_baseline: bool = Field(
        False, description="Fail when there is no production model to compare against."
    )
    pr_comment: bool = Field(
        True,
        description="On pull requests, the train job comments the validation report (one "
        "comment, edited on every push; needs pull-requests: write in that job only). "
        "false: no comment and no pull-requests permission; the report stays in the job summary.",
    )

    @field_validator("baseline")
    @classmethod
    def _baseline(cls, value: str | None) -> str | None:
        parsed = names.parse_baseline(value) if value is not None else None
        if value is not None and (parsed is None or parsed[0] == "none"):
            raise ValueError(f"must be registry:<stage> or file:<path>, got {show(value)}")
        return value


class Stages(_Section):
    """Stage (alias) names in the registry."""

    staging: str = "staging"
    production: str = "production"

    @field_validator("staging", "production")
    @classmethod
    def _stage(cls, value: str) -> str:
        if not names.is_name(value):
            raise ValueError(f"{show(value)} is not a stage name: {names.NAME_RULE}, e.g. prod-env")
        return value


class Registry(_Section):
    """The model registry."""

    backend: Literal["git", "mlflow"] = Field(
        "git", description="git: GTO-compatible tags, no server. mlflow: an MLflow tracking server."
    )
    model: str = Field("model", description="Registered model name.")
    tracking_uri_secret: str = Field(
        "MLFLOW_TRACKING_URI",
        description="Secret holding the MLflow tracking URI (mlflow backend).",
    )
    stages: Stages = Field(default_factory=Stages)
    copy_to_stage_models: bool = Field(
        False,
        description="mlflow backend: every promotion also copies the version into the "
        "registered model <model>-<stage> (one registered model per environment).",
    )
    store: Literal["auto", "github-release", "dvc", "mlflow", "none"] = Field(
        "auto",
        description="Where the files of train.artifacts are kept with each version, so a "
        "rollback can fetch them by digest: github-release (git backend: an asset of the "
        "version's release), dvc (the repository's default DVC remote), mlflow (the "
        "version's run), none (the digest only). auto: mlflow for the mlflow backend; with "
        "the git backend the generated pipeline decides from mlci.yaml (dvc when data.pull "
        "runs dvc, else github-release), while register-model without --store (by hand, or "
        "the action without store:) decides from the checkout (dvc when .dvc/config exists, "
        "else github-release). See docs/registry.md.",
    )
    attest: bool = Field(
        False,
        description="Attest the model files' digest with GitHub's build provenance "
        "(actions/attest-build-provenance in train, which then gets id-token: write and "
        "attestations: write); rollback.yml verifies it (fetch-model --verify-attestation). "
        "Public repositories on any plan, private ones on GitHub Enterprise Cloud.",
    )

    @model_validator(mode="after")
    def _store(self) -> Registry:
        if self.store == "mlflow" and self.backend != "mlflow":
            raise ValueError(
                "store: mlflow needs backend: mlflow (use dvc, github-release or none)"
            )
        if self.store == "github-release" and self.backend != "git":
            raise ValueError(
                "store: github-release needs backend: git (a release belongs to a version tag); "
                "use mlflow, dvc or none"
            )
        return self

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not names.is_name(value):
            raise ValueError(
                f"{show(value)} is not a model name: "
                "lowercase letters, digits and dashes, e.g. churn-model"
            )
        return value

    _uri = field_validator("tracking_uri_secret")(classmethod(lambda cls, v: _secret_name(v)))


class StagingDeploy(_Section):
    """The staging deployment and its integration tests."""

    command: str | None = Field(None, description="Deploys the model to staging.")
    endpoint: str | None = Field(
        None,
        description="URL of the staging endpoint, given to integration tests as MLCI_ENDPOINT.",
    )

    _check = field_validator("command")(classmethod(lambda cls, v: _command(v)))
    _url = field_validator("endpoint")(classmethod(lambda cls, v: _endpoint(v)))


def _endpoint(value: str | None) -> str | None:
    if value is not None and (not value.strip() or not value.isprintable() or "\n" in value):
        raise ValueError(f"must be a URL on one line, got {show(value)}")
    return value


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(f"must be a duration such as 30m, 2h or 90s, got {show(value)}")
    return value


class RolloutRouter(_Section):
    """Where a rollout moves traffic: your own commands, or kubectl."""

    type: Literal["command", "kubernetes"] = Field(
        "command",
        description="command: your commands with {weight} substituted (nginx, SageMaker, "
        "Vertex AI, Azure ML…); kubernetes: kubectl against your cluster.",
    )
    set_weight: str | None = Field(
        None,
        description="command router: sends {weight} % of the traffic to the new version, "
        "e.g. ./route.sh {weight}.",
    )
    deploy: str | None = Field(
        None, description="command router: starts the new version beside the current one."
    )
    promote: str | None = Field(
        None, description="command router: after 100 %, retires the old version."
    )
    rollback: str | None = Field(
        None, description="command router: after 0 %, removes the new version."
    )
    timeout: str = Field("10m", description="Longest a router command or kubectl call may take.")
    deployment: str | None = Field(
        None, description="kubernetes router: the stable Deployment's name (and its app label)."
    )
    namespace: str | None = Field(None, description="kubernetes router: the namespace.")
    context: str | None = Field(None, description="kubernetes router: the kubeconfig context.")
    route: str | None = Field(
        None,
        description="kubernetes router: a Gateway API HTTPRoute whose backend weights split "
        "traffic (default: replica ratio behind the stable Service).",
    )
    manifests: str | None = Field(
        None,
        description="kubernetes router: directory of your manifests (kustomize or plain "
        "YAML) holding the Deployment; default: minimal manifests mlci renders.",
    )
    port: int = Field(8080, ge=1, le=65535, description="kubernetes router: container port.")

    _check = field_validator("timeout")(classmethod(lambda cls, v: _duration(v)))

    @model_validator(mode="after")
    def _complete(self) -> RolloutRouter:
        if self.type == "command" and not self.set_weight:
            raise ValueError(
                "the command router needs set_weight: the command that routes {weight} % "
                "to the new version, e.g. ./route.sh {weight}"
            )
        if self.set_weight is not None and "{weight}" not in self.set_weight:
            raise ValueError(f"set_weight must contain {{weight}}, got {self.set_weight!r}")
        if self.type == "kubernetes" and not self.deployment:
            raise ValueError("the kubernetes router needs deployment: the stable Deployment")
        return self


class RolloutPrometheus(_Section):
    """The Prometheus server the judge queries."""

    url: str | None = Field(None, description="Base URL, e.g. http://prometheus:9090.")
    token_secret: str | None = Field(
        None, description="Secret holding a bearer token for Prometheus (sent, never printed)."
    )
    timeout: str = Field("10s", description="Longest one query may take.")

    _token = field_validator("token_secret")(classmethod(lambda cls, v: _secret_name(v)))

    _check = field_validator("timeout")(classmethod(lambda cls, v: _duration(v)))


class RolloutMetrics(_Section):
    """Where the ready-made checks find their series."""

    requests: str = Field("http_requests_total", description="Request counter.")
    duration: str = Field(
        "http_request_duration_seconds", description="Request latency histogram (seconds)."
    )
    deployment_label: str = Field(
        "deployment", description="Label that tells the two versions apart."
    )
    canary: str = Field("canary", description="Its value on the new version (canary, green).")
    stable: str = Field("stable", description="Its value on the current version (stable, blue).")
    code_label: str = Field("code", description="Label holding the HTTP status code.")
    error_codes: str = Field("5..", description="Regex of the codes counted as errors.")
    selector: str = Field(
        "", description='Extra label matchers for every query, e.g. namespace="prod".'
    )


class ErrorRateCheck(_Section):
    """The canary's error rate against stable's."""

    enabled: bool = True
    max: float | None = Field(
        None, ge=0, le=1, description="Static ceiling of the canary's error rate per interval."
    )
    ratio: float = Field(
        2.0, gt=1, description="The sequential test rolls back on evidence of this x stable's rate."
    )


class LatencyCheck(_Section):
    """The canary's latency quantile against stable's."""

    enabled: bool = True
    quantile: float = Field(0.99, gt=0, lt=1, description="Which quantile: 0.99 is p99.")
    max: float | None = Field(
        None, gt=0, description="Static ceiling of the canary's quantile per interval, seconds."
    )
    ratio: float = Field(
        2.0,
        gt=1,
        description="The sequential test rolls back on evidence that this x as many canary "
        "requests as stable's are slower than stable's quantile.",
    )


class QueryCheck(_Section):
    """Your own PromQL check: one number per interval against a threshold."""

    name: str
    query: str = Field(
        description="PromQL returning one number; {{ window }}, {{ canary }}, {{ stable }} "
        "are substituted."
    )
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> QueryCheck:
        if self.max is None and self.min is None:
            raise ValueError(f"check {self.name!r} needs max or min")
        return self


class RolloutChecks(_Section):
    """What the judge measures every interval."""

    error_rate: ErrorRateCheck = Field(default_factory=ErrorRateCheck)
    latency: LatencyCheck = Field(default_factory=LatencyCheck)
    queries: list[QueryCheck] = Field(default_factory=list, description="Your own PromQL checks.")


class RolloutAnalysis(_Section):
    """How the judge decides."""

    false_rollback_rate: float = Field(
        0.01,
        gt=0,
        lt=0.5,
        description="Chance a healthy version is rolled back (the test's alpha).",
    )
    min_requests: int = Field(
        500, ge=0, description="No promotion before the new version served this many requests."
    )
    missing_limit: int = Field(
        2, ge=1, description="Consecutive intervals without data (or Prometheus) that roll back."
    )
    failure_limit: int = Field(
        2, ge=1, description="Consecutive static-threshold breaches that roll back."
    )
    metrics: RolloutMetrics = Field(default_factory=RolloutMetrics)


class Canary(_Section):
    """Canary rollout: traffic in steps, judged every interval."""

    steps: list[int] = Field(
        default_factory=lambda: [10, 25, 50],
        description="Traffic shares (%) of the canary, each held duration / len(steps).",
    )
    duration: str = Field(
        "15m", description="How long the canary is observed in all before promotion."
    )
    interval: str = Field("1m", description="Analysis interval: one verdict each.")
    router: RolloutRouter | None = Field(
        None, description="Where traffic moves (required for a canary rollout)."
    )
    prometheus: RolloutPrometheus = Field(default_factory=RolloutPrometheus)
    checks: RolloutChecks = Field(default_factory=RolloutChecks)
    analysis: RolloutAnalysis = Field(default_factory=RolloutAnalysis)

    _check = field_validator("duration", "interval")(classmethod(lambda cls, v: _duration(v)))

    @model_validator(mode="before")
    @classmethod
    def _removed_percentage(cls, data: Any) -> Any:
        if isinstance(data, dict) and "percentage" in data:
            raise ValueError(
                "percentage was removed: set deploy.production.canary.steps instead, "
                "e.g. steps: [10, 25, 50] (the first step is the canary's first share)"
            )
        return data

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("needs at least one step, e.g. [10, 25, 50]")
        if any(not 1 <= w <= 99 for w in value):
            raise ValueError(f"steps are traffic shares between 1 and 99, got {value}")
        if value != sorted(set(value)):
            raise ValueError(f"steps must increase, got {value}")
        return value


class BlueGreen(_Section):
    """Blue-green rollout: verify green, switch everything, watch, retire blue."""

    verify_duration: str = Field(
        "10m", description="How long green is watched after the switch before blue is retired."
    )
    verify: str | None = Field(
        None,
        description="Command run against green before the switch (MLCI_ENDPOINT is green's "
        "endpoint), e.g. pytest tests/integration; exit 0 passes.",
    )
    endpoint: str | None = Field(None, description="Green's own endpoint, given to verify.")
    baseline: str = Field(
        "10m", description="Blue's traffic over this window before the switch is the baseline."
    )
    interval: str = Field("1m", description="Analysis interval: one verdict each.")
    router: RolloutRouter | None = Field(
        None, description="Where traffic moves (required for a blue-green rollout)."
    )
    prometheus: RolloutPrometheus = Field(default_factory=RolloutPrometheus)
    checks: RolloutChecks = Field(default_factory=RolloutChecks)
    analysis: RolloutAnalysis = Field(default_factory=RolloutAnalysis)

    _check = field_validator("verify_duration", "baseline", "interval")(
        classmethod(lambda cls, v: _duration(v))
    )


class ProductionDeploy(_Section):
    """The production rollout."""

    strategy: Literal["direct", "canary", "blue-green"] = Field(
        "direct", description="direct: deploy command only; canary or blue-green: gradual rollout."
    )
    command: str | None = Field(None, description="Deploys the model to production (direct).")
    endpoint: str | None = Field(None, description="URL of the production endpoint.")
    canary: Canary = Field(default_factory=Canary)
    blue_green: BlueGreen = Field(default_factory=BlueGreen)

    _check = field_validator("command")(classmethod(lambda cls, v: _command(v)))
    _url = field_validator("endpoint")(classmethod(lambda cls, v: _endpoint(v)))


class Deploy(_Section):
    """Deployments to staging and production."""

    staging: StagingDeploy = Field(default_factory=StagingDeploy)
    production: ProductionDeploy = Field(default_factory=ProductionDeploy)


def _cron(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_cron(value)
    except CronError as exc:
        raise ValueError(str(exc)) from None


class Schedule(_Section):
    """Cron schedules (UTC)."""

    pipeline: str | None = Field(
        "0 6 * * 1", description="Cron (UTC) of the scheduled full pipeline run; null for none."
    )
    retrain: str | None = Field(
        "0 4 * * *", description="Cron (UTC) of the retraining trigger check; null for none."
    )

    _check = field_validator("pipeline", "retrain")(classmethod(lambda cls, v: _cron(v)))


class DriftColumn(_Section):
    """One column of the drift check: its type and its own thresholds."""

    type: Literal["numeric", "categorical"] | None = Field(
        None, description="numeric or categorical; detected from the data when unset."
    )
    p_value: float | None = Field(
        None, gt=0, lt=1, description="This column drifts when its test's p-value is at most this."
    )
    distance: float | None = Field(
        None, gt=0, description="This column drifts when its distance is at least this."
    )


class DriftTrigger(_Section):
    """Retrain when the data drifts from what the production model was trained on."""

    enabled: bool = False
    reference: str | None = Field(
        None,
        description="Reference data (CSV or Parquet): a path, or git:<rev>[:<path>] for the file "
        "as committed at <rev>; git:production is the commit of the version in the production "
        "stage, git:latest that of the newest version; <path> defaults to current's.",
    )
    current: str | None = Field(
        None, description="Current data (CSV or Parquet), e.g. data pulled by dvc."
    )
    columns: dict[str, DriftColumn] = Field(
        default_factory=dict,
        description="Columns declared by name: type and thresholds. Each must be in both files; "
        "undeclared shared columns are tested with detected types and the default thresholds.",
    )
    ignore: list[str] = Field(
        default_factory=list, description="Columns never tested: ids, timestamps, the target."
    )
    p_value: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Small samples (reference ≤ 1000 rows): a column drifts when its test's "
        "p-value (Kolmogorov-Smirnov, chi-square) is at most this.",
    )
    distance: float = Field(
        0.1,
        gt=0,
        description="Large samples: a column drifts when its distance (Wasserstein / reference "
        "std, Jensen-Shannon) is at least this.",
    )
    share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="The data set drifts (and retraining starts) when at least this share of "
        "the tested columns drift.",
    )
    threshold: float | None = Field(
        None, gt=0, le=1, description="Former name of share; share wins when both are set."
    )

    @property
    def drift_share(self) -> float:
        if self.threshold is not None and "share" not in self.model_fields_set:
            return self.threshold
        return self.share


class DecayTrigger(_Section):
    """Retrain when a production metric decays."""

    enabled: bool = False
    metric: str | None = Field(
        None, description="Production metric watched for decay (its name in the export)."
    )
    source: str | None = Field(
        None,
        description="Monitoring export holding the metric: a JSON file ({name: value}, nested, "
        "or a list of records: the last one holding it wins) or a CSV file (a column named "
        "after the metric, last row; or metric,value rows).",
    )
    prometheus: str | None = Field(
        None, description="Prometheus base URL; with query, the metric is read from there."
    )
    query: str | None = Field(
        None, description="PromQL instant query answering the metric (one series)."
    )
    token_secret: str | None = Field(
        None,
        description="Secret holding a bearer token for that Prometheus (sent in a header, "
        "never printed; only the trigger step gets it).",
    )
    min: float | None = Field(None, description="Retrain when the metric falls below this.")
    max: float | None = Field(None, description="Retrain when the metric rises above this.")

    _token = field_validator("token_secret")(classmethod(lambda cls, v: _secret_name(v)))


class NewDataTrigger(_Section):
    """Retrain when new data arrives."""

    enabled: bool = True
    paths: list[str] = Field(
        default_factory=lambda: ["data/"],
        description="Paths (or DVC files) whose change since the last training starts retraining.",
    )

    @field_validator("paths")
    @classmethod
    def _unique_paths(cls, value: list[str]) -> list[str]:
        return _paths(value, "path")


class Trigger(_Section):
    """What starts a retraining run."""

    drift: DriftTrigger = Field(default_factory=DriftTrigger)
    decay: DecayTrigger = Field(default_factory=DecayTrigger)
    new_data: NewDataTrigger = Field(default_factory=NewDataTrigger)
    cooldown_hours: float | None = Field(
        None,
        ge=0,
        description="No retrain within this many hours of the newest registered version, "
        "whatever the triggers say (force_retrain still retrains).",
    )


class Secrets(_Section):
    """Names of the repository secrets the jobs read."""

    train: list[str] = Field(
        default_factory=list, description="Secrets the data pull and training need (as env vars)."
    )
    deploy: list[str] = Field(
        default_factory=list, description="Secrets the deploy commands need (behind environments)."
    )

    _check = field_validator("train", "deploy")(classmethod(lambda cls, v: _secret_names(v)))


class Workflows(_Section):
    """How the workflows are generated."""

    self_reference: Literal["self", "relative"] = Field(
        "self",
        description="How continuous-training.yml calls ml-pipeline.yml: self = GitHub's "
        "$/.github/workflows/... form (no zizmor finding); relative = ./.github/workflows/... "
        "(also runs under act; the self-repository finding is then allowed in .github/zizmor.yml).",
    )
    runs_on: str = Field("ubuntu-latest", description="Runner of the jobs other than train.")

    @field_validator("runs_on")
    @classmethod
    def _label(cls, value: str) -> str:
        return _runner_label(value)

    zizmor_config: bool = Field(
        True,
        description="Generate .github/zizmor.yml (the pin policy zizmor needs for tag-pinned "
        "mlci actions). Turn off if you keep your own zizmor config, and add the policy there.",
    )
    actionlint_config: bool = Field(
        True,
        description="Generate .github/actionlint.yaml when mlci.yaml names self-hosted runner "
        "labels. false: the file is your own; mlci generate adds the labels to it (marked "
        "'added by mlci'), keeping your settings and comments.",
    )


class Config(_Section):
    """mlci.yaml — one file that describes the ML pipeline of this repository."""

    version: Literal[1] = 1
    branches: list[str] = Field(
        default_factory=lambda: ["main"], description="Branches pushes to which run the pipeline."
    )
    actions: Actions = Field(default_factory=Actions)
    python: Python = Field(default_factory=Python)
    install: Install = Field(default_factory=Install)
    lint: Lint = Field(default_factory=Lint)
    tests: Tests = Field(default_factory=Tests)
    data: Data = Field(default_factory=Data)
    image: Image = Field(default_factory=Image)
    train: Train
    validation: Validation = Field(default_factory=Validation)
    registry: Registry = Field(default_factory=Registry)
    deploy: Deploy = Field(default_factory=Deploy)
    schedule: Schedule = Field(default_factory=Schedule)
    trigger: Trigger = Field(default_factory=Trigger)
    secrets: Secrets = Field(default_factory=Secrets)
    workflows: Workflows = Field(default_factory=Workflows)
    overrides: dict[
        Literal["ml-pipeline", "continuous-training"], dict[str, dict[str, Any] | None]
    ] = Field(
        default_factory=dict,
        description="Patches of the generated workflows by job id and step id: "
        "{workflow: {job id: {key: value, steps: {step id: patch}}}}. Merge patches "
        "(RFC 7396: null deletes); a new step id with after: or before: inserts a step. "
        "See docs/editing-generated-files.md.",
    )

    @field_validator("branches")
    @classmethod
    def _branches(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one branch, e.g. main")
        for branch in value:
            problem = ref_problem(branch, branch=True, pattern=True)
            if problem:
                raise ValueError(f"{show(branch)} is not a branch name git accepts: it {problem}")
            if "+" in branch or branch.startswith("!"):
                raise ValueError(
                    f"{show(branch)}: + and a leading ! are pattern characters in GitHub's "
                    "branch filters, so the pipeline would not run for a branch of this name"
                )
        if "*" in value[0]:
            raise ValueError(
                f"the first branch is the main branch production deploys from; "
                f"it cannot be a pattern, got {show(value[0])}"
            )
        return _unique(value, "branch")

    @field_validator("overrides")
    @classmethod
    def _override_runners(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A ``runs-on:`` an override sets holds runner labels (or a GitHub expression)."""
        for workflow, jobs in value.items():
            for job_id, patch in jobs.items():
                runs_on = patch.get("runs-on") if isinstance(patch, dict) else None
                if isinstance(runs_on, dict):
                    runs_on = runs_on.get("labels")
                if runs_on is None or (isinstance(runs_on, str) and "${{" in runs_on):
                    continue
                labels = [runs_on] if isinstance(runs_on, str) else runs_on
                if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                    raise ValueError(
                        f"{workflow}.{job_id}.runs-on must be a runner label or a list of them"
                    )
                try:
                    runner_labels(labels)
                except ValueError as exc:
                    raise ValueError(f"{workflow}.{job_id}.runs-on: {exc}") from None
        return value

    @model_validator(mode="after")
    def _attest_files(self) -> Config:
        if self.registry.attest and not self.train.artifacts:
            raise ValueError(
                "registry.attest attests the model files' digest: list them in "
                "train.artifacts (e.g. [models/])"
            )
        return self

    @model_validator(mode="after")
    def _image_model(self) -> Config:
        if self.image.enabled and self.image.build == "after-training" and not self.train.artifacts:
            raise ValueError(
                "image.build: after-training puts the model files in the image: list them "
                "in train.artifacts (e.g. [models/])"
            )
        return self

    @model_validator(mode="after")
    def _stage_models(self) -> Config:
        if self.registry.copy_to_stage_models and self.registry.backend != "mlflow":
            raise ValueError(
                "registry.copy_to_stage_models: copying each promotion into the MLflow "
                "registered model <model>-<stage> needs backend: mlflow; remove it with the "
                f"{self.registry.backend} backend"
            )
        return self

    @model_validator(mode="after")
    def _secrets(self) -> Config:
        """Secret names GitHub treats as one, or that clash with the env mlci sets."""
        used: dict[str, tuple[str, str]] = {}
        named = [
            *(("secrets.train", name) for name in self.secrets.train),
            *(("secrets.deploy", name) for name in self.secrets.deploy),
            *(
                (f"image.{key}", name)
                for key, name in (
                    ("username_secret", self.image.username_secret),
                    ("password_secret", self.image.password_secret),
                )
                if name is not None
            ),
        ]
        if self.registry.backend == "mlflow":
            named.append(("registry.tracking_uri_secret", self.registry.tracking_uri_secret))
        for where, name in named:
            folded = name.upper()
            if folded in used and used[folded][1] != name:
                raise ValueError(
                    f"{where}: {show(name)} and {show(used[folded][1])} ({used[folded][0]}) are "
                    "the same secret to GitHub (names ignore case); spell them the same"
                )
            used.setdefault(folded, (where, name))
            if where.startswith("secrets.") and folded.startswith("MLCI_"):
                raise ValueError(
                    f"{where}: {show(name)}: names starting with MLCI_ are the environment "
                    "mlci sets in the steps; rename the secret"
                )
            if (
                where.startswith("secrets.")
                and self.registry.backend == "mlflow"
                and folded == "MLFLOW_TRACKING_URI"
            ):
                raise ValueError(
                    f"{where}: {show(name)}: with registry.backend mlflow, mlci sets "
                    "MLFLOW_TRACKING_URI itself (from registry.tracking_uri_secret); remove it"
                )
        return self

    @property
    def main_branch(self) -> str:
        return self.branches[0]

    @property
    def secret_names(self) -> list[str]:
        """Every repository secret the generated workflows read (what a caller must pass)."""
        names = {*self.secrets.train, *self.secrets.deploy}
        if self.registry.backend == "mlflow":
            names.add(self.registry.tracking_uri_secret)
        if self.image.enabled and self.image.password_secret and self.image.username_secret:
            names |= {self.image.username_secret, self.image.password_secret}
        _, rollout = _rollout(self)
        if rollout is not None and rollout.prometheus.token_secret:
            names.add(rollout.prometheus.token_secret)
        return sorted(names)


def _rollout(config: Config) -> tuple[str, Canary | BlueGreen | None]:
    """The section of the chosen rollout strategy (its key), or None for direct."""
    production = config.deploy.production
    if production.strategy == "canary":
        return "canary", production.canary
    if production.strategy == "blue-green":
        return "blue_green", production.blue_green
    return "", None


def _rollout_override(config: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """The overrides of the deploy-production job and of its rollout step ({} when none)."""
    job = config.overrides.get("ml-pipeline", {}).get("deploy-production") or {}
    steps = job.get("steps") if isinstance(job.get("steps"), dict) else {}
    step = (steps or {}).get("rollout")
    return job, step if isinstance(step, dict) else {}


def _override_env(config: Config, name: str) -> bool:
    """Whether an override gives the rollout step the environment variable ``name``."""
    return any(
        isinstance(part.get("env"), dict) and part["env"].get(name) is not None
        for part in _rollout_override(config)
    )


def workflow_problems(config: Config) -> list[tuple[tuple[str, ...], str]]:
    """What makes a generated workflow fail on every run, as (key, one line naming it).

    ``mlci generate`` and ``mlci check`` refuse these (exit 2); the config model does not,
    because the commands that read mlci.yaml at run time get what is missing from their
    callers: ``canary-deploy`` its image from ``MLCI_IMAGE``, ``retrain-trigger`` the data
    from ``--current``/``--reference``/``--metrics`` (and refuse, exit 2, without them).
    The generated workflows pass none of these, unless an override sets ``MLCI_IMAGE``.
    """
    out: list[tuple[tuple[str, ...], str]] = []
    key, rollout = _rollout(config)
    if (
        rollout is not None
        and rollout.router is not None
        and rollout.router.type == "kubernetes"
        and not config.image.enabled
        and not _override_env(config, "MLCI_IMAGE")
    ):
        out.append(
            (
                ("deploy", "production", key, "router"),
                f"deploy.production.{key}.router: the kubernetes router deploys the serving "
                "image (MLCI_IMAGE), which only an image build provides: set image.enabled: "
                "true, or use a command router (type: command)",
            )
        )
    if rollout is not None:
        checks = rollout.checks
        if not (checks.error_rate.enabled or checks.latency.enabled or checks.queries):
            out.append(
                (
                    ("deploy", "production", key, "checks"),
                    f"deploy.production.{key}.checks: every check is disabled, so nothing "
                    "would judge the rollout (deploy-production exits 2): enable error_rate "
                    "or latency, or add queries",
                )
            )
    drift = config.trigger.drift
    where = ("trigger", "drift")
    if drift.enabled and not drift.current:
        out.append(
            (
                (*where, "enabled"),
                "trigger.drift: enabled needs current: the current data (CSV or Parquet) "
                "compared with reference, e.g. current: data/live.csv",
            )
        )
    elif drift.enabled and not drift.reference:
        out.append(
            (
                (*where, "enabled"),
                "trigger.drift: enabled needs reference: the reference data (a path, or "
                "git:production for the current file as committed at the production version)",
            )
        )
    decay = config.trigger.decay
    where = ("trigger", "decay")
    problem = ""
    if not decay.enabled:
        pass
    elif not decay.metric:
        problem = "enabled needs metric: the production metric to watch, e.g. accuracy"
    elif decay.min is None and decay.max is None:
        problem = (
            f"enabled needs min or max for {decay.metric} (retrain when it falls below min "
            "or rises above max)"
        )
    elif decay.source:
        pass  # source is read; prometheus and query are not (a note says so)
    elif decay.prometheus and not decay.query:
        problem = (
            f"prometheus needs query: the PromQL instant query answering {decay.metric} "
            "(one series)"
        )
    elif decay.query and not decay.prometheus:
        problem = "query needs prometheus: the Prometheus base URL, e.g. http://prometheus:9090"
    elif not decay.prometheus:
        problem = (
            f"enabled needs source (a JSON or CSV monitoring export holding {decay.metric}) "
            "or prometheus and query"
        )
    if problem:
        out.append(((*where, "enabled"), f"trigger.decay: {problem}"))
    return out


def notes(config: Config) -> list[str]:
    """Settings that are valid but will not do what they seem to: ``mlci generate``, ``init``
    and ``doctor`` print them as notes (a missing router: :func:`mlci.render.notices`).

    Notes, not errors: rollout and trigger settings are written a piece at a time (``mlci
    init`` writes router: null and prometheus.url: null), and a setting of a strategy or
    source not chosen is kept on purpose while switching between them.
    """
    out: list[str] = []
    key, rollout = _rollout(config)
    strategy = config.deploy.production.strategy
    _, step = _rollout_override(config)
    with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
    if (
        rollout is not None
        and rollout.router is not None
        and not rollout.prometheus.url
        and not (with_ or {}).get("prometheus-url")
    ):
        out.append(
            f"deploy.production.strategy {strategy} needs deploy.production.{key}.prometheus.url "
            "(what judges the rollout): deploy-production exits 2 until it is set (docs/deploy.md)"
        )
    verify = config.deploy.production.blue_green.verify
    if verify is not None and strategy != "blue-green":
        out.append(
            f"deploy.production.blue_green.verify is not run: strategy is {strategy}, and "
            "verify runs against green in a blue-green rollout only"
        )
    decay = config.trigger.decay
    if decay.enabled and decay.source:
        unused = [
            f"trigger.decay.{name}"
            for name in ("prometheus", "query", "token_secret")
            if getattr(decay, name) is not None
        ]
        if unused:
            out.append(
                f"trigger.decay reads {decay.metric} from source ({decay.source}); "
                f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not used while "
                "source is set"
            )
    return out


# What mlci.yaml must satisfy beyond its types: each rule is checked by the config model
# (exit 2, one line naming the key), and listed in docs/config.md by mlci.docgen.
VALIDATION_RULES: list[str] = [
    "Types are strict: a string stays a string and a number a number. `timeout_minutes: "
    '"120"` or `true`, `enabled: "yes"`, `command: 3` are errors; quote values YAML would '
    'read otherwise (`"3.10"`, `"2024-02-03"`, `"yes"`). Unquoted dates and keys that '
    "are not strings (`1:`, `null:`, `true:`) are errors.",
    "`branches`: names `git check-ref-format --branch` accepts (no spaces, `~ ^ : ? [ \\`, "
    "`..`, `@{`, a leading `-` or `.`, a `.lock` part, `HEAD`), each once; `*` makes a "
    "pattern, but not in the first (main) branch; `+` and a leading `!` are refused because "
    "GitHub's branch filters read them as pattern characters.",
    "`schedule.*`: five-field crons GitHub accepts, at most one run every 5 minutes "
    "(`*/3 * * * *` or `0-10 6 * * *` are errors).",
    "`actions.repository`: a GitHub `owner/repo` (owner: letters, digits, single inner "
    "hyphens, at most 39; repo: letters, digits, `.`, `-`, `_`). `actions.ref`: a tag, branch "
    "or commit SHA git accepts.",
    "Secret names (`secrets.*`, `image.*_secret`, `registry.tracking_uri_secret`): letters, "
    "digits and `_` (at most 255), not starting with a digit or `GITHUB_`. GitHub ignores "
    "case, so two names that differ only in case are one secret and an error; names "
    "starting with `MLCI_` and, with the mlflow backend, `MLFLOW_TRACKING_URI` are the "
    "environment mlci sets itself.",
    "Runner labels (`train.runs_on`, `workflows.runs_on`, an override's `runs-on`): letters, "
    "digits, `.`, `-`, `_`, each once; labels no single runner can carry together (two "
    "GitHub-hosted images, `linux` with `macos`) are an error. A label actionlint does not "
    "know as GitHub-hosted or preset self-hosted is custom, whatever its prefix "
    "(`ubuntu-gpu`), and is written to `.github/actionlint.yaml`.",
    "Commands: `train.command` and `tests.command` are required and not empty; an optional "
    "command (`install.command`, `data.*`, `deploy.*.command`) is `null` to skip its step, "
    "never empty. `tests.command` is one line that a test path can be appended to (no "
    "trailing comment, backslash or open quote); a trailing newline is dropped.",
    "Lists (`branches`, `install.requirements`, `lint.commands`, `train.artifacts`, "
    "`trigger.new_data.paths`, secrets, runner labels) hold each entry once; paths are one "
    "line of printable characters.",
    "Every value reaches the workflows unchanged: commands keep leading spaces, tabs, blank "
    "lines and trailing spaces (a literal block when it can say the text exactly, else a "
    "quoted string). `${{ }}` in a value is an error (template injection); read "
    "`$GITHUB_*` variables in your command instead.",
    "`registry.copy_to_stage_models` and `store: mlflow` need the mlflow backend, "
    "`store: github-release` the git backend.",
    "Workflows that could only fail when they run: `mlci generate` and `mlci check` refuse "
    "an enabled `trigger.drift` without `current` or `reference`, an enabled `trigger.decay` "
    "without `metric`, without `min`/`max`, or without `source` or `prometheus` with "
    "`query`, and the kubernetes router of the chosen rollout without `image.enabled` (or "
    "an override setting `MLCI_IMAGE`), and the chosen rollout with every check disabled. "
    "The commands themselves accept them, as their "
    "callers can pass what is missing (`--current`, `--metrics`, `MLCI_IMAGE`). Settings "
    "written a piece at a time or kept while switching are notes of `mlci generate`, `init` "
    "and `doctor`: a rollout without router or `prometheus.url`, `blue_green.verify` under "
    "another strategy, `trigger.decay` Prometheus settings while `source` is read.",
    "The file is UTF-8, at most 1,000,000 characters, and a few levels deep; a directory, "
    "deep nesting or an alias bomb is an error, not a crash. Messages cut long values.",
]


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes to plain dicts, lists and scalars."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarfloat import ScalarFloat

    if isinstance(node, CommentedMap | dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarFloat):
        return float(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


def _line_of(root: Any, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node on ``loc`` that exists in the document."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    line: int | None = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and hasattr(root, "lc"):
        return (root.lc.line or 0) + 1
    return line


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest key on ``loc`` in the YAML ``text`` (None if unreadable)."""
    from ruamel.yaml.error import YAMLError

    try:
        document = _yaml().load(text)
    except YAMLError:
        return None
    return _line_of(document, loc) if document is not None else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model whose keys live at ``loc`` (for "did you mean")."""
    model: type[BaseModel] = Config
    for key in loc:
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        if not isinstance(key, str) or key not in fields:
            return None
        annotation = fields[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return model


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return show(value)
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean; quote it to mean the text)"
    if isinstance(value, int | float):
        return f"{value!r} (a number; quote it to mean the text)"
    return show(value)


_TYPE_WORDS = {
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
}

_REQUIRED_HINTS = {
    ("train",): "add a train: section with the command that trains your model",
    ("train", "command"): "write the command that trains your model, e.g. command: python train.py",
}


def _message(error: dict[str, Any]) -> tuple[tuple[int | str, ...], str]:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
    kind = error["type"]
    dotted = ".".join(str(part) for part in loc)
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = _model_at(loc[:-1])
        where = ".".join(str(p) for p in loc[:-1]) or "the top level"
        text = f"unknown key {show(key)} in {where}"
        if parent is not None:
            close = difflib.get_close_matches(key, _keys_of(parent), n=1, cutoff=0.6)
            text += (
                f" (did you mean {close[0]!r}?)"
                if close
                else (f"; valid keys: {', '.join(_keys_of(parent))}")
            )
        return loc, text
    if kind == "missing":
        hint = _REQUIRED_HINTS.get(loc, "add it")
        return loc, f"{dotted} is required: {hint}"
    if kind in _TYPE_WORDS:
        return loc, f"{dotted} {_TYPE_WORDS[kind]}, got {_describe(value)}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return loc, f"{dotted} must be one of {expected}, got {_describe(value)}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return loc, f"{dotted} {error['msg'].lower()}, got {_describe(value)}"
    msg = str(error["msg"]).removeprefix("Value error, ")
    if not loc:  # a check across keys names its key first: "secrets.train: ..."
        named = re.match(r"^([a-z_]+(?:\.[a-z_]+)*): ", msg)
        return (tuple(named.group(1).split(".")) if named else ()), msg
    return loc, f"{dotted}: {msg}"


# Keys whose values become shell or script text: no GitHub expression may reach them.
_EXPRESSION_SINKS = frozenset({"run", "shell", "script"})


def _expression_allowed(loc: tuple[int | str, ...]) -> bool:
    """Overrides may hold ``${{ }}`` (env: X: ${{ secrets.X }}, if:), never under run:."""
    return bool(loc) and loc[0] == "overrides" and not _EXPRESSION_SINKS.intersection(loc[1:])


def _find_expression(
    node: Any, loc: tuple[int | str, ...]
) -> tuple[tuple[int | str, ...], str] | None:
    """The first string in the document that holds ``${{``, with its location."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        hit = isinstance(node, str) and "${{" in node and not _expression_allowed(loc)
        return (loc, str(node)) if hit else None
    for key, value in items:
        found = _find_expression(value, (*loc, key))
        if found is not None:
            return found
    return None


def _find_odd(node: Any, loc: tuple[int | str, ...]) -> tuple[tuple[int | str, ...], str] | None:
    """The first key that is not a string, or value YAML read as a date, with its location."""
    import datetime

    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                return loc, f"has the key {show(key)}, which YAML reads as {type(key).__name__}"
            found = _find_odd(value, (*loc, key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _find_odd(value, (*loc, index))
            if found is not None:
                return found
    elif isinstance(node, datetime.date):
        return loc, f"is {node.isoformat()}, which YAML reads as a date"
    elif isinstance(node, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in node):
        return loc, "holds a \\uD800-\\uDFFF escape (half a character): write the character"
    return None


# Values in a document, aliases counted each time they are used (an alias bomb stops here).
MAX_VALUES = 100_000


def _too_many(document: Any) -> bool:
    count = 0
    stack = [document]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return True
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


# mlci.yaml is a short file; anything larger is a mistake (and slow to parse).
MAX_CONFIG_BYTES = 1_000_000


def parse(text: str, *, source: str = CONFIG_FILE) -> Config:
    """Parse and validate config text; raise :class:`ConfigError` naming ``source:line``."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{source}: is {len(text):,} characters; a config file is at most {MAX_CONFIG_BYTES:,}"
        )
    try:
        return _parse(text, source=source)
    except RecursionError:
        raise ConfigError(
            f"{source}: is nested too deeply to read; mlci.yaml is a few levels of keys"
        ) from None


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _parse(text: str, *, source: str) -> Config:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        document = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{source}{where}: invalid YAML: {_first_line(problem)}") from None
    except YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {_first_line(exc)}") from None
    except ValueError as exc:  # a timestamp that is no date, e.g. 2024-02-30 unquoted
        date = re.compile(r"(?:^|[\s\[,:])(\d{4}-\d\d?-\d\d?)(?=$|[\s\],#])")
        found = next(
            (
                (number, m.group(1))
                for number, line in enumerate(text.splitlines(), 1)
                if (m := date.search(line))
            ),
            None,
        )
        where, what = (f":{found[0]}", f" {found[1]}") if found else ("", "")
        raise ConfigError(
            f"{source}{where}: YAML reads{what} as a date, and it is not one "
            f"({_first_line(exc)}); quote it to mean the text"
        ) from None
    if document is None:
        raise ConfigError(
            f"{source}: the file is empty; "
            "run `mlci init --force` to write a commented starting config"
        )
    if not isinstance(document, dict):
        raise ConfigError(
            f"{source}:1: the top level must be a mapping of keys (train:, registry:, ...), "
            f"got {_describe(_plain(document))}"
        )
    if _too_many(document):
        raise ConfigError(
            f"{source}: holds too many values (over {MAX_VALUES:,}, counting what YAML "
            "aliases repeat); a config file is a few dozen keys"
        )
    odd = _find_odd(document, ())
    if odd is not None:
        loc, what = odd
        line = _line_of(document, loc)
        dotted = ".".join(str(part) for part in loc) or "the top level"
        hint = "" if "escape" in what else "; quote it to mean the text"
        raise ConfigError(f"{source}:{line}: {dotted} {what}{hint}")
    expression = _find_expression(document, ())
    if expression is not None:
        loc, value = expression
        line = _line_of(document, loc)
        dotted = ".".join(str(part) for part in loc)
        if loc[0] == "overrides":
            raise ConfigError(
                f"{source}:{line}: {dotted} contains a GitHub expression ({show(value)}) where it "
                "would become shell or script text (template injection): set it in the step's "
                'env: (e.g. env: {VALUE: ...}) and read "$VALUE" in the command'
            )
        raise ConfigError(
            f"{source}:{line}: {dotted} contains a GitHub expression ({show(value)}); mlci never "
            "puts config values inside ${{ }} (template injection): write the value itself, "
            "or read $GITHUB_* environment variables in your command"
        )
    try:
        return Config.model_validate(_plain(document))
    except ValidationError as exc:
        errors = sorted(
            (_message(dict(error)) for error in exc.errors(include_url=False)),
            key=lambda item: (
                not item[1].startswith("unknown key"),
                _line_of(document, item[0]) or 0,
            ),
        )
        loc, text_ = errors[0]
        line = _line_of(document, loc)
        where = f"{source}:{line}" if line else source
        more = (
            f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        raise ConfigError(f"{where}: {text_}{more}") from None


def load(path: Path) -> LoadedConfig:
    """Read and validate ``mlci.yaml``."""
    if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: is {path.stat().st_size:,} bytes; a config file is at most "
            f"{MAX_CONFIG_BYTES:,}"
        )
    text = files.read_text(
        path,
        what="config file",
        missing="no such file; run `mlci init` to create it, or pass --config",
        error=ConfigError,
        newline="",
    )
    return LoadedConfig(config=parse(text, source=str(path)), path=path, text=text)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``mlci.yaml`` (draft 2020-12), for editors and validators."""
    schema = Config.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        **schema,
    }
