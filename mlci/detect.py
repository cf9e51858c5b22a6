"""What ``mlci init`` learns from a repository's own files (never from its name).

Each function reads files only: no network, no imports of the user's code, no
subprocess but ``git config``. :func:`detect` combines them into a
:class:`Detected` whose every step is one that runs on the repository as it
stands: the install command installs the tools the lint, test, train and data
steps call; a test folder is named only when it holds ``test_*.py`` or
``*_test.py``; the train command takes its arguments; the metrics file is the
one the training writes. What cannot be known is a :class:`Placeholder`: init
writes it commented in mlci.yaml and lists it first in its next steps.

docs/detection.md describes every rule and how to override it.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEST_KINDS = ("unit", "data", "model", "integration")
DEFAULT_METRICS_FILE = "metrics.json"

# Metrics whose higher value is better / lower value is better (for a detected threshold).
_HIGHER = ("accuracy", "acc", "auc", "roc_auc", "f1", "f1_score", "precision", "recall", "r2")
_LOWER = ("rmse", "mae", "mse", "loss", "log_loss", "logloss", "error")
# conda packages that are not Python packages on PyPI (or are the interpreter itself).
_CONDA_ONLY = re.compile(r"^(python|pip|cudatoolkit|cudnn|cuda[-\w]*|mkl[-\w]*|lib[-\w]+|_[-\w]+)$")
_CONDA_TO_PYPI = {"pytorch": "torch", "py-xgboost": "xgboost", "pytorch-cpu": "torch"}
# DVC remote URL schemes and the dvc extra that reads them.
_DVC_EXTRAS = {
    "s3": "s3",
    "gs": "gs",
    "gcs": "gs",
    "azure": "azure",
    "ssh": "ssh",
    "hdfs": "hdfs",
    "webhdfs": "webhdfs",
    "oss": "oss",
    "gdrive": "gdrive",
}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Placeholder:
    """A value init could not know: written commented, listed first in the next steps."""

    key: str
    message: str


@dataclass(frozen=True)
class Threshold:
    metric: str
    direction: str  # "min" or "max"
    bound: float


@dataclass(frozen=True)
class Detected:
    """What a config for the repository should say."""

    install_kind: str = "none"  # requirements | pyproject | uv | poetry | conda | none
    requirements: list[str] = field(default_factory=list)
    install_command: str | None = None
    tests: dict[str, str | None] = field(default_factory=dict)
    python_version: str | None = None
    dvc: bool = False
    data_pull: str | None = None
    dockerfile: bool = False
    train_command: str | None = None
    lint_commands: list[str] = field(default_factory=list)
    model: str = "model"
    metrics_file: str = DEFAULT_METRICS_FILE
    metrics_found: bool = False
    threshold: Threshold | None = None
    artifacts: list[str] = field(default_factory=list)
    train_secrets: list[str] = field(default_factory=list)  # what data.pull needs
    branch: str = "main"
    placeholders: list[Placeholder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def load_toml(path: Path) -> dict[str, Any] | None:
    text = read(path)
    if text is None:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return data


def load_yaml(path: Path) -> Any:
    text = read(path)
    if text is None:
        return None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _git(root: Path, *args: str) -> str | None:
    from mlci import git

    return git.output(*args, cwd=root)


def model_name(text: str) -> str:
    """A GTO-compatible model name from a repository or directory name."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return name or "model"


def _names(requirements: Iterable[str]) -> set[str]:
    """Normalised distribution names of requirement lines (``-r``, comments, URLs skipped)."""
    names = set()
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQ_NAME.match(line)
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


# --------------------------------------------------------------------------- tests


def holds_tests(folder: Path) -> bool:
    """Whether ``folder`` (recursively) holds a pytest file: test_*.py or *_test.py."""
    if not folder.is_dir():
        return False
    return any(p.is_file() for pattern in ("test_*.py", "*_test.py") for p in folder.rglob(pattern))


def _direct_tests(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.is_file() for pattern in ("test_*.py", "*_test.py") for p in folder.glob(pattern)
    )


def detect_tests(root: Path) -> tuple[dict[str, str | None], list[str]]:
    """Test folders by kind; a folder counts only when it holds tests."""
    warnings: list[str] = []
    base = next((name for name in ("tests", "test") if (root / name).is_dir()), "tests")
    tests: dict[str, str | None] = {
        kind: f"{base}/{kind}" if holds_tests(root / base / kind) else None for kind in TEST_KINDS
    }
    for kind in TEST_KINDS:
        folder = root / base / kind
        if folder.is_dir() and tests[kind] is None:
            warnings.append(
                f"{base}/{kind}/ holds no test_*.py or *_test.py (fixtures only?): "
                f"not run as the {kind} tests"
            )
    if tests["unit"] is None:
        for name in ("code", "unit_tests", "unittests"):
            if holds_tests(root / base / name):
                tests["unit"] = f"{base}/{name}"
                break
    if tests["unit"] is None and _direct_tests(root / base):
        if any(tests.values()):
            warnings.append(
                f"tests directly in {base}/ are not run: {base}/ would also collect the "
                "kind folders; move them into tests/unit or set tests.unit"
            )
        else:
            tests["unit"] = base
    elif tests["unit"] is None and not any(tests.values()) and holds_tests(root / base):
        tests["unit"] = base
    if not any(tests.values()):
        found = _test_folders_elsewhere(root)
        if found:
            tests["unit"] = found[0]
            if len(found) > 1:
                warnings.append(
                    f"tests found in {', '.join(found)}: only {found[0]} runs as the unit "
                    "tests; set tests.unit to the folder that holds the others too"
                )
    return tests, warnings


