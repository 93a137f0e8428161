"""The returned copy of a plain .xlsx through the XML editor (returned/via_xml.py): what it keeps byte for
byte, what survives that an openpyxl round trip would lose, and when it hands over to the openpyxl path."""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from factory import AS_OF, HEAD_A, base_rows, write
from openpyxl.comments import Comment as CellComment
from test_feedback import problem_rows
from xlsx_helpers import (
    billion_laughs,
    cell_values,
    col_ranges,
    fill_rgb,
    malformed_parts,
    ranges_overlap,
    rewrite_part,
)

from excel_bridge.check import check_file
from excel_bridge.config import load_config
from excel_bridge.ooxml import Package, Unsupported
from excel_bridge.returned import MARK, write_returned_copy

# the returned copy's first system column (校验结果): right after household.yaml's clerk columns
SYSTEM_FIRST = len(load_config().schemas.household.columns) + 1


def _png() -> bytes:
    """A tiny valid 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _copy(tmp: Path, config, src: Path) -> Path:
    result = check_file(src, config, as_of=AS_OF)
    return write_returned_copy(result, tmp / "out.xlsx", config).path


def test_parts_we_do_not_touch_are_kept_byte_for_byte(tmp_path, config):
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    out = _copy(tmp_path, config, src)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        for name in ("xl/theme/theme1.xml", "xl/sharedStrings.xml", "docProps/core.xml"):
            assert a.read(name) == b.read(name), name
        # 评议公示 has no problem: its sheet XML is untouched apart from the tab-selection flag
        assert a.read("xl/worksheets/sheet5.xml").replace(b' tabSelected="1"', b"") == b.read("xl/worksheets/sheet5.xml")


def test_a_picture_in_the_clerks_workbook_survives(tmp_path, config):
    """openpyxl drops images on load/save; the XML patch keeps every part it does not edit."""
    src = write(tmp_path / "plain.xlsx", config, problem_rows())
    # add a picture to 填表说明 the way Excel/WPS would store it: a drawing part with an image
    pictured = tmp_path / "pictured.xlsx"
    wb = openpyxl.load_workbook(src)
    wb.save(pictured)  # start from a file openpyxl wrote, then add the picture with XlsxWriter-style parts
    book = xlsxwriter.Workbook(str(tmp_path / "img_source.xlsx"))
    sheet = book.add_worksheet("x")
    sheet.insert_image("B2", "logo.png", {"image_data": io.BytesIO(_png())})
    book.close()
    with zipfile.ZipFile(tmp_path / "img_source.xlsx") as z:
        drawing = z.read("xl/drawings/drawing1.xml")
        drawing_rels = z.read("xl/drawings/_rels/drawing1.xml.rels")
        media = z.read("xl/media/image1.png")
    with zipfile.ZipFile(pictured) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet1 = parts["xl/worksheets/sheet1.xml"].decode()
    sheet1 = sheet1.replace("</worksheet>", '<drawing r:id="rIdPic"/></worksheet>')
    if 'xmlns:r=' not in sheet1.split(">", 2)[1]:
        sheet1 = sheet1.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                                              '2006/relationships" ', 1)
    parts["xl/worksheets/sheet1.xml"] = sheet1.encode()
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats'
        '.org/package/2006/relationships"><Relationship Id="rIdPic" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>').encode()
    parts["xl/drawings/drawing1.xml"] = drawing
    parts["xl/drawings/_rels/drawing1.xml.rels"] = drawing_rels
    parts["xl/media/image1.png"] = media
    types = parts["[Content_Types].xml"].decode()
    types = types.replace("</Types>", '<Default Extension="png" ContentType="image/png"/><Override PartName="/xl/'
                                      'drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-'
                                      'officedocument.drawing+xml"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    with zipfile.ZipFile(pictured, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = _copy(tmp_path, config, pictured)
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/media/image1.png") == media
        assert z.read("xl/drawings/drawing1.xml") == drawing
        sheet_rels = [n for n in z.namelist() if n.startswith("xl/worksheets/_rels/")]
        assert any(b"drawings/drawing1.xml" in z.read(n) for n in sheet_rels)
    # and the copy is still a workbook openpyxl reads, with our marks in it
    wb = openpyxl.load_workbook(out)
    assert fill_rgb(wb["户信息"]["H2"]) == "FFC7CE"


def test_patched_copy_is_consistent_for_excel(tmp_path, config):
    """Package rules Excel enforces: each part has a content type, sheet ids/rels unique, no overlapping
    <col> ranges, child elements of a worksheet in schema order, comments with their VML drawing."""
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    out = _copy(tmp_path, config, src)
    z = zipfile.ZipFile(out)
    names = set(z.namelist())
    types = z.read("[Content_Types].xml").decode()
    overrides = set(re.findall(r'PartName="/([^"]+)"', types))
    assert overrides <= names, overrides - names
    for name in names:
        if name.endswith(".xml") and not name.startswith("[") and "_rels" not in name:
            ext_default = re.search(r'Default Extension="xml"', types)
            assert name in overrides or ext_default, name
    workbook = z.read("xl/workbook.xml").decode()
    sheet_ids = re.findall(r'<sheet [^>]*sheetId="(\d+)"', workbook)
    assert len(sheet_ids) == len(set(sheet_ids))
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rel_ids = re.findall(r'Id="(rId\d+)"', rels)
    assert len(rel_ids) == len(set(rel_ids))
    assert re.findall(r'<sheet name="([^"]+)"', workbook)[:2] == ["问题清单", "回执"]
    assert 'activeTab="0"' in workbook
    assert ranges_overlap(col_ranges(out, "户信息")) == []
    order = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetProtection",
             "autoFilter", "mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
             "pageMargins", "pageSetup", "headerFooter", "drawing", "legacyDrawing", "tableParts", "extLst"]
    for name in names:
        if name.startswith("xl/worksheets/sheet"):
            tags = re.findall(r"<(?!/)(?:\w+:)?(\w+)[\s>/]", z.read(name).decode())
            top = [t for t in tags if t in order]
            seen = [order.index(t) for t in dict.fromkeys(top)]
            assert seen == sorted(seen), (name, list(dict.fromkeys(top)))
    # every sheet with comments has its legacy drawing
    for name in names:
        if name.startswith("xl/worksheets/_rels/"):
            text = z.read(name).decode()
            if "/comments" in text:
                assert "vmlDrawing" in text
                sheet = name.replace("_rels/", "").removesuffix(".rels")
                assert "<legacyDrawing " in z.read(sheet).decode()
    # exactly one sheet is selected: the problem list
    selected = [n for n in names if n.startswith("xl/worksheets/sheet") and b'tabSelected="1"' in z.read(n)]
    assert len(selected) == 1


def test_a_returned_copy_patched_again_keeps_one_set_of_everything(tmp_path, config):
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    first = _copy(tmp_path, config, src)
    second_src = tmp_path / "again.xlsx"
    second_src.write_bytes(first.read_bytes())
    second = write_returned_copy(check_file(second_src, config, as_of=AS_OF), tmp_path / "again_反馈.xlsx",
                                 config).path
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames.count("问题清单") == 1 and wb.sheetnames.count("回执") == 1
    comment = wb["户信息"]["H2"].comment.text
    assert comment.count(MARK) == 1
    headers = [c.value for c in wb["户信息"][1]]
    assert headers.count("校验结果") == 1 and headers.count("流程状态") == 1
    with zipfile.ZipFile(second) as z:
        # one comments part per marked sheet (户信息, 家庭成员, 帮扶措施), none left over from the first copy
        assert len([n for n in z.namelist() if n.startswith("xl/comments")]) == 3


def test_cells_without_references_fall_back_to_openpyxl(tmp_path, config):
    """Some writers omit the r attribute of cells; the patcher declines and openpyxl writes the copy."""
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet2.xml"] = re.sub(rb'<c r="[A-Z]+\d+"', b"<c", parts["xl/worksheets/sheet2.xml"])
    bare = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(Unsupported, match="cell without r"):
        Package(bare.read_bytes()).sheet("户信息").style_of(2, 8)
    result = check_file(bare, config, as_of=AS_OF)
    out = write_returned_copy(result, tmp_path / "bare_反馈.xlsx", config).path
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "问题清单"
    assert wb["户信息"].cell(row=1, column=SYSTEM_FIRST).value == "校验结果"


def test_base_rows_copy_has_no_marks(tmp_path, config):
    out = _copy(tmp_path, config, write(tmp_path / "v.xlsx", config, base_rows()))
    wb = openpyxl.load_workbook(out)
    assert wb["问题清单"]["G2"].value == "本文件未发现问题。"
    assert all(c.comment is None for row in wb["户信息"].iter_rows() for c in row)
    by_head = {wb["户信息"].cell(row=r, column=6).value: r for r in (2, 3)}
    assert wb["户信息"].cell(row=by_head[HEAD_A], column=SYSTEM_FIRST).value == "通过"


def test_via_openpyxl_skips_the_xml_editor(tmp_path, config):
    """The dispatcher's `via`: the XML editor keeps the clerk's program's parts, openpyxl writes its own."""
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    result = check_file(src, config, as_of=AS_OF)
    by_xml = write_returned_copy(result, tmp_path / "xml.xlsx", config).path
    by_openpyxl = write_returned_copy(result, tmp_path / "op.xlsx", config, via="openpyxl").path
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(by_xml) as b, zipfile.ZipFile(by_openpyxl) as c:
        assert a.read("docProps/core.xml") == b.read("docProps/core.xml")
        assert b"Openpyxl" not in b.read("docProps/app.xml")
        assert b"Openpyxl" in c.read("docProps/app.xml")
    assert cell_values(by_xml) == cell_values(by_openpyxl)


