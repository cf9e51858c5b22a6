"""``mlci doctor``: would each generated step run on this repository as it stands?

The checks live in :mod:`mlci.commands._doctor`, which ``mlci init`` runs on what
it wrote too.
"""

from __future__ import annotations

from pathlib import Path

from mlci.commands._doctor import DoctorResult, diagnose


def run(*, config_path: Path) -> DoctorResult:
    """Check the preconditions of every step ``config_path`` generates, in its folder."""
    from mlci import config as config_module

    loaded = config_module.load(config_path)
    root = config_path.parent if str(config_path.parent) else Path(".")
    return diagnose(config=loaded.config, root=root)


__all__ = ["DoctorResult", "run"]
