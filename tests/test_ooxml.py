"""The OOXML editor's public API (excel_bridge.ooxml), on workbooks the template writer and openpyxl made:
each edit read back by openpyxl, what it keeps, and what it refuses with Unsupported (hostile XML too)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc
from factory import base_rows, write
from openpyxl.comments import Comment as CellComment
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from xlsx_helpers import VILLAGE_SHEETS, billion_laughs, cell_values, rewrite_part

from excel_bridge.ooxml import Comment, Look, NewSheet, Package, Unsupported, cell_ref, split_ref
from excel_bridge.ooxml.markup import q

RED, YELLOW = "FFC7CE", "FFEB9C"


@pytest.fixture(scope="module")
def village(tmp_path_factory, config) -> Path:
    return write(tmp_path_factory.mktemp("ooxml") / "v.xlsx", config, base_rows())


def reopened(package: Package) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(package.to_bytes()))


# --- cell references ---

def test_split_ref_and_cell_ref():
    assert split_ref("A1") == (1, 1)
    assert split_ref("AB12") == (12, 28)
    assert split_ref("XFD1048576") == (1048576, 16384)
    assert [cell_ref(*split_ref(r)) for r in ("A1", "AB12", "XFD1048576")] == ["A1", "AB12", "XFD1048576"]
    for bad in ("12", "a1", "ABCD1", ""):
        with pytest.raises(Unsupported):
            split_ref(bad)


# --- opening and the sheets ---

def test_sheets_of_a_package(village):
    package = Package(village.read_bytes())
    assert package.sheet_names() == list(VILLAGE_SHEETS)
    assert package.sheet("户信息").name == "户信息"
    assert package.sheet("户信息") is package.sheet("户信息")  # opened once
    with pytest.raises(KeyError):
        package.sheet("没有这张表")
    assert package.has_comments("户信息") is False


def test_a_package_saved_unedited_keeps_every_value_and_untouched_part(village, tmp_path):
    out = tmp_path / "same.xlsx"
    out.write_bytes(Package(village.read_bytes()).to_bytes())
    assert cell_values(out) == cell_values(village)
    with zipfile.ZipFile(village) as a, zipfile.ZipFile(out) as b:
        for name in ("xl/theme/theme1.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet2.xml"):
            assert a.read(name) == b.read(name), name


def test_set_value_writes_text_numbers_dates_and_empties(village):
    package = Package(village.read_bytes())
    sheet = package.sheet("户信息")
    sheet.set_value(2, 40, "  两端有空格\n第二行")
    sheet.set_value(2, 41, 12)
    sheet.set_value(2, 42, 3.25)
    sheet.set_value(2, 43, True)
    sheet.set_value(2, 44, dt.date(2021, 8, 11), package.styles.xf(0, Look(date=True)))
    sheet.set_value(2, 45, "控制\x01字符")
    sheet.set_value(2, 6, None)  # the clerk's 户主身份证号 of household A, emptied
    ws = reopened(package)["户信息"]
    assert [ws.cell(2, c).value for c in range(40, 46)] == [
        "  两端有空格\n第二行", 12, 3.25, "是", dt.datetime(2021, 8, 11), "控制字符"]
    assert ws.cell(2, 44).number_format == "yyyy-mm-dd"
    assert ws.cell(2, 6).value is None
    assert ws.cell(3, 6).value is not None  # household B's untouched


def test_a_cell_made_left_of_a_rows_last_goes_between_its_neighbours(village):
    """A row's cells stay in column order (Excel refuses a sheet whose cells are not): a new cell at the row's right
    end is appended, one left of its last cell goes before the first cell right of it."""
    package = Package(village.read_bytes())
    sheet = package.sheet("户信息")
    sheet.set_value(2, 44, "最右")
    sheet.set_value(2, 42, "中间")
    sheet.set_value(2, 43, 7)
    sheet.set_value(2, 45, "又一列")
    row = sheet.root.find(q("sheetData")).find(f"{q('row')}[@r='2']")
    refs = [split_ref(c.get("r"))[1] for c in row if c.tag == q("c")]
    assert refs == sorted(refs) and refs[-4:] == [42, 43, 44, 45]
    ws = reopened(package)["户信息"]
    assert [ws.cell(2, c).value for c in range(42, 46)] == ["中间", 7, "最右", "又一列"]


def test_a_sheet_deselected_keeps_no_selected_view(village):
    """Every view of the sheet loses its tabSelected (a sheet open in a second window has two), nothing else."""
    package = Package(village.read_bytes())
    sheet = package.sheet("户信息")
    views = sheet.root.find(q("sheetViews"))
    first = views.find(q("sheetView"))
    first.set("tabSelected", "1")
    second = copy.deepcopy(first)
    second.set("workbookViewId", "1")
    views.append(second)
    sheet.deselect()
    assert [(v.get("workbookViewId"), v.get("tabSelected")) for v in views] == [("0", None), ("1", None)]
    sheet.root.remove(views)  # a sheet without views (a writer may leave them out): nothing to do
    sheet.deselect()
    assert sheet.root.find(q("sheetViews")) is None


def test_dates_follow_the_workbooks_1904_date_system(tmp_path):
    """A workbook saved with the 1904 date system (old Mac Excel) gets the serial of that system."""
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active["A1"] = "识别纳入日期"
    src = tmp_path / "mac.xlsx"
    wb.save(src)
    package = Package(src.read_bytes())
    sheet = package.sheet(package.sheet_names()[0])
    sheet.set_value(2, 1, dt.date(2021, 8, 11), package.styles.xf(0, Look(date=True)))
    out = tmp_path / "out.xlsx"
    out.write_bytes(package.to_bytes())
    assert re.search(rb"<v>42957</v>", zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml"))  # days since 1904-01-01
    assert openpyxl.load_workbook(out).active["A2"].value == dt.datetime(2021, 8, 11)
    book = pc.CalamineWorkbook.from_path(str(out))
    assert book.get_sheet_by_name(book.sheet_names[0]).to_python()[1][0] == dt.date(2021, 8, 11)


# --- styles ---

def test_styles_add_to_a_cells_style_once_and_take_a_fill_off_again(village):
    package = Package(village.read_bytes())
    styles, sheet = package.styles, package.sheet("户信息")
    base = sheet.style_of(2, 8)
    red = styles.xf(base, Look(fill=RED))
    assert styles.xf(base, Look(fill=RED)) == red  # created once, then reused
    assert styles.xf(base, Look(fill=YELLOW)) != red
    assert styles.fill_of(red) == RED and styles.fill_of(base) is None
    sheet.set_style(2, 8, red)
    sheet.set_style(3, 8, styles.without_fill(red))
    bold_locked = styles.xf(0, Look(bold=True, locked=True, wrap=True, center=True))
    sheet.set_value(1, 40, "系统列", bold_locked)
    ws = reopened(package)["户信息"]
    assert ws["H2"].fill.start_color.rgb[-6:] == RED
    assert ws["H3"].fill.fill_type is None
    assert ws["H2"].number_format == ws["H3"].number_format  # the cell's own format kept
    head = ws.cell(1, 40)
    assert (head.font.b, head.protection.locked, head.alignment.wrap_text, head.alignment.horizontal) == (
        True, True, True, "center")


def test_restyle_gives_every_cell_outside_the_skipped_columns_its_new_style_worked_out_once(village):
    package = Package(village.read_bytes())
    styles, sheet = package.styles, package.sheet("户信息")
    before = {(r, c): s for r, c, s in sheet.cell_styles()}
    asked: list[int] = []

    def unlocked(base: int) -> int:
        asked.append(base)
        return styles.xf(base, Look(locked=False))

    sheet.restyle(unlocked, skip_columns={2})
    assert sorted(asked) == sorted(set(s for (_, c), s in before.items() if c != 2))  # once per style
    ws, original = reopened(package)["户信息"], openpyxl.load_workbook(village)["户信息"]
    for (r, c), _s in before.items():
        assert ws.cell(r, c).protection.locked is (c == 2), (r, c)
        assert ws.cell(r, c).number_format == original.cell(r, c).number_format  # only the lock changed


# --- columns, protection, comments ---

def test_columns_protection_and_comments(village):
    package = Package(village.read_bytes())
    sheet = package.sheet("户信息")
    unlocked = package.styles.xf(0, Look(locked=False))
    sheet.set_columns({40: 18.5}, {1: unlocked, 40: unlocked})
    assert sheet.col_styles()[40] == unlocked
    sheet.protect()
    sheet.set_comment(2, 8, Comment("第一条\n说明", "excel_bridge"))
    sheet.set_comment(3, 8, Comment("第二条", "村干部"))
    data = package.to_bytes()
    ws = openpyxl.load_workbook(io.BytesIO(data))["户信息"]
    assert ws.column_dimensions["AN"].width == 18.5
    assert ws.column_dimensions["A"].protection.locked is False
    assert ws.protection.sheet is True
    assert (ws["H2"].comment.text, ws["H2"].comment.author) == ("第一条\n说明", "excel_bridge")
    assert (ws["H3"].comment.text, ws["H3"].comment.author) == ("第二条", "村干部")
    # read back by the editor itself, then one taken away
    again = Package(data)
    assert again.has_comments("户信息")
    sheet = again.sheet("户信息")
    assert sheet.comment(2, 8) == Comment("第一条\n说明", "excel_bridge")
    sheet.delete_comment(2, 8)
    sheet.delete_comment(3, 8)
    out = again.to_bytes()
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert not [n for n in z.namelist() if "comments" in n or n.endswith(".vml")]
        assert b"legacyDrawing" not in z.read("xl/worksheets/sheet2.xml")
    assert all(c.comment is None for row in openpyxl.load_workbook(io.BytesIO(out))["户信息"].iter_rows() for c in row)


# --- sheets added and removed ---

def test_new_sheets_removed_sheets_and_the_active_tab(village):
    package = Package(village.read_bytes())
    package.remove_sheet("填表说明")
    head = package.styles.xf(0, Look(bold=True))
    package.add_sheet(NewSheet("问题清单", rows=[[("序号", head), ("说明", head)], [(1, None), ("第一条", None)]],
                               widths=[6, 40], links=[("B2", "'户信息'!A1", "第一条")], freeze_header=True,
                               autofilter=True, landscape_fit=True, selected=True), 0)
    package.add_sheet(NewSheet("回执", rows=[[("收到文件", None), ("v.xlsx", None)]]), 1)
    package.activate(0)
    wb = reopened(package)
    assert wb.sheetnames == ["问题清单", "回执", *VILLAGE_SHEETS[1:]]
    assert wb.active.title == "问题清单"
    ws = wb["问题清单"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["序号", "说明"], [1, "第一条"]]
    assert ws["A1"].font.b is True and ws["B2"].hyperlink.location == "'户信息'!A1"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B2" and ws.print_title_rows == "$1:$1"
    assert [w.title for w in wb.worksheets if w.sheet_view.tabSelected] == ["问题清单"]


# --- what it refuses ---

def _crafted(village: Path, tmp: Path, part: str, change) -> bytes:
    return rewrite_part(village, tmp / "crafted.xlsx", part, change).read_bytes()


def test_a_macro_workbook_is_refused(village, tmp_path):
    data = _crafted(village, tmp_path, "[Content_Types].xml",
                    lambda b: b.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml"))
    with pytest.raises(Unsupported, match="not a plain .xlsx"):
        Package(data)


def test_a_part_that_is_not_well_formed_is_refused(village, tmp_path):
    data = _crafted(village, tmp_path, "xl/worksheets/sheet2.xml", lambda b: b.replace(b"</sheetData>", b""))
    with pytest.raises(Unsupported, match="not well-formed"):
        Package(data).sheet("户信息")


def test_a_sheet_with_a_dtd_is_refused(village, tmp_path):
    data = _crafted(village, tmp_path, "xl/worksheets/sheet2.xml",
                    lambda b: b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x "y">]>' + b.split(b"?>", 1)[1])
    with pytest.raises(Unsupported, match="DTD"):
        Package(data).sheet("户信息")


def test_a_text_beyond_the_parsers_limit_is_refused(village, tmp_path):
    """libxml2's limits stay on (no huge_tree): one text node over 10 MB is not a village workbook."""
    data = _crafted(village, tmp_path, "xl/worksheets/sheet2.xml",
                    lambda b: b.replace(b"</sheetData>", b'<row r="999"><c r="A999" t="inlineStr"><is><t>'
                                        + b"x" * 11_000_000 + b"</t></is></c></row></sheetData>"))
    with pytest.raises(Unsupported, match="Text node too long"):
        Package(data).sheet("户信息")


