"""Small repositories of the shapes `mlci init` meets (written here, not copied from anywhere).

Each shape is ``{path: text}``; :func:`make` lays one out as a git repository.
"""

from __future__ import annotations

from pathlib import Path

from conftest import git

TRAIN_WRITES_METRICS = """\
import json
from pathlib import Path

Path("models").mkdir(exist_ok=True)
Path("models/model.json").write_text("{}")
Path("metrics.json").write_text(json.dumps({"accuracy": 0.8}))
"""

TRAIN_NEEDS_ARGS = """\
import argparse
import json
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("out")
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()
Path(args.out).mkdir(parents=True, exist_ok=True)
(Path(args.out) / "model.pkl").write_text("model")
"""

EVALUATE = """\
import json
import sys
from pathlib import Path

Path("eval").mkdir(exist_ok=True)
Path("eval/metrics.json").write_text(json.dumps({"roc_auc": 0.9}))
"""

A_TEST = "def test_ok():\n    assert 1 + 1 == 2\n"

SHAPES: dict[str, dict[str, str]] = {
    # A DVC pipeline: requirements in src/, a train script that needs two arguments, the
    # metrics declared at the top level of dvc.yaml, the model under artifacts:, an S3 remote,
    # tests/data holding only fixtures, the real tests directly in tests/.
    "dvc": {
        "src/requirements.txt": "scikit-learn>=1.4\npandas>=2\npytest>=8\n",
        "src/train.py": TRAIN_NEEDS_ARGS,
        "src/evaluate.py": EVALUATE,
        "dvc.yaml": (
            "stages:\n"
            "  prepare:\n    cmd: python src/prepare.py\n    outs: [data/prepared]\n"
            "  train:\n    cmd: python src/train.py data/prepared models\n"
            "    deps: [data/prepared, src/train.py]\n    outs: [models/model.pkl]\n"
            "  evaluate:\n    cmd: python src/evaluate.py\n    deps: [models/model.pkl]\n"
            "    metrics:\n      - eval/metrics.json:\n          cache: false\n"
            "metrics:\n  - eval/metrics.json\n"
            "artifacts:\n  churn-model:\n    path: models/model.pkl\n    type: model\n"
        ),
        ".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n"
        "    url = s3://bucket/dvcstore\n",
        "eval/metrics.json": '{"roc_auc": 0.91, "train": {"roc_auc": 0.99}}\n',
        "tests/data/customers.parquet": "PAR1 not really parquet\n",
        "tests/test_features.py": A_TEST,
    },
    # MLproject + conda.yaml: the entry point's parameters have defaults; no tests.
    "mlproject": {
        "MLproject": (
            "name: wine\nconda_env: conda.yaml\nentry_points:\n  main:\n    parameters:\n"
            "      alpha: {type: float, default: 0.5}\n      l1_ratio: {type: float, default: 0.1}\n"
            "    command: python train.py {alpha} {l1_ratio}\n"
        ),
        "conda.yaml": (
            "name: wine\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n"
            "  - numpy=1.26\n  - scikit-learn\n  - cudatoolkit=11.8\n  - pip\n"
            "  - pip:\n      - mlflow>=2.10\n"
        ),
        "train.py": "import json, sys\njson.dump({'rmse': 0.7}, open('metrics.json', 'w'))\n",
    },
    # uv, PEP 735 dependency groups (pytest and ruff only in dev), src layout.
    "uv": {
        "pyproject.toml": (
            '[project]\nname = "fraud"\nrequires-python = ">=3.11"\ndependencies = ["numpy"]\n\n'
            '[dependency-groups]\ndev = ["pytest>=8", "ruff>=0.5"]\n\n'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            "[tool.ruff]\nline-length = 100\n"
        ),
        "uv.lock": "version = 1\n",
        ".python-version": "3.12\n",
        "src/fraud/__init__.py": "",
        "src/fraud/train.py": "import json\njson.dump({'f1': 0.8}, open('metrics.json', 'w'))\n",
        "tests/unit/test_fraud.py": A_TEST,
    },
    # Dependency groups without uv.lock: pip >= 25.1 installs them.
    "groups": {
        "pyproject.toml": (
            '[project]\nname = "groups"\nrequires-python = ">=3.10"\n\n'
            '[dependency-groups]\ndev = ["pytest"]\n'
        ),
        "train.py": "open('metrics.json', 'w').write('{\"accuracy\": 1}')\n",
        "tests/test_a.py": A_TEST,
    },
    # Poetry
    "poetry": {
        "pyproject.toml": (
            '[tool.poetry]\nname = "p"\nversion = "0.1.0"\n\n'
            '[tool.poetry.dependencies]\npython = "^3.10"\nnumpy = "*"\n\n'
            '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
        ),
        "poetry.lock": "# lock\n",
        "train.py": TRAIN_WRITES_METRICS,
        "tests/test_a.py": A_TEST,
    },
    # tests/code holds the tests; tests/data only fixtures; flake8; metrics under results/.
    "tests_code": {
        "requirements.txt": "pytest\nflake8\n",
        ".flake8": "[flake8]\nmax-line-length = 100\n",
        "train.py": (
            "import json, os\nos.makedirs('results', exist_ok=True)\n"
            "json.dump({'accuracy': 0.75}, open('results/metrics.json', 'w'))\n"
        ),
        "tests/code/test_code.py": A_TEST,
        "tests/data/rows.csv": "a,b\n1,2\n",
    },
    # The repository has workflows and a zizmor policy of its own.
    "own_workflows": {
        "requirements.txt": "pytest\n",
        "train.py": TRAIN_WRITES_METRICS,
        "tests/unit/test_a.py": A_TEST,
        ".github/workflows/ci.yml": (
            "on: pull_request_target\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
        ),
        ".github/zizmor.yml": (
            "# our own policy: keep it\nrules:\n  dangerous-triggers:\n    ignore:\n"
            "      - ci.yml  # reviewed, see SECURITY.md\n"
        ),
    },
    # Requirements only in src/, the tests in tests/code, fixtures in tests/data, metrics under
    # results/ (the shape the act end-to-end test runs: it needs nothing but pytest).
    "src_requirements": {
        "src/requirements.txt": "pytest\n",
        "src/train.py": (
            "import json\nfrom pathlib import Path\n\n"
            "Path('results').mkdir(exist_ok=True)\nPath('models').mkdir(exist_ok=True)\n"
            "Path('models/model.json').write_text('{}')\n"
            "Path('results/metrics.json').write_text(json.dumps({'accuracy': 0.75}))\n"
        ),
        "tests/code/test_code.py": A_TEST,
        "tests/data/rows.csv": "a,b\n1,2\n",
    },
    # MLproject whose environment.yml is conda's python and pip only (its pip part is all that
    # installs), an entry point whose parameter has a default, tests in tests/unit. (The shape a
    # third act end-to-end run takes: it needs nothing but pytest.)
    "conda_pip": {
        "MLproject": (
            "name: tenure\nconda_env: environment.yml\nentry_points:\n  main:\n    parameters:\n"
            "      epochs: {type: int, default: 3}\n"
            "    command: python train.py --epochs {epochs}\n"
        ),
        "environment.yml": (
            "name: tenure\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n"
            "  - pip:\n      - pytest>=8\n"
        ),
        "train.py": (
            "import argparse, json\nfrom pathlib import Path\n\n"
            "parser = argparse.ArgumentParser()\nparser.add_argument('--epochs', type=int, required=True)\n"
            "epochs = parser.parse_args().epochs\n"
            "Path('models').mkdir(exist_ok=True)\nPath('models/model.json').write_text(str(epochs))\n"
            "Path('metrics.json').write_text(json.dumps({'rmse': 0.5 / epochs}))\n"
        ),
        "tests/unit/test_tenure.py": A_TEST,
    },
    # No tests, no pytest, no lint config.
    "no_tests": {
        "requirements.txt": "numpy\n",
        "train.py": TRAIN_WRITES_METRICS,
    },
}


def make(root: Path, shape: str) -> Path:
    """Lay out ``shape`` in ``root`` (created) as a git repository with one commit."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for name, text in SHAPES[shape].items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", shape)
    return root
