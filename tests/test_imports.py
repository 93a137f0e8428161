"""The package's import graph: no cycle, and no import tucked into a function to dodge one.

The graph is read from the source (every `import` of an excel_bridge module, with the package __init__
files an import runs first); a fresh interpreter then imports each module alone, from a clean slate, which
is where a cycle that only works in one import order would break.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import source_trees
from factory import write_village

import excel_bridge

ROOT = Path(excel_bridge.__file__).parent
PACKAGE = "excel_bridge"


def module_files() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def _with_packages(name: str) -> set[str]:
    """A module and every package whose __init__ an import of it runs first."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts) + 1)}


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    if isinstance(node, ast.Import):
        names = {a.name for a in node.names}
    else:
        if node.level:
            base = module.split(".")
            is_package = MODULES[module].name == "__init__.py"
            base = base[:len(base) - node.level + (1 if is_package else 0)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = {prefix} | {f"{prefix}.{a.name}" for a in node.names}
    found = set()
    for name in names:
        if name in MODULES:
            found |= _with_packages(name)
    return found


def import_edges(module: str) -> tuple[set[str], set[str]]:
    """(modules imported when `module` is imported, modules imported only inside its functions)."""
    tree = source_trees.tree(MODULES[module])
    top: set[str] = set()
    local: set[str] = set()

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):  # an import under `if TYPE_CHECKING:` counts: a cycle for
            if isinstance(child, (ast.Import, ast.ImportFrom)):  # the checker is a cycle in the design
                (local if in_function else top).update(_targets(child, module))
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    walk(tree, False)
    own = _with_packages(module)  # its packages are already being imported when it runs
    return top - own, local - top - own


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def graph(*, with_local: bool) -> dict[str, set[str]]:
    out = {}
    for module in MODULES:
        top, local = import_edges(module)
        out[module] = top | (local if with_local else set())
    return out


def test_the_graph_reader_sees_the_imports_it_should():
    top, _ = import_edges("excel_bridge.returned.write")
    assert {"excel_bridge.check", "excel_bridge.ooxml", "excel_bridge.returned.plan",
            "excel_bridge.writers.common", "excel_bridge.writers"} <= top
    assert "excel_bridge.idcard" in import_edges("excel_bridge.validate")[0]  # from . import idcard
    _, local = import_edges("excel_bridge.cli")
    assert "excel_bridge.pipeline" in local
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    # an import under `if TYPE_CHECKING:` is an import (jobs names DepartmentList only for the checker)
    assert "excel_bridge.departments.model" in import_edges("excel_bridge.pipeline.jobs")[0]


def test_no_import_cycle():
    assert find_cycle(graph(with_local=False)) is None


def test_no_function_local_import_hides_a_cycle():
    """Imports inside functions are for start-up cost only (the CLI, reading without openpyxl): lifted to
    the top of their module, none of them would close a cycle."""
    assert find_cycle(graph(with_local=True)) is None


def test_every_module_imports_alone_in_a_fresh_interpreter():
    script = (
        "import importlib, sys\n"
        f"names = {sorted(MODULES)!r}\n"
        "failed = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m == 'excel_bridge' or m.startswith('excel_bridge.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {exc!r}')\n"
        "print('\\n'.join(failed))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
    assert len(MODULES) > 50


def test_no_module_imports_another_modules_private_names():
    """A name starting with "_" is its module's own: another module that needs it asks for a public one
    (departments/tables.py once imported read's _sheet_rows, _worksheet_names and _OLE_MAGIC)."""
    private = []
    for module, path in MODULES.items():
        for node in source_trees.nodes(path):
            if isinstance(node, ast.ImportFrom) and _targets(node, module):
                private += [f"{module}: {a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    assert private == []


def test_departments_use_the_village_stages_only_through_their_ports():
    """departments/ reaches intake, decisions and ingest through departments/ports.py alone: a narrow, named
    interface instead of reach-ins from every module of the package."""
    stages = {f"{PACKAGE}.{name}" for name in ("intake", "decisions", "ingest")}
    reaching = {module: sorted(import_edges(module)[0] & stages) for module in MODULES
                if module.startswith(f"{PACKAGE}.departments.") and module != f"{PACKAGE}.departments.ports"}
    assert {m: s for m, s in reaching.items() if s} == {}
    assert import_edges(f"{PACKAGE}.departments.ports")[0] >= stages


def test_a_worker_reading_files_loads_no_database_library():
    """Every worker imports pipeline.jobs when it starts (to read a file, write a returned copy): the store's
    names reach it only for the type checker, so SQLAlchemy (0.22 s of a 0.41 s import) loads only in a worker
    that writes the district's workbooks, when its first such job comes."""
    script = ("import sys, excel_bridge.pipeline.jobs\n"
              "print(','.join(m for m in ('sqlalchemy', 'pandas', 'excel_bridge.store') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_a_pass_on_a_sqlite_ledger_never_loads_the_postgresql_dialect(ws, config):
    """The ledger's JSON columns are JSONB on PostgreSQL through a type that imports that dialect only when a
    PostgreSQL ledger is used: a SQLite workspace's processes never load it, nor its drivers' modules (with them,
    a `process` run on a small district cost 2.18 s of CPU, without them 1.66 s: README § Performance)."""
    write_village(ws.town_inbox("马坝镇") / "石塘村.xlsx", config)
    script = ("import sys, datetime as dt\n"
              "from excel_bridge.workspace import Workspace\n"
              "from excel_bridge.pipeline import Processor\n"
              "from excel_bridge.pipeline.district import DistrictJob, district_job\n"
              "ws = Workspace.open(sys.argv[1])\n"
              "with Processor(ws, as_of=dt.date(2021, 12, 20)) as processor:\n"
              "    processor.run_pass(wait=0.05)\n"
              "district_job(DistrictJob(str(ws.root), ws.database(None), dt.date(2021, 12, 20)))\n"
              "print(len(ws.master_path.read_bytes()) > 0, ws.returned_copy_path('马坝镇', '石塘村', '石塘村.xlsx').is_file())\n"
              "print(','.join(sorted(m for m in sys.modules if m.startswith(('sqlalchemy.dialects.postgresql', 'psycopg')))))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(ws.root)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["True True", ""]