def _commented(tmp: Path, config) -> Path:
    src = write(tmp / "v.xlsx", config, problem_rows())
    wb = openpyxl.load_workbook(src)
    wb["户信息"]["B3"].comment = CellComment("户主说填一般户", "村干部")
    wb.save(src)
    return src


def test_a_billion_laughs_comments_part_gets_a_copy_through_openpyxl(tmp_path, config, caplog):
    src = _commented(tmp_path, config)
    bomb = rewrite_part(src, tmp_path / "bomb.xlsx", "xl/comments/comment1.xml",
                        lambda b: billion_laughs("comments") + b.replace("户主说填一般户".encode(), b"&lol9;"))
    result = check_file(bomb, config, as_of=AS_OF)
    with caplog.at_level(logging.INFO, logger="excel_bridge"):
        out = write_returned_copy(result, tmp_path / "bomb_反馈.xlsx", config).path
    assert "xl/comments/comment1.xml" in caplog.text and "改用 openpyxl" in caplog.text
    assert malformed_parts(out) == []
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["问题清单", "回执"]
    assert fill_rgb(wb["户信息"]["H2"]) == "FFC7CE" and MARK in wb["户信息"]["H2"].comment.text
    assert b"lollol" not in b"".join(zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist())
    before = cell_values(src)
    after = cell_values(out, skip_columns={"户信息": set(range(SYSTEM_FIRST, SYSTEM_FIRST + 8))})
    for sheet in before:
        assert after[sheet] == before[sheet], sheet


