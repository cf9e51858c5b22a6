"""One module per command; each has the same shape.

Every subcommand ``mlci <name>`` has its module ``mlci/commands/<name>.py``
(dashes become underscores: ``validate-model`` is ``validate_model.py``). It
exposes a keyword-only
``run(...) -> <Name>Result`` that never prints, never exits and never takes a
click context. Its result is a frozen dataclass subclassing :class:`Result`;
:func:`mlci.cli._publish` (``_publish(run, "<name>", **options)``) is the one
place that calls ``run``, prints its result, writes ``$GITHUB_OUTPUT`` /
``$GITHUB_STEP_SUMMARY`` / annotations (an error ``run`` raises too) inside
GitHub Actions, and picks the exit code.

A command module holds what is particular to the command: gathering its inputs
(reading ``mlci.yaml``, opening the registry), calling the domain modules
(:mod:`mlci.gate`, :mod:`mlci.trigger`, :mod:`mlci.update`, :mod:`mlci.registry`,
...), and the text, Markdown and outputs of its result. Errors are raised
(:class:`mlci.errors.UsageError` and friends, exit 2) or returned as a result
that is not ``ok`` (exit 1).

A command never imports another command: what two of them share lives in a
private module here (``_registry.py``: the registry commands' registry and
names; ``_rollout.py``: the rollout commands' result and registry move;
``_doctor.py``: the checks of ``doctor`` that ``init`` runs too) or in a domain
module. ``tests/test_imports.py`` checks both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlci.errors import EXIT_FAILED, EXIT_OK


@dataclass(frozen=True)
class Result:
    """What a command found. Subclasses add their own fields and override the renderers."""

    @property
    def ok(self) -> bool:
        """``False`` when a gate said no (exit 1). Subclasses decide."""
        return True

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED

    def render_text(self) -> str:
        """What the terminal shows (stdout), ending in a newline or empty."""
        return ""

    def render_markdown(self) -> str:
        """The job summary inside GitHub Actions; empty writes none."""
        return ""

    def outputs(self) -> Mapping[str, str]:
        """Step outputs (``$GITHUB_OUTPUT``) inside GitHub Actions."""
        return {}

    def remarks(self) -> Sequence[str]:
        """Lines for stderr besides the result, e.g. ``note: ...`` or ``warning: ...``."""
        return ()

    def warnings(self) -> Sequence[str]:
        """Facts worth an ``::warning::`` annotation inside Actions."""
        return ()

    def notes(self) -> Sequence[str]:
        """Facts worth an ``::notice::`` annotation inside Actions."""
        return ()

    def failures(self) -> Sequence[str]:
        """Reasons for a "no", each an ``::error::`` annotation inside Actions."""
        return ()

    def failure(self) -> str:
        """The one line printed to stderr when :attr:`ok` is false."""
        reasons = list(self.failures())
        return reasons[0] if len(reasons) == 1 else f"{len(reasons)} checks failed"
