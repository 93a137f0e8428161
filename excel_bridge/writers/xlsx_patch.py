"""Edit an .xlsx in place at the XML level: styles, cells, comments, protection and whole new sheets,
leaving every part we do not touch byte-for-byte as the clerk's program wrote it.

This is what keeps a returned copy faithful (pictures, charts, form controls, WPS extensions survive,
which an openpyxl load/save would drop) and fast (no Python object per cell). Anything unusual that
this module does not handle raises Unsupported, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99): new children must go to their place.
SHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
               "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
               "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
               "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
               "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
               "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
               "extLst"]
STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst"]
XF_ORDER = ["alignment", "protection", "extLst"]
TEXT_FORMAT = 49  # built-in "@"
EXCEL_EPOCH = dt.date(1899, 12, 30)


class Unsupported(Exception):
    """The workbook uses something this patcher does not edit safely; use the openpyxl path instead."""


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(n: int) -> str:
    """1-based column number → letters."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


_COLUMN_CACHE: dict[str, int] = {}


def split_ref(ref: str) -> tuple[int, int]:
    """"AB12" → (12, 28)."""
    letters = ref.rstrip("0123456789")
    col = _COLUMN_CACHE.get(letters)
    if col is None:
        if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isupper() or letters == ref:
            raise Unsupported(f"cell reference {ref!r}")
        col = _COLUMN_CACHE[letters] = col_number(letters)
    return int(ref[len(letters):]), col


def insert_ordered(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Insert child among parent's children at the position its schema order demands."""
    name = etree.QName(child).localname
    rank = order.index(name)
    for i, existing in enumerate(parent):
        other = etree.QName(existing).localname if isinstance(existing.tag, str) else None
        if other in order and order.index(other) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


def _xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=True)
    return etree.fromstring(data, parser)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- styles -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Look:
    """What we add to a cell's existing style; None leaves that aspect as it was."""

    fill: str | None = None  # RGB, e.g. "FFC7CE"
    locked: bool | None = None
    bold: bool = False
    text: bool = False  # number format "@"
    date: bool = False
    wrap: bool = False
    link: bool = False
    center: bool = False
    left: bool = False  # numbers beside text in a two-column form (the 回执) line up with it


