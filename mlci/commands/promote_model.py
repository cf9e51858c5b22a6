"""``mlci promote-model``: move a stage (alias) to a version, recording the previous holder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.commands import Result
from mlci.commands._registry import open_registry
from mlci.names import stage_for

if TYPE_CHECKING:
    from mlci.registry import Promotion


@dataclass(frozen=True)
class PromoteModelResult(Result):
    model: str
    promotion: Promotion
    to_stage: str
    from_stage: str | None
    #: the version's recorded verdict: "passed", "failed" (never promoted) or None (none)
    validation: str | None = "passed"

    def _unvalidated(self) -> str | None:
        if self.validation is not None:
            return None
        return (
            f"{self.model} {self.promotion.version} has no recorded validation verdict "
            "(registered without --report): nothing shows it passed the gate"
        )

    def remarks(self) -> Sequence[str]:
        note = self._unvalidated()
        return (f"warning: {note}",) if note else ()

    def warnings(self) -> Sequence[str]:
        note = self._unvalidated()
        return (note,) if note else ()

    def render_text(self) -> str:
        p = self.promotion
        if not p.changed:
            return f"{self.model} {p.version} already holds {self.to_stage}; nothing to do\n"
        origin = f"{self.from_stage} → " if self.from_stage else ""
        was = f" (previous: {p.previous})" if p.previous else " (the stage was empty)"
        return f"promoted {self.model} {p.version}: {origin}{self.to_stage}{was}\n"

    def render_markdown(self) -> str:
        p = self.promotion
        return f"### `{self.model}` {p.version} → {self.to_stage}\n\n" + (
            f"Previous: {p.previous or 'none'}\n" if p.changed else "Already there.\n"
        )

    def outputs(self) -> Mapping[str, str]:
        p = self.promotion
        return {"model_version": p.version, "previous_version": p.previous or ""}


def run(
    *,
    model: str | None,
    config_path: Path | None,
    backend: str | None,
    root: Path,
    tracking_uri: str | None,
    version: str,
    to_stage: str,
    from_stage: str | None = None,
    copy_to_stage_models: bool = False,
    push: bool = False,
) -> PromoteModelResult:
    """Promote ``version`` to ``to_stage`` (staging/production map through registry.stages).

    A refusal (not in ``from_stage``, a failed verdict, a lost race) raises
    :class:`mlci.errors.CheckFailed` and changes nothing.
    """
    ctx = open_registry(
        model=model,
        config_path=config_path,
        backend=backend,
        root=root,
        tracking_uri=tracking_uri,
        push=push,
        copy_to_stage_models=copy_to_stage_models,
    )
    to = stage_for(to_stage, ctx.stages)
    frm = stage_for(from_stage, ctx.stages) if from_stage else None
    promotion = ctx.registry.promote(ctx.model, version, to_stage=to, from_stage=frm)
    # A version registered without --report can be promoted (the pipeline always passes one);
    # say that nothing shows it passed the gate.
    verdict = ctx.registry.get(ctx.model, promotion.version).validation
    return PromoteModelResult(
        model=ctx.model, promotion=promotion, to_stage=to, from_stage=frm, validation=verdict
    )
