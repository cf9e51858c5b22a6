"""``mlci retrain-trigger``: should continuous training retrain the model now?"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import trigger
from mlci.commands import Result
from mlci.errors import UsageError

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
        if _shows_checks(d):
            lines.append("checks:")
            lines += [
                f"  {c.trigger}: {'fired' if c.fired else 'quiet'}: {c.reason}" for c in d.checks
            ]
        if d.drift is not None:
            lines.append("drift:")
            lines += [f"  {line}" for line in d.drift.render_text().splitlines()[1:]]
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
        if _shows_checks(d):
            lines += ["", "| trigger | fired | why |", "|---|---|---|"]
            lines += [
                f"| {c.trigger} | {'**yes**' if c.fired else 'no'} | {c.reason} |" for c in d.checks
            ]
        if d.drift is not None:
            lines += ["", d.drift.render_markdown().rstrip("\n")]
        for warning in d.warnings:
            lines += ["", f"Warning: {warning}"]
        return "\n".join(lines) + "\n"

    def outputs(self) -> Mapping[str, str]:
        return {
            "should_train": self._should(),
            "reason": self.decision.reason,
            "report": json.dumps(self.decision.to_json(), separators=(",", ":")),
        }

    def remarks(self) -> Sequence[str]:
        return tuple(f"warning: {w}" for w in self.decision.warnings)

    def warnings(self) -> Sequence[str]:
        return self.decision.warnings

    def notes(self) -> Sequence[str]:
        return (self.decision.reason,)


def _shows_checks(decision: trigger.Decision) -> bool:
    """More than the new-data check ran: list every check (new data alone says it all)."""
    return len(decision.checks) > 1 or any(c.trigger != "new_data" for c in decision.checks)


def run(
    *,
    config_path: Path = Path("mlci.yaml"),
    force: bool = False,
    root: Path = Path("."),
    inputs: trigger.Inputs | None = None,
    report_path: Path | None = None,
) -> RetrainTriggerResult:
    """Load ``mlci.yaml``, open its registry and decide (``force``: retrain, reason forced).

    ``inputs`` override ``trigger.*`` (``--reference``, ``--current``, ``--metrics``);
    ``report_path`` also receives the decision and every check as JSON.
    """
    from mlci import config as config_module
    from mlci.registry import from_config

    loaded = config_module.load(config_path)
    if force:
        decision = trigger.forced(config=loaded.config)
    else:
        trigger.check_supported(loaded.config, inputs)
        trigger.head_commit(root)  # a checkout with a commit, before asking any registry
        registry = from_config(loaded, root=root)
        decision = trigger.decide(config=loaded.config, root=root, registry=registry, inputs=inputs)
    if report_path is not None:
        try:
            report_path.write_text(
                json.dumps(decision.to_json(), indent=2) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise UsageError(f"{report_path}: cannot write the report: {exc.strerror}") from None
    return RetrainTriggerResult(decision=decision)
