"""The parts of the packages we assemble ourselves are deflated at zip_parts.LEVEL (issue 23: the full district's
master spent 3.5 s of its ~16 s deflating its two big sheets at level 6, 1.4 s at level 1)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import source_trees
from factory import base_rows, drop

from excel_bridge import zip_parts

TOWN, VILLAGE = "马坝镇", "石塘村"


def deflated_at(data: bytes, level: int) -> int:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, as in a zip
    return len(packer.compress(data) + packer.flush())


def levels_of(path: Path) -> dict[str, int | None]:
    """Each part's deflate level, found by deflating its content again at every level (None: none gives its size)."""
    with zipfile.ZipFile(path) as book:
        out: dict[str, int | None] = {}
        for info in book.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
            data = book.read(info.filename)
            out[info.filename] = next((lvl for lvl in (1, 6, 9, 2, 3, 4, 5, 7, 8)
                                       if deflated_at(data, lvl) == info.compress_size), None)
        return out


def test_the_masters_spliced_sheets_and_a_returned_copy_are_deflated_at_level_1(ws, proc, config):
    drop(ws, config, base_rows())
    proc.run_pass(wait=0.05)
    master = levels_of(ws.master_path)
    spliced = {"xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml"}  # 监测户台账 and 家庭成员: streamed rows
    assert spliced <= set(master)
    big = [name for name in master if name.startswith("xl/worksheets/")]
    assert {master[name] for name in big} == {zip_parts.LEVEL}, master
    copy = levels_of(next(ws.town_feedback(TOWN).rglob(f"*{VILLAGE}*反馈*.xlsx")))
    assert set(copy.values()) == {zip_parts.LEVEL}, copy


def test_every_zip_the_package_writes_takes_its_level_from_zip_parts():
    """A ZipFile opened for writing, and every compresslevel= given, name zip_parts.LEVEL: one home for the level
    (the writers' splices rewrite a package through zip_parts.rewritten and copy)."""
    import ast

    import excel_bridge

    root = Path(excel_bridge.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in source_trees.nodes(path):
            if not isinstance(node, ast.Call):
                continue
            writing = (ast.unparse(node.func).endswith("ZipFile") and len(node.args) > 1
                       and isinstance(node.args[1], ast.Constant) and node.args[1].value in ("w", "a", "x"))
            levels = [ast.unparse(k.value) for k in node.keywords if k.arg == "compresslevel"]
            if writing or levels:
                found.append((path.relative_to(root).as_posix(), levels))
    assert {rel for rel, _ in found} == {"zip_parts.py", "ooxml/package.py"}  # the writers rewrite through zip_parts
    home = {"zip_parts.py": ["LEVEL"]}
    assert [(rel, levels) for rel, levels in found if levels != home.get(rel, ["zip_parts.LEVEL"])] == []
