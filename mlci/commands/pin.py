"""``mlci pin``: refresh the commit SHAs the workflows pin actions to, then regenerate.

With ``mlci_source`` (``--mlci-source DIR``, for mlci's maintainers) it refreshes a
checkout of mlci's source instead: the two pin tables and every pinned ``uses:`` line
of its composite actions and workflows (:func:`mlci.pin.refresh_source`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlci import pin, update
from mlci.commands import Result
from mlci.errors import UsageError
from mlci.state import LOCK, root_of

GOLDENS = Path("tests/golden")


@dataclass(frozen=True)
class PinResult(Result):
    """Not ok when regenerating left a conflict or did not overwrite a hand-edited file.

    ``plan`` is ``None`` for ``--mlci-source``, which regenerates nothing; ``written``
    then names the files of the source checkout that were rewritten.
    """

    changes: Sequence[pin.PinChange]
    lock_written: bool = False
    plan: update.Plan | None = None
    written: Sequence[Path] = ()
    goldens_stale: bool = False

    @property
    def ok(self) -> bool:
        return self.plan is None or update.failure(self.plan) is None

    def render_text(self) -> str:
        lines = [change.render() for change in self.changes]
        if self.plan is None:
            lines += [f"wrote {path.as_posix()}" for path in self.written]
            if not self.written:
                lines.append("unchanged: every table and uses: line already pins these commits")
        else:
            lines.append(f"{'wrote' if self.lock_written else 'unchanged'} {LOCK}")
            lines += [generated.describe() for generated in self.plan.changes]
        return "\n".join(lines) + "\n"

    def remarks(self) -> Sequence[str]:
        if not self.goldens_stale:
            return ()
        return (
            f"note: {GOLDENS.as_posix()} still pins the old commits; rewrite it with "
            "`python -m pytest tests/test_workflows.py --update-goldens` and review the diff",
        )

    def failure(self) -> str:
        return "" if self.plan is None else update.failure(self.plan) or ""


def run(
    *,
    config_path: Path,
    specs: Sequence[str] = (),
    mlci: bool = False,
    mlci_version: str | None = None,
    remote_base: str = pin.DEFAULT_REMOTE_BASE,
    mlci_source: Path | None = None,
) -> PinResult:
    """Resolve the pins, write ``.mlci/pins.lock.json`` and regenerate.

    With ``mlci_source``: resolve the pins of that checkout of mlci's source and
    rewrite its tables and pinned ``uses:`` lines, all or none; no mlci.yaml is read.
    """
    from mlci.config import load
    from mlci.lockfile import load_pins, write_lock

    if not remote_base.strip():
        raise UsageError("--remote-base is empty; give a URL such as https://github.com")
    if mlci_source is not None:
        if mlci or mlci_version is not None:
            raise UsageError(
                "--mlci-source refreshes mlci's own source, which pins no mlci actions; "
                "drop --mlci / --mlci-version"
            )
        if not mlci_source.is_dir():
            raise UsageError(f"--mlci-source {mlci_source}: no such folder")
        refresh = pin.refresh_source(root=mlci_source, specs=specs, remote_base=remote_base)
        pin.write_all(mlci_source, refresh.texts)
        return PinResult(
            changes=refresh.changes,
            written=list(refresh.texts),
            goldens_stale=pin.SHIPPED_TABLE in refresh.texts and (mlci_source / GOLDENS).is_dir(),
        )
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