# Folders never searched for tests: environments, caches, build output, VCS.
_NOT_SOURCE = {
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules",
    "build", "dist", "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".mlci", ".github", ".dvc", ".eggs", "htmlcov",
}  # fmt: skip


def _test_folders_elsewhere(root: Path, *, depth: int = 4) -> list[str]:
    """Folders named tests/test below the root (e.g. src/<pkg>/tests) that hold test files.

    Shallowest first; environments, build output and hidden folders are not searched.
    """
    found: list[str] = []
    level = [root]
    for _ in range(depth):
        below: list[Path] = []
        for folder in level:
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                continue
            for child in children:
                name = child.name
                if name in _NOT_SOURCE or name.startswith(".") or name.endswith(".egg-info"):
                    continue
                if (child / "pyvenv.cfg").is_file():  # a virtualenv of any name
                    continue
                if folder != root and name in ("tests", "test") and holds_tests(child):
                    found.append(child.relative_to(root).as_posix())
                else:
                    below.append(child)
        level = below
    return found


# --------------------------------------------------------------------------- python


def detect_python(root: Path, pyproject: Mapping[str, Any] | None, conda: Any) -> str | None:
    pinned = read(root / ".python-version")
    if pinned:
        match = re.match(r"\s*(3\.\d{1,2})", pinned)
        if match:
            return match.group(1)
    if pyproject is not None:
        requires = pyproject.get("project", {}).get("requires-python")
        poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
        if not isinstance(requires, str) and isinstance(poetry, dict):
            requires = poetry.get("python")
        if isinstance(requires, str):
            match = re.search(r"[>=^~]=?\s*(3\.\d{1,2})", requires)
            if match:
                return match.group(1)
    if isinstance(conda, dict):
        for dep in conda.get("dependencies") or []:
            if isinstance(dep, str):
                match = re.match(r"^python\s*[=<>]*\s*(3\.\d{1,2})", dep)
                if match:
                    return match.group(1)
    python_env = load_yaml(root / "python_env.yaml")
    if isinstance(python_env, dict):
        match = re.match(r"^(3\.\d{1,2})", str(python_env.get("python", "")))
        if match:
            return match.group(1)
    return None


# --------------------------------------------------------------------------- dvc


@dataclass(frozen=True)
class DvcInfo:
    stages: dict[str, dict[str, Any]]
    metrics: list[str]  # top-level first, then by stage
    metrics_stage: str | None
    model_paths: list[str]
    model_stage: str | None
    remote: DvcRemote | None


def dvc_paths(entries: Any) -> list[str]:
    """DVC path lists: ``[a, {b: {cache: false}}]`` → ``[a, b]``."""
    paths = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            paths.append(entry)
        elif isinstance(entry, dict):
            paths.extend(str(key) for key in entry)
    return paths


_DVC_REMOTE_SECTION = re.compile(r"""^'?remote\s+"([^"]+)"'?$""")
# What a DVC remote's URL scheme needs on the runner: the repository secrets (env vars).
_DVC_SECRETS = {
    "s3": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    "gs": ["GOOGLE_APPLICATION_CREDENTIALS"],
    "gcs": ["GOOGLE_APPLICATION_CREDENTIALS"],
    "azure": ["AZURE_STORAGE_CONNECTION_STRING"],
}


@dataclass(frozen=True)
class DvcRemote:
    """The remote ``dvc pull`` uses: the default one (``[core] remote``), else the first."""

    name: str
    url: str
    scheme: str  # "" for a local path
    only_local: bool  # named only in .dvc/config.local, which git does not carry

    @property
    def extra(self) -> str:
        """The dvc extra that reads it ("" for none)."""
        return _DVC_EXTRAS.get(self.scheme, "")

    @property
    def secrets(self) -> list[str]:
        """The secrets ``dvc pull`` needs for it on a runner."""
        return list(_DVC_SECRETS.get(self.scheme, []))


def _dvc_config(path: Path) -> configparser.ConfigParser | None:
    text = read(path)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def dvc_remote(root: Path) -> DvcRemote | None:
    """The remote of ``.dvc/config`` (``.dvc/config.local`` overriding it, as in DVC)."""
    default: str | None = None
    urls: dict[str, str] = {}
    local_only: set[str] = set()
    for name in ("config", "config.local"):
        parser = _dvc_config(root / ".dvc" / name)
        if parser is None:
            continue
        if parser.has_option("core", "remote"):
            default = parser.get("core", "remote").strip()
        for section in parser.sections():
            match = _DVC_REMOTE_SECTION.match(section.strip())
            if match and parser.has_option(section, "url"):
                remote = match.group(1)
                if name == "config.local" and remote not in urls:
                    local_only.add(remote)
                urls[remote] = parser.get(section, "url").strip()
    if not urls:
        return None
    chosen = default if default in urls else next(iter(urls))
    url = urls[chosen]
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return DvcRemote(chosen, url, scheme, chosen in local_only)


