"""Imports only ever point down the layers, and no modules import each other in a circle.

Every module of the `stylist` package is parsed (not imported) and every `import stylist...` /
`from stylist... import ...` in it is collected, including imports inside functions and under
`TYPE_CHECKING`: a function-level import is still a dependency, it only hides it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stylist

PACKAGE_ROOT = Path(stylist.__file__).resolve().parent

# Lowest first. A module may import from its own layer and the layers below it, never above.
LAYERS: list[set[str]] = [
    {"settings"},
    {"atomic", "process_cache", "layout", "wording", "latency"},
    {"catalog", "images"},
    # peers, but see FORBIDDEN_PEER_IMPORTS
    {"models", "vectorstore", "language", "accounts", "profile", "wardrobe"},
    {"tools"},
    {"agent"},
    {
        "ui",
        "api",
        "mcp",
        "mcp_server",
        "cli",
        "app_commands",
        "pipeline",
        "realeval",
        "chainlit",
        "install_status",
    },  # doors
]
FORBIDDEN_PEER_IMPORTS = {("models", "vectorstore")}  # the index builds on the models

# Imports that break the rule on purpose, each with its reason; an entry that no longer occurs
# fails the test, so the list cannot go stale. Each entry is (importing module, imported module).
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The stylist modules `name` imports; `from pkg import x` counts as pkg.x when that is a
    module, else as pkg (x is a name defined in pkg)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = name.split(".") if is_package else name.split(".")[:-1]
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            while parts and ".".join(parts) not in known:  # the longest module it names
                parts.pop()
            module = ".".join(parts)
            if module.startswith("stylist.") and module != name:
                found.add(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def layer_of(module: str) -> int:
    if module.endswith(".commands"):
        # A package's `commands` module is its part of the `stylist` CLI: a door, kept beside
        # the code it drives, so it may import from any layer.
        return len(LAYERS) - 1
    top = module.split(".")[1] if "." in module else ""
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"{module} is in no layer: add `{top}` to LAYERS in this test.")


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    found = set()
    for source, targets in graph.items():
        if source == "stylist":
            continue
        for target in targets:
            if target == "stylist":
                continue
            peers = (source.split(".")[1], target.split(".")[1])
            if layer_of(target) > layer_of(source) or peers in FORBIDDEN_PEER_IMPORTS:
                found.add((source, target))
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _without_known(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {s: {t for t in ts if (s, t) not in KNOWN_VIOLATIONS} for s, ts in graph.items()}


def test_every_module_is_in_a_layer():
    for module in import_graph():
        if module != "stylist":
            layer_of(module)


def test_no_import_points_up_the_layers():
    assert sorted(upward_imports(_without_known(import_graph()))) == []


def test_no_modules_import_each_other_in_a_circle():
    assert cycles(_without_known(import_graph())) == []


def test_known_violations_still_occur():
    graph = import_graph()
    stale = sorted(v for v in KNOWN_VIOLATIONS if v[1] not in graph.get(v[0], set()))
    assert stale == [], "these imports are gone: remove them from KNOWN_VIOLATIONS"


def test_the_checks_catch_a_cycle_and_an_upward_import():
    graph = {
        "stylist.models.a": {"stylist.models.b", "stylist.agent.graph"},
        "stylist.models.b": {"stylist.models.a", "stylist.settings"},
        "stylist.vectorstore.c": {"stylist.models.a"},
        "stylist.models.d": {"stylist.vectorstore.c"},
        "stylist.agent.graph": set(),
        "stylist.settings": set(),
    }
    assert cycles(graph) == [["stylist.models.a", "stylist.models.b"]]
    assert upward_imports(graph) == {
        ("stylist.models.a", "stylist.agent.graph"),
        ("stylist.models.d", "stylist.vectorstore.c"),
    }