def test_an_xxe_in_app_xml_gets_a_copy_without_the_file_it_names(tmp_path, config, caplog):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-4f2a")
    src = write(tmp_path / "v.xlsx", config, problem_rows())
    xxe = rewrite_part(src, tmp_path / "xxe.xlsx", "docProps/app.xml", lambda b: (
        f'<?xml version="1.0"?><!DOCTYPE Properties [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
        + re.sub(rb"^<\?xml[^>]*\?>", b"", b).replace(b"</Properties>", b"<Company>&xxe;</Company></Properties>")))
    result = check_file(xxe, config, as_of=AS_OF)
    with caplog.at_level(logging.INFO, logger="excel_bridge"):
        out = write_returned_copy(result, tmp_path / "xxe_反馈.xlsx", config).path
    assert "docProps/app.xml declares a DTD" in caplog.text
    assert malformed_parts(out) == []  # (the XML path used to write app.xml with a dangling &xxe;)
    with zipfile.ZipFile(out) as z:
        assert not any(b"SECRET-4f2a" in z.read(n) or b"&xxe;" in z.read(n) for n in z.namelist())
    assert cell_values(out, skip_columns={"户信息": set(range(SYSTEM_FIRST, SYSTEM_FIRST + 8))})["户信息"] == cell_values(src)["户信息"]
