"""Config values reach the rendered workflows unchanged (issue 14): each defect has a test."""

from __future__ import annotations

import json
from typing import Any

from ruamel.yaml import YAML

from mlci import config, render


def load12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def pipeline(data: dict[str, Any]) -> dict[str, Any]:
    files = render.render(config.parse(json.dumps(data)))
    document: dict[str, Any] = load12(files[render.PIPELINE])
    load12(files[render.TRAINING])
    return document


def steps(document: dict[str, Any], job: str) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in document["jobs"][job]["steps"]}


AWKWARD_COMMAND = "  python train.py\n\tcat <<EOF\n\n\n\nEOF\necho a\\ \necho b"


def test_commands_keep_leading_spaces_tabs_blank_lines_and_trailing_spaces() -> None:
    document = pipeline({"train": {"command": AWKWARD_COMMAND}})
    assert steps(document, "train")["train"]["run"] == AWKWARD_COMMAND


def test_a_one_line_command_with_quotes_has_no_newline_added() -> None:
    command = 'pip install -e ".[train]"'
    document = pipeline({"train": {"command": "t"}, "install": {"command": command}})
    assert steps(document, "test")["install"]["run"] == command


def test_artifact_paths_and_secret_names_are_quoted_when_yaml_would_read_them_otherwise() -> None:
    data = {
        "train": {"command": "t", "artifacts": ["null", "yes", "a #b", "2024-02-30"]},
        "secrets": {"deploy": ["null", "on"], "train": ["yes"]},
        "deploy": {"staging": {"command": "./deploy.sh"}},
    }
    document = pipeline(data)
    upload = steps(document, "train")["upload"]
    assert upload["with"]["path"] == "null\nyes\na #b\n2024-02-30\n"
    assert set(document["on"]["workflow_call"]["secrets"]) == {"null", "on", "yes"}
    env = steps(document, "deploy-staging")["deploy"]["env"]
    assert env["null"] == "${{ secrets.null }}" and env["on"] == "${{ secrets.on }}"
    assert steps(document, "train")["train"]["env"]["yes"] == "${{ secrets.yes }}"


def test_date_like_branches_with_overrides_render() -> None:
    data = {
        "branches": ["main", "2024-02-30"],
        "train": {"command": "t"},
        "overrides": {"ml-pipeline": {"train": {"timeout-minutes": 10}}},
    }
    document = pipeline(data)
    assert document["on"]["push"]["branches"] == ["main", "2024-02-30"]
    assert document["jobs"]["train"]["timeout-minutes"] == 10


def test_override_values_are_not_changed() -> None:
    data = {
        "train": {"command": "t"},
        "overrides": {
            "ml-pipeline": {"train": {"steps": {"train": {"env": {"A": "yes", "B": "two\nlines"}}}}}
        },
    }
    env = steps(pipeline(data), "train")["train"]["env"]
    assert env["A"] == "yes" and env["B"] == "two\nlines"


# --------------------------------------------------------------------------- step 2: the model


def test_custom_labels_are_those_actionlint_does_not_know_not_a_prefix() -> None:
    data = {"train": {"command": "t", "runs_on": ["ubuntu-gpu"]}}
    files = render.render(config.parse(json.dumps(data)))
    assert load12(files[render.ACTIONLINT])["self-hosted-runner"]["labels"] == ["ubuntu-gpu"]
    data = {"train": {"command": "t", "runs_on": ["self-hosted", "Linux", "ubuntu-latest"]}}
    assert render.ACTIONLINT not in render.render(config.parse(json.dumps(data)))
    data = {
        "train": {"command": "t"},
        "overrides": {
            "ml-pipeline": {"test": {"runs-on": {"group": "g", "labels": ["macos-gpu"]}}}
        },
    }
    files = render.render(config.parse(json.dumps(data)))
    assert load12(files[render.ACTIONLINT])["self-hosted-runner"]["labels"] == ["macos-gpu"]


def test_a_test_command_with_a_trailing_newline_keeps_the_path_on_its_line() -> None:
    document = pipeline({"train": {"command": "t"}, "tests": {"command": "python -m pytest\n"}})
    assert steps(document, "test")["unit-tests"]["run"] == "python -m pytest tests/unit"


def test_git_branch_grammar_is_accepted_as_git_accepts_it() -> None:
    branches = ["main", "feature/ü-x", "release/*", "a#b", "v1.2", "user@host"]
    document = pipeline({"train": {"command": "t"}, "branches": branches})
    assert document["on"]["push"]["branches"] == branches
    assert "'refs/heads/main'" in document["jobs"]["deploy-production"]["if"]


def test_secret_names_in_different_lists_may_repeat_exactly() -> None:
    data = {"train": {"command": "t"}, "secrets": {"train": ["TOKEN"], "deploy": ["TOKEN"]}}
    document = pipeline(data)
    assert list(document["on"]["workflow_call"]["secrets"]) == ["TOKEN"]


def test_every_five_minutes_is_the_shortest_schedule() -> None:
    document = pipeline({"train": {"command": "t"}, "schedule": {"pipeline": "*/5 * * * *"}})
    assert document["on"]["schedule"] == [{"cron": "*/5 * * * *"}]


