"""The git registry (GTO-compatible tags) through real ``mlci`` subprocesses in real repos.

Pushes go to a real bare remote; the lost race is staged with a real pre-push
hook that lets another clone push the same tag first.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import RunMlci, clean_env, git

from mlci.errors import UsageError
from mlci.registry.base import typo_of
from mlci.registry.git import GitRegistry
from mlci.registry.gto import TAG_RE, parse_payload


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def tags(repo: Path) -> list[str]:
    return sorted(git(repo, "tag").split())


def commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def register(mlci: RunMlci, repo: Path, metrics: dict[str, Any], *args: str) -> str:
    write(repo / "metrics.json", metrics)
    proc = mlci("register-model", "--model", "churn", "--metrics", "metrics.json", *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split()[2]


def promote(mlci: RunMlci, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return mlci("promote-model", "--model", "churn", *args, cwd=repo)


def two_versions_in_production(mlci: RunMlci, repo: Path) -> None:
    """v0.0.1 then v0.0.2, each registered, assigned to staging, promoted to production."""
    for n, accuracy in ((1, 0.80), (2, 0.85)):
        commit(repo, f"train {n}")
        version = register(mlci, repo, {"accuracy": accuracy})
        assert version == f"v0.0.{n}"
        assert (
            promote(mlci, repo, "--model-version", version, "--to-stage", "staging").returncode == 0
        )
        proc = promote(
            mlci,
            repo,
            "--model-version",
            version,
            "--from-stage",
            "staging",
            "--to-stage",
            "production",
        )
        assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- register


def test_register_creates_an_annotated_gto_tag_with_metrics(git_repo: Path, mlci: RunMlci) -> None:
    head = git(git_repo, "rev-parse", "HEAD").strip()
    write(git_repo / "report.json", {"passed": True, "rows": []})
    write(git_repo / "metrics.json", {"accuracy": 0.91, "eval": {"rmse": 0.2}})
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--report",
        "report.json",
        cwd=git_repo,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        proc.stdout.splitlines()[0] == f"registered churn v0.0.1 at {head[:12]}, validation passed"
    )
    assert tags(git_repo) == ["churn@v0.0.1"]
    assert git(git_repo, "cat-file", "-t", "churn@v0.0.1").strip() == "tag"  # annotated
    assert git(git_repo, "rev-parse", "churn@v0.0.1^{commit}").strip() == head
    message = git(git_repo, "tag", "-l", "--format=%(contents)", "churn@v0.0.1")
    payload = parse_payload(message)
    assert payload["metrics"] == {"accuracy": 0.91, "eval.rmse": 0.2}
    assert payload["commit"] == head
    assert payload["validation"] == "passed"
    # The tag mlci wrote reads back through GTO's grammar as this model's version.
    [written] = tags(git_repo)
    match = TAG_RE.match(written)
    assert match is not None
    assert (match["artifact"], match["version"], match["stage"]) == ("churn", "v0.0.1", None)


def test_register_bumps_the_greatest_version_and_accepts_an_explicit_one(
    git_repo: Path, mlci: RunMlci
) -> None:
    assert register(mlci, git_repo, {"accuracy": 0.8}) == "v0.0.1"
    commit(git_repo, "b")
    assert register(mlci, git_repo, {"accuracy": 0.8}, "--model-version", "1.2.0") == "v1.2.0"
    commit(git_repo, "c")
    assert register(mlci, git_repo, {"accuracy": 0.8}) == "v1.2.1"
    commit(git_repo, "d")
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--model-version",
        "v1.2.0",
        cwd=git_repo,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr == "mlci: error: churn@v1.2.0 is already registered; pick another --version\n"
    )
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--model-version",
        "latest",
        cwd=git_repo,
    )
    assert proc.returncode == 2
    assert "is not a semantic version" in proc.stderr
    assert tags(git_repo) == ["churn@v0.0.1", "churn@v1.2.0", "churn@v1.2.1"]


def test_register_twice_on_one_commit(git_repo: Path, mlci: RunMlci) -> None:
    """GTO reads an assignment's version from its commit: one version per commit."""
    assert register(mlci, git_repo, {"accuracy": 0.8}) == "v0.0.1"
    # A rerun of the same job (same commit, same metrics) is a no-op.
    assert register(mlci, git_repo, {"accuracy": 0.8}) == "v0.0.1"
    # A retrain of the same commit (a scheduled run, a non-deterministic training) keeps the
    # commit's version and its recorded metrics, and says so: nothing new is registered.
    write(git_repo / "metrics.json", {"accuracy": 0.9})
    proc = mlci("register-model", "--model", "churn", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("kept churn v0.0.1 at ")
    assert "one version per commit" in proc.stderr
    assert "metrics: accuracy=0.8" in proc.stdout
    assert tags(git_repo) == ["churn@v0.0.1"]
    # Asking for a different version of an already registered commit is refused.
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--model-version",
        "v2.0.0",
        cwd=git_repo,
    )
    assert proc.returncode == 1
    assert "already holds churn@v0.0.1" in proc.stderr
    assert tags(git_repo) == ["churn@v0.0.1"]