def detect_dvc(root: Path) -> DvcInfo | None:
    doc = load_yaml(root / "dvc.yaml")
    if not isinstance(doc, dict):
        if not (root / "dvc.yaml").is_file():
            return None
        return DvcInfo({}, [], None, [], None, dvc_remote(root))
    raw_stages = doc.get("stages")
    stages = {
        str(name): stage
        for name, stage in (raw_stages.items() if isinstance(raw_stages, dict) else [])
        if isinstance(stage, dict)
    }
    metrics = dvc_paths(doc.get("metrics"))
    metrics_stage = None
    for name, stage in stages.items():
        stage_metrics = dvc_paths(stage.get("metrics"))
        if stage_metrics and metrics_stage is None:
            metrics_stage = name
        metrics += [m for m in stage_metrics if m not in metrics]
    if metrics and metrics_stage is not None:
        # the stage that writes the first metrics file (top-level metrics name a stage's outs)
        metrics_stage = next(
            (
                name
                for name, stage in stages.items()
                if metrics[0] in dvc_paths(stage.get("metrics")) + dvc_paths(stage.get("outs"))
            ),
            metrics_stage,
        )
    elif metrics:
        metrics_stage = next(
            (n for n, s in stages.items() if metrics[0] in dvc_paths(s.get("outs"))), None
        )
    model_paths: list[str] = []
    artifacts = doc.get("artifacts")
    if isinstance(artifacts, dict):
        for spec in artifacts.values():
            if isinstance(spec, dict) and spec.get("type", "model") == "model" and spec.get("path"):
                model_paths.append(str(spec["path"]))
    model_stage = None
    for name, stage in stages.items():
        outs = dvc_paths(stage.get("outs"))
        if any(p in outs for p in model_paths):
            model_stage = name
            break
    if model_stage is None:
        for name in ("train", "training", "fit"):
            if name in stages:
                model_stage = name
                break
    if not model_paths and model_stage is not None:
        model_paths = dvc_paths(stages[model_stage].get("outs"))
    return DvcInfo(
        stages=stages,
        metrics=metrics,
        metrics_stage=metrics_stage,
        model_paths=model_paths,
        model_stage=model_stage,
        remote=dvc_remote(root),
    )


# --------------------------------------------------------------------------- train


def required_arguments(script: Path) -> list[str]:
    """Names of the arguments an argparse/click/sys.argv script cannot run without."""
    text = read(script)
    if text is None:
        return []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    required: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr != "add_argument" or not node.args:
                continue
            first = node.args[0]
            if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            nargs = keywords.get("nargs")
            optional_nargs = isinstance(nargs, ast.Constant) and nargs.value in ("?", "*")
            if not first.value.startswith("-"):
                if "default" not in keywords and not optional_nargs:
                    required.append(first.value)
            else:
                flag = keywords.get("required")
                if isinstance(flag, ast.Constant) and flag.value is True:
                    required.append(first.value)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            # sys.argv[1]
            value = node.value
            if (
                value.attr == "argv"
                and isinstance(value.value, ast.Name)
                and value.value.id == "sys"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)
                and node.slice.value >= 1
            ):
                required.append(f"argv[{node.slice.value}]")
    return list(dict.fromkeys(required))


def _mlproject_command(root: Path) -> tuple[str | None, list[str], str | None]:
    """(command with default parameters, parameters without a default, env file) of MLproject."""
    doc = load_yaml(root / "MLproject")
    if not isinstance(doc, dict):
        return None, [], None
    env_file = doc.get("conda_env") or doc.get("python_env")
    entry_points = doc.get("entry_points")
    if not isinstance(entry_points, dict) or not entry_points:
        return None, [], str(env_file) if env_file else None
    name = "main" if "main" in entry_points else next(iter(entry_points))
    entry = entry_points[name]
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str):
        return None, [], str(env_file) if env_file else None
    command = str(entry["command"])
    missing: list[str] = []
    params = entry.get("parameters") if isinstance(entry.get("parameters"), dict) else {}
    for param, spec in (params or {}).items():
        default = spec.get("default") if isinstance(spec, dict) else spec
        if isinstance(spec, dict) and "default" not in spec:
            missing.append(str(param))
            continue
        command = command.replace("{" + str(param) + "}", shlex.quote(str(default)))
    return " ".join(command.split()), missing, str(env_file) if env_file else None


# --------------------------------------------------------------------------- train scripts

# Where a training script usually lives, in the order they are preferred (after DVC, MLproject
# and a Makefile's train target); src/<pkg>/train.py is added between src/train.py and these.
_TRAIN_SCRIPTS = ("train.py", "src/train.py")
_MORE_TRAIN_SCRIPTS = (
    "scripts/train.py",
    "pipelines/train.py",
    "pipelines/training.py",
    "pipelines/train_pipeline.py",
)
_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")  # the order GNU make reads them
_MAKE_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)(.*)$")


def make_targets(root: Path) -> dict[str, list[str]]:
    """The Makefile's explicit targets and their recipe lines (``{}`` without a Makefile)."""
    text = next((t for t in (read(root / name) for name in _MAKEFILES) if t is not None), None)
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (text or "").splitlines():
        if line.startswith("\t"):
            if current is not None:
                current.append(line[1:].strip())
            continue
        match = _MAKE_RULE.match(line)
        if match is None or "$" in match.group(1) or "%" in match.group(1):
            current = None if line.strip() and not line.startswith("#") else current
            continue
        current = []
        for target in match.group(1).split():
            targets.setdefault(target, current)
    return targets