class Styles:
    def __init__(self, data: bytes) -> None:
        self.root = _xml(data)
        self.cache: dict[tuple[int, Look], int] = {}
        self.fills: dict[str, int] = {}
        self.fonts: dict[str, int] = {}
        self.date_fmt: int | None = None
        self.xfs = self._section("cellXfs")
        if len(self.xfs) == 0:
            raise Unsupported("no cellXfs")

    def _section(self, name: str) -> etree._Element:
        node = self.root.find(q(name))
        if node is None:
            node = etree.Element(q(name))
            insert_ordered(self.root, node, STYLE_ORDER)
        return node

    @staticmethod
    def _append(section: etree._Element, child: etree._Element) -> int:
        section.append(child)
        section.set("count", str(len(section)))
        return len(section) - 1

    def _fill(self, rgb: str) -> int:
        if rgb not in self.fills:
            fill = etree.Element(q("fill"))
            pattern = etree.SubElement(fill, q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb="FF" + rgb)
            etree.SubElement(pattern, q("bgColor"), indexed="64")
            self.fills[rgb] = self._append(self._section("fills"), fill)
        return self.fills[rgb]

    def _font(self, base_font: int, kind: str) -> int:
        key = f"{base_font}:{kind}"
        if key not in self.fonts:
            fonts = self._section("fonts")
            font = copy.deepcopy(fonts[base_font]) if base_font < len(fonts) else etree.Element(q("font"))
            if kind == "bold" and font.find(q("b")) is None:
                font.insert(0, etree.Element(q("b")))
            if kind == "link":
                for tag in ("color", "u"):
                    old = font.find(q(tag))
                    if old is not None:
                        font.remove(old)
                font.insert(0, etree.Element(q("u")))
                color = etree.Element(q("color"), rgb="FF0563C1")
                size = font.find(q("sz"))
                (size.addnext(color) if size is not None else font.insert(1, color))
            self.fonts[key] = self._append(fonts, font)
        return self.fonts[key]

    def _date_format(self) -> int:
        if self.date_fmt is None:
            fmts = self._section("numFmts")
            used = [int(f.get("numFmtId")) for f in fmts]
            self.date_fmt = max([163, *used]) + 1
            etree.SubElement(fmts, q("numFmt"), numFmtId=str(self.date_fmt), formatCode="yyyy-mm-dd")
            fmts.set("count", str(len(fmts)))
        return self.date_fmt

    def xf(self, base: int, look: Look) -> int:
        """A cellXfs index: the cell's style `base` with `look` applied (created once, then reused)."""
        key = (base, look)
        if key in self.cache:
            return self.cache[key]
        source = self.xfs[base] if base < len(self.xfs) else self.xfs[0]
        xf = copy.deepcopy(source)
        if look.fill:
            xf.set("fillId", str(self._fill(look.fill)))
            xf.set("applyFill", "1")
        if look.bold or look.link:
            xf.set("fontId", str(self._font(int(xf.get("fontId", "0")), "link" if look.link else "bold")))
            xf.set("applyFont", "1")
        if look.text or look.date:
            xf.set("numFmtId", str(self._date_format() if look.date else TEXT_FORMAT))
            xf.set("applyNumberFormat", "1")
        if look.wrap or look.center or look.left:
            align = xf.find(q("alignment"))
            if align is None:
                align = etree.Element(q("alignment"))
                insert_ordered(xf, align, XF_ORDER)
            if look.wrap:
                align.set("wrapText", "1")
                align.set("vertical", "top")
            if look.center:
                align.set("horizontal", "center")
                align.set("vertical", "center")
            if look.left:
                align.set("horizontal", "left")
            xf.set("applyAlignment", "1")
        if look.locked is not None:
            prot = xf.find(q("protection"))
            if prot is None:
                prot = etree.Element(q("protection"))
                insert_ordered(xf, prot, XF_ORDER)
            prot.set("locked", "1" if look.locked else "0")
            xf.set("applyProtection", "1")
        index = self._append(self.xfs, xf)
        self.cache[key] = index
        return index

    def fill_of(self, xf_index: int) -> str | None:
        """The solid fill colour (RGB) of a style, if any."""
        if xf_index >= len(self.xfs):
            return None
        fills = self.root.find(q("fills"))
        fill_id = int(self.xfs[xf_index].get("fillId", "0"))
        if fills is None or fill_id >= len(fills):
            return None
        fg = fills[fill_id].find(f"{q('patternFill')}/{q('fgColor')}")
        rgb = fg.get("rgb") if fg is not None else None
        return rgb[-6:].upper() if rgb else None

    def without_fill(self, xf_index: int) -> int:
        key = (xf_index, Look(fill="__none__"))
        if key not in self.cache:
            xf = copy.deepcopy(self.xfs[xf_index])
            xf.set("fillId", "0")
            self.cache[key] = self._append(self.xfs, xf)
        return self.cache[key]

    def data(self) -> bytes:
        return _bytes(self.root)


# --- worksheets ---------------------------------------------------------------------------------------

@dataclass
class Comment:
    text: str
    author: str


