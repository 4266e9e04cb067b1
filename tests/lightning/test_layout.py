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
        id(n)
        for block in ast.walk(tree)
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


def test_model_and_datamodule_do_not_import_each_other():
    modules = _modules()
    crossing = [
        f"{module} imports {target}"
        for module, path in modules.items()
        for target in _imports(module, path, modules)
        if {_group(module), _group(target)} == {"model", "datamodule"}
    ]
    assert crossing == []


def _argparse_and_print(path: Path) -> tuple[bool, bool]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return "argparse" in imported, "print" in names


def test_compare_neither_parses_arguments_nor_prints():
    for path in (ROOT / "compare").rglob("*.py"):
        assert _argparse_and_print(path) == (False, False), path


def test_argument_parsing_stays_in_the_commands():
    # The layers below the commands take values, never a command line; scoring.py (the
    # predict command) and cli.py sit at the top beside the commands.
    below = [
        p
        for part in ("tables", "datamodule", "model", "compare", "strategies")
        for p in (ROOT / part).rglob("*.py")
    ]
    assert [str(p.relative_to(ROOT)) for p in below if _argparse_and_print(p)[0]] == []


@pytest.mark.xfail(
    strict=False,
    reason="issue 19: files others are still splitting (at 03:30: compare/statistics.py, "
    "datamodule/datamodule.py); the failure lists the offenders",
)
def test_no_module_over_450_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in ROOT.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 460
    }
    assert long == {}


def _long_functions(root: Path = ROOT) -> list[str]:
    """Functions over 60 lines (their docstring not counted) without ``# long: <reason>`` on
    the ``def`` line."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                length -= first.end_lineno - first.lineno + 1
            if length > 60 and "# long:" not in lines[node.lineno - 1]:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_function_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    short = "\n".join(f"    x{i} = {i}" for i in range(59))  # with its def line: 60
    (tmp_path / "long.py").write_text(
        f'def f():\n    """Doc."""\n{body}\n\n\ndef g():  # long: a reason\n{body}\n\n\n'
        f'def h():\n    """Doc\n    on two lines."""\n{short}\n'
    )
    assert _long_functions(tmp_path) == ["long.py:1 f (62 lines)"]


@pytest.mark.xfail(
    strict=False,
    reason="issue 19: functions in files others are still splitting (at 03:30: compare/arms.py, "
    "compare/plots.py, compare/render.py, datamodule/datamodule.py, model/module.py, "
    "tables/preprocessing.py); the failure lists the offenders",
)
def test_no_function_over_60_lines_without_a_reason():
    assert _long_functions() == []
