"""retrain-trigger's drift, decay and cooldown signals: real git repositories, versions
registered by real ``mlci register-model`` runs, real ``mlci`` subprocesses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import RunMlci, git
from test_retrain_trigger import BASE, actions_env, commit, decide, register

ROWS = 400


def table(seed: int, shift: float = 0.0, new_category: bool = False) -> str:
    """A CSV of ``ROWS`` rows: an id, two numeric columns and a category (fixed seed)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40 + shift * 10, 10, ROWS)
    income = rng.normal(50, 5, ROWS)
    plans = np.array(["basic", "plus", "pro", "enterprise"], dtype=object)
    plan = plans[rng.integers(0, 4 if new_category else 3, ROWS)]
    lines = ["id,age,income,plan"]
    lines += [
        f"{i},{a:.3f},{b:.3f},{p}"
        for i, (a, b, p) in enumerate(zip(age, income, plan, strict=True))
    ]
    return "\n".join(lines) + "\n"


DRIFT = BASE + (
    "trigger:\n"
    "  new_data:\n"
    "    enabled: false\n"
    "  drift:\n"
    "    enabled: true\n"
    "    reference: data/reference.csv\n"
    "    current: data/current.csv\n"
    "    ignore: [id]\n"
)


@pytest.fixture
def repo(git_repo: Path) -> Path:
    commit(git_repo, {"mlci.yaml": BASE, "train.py": "print('train')\n"}, "ml project")
    return git_repo


def test_drifted_data_retrains_and_reports_every_column(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    commit(
        repo,
        {
            "mlci.yaml": DRIFT,
            "data/reference.csv": table(1),
            "data/current.csv": table(2, shift=1.0, new_category=True),
        },
        "data",
    )
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, "--report-json", str(tmp_path / "report.json"))
    assert proc.returncode == 0, proc.stderr
    reason = "data drift: 2 of 3 columns drifted (age, plan), 67% against a threshold of 50%"
    assert proc.stdout.startswith(f"should_train: true\nreason: {reason}\nchecks:\n")
    assert "  DRIFT plan: chisquare" in proc.stdout and "new: enterprise" in proc.stdout
    assert "  ok    income: ks" in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["should_train"] is True and report["trigger"] == "drift"
    assert report["checks"] == [{"trigger": "drift", "fired": True, "reason": reason}]
    assert report["drift"]["drifted_columns"] == ["age", "plan"]
    assert report["drift"]["ignored"] == ["id"]
    assert [f["feature"] for f in report["drift"]["features"]] == ["age", "income", "plan"]


def test_unchanged_data_does_not_retrain(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    commit(
        repo,
        {"mlci.yaml": DRIFT, "data/reference.csv": table(1), "data/current.csv": table(2)},
        "data",
    )
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "should_train: false\nreason: no data drift: 0 of 3 columns drifted, 0% against a "
        "threshold of 50%\n"
    )


