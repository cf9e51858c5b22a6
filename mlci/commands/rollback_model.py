"""``mlci rollback-model``: give a stage back to the version that held it before."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.commands import Result
from mlci.commands._registry import open_registry
from mlci.names import stage_for

if TYPE_CHECKING:
    from mlci.registry import Promotion


@dataclass(frozen=True)
class RollbackModelResult(Result):
    model: str
    stage: str
    promotion: Promotion
    #: The image recorded with the restored version (``name@sha256:…``), if any.
    image: str | None = None

    def _line(self) -> str:
        p = self.promotion
        return f"{self.model} {self.stage}: {p.previous} → {p.version}"

    def render_text(self) -> str:
        image = f"image: {self.image}\n" if self.image else ""
        return f"rolled back {self._line()}\n{image}"

    def render_markdown(self) -> str:
        return f"### Rolled back `{self.model}` {self.stage}: {self.promotion.previous} → " + (
            f"{self.promotion.version}\n"
        )

    def outputs(self) -> Mapping[str, str]:
        p = self.promotion
        return {
            "model_version": p.version,
            "previous_version": p.previous or "",
            "image": self.image or "",
        }


def run(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    stage: str,
    push: bool = False,
) -> RollbackModelResult:
    """Roll ``stage`` back one step; nothing to roll back to raises CheckFailed."""
    ctx = open_registry(
        model=model,
        config_path=config_path,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        push=push,
    )
    name = stage_for(stage, ctx.stages)
    promotion = ctx.registry.rollback(ctx.model, name)
    restored = next(
        (v for v in ctx.registry.versions(ctx.model) if v.version == promotion.version), None
    )
    image = restored.files.image if restored is not None and restored.files else None
    return RollbackModelResult(model=ctx.model, stage=name, promotion=promotion, image=image)
