"""mlci: a complete, secure CI/CD pipeline on GitHub Actions for an ML repository."""

from __future__ import annotations

__version__ = "0.1.0"