class Sheet:
    """One worksheet's XML, with rows and cells indexed for editing."""

    def __init__(self, name: str, part: str, data: bytes) -> None:
        self.name = name
        self.part = part
        self.root = _xml(data)
        self.data_node = self.root.find(q("sheetData"))
        if self.data_node is None:
            raise Unsupported("no sheetData")
        self.rows: dict[int, etree._Element] = {}
        self.row_cells: dict[int, dict[int, etree._Element]] = {}  # indexed lazily, per row
        c_tag, row_tag = q("c"), q("row")
        for row in self.data_node:
            if row.tag != row_tag:
                continue
            r = row.get("r")
            if r is None:
                raise Unsupported("row without r")
            self.rows[int(r)] = row
        self.c_tag = c_tag
        self.comments: dict[tuple[int, int], Comment] = {}
        self.comments_changed = False

    def _cells_of(self, row: int) -> dict[int, etree._Element]:
        cells = self.row_cells.get(row)
        if cells is None:
            cells = {}
            row_el = self.rows.get(row)
            for c in row_el if row_el is not None else ():
                if c.tag != self.c_tag:
                    continue
                ref = c.get("r")
                if ref is None:
                    raise Unsupported("cell without r")
                cells[split_ref(ref)[1]] = c
            self.row_cells[row] = cells
        return cells

    @property
    def cells(self) -> dict[tuple[int, int], etree._Element]:
        """Every cell, indexed (row, col); builds the index of all rows."""
        return {(r, c): el for r in sorted(self.rows) for c, el in self._cells_of(r).items()}

    # cells
    def cell(self, row: int, col: int) -> etree._Element:
        cells = self._cells_of(row)
        c = cells.get(col)
        if c is not None:
            return c
        row_el = self.rows.get(row)
        if row_el is None:
            row_el = etree.Element(q("row"), r=str(row))
            later = [r for r in self.rows if r > row]
            if later:
                self.rows[min(later)].addprevious(row_el)
            else:
                self.data_node.append(row_el)
            self.rows[row] = row_el
        c = etree.Element(self.c_tag, r=f"{col_letters(col)}{row}")
        after = [n for n in cells if n > col]
        if after:
            cells[min(after)].addprevious(c)
        else:
            row_el.append(c)  # the common case: a new column at the right end
        if row_el.get("spans"):  # spans is an optimisation hint; a stale one is worse than none
            del row_el.attrib["spans"]
        cells[col] = c
        return c

    def style_of(self, row: int, col: int) -> int:
        c = self._cells_of(row).get(col)
        if c is not None and c.get("s"):
            return int(c.get("s"))
        row_el = self.rows.get(row)
        if row_el is not None and row_el.get("customFormat") == "1" and row_el.get("s"):
            return int(row_el.get("s"))
        return self.col_styles().get(col, 0)

    def col_styles(self) -> dict[int, int]:
        if not hasattr(self, "_col_styles"):
            styles: dict[int, int] = {}
            cols = self.root.find(q("cols"))
            for col in cols if cols is not None else ():
                for n in range(int(col.get("min")), int(col.get("max")) + 1):
                    styles[n] = int(col.get("style", "0"))
            self._col_styles = styles
        return self._col_styles

    def set_style(self, row: int, col: int, xf: int) -> None:
        self.cell(row, col).set("s", str(xf))

    def set_value(self, row: int, col: int, value: object, xf: int | None = None) -> None:
        c = self.cell(row, col)
        for child in list(c):
            c.remove(child)
        c.attrib.pop("t", None)
        if xf is not None:
            c.set("s", str(xf))
        if value is None or value == "":
            return
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            etree.SubElement(c, q("v")).text = str((value - EXCEL_EPOCH).days)
        elif isinstance(value, (int, float)):
            etree.SubElement(c, q("v")).text = repr(value) if isinstance(value, float) else str(value)
        else:
            c.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(c, q("is")), q("t"))
            t.text = _clean_xml_text(str(value))
            if t.text != t.text.strip() or "\n" in t.text:
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    def clear(self, row: int, col: int) -> None:
        c = self._cells_of(row).get(col)
        if c is not None:
            for child in list(c):
                c.remove(child)
            c.attrib.pop("t", None)

    def all_cells(self) -> Iterable[tuple[tuple[int, int], etree._Element]]:
        return self.cells.items()

    # columns
    def set_columns(self, widths: dict[int, float], styles: dict[int, int]) -> None:
        """Widths (for the given columns) and default styles (for new rows), never overlapping ranges."""
        cols = self.root.find(q("cols"))
        if cols is None:
            cols = etree.Element(q("cols"))
            insert_ordered(self.root, cols, SHEET_ORDER)
        singles: dict[int, etree._Element] = {}
        for col in list(cols):
            lo, hi = int(col.get("min")), int(col.get("max"))
            cols.remove(col)
            for n in range(lo, hi + 1):
                one = copy.deepcopy(col)
                one.set("min", str(n))
                one.set("max", str(n))
                singles[n] = one
        for n in sorted(set(widths) | set(styles)):
            one = singles.get(n)
            if one is None:
                one = etree.Element(q("col"), min=str(n), max=str(n), width="9.140625")
                singles[n] = one
            if n in widths:
                one.set("width", f"{widths[n]:.2f}")
                one.set("customWidth", "1")
            if n in styles:
                one.set("style", str(styles[n]))
        for n in sorted(singles):
            cols.append(singles[n])
        self._col_styles = {n: int(c.get("style", "0")) for n, c in singles.items()}

    def protect(self) -> None:
        """Sheet protection without a password; formatting, inserting rows, sorting and filtering stay allowed."""
        old = self.root.find(q("sheetProtection"))
        if old is not None:
            self.root.remove(old)
        prot = etree.Element(q("sheetProtection"), sheet="1", objects="1", scenarios="1", formatCells="0",
                             formatColumns="0", formatRows="0", insertRows="0", sort="0", autoFilter="0")
        insert_ordered(self.root, prot, SHEET_ORDER)

    def update_dimension(self) -> None:
        if not self.rows:
            return
        max_row = max(self.rows)
        max_col = 0
        for row_el in self.rows.values():  # cells are in column order: the last one is the right-most
            for c in reversed(row_el):
                if c.tag == self.c_tag:
                    max_col = max(max_col, split_ref(c.get("r"))[1])
                    break
        if max_col == 0:
            return
        dim = self.root.find(q("dimension"))
        if dim is None:
            dim = etree.Element(q("dimension"))
            insert_ordered(self.root, dim, SHEET_ORDER)
        dim.set("ref", f"A1:{col_letters(max_col)}{max_row}")

    def data(self) -> bytes:
        self.update_dimension()
        return _bytes(self.root)


