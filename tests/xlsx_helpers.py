"""Helpers for tests that reopen written workbooks: values per cell, raw sheet XML, LibreOffice conversion.

Kept apart from factory.py (which builds the inputs) so that file only grows with input builders.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

SYSTEM_HEADERS = ("校验结果", "研判结论", "建议类别", "风险标记", "帮扶建议", "流程状态", "审核意见", "更新时间")
VILLAGE_SHEETS = ("填表说明", "户信息", "家庭成员", "帮扶措施", "评议公示", "下拉选项", "系统信息")


def cell_values(path: Path, *, skip_columns: dict[str, set[int]] | None = None) -> dict[str, dict[str, object]]:
    """sheet → {coordinate: value} for every non-empty cell, as openpyxl reads it.

    skip_columns: sheet → 1-based column numbers left out (the appended system columns).
    """
    wb = openpyxl.load_workbook(path)
    skip = skip_columns or {}
    out: dict[str, dict[str, object]] = {}
    for ws in wb.worksheets:
        values: dict[str, object] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or cell.column in skip.get(ws.title, set()):
                    continue
                values[cell.coordinate] = cell.value
        out[ws.title] = values
    return out


def header_columns(ws) -> dict[str, int]:
    """Header text on row 1 → 1-based column number (first occurrence)."""
    out: dict[str, int] = {}
    for cell in ws[1]:
        if cell.value is not None and cell.value not in out:
            out[str(cell.value)] = cell.column
    return out


def fill_rgb(cell) -> str | None:
    """The 6-digit solid fill colour of a cell, or None when it has no fill."""
    fill = cell.fill
    if fill is None or fill.fill_type is None:
        return None
    rgb = fill.start_color.rgb
    return rgb[-6:].upper() if isinstance(rgb, str) else None


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member holding a sheet's XML, found through workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as zf:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = None
    for el in book.iter(f"{{{MAIN_NS}}}sheet"):
        if el.get("name") == sheet:
            rid = el.get(f"{{{REL_NS}}}id")
    if rid is None:
        raise KeyError(sheet)
    for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise KeyError(rid)


def sheet_xml(path: Path, sheet: str) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        return ET.fromstring(zf.read(sheet_part(path, sheet)))


def col_ranges(path: Path, sheet: str) -> list[tuple[int, int]]:
    """(min, max) of every <col> element of a sheet, in file order."""
    root = sheet_xml(path, sheet)
    return [(int(c.get("min")), int(c.get("max"))) for c in root.iter(f"{{{MAIN_NS}}}col")]


def ranges_overlap(ranges: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Pairs of <col> ranges that overlap or are out of order (Excel repairs such a file)."""
    bad = []
    for a, b in zip(ranges, ranges[1:], strict=False):
        if b[0] <= a[1]:
            bad.append((a, b))
    return bad


def soffice_convert(src: Path, fmt: str, outdir: Path, profile: Path, *, timeout: float = 180) -> Path:
    """Convert with LibreOffice headless, using a private profile so parallel runs do not collide."""
    [out] = soffice_convert_all([src], fmt, outdir, profile, timeout=timeout)
    return out


def pdf_pages(pdf: Path) -> int:
    proc = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", proc.stdout, re.M)
    assert match, proc.stdout
    return int(match.group(1))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def rewrite_part(src: Path, out: Path, part: str, change) -> Path:
    """A copy of an .xlsx with one zip member replaced by change(old bytes) (a crafted or broken part)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        assert part in zin.namelist(), part
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, change(data) if info.filename == part else data)
    return out


def billion_laughs(element: str) -> bytes:
    """An XML prolog whose entity &lol9; expands to 10⁹ "lol"s, for a part whose text uses it."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {element} [{entities}]>\n'.encode()


def malformed_parts(path: Path) -> list[str]:
    """The XML parts of a package (.xml, .rels) that a strict parser refuses."""
    from lxml import etree

    bad = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(zf.read(name), etree.XMLParser(resolve_entities=False, no_network=True))
                except etree.XMLSyntaxError:
                    bad.append(name)
    return bad


def soffice_convert_all(sources: list[Path], fmt: str, outdir: Path, profile: Path, *,
                        timeout: float = 600) -> list[Path]:
    """Convert many files in one LibreOffice run (one start-up); returns the converted files, in order."""
    soffice = shutil.which("soffice")
    assert soffice is not None
    outdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(profile))
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), *map(str, sources)],
        capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr
    outs = [outdir / f"{Path(src).stem}.{fmt.split(':')[0]}" for src in sources]
    for out in outs:
        assert out.exists() and out.stat().st_size > 0, (out, proc.stdout, proc.stderr)
    return outs


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout separates pages with a form feed)."""
    return pdf_text(pdf).split("\f")[:pdf_pages(pdf)]


def pdf_landscape_pages(pdf: Path) -> list[bool]:
    """For each page, whether it is wider than tall."""
    n = pdf_pages(pdf)
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", str(n), str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out, re.M)
    assert len(sizes) == n, out
    return [float(w) > float(h) for w, h in sizes]
