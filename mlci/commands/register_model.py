"""``mlci register-model``: record a trained model as a new version, with its metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import files, manifest, stores
from mlci.commands import Result
from mlci.commands._registry import DEFAULT_CONFIG, metrics_line, open_registry
from mlci.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from mlci.registry import ModelVersion
    from mlci.stores import Prepared
    from mlci.worktree import Tree


@dataclass(frozen=True)
class RegisterModelResult(Result):
    model: str
    backend: str
    version: ModelVersion
    #: The files this run found (their manifest may differ from a reused version's record).
    prepared: Prepared | None = None
    #: What the github-release store did ("" when nothing was uploaded).
    stored: str = ""
    #: How the working tree differed from the registered commit (None: not checked / clean).
    dirty: Tree | None = None
    #: The difference was let through in CI by --allow-dirty.
    dirty_allowed: bool = False

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

    def _files_note(self) -> str | None:
        """A reused version whose recorded files are not the ones this run produced."""
        files, prepared = self.version.files, self.prepared
        if not self.version.reused or prepared is None:
            return None
        if files is not None and files.digest == prepared.files.digest:
            return None
        return (
            f"this run's model files ({prepared.files.digest}) are not the ones recorded with "
            f"{self.model} {self.version.version} ({files.digest if files else 'none'}); "
            "deploys use the recorded ones"
        )

    def _files_line(self) -> str:
        files = self.version.files
        if files is None:
            return ""
        image = f"\nimage: {files.image}" if files.image else ""
        return f"files: {files.manifest.summary()}, store {files.store}{image}"

    def render_text(self) -> str:
        outcome = "kept" if self.version.reused else "registered"
        text = (
            f"{outcome} {self.model} {self.version.version}{self._where()}{self._verdict()}\n"
            f"metrics: {metrics_line(self.version.metrics)}\n"
        )
        if self._files_line():
            text += self._files_line() + "\n"
        if self.stored:
            text += f"store: {self.stored}\n"
        return text

    def render_markdown(self) -> str:
        files = f"\nModel {self._files_line()}\n" if self._files_line() else ""
        return (
            f"### Registered `{self.model}` {self.version.version}\n\n"
            f"Backend: {self.backend}{self._where()}{self._verdict()}\n{files}"
        )

    def outputs(self) -> Mapping[str, str]:
        outputs = {"model_version": self.version.version}
        if self.version.files is not None:
            outputs["digest"] = self.version.files.digest
            # The recorded image: a kept version deploys the image registered with it.
            outputs["image"] = self.version.files.image or ""
        return outputs

    def _dirty_note(self) -> str | None:
        if self.dirty is None:
            return None
        if self.dirty_allowed:
            return (
                f"registered from a working tree that is not commit {self.dirty.commit} "
                f"({self.dirty.describe(untracked=False)}): --allow-dirty"
            )
        return (
            f"the working tree is not commit {self.dirty.commit} ({self.dirty.describe()}): "
            "the version names a commit that did not train this model; commit first "
            "(in CI register-model refuses this without --allow-dirty)"
        )

    def remarks(self) -> Sequence[str]:
        dirty = self._dirty_note()
        return (f"warning: {dirty}",) * bool(dirty) + tuple(
            f"note: {n}" for n in (self._reuse_note(), self._files_note()) if n
        )

    def warnings(self) -> Sequence[str]:
        notes = (self._dirty_note(), self._reuse_note(), self._files_note())
        return tuple(n for n in notes if n)


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
    artifacts: Sequence[str] = (),
    store: str | None = None,
    ci: bool = False,
    allow_dirty: bool = False,
    image: str | None = None,
) -> RegisterModelResult:
    """Register the model: a GTO tag (git) or a model version (mlflow), with its facts.

    ``source`` ``@FILE`` reads the model URI from the first line of FILE.
    ``image`` (``name@sha256:…``, the serving image built from these files) is recorded
    with the files. A failed verdict in ``report_path`` or a lost tag race raises
    :class:`mlci.errors.CheckFailed`; so does, with ``ci`` and without ``allow_dirty``, a
    working tree whose tracked files differ from the commit registered
    (:mod:`mlci.worktree`); outside CI that is a warning.
    """
    from mlci.metrics import load_metrics
    from mlci.registry import load_report
    from mlci.registry.base import refuse_rejected

    metrics = load_metrics(metrics_path)
    validation = load_report(report_path) if report_path is not None else None
    if image:
        manifest.check_image(image)
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
    # Before the files are stored (dvc pushes them): a rejected model leaves nothing behind.
    refuse_rejected(ctx.model, validation)
    cfg = ctx.config
    model_files = list(artifacts) or (list(cfg.train.artifacts) if cfg is not None else [])
    dirty = _dirty_tree(
        root=root,
        head=ctx.registry.backend != "git" or (source or "HEAD") == "HEAD",
        outputs=[metrics_path.resolve(), *([report_path.resolve()] if report_path else [])]
        + [Path(a) for a in model_files],
        config=(config_path or Path(DEFAULT_CONFIG)).resolve() if cfg is not None else None,
    )
    if dirty is not None and dirty.changed and ci and not allow_dirty:
        raise CheckFailed(
            f"refusing to register from a working tree that is not commit {dirty.commit} "
            f"({dirty.describe(untracked=False)}): the version would name a commit that did not "
            "train this model; commit the changes, or pass --allow-dirty"
        )
    if dirty is not None and ci and not dirty.changed:
        dirty = None  # untracked files alone are what a CI job's tree holds
    # The model's files (train.artifacts or --artifacts): their manifest, and for dvc the push,
    # come before the version is recorded, so a record never names files that are not stored.
    prepared = stores.prepare(
        root=root,
        artifacts=model_files,
        store=store or (cfg.registry.store if cfg is not None else "auto"),
        backend=ctx.registry.backend,
        push=push,
    )
    if image:
        if prepared is None:
            raise UsageError(
                "--image is recorded with the model files: name them (train.artifacts in "
                "mlci.yaml or --artifacts)"
            )
        prepared = dataclasses.replace(
            prepared, files=dataclasses.replace(prepared.files, image=image)
        )
    registered = ctx.registry.register(
        ctx.model,
        metrics=metrics,
        source=source or None,
        version=version or None,
        validation=validation,
        files=prepared.files if prepared else None,
        files_root=prepared.root if prepared else None,
    )
    stored = ""
    recorded = registered.files
    if (
        prepared is not None
        and recorded is not None
        and recorded.store == "github-release"
        and recorded.digest == prepared.files.digest
    ):
        if push:
            stored = stores.publish(
                recorded, root=root, model=ctx.model, version=registered.version
            )
        else:
            stored = "files not uploaded: the tag was not pushed (--push uploads them)"
    return RegisterModelResult(
        model=ctx.model,
        backend=ctx.registry.backend,
        version=registered,
        prepared=prepared,
        stored=stored,
        dirty=dirty,
        dirty_allowed=dirty is not None and ci and allow_dirty,
    )


def _dirty_tree(*, root: Path, head: bool, outputs: list[Path], config: Path | None) -> Tree | None:
    """The working tree's difference from HEAD when the version names HEAD; None when clean,
    not a git work tree, or another commit is registered."""
    from mlci import worktree

    if not head:
        return None
    tree = worktree.inspect(root, outputs=outputs, config=config)
    return tree if tree is not None and not tree.clean else None