def _words(command: str) -> list[list[str]]:
    """The simple commands of a shell line (``&&``, ``;`` and ``||`` separate them)."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return []
    out: list[list[str]] = [[]]
    for token in tokens:
        if token and set(token) <= set(";&|"):
            out.append([])
        else:
            out[-1].append(token)
    return [words for words in out if words]


@dataclass(frozen=True)
class TrainScript:
    """The Python file a train command runs, and the arguments it gets."""

    path: Path
    argv: list[str]


def train_script(root: Path, command: str, *, _depth: int = 0) -> TrainScript | None:
    """The script ``command`` runs: ``python x.py``, ``python -m pkg.mod`` (root or src/),
    ``uv run``/``poetry run`` in front, or a ``make`` target whose recipe runs one."""
    for words in _words(command):
        while (
            words
            and words[0] in ("uv", "poetry", "pdm", "pipenv", "hatch")
            and words[1:2] == ["run"]
        ):
            words = words[2:]
        if not words:
            continue
        if words[0] in ("cd", "pushd"):
            return None  # the paths after it are relative to another folder
        if words[0] == "make" and _depth == 0:
            if any(
                w.startswith(("-C", "-f", "--file", "--directory", "--makefile")) for w in words
            ):
                continue  # another Makefile or folder: not read
            names = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            targets = make_targets(root)
            default = next((t for t in targets if not t.startswith(".")), None)
            target = names[0] if names else default
            for line in targets.get(target or "", []):
                line = re.sub(r"\$[({]PYTHON[)}]", "python", line.lstrip("@-+ "))
                found = train_script(root, line, _depth=1)
                if found is not None:
                    return found
            continue
        if not re.fullmatch(r"python(3(\.\d+)?)?", Path(words[0]).name):
            continue
        rest = words[1:]
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            rest = rest[1:]  # interpreter options (-u, -O, -X dev is rare enough)
        if len(rest) >= 2 and rest[0] == "-m":
            module = rest[1].split(".")
            for base in (root / "src", root):
                for path in (base.joinpath(*module).with_suffix(".py"),
                             base.joinpath(*module, "__main__.py")):  # fmt: skip
                    if path.is_file():
                        return TrainScript(path, rest[2:])
        elif (
            rest
            and rest[0].endswith(".py")
            and _relative(rest[0]) is not None
            and (root / rest[0]).is_file()
        ):
            return TrainScript(root / rest[0], rest[1:])
    return None


# --------------------------------------------------------------------------- metrics path

_METRICS_NAME = re.compile(r"[\w.-]*metric[\w.-]*\.(?:json|ya?ml)", re.IGNORECASE)
_PATH_CALLS = ("Path", "PurePath", "PosixPath")


def _call_name(node: ast.Call) -> str:
    """``Path`` for ``Path(...)`` and ``pathlib.Path(...)``; ``os.path.join`` in full."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        if func.attr in _PATH_CALLS:
            return func.attr
        if isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name):
            return f"{func.value.value.id}.{func.value.attr}.{func.attr}"
    return ""


class _ScriptPaths:
    """Which relative paths the expressions of one script stand for, where simple code says.

    Resolves string literals, ``Path(...)``, ``/``, ``os.path.join``, ``str(...)``, names bound
    exactly once (``out = Path("artifacts")``) and argparse options (``args.out_dir`` from the
    train command's arguments, else the option's default). Anything else is unknown (None).
    """

    def __init__(self, tree: ast.Module, argv: list[str]) -> None:
        self.parents = {
            child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        self.bound: dict[str, list[ast.expr | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                parent = self.parents.get(node)
                single = isinstance(parent, ast.Assign) and parent.targets == [node]
                value = parent.value if single and isinstance(parent, ast.Assign) else None
                self.bound.setdefault(node.id, []).append(value)
            elif isinstance(node, ast.arg):
                self.bound.setdefault(node.arg, []).append(None)
        self.dests: dict[ast.AST, str] = {}  # add_argument(...) call -> its dest
        self.options = self._argparse_values(tree, argv)

    def _argparse_values(self, tree: ast.Module, argv: list[str]) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
            ):
                continue
            flags = [
                str(a.value)
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            longs = [f for f in flags if f.startswith("--")] or [
                f for f in flags if f.startswith("-")
            ]
            if not longs:
                continue  # positionals: their values are the train command's, not read here
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            dest_node = keywords.get("dest")
            dest = str(longs[0]).lstrip("-").replace("-", "_")
            if isinstance(dest_node, ast.Constant) and isinstance(dest_node.value, str):
                dest = dest_node.value
            self.dests[node] = dest
            given: str | None = None
            for index, word in enumerate(argv):
                for flag in flags:
                    if word == flag and index + 1 < len(argv):
                        given = argv[index + 1]
                    elif word.startswith(flag + "="):
                        given = word.split("=", 1)[1]
            default = keywords.get("default")
            if given is not None:
                values[dest] = given
            elif isinstance(default, ast.Constant) and isinstance(default.value, str):
                values[dest] = default.value
            else:
                values[dest] = None
        return values

    def _is_parse_args(self, name: str) -> bool:
        bound = self.bound.get(name, [])
        value = bound[0] if len(bound) == 1 else None
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in ("parse_args", "parse_known_args")
        )

    def resolve(self, node: ast.AST, depth: int = 0) -> str | None:
        if depth > 20:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return _join(self.resolve(node.left, depth + 1), self.resolve(node.right, depth + 1))
        if isinstance(node, ast.Call) and not node.keywords:
            name = _call_name(node)
            if name in (*_PATH_CALLS, "os.path.join", "str", "os.fspath") and node.args:
                if name in ("str", "os.fspath") and len(node.args) != 1:
                    return None
                parts = [self.resolve(arg, depth + 1) for arg in node.args]
                joined: str | None = parts[0]
                for part in parts[1:]:
                    joined = _join(joined, part)
                return joined
            return None
        if isinstance(node, ast.Name):
            bound = self.bound.get(node.id, [])
            if len(bound) == 1 and bound[0] is not None:
                return self.resolve(bound[0], depth + 1)
            return None
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and self._is_parse_args(node.value.id)
        ):
            return self.options.get(node.attr)
        return None

    def outermost(self, node: ast.AST) -> ast.AST:
        """The whole path expression ``node`` is a part of (``out / "m.json"`` for the literal)."""
        while True:
            parent = self.parents.get(node)
            divided = isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div)
            joined = (
                isinstance(parent, ast.Call)
                and node in parent.args
                and _call_name(parent) in (*_PATH_CALLS, "os.path.join", "str", "os.fspath")
            )
            formatted = isinstance(parent, ast.JoinedStr)  # f"{out}/metrics.json": unknown
            if parent is None or not (divided or joined or formatted):
                return node
            node = parent

    def uses(self, expression: ast.AST) -> list[ast.AST]:
        """Where the value of ``expression`` goes: itself, or the uses of the name bound to it."""
        parent = self.parents.get(expression)
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            if isinstance(target, ast.Name) and len(self.bound.get(target.id, [])) == 1:
                loads = [
                    self.outermost(node)
                    for node in self.parents
                    if isinstance(node, ast.Name)
                    and node.id == target.id
                    and isinstance(node.ctx, ast.Load)
                ]
                return loads or [expression]
        return [expression]