def test_register_refuses_a_failed_report(git_repo: Path, mlci: RunMlci) -> None:
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    write(git_repo / "report.json", {"passed": False})
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--report",
        "report.json",
        cwd=git_repo,
    )
    assert proc.returncode == 1
    assert "the validation report says the model failed" in proc.stderr
    assert tags(git_repo) == []


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ('{"passed": "yes"}', 'with a boolean "passed" key'),
        ("[1, 2]", 'with a boolean "passed" key'),
        ("{not json", "report.json:1: malformed validation report"),
        (None, "report.json: no such validation report"),
    ],
)
def test_register_bad_report_exit_2(
    git_repo: Path, mlci: RunMlci, report: str | None, message: str
) -> None:
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    if report is not None:
        write(git_repo / "report.json", report)
    proc = mlci(
        "register-model",
        "--model",
        "churn",
        "--metrics",
        "metrics.json",
        "--report",
        "report.json",
        cwd=git_repo,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert tags(git_repo) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "Churn_Model"), "model name 'Churn_Model' is not valid"),
        (("--model", "churn", "--source", "no-such-ref"), "--source 'no-such-ref' is not a commit"),
        (("--model", "churn", "--metrics", "missing.json"), "missing.json: no such metrics file"),
    ],
)
def test_register_bad_input_exit_2(
    git_repo: Path, mlci: RunMlci, args: tuple[str, ...], message: str
) -> None:
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    base = () if "--metrics" in args else ("--metrics", "metrics.json")
    proc = mlci("register-model", *base, *args, cwd=git_repo)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tags(git_repo) == []


