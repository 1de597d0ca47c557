"""The package layout reads like the pipeline, and imports go only downward (issue 18).

LAYERS lists reportgen's packages and top-level modules from the bottom (core) to the top
(cli). A module may import its own layer and the layers below, never one above; the
module-level imports have no cycle; at most ten modules sit at the top of reportgen/.
Written by the restructure script; docs/contributing.md says where things live.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reportgen"
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("catalogs",),
    ("inventory",),
    ("config",),
    ("ownership",),
    ("matrix_schema",),  # the contract: the pack reader holds earlier packs' matrices to it
    ("pack",),
    ("evidence",),
    ("artefacts",),
    ("config_checks", "inputs"),
    ("compute",),
    ("matrix",),
    ("render",),
    ("tickets",),
    ("explain",),
    ("pipeline",),
    ("cli",),
    ("launch",),  # the installed command: the CLI, imported under its own Ctrl-C guard
    ("__main__",),
]
MAX_TOP_LEVEL_MODULES = 10  # besides __init__ and __main__


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, module_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported module or module.name) of every reportgen import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "reportgen" or node.module.startswith("reportgen."):
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("reportgen")]
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # reportgen itself (its __version__): below everything
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    return None


def test_every_top_level_module_and_package_has_a_layer():
    top = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    top |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    listed = {name for names in LAYERS for name in names}
    assert top == listed


def test_at_most_ten_modules_at_the_top():
    modules = [p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")]
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, sorted(modules)


def test_imports_go_only_downward():
    modules = _modules()
    upward = []
    for module, path in modules.items():
        own = _layer(module)
        for line, name in _imports(path):
            target = _resolve(name, modules)
            if target is None or target == module:
                continue
            theirs = _layer(target)
            if theirs is not None and own is not None and theirs > own:
                where = f"{path.relative_to(PACKAGE.parent)}:{line}"
                upward.append(f"{where}: {module} imports {target}")
    assert upward == []


def test_no_import_cycles():
    """Among module-level imports (a function's own import is how a cycle is broken)."""
    modules = _modules()
    graph = {
        module: {_resolve(name, modules) for _, name in _imports(path, module_level_only=True)}
        - {None, module, "reportgen"}
        for module, path in modules.items()
    }
    # A package's __init__ is imported with any of its modules: count it as an edge only
    # when named. Find a cycle by depth-first search, colouring nodes.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, " -> ".join(cycle)
