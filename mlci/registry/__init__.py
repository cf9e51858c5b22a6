"""Model registries behind one small interface.

Backends: ``git`` (default; GTO-compatible tags in the repository, no server)
and ``mlflow`` (aliases on a tracking server). Chosen by ``registry.backend``
in mlci.yaml. The contract every backend keeps:

* ``register`` creates a new version and records its metrics, source and
  validation verdict with it.
* ``resolve`` answers the version that holds a stage (alias) and its metrics.
* ``promote`` moves a stage to a version, check-and-set, recording the
  previous holder so that ``rollback`` can restore it. Promoting the version
  that already holds the stage changes nothing.
* ``history`` is append-only: a rollback is a new event, never an erasure.

Unreachable servers, unknown models, versions or stages raise
:class:`mlci.errors.UsageError` (exit 2); refusals (a failed verdict, a
version not in the from-stage, a lost race) raise
:class:`mlci.errors.CheckFailed` (exit 1). Nothing is changed then.

Open a backend with :func:`open_registry` or :func:`from_config`; the mlflow
backend imports MLflow only when it is opened.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import UsageError
from mlci.names import check_name
from mlci.registry.base import (
    TOKEN_ENV,
    TRACKING_URI_ENV,
    Backend,
    ModelVersion,
    Promotion,
    Registry,
    StageEvent,
    load_report,
)

if TYPE_CHECKING:
    from mlci.config import Config, LoadedConfig

# --------------------------------------------------------------------------- factories


def open_registry(
    *,
    backend: str,
    root: Path,
    tracking_uri: str | None = None,
    push: bool = False,
    fetch: bool | None = None,
    token: str | None = None,
    remote: str = "origin",
    copy_to_stage_models: bool = False,
    stages: Sequence[str] = (),
) -> Registry:
    """Open a registry backend.

    ``git``: tags in the repository at ``root``; ``push`` fetches the tags of
    ``remote`` before changing anything and pushes what it creates (``token``
    authenticates to github.com); ``fetch`` (default: ``push``) fetches them
    before reading too. ``mlflow``: the tracking server at
    ``tracking_uri`` (default ``$MLFLOW_TRACKING_URI``); with
    ``copy_to_stage_models`` every promotion also copies the version into the
    registered model ``<model>-<stage>``. ``stages``: the stage names
    ``registry.stages`` gives the roles, known before any version holds them
    (a name close to a known stage is refused as a typo).
    """
    if backend == "git":
        from mlci.registry.git import GitRegistry

        return GitRegistry(
            root=root, push=push, fetch=fetch, token=token, remote=remote, stages=stages
        )
    if backend == "mlflow":
        from mlci.registry.mlflow import MlflowRegistry

        uri = tracking_uri or os.environ.get(TRACKING_URI_ENV, "")
        return MlflowRegistry(
            tracking_uri=uri, copy_to_stage_models=copy_to_stage_models, stages=stages
        )
    raise UsageError(f"unknown registry backend {backend!r}: use git or mlflow")


def from_config(
    config: Config | LoadedConfig | None,
    *,
    root: Path | None = None,
    tracking_uri: str | None = None,
    push: bool = False,
    fetch: bool | None = None,
    token: str | None = None,
    copy_to_stage_models: bool = False,
) -> Registry:
    """The registry ``mlci.yaml`` names (git in ``root`` when there is no config)."""
    backend = "git"
    stages: tuple[str, ...] = ()
    if config is not None:
        cfg: Any = getattr(config, "config", config)
        backend = str(cfg.registry.backend)
        stages = (cfg.registry.stages.staging, cfg.registry.stages.production)
    return open_registry(
        backend=backend,
        root=root if root is not None else Path("."),
        tracking_uri=tracking_uri,
        push=push,
        fetch=fetch,
        token=token,
        copy_to_stage_models=copy_to_stage_models,
        stages=stages,
    )


__all__ = [
    "TOKEN_ENV",
    "TRACKING_URI_ENV",
    "Backend",
    "ModelVersion",
    "Promotion",
    "Registry",
    "StageEvent",
    "check_name",
    "from_config",
    "load_report",
    "open_registry",
]