def _join(left: str | None, right: str | None) -> str | None:
    if left is None or right is None:
        return None
    return right if right.startswith("/") else f"{left.rstrip('/')}/{right}" if left else right


def _relative(path: str) -> str | None:
    """A repository-relative path, or None for an absolute or escaping one."""
    import posixpath

    if not path or path.startswith(("/", "~")) or "\\" in path:
        return None
    normal = posixpath.normpath(path)
    return None if normal == ".." or normal.startswith("../") else normal


@dataclass(frozen=True)
class MetricsInScript:
    """A file a train script writes: ``path``, or ``unknown`` (the code it is in)."""

    path: str | None
    unknown: str | None = None


def metrics_in_script(script: TrainScript) -> MetricsInScript | None:
    """The metrics file ``script`` writes, read from its code (None: it names none).

    Only simple code is read (see :class:`_ScriptPaths`); a metrics file name used where its
    folder cannot be known (``Path(cfg.out) / "metrics.json"``) is ``unknown``, never guessed.
    """
    return _paths_in_script(script, lambda base: _METRICS_NAME.fullmatch(base) is not None)


def paths_in_script(script: TrainScript, name: str) -> MetricsInScript | None:
    """Where ``script`` puts a file whose last path component is ``name`` (``model_uri.txt``).

    The same reading as :func:`metrics_in_script`: ``path`` when every use of the name
    resolves to the one repository-relative path, ``unknown`` (the line) when one does not or
    they differ, None when the script never names it.
    """
    return _paths_in_script(script, lambda base: base == name)


def _paths_in_script(script: TrainScript, matches: Callable[[str], bool]) -> MetricsInScript | None:
    text = read(script.path)
    try:
        tree = ast.parse(text or "")
    except SyntaxError:
        return None
    paths = _ScriptPaths(tree, script.argv)
    found: set[str] = set()
    unknown: str | None = None
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and matches(node.value.rsplit("/", 1)[-1])
        ):
            continue
        parent = paths.parents.get(node)
        option = paths.parents.get(parent) if isinstance(parent, ast.keyword) else None
        for use in paths.uses(paths.outermost(node)):
            if (
                option in paths.dests
                and isinstance(parent, ast.keyword)
                and parent.arg == "default"
            ):
                resolved = paths.options.get(paths.dests[option])  # the value the command gives
            else:
                resolved = paths.resolve(use)
            relative = _relative(resolved) if resolved is not None else None
            if relative is None:
                unknown = unknown or f"line {getattr(use, 'lineno', '?')}: {ast.unparse(use)}"
            else:
                found.add(relative)
    if unknown is not None or len(found) > 1:
        return MetricsInScript(None, unknown or ", ".join(sorted(found)))
    return MetricsInScript(found.pop()) if found else None


def _artifact_dirs(root: Path, scripts: list[Path]) -> list[str]:
    """Model folders a training script writes into (models/, model/, artifacts/)."""
    found = []
    for script in scripts:
        text = read(script) or ""
        for name in ("models", "model", "artifacts"):
            if re.search(rf"""["']{name}(/[^"']*)?["']""", text):
                found.append(f"{name}/")
                break
    return list(dict.fromkeys(found))


