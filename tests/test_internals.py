"""The private names of openpyxl and XlsxWriter the product uses live in excel_bridge/internals.py only, the
libraries are pinned to the minor versions tested, and an upgrade that moves a name fails here, naming it."""

from __future__ import annotations

import ast
import re
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import openpyxl
import pytest
import source_trees
import xlsxwriter
from openpyxl.styles import Protection
from packaging.requirements import Requirement

import excel_bridge
from excel_bridge.internals import PRIVATE_NAMES, existing_cells, unlock_cells, xf_index

ROOT = Path(excel_bridge.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def _owners(tmp_path: Path) -> dict[str, object]:
    """A real object of each class whose private attribute the product uses."""
    wb = openpyxl.Workbook()
    ws = wb.active
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    owners = {"Workbook": wb, "Worksheet": ws, "Cell": ws.cell(row=1, column=1, value="x"), "Format": book.add_format()}
    book.close()
    return owners


@pytest.mark.parametrize("library,name", PRIVATE_NAMES)
def test_each_private_name_is_still_where_internals_expects_it(tmp_path, library, name):
    owner, attribute = name.split(".")
    if not hasattr(_owners(tmp_path)[owner], attribute):
        pytest.fail(f"{library} {version(library)} no longer has {name}: excel_bridge/internals.py must change "
                    f"before the pin in pyproject.toml is lifted")


@pytest.mark.parametrize("library", sorted({lib for lib, _ in PRIVATE_NAMES}))
def test_the_libraries_are_pinned_to_the_tested_minor_and_installed_within_it(library):
    deps = [Requirement(d) for d in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]]
    [req] = [r for r in deps if r.name.lower() == library.lower()]
    assert any(s.operator == "<" for s in req.specifier), f"{library} has no upper pin in pyproject.toml"
    assert req.specifier.contains(version(library)), f"{library} {version(library)} is outside {req.specifier}"


def test_no_other_module_reaches_into_a_library():
    attributes = {name.split(".")[1] for _, name in PRIVATE_NAMES}
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "internals.py":
            continue
        for node in source_trees.nodes(path):
            if isinstance(node, ast.Attribute) and node.attr in attributes:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert found == []


def test_the_helpers_do_what_they_say_on_a_saved_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["C3"] = "户主", "系统"
    assert [rc for rc, _ in existing_cells(ws)] == [(1, 1), (3, 3)]  # B2 never created
    unlock_cells(ws, keep_locked={2})  # column C stays locked
    ws.protection.sheet = True
    wb.save(tmp_path / "p.xlsx")
    back = openpyxl.load_workbook(tmp_path / "p.xlsx").active
    assert back["A1"].protection == Protection(locked=False)
    assert back["C3"].protection.locked is True
    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    first, second = book.add_format({"bold": True}), book.add_format({"num_format": "@"})
    assert (xf_index(first), xf_index(second)) == (1, 2)  # 0 is the default cell format
    book.close()
    assert re.search(r"<cellXfs count=\"3\">", _styles(tmp_path / "f.xlsx"))


def _styles(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/styles.xml").decode("utf-8")