@pytest.fixture
def commented(village, tmp_path) -> Path:
    """The village workbook with a clerk's comment on 户信息!H2, saved by openpyxl (comments part and VML)."""
    wb = openpyxl.load_workbook(village)
    wb["户信息"]["H2"].comment = CellComment("户主说填一般户", "村干部")
    out = tmp_path / "commented.xlsx"
    wb.save(out)
    return out


def test_a_billion_laughs_comments_part_is_refused(commented, tmp_path):
    data = _crafted(commented, tmp_path, "xl/comments/comment1.xml",
                    lambda b: billion_laughs("comments") + b.replace("户主说填一般户".encode(), b"&lol9;"))
    with pytest.raises(Unsupported, match="xl/comments/comment1.xml"):
        Package(data).sheet("户信息")


def test_an_xxe_in_app_xml_is_refused(village, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-4f2a")
    data = _crafted(village, tmp_path, "docProps/app.xml", lambda b: (
        f'<?xml version="1.0"?><!DOCTYPE Properties [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
        + re.sub(rb"^<\?xml[^>]*\?>", b"", b).replace(b"</Properties>", b"<Company>&xxe;</Company></Properties>")))
    with pytest.raises(Unsupported, match="docProps/app.xml declares a DTD"):
        Package(data).to_bytes()


def test_form_controls_in_the_comment_drawing_are_refused(commented, tmp_path):
    data = _crafted(commented, tmp_path, "xl/drawings/commentsDrawing1.vml",
                    lambda b: b.replace(b'ObjectType="Note"', b'ObjectType="Checkbox"'))
    with pytest.raises(Unsupported, match="form controls"):
        Package(data).sheet("户信息")


def test_a_broken_zip_member_is_refused(village, tmp_path):
    raw = bytearray(village.read_bytes())
    with zipfile.ZipFile(village) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 10:start + 20] = b"\x00" * 10  # corrupt the compressed sheet: CRC or inflate fails
    with pytest.raises(Unsupported):
        Package(bytes(raw)).sheet("户信息")
