"""``mlci retrain-trigger``: should continuous training retrain the model now?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import trigger
from mlci.commands import Result

_LISTED = 20


@dataclass(frozen=True)
class RetrainTriggerResult(Result):
    """Always ok: retrain or not, the answer is the output ``should_train``."""

    decision: trigger.Decision

    def _should(self) -> str:
        return "true" if self.decision.should_train else "false"

    def render_text(self) -> str:
        d = self.decision
        lines = [f"should_train: {self._should()}", f"reason: {d.reason}"]
        if d.changed:
            lines.append("changed:")
            lines += [f"  {name}" for name in d.changed[:_LISTED]]
            if len(d.changed) > _LISTED:
                lines.append(f"  ... and {len(d.changed) - _LISTED} more")
        return "\n".join(lines) + "\n"

    def render_markdown(self) -> str:
        d = self.decision
        verdict = "retrain" if d.should_train else "no retrain"
        lines = [
            f"### retrain-trigger: {verdict}",
            "",
            f"`should_train={self._should()}` — {d.reason}",
        ]
        if d.changed:
            lines += ["", "Changed files:", ""]
            lines += [f"* `{name}`" for name in d.changed[:_LISTED]]
            if len(d.changed) > _LISTED:
                lines.append(f"* … and {len(d.changed) - _LISTED} more")
        for warning in d.warnings:
            lines += ["", f"Warning: {warning}"]
        return "\n".join(lines) + "\n"

    def outputs(self) -> Mapping[str, str]:
        return {"should_train": self._should(), "reason": self.decision.reason}

    def remarks(self) -> Sequence[str]:
        return tuple(f"warning: {w}" for w in self.decision.warnings)

    def warnings(self) -> Sequence[str]:
        return self.decision.warnings

    def notes(self) -> Sequence[str]:
        return (self.decision.reason,)


def run(
    *, config_path: Path = Path("mlci.yaml"), force: bool = False, root: Path = Path(".")
) -> RetrainTriggerResult:
    """Load ``mlci.yaml``, open its registry and decide (``force``: retrain, reason forced)."""
    from mlci import config as config_module
    from mlci.registry import from_config

    loaded = config_module.load(config_path)
    if force:
        return RetrainTriggerResult(decision=trigger.forced(config=loaded.config))
    trigger.check_supported(loaded.config)
    trigger.head_commit(root)  # a checkout with a commit, before asking any registry
    registry = from_config(loaded, root=root)
    return RetrainTriggerResult(
        decision=trigger.decide(config=loaded.config, root=root, registry=registry)
    )
