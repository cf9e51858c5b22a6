"""``mlci register-model``: record a trained model as a new version, with its metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import files
from mlci.commands import Result
from mlci.commands._registry import metrics_line, open_registry
from mlci.errors import UsageError

if TYPE_CHECKING:
    from mlci.registry import ModelVersion


@dataclass(frozen=True)
class RegisterModelResult(Result):
    model: str
    backend: str
    version: ModelVersion

    @property
    def _commit(self) -> str:
        """The commit, shortened, when the git backend recorded one."""
        if self.backend == "git" and self.version.commit:
            return self.version.commit[:12]
        return ""

    def _where(self) -> str:
        return f" at {self._commit}" if self._commit else ""

    def _verdict(self) -> str:
        return f", validation {self.version.validation}" if self.version.validation else ""

    def _reuse_note(self) -> str | None:
        if not self.version.reused:
            return None
        return (
            f"{self.model} {self.version.version} already registers commit {self._commit}; "
            "the git registry keeps one version per commit, so this run's metrics are not "
            "recorded (commit the data or code change to register a new version)"
        )

    def render_text(self) -> str:
        outcome = "kept" if self.version.reused else "registered"
        return (
            f"{outcome} {self.model} {self.version.version}{self._where()}{self._verdict()}\n"
            f"metrics: {metrics_line(self.version.metrics)}\n"
        )

    def render_markdown(self) -> str:
        return (
            f"### Registered `{self.model}` {self.version.version}\n\n"
            f"Backend: {self.backend}{self._where()}{self._verdict()}\n"
        )

    def outputs(self) -> Mapping[str, str]:
        return {"model_version": self.version.version}

    def remarks(self) -> Sequence[str]:
        note = self._reuse_note()
        return (f"note: {note}",) if note else ()

    def warnings(self) -> Sequence[str]:
        note = self._reuse_note()
        return (note,) if note else ()


def read_source_file(path: Path) -> str:
    """The model URI the training wrote into ``path`` (its first non-empty line)."""
    text = files.read_text(
        path,
        what="model URI file",
        missing="no such file; the training must write the URI of the model it logged "
        "there (train.model_uri_file in mlci.yaml)",
    )
    lines = [line.strip() for line in text.splitlines()]
    source = next((line for line in lines if line), "")
    if not source:
        raise UsageError(f"{path}: is empty; expected a model URI such as models:/m-... ")
    return source


def run(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    metrics_path: Path,
    report_path: Path | None = None,
    source: str | None = None,
    version: str | None = None,
    push: bool = False,
) -> RegisterModelResult:
    """Register the model: a GTO tag (git) or a model version (mlflow), with its facts.

    ``source`` ``@FILE`` reads the model URI from the first line of FILE.
    A failed verdict in ``report_path`` or a lost tag race raises
    :class:`mlci.errors.CheckFailed`.
    """
    from mlci.metrics import load_metrics
    from mlci.registry import load_report

    metrics = load_metrics(metrics_path)
    validation = load_report(report_path) if report_path is not None else None
    if source and source.startswith("@"):
        source = read_source_file(Path(source[1:]))
    ctx = open_registry(
        model=model,
        config_path=config_path,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        push=push,
    )
    registered = ctx.registry.register(
        ctx.model,
        metrics=metrics,
        source=source or None,
        version=version or None,
        validation=validation,
    )
    return RegisterModelResult(model=ctx.model, backend=ctx.registry.backend, version=registered)
