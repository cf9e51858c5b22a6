"""YAML text for values from ``mlci.yaml``: the one way config values reach a workflow.

Templates never splice a config value into YAML text by hand. Every scalar goes
through :func:`yaml_scalar` (a value after ``key: `` or ``- ``), every key through
:func:`yaml_key`, every command or newline-separated list through :func:`yaml_run`
(a literal block when that represents the text exactly, else a quoted scalar), and
every secret reference through :func:`yaml_secret`. Each choice is checked by
reading the text back with a YAML 1.2 and a YAML 1.1 parser (and libyaml, whose
scanner go-yaml and so actionlint share): a form is used only when all return
exactly the value that went in. The quoted form comes from
ruamel.yaml's emitter (double quotes, escapes for control and line-break
characters, never folded).
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

# Plain (unquoted) scalars are allowed only for this conservative shape, and only when
# they read back as the same string under YAML 1.2 and 1.1 (so no yes/on/null/dates/numbers).
_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@+=,-]*( [A-Za-z0-9_./@+=,-]+)*$")
_SECRET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words YAML 1.1 or 1.2 may read as something other than a string (a sieve before the check).
_SPECIAL = re.compile(
    r"^(?:[-+]?(?:\.?\d[\d._]*(?:[eE][-+]?\d+)?|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)|"
    r"0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|"
    r"true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|"
    r"null|Null|NULL|~|[\d:.]+)$"
)
# Longest implicit key YAML allows (1024 characters, counted generously).
_MAX_KEY = 1000


class EmitError(ValueError):
    """A value that cannot be written where a template puts it (a bug in a template)."""


class _LibYAML:
    """libyaml (PyYAML's C loader): the scanner go-yaml (actionlint) was ported from."""

    def load(self, text: str) -> Any:
        import yaml

        return yaml.load(text, Loader=yaml.CSafeLoader)  # the safe C loader


@functools.cache
def _loaders() -> tuple[Any, ...]:
    import yaml
    from ruamel.yaml import YAML

    yaml12 = YAML(typ="safe", pure=True)
    yaml11 = YAML(typ="safe", pure=True)
    yaml11.version = (1, 1)
    return (yaml12, yaml11, _LibYAML()) if yaml.__with_libyaml__ else (yaml12, yaml11)


@functools.cache
def _quoter() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_style = '"'  # type: ignore[assignment]
    yaml.width = 2**30  # never fold: a quoted scalar stays on one line
    yaml.allow_unicode = True
    return yaml


def reads_back(document: str, expected: object) -> bool:
    """Whether YAML 1.2, 1.1 (and libyaml, if present) read ``document`` as ``expected``."""
    for loader in _loaders():
        try:
            value = loader.load(document)
        except Exception:  # any parser error (YAMLError, a bad date...) means "not this form"
            return False
        if value != expected or type(value) is not type(expected):
            return False
    return True


def _quoted(text: str) -> str:
    out = io.StringIO()
    _quoter().dump(text, out)
    quoted = out.getvalue().rstrip("\n")
    if "\n" in quoted or not reads_back(f"k: {quoted}\n", {"k": text}):
        raise EmitError(f"cannot write {text[:40]!r} as a YAML scalar")
    return quoted


def _plain_candidate(text: str) -> bool:
    """Plain style as ruamel's emitter would allow it in block context (a first sieve)."""
    if not text or text != text.strip() or not text.isprintable():
        return False
    if text[0] in "-?:,[]{}#&*!|>'\"%@`" and not (text[0] in "-?:" and text[1:2] not in ("", " ")):
        return False
    return ": " not in text and " #" not in text and not text.endswith(":")


@functools.lru_cache(maxsize=4096)
def _string(text: str, plain: bool) -> str:
    candidate = _plain_candidate(text) if plain else bool(_PLAIN.match(text))
    if candidate and not _SPECIAL.match(text) and reads_back(f"k: {text}\n", {"k": text}):
        return text
    return _quoted(text)


def yaml_scalar(value: object, plain: bool = False) -> str:
    """``value`` as a one-line YAML scalar: plain when that reads back unchanged, else quoted.

    Strings stay strings (``"yes"``, ``"1.10"``, ``"2024-02-30"`` are quoted); ``bool`` and
    ``int`` are written as YAML booleans and integers. Plain style is tried for words,
    paths and commands only, unless ``plain`` (the template's own expression text, e.g.
    an ``if:`` condition that holds a quoted value) allows any plain scalar that reads back.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise EmitError(f"yaml_scalar takes a string, a bool or an int, got {type(value).__name__}")
    return _string(value, plain)


def yaml_key(value: object) -> str:
    """``value`` as a mapping key (one line, quoted unless plain reads back unchanged)."""
    if not isinstance(value, str):
        raise EmitError(f"yaml_key takes a string, got {type(value).__name__}")
    key = _string(value, False)
    if len(key) > _MAX_KEY:
        raise EmitError(f"key {value[:40]!r}... is too long for a YAML key")
    return key


def yaml_secret(name: object) -> str:
    """``${{ secrets.NAME }}`` for a validated secret name, as a scalar."""
    if not isinstance(name, str) or not _SECRET.match(name):
        raise EmitError(f"{str(name)[:40]!r} is not a secret name")
    return yaml_scalar(f"${{{{ secrets.{name} }}}}", plain=True)


def _literal(text: str, indent: int) -> str | None:
    """``text`` as a literal block scalar whose lines sit at column ``indent``, if exact."""
    if not text or indent < 2 or "\ufeff" in text:
        return None  # a raw U+FEFF (byte order mark) stops zizmor's YAML parser: quote it
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    if trailing > 1:
        return None  # "|+" would also keep the blank lines a template puts after the block
    chomp = "-" if trailing == 0 else ""
    lines = body.split("\n")
    first = next((line for line in lines if line), "")
    # A first line that starts with a space or a tab needs an explicit indentation
    # indicator (libyaml and go-yaml refuse a tab while they detect the indentation).
    indicator = "2" if first.startswith((" ", "\t")) or not first else ""
    pad = " " * indent
    rendered = [pad + line if line else "" for line in lines]
    block = f"|{indicator}{chomp}\n" + "\n".join(rendered)
    parent = " " * (indent - 2)
    if not reads_back(f"{parent}k: {block}\n", {"k": text}):
        return None
    return block


def yaml_run(value: object, indent: int) -> str:
    """A command (or newline-separated list) for ``key: `` whose block lines sit at ``indent``.

    A simple one-line command stays plain; anything else is a literal block (``|`` or
    ``|-``, with an indentation indicator when the first line starts with a space) when
    that reads back as exactly ``value``, else a one-line quoted scalar. (``|+`` is never
    used: it would also keep blank lines that follow the block in the template.)
    The key must sit at column ``indent - 2``.
    """
    if not isinstance(value, str):
        raise EmitError(f"yaml_run takes a string, got {type(value).__name__}")
    plain = yaml_scalar(value)
    if "\n" not in value and plain == value:
        return plain  # a simple one-line command stays on the key's line
    return _literal(value, indent) or plain


def yaml_lines(values: list[str], indent: int) -> str:
    """A newline-separated list (``path:`` of upload-artifact, ``cache-dependency-path:``)."""
    return yaml_run("\n".join(values) + "\n", indent)


def yaml_comment(text: str) -> str:
    """`` # text`` on the same line, or nothing when ``text`` could not be one comment line."""
    if not text or any(ch in text for ch in "\r\n\x85\u2028\u2029") or not text.isprintable():
        return ""
    return f" # {text}"


FILTERS = {
    "yaml_scalar": yaml_scalar,
    "yaml_key": yaml_key,
    "yaml_run": yaml_run,
    "yaml_lines": yaml_lines,
    "yaml_secret": yaml_secret,
}
