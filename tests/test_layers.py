"""The package is layered, and imports go one way only (issue: architecture).

language → shapes → rewriting → calculus → lowering → numeric | printers → api → cli,
with ``errors`` and ``resources`` beneath everything.  Every import of every
module is read from its source, the lazy ones inside functions included, and
the test fails on an import from a higher layer, on an import between the
two sibling layers (numeric and printers know nothing of each other), and on
any cycle among modules.  No module is over ~400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matcalc"

# Layer of each top-level part of the package; equal numbers are siblings.
LAYERS = {
    "errors": 0, "resources": 0, "recursion": 0,
    "language": 1,
    "shapes": 2,
    "rewriting": 3,
    "calculus": 4,
    "lowering": 4.5,                    # a derivation as array statements, for evaluate and the emitters
    "numeric": 5, "printers": 5,
    "compare": 5.5,                     # a hand-derived answer checked: numbers and printed verdicts
    "api": 6, "reading": 6,
    "service": 7,                       # one request → JSON, for the CLI and the page
    "cli": 8, "web": 8, "__main__": 8, "__init__": 8,
}
# Siblings that must know nothing of each other.
APART = {"numeric", "printers"}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def part_of(module: str) -> str:
    """``matcalc.rewriting.canon.sums`` → ``rewriting``; ``matcalc`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    return imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every matcalc module that ``source`` (of ``module``) imports, anywhere in it."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # "from .canon import canon": the module canon; "from . import ast": the module ast.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in MODULES and target != module}
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_part_has_a_layer():
    assert {part_of(module) for module in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_only(module):
    layer, part = LAYERS[part_of(module)], part_of(module)
    wrong = [target for target in sorted(GRAPH[module])
             if LAYERS[part_of(target)] > layer
             or (part_of(target) != part and {part, part_of(target)} <= APART)]
    assert not wrong, f"{module} (layer {layer}) imports from above or beside it: {wrong}"


def test_no_import_cycles():
    """Depth-first search over the module graph; a back edge is a cycle."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module):
        state[module], _ = "open", stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        state[module], _ = "done", stack.pop()

    for module in sorted(MODULES):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_the_walker_sees_lazy_imports():
    """The test itself would be worthless if it missed imports inside functions."""
    source = "def f():\n    from ..printers.text import to_text\n    from .. import api\n"
    assert imports_in(source, "matcalc.calculus.strategy") == {"matcalc.printers.text", "matcalc.api"}


# Inside calculus, the methods (calculus/methods/, SPEC §3 "Three methods") sit
# beneath the strategy and the backward sweep that call them: a method is handed
# the shared differential stage and a recorder, and imports neither.
METHODS_PACKAGE = "matcalc.calculus.methods"
ABOVE_THE_METHODS = {"matcalc.calculus.strategy", "matcalc.calculus.backprop"}


def test_methods_sit_beneath_the_strategy():
    methods = [module for module in MODULES if module == METHODS_PACKAGE or module.startswith(METHODS_PACKAGE + ".")]
    assert len(methods) >= 3, methods
    wrong = {module: sorted(GRAPH[module] & ABOVE_THE_METHODS) for module in methods if GRAPH[module] & ABOVE_THE_METHODS}
    assert not wrong, f"a method imports the strategy that calls it: {wrong}"