def test_reference_from_the_production_versions_commit(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    """git:production: the training data as committed when production was trained; the
    same path now holds new data."""
    config = DRIFT.replace("data/reference.csv", "git:production").replace(
        "data/current.csv", "data/train.csv"
    )
    commit(repo, {"mlci.yaml": config, "data/train.csv": table(1)}, "data")
    proc = decide(mlci, repo)  # nothing registered: retrain, no drift check needed
    assert proc.stdout.startswith("should_train: true\nreason: no registered version")
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo)  # v0.0.1 registered, but no version holds production yet
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "should_train: true\nreason: no version of churn holds production, so there is no "
        "reference data to measure drift against (git:production); retraining"
    )
    promoted = mlci(
        "promote-model", "--model-version", "v0.0.1", "--to-stage", "production", cwd=repo
    )
    assert promoted.returncode == 0, promoted.stderr
    commit(repo, {"data/train.csv": table(3)}, "fresh data, same distribution")
    proc = decide(mlci, repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("should_train: false\nreason: no data drift")
    commit(repo, {"data/train.csv": table(4, shift=1.0, new_category=True)}, "drifted data")
    proc = decide(mlci, repo, "--report-json", str(tmp_path / "r.json"))
    assert proc.stdout.startswith("should_train: true\nreason: data drift: 2 of 3 columns")
    report = json.loads((tmp_path / "r.json").read_text())
    production = git(repo, "rev-list", "-n1", "HEAD~2").strip()[:12]
    assert report["drift"]["reference"] == f"data/train.csv@{production}"
    # git:latest names the newest version's commit, and a bare revision works too.
    for ref in ("git:latest", "git:HEAD~2:data/train.csv"):
        proc = decide(mlci, repo, "--reference", ref)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("should_train: true\nreason: data drift"), ref


def test_flags_override_the_config_and_enable_the_check(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    commit(
        repo,
        {"data/a.csv": table(1), "data/b.csv": table(5, shift=1.0, new_category=True)},
        "data",
    )
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, "--reference", "data/a.csv", "--current", "data/b.csv")
    assert proc.returncode == 0, proc.stderr
    # new_data (on by default) is quiet, drift fires: both are reported.
    assert "checks:\n  new_data: quiet: no change under data/" in proc.stdout
    assert "\n  drift: fired: data drift: 2 of 4 columns drifted (age, plan)" in proc.stdout


# --------------------------------------------------------------------------- decay

DECAY = BASE + (
    "trigger:\n"
    "  new_data:\n"
    "    enabled: false\n"
    "  decay:\n"
    "    enabled: true\n"
    "    metric: accuracy\n"
    "    source: monitoring/metrics.json\n"
    "    min: 0.85\n"
)


@pytest.mark.parametrize(
    ("export", "name", "should", "reason"),
    [
        ('{"accuracy": 0.91}', "metrics.json", "false", "accuracy is 0.91 (≥ 0.85)"),
        (
            '[{"accuracy": 0.95}, {"accuracy": 0.8, "day": 2}]',
            "metrics.json",
            "true",
            "accuracy is 0.8, below trigger.decay.min 0.85",
        ),
        (
            '{"model": {"accuracy": "NaN"}, "accuracy": null}',
            "metrics.json",
            "true",
            "accuracy is missing from {path} (or not a number), so decay cannot be ruled out; "
            "retraining, the safe answer when a trigger cannot tell",
        ),
        ("day,accuracy\n1,0.9\n2,0.84\n", "metrics.csv", "true", "accuracy is 0.84, below"),
        ("metric,value\naccuracy,0.9\nloss,3\n", "metrics.csv", "false", "accuracy is 0.9 (≥"),
        (
            None,
            "metrics.json",
            "true",
            "the monitoring export {path} does not exist, so accuracy cannot be checked; "
            "retraining",
        ),
    ],
    ids=["within", "below", "missing-metric", "csv-column", "csv-rows", "no-export"],
)
def test_decay_from_a_monitoring_export(
    mlci: RunMlci,
    repo: Path,
    tmp_path: Path,
    export: str | None,
    name: str,
    should: str,
    reason: str,
) -> None:
    commit(repo, {"mlci.yaml": DECAY}, "config")
    register(mlci, repo, tmp_path)
    path = f"monitoring/{name}"
    if export is not None:
        (repo / "monitoring").mkdir()
        (repo / path).write_text(export)
    proc = decide(mlci, repo, "--metrics", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"should_train: {should}\nreason: {reason.format(path=path)}")


def test_malformed_export_and_missing_bounds_exit_2(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    commit(repo, {"mlci.yaml": DECAY, "monitoring/metrics.json": "{oops"}, "config")
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: monitoring/metrics.json:1: malformed JSON")
    (repo / "monitoring" / "metrics.json").write_bytes(b'{"accuracy": "\xff\xfe"}')
    proc = decide(mlci, repo)
    assert proc.returncode == 2, "a binary export is bad input, not an unexpected error"
    assert proc.stderr == "mlci: error: monitoring/metrics.json: is not UTF-8 text\n"
    commit(repo, {"mlci.yaml": DECAY.replace("    min: 0.85\n", "")}, "no bounds")
    proc = decide(mlci, repo)
    assert proc.returncode == 2
    assert proc.stderr == (
        "mlci: error: trigger.decay: set min or max for accuracy (retrain when it falls below "
        "min or rises above max)\n"
    )


# --------------------------------------------------------------------------- all signals, cooldown


def test_every_signal_is_evaluated_and_cooldown_holds_a_retrain(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    config = DRIFT.replace("    enabled: false\n", "    enabled: true\n", 1) + (
        "  decay:\n"
        "    enabled: true\n"
        "    metric: accuracy\n"
        "    source: monitoring/metrics.json\n"
        "    min: 0.85\n"
        "  cooldown_hours: 24\n"
    )
    commit(
        repo,
        {
            "mlci.yaml": config,
            "data/reference.csv": table(1),
            "data/current.csv": table(1),
            "monitoring/metrics.json": '{"accuracy": 0.7}',
        },
        "all triggers",
    )
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, "--report-json", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "should_train: false\nreason: cooldown: churn v0.0.1 was registered "
    )
    assert "(fired: accuracy is 0.7, below trigger.decay.min 0.85)" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert [(c["trigger"], c["fired"]) for c in report["checks"]] == [
        ("new_data", False),
        ("drift", False),
        ("decay", True),
    ]
    assert report["cooldown"]["hours"] == 24 and report["trigger"] == "cooldown"
    proc = decide(mlci, repo, "--force")
    assert proc.stdout == "should_train: true\nreason: forced\n"


# --------------------------------------------------------------------------- bad input, Actions


@pytest.mark.parametrize(
    ("files", "extra", "message"),
    [
        (
            {"data/current.csv": "id,age\n1,2\n"},
            "",
            "mlci: error: data/reference.csv: no such file\n",
        ),
        (
            {"data/reference.csv": "x\n1\n", "data/current.csv": "y\n1\n"},
            "",
            "mlci: error: data/reference.csv and data/current.csv have no column in common",
        ),
        (
            {"data/reference.csv": table(1), "data/current.csv": table(2)},
            "    columns:\n      churned: {type: categorical}\n",
            "mlci: error: data/reference.csv: has no column churned (declared in "
            "trigger.drift.columns",
        ),
        (
            {"data/reference.csv": table(1), "data/current.csv": "id,age,income,plan\n1,,,a\n"},
            "",
            "mlci: error: data/current.csv: column age has no values (all missing)\n",
        ),
    ],
    ids=["unreadable", "no-common-column", "declared-missing", "all-missing"],
)
def test_bad_data_exit_2_naming_file_and_column(
    mlci: RunMlci, repo: Path, tmp_path: Path, files: dict[str, str], extra: str, message: str
) -> None:
    commit(repo, {"mlci.yaml": DRIFT + extra, **files}, "data")
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo)
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == ""
    assert proc.stderr.startswith(message)
    assert len(proc.stderr.splitlines()) == 1


def test_outputs_and_summary_table_inside_actions(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    commit(
        repo,
        {
            "mlci.yaml": DRIFT,
            "data/reference.csv": table(1),
            "data/current.csv": table(2, new_category=True),
        },
        "data",
    )
    register(mlci, repo, tmp_path)
    proc = decide(mlci, repo, env=actions_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    output = (tmp_path / "output").read_text()
    assert output.startswith("should_train=false\nreason=no data drift: 1 of 3 columns drifted")
    report = json.loads(output.split("report=", 1)[1])
    assert report["drift"]["drifted_columns"] == ["plan"]
    summary = (tmp_path / "summary").read_text()
    assert "| `plan` | categorical | chi-square p-value |" in summary
    assert "| **yes** | 0 / 0 | `enterprise` |" in summary
    assert "* ignored: id" in summary


@pytest.mark.slow
def test_decay_from_a_real_prometheus(mlci: RunMlci, repo: Path, tmp_path: Path) -> None:
    """A gauge recorded into a real Prometheus; an instant query reads it."""
    from prometheus_server import openmetrics, prometheus

    now = time.time()
    series = {
        'model_accuracy{model="churn"}': [(now - 300 + 15 * i, 0.8) for i in range(20)],
        'model_accuracy{model="other"}': [(now - 300 + 15 * i, 0.95) for i in range(20)],
    }
    register(mlci, repo, tmp_path)
    with prometheus(tmp_path / "prom", recorded=openmetrics(series, kind="gauge")) as url:
        for query, should, reason in (
            ('model_accuracy{model="churn"}', "true", "accuracy is 0.8, below"),
            ('model_accuracy{model="other"}', "false", "accuracy is 0.95 (≥ 0.85)"),
            ('model_accuracy{model="gone"}', "true", "accuracy is missing from Prometheus"),
        ):
            config = DECAY.replace(
                "    source: monitoring/metrics.json\n",
                f"    prometheus: {url}\n    query: '{query}'\n",
            )
            commit(repo, {"mlci.yaml": config}, f"query {query}")
            proc = decide(mlci, repo)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.startswith(f"should_train: {should}\nreason: {reason}"), query


def test_decay_from_prometheus_with_a_bearer_token_never_shown(
    mlci: RunMlci, repo: Path, tmp_path: Path
) -> None:
    """MLCI_PROMETHEUS_TOKEN (what the action maps trigger.decay.token_secret to) reaches
    Prometheus as a bearer header and nothing mlci writes. A real HTTP server on 127.0.0.1
    answers the instant query only with the right token (Prometheus itself has no bearer
    auth; a proxy in front of it does this)."""
    import http.server
    import threading

    token = "s3cr3t-decay-token"
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != f"Bearer {token}":
                body, status = b"Unauthorized", 401
            else:
                result = [{"metric": {}, "value": [time.time(), "0.8"]}]
                data = {"resultType": "vector", "result": result}
                body, status = json.dumps({"status": "success", "data": data}).encode(), 200
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        config = DECAY.replace(
            "    source: monitoring/metrics.json\n",
            f"    prometheus: {url}\n    query: model_accuracy\n    token_secret: PROM_TOKEN\n",
        )
        commit(repo, {"mlci.yaml": config}, "decay from prometheus")
        register(mlci, repo, tmp_path)
        env = {**actions_env(tmp_path), "MLCI_PROMETHEUS_TOKEN": token}
        proc = decide(mlci, repo, "--report-json", str(tmp_path / "report.json"), env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("should_train: true\nreason: accuracy is 0.8, below")
        assert seen == [f"Bearer {token}"]
        written = [(tmp_path / name).read_text() for name in ("output", "summary", "report.json")]
        for text in (proc.stdout, proc.stderr, *written):
            assert token not in text
        # a wrong token: exit 2, one line that names the fix, no token in it
        wrong = decide(mlci, repo, env={"MLCI_PROMETHEUS_TOKEN": "wrong-" + token})
        assert wrong.returncode == 2, wrong.stdout
        assert "401" in wrong.stderr and "token" in wrong.stderr
        assert token not in wrong.stderr and len(wrong.stderr.splitlines()) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_the_token_variable_is_the_rollout_actions_one() -> None:
    from mlci import trigger
    from mlci.deploy import configure

    assert trigger.PROMETHEUS_TOKEN_ENV == configure.TOKEN_ENV
