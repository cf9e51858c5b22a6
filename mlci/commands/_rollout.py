"""What the rollout commands share: their result, the registry they move, and their setup.

``canary-deploy`` and ``blue-green-deploy`` read their section of
``deploy.production`` from ``mlci.yaml``, end in *promoted* or *rolled back*, and
after a promotion move the registry's production stage to the version rolled out
(a rollback leaves the registry untouched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.commands import Result
from mlci.deploy.report import interval_line, intervals_table
from mlci.deploy.rollout import Outcome
from mlci.errors import CheckFailed, MlciError


@dataclass(frozen=True)
class RegistryMove:
    """What happened to the registry's production stage after the rollout."""

    model: str
    version: str
    stage: str
    moved: bool
    previous: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class RolloutResult(Result):
    outcome: Outcome
    model_version: str | None = None
    registry: RegistryMove | None = None
    #: each interval was reported as it was judged (``on_interval``); the text is the verdict
    printed_live: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome.promoted and (self.registry is None or self.registry.error is None)

    @property
    def title(self) -> str:
        return "canary" if self.outcome.strategy == "canary" else "blue-green deployment"

    def _headline(self) -> str:
        o = self.outcome
        what = f" {self.model_version}" if self.model_version else ""
        if o.promoted:
            return f"{self.title}{what} promoted: {o.reason}"
        return f"{self.title}{what} rolled back at {o.reached}%: {o.reason}"

    def _rollback_line(self) -> str | None:
        o = self.outcome
        if o.rollback_ok is None:
            return None
        if o.rollback_ok:
            return "rollback: done — all traffic is back on the previous version"
        return f"rollback: FAILED — {o.rollback_error}; check the traffic split by hand"

    def _registry_line(self) -> str | None:
        r = self.registry
        if r is None:
            return None
        if r.error:
            return f"registry: {r.stage} NOT moved to {r.version}: {r.error}"
        if not r.moved:
            return f"registry: {r.model} {r.version} already holds {r.stage}"
        return f"registry: {r.model} {r.stage} → {r.version} (previous: {r.previous or 'none'})"

    def render_text(self) -> str:
        lines = [] if self.printed_live else [interval_line(r) for r in self.outcome.intervals]
        lines.append(self._headline())
        lines.extend(x for x in (self._rollback_line(), self._registry_line()) if x)
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        o = self.outcome
        icon = "✅" if o.promoted else "❌"
        parts = [
            f"### {icon} {self.title.capitalize()} {o.decision}"
            + (f": `{self.model_version}`" if self.model_version else ""),
            "",
            f"**Reason:** {o.reason}",
            "",
            f"Steps {', '.join(f'{w}%' for w in o.steps)} · reached {o.reached}% · "
            f"{len(o.intervals)} intervals · {o.seconds / 60:.1f} min",
            "",
        ]
        for line in (self._rollback_line(), self._registry_line()):
            if line:
                parts.extend([f"- {line}", ""])
        parts.append(intervals_table(o.intervals))
        return "\n".join(parts)

    def outputs(self) -> Mapping[str, str]:
        out = {"decision": self.outcome.decision, "reason": self.outcome.reason}
        if self.model_version:
            out["model_version"] = self.model_version
        return out

    def failures(self) -> Sequence[str]:
        if not self.outcome.promoted:
            return [self._headline()]
        if self.registry is not None and self.registry.error:
            return [str(self._registry_line())]
        return []

    def failure(self) -> str:
        reasons = list(self.failures())
        return reasons[0] if reasons else ""


def move_registry(
    registry: Any,
    *,
    model: str,
    version: str,
    to_stage: str,
    from_stage: str | None,
) -> RegistryMove:
    """Promote ``version`` to ``to_stage`` through the registry interface; failures are reported."""
    try:
        promotion = registry.promote(model, version, to_stage=to_stage, from_stage=from_stage)
    except (CheckFailed, MlciError) as exc:
        return RegistryMove(model, version, to_stage, moved=False, error=str(exc))
    return RegistryMove(
        model, promotion.version, to_stage, moved=bool(promotion.changed),
        previous=promotion.previous,
    )  # fmt: skip


@dataclass(frozen=True)
class RegistryTarget:
    """Where a promoted version is recorded: an open registry and the stage names."""

    registry: Any
    model: str
    to_stage: str
    from_stage: str | None


def setup(
    config_path: Path, section: str, *, model_version: str | None, no_registry: bool,
    from_stage: str, push: bool,
) -> tuple[Any, RegistryTarget | None]:  # fmt: skip
    """A rollout command's ``deploy.production.<section>`` and, unless ``no_registry`` or no
    ``model_version``, the registry its promotion moves: production (through
    ``registry.stages``), refused unless the version holds ``from_stage`` ('' for any)."""
    from mlci import config as config_module
    from mlci.commands._registry import open_registry
    from mlci.names import stage_for

    loaded = config_module.load(config_path)
    settings = getattr(loaded.config.deploy.production, section)
    if no_registry or not model_version:
        return settings, None
    ctx = open_registry(
        model=None, config_path=config_path, backend=None, root=Path("."),
        tracking_uri=None, push=push,
    )  # fmt: skip
    target = RegistryTarget(
        registry=ctx.registry,
        model=ctx.model,
        to_stage=stage_for("production", ctx.stages),
        from_stage=stage_for(from_stage, ctx.stages) if from_stage else None,
    )
    return settings, target


def record_promotion(
    outcome: Outcome, registry: RegistryTarget | None, model_version: str | None
) -> RegistryMove | None:
    """After a promotion, move the registry's production stage (a rollback leaves it)."""
    if not (outcome.promoted and registry is not None and model_version):
        return None
    return move_registry(
        registry.registry, model=registry.model, version=model_version,
        to_stage=registry.to_stage, from_stage=registry.from_stage,
    )  # fmt: skip
