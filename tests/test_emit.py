"""mlci.emit: every config value reaches YAML text through an emitter and reads back exactly."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mlci import emit, overrides

# Strings that break hand-written YAML: indicators, YAML 1.1 words, dates, numbers,
# whitespace at the edges, blank lines, backslashes, unicode line breaks, control characters.
AWKWARD = [
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "true",
    "Y",
    "NULL",
    "1.10",
    "0o17",
    "0x1F",
    "1_000",
    "2024-02-30",
    "2024-02-03",
    "12:30:00",
    ".inf",
    ".",
    "-",
    "- x",
    "? x",
    ": x",
    "a: b",
    "a #b",
    "#x",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "'",
    '"',
    "%x",
    "@x",
    "`x",
    "[a]",
    "{a: b}",
    "a,b",
    " lead",
    "trail ",
    "\tlead",
    "trail\t",
    "",
    " ",
    "\n",
    "a\n",
    "a\n\n",
    "\na",
    "a\\",
    "a\\ \nb",
    "x\u2028y",
    "x\x85y",
    "x\ry",
    "\ufeffx",
    "x\x7fy",
    "x\x00y",
    "é",
    "日本",
    "${{ x }}",
]
TEXT = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(
        st.one_of(
            st.sampled_from(list(" \t\n\\:#-'\"{}[],&*!|>%@`?")),
            st.characters(codec="utf-8", exclude_categories=("Cs",)),
        ),
        max_size=40,
    ),
    st.lists(st.sampled_from([*AWKWARD, "python train.py", "echo a", ""]), max_size=5).map(
        "\n".join
    ),
)


def load12(text: str) -> object:
    return YAML(typ="safe", pure=True).load(text)


def load11(text: str) -> object:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    return yaml.load(text)


def both(text: str) -> list[object]:
    """YAML 1.2 and 1.1; libyaml (go-yaml's scanner) must agree with them."""
    import yaml

    values = [load12(text), load11(text)]
    assert yaml.load(text, Loader=yaml.CSafeLoader) == values[1]
    return values


@settings(max_examples=300, derandomize=True, deadline=None)
@given(TEXT)
@example("python -m pytest\n")  # tests.command: | (a trailing newline)
@example("  indented\ncommand")  # a command starting with spaces
@example("\tcat <<EOF\n\n\n\nEOF")  # blank lines inside a heredoc
@example("echo a\\ \necho b")  # a trailing "\ " before a newline
def test_scalars_keys_and_blocks_read_back_exactly(text: str) -> None:
    scalar = emit.yaml_scalar(text)
    assert "\n" not in scalar
    assert both(f"k: {scalar}\n") == [{"k": text}] * 2
    assert both(f"- {scalar}\n") == [[text]] * 2
    assert both(f"{emit.yaml_key(text)}: 1\n") == [{text: 1}] * 2
    for indent in (2, 10, 12):
        block = emit.yaml_run(text, indent)
        assert not block.endswith("\n")  # the template's own line break ends it
        parent = " " * (indent - 2)
        document = (
            f"a:\n{parent}k: {block}\n\n\n{parent}z: 1\n"
            if indent > 2
            else f"k: {block}\n\n\nz: 1\n"
        )
        expected = {"a": {"k": text, "z": 1}} if indent > 2 else {"k": text, "z": 1}
        assert both(document) == [expected] * 2, document


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("python train.py", "python train.py"),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("2024-02-30", '"2024-02-30"'),
        ("3.10", '"3.10"'),
        (".", '"."'),
        ("a: b", '"a: b"'),
        ("two\nlines.pkl", '"two\\nlines.pkl"'),
        (True, "true"),
        (120, "120"),
    ],
)
def test_scalar_forms(value: object, text: str) -> None:
    assert emit.yaml_scalar(value) == text


def test_commands_keep_every_character() -> None:
    # A trailing newline is kept (|), none is stripped (|-), several are quoted (a |+ block
    # would also take in the blank lines that follow it in a template).
    assert emit.yaml_run("python -m pytest\n", 10) == "|\n          python -m pytest"
    assert emit.yaml_run('pip install -e ".[train]"', 10) == (
        '|-\n          pip install -e ".[train]"'
    )
    assert emit.yaml_run("a\n\n", 4) == '"a\\n\\n"'
    # A first line that starts with spaces needs an indentation indicator.
    assert emit.yaml_run("  a\nb", 4) == "|2-\n      a\n    b"
    # Blank lines inside a heredoc stay (no collapsing of the rendered text).
    assert emit.yaml_run("cat <<EOF\n\n\n\nEOF\n", 4) == "|\n    cat <<EOF\n\n\n\n    EOF"
    # Trailing spaces are content: "echo a\ " stays, it does not become a continuation.
    assert load12("k: " + emit.yaml_run("echo a\\ \necho b\n", 2) + "\n") == {
        "k": "echo a\\ \necho b\n"
    }
    # Simple one-line commands stay on the key's line.
    assert emit.yaml_run("python train.py", 10) == "python train.py"


def test_secret_references_and_comments() -> None:
    assert emit.yaml_secret("HF_TOKEN") == "${{ secrets.HF_TOKEN }}"
    assert emit.yaml_key("null") == '"null"'
    with pytest.raises(emit.EmitError):
        emit.yaml_secret("not a name")
    assert emit.yaml_comment("v4.2.2") == " # v4.2.2"
    assert emit.yaml_comment("v1\nrun: evil") == ""


@settings(max_examples=100, derandomize=True, deadline=None)
@given(TEXT)
def test_override_values_survive_the_round_trip_of_overrides(text: str) -> None:
    body = (
        "jobs:\n  j:\n    runs-on: x\n    steps:\n      - id: s\n"
        f"        run: {emit.yaml_run(text, 10)}\n"
    )
    patched = overrides.apply(
        body,
        {"j": {"env": {"V": text, text: "k"}, "steps": {"s": {"name": text}}}},
        workflow="w",
        source="m",
    )
    for document in both(patched):
        assert isinstance(document, dict)
        job = document["jobs"]["j"]
        assert job["steps"][0] == {"id": "s", "run": text, "name": text}
        assert job["env"] == ({"V": text, text: "k"} if text != "V" else {"V": "k"})