def suggested_threshold(metrics: Mapping[str, Any]) -> Threshold | None:
    """A threshold from a metrics file in the repo: 10% worse than the committed value."""
    for names, direction in ((_HIGHER, "min"), (_LOWER, "max")):
        for key, value in metrics.items():
            leaf = key.rsplit(".", 1)[-1].lower()
            if leaf not in names or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if "." in key and key.split(".", 1)[0].lower() in ("train", "training"):
                continue  # a training-set score is not what the gate should judge
            raw = value * 0.9 if direction == "min" else value * 1.1
            return Threshold(metric=key, direction=direction, bound=round(raw, 3))
    return None


# --------------------------------------------------------------------------- install


def _requirements_files(root: Path) -> list[str]:
    """requirements*.txt at the root, else in requirements/, else in src/."""
    for folder, pattern in (
        (root, "requirements*.txt"),
        (root / "requirements", "*.txt"),
        (root / "src", "requirements*.txt"),
    ):
        files = sorted(
            (p for p in folder.glob(pattern) if p.is_file()),
            key=lambda p: (p.stem not in ("requirements", "base"), p.name),
        )
        files = [p for p in files if not re.search(r"docs?\b", p.stem)]
        if files:
            return [p.relative_to(root).as_posix() for p in files]
    return []


def _requirement_lines(root: Path, files: list[str]) -> list[str]:
    lines: list[str] = []
    for name in files:
        lines += (read(root / name) or "").splitlines()
    return lines


def _conda_pip_part(doc: Any) -> tuple[list[str], list[str]]:
    """(pip requirements, skipped conda-only packages) of a conda environment file."""
    requirements: list[str] = []
    skipped: list[str] = []
    for dep in (doc.get("dependencies") or []) if isinstance(doc, dict) else []:
        if isinstance(dep, dict):
            requirements += [str(p) for p in dep.get("pip") or []]
            continue
        spec = str(dep).split("::")[-1].strip()
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", spec)
        if not match:
            continue
        name, version = match.group(1), match.group(2).strip()
        if _CONDA_ONLY.match(name):
            if name not in ("python", "pip"):
                skipped.append(name)
            continue
        name = _CONDA_TO_PYPI.get(name, name)
        if version.startswith("=") and not version.startswith("=="):
            version = version[1:].split("=", 1)[0]
            version = f"=={version}" if version.count(".") >= 2 else f"=={version}.*"
        requirements.append(f"{name}{version}")
    return requirements, skipped


# a conda pip list's entry that installs the project itself: ".", "-e .", ".[dev]"
_PROJECT_ITSELF = re.compile(r"^(?:(?:-e|--editable)(?:\s+|=))?\./?(?:\[[\w,\s-]*\])?$")


def _option_words(requirement: str) -> list[str] | None:
    """``-e .`` → ``["-e", "."]``: a pip option line is several words on a command line."""
    if not requirement.strip().startswith("-"):
        return None
    try:
        return shlex.split(requirement)
    except ValueError:
        return None


def _quote_all(items: Iterable[str]) -> str:
    return " ".join(shlex.quote(item) for item in items)


@dataclass(frozen=True)
class _Install:
    kind: str
    requirements: list[str]
    command: str | None
    warnings: list[str]