_TAB_SELECTED = re.compile(rb'\stabSelected="(?:1|true)"')
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean_xml_text(text: str) -> str:
    return _BAD_XML.sub("", text)


# --- new sheets ---------------------------------------------------------------------------------------

@dataclass
class NewSheet:
    """A sheet we write from scratch: rows of (value, xf) cells, column widths, links, heights."""

    name: str
    rows: list[list[tuple[object, int | None]]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (cell ref, location, display)
    freeze_header: bool = False
    autofilter: bool = False
    landscape_fit: bool = False  # A4 landscape, one page wide, header row repeated
    portrait_fit: bool = False  # A4 portrait, one page wide
    selected: bool = False

    def xml(self) -> bytes:
        out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}" '
               f'xmlns:r="{R_NS}">']
        if self.landscape_fit or self.portrait_fit:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        last_col = max((len(r) for r in self.rows), default=1)
        out.append(f'<dimension ref="A1:{col_letters(max(last_col, 1))}{max(len(self.rows), 1)}"/>')
        view = f'<sheetView workbookViewId="0"{" tabSelected=" + chr(34) + "1" + chr(34) if self.selected else ""}>'
        if self.freeze_header:
            view += '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' \
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        out.append(f"<sheetViews>{view}</sheetView></sheetViews>")
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w:.2f}" customWidth="1"/>'
                                          for i, w in enumerate(self.widths, start=1)) + "</cols>")
        out.append("<sheetData>")
        for r, row in enumerate(self.rows, start=1):
            height = self.heights.get(r)
            attrs = f' ht="{height:.1f}" customHeight="1"' if height else ""
            out.append(f'<row r="{r}"{attrs}>')
            for c, (value, xf) in enumerate(row, start=1):
                out.append(_cell_xml(f"{col_letters(c)}{r}", value, xf))
            out.append("</row>")
        out.append("</sheetData>")
        if self.autofilter and self.rows:
            out.append(f'<autoFilter ref="A1:{col_letters(last_col)}{max(len(self.rows), 2)}"/>')
        if self.links:
            out.append("<hyperlinks>" + "".join(
                f"<hyperlink ref={quoteattr(ref)} location={quoteattr(loc)} display={quoteattr(disp)}/>"
                for ref, loc, disp in self.links) + "</hyperlinks>")
        out.append('<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>')
        if self.landscape_fit or self.portrait_fit:
            orientation = "landscape" if self.landscape_fit else "portrait"
            out.append(f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>')
        out.append("</worksheet>")
        return "".join(out).encode("utf-8")


def _cell_xml(ref: str, value: object, xf: int | None) -> str:
    s = f' s="{xf}"' if xf is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if xf is not None else ""
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(_clean_xml_text(str(value)))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


# --- the package ----------------------------------------------------------------------------------------

class Workbook:
    """An opened .xlsx package: read parts lazily, edit, and save to a new file."""

    def __init__(self, data: bytes) -> None:
        self.zin = zipfile.ZipFile(io.BytesIO(data))
        self.names = self.zin.namelist()
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        types = _xml(self.zin.read("[Content_Types].xml"))
        self.types = types
        main = [o for o in types.findall(f"{{{CT_NS}}}Override") if o.get("PartName") == "/xl/workbook.xml"]
        if not main or main[0].get("ContentType") != CT_XLSX_MAIN:
            raise Unsupported("not a plain .xlsx workbook (macro-enabled or unusual layout)")
        self.book = _xml(self.zin.read("xl/workbook.xml"))
        self.book_rels = _xml(self.zin.read("xl/_rels/workbook.xml.rels"))
        self.sheets_node = self.book.find(q("sheets"))
        self.styles = Styles(self.zin.read(self._styles_part()))
        self.open_sheets: dict[str, Sheet] = {}
        self.new_sheets: list[tuple[int, NewSheet]] = []
        self.deselect = False

    def _rel_targets(self, rels: etree._Element, base: str) -> dict[str, tuple[str, str]]:
        out = {}
        for rel in rels:
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out[rel.get("Id")] = (rel.get("Type"), path)
        return out

    def _styles_part(self) -> str:
        for _, (kind, path) in self._rel_targets(self.book_rels, "xl").items():
            if kind.endswith("/styles"):
                return path
        raise Unsupported("no styles part")

    def sheet_names(self) -> list[str]:
        return [s.get("name") for s in self.sheets_node]

    def _sheet_part(self, name: str) -> str:
        targets = self._rel_targets(self.book_rels, "xl")
        for s in self.sheets_node:
            if s.get("name") == name:
                kind, path = targets[s.get(f"{{{R_NS}}}id")]
                if not kind.endswith("/worksheet"):
                    raise Unsupported("not a worksheet")
                return path
        raise KeyError(name)

    def sheet(self, name: str) -> Sheet:
        if name not in self.open_sheets:
            part = self._sheet_part(name)
            sheet = Sheet(name, part, self.zin.read(part))
            self._load_comments(sheet)
            self.open_sheets[name] = sheet
        return self.open_sheets[name]

    # comments
    def _sheet_rels_name(self, part: str) -> str:
        folder, base = posixpath.split(part)
        return f"{folder}/_rels/{base}.rels"

    def _load_comments(self, sheet: Sheet) -> None:
        rels_name = self._sheet_rels_name(sheet.part)
        if rels_name not in self.names:
            return
        rels = _xml(self.zin.read(rels_name))
        for _, (kind, path) in self._rel_targets(rels, posixpath.dirname(sheet.part)).items():
            if kind == REL_COMMENTS:
                root = _xml(self.zin.read(path))
                authors = [a.text or "" for a in root.iter(q("author"))]
                for c in root.iter(q("comment")):
                    text = "".join(t.text or "" for t in c.iter(q("t")))
                    author = authors[int(c.get("authorId", "0"))] if authors else ""
                    sheet.comments[split_ref(c.get("ref"))] = Comment(text, author)
            elif kind == REL_VML:
                vml = self.zin.read(path)
                if re.search(rb'ObjectType="(?!Note")', vml):
                    raise Unsupported("form controls share the comment drawing")

    def _save_comments(self, sheet: Sheet) -> None:
        rels_name = self._sheet_rels_name(sheet.part)
        rels = _xml(self.zin.read(rels_name)) if rels_name in self.names else etree.Element(
            f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
        old = {kind: (rid, path) for rid, (kind, path) in
               self._rel_targets(rels, posixpath.dirname(sheet.part)).items() if kind in (REL_COMMENTS, REL_VML)}
        for rel in list(rels):
            if rel.get("Type") in (REL_COMMENTS, REL_VML):
                rels.remove(rel)
        for kind in (REL_COMMENTS, REL_VML):
            if kind in old:
                self.removed.add(old[kind][1])
        legacy = sheet.root.find(q("legacyDrawing"))
        if legacy is not None:
            sheet.root.remove(legacy)
        if not sheet.comments:
            self._put_rels(rels_name, rels)
            return
        n = 1
        while f"xl/comments{n}.xml" in self.names or f"xl/comments{n}.xml" in self.changed:
            n += 1
        comments_part, vml_part = f"xl/comments{n}.xml", f"xl/drawings/vmlDrawing{n}.vml"
        self.changed[comments_part] = _comments_xml(sheet.comments)
        self.changed[vml_part] = _vml(sheet.comments, n)
        ids = {r.get("Id") for r in rels}
        rid_c, rid_v = _new_id(ids), None
        ids.add(rid_c)
        rid_v = _new_id(ids)
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid_c, Type=REL_COMMENTS,
                         Target=posixpath.relpath(comments_part, posixpath.dirname(sheet.part)))
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid_v, Type=REL_VML,
                         Target=posixpath.relpath(vml_part, posixpath.dirname(sheet.part)))
        self._put_rels(rels_name, rels)
        node = etree.Element(q("legacyDrawing"))
        node.set(f"{{{R_NS}}}id", rid_v)
        insert_ordered(sheet.root, node, SHEET_ORDER)
        self._override(f"/{comments_part}", CT_COMMENTS)
        if not any(d.get("Extension", "").lower() == "vml" for d in self.types.findall(f"{{{CT_NS}}}Default")):
            default = etree.Element(f"{{{CT_NS}}}Default", Extension="vml", ContentType=CT_VML)
            self.types.insert(0, default)

    def _put_rels(self, name: str, rels: etree._Element) -> None:
        if len(rels):
            self.changed[name] = _bytes(rels)
            self.removed.discard(name)
        elif name in self.names:
            self.removed.add(name)

    def _override(self, part_name: str, content_type: str) -> None:
        for o in self.types.findall(f"{{{CT_NS}}}Override"):
            if o.get("PartName") == part_name:
                o.set("ContentType", content_type)
                return
        etree.SubElement(self.types, f"{{{CT_NS}}}Override", PartName=part_name, ContentType=content_type)

    # sheets added and removed
    def remove_sheet(self, name: str) -> None:
        index = self.sheet_names().index(name)
        part = self._sheet_part(name)
        node = self.sheets_node[index]
        rid = node.get(f"{{{R_NS}}}id")
        self.sheets_node.remove(node)
        for rel in list(self.book_rels):
            if rel.get("Id") == rid:
                self.book_rels.remove(rel)
        self.removed.add(part)
        rels_name = self._sheet_rels_name(part)
        if rels_name in self.names:
            self.removed.add(rels_name)
        for o in list(self.types.findall(f"{{{CT_NS}}}Override")):
            if o.get("PartName") == f"/{part}":
                self.types.remove(o)
        self._shift_local_ids(index, -1)

    def _shift_local_ids(self, index: int, delta: int) -> None:
        names = self.book.find(q("definedNames"))
        for dn in list(names) if names is not None else ():
            local = dn.get("localSheetId")
            if local is None:
                continue
            local_i = int(local)
            if delta < 0 and local_i == index:
                names.remove(dn)
            elif local_i >= index:
                dn.set("localSheetId", str(local_i + delta))
        if names is not None and len(names) == 0:
            self.book.remove(names)

    def add_sheet(self, sheet: NewSheet, index: int) -> None:
        self.new_sheets.append((index, sheet))

    def _place_new_sheets(self) -> None:
        used_ids = [int(s.get("sheetId")) for s in self.sheets_node]
        rel_ids = {r.get("Id") for r in self.book_rels}
        n = 1
        for index, sheet in sorted(self.new_sheets, key=lambda x: x[0]):
            while f"xl/worksheets/sheet{n}.xml" in self.names and f"xl/worksheets/sheet{n}.xml" not in self.removed \
                    or f"xl/worksheets/sheet{n}.xml" in self.changed:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            self.changed[part] = sheet.xml()
            self.removed.discard(part)
            rid = _new_id(rel_ids)
            rel_ids.add(rid)
            etree.SubElement(self.book_rels, f"{{{PKG_REL}}}Relationship", Id=rid, Type=REL_SHEET,
                             Target=f"worksheets/sheet{n}.xml")
            node = etree.Element(q("sheet"), name=sheet.name, sheetId=str(max(used_ids, default=0) + 1))
            node.set(f"{{{R_NS}}}id", rid)
            used_ids.append(int(node.get("sheetId")))
            self.sheets_node.insert(index, node)
            self._shift_local_ids(index, +1)
            self._override(f"/{part}", CT_SHEET)
            if sheet.landscape_fit:
                self._print_titles(index, sheet.name)

    def _print_titles(self, index: int, name: str) -> None:
        names = self.book.find(q("definedNames"))
        if names is None:
            names = etree.Element(q("definedNames"))
            self.sheets_node.addnext(names)
        dn = etree.SubElement(names, q("definedName"), name="_xlnm.Print_Titles", localSheetId=str(index))
        dn.text = f"'{name}'!$1:$1"

    def activate(self, index: int) -> None:
        """Open on this sheet: the workbook's active tab, and no other sheet still marked selected."""
        views = self.book.find(q("bookViews"))
        if views is not None and len(views):
            views[0].set("activeTab", str(index))
            views[0].set("firstSheet", "0")
        self.deselect = True

    # saving
    def save(self, out: io.BufferedIOBase | str) -> None:
        self._place_new_sheets()
        for sheet in self.open_sheets.values():
            if sheet.comments_changed:
                self._save_comments(sheet)
            if self.deselect:
                for view in sheet.root.iter(q("sheetView")):
                    view.attrib.pop("tabSelected", None)
            self.changed[sheet.part] = sheet.data()
        if self.deselect:
            targets = self._rel_targets(self.book_rels, "xl")
            for node in self.sheets_node:
                kind, part = targets.get(node.get(f"{{{R_NS}}}id"), ("", ""))
                if kind == REL_SHEET and part in self.names and part not in self.changed:
                    raw = self.zin.read(part)
                    if _TAB_SELECTED.search(raw):
                        self.changed[part] = _TAB_SELECTED.sub(b"", raw)
        self.changed["xl/workbook.xml"] = _bytes(self.book)
        self.changed["xl/_rels/workbook.xml.rels"] = _bytes(self.book_rels)
        self.changed[self._styles_part()] = self.styles.data()
        for o in list(self.types.findall(f"{{{CT_NS}}}Override")):  # no content type for a part that is gone
            part = (o.get("PartName") or "").lstrip("/")
            if part in self.removed and part not in self.changed:
                self.types.remove(o)
        self.changed["[Content_Types].xml"] = _bytes(self.types)
        if "docProps/app.xml" in self.names:  # sheet titles listed there would no longer match
            app = _xml(self.zin.read("docProps/app.xml"))
            for child in list(app):
                if etree.QName(child).localname in ("TitlesOfParts", "HeadingPairs"):
                    app.remove(child)
            self.changed["docProps/app.xml"] = _bytes(app)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
            written = set()
            for name in self.names:
                if name in self.removed or name in written:
                    continue
                written.add(name)
                if name in self.changed:
                    zout.writestr(name, self.changed[name])
                else:
                    info = self.zin.getinfo(name)
                    zout.writestr(info, self.zin.read(name), compress_type=zipfile.ZIP_DEFLATED)
            for name, data in self.changed.items():
                if name not in written and name not in self.removed:
                    zout.writestr(name, data)
                    written.add(name)


