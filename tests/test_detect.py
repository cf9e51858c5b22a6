"""`mlci init` on a corpus of repository shapes: each generated step is one that runs there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import RunMlci, clean_env
from repo_shapes import SHAPES, make

from mlci import config, lint, render, scaffold
from mlci.commands import doctor
from mlci.detect import TrainScript, detect, paths_in_script, required_arguments

# shape -> the mlci.yaml values init must write (dotted keys)
EXPECTED: dict[str, dict[str, Any]] = {
    "dvc": {
        "train.command": "dvc repro evaluate",  # not src/train.py, which needs two arguments
        "train.metrics_file": "eval/metrics.json",  # dvc.yaml's top-level metrics
        "train.artifacts": ["models/model.pkl"],  # dvc.yaml's artifacts (type model)
        "install.command": "python -m pip install -r src/requirements.txt 'dvc[s3]'",
        "data.pull": "dvc pull",
        "secrets.train": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],  # the s3 remote's
        "tests.unit": "tests",  # the real tests, not tests/data (fixtures only)
        "tests.data": None,
        "validation.thresholds": {"roc_auc": 0.819},  # 10% below eval/metrics.json
    },
    "mlproject": {
        "train.command": "python train.py 0.5 0.1",  # the entry point with its defaults
        "python.version": "3.10",
        "install.command": "python -m pip install 'numpy==1.26.*' scikit-learn 'mlflow>=2.10'",
        "tests.unit": None,
        "validation.thresholds": {},
    },
    "conda_pip": {
        "install.command": "python -m pip install 'pytest>=8'",  # environment.yml's pip part
        "install.requirements": [],
        "train.command": "python train.py --epochs 3",  # MLproject's default
        "python.version": "3.11",
        "tests.unit": "tests/unit",
        "train.artifacts": ["models/"],
    },
    "uv": {
        "install.command": "python -m pip install uv && uv sync --locked --all-groups && echo "
        '"$PWD/.venv/bin" >> "$GITHUB_PATH"',
        "lint.commands": ["ruff check ."],
        "train.command": "python -m fraud.train",
        "python.version": "3.12",
        "tests.unit": "tests/unit",
    },
    "groups": {
        "install.command": 'python -m pip install --upgrade "pip>=25.1" && '
        "python -m pip install --group dev .",
        "tests.unit": "tests",
        "python.version": "3.10",
    },
    "poetry": {
        "install.command": "python -m pip install poetry && poetry config virtualenvs.in-project "
        "true && poetry install --no-interaction --all-groups && echo "
        '"$PWD/.venv/bin" >> "$GITHUB_PATH"',
        "python.version": "3.10",
        "train.artifacts": ["models/"],
    },
    "tests_code": {
        "install.requirements": ["requirements.txt"],
        "install.command": None,
        "lint.commands": ["flake8"],
        "tests.unit": "tests/code",
        "tests.data": None,
        "train.metrics_file": "results/metrics.json",
    },
    "src_requirements": {
        "install.requirements": ["src/requirements.txt"],
        "train.command": "python src/train.py",
        "train.metrics_file": "results/metrics.json",
        "train.artifacts": ["models/"],
        "tests.unit": "tests/code",
        "tests.data": None,
    },
    "own_workflows": {"workflows.zizmor_config": False, "tests.unit": "tests/unit"},
    "no_tests": {
        "tests.unit": None,
        "tests.data": None,
        "tests.model": None,
        "tests.integration": None,
        "install.requirements": ["requirements.txt"],
    },
}


def value(cfg: config.Config, dotted: str) -> Any:
    node: Any = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    if dotted == "validation.thresholds":
        return {k: t.min if t.min is not None else t.max for k, t in node.items()}
    return node


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_init_writes_steps_that_run_on_each_shape(shape: str, tmp_path: Path) -> None:
    repo = make(tmp_path / shape, shape)
    result = scaffold.init(root=repo, answers=scaffold.Answers())
    loaded = config.load(repo / "mlci.yaml").config
    assert loaded == result.config
    for key, expected in EXPECTED[shape].items():
        assert value(loaded, key) == expected, key
    # what init checks after writing: every step's preconditions hold
    checked = doctor.run(config_path=repo / "mlci.yaml")
    assert checked.ok, checked.render_text()
    # every test folder named holds tests, and only those run
    pipeline = (repo / render.PIPELINE).read_text()
    for kind in ("unit", "data"):
        folder = getattr(loaded.tests, kind)
        assert (f"python -m pytest {folder}" in pipeline) == (folder is not None)


@pytest.mark.slow  # several real mlci/actionlint/zizmor runs
def test_what_init_writes_on_every_shape_lints_clean(tmp_path: Path) -> None:
    for shape in SHAPES:
        repo = make(tmp_path / shape, shape)
        scaffold.init(root=repo, answers=scaffold.Answers())
        report = lint.lint(root=repo, paths=[], all_workflows=False)
        assert not report.findings, (shape, [f.render() for f in report.findings])
        # every workflow init wrote was linted (rollback.yml only when train.artifacts is known)
        written = sorted(
            str(repo / path)
            for path in render.TEMPLATES
            if path.startswith(".github/workflows/") and (repo / path).exists()
        )
        assert sorted(report.workflows) == written, shape
        assert str(repo / render.PIPELINE) in written and str(repo / render.TRAINING) in written


@pytest.mark.slow  # several real mlci/actionlint/zizmor runs
def test_a_train_script_with_required_arguments_is_a_placeholder(
    tmp_path: Path, mlci: RunMlci
) -> None:
    repo = make(tmp_path / "dvc", "dvc")
    (repo / "dvc.yaml").unlink()
    proc = mlci("init", "--yes", cwd=repo)
    assert proc.returncode == 1, proc.stderr  # written, but doctor found a problem
    text = (repo / "mlci.yaml").read_text()
    assert "# TODO before the first push: src/train.py needs the arguments data, out" in text
    steps = proc.stdout.split("Next steps:", 1)[1]
    assert steps.lstrip().startswith("1. train.command in mlci.yaml: src/train.py needs")
    assert "PROBLEM train.command: src/train.py needs the arguments data, out" in proc.stdout
    assert mlci("doctor", cwd=repo).returncode == 1
    # the answer clears it
    proc = mlci("init", "--yes", "--force", "--train-command", "python src/train.py d m", cwd=repo)
    assert "TODO before the first push: src/train.py" not in (repo / "mlci.yaml").read_text()
    assert mlci("doctor", cwd=repo).returncode == 0


def test_required_arguments_of_scripts(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import argparse, sys\np = argparse.ArgumentParser()\np.add_argument('data')\n"
        "p.add_argument('--lr', required=True)\np.add_argument('--seed', default=1)\n"
        "p.add_argument('maybe', nargs='?')\n"
    )
    assert required_arguments(script) == ["data", "--lr"]
    script.write_text("import sys\npath = sys.argv[1]\n")
    assert required_arguments(script) == ["argv[1]"]
    script.write_text("print('no arguments')\n")
    assert required_arguments(script) == []


def test_threshold_flag_and_the_gate_placeholder(tmp_path: Path, mlci: RunMlci) -> None:
    repo = make(tmp_path / "no_tests", "no_tests")
    proc = mlci("init", "--yes", cwd=repo)
    assert "1. validation.thresholds in mlci.yaml: no metric bound is set" in proc.stdout
    proc = mlci("init", "--yes", "--force", "--threshold", "accuracy>=0.7", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert config.load(repo / "mlci.yaml").config.validation.thresholds["accuracy"].min == 0.7
    assert "validation.thresholds in mlci.yaml" not in proc.stdout
    proc = mlci("init", "--yes", "--force", "--threshold", "accuracy", cwd=repo)
    assert proc.returncode == 2 and "has no comparison" in proc.stderr


@pytest.mark.slow  # several real mlci/actionlint/zizmor runs
def test_an_own_zizmor_policy_is_merged_not_replaced_and_no_loop(
    tmp_path: Path, mlci: RunMlci
) -> None:
    repo = make(tmp_path / "own", "own_workflows")
    proc = mlci("init", "--yes", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "merged mlci's settings into your .github/zizmor.yml" in proc.stdout
    policy = (repo / ".github" / "zizmor.yml").read_text()
    assert policy.startswith("# our own policy: keep it\n")
    assert "- ci.yml  # reviewed, see SECURITY.md" in policy
    assert "unpinned-uses:  # added by mlci" in policy
    assert (repo / ".github" / "workflows" / "ci.yml").is_file()
    # generate and check agree: no refusal, no loop; --force keeps the user's policy
    assert mlci("generate", cwd=repo).returncode == 0
    assert mlci("check", cwd=repo).returncode == 0
    assert mlci("init", "--yes", "--force", cwd=repo).returncode == 0
    assert (repo / ".github" / "zizmor.yml").read_text() == policy
    # lint right after init: only mlci's workflows; the user's own ci.yml with --all
    assert mlci("lint", cwd=repo).returncode == 0
    assert mlci("lint", "--all", cwd=repo).returncode == 1


def test_init_refuses_to_replace_a_workflow_it_did_not_write(tmp_path: Path, mlci: RunMlci) -> None:
    repo = make(tmp_path / "r", "no_tests")
    own = repo / render.PIPELINE
    own.parent.mkdir(parents=True)
    own.write_text("on: push\n")
    proc = mlci("init", "--yes", "--force", cwd=repo)
    assert proc.returncode == 2
    assert "not generated by mlci; rename it" in proc.stderr
    assert own.read_text() == "on: push\n"


def test_init_with_stdin_closed_behaves_as_yes(tmp_path: Path) -> None:
    repo = make(tmp_path / "r", "no_tests")
    proc = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m mlci init <&-"],
        cwd=repo, capture_output=True, text=True, env=clean_env(), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "stdin is not a terminal: accepting the detected values (--yes)" in proc.stderr
    assert (repo / "mlci.yaml").is_file()


def test_detect_reads_files_not_names(tmp_path: Path) -> None:
    """A folder named tests/data with only fixtures is no data-test suite."""
    repo = make(tmp_path / "tc", "tests_code")
    found = detect(repo)
    assert found.tests["data"] is None
    assert any("tests/data/ holds no test_*.py" in w for w in found.warnings)
    (repo / "tests" / "data" / "test_rows.py").write_text("def test_x():\n    pass\n")
    assert detect(repo).tests["data"] == "tests/data"


def _dvc_repo(root: Path, files: dict[str, str]) -> Path:
    """A small DVC repository: requirements, a train stage writing metrics, and ``files``."""
    layout = {
        "requirements.txt": "numpy\n",
        "train.py": "open('metrics.json', 'w').write('{\"accuracy\": 1}')\n",
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    metrics: [metrics.json]\n",
        **files,
    }
    for name, text in layout.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("s3://acme-ml-data/fraud", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        ("gs://acme/dvc", ["GOOGLE_APPLICATION_CREDENTIALS"]),
        ("azure://container/dvc", ["AZURE_STORAGE_CONNECTION_STRING"]),
        ("/mnt/shared/dvc", []),
    ],
)
def test_the_default_dvc_remote_names_the_secrets_dvc_pull_needs(
    git_repo: Path, url: str, secrets: list[str]
) -> None:
    # two remotes: the default one (core.remote), not the first, decides
    repo = _dvc_repo(
        git_repo,
        {
            ".dvc/config": "[core]\n    remote = storage\n"
            "['remote \"scratch\"']\n    url = ssh://host/scratch\n"
            f"['remote \"storage\"']\n    url = {url}\n"
        },
    )
    result = scaffold.init(root=repo, answers=scaffold.Answers())
    assert result.config.data.pull == "dvc pull"
    assert result.config.secrets.train == secrets
    pipeline = (repo / render.PIPELINE).read_text()
    for name in secrets:
        assert f"{name}: ${{{{ secrets.{name} }}}}" in pipeline
    wanted = f"Add the repository secret{'s' if len(secrets) > 1 else ''} {', '.join(secrets)} ("
    assert (wanted in result.next_steps) == bool(secrets), result.next_steps


def test_a_dvc_remote_only_in_config_local_is_named_with_a_warning(git_repo: Path) -> None:
    repo = _dvc_repo(
        git_repo,
        {
            ".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n"
            "    url = /mnt/shared/dvc\n",
            ".dvc/config.local": "[core]\n    remote = cloud\n['remote \"cloud\"']\n"
            "    url = gs://acme/dvc\n",
        },
    )
    found = detect(repo)
    assert found.train_secrets == ["GOOGLE_APPLICATION_CREDENTIALS"]
    assert any("'cloud' is only in .dvc/config.local" in w for w in found.warnings)
    (repo / ".dvc" / "config.local").unlink()
    found = detect(repo)
    assert found.train_secrets == [] and found.data_pull == "dvc pull"
    assert not any("config.local" in w for w in found.warnings)


def _lay_out(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_tests_inside_the_package_are_found_not_those_of_environments(git_repo: Path) -> None:
    test = "def test_ok():\n    assert True\n"
    repo = _lay_out(
        git_repo,
        {
            "requirements.txt": "pytest\n",
            "train.py": "open('metrics.json', 'w').write('{\"mae\": 1}')\n",
            "src/forecast/__init__.py": "",
            "src/forecast/tests/__init__.py": "",
            "src/forecast/tests/test_model.py": test,
            # test files that are not the project's: never picked
            ".venv/lib/python3.12/site-packages/numpy/tests/test_core.py": test,
            "myenv/pyvenv.cfg": "home = /usr/bin\n",
            "myenv/lib/python3.12/site-packages/pandas/tests/test_frame.py": test,
            "node_modules/x/test/test_y.py": test,
            "build/lib/forecast/tests/test_model.py": test,
            "forecast.egg-info/tests/test_z.py": test,
        },
    )
    found = detect(repo)
    assert found.tests == {"unit": "src/forecast/tests", "data": None, "model": None,
                           "integration": None}  # fmt: skip
    assert found.warnings == []
    result = scaffold.init(root=repo, answers=scaffold.Answers())
    assert "python -m pytest src/forecast/tests" in (repo / render.PIPELINE).read_text()
    assert doctor.run(config_path=repo / "mlci.yaml").ok
    # a second package's tests: the first runs, a warning names both
    _lay_out(repo, {"src/loader/tests/test_cli.py": test})
    found = detect(repo)
    assert found.tests["unit"] == "src/forecast/tests"
    assert any("tests found in src/forecast/tests, src/loader/tests" in w for w in found.warnings)
    # the current order still comes first: tests/ at the root wins
    _lay_out(repo, {"tests/unit/test_a.py": test})
    assert detect(repo).tests["unit"] == "tests/unit"
    assert result.config.tests.unit == "src/forecast/tests"


# train scripts (stdlib only) and the metrics file each really writes; None: init cannot read
# the path from the code, so it writes the placeholder rather than a guess
METRICS_SCRIPTS: dict[str, tuple[str, str | None]] = {
    "constant": (
        "import json\nfrom pathlib import Path\n\nMETRICS = Path('reports/metrics.json')\n"
        "METRICS.parent.mkdir(parents=True, exist_ok=True)\n"
        "METRICS.write_text(json.dumps({'accuracy': 0.9}))\n",
        "reports/metrics.json",
    ),
    "folder_variable": (
        "import json\nfrom pathlib import Path\n\nout = Path('artifacts')\n"
        "out.mkdir(exist_ok=True)\n(out / 'metrics.json').write_text(json.dumps({'f1': 0.8}))\n",
        "artifacts/metrics.json",
    ),
    "divided_literal": (
        "import json\nimport pathlib\n\nd = pathlib.Path('results') / 'eval'\n"
        "d.mkdir(parents=True)\n(d / 'eval_metrics.json').write_text('{\"auc\": 1}')\n",
        "results/eval/eval_metrics.json",
    ),
    "os_path_join": (
        "import json, os\nos.makedirs('out', exist_ok=True)\n"
        "with open(os.path.join('out', 'metrics.yaml'), 'w') as f:\n    f.write('mae: 1\\n')\n",
        "out/metrics.yaml",
    ),
    "argparse_default": (
        "import argparse, json\nfrom pathlib import Path\n\np = argparse.ArgumentParser()\n"
        "p.add_argument('--out-dir', default='artifacts')\nargs = p.parse_args()\n"
        "out = Path(args.out_dir)\nout.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'metrics.json').write_text(json.dumps({'accuracy': 1}))\n",
        "artifacts/metrics.json",
    ),
    "argparse_metrics_option": (
        "import argparse, os\n\np = argparse.ArgumentParser()\n"
        "p.add_argument('--metrics-file', dest='metrics', default='eval/metrics.json')\n"
        "args = p.parse_args()\nos.makedirs(os.path.dirname(args.metrics), exist_ok=True)\n"
        "open(args.metrics, 'w').write('{}')\n",
        "eval/metrics.json",
    ),
    "root_file": (
        "import json\njson.dump({'rmse': 0.5}, open('metrics.json', 'w'))\n",
        "metrics.json",
    ),
    "folder_from_config": (
        "import json, sys\nfrom pathlib import Path\n\ncfg = json.loads(sys.argv[1])\n"
        "out = Path(cfg['out'])\nout.mkdir()\n(out / 'metrics.json').write_text('{}')\n",
        None,
    ),
    "folder_parameter": (
        "from pathlib import Path\n\ndef save(out):\n    out.mkdir()\n"
        "    (out / 'metrics.json').write_text('{}')\n\nsave(Path('run'))\n",
        None,
    ),
    "f_string": (
        "import sys\n\nout = sys.argv[1]\nopen(f'{out}/metrics.json', 'w').write('{}')\n",
        None,
    ),
    "name_joined_later": (
        "import sys\nfrom pathlib import Path\n\nNAME = 'metrics.json'\n"
        "out = Path(sys.argv[1])\nout.mkdir()\n(out / NAME).write_text('{}')\n",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(METRICS_SCRIPTS))
def test_the_metrics_file_is_the_path_the_train_script_writes(tmp_path: Path, case: str) -> None:
    script, expected = METRICS_SCRIPTS[case]
    repo = _lay_out(tmp_path, {"scripts/train.py": script})
    found = detect(repo, train_command="python scripts/train.py")
    metrics = [p for p in found.placeholders if p.key == "train.metrics_file"]
    if expected is None:
        assert not found.metrics_found
        assert metrics and "scripts/train.py writes a metrics file at a path init cannot read" in (
            metrics[0].message
        )
        return
    assert (found.metrics_file, found.metrics_found, metrics) == (expected, True, [])
    # and it is the file the script really writes
    subprocess.run([sys.executable, "scripts/train.py"], cwd=repo, check=True, timeout=60)
    assert (repo / expected).is_file()


def test_the_metrics_file_comes_from_the_script_of_the_train_command_given(
    git_repo: Path,
) -> None:
    script, expected = METRICS_SCRIPTS["argparse_default"]
    repo = _lay_out(
        git_repo,
        {
            "requirements.txt": "numpy\n",
            "train.py": "open('metrics.json', 'w').write('{}')\n",  # detected, not run
            "src/churn/__init__.py": "",
            "src/churn/train.py": script,
            "ranker/__init__.py": "",
            "ranker/train.py": METRICS_SCRIPTS["constant"][0],
            "train2.py": METRICS_SCRIPTS["argparse_metrics_option"][0],
        },
    )
    assert detect(repo).metrics_file == "metrics.json"  # train.py's, the detected command's
    # python -m <pkg>.train: src/<pkg>/train.py, or <pkg>/train.py; its arguments count
    for command, metrics in (
        ("python -m churn.train", expected),
        ("python -m churn.train --out-dir build/run1", "build/run1/metrics.json"),
        ("python -m churn.train --out-dir=build/run2", "build/run2/metrics.json"),
        ("python -m ranker.train", "reports/metrics.json"),
        ("python train2.py --metrics-file out/run_metrics.json", "out/run_metrics.json"),
    ):
        assert detect(repo, train_command=command).metrics_file == metrics, command
    result = scaffold.init(
        root=repo, answers=scaffold.Answers(train_command="python -m churn.train")
    )
    assert result.config.train.metrics_file == expected
    assert "TODO before the first push: no metrics file" not in (repo / "mlci.yaml").read_text()
    # a script init cannot read: the placeholder, written as a TODO, not a confident guess
    (repo / "src/churn/train.py").write_text(METRICS_SCRIPTS["folder_from_config"][0])
    scaffold.init(
        root=repo, answers=scaffold.Answers(train_command="python -m churn.train"), force=True
    )
    text = (repo / "mlci.yaml").read_text()
    assert "# TODO before the first push: src/churn/train.py writes a metrics file" in text
    assert "line 7: out / 'metrics.json'" in text


@pytest.mark.parametrize(
    ("files", "command"),
    [
        ({"scripts/train.py": "print('train')\n"}, "python scripts/train.py"),
        ({"pipelines/train.py": "print('train')\n"}, "python pipelines/train.py"),
        ({"pipelines/training.py": "print('train')\n"}, "python pipelines/training.py"),
        ({"pipelines/train_pipeline.py": "print('train')\n"}, "python pipelines/train_pipeline.py"),
        # a Makefile's train target wins over a script (its recipe has the arguments)
        (
            {
                "scripts/train.py": "print('train')\n",
                "Makefile": ".PHONY: train\nPY := python\n\ntrain: data\n"
                "\t@python training/fit.py --config configs/train.yaml\n\ndata:\n\ttrue\n",
            },
            "make train",
        ),
    ],
)
def test_common_training_layouts_are_detected(
    git_repo: Path, files: dict[str, str], command: str
) -> None:
    repo = _lay_out(git_repo, {"requirements.txt": "numpy\n", **files})
    result = scaffold.init(root=repo, answers=scaffold.Answers())
    assert result.config.train.command == command
    assert doctor.run(config_path=repo / "mlci.yaml").ok


def test_make_train_reads_the_script_its_recipe_runs(git_repo: Path) -> None:
    repo = _lay_out(
        git_repo,
        {
            "requirements.txt": "numpy\n",
            "GNUmakefile": "PYTHON ?= python3\n"
            "train: ## fit the model\n\t$(PYTHON) -u training/fit.py\n",
            "training/fit.py": METRICS_SCRIPTS["constant"][0],
        },
    )
    found = detect(repo)
    assert (found.train_command, found.metrics_file) == ("make train", "reports/metrics.json")
    # and make really runs it there, writing that file
    subprocess.run(["make", "train"], cwd=repo, check=True, capture_output=True, timeout=60)
    assert (repo / "reports" / "metrics.json").is_file()


def test_no_training_found_is_a_clear_exit_2(git_repo: Path, mlci: RunMlci) -> None:
    # a Makefile without a train target, a variable named train, a script under another name
    _lay_out(
        git_repo,
        {
            "requirements.txt": "numpy\n",
            "Makefile": "train := fit\ntest:\n\tpytest\n",
            "scripts/fit.py": "print('fit')\n",
        },
    )
    proc = mlci("init", "--yes", cwd=git_repo)
    assert proc.returncode == 2
    assert "no training command found" in proc.stderr
    assert "pass --train-command" in proc.stderr
    assert not (git_repo / "mlci.yaml").exists()


CONDA_ENV = (
    "name: forecast\nchannels: [conda-forge, pytorch]\ndependencies:\n  - python=3.10\n"
    "  - pandas>=2.1\n  - pytorch=2.2\n  - pytest\n  - pip\n  - pip:\n      - hydra-core==1.3.2\n"
)
PACKAGE_ONLY = (
    '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "forecast"\nversion = "0.2.0"\nrequires-python = ">=3.10"\n'
)


@pytest.mark.parametrize(
    ("pyproject", "pip_line", "command", "warning"),
    [
        # no dependencies in pyproject: environment.yml holds them; the package itself too
        (
            PACKAGE_ONLY,
            "",
            "python -m pip install 'pandas>=2.1' 'torch==2.2.*' pytest hydra-core==1.3.2 .",
            "environment.yml: its packages are installed with pip",
        ),
        # environment.yml installs the project itself (-e .): as it says
        (
            PACKAGE_ONLY + 'dependencies = ["numpy"]\n',
            "      - -e .\n",
            "python -m pip install 'pandas>=2.1' 'torch==2.2.*' pytest hydra-core==1.3.2 -e .",
            "environment.yml: its packages are installed with pip",
        ),
        # pyproject declares the dependencies: it wins, and init says what it leaves out
        (
            PACKAGE_ONLY + 'dependencies = ["numpy", "pytest"]\n',
            "",
            "python -m pip install .",
            "environment.yml is not installed: the install step installs pyproject.toml's",
        ),
    ],
)
def test_environment_yml_beside_a_pyproject(
    git_repo: Path, pyproject: str, pip_line: str, command: str, warning: str
) -> None:
    repo = _lay_out(
        git_repo,
        {
            "pyproject.toml": pyproject,
            "environment.yml": CONDA_ENV + pip_line,
            "src/forecast/__init__.py": "",
            "src/forecast/train.py": "open('metrics.json', 'w').write('{}')\n",
            "src/forecast/tests/test_model.py": "import forecast\n\ndef test_ok():\n    pass\n",
        },
    )
    result = scaffold.init(root=repo, answers=scaffold.Answers())
    assert result.config.install.command == command
    assert any(w.startswith(warning) for w in result.warnings), result.warnings
    assert result.config.python.version == "3.10"


def test_asking_reads_the_metrics_file_of_the_command_typed(tmp_path: Path) -> None:
    """On a terminal the gate question names the metrics file of the train command answered."""
    repo = _lay_out(
        tmp_path,
        {
            "train.py": "open('metrics.json', 'w').write('{}')\n",  # the detected command's
            "scripts/fit.py": METRICS_SCRIPTS["constant"][0],  # reports/metrics.json
        },
    )
    asked: list[str] = []

    def prompt(text: str, default: str = "", **_: Any) -> str:
        asked.append(text)
        return "python scripts/fit.py" if text.startswith("Command that trains") else default

    answers = scaffold.ask(
        repo, scaffold.Answers(), prompt=prompt, choose=lambda text, choices, default: default
    )
    assert answers.train_command == "python scripts/fit.py"
    gate = next(text for text in asked if text.startswith("Gate:"))
    assert "the primary metric in reports/metrics.json" in gate


def test_paths_in_script_reads_any_file_name_the_same_way(tmp_path: Path) -> None:
    """doctor asks where a script writes a named file (the model URI, the metrics file)."""
    script = tmp_path / "train.py"
    script.write_text(
        "import argparse\nfrom pathlib import Path\n\np = argparse.ArgumentParser()\n"
        "p.add_argument('--out', default='build')\nargs = p.parse_args()\n"
        "out = Path(args.out)\nout.mkdir()\n(out / 'model_uri.txt').write_text('runs:/1')\n"
        "Path('scores.csv').write_text('')\n"
    )
    found = paths_in_script(TrainScript(script, []), "model_uri.txt")
    assert found is not None and (found.path, found.unknown) == ("build/model_uri.txt", None)
    found = paths_in_script(TrainScript(script, ["--out", "runs/7"]), "model_uri.txt")
    assert found is not None and found.path == "runs/7/model_uri.txt"
    found = paths_in_script(TrainScript(script, []), "scores.csv")
    assert found is not None and found.path == "scores.csv"
    assert paths_in_script(TrainScript(script, []), "metrics.json") is None
    script.write_text(
        "import sys\nfrom pathlib import Path\n\n(Path(sys.argv[1]) / 'm.txt').touch()\n"
    )
    found = paths_in_script(TrainScript(script, []), "m.txt")
    assert found is not None and found.path is None
    assert found.unknown == "line 4: Path(sys.argv[1]) / 'm.txt'"
