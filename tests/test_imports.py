"""mlci's modules import each other without a circle.

Every ``import`` statement counts: module level, function level (kept for the
fast ``mlci check`` path) and ``if TYPE_CHECKING:`` blocks, because a circle
through any of them is a design circle. Only the implicit import of a parent
package when a submodule is imported is not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mlci

PACKAGE = Path(mlci.__file__).parent


def module_name(path: Path) -> str:
    parts = ["mlci", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The mlci modules ``name`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_function_level_and_type_checking_imports() -> None:
    # The gate's inputs import the registry inside a function, and config only for type hints.
    assert "mlci.registry" in GRAPH["mlci.gate.inputs"]
    assert "mlci.config" in GRAPH["mlci.gate.inputs"]
    assert "mlci.state" in GRAPH["mlci.__main__"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == []


def test_only_the_cli_imports_commands() -> None:
    importers = {
        name
        for name, deps in GRAPH.items()
        if not name.startswith("mlci.commands") and any(d.startswith("mlci.commands") for d in deps)
    }
    assert importers == {"mlci.cli"}


def commands_importing_commands(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Modules under ``mlci.commands`` that import a command module (``mlci.commands.<name>``,
    not the package and not a private ``_shared`` module) other than themselves."""
    commands = {
        name
        for name in graph
        if name.startswith("mlci.commands.") and not name.rpartition(".")[2].startswith("_")
    }
    return {
        name: deps & commands
        for name, deps in graph.items()
        if name.startswith("mlci.commands") and deps & commands
    }


def test_the_command_check_sees_a_command_importing_a_command() -> None:
    graph = {
        "mlci.commands": set(),
        "mlci.commands._shared": {"mlci.commands"},
        "mlci.commands.a": {"mlci.commands", "mlci.commands._shared"},
        "mlci.commands.b": {"mlci.commands.a"},
        "mlci.commands._c": {"mlci.commands.b"},
        "mlci.cli": {"mlci.commands.a", "mlci.commands.b"},
    }
    assert commands_importing_commands(graph) == {
        "mlci.commands.b": {"mlci.commands.a"},
        "mlci.commands._c": {"mlci.commands.b"},
    }


def test_commands_do_not_import_commands() -> None:
    # What two commands share lives in a private module (mlci/commands/_registry.py,
    # _rollout.py, _doctor.py) or outside mlci/commands: a command stays one file to read.
    assert "mlci.commands._rollout" in GRAPH["mlci.commands.canary_deploy"]
    assert commands_importing_commands(GRAPH) == {}
