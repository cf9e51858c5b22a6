"""``python -m mlci``: ``mlci check`` answers from ``.mlci/`` before click is even imported."""

from __future__ import annotations

import sys


def run() -> None:
    """Entry point that keeps an unchanged ``mlci check`` free of heavy imports."""
    from mlci import state

    fast = state.fast_main(sys.argv[1:])
    if fast is not None:
        raise SystemExit(fast)
    from mlci.cli import main

    raise SystemExit(main())


if __name__ == "__main__":
    run()