def test_a_command_starting_with_a_tab_parses_with_libyaml_also_after_overrides() -> None:
    import yaml

    data = {
        "train": {"command": "\tpython train.py\n\tdone\n"},
        "overrides": {"ml-pipeline": {"train": {"steps": {"x": {"after": "train", "run": "\tq"}}}}},
    }
    text = render.render(config.parse(json.dumps(data)))[render.PIPELINE]
    train = {s["id"]: s for s in yaml.load(text, Loader=yaml.CSafeLoader)["jobs"]["train"]["steps"]}
    assert train["train"]["run"] == "\tpython train.py\n\tdone\n"
    assert train["x"]["run"] == "\tq"


# --------------------------------------------------------------------------- reviewed on a runner


def test_a_rollout_runs_after_the_project_is_installed() -> None:
    """blue_green.verify and command routers run the project's own commands (config.md's
    example: python -m pytest tests/integration): the project is set up and installed
    after the model files are verified, before the rollout action."""
    for strategy, section in (("blue-green", "blue_green"), ("canary", "canary")):
        data = {
            "install": {"requirements": ["requirements.txt"]},
            "train": {"command": "t", "artifacts": ["models/"]},
            "deploy": {
                "production": {
                    "strategy": strategy,
                    section: {"verify": "python -m pytest tests/integration"}
                    if section == "blue_green"
                    else {"steps": [50]},
                }
            },
        }
        production = steps(pipeline(data), "deploy-production")
        ids = list(production)
        assert ids.index("model") < ids.index("setup-python") < ids.index("install"), strategy
        assert ids.index("install") == ids.index("rollout") - 1, strategy
        assert production["install"]["run"] == "python -m pip install -r requirements.txt"
        assert production["setup-python"]["with"]["python-version"] == "3.11"


def test_one_concurrency_group_per_ref_whoever_calls_and_one_per_production() -> None:
    """In the call from continuous-training.yml, github.workflow names the caller: a group
    built from it let a push run and a retrain run of one ref register and deploy at once.
    Production changes (deploy-production, rollback.yml) share one job-level group."""
    data = {"train": {"command": "t", "artifacts": ["models/"]}, "registry": {"model": "churn"}}
    files = render.render(config.parse(json.dumps(data)))
    pipeline, training = load12(files[render.PIPELINE]), load12(files[render.TRAINING])
    group = pipeline["concurrency"]["group"]
    assert "github.workflow" not in group and "${{ github.ref }}" in group
    assert pipeline["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )
    # the caller's own group must differ, or GitHub cancels the call as a deadlock
    assert training["concurrency"]["group"] != group
    assert training["concurrency"]["cancel-in-progress"] is False
    production = {"group": "mlci-production-churn", "cancel-in-progress": False}
    assert pipeline["jobs"]["deploy-production"]["concurrency"] == production
    assert load12(files[render.ROLLBACK])["jobs"]["rollback"]["concurrency"] == production


def test_packages_write_only_where_github_token_pushes_the_image() -> None:
    """GITHUB_TOKEN logs in (and needs packages: write) only for ghcr.io without login
    secrets; another registry, or ghcr.io with a token of its own, needs no package grant."""
    login = {"username_secret": "REGISTRY_USER", "password_secret": "REGISTRY_TOKEN"}
    cases = [
        ({}, True),
        ({"name": "ghcr.io/acme/churn"}, True),
        ({"name": "ghcr.io/acme/churn", **login}, False),
        ({"name": "docker.io/acme/churn", **login}, False),
        ({"name": "registry.example.com:5000/ml/churn", **login}, False),
    ]
    for image, granted in cases:
        for build, job in (("before-training", "build-image"), ("after-training", "train")):
            data = {
                "train": {"command": "t", "artifacts": ["models/"]},
                "image": {"enabled": True, "build": build, **image},
            }
            files = render.render(config.parse(json.dumps(data)))
            jobs = load12(files[render.PIPELINE])["jobs"]
            assert ("packages" in jobs[job]["permissions"]) == granted, (image, build)
            assert not any("packages" in j["permissions"] for i, j in jobs.items() if i != job), (
                image,
                build,
            )
            login_step = {s["id"]: s for s in jobs[job]["steps"]}["login"]
            assert (login_step["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}") == granted
            call = load12(files[render.TRAINING])["jobs"]["train"]["permissions"]
            assert ("packages" in call) == granted, (image, build)


def test_the_prometheus_token_reaches_no_step_while_decay_reads_a_source() -> None:
    """trigger.decay reads `source` first; its Prometheus token would reach the trigger step
    unused (config notes the setting is ignored; the secret must not travel either)."""
    for source, expected in ((None, True), ("m.json", False)):
        decay = {
            "enabled": True, "metric": "acc", "min": 0.8, "prometheus": "http://prometheus:9090",
            "query": "up", "token_secret": "PROM_TOKEN", **({"source": source} if source else {}),
        }  # fmt: skip
        data = {"version": 1, "train": {"command": "python train.py"}, "trigger": {"decay": decay}}
        files = render.render(config.parse(json.dumps(data)))
        assert ("secrets.PROM_TOKEN" in files[render.TRAINING]) is expected, source