def detect_install(
    root: Path,
    pyproject: Mapping[str, Any] | None,
    *,
    tools: list[str],
    conda_file: str | None,
) -> _Install:
    """How the jobs install the project so that every tool in ``tools`` exists."""
    warnings: list[str] = []
    project = pyproject.get("project", {}) if pyproject else {}
    groups = pyproject.get("dependency-groups", {}) if pyproject else {}
    groups = groups if isinstance(groups, dict) else {}

    def missing(provided: set[str]) -> list[str]:
        return [t for t in tools if model_name(t.split("[", 1)[0]) not in provided]

    def group_names(names: Iterable[str]) -> set[str]:
        lines: list[str] = []
        for name in names:
            lines += [g for g in groups.get(name, []) if isinstance(g, str)]
        return _names(lines)

    project_deps = _names(d for d in project.get("dependencies", []) if isinstance(d, str))

    if pyproject is not None and (root / "uv.lock").is_file():
        provided = project_deps | group_names(groups)
        extra = missing(provided)
        lines = [
            "python -m pip install uv",
            "uv sync --locked --all-groups",
            'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"',
        ]
        if extra:
            lines.insert(2, f"uv pip install --python .venv {_quote_all(extra)}")
        return _Install("uv", [], " && ".join(lines), warnings)

    if (root / "poetry.lock").is_file():
        poetry = pyproject.get("tool", {}).get("poetry", {}) if pyproject else {}
        provided = project_deps | _names(poetry.get("dependencies", {}) or {})
        for group in (poetry.get("group", {}) or {}).values():
            if isinstance(group, dict):
                provided |= _names(group.get("dependencies", {}) or {})
        extra = missing(provided)
        lines = [
            "python -m pip install poetry",
            "poetry config virtualenvs.in-project true",
            "poetry install --no-interaction --all-groups",
            'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"',
        ]
        if extra:
            lines.insert(3, f".venv/bin/python -m pip install {_quote_all(extra)}")
        return _Install("poetry", [], " && ".join(lines), warnings)

    files = _requirements_files(root)
    if files:
        extra = missing(_names(_requirement_lines(root, files)))
        if not extra:
            return _Install("requirements", files, None, warnings)
        sources = " ".join(f"-r {shlex.quote(f)}" for f in files)
        command = f"python -m pip install {sources} {_quote_all(extra)}"
        return _Install("requirements", [], command, warnings)

    packaged = pyproject is not None and ("project" in pyproject or "build-system" in pyproject)
    optional = project.get("optional-dependencies", {}) or {}
    wanted_extras = [name for name in optional if name in ("dev", "test", "tests", "lint", "train")]
    conda_doc = load_yaml(root / conda_file) if conda_file is not None else None
    conda_requirements, skipped = _conda_pip_part(conda_doc)
    conda_installs_project = any(_PROJECT_ITSELF.match(r.strip()) for r in conda_requirements)

    if packaged and not (
        conda_file is not None and (not project.get("dependencies") or conda_installs_project)
    ):
        wanted_groups = [name for name in groups if name in ("dev", "test", "tests", "lint")]
        provided = project_deps | group_names(wanted_groups)
        for name in wanted_extras:
            provided |= _names(d for d in optional[name] if isinstance(d, str))
        extra = missing(provided)
        target = "." + (f"[{','.join(wanted_extras)}]" if wanted_extras else "")
        lines = []
        words = ["python", "-m", "pip", "install"]
        if wanted_groups:
            lines.append('python -m pip install --upgrade "pip>=25.1"')  # PEP 735 --group
            for name in wanted_groups:
                words += ["--group", name]
        words.append(target)
        command = " ".join(shlex.quote(w) for w in words)
        if extra:
            command += " " + _quote_all(extra)
        lines.append(command)
        if conda_file is not None:
            warnings.append(
                f"{conda_file} is not installed: the install step installs pyproject.toml's "
                f"dependencies; set install.command if the training needs {conda_file}'s packages"
            )
        return _Install("pyproject", [], " && ".join(lines), warnings)

    if conda_file is not None:
        # the conda file's pip-installable part; with a pyproject.toml that declares no
        # dependencies (or that the conda file installs itself) it is what the project needs
        provided = _names(conda_requirements)
        if packaged and not conda_installs_project:
            target = "." + (f"[{','.join(wanted_extras)}]" if wanted_extras else "")
            conda_requirements.append(target)
        if packaged:
            provided |= project_deps
            for name in wanted_extras:
                provided |= _names(d for d in optional[name] if isinstance(d, str))
        conda_requirements += missing(provided)
        if skipped:
            warnings.append(
                f"{conda_file}: installed with pip (its conda-only packages "
                f"{', '.join(skipped)} are not); set install.command to use micromamba instead"
            )
        else:
            warnings.append(f"{conda_file}: its packages are installed with pip from PyPI")
        if not conda_requirements:
            return _Install("conda", [], None, warnings)
        words = [w for r in conda_requirements for w in (_option_words(r) or [r])]
        return _Install("conda", [], f"python -m pip install {_quote_all(words)}", warnings)

    python_env = load_yaml(root / "python_env.yaml")
    if isinstance(python_env, dict):
        requirements = [str(d) for d in python_env.get("dependencies") or []]
        requirements += missing(_names(requirements))
        if requirements:
            return _Install(
                "python_env", [], f"python -m pip install {_quote_all(requirements)}", warnings
            )

    if tools:
        return _Install("none", [], f"python -m pip install {_quote_all(tools)}", warnings)
    return _Install("none", [], None, warnings)


# --------------------------------------------------------------------------- lint


def _setup_cfg_has(root: Path, name: str, section: str) -> bool:
    text = read(root / name)
    if text is None:
        return False
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return False
    return parser.has_section(section)


