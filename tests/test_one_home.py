"""One home for each fact: a name, a prefix or a state spelt in one module and used by name everywhere else
(issue 19). The package's source is parsed; a literal found outside its home fails with its module and line."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
import source_trees

import excel_bridge
from excel_bridge import workflow
from excel_bridge.workspace import NAME_BYTES, Workspace
from excel_bridge.writers.common import SPOOL_PREFIX, TEMP_PREFIX

ROOT = Path(excel_bridge.__file__).parent
CATALOGUE = "messages.py"  # Chinese text may name anything: it is what people read, not a fact the code uses


def _docstrings(path: Path) -> set[int]:
    """The string statements (docstrings, comments as strings) of a module: prose, not code."""
    return {id(node.value) for node in source_trees.nodes(path)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


@functools.cache
def literals() -> list[tuple[str, int, str]]:
    """(module path, line, text) of every string literal in the package's code, f-strings' parts included (read
    once, by the worker that runs these tests: not at import, which every worker's collection pays)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == CATALOGUE:
            continue
        prose = _docstrings(path)
        out += [(rel, node.lineno, node.value) for node in source_trees.nodes(path)
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose]
    return out


# fact → (its one home, whether a literal holds it)
FACTS = {
    "temporary prefix": ("writers/common.py", lambda s: TEMP_PREFIX in s),
    "row spool prefix": ("writers/common.py", lambda s: SPOOL_PREFIX in s),
    "hidden sheet's name": ("read.py", lambda s: "系统信息" in s),
    "a note file's name": ("workspace.py", lambda s: s.endswith(".txt") and s != ".txt"),
    "a state's name": ("workflow.py", lambda s: s in workflow.STATES or s == workflow.REMOVED),
}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_each_fact_is_spelt_in_its_home_only(fact):
    home, holds = FACTS[fact]
    spelt = {rel for rel, _, text in literals() if holds(text)}
    assert home in spelt, f"the {fact} is no longer spelt in {home}: the guard lost its fact"
    assert [(rel, line, text) for rel, line, text in literals() if holds(text) and rel != home] == []


def test_the_scan_sees_literals_inside_f_strings():
    assert ("workspace.py", "_说明") in {(rel, text) for rel, _, text in literals()}
    assert any(rel == "watch.py" and text == ".txt" for rel, _, text in literals())  # f"**/*{suffix}.txt"


LONG = "关于" + "某某村防止返贫动态监测对象信息采集表" * 12 + "（第二次修改后的最终版本）"


@pytest.mark.parametrize("note", ["unreadable", "not_applied", "wrong_town", "department"])
def test_a_very_long_file_name_gives_a_note_name_a_disk_takes(tmp_path, note):
    """Every note name comes from a Workspace method, each shortening the dropped file's name: a 400-byte
    name still gives a note that can be written (most disks take 255 bytes)."""
    ws = Workspace(tmp_path / "ws")
    name = LONG + ".xlsx"
    assert len(name.encode("utf-8")) > 255
    path = {"unreadable": lambda: ws.unreadable_note_path("马坝镇", "新塘村", name),
            "not_applied": lambda: ws.not_applied_note_path("马坝镇", None, name),
            "wrong_town": lambda: ws.wrong_town_note_path("大塘镇", name),
            "department": lambda: ws.department_note_path(LONG)}[note]()
    assert NAME_BYTES < len(path.name.encode("utf-8")) <= NAME_BYTES + 30 < 255
    assert path.name.startswith("关于某某村") and path.suffix == ".txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("说明", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "说明"
