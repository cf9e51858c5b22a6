"""What the registry commands share: finding the registry, the model and the stage names.

``register-model``, ``promote-model``, ``rollback-model`` and ``models`` read
``registry:`` from ``mlci.yaml`` when it is there (the git backend otherwise),
take the model name from ``--model`` or ``registry.model``, and map the roles
``staging`` / ``production`` through ``registry.stages``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import UsageError

if TYPE_CHECKING:
    from mlci.config import Config, Stages
    from mlci.registry import Registry

DEFAULT_CONFIG = "mlci.yaml"


@dataclass(frozen=True)
class RegistryContext:
    """An open registry, the model the command is about, and ``mlci.yaml`` if any."""

    registry: Registry
    model: str
    config: Config | None

    @property
    def stages(self) -> Stages | None:
        """``registry.stages`` (role → stage), when there is an mlci.yaml."""
        return self.config.registry.stages if self.config is not None else None


def open_registry(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    push: bool = False,
    fetch: bool | None = None,
    copy_to_stage_models: bool = False,
) -> RegistryContext:
    """Open the registry a registry command works on.

    ``config_path`` ``None`` (or ``mlci.yaml``) reads ``mlci.yaml`` when it
    exists; another file named must exist. ``backend`` (empty: from the config, else git)
    overrides ``registry.backend``. Inside GitHub Actions the push token
    (``$MLCI_GITHUB_TOKEN``) is masked before anything could print it.
    """
    from mlci import config as config_module
    from mlci import gha, git
    from mlci import registry as registry_module

    name = config_path if config_path is not None else Path(DEFAULT_CONFIG)
    cfg: Config | None = None
    # The default mlci.yaml may be absent (git backend); another file named must exist.
    if name != Path(DEFAULT_CONFIG) or name.is_file():
        cfg = config_module.load(name).config
    model = model or (cfg.registry.model if cfg is not None else None)
    if not model:
        raise UsageError("--model is required when there is no mlci.yaml (registry.model)")
    registry_module.check_name(model, what="model name")
    token = os.environ.get(registry_module.TOKEN_ENV) or None
    if token:
        gha.add_mask(git.basic_auth(token))
    registry = registry_module.open_registry(
        backend=backend or (cfg.registry.backend if cfg is not None else "git"),
        root=root,
        tracking_uri=tracking_uri or None,
        push=push,
        fetch=fetch,
        token=token,
        copy_to_stage_models=copy_to_stage_models
        or (cfg is not None and cfg.registry.copy_to_stage_models),
        stages=(cfg.registry.stages.staging, cfg.registry.stages.production)
        if cfg is not None
        else (),
    )
    return RegistryContext(registry=registry, model=model, config=cfg)


def metrics_line(metrics: Mapping[str, Any]) -> str:
    """The first six metrics, ``name=value``, and how many more there are."""
    shown = [f"{k}={v}" for k, v in list(dict(metrics).items())[:6]]
    more = len(dict(metrics)) - len(shown)
    return ", ".join(shown) + (f", +{more} more" if more > 0 else "")
