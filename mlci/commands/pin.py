"""``mlci pin``: refresh the commit SHAs the workflows pin actions to, then regenerate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import pin, update
from mlci.commands import Result
from mlci.errors import UsageError
from mlci.state import LOCK, root_of


@dataclass(frozen=True)
class PinResult(Result):
    """Not ok when regenerating left a conflict or did not overwrite a hand-edited file."""

    changes: Sequence[pin.PinChange]
    lock_written: bool
    plan: update.Plan

    @property
    def ok(self) -> bool:
        return update.failure(self.plan) is None

    def render_text(self) -> str:
        lines = [change.render() for change in self.changes]
        lines.append(f"{'wrote' if self.lock_written else 'unchanged'} {LOCK}")
        lines += [generated.describe() for generated in self.plan.changes]
        return "\n".join(lines) + "\n"

    def failure(self) -> str:
        return update.failure(self.plan) or ""


def run(
    *,
    config_path: Path,
    specs: Sequence[str] = (),
    mlci: bool = False,
    mlci_version: str | None = None,
    remote_base: str = pin.DEFAULT_REMOTE_BASE,
) -> PinResult:
    """Resolve the pins, write ``.mlci/pins.lock.json`` and regenerate."""
    from mlci.config import load
    from mlci.lockfile import load_pins, write_lock

    if not remote_base.strip():
        raise UsageError("--remote-base is empty; give a URL such as https://github.com")
    config = load(config_path).config
    root = root_of(config_path)
    shipped = load_pins()
    lock, changes = pin.resolve(
        root=root,
        shipped=shipped,
        specs=specs,
        mlci_repository=config.actions.repository,
        mlci_ref=config.actions.ref,
        mlci=mlci,
        mlci_version=mlci_version,
        remote_base=remote_base,
    )
    written = write_lock(root, lock)
    return PinResult(
        changes=changes, lock_written=written, plan=update.generate(config_path=config_path)
    )
