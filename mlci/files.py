"""Reading the files a user names, with one mapping of read failures to messages.

Every file mlci reads on the user's behalf (``mlci.yaml``, metrics, a
validation report, the model URI the training wrote, generated files) fails
the same way: one line naming the file and what is wrong with it (exit 2),
never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from mlci.errors import UsageError


def _read(
    path: Path,
    *,
    what: str,
    missing: str | None,
    directory: str | None,
    error: type[UsageError],
    newline: str | None,
    missing_ok: bool,
) -> str | None:
    try:
        with path.open(encoding="utf-8", newline=newline) as fh:
            return fh.read()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise error(f"{path}: {missing or f'no such {what}'}") from None
    except IsADirectoryError:
        raise error(f"{path}: {directory or f'is a directory, not a {what}'}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None


def read_text(
    path: Path,
    *,
    what: str,
    missing: str | None = None,
    directory: str | None = None,
    error: type[UsageError] = UsageError,
    newline: str | None = None,
) -> str:
    """The UTF-8 text of ``path``, a ``what`` (e.g. "metrics file"); any failure is ``error``.

    Messages: ``<path>: no such <what>`` (or ``missing``), ``is a directory,
    not a <what>`` (or ``directory``), ``is not UTF-8 text``, ``cannot read:
    <reason>``. ``newline=""`` keeps line endings as they are.
    """
    text = _read(
        path,
        what=what,
        missing=missing,
        directory=directory,
        error=error,
        newline=newline,
        missing_ok=False,
    )
    assert text is not None
    return text


def read_text_if_exists(
    path: Path,
    *,
    what: str,
    directory: str | None = None,
    newline: str | None = None,
) -> str | None:
    """Like :func:`read_text`, but ``None`` when ``path`` does not exist."""
    return _read(
        path,
        what=what,
        missing=None,
        directory=directory,
        error=UsageError,
        newline=newline,
        missing_ok=True,
    )


__all__ = ["read_text", "read_text_if_exists"]