def test_register_outside_a_git_repository_exit_2(tmp_path: Path, mlci: RunMlci) -> None:
    write(tmp_path / "metrics.json", {"accuracy": 0.5})
    proc = mlci("register-model", "--model", "churn", "--metrics", "metrics.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "is not a git repository" in proc.stderr


def test_model_defaults_to_the_config(git_repo: Path, mlci: RunMlci) -> None:
    write(
        git_repo / "mlci.yaml",
        "train:\n  command: python train.py\nregistry:\n  model: churn-model\n"
        "  stages:\n    production: prod\n",
    )
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    proc = mlci("register-model", "--metrics", "metrics.json", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    # `production` maps to registry.stages.production of mlci.yaml.
    proc = mlci(
        "promote-model", "--model-version", "v0.0.1", "--to-stage", "production", cwd=git_repo
    )
    assert proc.returncode == 0, proc.stderr
    assert tags(git_repo) == ["churn-model#prod#1", "churn-model@v0.0.1"]
    # Empty options (as the actions pass them) mean the default.
    proc = mlci("models", "--model", "", "--config", "", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "v0.0.1 [prod]" in proc.stdout


# --------------------------------------------------------------------------- promote


def test_promote_assign_then_promote_then_noop(git_repo: Path, mlci: RunMlci) -> None:
    register(mlci, git_repo, {"accuracy": 0.8})
    proc = promote(mlci, git_repo, "--model-version", "v0.0.1", "--to-stage", "staging")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "promoted churn v0.0.1: staging (the stage was empty)\n"
    proc = promote(
        mlci,
        git_repo,
        "--model-version",
        "0.0.1",
        "--from-stage",
        "staging",
        "--to-stage",
        "production",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "promoted churn v0.0.1: staging → production (the stage was empty)\n"
    before = tags(git_repo)
    assert before == ["churn#production#2", "churn#staging#1", "churn@v0.0.1"]
    proc = promote(
        mlci,
        git_repo,
        "--model-version",
        "v0.0.1",
        "--from-stage",
        "staging",
        "--to-stage",
        "production",
    )
    assert proc.returncode == 0
    assert proc.stdout == "churn v0.0.1 already holds production; nothing to do\n"
    assert tags(git_repo) == before


def test_promote_refuses_a_version_not_in_from_stage(git_repo: Path, mlci: RunMlci) -> None:
    two_versions_in_production(mlci, git_repo)
    commit(git_repo, "three")
    register(mlci, git_repo, {"accuracy": 0.9})
    before = tags(git_repo)
    proc = promote(
        mlci,
        git_repo,
        "--model-version",
        "v0.0.3",
        "--from-stage",
        "staging",
        "--to-stage",
        "production",
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        "mlci: churn v0.0.3 is not in staging (staging holds v0.0.2); promote what staging holds, "
        "or drop --from-stage to assign directly\n"
    )
    assert tags(git_repo) == before


def test_promote_refuses_a_recorded_failed_verdict(git_repo: Path, mlci: RunMlci) -> None:
    """A version whose annotation records a failed validation (e.g. tagged by hand) never moves."""
    head = git(git_repo, "rev-parse", "HEAD").strip()
    payload = {
        "mlci": 1,
        "action": "register",
        "metrics": {"accuracy": 0.4},
        "validation": "failed",
    }
    git(git_repo, "tag", "-a", "churn@v0.1.0", "-m", f"Registering\n\n{json.dumps(payload)}", head)
    proc = promote(mlci, git_repo, "--model-version", "v0.1.0", "--to-stage", "staging")
    assert proc.returncode == 1
    assert "its recorded validation verdict is failed" in proc.stderr
    assert tags(git_repo) == ["churn@v0.1.0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--model-version", "v9.9.9", "--to-stage", "production"),
            "churn@v9.9.9 is not registered",
        ),
        (("--model-version", "v0.0.1", "--to-stage", "Prod!"), "stage 'Prod!' is not valid"),
        (
            ("--model-version", "v0.0.1", "--from-stage", "staging", "--to-stage", "staging"),
            "--from-stage and --to-stage are both 'staging'",
        ),
        (("--to-stage", "production"), "Missing option '--model-version'"),
    ],
)
def test_promote_bad_input_exit_2(
    git_repo: Path, mlci: RunMlci, args: tuple[str, ...], message: str
) -> None:
    register(mlci, git_repo, {"accuracy": 0.8})
    proc = promote(mlci, git_repo, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tags(git_repo) == ["churn@v0.0.1"]


def test_a_misspelt_stage_is_exit_2_with_did_you_mean_and_writes_nothing(
    git_repo: Path, mlci: RunMlci
) -> None:
    """A user trial's `--to-stage prodution` created the stage `prodution` (exit 0)."""
    register(mlci, git_repo, {"accuracy": 0.8})
    proc = promote(mlci, git_repo, "--model-version", "v0.0.1", "--to-stage", "prodution")
    assert proc.returncode == 2
    assert (
        proc.stderr == "mlci: error: churn has no stage 'prodution'; did you mean 'production'?\n"
    )
    assert proc.stdout == ""
    assert tags(git_repo) == ["churn@v0.0.1"]
    # A stage far from every known one is a new stage; from then on it is known, so its
    # typos are refused as well.
    proc = promote(mlci, git_repo, "--model-version", "v0.0.1", "--to-stage", "canary")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "promoted churn v0.0.1: canary (the stage was empty)\n"
    before = tags(git_repo)
    for args, hint in [
        (("--to-stage", "canery"), "'canary'"),
        (("--from-stage", "stagin", "--to-stage", "production"), "'staging'"),
        (("--from-stage", "canary", "--to-stage", "prodution"), "'production'"),
    ]:
        proc = promote(mlci, git_repo, "--model-version", "v0.0.1", *args)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.endswith(f"; did you mean {hint}?\n")
        assert len(proc.stderr.splitlines()) == 1
    # A --from-stage no version ever held cannot hold the version: bad input, not a refusal.
    proc = promote(
        mlci, git_repo, "--model-version", "v0.0.1", "--from-stage", "nosuch", "--to-stage",
        "production",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "churn has no stage 'nosuch': no version ever held it" in proc.stderr
    assert tags(git_repo) == before
    # fetch-model --stage and the API say the same, not "no version holds".
    proc = mlci(
        "fetch-model", "--model", "churn", "--stage", "canery", "--dest", "out", cwd=git_repo
    )
    assert proc.returncode == 2
    assert proc.stderr == "mlci: error: churn has no stage 'canery'; did you mean 'canary'?\n"
    # A gate whose baseline stage is misspelt fails closed instead of "no baseline yet".
    proc = mlci(
        "validate-model", "--metrics", "metrics.json", "--baseline", "registry:prodution",
        cwd=git_repo,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "baseline registry:prodution: " in proc.stderr
    assert "has no stage 'prodution'; did you mean 'production'?" in proc.stderr
    with pytest.raises(UsageError, match="did you mean 'production'"):
        GitRegistry(root=git_repo).resolve("churn", "prodution")
    assert GitRegistry(root=git_repo).resolve("churn", "nosuch") is None


def test_the_stages_of_mlci_yaml_are_known_before_any_version_holds_them(
    git_repo: Path, mlci: RunMlci
) -> None:
    write(
        git_repo / "mlci.yaml",
        "train:\n  command: python train.py\nregistry:\n  model: churn\n"
        "  stages:\n    production: production-eu\n",
    )
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    assert mlci("register-model", "--metrics", "metrics.json", cwd=git_repo).returncode == 0
    proc = mlci(
        "promote-model", "--model-version", "v0.0.1", "--to-stage", "prodution-eu", cwd=git_repo
    )
    assert proc.returncode == 2
    assert proc.stderr.endswith("did you mean 'production-eu'?\n")
    assert tags(git_repo) == ["churn@v0.0.1"]


@pytest.mark.parametrize(
    ("stage", "known", "typo"),
    [
        ("prodution", ["production", "staging"], "production"),
        ("stagign", ["production", "staging"], "staging"),
        ("team/prodcution", ["team/production"], "team/production"),
        # New stages, not typos: another part, a short part changed, only digits changed.
        ("production-eu", ["production", "staging"], None),
        ("prod-eu", ["prod-us", "production"], None),
        ("staging2", ["production", "staging"], None),
        ("shadow", ["production", "staging"], None),
    ],
)
def test_what_counts_as_a_typo_of_a_known_stage(
    stage: str, known: list[str], typo: str | None
) -> None:
    assert typo_of(stage, known) == typo


def test_from_stage_is_checked_before_the_noop(git_repo: Path, mlci: RunMlci) -> None:
    """The version already in production, a misspelt --from-stage was "nothing to do" (exit 0).
    A valid --from-stage keeps the no-op even when the version has left it since: re-running
    the job that promoted it must not fail."""
    two_versions_in_production(mlci, git_repo)
    before = tags(git_repo)
    args = ("--model-version", "v0.0.2", "--to-stage", "production", "--from-stage")
    proc = promote(mlci, git_repo, *args, "stagin")
    assert proc.returncode == 2
    assert proc.stderr == "mlci: error: churn has no stage 'stagin'; did you mean 'staging'?\n"
    commit(git_repo, "three")
    register(mlci, git_repo, {"accuracy": 0.9})
    assert (
        promote(mlci, git_repo, "--model-version", "v0.0.3", "--to-stage", "staging").returncode
        == 0
    )
    before = tags(git_repo)
    proc = promote(mlci, git_repo, *args, "staging")  # v0.0.2 is no longer in staging
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "churn v0.0.2 already holds production; nothing to do\n"
    assert tags(git_repo) == before


# --------------------------------------------------------------------------- rollback, history


def test_rollback_after_two_promotions_restores_the_previous_version(
    git_repo: Path, mlci: RunMlci
) -> None:
    two_versions_in_production(mlci, git_repo)
    before = set(tags(git_repo))
    proc = mlci("rollback-model", "--model", "churn", "--stage", "production", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "rolled back churn production: v0.0.2 → v0.0.1\n"
    after = set(tags(git_repo))
    assert before < after  # append-only: one new tag, none removed
    (new,) = after - before
    assert new == "churn#production#5"
    assert git(git_repo, "rev-parse", f"{new}^{{commit}}") == git(
        git_repo, "rev-parse", "churn@v0.0.1^{commit}"
    )
    registry = GitRegistry(root=git_repo)
    resolved = registry.resolve("churn", "production")
    assert resolved is not None
    assert (resolved.version, dict(resolved.metrics)) == ("v0.0.1", {"accuracy": 0.8})
    assert [(e.action, e.version, e.previous) for e in registry.history("churn", "production")] == [
        ("promote", "v0.0.1", None),
        ("promote", "v0.0.2", "v0.0.1"),
        ("rollback", "v0.0.1", "v0.0.2"),
    ]
    # Nothing earlier than v0.0.1: a second rollback is refused and changes nothing.
    proc = mlci("rollback-model", "--model", "churn", "--stage", "production", cwd=git_repo)
    assert proc.returncode == 1
    assert "there is nothing to roll back to" in proc.stderr
    assert set(tags(git_repo)) == after


def test_rollback_walks_back_one_step_at_a_time(git_repo: Path, mlci: RunMlci) -> None:
    two_versions_in_production(mlci, git_repo)
    commit(git_repo, "three")
    register(mlci, git_repo, {"accuracy": 0.9})
    assert (
        promote(mlci, git_repo, "--model-version", "v0.0.3", "--to-stage", "production").returncode
        == 0
    )
    registry = GitRegistry(root=git_repo)
    assert registry.rollback("churn", "production").version == "v0.0.2"
    assert registry.rollback("churn", "production").version == "v0.0.1"
    resolved = registry.resolve("churn", "production")
    assert resolved is not None and resolved.version == "v0.0.1"


def test_rollback_of_an_empty_stage_exit_1_of_an_unknown_one_exit_2(
    git_repo: Path, mlci: RunMlci
) -> None:
    """A known stage (a role, registry.stages, or in the history) with nothing to go back to is
    a refusal (1); a stage no version ever held is bad input (2), with a "did you mean"."""
    register(mlci, git_repo, {"accuracy": 0.8})
    proc = mlci("rollback-model", "--model", "churn", "--stage", "production", cwd=git_repo)
    assert proc.returncode == 1
    assert (
        proc.stderr == "mlci: churn: no version holds production; there is nothing to roll back\n"
    )
    assert (
        promote(mlci, git_repo, "--model-version", "v0.0.1", "--to-stage", "canary").returncode == 0
    )
    before = tags(git_repo)
    for stage, code, message in [
        ("canary", 1, "mlci: churn: canary has held only v0.0.1 (no earlier version recorded)"),
        ("nosuch", 2, "mlci: error: churn has no stage 'nosuch': no version ever held it; "
         "known stages: canary, production, staging\n"),
        ("canery", 2, "mlci: error: churn has no stage 'canery'; did you mean 'canary'?\n"),
        ("productoin", 2, "did you mean 'production'?\n"),
    ]:  # fmt: skip
        proc = mlci("rollback-model", "--model", "churn", "--stage", stage, cwd=git_repo)
        assert (proc.returncode, len(proc.stderr.splitlines())) == (code, 1), proc.stderr
        assert proc.stderr.startswith(message) if code == 1 else proc.stderr.endswith(message)
    assert tags(git_repo) == before


def test_models_lists_versions_stages_and_history(git_repo: Path, mlci: RunMlci) -> None:
    two_versions_in_production(mlci, git_repo)
    proc = mlci("models", "--model", "churn", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == [
        "churn (git): 2 version(s)",
        "  v0.0.1  accuracy=0.8",
        "  v0.0.2 [staging, production]  accuracy=0.85",
    ]
    assert len([line for line in lines if " promote " in line]) == 2
    data = json.loads(mlci("models", "--model", "churn", "--json", cwd=git_repo).stdout)
    assert [v["version"] for v in data["versions"]] == ["v0.0.1", "v0.0.2"]
    assert [e["ref"] for e in data["history"]] == [
        "churn#staging#1",
        "churn#production#2",
        "churn#staging#3",
        "churn#production#4",
    ]


def test_tags_written_by_gto_are_read(git_repo: Path) -> None:
    """A registry GTO wrote (plain annotations, no mlci JSON) reads the same."""
    head = git(git_repo, "rev-parse", "HEAD").strip()
    git(git_repo, "tag", "-a", "nn@v1.0.0", "-m", "Registering artifact nn version v1.0.0", head)
    git(git_repo, "tag", "-a", "nn#prod#1", "-m", "Assigning stage prod", head)
    git(git_repo, "tag", "nn#dev#2", head)  # lightweight: GTO ignores it, so do we
    registry = GitRegistry(root=git_repo)
    resolved = registry.resolve("nn", "prod")
    assert resolved is not None and resolved.version == "v1.0.0"
    assert registry.resolve("nn", "dev") is None
    assert [(e.action, e.version) for e in registry.history("nn")] == [("assign", "v1.0.0")]


def test_gto_reads_the_registry_mlci_wrote(git_repo: Path, mlci: RunMlci) -> None:
    """Cross-check with GTO itself, when it is installed (MLCI_TEST_GTO=path of gto)."""
    gto = os.environ.get("MLCI_TEST_GTO") or shutil.which("gto")
    if not gto:
        pytest.skip("gto is not installed (set MLCI_TEST_GTO to its path)")
    two_versions_in_production(mlci, git_repo)
    assert (
        mlci("rollback-model", "--model", "churn", "--stage", "production", cwd=git_repo).returncode
        == 0
    )

    def gto_ref(name: str) -> str:
        proc = subprocess.run(
            [gto, "show", name, "--ref"],
            cwd=git_repo,
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert gto_ref("churn#production") == "churn@v0.0.1"
    assert gto_ref("churn#staging") == "churn@v0.0.2"
    assert gto_ref("churn@latest") == "churn@v0.0.2"


# --------------------------------------------------------------------------- push and races


def clone(tmp_path: Path, origin: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", str(origin), str(path))
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", f"{name}@mlci.invalid")
    git(path, "config", "tag.gpgsign", "false")
    return path


@pytest.fixture
def origin(git_repo: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(git_repo), str(bare))
    return bare


def remote_tags(origin: Path) -> list[str]:
    return sorted(git(origin, "tag").split())


def test_push_registers_and_promotes_on_the_remote(
    origin: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    a = clone(tmp_path, origin, "a")
    register(mlci, a, {"accuracy": 0.8}, "--push")
    assert (
        promote(
            mlci, a, "--model-version", "v0.0.1", "--to-stage", "production", "--push"
        ).returncode
        == 0
    )
    assert remote_tags(origin) == ["churn#production#1", "churn@v0.0.1"]
    # Another clone without the tags: --push fetches them first, so it sees production.
    b = clone(tmp_path, origin, "b")
    git(b, "tag", "-d", *tags(b))
    commit(b, "retrain")
    git(b, "push", "-q", "origin", "HEAD:main")
    assert register(mlci, b, {"accuracy": 0.9}, "--push") == "v0.0.2"
    proc = promote(mlci, b, "--model-version", "v0.0.2", "--to-stage", "production", "--push")
    assert proc.returncode == 0, proc.stderr
    assert "(previous: v0.0.1)" in proc.stdout
    assert remote_tags(origin) == [
        "churn#production#1",
        "churn#production#2",
        "churn@v0.0.1",
        "churn@v0.0.2",
    ]


def test_push_failure_exit_2_and_local_tag_rolled_back(git_repo: Path, mlci: RunMlci) -> None:
    register(mlci, git_repo, {"accuracy": 0.8})
    git(git_repo, "remote", "add", "origin", str(git_repo.parent / "gone.git"))
    proc = promote(mlci, git_repo, "--model-version", "v0.0.1", "--to-stage", "staging", "--push")
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: cannot fetch tags from origin")
    assert len(proc.stderr.splitlines()) == 1
    assert tags(git_repo) == ["churn@v0.0.1"]


def test_push_without_origin_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    write(git_repo / "metrics.json", {"accuracy": 0.5})
    proc = mlci(
        "register-model", "--model", "churn", "--metrics", "metrics.json", "--push", cwd=git_repo
    )
    assert proc.returncode == 2
    assert "--push needs a git remote named 'origin'" in proc.stderr
    assert tags(git_repo) == []


def test_a_lost_race_is_reported_and_rolled_back(
    origin: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    """Two promotions from the same state: the second push of churn#production#1 is rejected.

    Clone b's pre-push hook makes clone a push its promotion first — after b has
    fetched and created its tag, before b's push reaches the remote.
    """
    a = clone(tmp_path, origin, "a")
    commit(a, "v1")
    git(a, "push", "-q", "origin", "HEAD:main")
    register(mlci, a, {"accuracy": 0.8}, "--push")
    commit(a, "v2")
    git(a, "push", "-q", "origin", "HEAD:main")
    register(mlci, a, {"accuracy": 0.9}, "--push")
    b = clone(tmp_path, origin, "b")
    assert tags(b) == ["churn@v0.0.1", "churn@v0.0.2"]
    hook = b / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{a}' && {sys.executable} -m mlci promote-model --model churn "
        "--model-version v0.0.2 --to-stage production --push >/dev/null 2>&1 || exit 1\n"
        f"rm -f '{hook}'\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    proc = promote(mlci, b, "--model-version", "v0.0.1", "--to-stage", "production", "--push")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("mlci: lost a race: churn#production#1 already exists on origin")
    assert "churn#production#1" not in tags(b)  # the local tag was rolled back
    assert remote_tags(origin) == ["churn#production#1", "churn@v0.0.1", "churn@v0.0.2"]
    # The remote's stage is a's version, whole: nothing half-done.
    git(b, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    resolved = GitRegistry(root=b).resolve("churn", "production")
    assert resolved is not None and resolved.version == "v0.0.2"
    # Rerun on the new state: b's promotion now goes through, recording a's as previous.
    proc = promote(mlci, b, "--model-version", "v0.0.1", "--to-stage", "production", "--push")
    assert proc.returncode == 0, proc.stderr
    assert "(previous: v0.0.2)" in proc.stdout


def test_concurrent_promotions_leave_a_consistent_stage(
    origin: Path, tmp_path: Path, mlci: RunMlci
) -> None:
    """Real concurrency: whatever the interleaving, each exit code tells the truth."""
    a = clone(tmp_path, origin, "a")
    commit(a, "v1")
    git(a, "push", "-q", "origin", "HEAD:main")
    register(mlci, a, {"accuracy": 0.8}, "--push")
    commit(a, "v2")
    git(a, "push", "-q", "origin", "HEAD:main")
    register(mlci, a, {"accuracy": 0.9}, "--push")
    b = clone(tmp_path, origin, "b")
    env = clean_env()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlci",
                "promote-model",
                "--model",
                "churn",
                "--model-version",
                version,
                "--to-stage",
                "production",
                "--push",
            ],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for repo, version in ((a, "v0.0.1"), (b, "v0.0.2"))
    ]
    results = []
    for p in procs:
        _, err = p.communicate(timeout=60)
        results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 1]), results
    fresh = clone(tmp_path, origin, "fresh")
    registry = GitRegistry(root=fresh)
    events = registry.history("churn", "production")
    resolved = registry.resolve("churn", "production")
    assert resolved is not None and resolved.version == events[-1].version
    if codes == [0, 1]:
        assert len(events) == 1  # the loser left nothing behind
        assert any("lost a race" in err for _, err in results)
    else:
        assert len(events) == 2
        assert events[1].previous == events[0].version
