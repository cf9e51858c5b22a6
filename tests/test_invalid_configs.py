"""Over a hundred kinds of invalid mlci.yaml: each is exit 2, one short line, and touches nothing.

The cases run through the CLI's entry point (``mlci generate`` and ``mlci check``, as
``python -m mlci`` runs them) in this process (``conftest.run_on_config``), so the table
stays fast: a subprocess per case would take minutes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import clean_env, make_ml_repo, run_on_config

GOOD = "train:\n  command: python train.py\n"
DIRECTORY = "<a directory in place of mlci.yaml>"
# The longest message line any invalid config may produce (long values are cut).
MAX_LINE = 400


def deep_list(depth: int) -> str:
    return GOOD + "x: " + "[" * depth + "]" * depth + "\n"


def deep_map(depth: int) -> str:
    return GOOD + "x: " + "{a: " * depth + "1" + "}" * depth + "\n"


ALIAS_BOMB = (
    GOOD
    + "x:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
        for i in range(8)
    )
)

MLFLOW = "registry:\n  backend: mlflow\n"
IMAGE_LOGIN = (
    "image:\n  enabled: true\n  name: docker.io/acme/m\n"
    "  username_secret: api_key\n  password_secret: TOKEN\n"
)

# (kind, mlci.yaml text (or bytes, or DIRECTORY), text the one line must contain)
INVALID: list[tuple[str, str | bytes, str]] = [
    # ------------------------------------------------------------------ the file and its YAML
    ("empty-file", "", "the file is empty"),
    ("only-comments", "# nothing here\n", "the file is empty"),
    ("bad-yaml", "train:\n  command: [python\n", "invalid YAML"),
    ("tab-indent", "train:\n\tcommand: x\n", "invalid YAML"),
    ("duplicate-key", "train:\n  command: a\n  command: b\n", "invalid YAML"),
    ("top-level-list", "- train\n", "top level must be a mapping"),
    ("top-level-scalar", "hello\n", "top level must be a mapping"),
    ("not-utf8", b"train:\n  command: \xff\xfe\n", "not UTF-8"),
    ("utf16", GOOD.encode("utf-16"), "not UTF-8"),
    ("deep-nesting-list", deep_list(20000), "nested too deeply"),
    ("deep-nesting-map", deep_map(5000), "nested too deeply"),
    ("huge-file", GOOD + "# " + "x" * 1_100_000 + "\n", "a config file is at most"),
    ("directory", DIRECTORY, "is a directory"),
    ("alias-bomb", ALIAS_BOMB, "too many values"),
    (
        "invalid-date",
        GOOD + "branches: [main, 2024-02-30]\n",
        ":3: YAML reads 2024-02-30 as a date",
    ),
    ("date-in-list", GOOD + "branches: [main, 2024-02-03]\n", "branches.1 is 2024-02-03"),
    ("date-command", "train:\n  command: 2024-02-03\n", "train.command is 2024-02-03"),
    ("datetime-value", GOOD + "  metrics_file: 2024-02-03 10:00:00\n", "reads as a date"),
    ("int-key", GOOD + "1: x\n", "has the key 1"),
    ("null-key", GOOD + "null: x\n", "has the key None"),
    (
        "bool-key-in-overrides",
        GOOD + "overrides:\n  ml-pipeline:\n    train:\n      env: {true: x}\n",
        "overrides.ml-pipeline.train.env has the key True",
    ),
    # ------------------------------------------------------------------ keys
    ("missing-train", "python:\n  version: '3.11'\n", "train is required"),
    ("missing-train-command", "train:\n  runs_on: [ubuntu-latest]\n", "train.command is required"),
    ("unknown-top-key", GOOD + "registy:\n  backend: git\n", "did you mean 'registry'"),
    ("unknown-nested-key", "train:\n  comand: python train.py\n", "did you mean 'command'"),
    ("unknown-key-no-match", GOOD + "zzz: 1\n", "unknown key 'zzz'"),
    ("long-unknown-key", GOOD + "k" * 1000 + ": 1\n", "unknown key 'kkkk"),
    ("section-not-mapping", GOOD + "validation: strict\n", "validation must be a mapping"),
    ("bad-version", GOOD + "version: 2\n", "version must be one of"),
    ("version-string", GOOD + "version: '1'\n", "version must be one of"),
    # ------------------------------------------------------------------ strict types
    ("train-command-number", "train:\n  command: 3\n", "train.command must be a string"),
    ("train-command-list", "train:\n  command: [a, b]\n", "train.command must be a string"),
    ("timeout-word", GOOD + "  timeout_minutes: soon\n", "must be a whole number"),
    ("timeout-quoted", GOOD + "  timeout_minutes: '120'\n", "must be a whole number"),
    ("timeout-bool", GOOD + "  timeout_minutes: true\n", "must be a whole number"),
    ("timeout-float", GOOD + "  timeout_minutes: 1.5\n", "must be a whole number"),
    ("timeout-zero", GOOD + "  timeout_minutes: 0\n", "train.timeout_minutes"),
    ("timeout-too-long", GOOD + "  timeout_minutes: 5000\n", "train.timeout_minutes"),
    ("enabled-string", GOOD + "image:\n  enabled: 'yes'\n", "image.enabled must be true or false"),
    ("enabled-number", GOOD + "image:\n  enabled: 1\n", "image.enabled must be true or false"),
    ("python-float", GOOD + "python:\n  version: 3.10\n", "must be a quoted string"),
    ("python-int", GOOD + "python:\n  version: 3\n", "python.version must be a string"),
    ("python-2", GOOD + "python:\n  version: '2.7'\n", "Python 3 version"),
    ("model-name-number", GOOD + "registry:\n  model: 7\n", "registry.model must be a string"),
    ("secrets-not-list", GOOD + "secrets:\n  train: TOKEN\n", "secrets.train must be a list"),
    ("artifacts-not-list", GOOD + "  artifacts: model.pkl\n", "train.artifacts must be a list"),
    (
        "steps-quoted",
        GOOD + "deploy:\n  production:\n    canary: {steps: ['10']}\n",
        "must be a whole number",
    ),
    (
        "steps-range",
        GOOD + "deploy:\n  production:\n    canary: {steps: [10, 150]}\n",
        "steps are traffic shares between 1 and 99",
    ),
    (
        "threshold-string",
        GOOD + "validation:\n  thresholds:\n    acc: {min: high}\n",
        "must be a number",
    ),
    (
        "threshold-bool",
        GOOD + "validation:\n  thresholds:\n    acc: {min: true}\n",
        "must be a number",
    ),
    (
        "threshold-both",
        GOOD + "validation:\n  thresholds:\n    acc: {min: 0.8, max: 0.9}\n",
        "exactly one of min",
    ),
    ("threshold-none", GOOD + "validation:\n  thresholds:\n    acc: {}\n", "exactly one of min"),
    ("negative-regression", GOOD + "validation:\n  max_regression: -0.1\n", "max_regression"),
    ("bad-baseline", GOOD + "validation:\n  baseline: prod\n", "registry:<stage> or file:<path>"),
    ("bad-backend", GOOD + "registry:\n  backend: s3\n", "registry.backend must be one of"),
    (
        "bad-strategy",
        GOOD + "deploy:\n  production:\n    strategy: yolo\n",
        "strategy must be one of",
    ),
    (
        "bad-duration",
        GOOD + "deploy:\n  production:\n    canary: {duration: forever}\n",
        "must be a duration",
    ),
    ("bad-model-name", GOOD + "registry:\n  model: My Model\n", "is not a model name"),
    ("bad-stage", GOOD + "registry:\n  stages: {staging: Staging}\n", "is not a stage name"),
    # ------------------------------------------------------------------ crons
    ("cron-fields", GOOD + "schedule:\n  pipeline: '0 4 * *'\n", "has 4 fields"),
    ("cron-range", GOOD + "schedule:\n  retrain: '61 * * * *'\n", "minute 61 is out of range"),
    ("cron-step-zero", GOOD + "schedule:\n  retrain: '*/0 * * * *'\n", "must be a positive number"),
    ("cron-number", GOOD + "schedule:\n  pipeline: 5\n", "schedule.pipeline must be a string"),
    ("cron-every-minute", GOOD + "schedule:\n  pipeline: '* * * * *'\n", "every 1 minute"),
    ("cron-every-3", GOOD + "schedule:\n  retrain: '*/3 * * * *'\n", "every 3 minutes"),
    ("cron-minute-range", GOOD + "schedule:\n  retrain: '0-10 6 * * *'\n", "every 1 minute"),
    ("cron-close-minutes", GOOD + "schedule:\n  retrain: '0,4 * * * *'\n", "every 4 minutes"),
    ("cron-across-hours", GOOD + "schedule:\n  retrain: '0,58 * * * *'\n", "every 2 minutes"),
    ("cron-backwards", GOOD + "schedule:\n  retrain: '0 5-2 * * *'\n", "runs backwards"),
    # ------------------------------------------------------------------ secrets
    ("secret-bad-name", GOOD + "secrets:\n  train: [1BAD]\n", "not a valid secret name"),
    ("secret-github", GOOD + "secrets:\n  deploy: [GITHUB_TOKEN]\n", "may not start with GITHUB_"),
    ("secret-github-lower", GOOD + "secrets:\n  deploy: [github_x]\n", "GITHUB_"),
    ("secret-twice", GOOD + "secrets:\n  train: [A, A]\n", "lists the secret 'A' twice"),
    ("secret-case-twice", GOOD + "secrets:\n  train: [api_key, API_KEY]\n", "case does not count"),
    (
        "secret-case-across",
        GOOD + "secrets:\n  train: [api_key]\n  deploy: [API_KEY]\n",
        "the same secret to GitHub",
    ),
    (
        "secret-case-image",
        GOOD + IMAGE_LOGIN + "secrets:\n  train: [API_KEY]\n",
        "the same secret to GitHub",
    ),
    (
        "secret-mlflow-uri",
        GOOD + MLFLOW + "secrets:\n  train: [MLFLOW_TRACKING_URI]\n",
        "mlci sets MLFLOW_TRACKING_URI itself",
    ),
    (
        "secret-mlflow-uri-lower",
        GOOD + MLFLOW + "secrets:\n  deploy: [mlflow_tracking_uri]\n",
        "mlci sets MLFLOW_TRACKING_URI itself",
    ),
    (
        "secret-tracking-case",
        GOOD + MLFLOW + "  tracking_uri_secret: URI\nsecrets:\n  deploy: [uri]\n",
        "the same secret to GitHub",
    ),
    ("secret-mlci-env", GOOD + "secrets:\n  deploy: [MLCI_MODEL]\n", "names starting with MLCI_"),
    (
        "secret-mlci-env-lower",
        GOOD + "secrets:\n  train: [mlci_metrics_file]\n",
        "names starting with MLCI_",
    ),
    ("secret-too-long", GOOD + "secrets:\n  train: [" + "A" * 300 + "]\n", "longer than 255"),
    ("secret-huge-name", GOOD + "secrets:\n  train: ['" + "a-" * 200_000 + "']\n", "secret"),
    (
        "image-login-missing",
        GOOD + "image:\n  enabled: true\n  name: docker.io/acme/m\n",
        "needs a login",
    ),
    (
        "image-login-half",
        GOOD + "image:\n  username_secret: U\n",
        "needs both username_secret and password_secret",
    ),
    # ------------------------------------------------------------------ actions.repository / ref
    (
        "repository-no-slash",
        GOOD + "actions:\n  repository: just-a-name\n",
        "must be a GitHub owner/repo",
    ),
    ("repository-dot-owner", GOOD + "actions:\n  repository: a.b/mlci\n", "GitHub owner/repo"),
    ("repository-dash-owner", GOOD + "actions:\n  repository: -acme/mlci\n", "GitHub owner/repo"),
    ("repository-double-dash", GOOD + "actions:\n  repository: ac--me/mlci\n", "GitHub owner"),
    ("repository-three-parts", GOOD + "actions:\n  repository: a/b/c\n", "GitHub owner/repo"),
    ("repository-dotdot", GOOD + "actions:\n  repository: acme/..\n", "GitHub owner/repo"),
    ("repository-long-owner", GOOD + f"actions:\n  repository: {'a' * 40}/m\n", "GitHub owner"),
    ("repository-space", GOOD + "actions:\n  repository: 'acme/my repo'\n", "GitHub owner"),
    ("ref-space", GOOD + "actions:\n  ref: 'v1 ; rm -rf'\n", "actions.ref"),
    ("ref-dash", GOOD + "actions:\n  ref: -v1\n", "actions.ref"),
    ("ref-lock", GOOD + "actions:\n  ref: v1.lock\n", "actions.ref"),
    ("ref-dotdot", GOOD + "actions:\n  ref: v1..2\n", "actions.ref"),
    ("ref-at-brace", GOOD + "actions:\n  ref: 'v1@{0}'\n", "actions.ref"),
    # ------------------------------------------------------------------ branches
    ("branches-empty", GOOD + "branches: []\n", "at least one branch"),
    ("pattern-main-branch", GOOD + "branches: ['release/*']\n", "cannot be a pattern"),
    ("branch-dash", GOOD + "branches: [-x]\n", "not a branch name git accepts"),
    ("branch-lock", GOOD + "branches: [main, x.lock]\n", "not a branch name git accepts"),
    ("branch-head", GOOD + "branches: [HEAD]\n", "not a branch name git accepts"),
    ("branch-twice", GOOD + "branches: [main, dev, main]\n", "lists the branch 'main' twice"),
    ("branch-space", GOOD + "branches: ['my branch']\n", "not a branch name git accepts"),
    ("branch-dotdot", GOOD + "branches: [a..b]\n", "not a branch name git accepts"),
    ("branch-slash", GOOD + "branches: [main, feature/]\n", "not a branch name git accepts"),
    ("branch-dot-part", GOOD + "branches: [main, a/.b]\n", "not a branch name git accepts"),
    ("branch-empty", GOOD + "branches: ['']\n", "not a branch name git accepts"),
    ("branch-tab", GOOD + 'branches: ["a\\tb"]\n', "not a branch name git accepts"),
    ("branch-colon", GOOD + "branches: ['a:b']\n", "not a branch name git accepts"),
    ("branch-plus", GOOD + "branches: [main, a+b]\n", "pattern characters"),
    ("branch-bang", GOOD + "branches: [main, '!x']\n", "pattern characters"),
    ("branch-expression", GOOD + "branches: ['${{ github.ref }}']\n", "GitHub expression"),
    # ------------------------------------------------------------------ runners
    ("runs-on-empty", GOOD + "  runs_on: []\n", "at least one runner label"),
    ("runs-on-space", GOOD + "  runs_on: ['has space']\n", "is not a runner label"),
    ("runs-on-mixed-os", GOOD + "  runs_on: [ubuntu-latest, windows-latest]\n", "no runner has"),
    ("runs-on-two-ubuntus", GOOD + "  runs_on: [ubuntu-latest, ubuntu-22.04]\n", "no runner has"),
    ("runs-on-linux-macos", GOOD + "  runs_on: [self-hosted, linux, macos]\n", "no runner has"),
    ("runs-on-twice", GOOD + "  runs_on: [gpu, GPU]\n", "lists the runner label"),
    ("workflows-runs-on", GOOD + "workflows:\n  runs_on: 'a b'\n", "is not a runner label"),
    (
        "override-runs-on-space",
        GOOD + "overrides:\n  ml-pipeline:\n    train:\n      runs-on: ['has space']\n",
        "is not a runner label",
    ),
    (
        "override-runs-on-mixed",
        GOOD + "overrides:\n  ml-pipeline:\n    test:\n      runs-on: [macos-14, ubuntu-24.04]\n",
        "no runner has",
    ),
    # ------------------------------------------------------------------ commands
    ("empty-train-command", "train:\n  command: '   '\n", "train.command"),
    ("empty-tests-command", GOOD + "tests:\n  command: ''\n", "tests.command: is empty"),
    ("tests-command-lines", GOOD + 'tests:\n  command: "a\\nb"\n', "must be one line"),
    ("tests-command-comment", GOOD + "tests:\n  command: 'pytest # all'\n", "ends with a comment"),
    ("tests-command-backslash", GOOD + "tests:\n  command: 'pytest \\'\n", "with a backslash"),
    ("tests-command-quote", GOOD + "tests:\n  command: 'pytest \"-k'\n", "inside a quote"),
    ("empty-lint-command", GOOD + "lint:\n  commands: ['']\n", "empty command"),
    ("lint-command-twice", GOOD + "lint:\n  commands: [ruff ., ruff .]\n", "twice"),
    ("empty-install-command", GOOD + "install:\n  command: ''\n", "install.command: is empty"),
    ("empty-data-pull", GOOD + "data:\n  pull: ''\n", "data.pull: is empty"),
    ("empty-data-validate", GOOD + "data:\n  validate: ' '\n", "data.validate: is empty"),
    (
        "empty-staging-command",
        GOOD + "deploy:\n  staging:\n    command: ''\n",
        "deploy.staging.command: is empty",
    ),
    (
        "empty-production-command",
        GOOD + "deploy:\n  production:\n    command: '  '\n",
        "deploy.production.command: is empty",
    ),
    (
        "expression-in-command",
        "train:\n  command: echo ${{ github.event.issue.title }}\n",
        "GitHub expression",
    ),
    (
        "expression-in-override-run",
        GOOD + "overrides:\n  ml-pipeline:\n    train:\n      steps:\n        train:\n"
        "          run: echo ${{ github.head_ref }}\n",
        "template injection",
    ),
    # ------------------------------------------------------------------ paths and lists
    ("artifact-twice", GOOD + "  artifacts: [model.pkl, model.pkl]\n", "twice"),
    ("artifact-newline", GOOD + '  artifacts: ["two\\nlines.pkl"]\n', "one line"),
    ("artifact-empty", GOOD + "  artifacts: ['']\n", "empty artifact path"),
    ("requirements-twice", GOOD + "install:\n  requirements: [r.txt, r.txt]\n", "twice"),
    ("requirements-newline", GOOD + 'install:\n  requirements: ["a\\nb"]\n', "one line"),
    ("test-path-newline", GOOD + 'tests:\n  unit: "a\\nb"\n', "one line"),
    ("new-data-twice", GOOD + "trigger:\n  new_data:\n    paths: [d/, d/]\n", "twice"),
    ("metrics-file-newline", GOOD + '  metrics_file: "a\\nb"\n', "one line"),
    (
        "endpoint-newline",
        GOOD + 'deploy:\n  staging:\n    endpoint: "https://x\\ny"\n',
        "URL on one line",
    ),
    # ------------------------------------------------------------------ overrides
    (
        "override-unknown-workflow",
        GOOD + "overrides:\n  pipeline:\n    train: {}\n",
        "overrides",
    ),
    (
        "override-unknown-job",
        GOOD + "overrides:\n  ml-pipeline:\n    nope:\n      timeout-minutes: 5\n",
        "no job 'nope'",
    ),
    (
        "override-unknown-step",
        GOOD + "overrides:\n  ml-pipeline:\n    train:\n      steps:\n        nope: null\n",
        "no step 'nope'",
    ),
    # ------------------------------------------------------------------ could only fail at run time
    (
        "kubernetes-router-no-image",
        GOOD + "deploy:\n  production:\n    strategy: canary\n    canary:\n"
        "      router: {type: kubernetes, deployment: churn}\n",
        "deploy.production.canary.router: the kubernetes router deploys the serving image",
    ),
    (
        "kubernetes-router-no-image-blue-green",
        GOOD + "image:\n  enabled: false\ndeploy:\n  production:\n    strategy: blue-green\n"
        "    blue_green:\n      router: {type: kubernetes, deployment: churn}\n",
        "set image.enabled: true, or use a command router",
    ),
    (
        "rollout-judges-nothing",
        GOOD + "deploy:\n  production:\n    strategy: canary\n    canary:\n      checks:\n"
        "        error_rate: {enabled: false}\n        latency: {enabled: false}\n",
        "deploy.production.canary.checks: every check is disabled",
    ),
    (
        "decay-prometheus-no-query",
        GOOD + "trigger:\n  decay: {enabled: true, metric: acc, min: 0.8, "
        "prometheus: 'http://prometheus:9090'}\n",
        "trigger.decay: prometheus needs query",
    ),
    (
        "decay-query-no-prometheus",
        GOOD + "trigger:\n  decay: {enabled: true, metric: acc, max: 2, query: up}\n",
        "trigger.decay: query needs prometheus",
    ),
    (
        "decay-no-source",
        GOOD + "trigger:\n  decay: {enabled: true, metric: acc, min: 0.8}\n",
        "trigger.decay: enabled needs source",
    ),
    (
        "decay-no-metric",
        GOOD + "trigger:\n  decay: {enabled: true, source: m.json, min: 0.8}\n",
        "trigger.decay: enabled needs metric",
    ),
    (
        "decay-no-bounds",
        GOOD + "trigger:\n  decay: {enabled: true, metric: acc, source: m.json}\n",
        "trigger.decay: enabled needs min or max",
    ),
    (
        "drift-no-current",
        GOOD + "trigger:\n  drift: {enabled: true, reference: 'git:production'}\n",
        "trigger.drift: enabled needs current",
    ),
    (
        "drift-no-reference",
        GOOD + "trigger:\n  drift: {enabled: true, current: data/live.csv}\n",
        "trigger.drift: enabled needs reference",
    ),
    (
        "copy-to-stage-models-git",
        GOOD + "registry:\n  copy_to_stage_models: true\n",
        "registry.copy_to_stage_models: copying each promotion into the MLflow",
    ),
    (
        "canary-percentage-removed",
        GOOD + "deploy:\n  production:\n    canary: {percentage: 10}\n",
        "deploy.production.canary: percentage was removed: set deploy.production.canary.steps",
    ),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every kind run through the CLI's entry point in this process, in one repository."""
    repo = tmp_path_factory.mktemp("invalid") / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for key, value in [("user.name", "mlci tests"), ("user.email", "t@mlci.invalid")]:
        subprocess.run(["git", "-C", str(repo), "config", key, value], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "commit.gpgsign", "false"], check=True)
    make_ml_repo(repo)
    [generated], _ = run_on_config(repo, GOOD, ("generate",))
    assert generated.returncode == 0, generated.stderr
    results: dict[str, Any] = {}
    for kind, text, _ in INVALID:
        runs, untouched = run_on_config(repo, None if text == DIRECTORY else text)
        results[kind] = {
            "runs": [(proc.args[1], proc.returncode, proc.stderr) for proc in runs],
            "same": untouched,
        }
    return results


def test_there_are_at_least_a_hundred_kinds() -> None:
    kinds = [kind for kind, _, _ in INVALID]
    assert len(set(kinds)) == len(kinds) >= 100


@pytest.mark.parametrize(
    ("kind", "expected"), [(k, e) for k, _, e in INVALID], ids=[k for k, _, _ in INVALID]
)
def test_invalid_config_is_exit_2_one_short_line_and_touches_nothing(
    outcomes: dict[str, Any], kind: str, expected: str
) -> None:
    result = outcomes[kind]
    for command, code, stderr in result["runs"]:
        lines = stderr.strip().splitlines()
        assert code == 2, f"{command}: exit {code}: {stderr[:2000]}"
        assert len(lines) == 1, f"{command}: {stderr[:2000]}"
        assert lines[0].startswith("mlci: error: mlci.yaml"), lines[0]
        assert expected in lines[0], lines[0]
        assert len(lines[0]) <= MAX_LINE, lines[0][:500]
    assert result["same"], f"{kind}: files changed"


def test_the_config_path_being_a_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "mlci.yaml").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "mlci", "generate"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "mlci: error: mlci.yaml: is a directory, not a config file"
    ]