def detect_lint(root: Path, pyproject: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(lint commands, the tools they need)."""
    if (root / ".pre-commit-config.yaml").is_file():
        return ["pre-commit run --all-files --show-diff-on-failure"], ["pre-commit"]
    if (
        (root / "ruff.toml").is_file()
        or (root / ".ruff.toml").is_file()
        or (pyproject is not None and "ruff" in pyproject.get("tool", {}))
    ):
        return ["ruff check ."], ["ruff"]
    if (
        (root / ".flake8").is_file()
        or _setup_cfg_has(root, "setup.cfg", "flake8")
        or _setup_cfg_has(root, "tox.ini", "flake8")
    ):
        return ["flake8"], ["flake8"]
    return [], []


# --------------------------------------------------------------------------- detect


def detect(root: Path, *, train_command: str | None = None) -> Detected:
    """Look at the repository and return what a config for it should say.

    ``train_command`` is the user's (``--train-command``): the metrics file and the model's
    files are then read from the script it runs, not from the detected one.
    """
    from mlci.errors import UsageError
    from mlci.metrics import load_metrics

    pyproject = load_toml(root / "pyproject.toml")
    placeholders: list[Placeholder] = []
    warnings: list[str] = []

    tests, test_warnings = detect_tests(root)
    warnings += test_warnings
    lint_commands, tools = detect_lint(root, pyproject)
    if any(tests.values()):
        tools.append("pytest")

    # --- training: DVC pipeline, then MLproject, then a train script
    dvc = detect_dvc(root)
    mlproject_command, mlproject_missing, env_file = _mlproject_command(root)
    conda_file = next(
        (
            name
            for name in (env_file, "environment.yml", "environment.yaml", "conda.yaml", "conda.yml")
            if name and (root / name).is_file() and name != "python_env.yaml"
        ),
        None,
    )
    command: str | None = None
    scripts = [root / name for name in _TRAIN_SCRIPTS]
    scripts += sorted((root / "src").glob("*/train.py"))
    scripts += [root / name for name in _MORE_TRAIN_SCRIPTS]
    scripts = [p for p in scripts if p.is_file()]
    if dvc is not None and dvc.stages:
        stage = dvc.metrics_stage or dvc.model_stage
        command = f"dvc repro {stage}" if stage else "dvc repro"
    elif mlproject_command:
        command = mlproject_command
        if mlproject_missing:
            placeholders.append(
                Placeholder(
                    "train.command",
                    f"MLproject's entry point needs {', '.join(mlproject_missing)} (no default): "
                    "add the values to train.command",
                )
            )
    elif "train" in make_targets(root):
        command = "make train"  # the recipe has its arguments; make is on GitHub's runners
    elif scripts:
        script = scripts[0]
        rel = script.relative_to(root).as_posix()
        command = f"python {rel}"
        parts = script.relative_to(root).parts
        if len(parts) == 3 and parts[0] == "src" and (script.parent / "__init__.py").is_file():
            command = f"python -m {parts[1]}.train"  # src layout: the installed package
        needed = required_arguments(script)
        if needed:
            placeholders.append(
                Placeholder(
                    "train.command",
                    f"{rel} needs the arguments {', '.join(needed)}: add them to train.command",
                )
            )
    # what the metrics and the model's files are read from: the script of the command that
    # will run (the user's --train-command, else the detected one)
    script_run = train_script(root, train_command or command or "")

    # --- metrics and the model's files
    metrics_file = DEFAULT_METRICS_FILE
    metrics_found = False
    artifacts: list[str] = []
    in_script = metrics_in_script(script_run) if script_run is not None else None
    if dvc is not None and dvc.metrics:
        metrics_file, metrics_found = dvc.metrics[0], True
    elif in_script is not None and in_script.path is not None:
        metrics_file, metrics_found = in_script.path, True
    if not metrics_found:
        if in_script is not None and in_script.unknown is not None and script_run is not None:
            rel = script_run.path.relative_to(root).as_posix()
            message = (
                f"{rel} writes a metrics file at a path init cannot read from the code "
                f"({in_script.unknown}): set train.metrics_file to the path it writes "
                "(relative to the repository)"
            )
        else:
            message = (
                f"no metrics file found (none declared in dvc.yaml or named by the train "
                f"script): make the training write {DEFAULT_METRICS_FILE} (JSON, e.g. "
                '{"accuracy": 0.91}) or set train.metrics_file'
            )
        placeholders.append(Placeholder("train.metrics_file", message))
    if dvc is not None and dvc.model_paths:
        artifacts = [p for p in dvc.model_paths if p not in dvc.metrics]
    else:
        artifacts = _artifact_dirs(root, [script_run.path] if script_run is not None else [])

    threshold = None
    if metrics_found and (root / metrics_file).is_file():
        try:
            threshold = suggested_threshold(load_metrics(root / metrics_file))
        except UsageError:
            threshold = None

    # --- install (after everything that names a tool)
    data_pull = None
    train_secrets: list[str] = []
    if dvc is not None:
        pull_from = dvc.remote
        extra = pull_from.extra if pull_from is not None else ""
        tools.append(f"dvc[{extra}]" if extra else "dvc")
        if pull_from is not None:
            data_pull = "dvc pull"
            train_secrets = pull_from.secrets
            if pull_from.only_local:
                warnings.append(
                    f"DVC remote {pull_from.name!r} is only in .dvc/config.local, which git does "
                    "not carry to the runner: add it to .dvc/config, or dvc pull fails there"
                )
            elif pull_from.scheme and not train_secrets:
                warnings.append(
                    f"DVC remote {pull_from.name!r} is {pull_from.scheme}://: if dvc pull needs "
                    "credentials there, add them as repository secrets named in secrets.train"
                )
    install = detect_install(root, pyproject, tools=tools, conda_file=conda_file)
    warnings += install.warnings

    python_version = detect_python(
        root, pyproject, load_yaml(root / conda_file) if conda_file else None
    )

    remote = _git(root, "config", "--get", "remote.origin.url")
    repo_name = re.sub(r"\.git$", "", remote.rstrip("/").rsplit("/", 1)[-1]) if remote else None
    project_name = pyproject.get("project", {}).get("name") if pyproject else None
    name = model_name(
        repo_name or (project_name if isinstance(project_name, str) else "") or root.resolve().name
    )
    branch = _git(root, "symbolic-ref", "--short", "HEAD") or "main"

    return Detected(
        install_kind=install.kind,
        requirements=install.requirements,
        install_command=install.command,
        tests=tests,
        python_version=python_version,
        dvc=dvc is not None,
        data_pull=data_pull,
        dockerfile=(root / "Dockerfile").is_file(),
        train_command=command,
        lint_commands=lint_commands,
        model=name,
        metrics_file=metrics_file,
        metrics_found=metrics_found,
        threshold=threshold,
        artifacts=artifacts,
        train_secrets=train_secrets,
        branch=branch if re.match(r"^[A-Za-z0-9._/-]+$", branch) else "main",
        placeholders=placeholders,
        warnings=warnings,
    )