def _new_id(existing: set[str]) -> str:
    n = 1
    while f"rId{n}" in existing:
        n += 1
    return f"rId{n}"


def _comments_xml(comments: dict[tuple[int, int], Comment]) -> bytes:
    authors: list[str] = []
    for c in comments.values():
        if c.author not in authors:
            authors.append(c.author)
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS}"><authors>',
             "".join(f"<author>{escape(a)}</author>" for a in authors), "</authors><commentList>"]
    for (row, col), c in sorted(comments.items()):
        parts.append(f'<comment ref="{col_letters(col)}{row}" authorId="{authors.index(c.author)}"><text><r><rPr>'
                     f'<sz val="9"/><rFont val="宋体"/></rPr><t xml:space="preserve">{escape(_clean_xml_text(c.text))}'
                     f"</t></r></text></comment>")
    parts.append("</commentList></comments>")
    return "".join(parts).encode("utf-8")


def _vml(comments: dict[tuple[int, int], Comment], n: int) -> bytes:
    """The legacy drawing Excel needs to show comments: one Note shape per comment."""
    head = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{n}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
    shapes = []
    for i, ((row, col), c) in enumerate(sorted(comments.items()), start=1):
        lines = c.text.count("\n") + 1 + len(c.text) // 30
        height = min(12, max(3, lines))
        shapes.append(
            f'<v:shape id="_x0000_s{n * 1024 + i}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
            f'margin-top:1.5pt;width:240pt;height:{height * 15}pt;z-index:{i};visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
            'obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
            f'<x:SizeWithCells/><x:Anchor>{col}, 15, {max(row - 2, 0)}, 2, {col + 4}, 15, {max(row - 2, 0) + height}, 16'
            f'</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>'
            '</x:ClientData></v:shape>')
    return (head + "".join(shapes) + "</xml>").encode("utf-8")
