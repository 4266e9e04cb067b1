"""The Lightning layer's house plan: sub-packages by job, imports pointing one way, no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "imbalance_torch" / "lightning"
PACKAGE = "imbalance_torch.lightning"
# a sub-package may import those listed after it, never those before (commands on top)
ORDER = ["commands", "compare", "top", "model", "datamodule", "tables", "strategies", "_files"]
TOP = {"cli", "config_guard", "scoring", "threads", "__init__"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join((PACKAGE, *parts)).removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {  # imports under `if TYPE_CHECKING:` never run
        id(n) for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for target in (node.module, *(f"{node.module}.{a.name}" for a in node.names)):
                if target in modules and target != name:
                    found.add(target)
    return found


def _group(module: str) -> str:
    rest = module.removeprefix(PACKAGE).lstrip(".")
    head = rest.split(".")[0] if rest else "__init__"
    return "top" if head in TOP else head


def test_no_import_cycle():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items() if not m.endswith(PACKAGE)}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_imports_point_down():
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        if module == PACKAGE:
            continue  # the package's lazy export table names every layer
        group = _group(module)
        for target in _imports(module, path, modules):
            if ORDER.index(_group(target)) < ORDER.index(group):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_compare_neither_parses_arguments_nor_prints():
    for path in (ROOT / "compare").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "print" not in names and "argparse" not in imported, path


@pytest.mark.xfail(strict=False, reason="issue 19: the files over ~450 lines are not all split yet (listed in the failure)")
def test_no_module_over_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 460}
    assert long == {}
