from __future__ import annotations

from mlci.cli import run

if __name__ == "__main__":
    run()
