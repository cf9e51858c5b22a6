"""``mlci models``: a model's versions, the stages they hold, and the stage history."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.commands import Result
from mlci.commands._registry import metrics_line, open_registry

if TYPE_CHECKING:
    from mlci.registry import ModelVersion, StageEvent


@dataclass(frozen=True)
class ModelsResult(Result):
    model: str
    backend: str
    versions: Sequence[ModelVersion]
    history: Sequence[StageEvent]
    as_json: bool = False

    def render_text(self) -> str:
        if self.as_json:
            data = {
                "model": self.model,
                "backend": self.backend,
                "versions": [
                    {**dataclasses.asdict(v), "files": v.files.to_dict() if v.files else None}
                    for v in self.versions
                ],
                "history": [dataclasses.asdict(e) for e in self.history],
            }
            return json.dumps(data, indent=2, default=str) + "\n"
        lines = [f"{self.model} ({self.backend}): {len(self.versions)} version(s)"]
        for v in self.versions:
            stages = f" [{', '.join(v.stages)}]" if v.stages else ""
            verdict = f" validation={v.validation}" if v.validation else ""
            lines.append(f"  {v.version}{stages}{verdict}  {metrics_line(v.metrics)}")
            if v.files is not None:
                lines.append(f"    files: {v.files.manifest.summary()}, store {v.files.store}")
                if v.files.image:
                    lines.append(f"    image: {v.files.image}")
        lines.append("history:")
        if not self.history:
            lines.append("  (no stage changes yet)")
        for e in self.history:
            was = f" (was {e.previous})" if e.previous else ""
            who = f" by {e.actor}" if e.actor else ""
            lines.append(f"  {e.timestamp}  {e.action:<8} {e.stage}: {e.version}{was}{who}")
        return "\n".join(lines) + "\n"


def run(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    fetch: bool = False,
    as_json: bool = False,
) -> ModelsResult:
    """Read the versions and the history of the model."""
    ctx = open_registry(
        model=model,
        config_path=config_path,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        fetch=fetch,
    )
    return ModelsResult(
        model=ctx.model,
        backend=ctx.registry.backend,
        versions=ctx.registry.versions(ctx.model),
        history=ctx.registry.history(ctx.model),
        as_json=as_json,
    )
