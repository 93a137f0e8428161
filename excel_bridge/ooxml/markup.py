"""The XML under every part: namespaces, the one hardened parser, cell references, child order.

Every part of a workbook we parse is untrusted input from a clerk's machine. The parser resolves no
entities, fetches nothing from the network and keeps libxml2's size limits; a part with a DTD (which no
OOXML writer produces: OPC forbids it) or that is not well-formed raises Unsupported, so the caller
takes the openpyxl path instead of writing a copy with a billion laughs or a server file in it.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from .cells import column_index, column_letter

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99): new children must go to their place.
SHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
               "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
               "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
               "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
               "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
               "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
               "extLst"]


class Unsupported(Exception):
    """The workbook uses something this editor does not edit safely (or is hostile); use openpyxl instead."""


_PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True, huge_tree=False,
                          load_dtd=False)


def parse(data: bytes, *, part: str = "") -> etree._Element:
    """A part's root element, or Unsupported for a DTD, a malformed part or one beyond libxml2's limits."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"{part or 'part'} is not well-formed XML ({exc})") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise Unsupported(f"{part or 'part'} declares a DTD")
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rels_part(part: str) -> str:
    """Where a part's relationships are stored (OPC): xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels."""
    folder, base = posixpath.split(part)
    return f"{folder}/_rels/{base}.rels"


def q(tag: str) -> str:
    """A SpreadsheetML tag in Clark notation."""
    return f"{{{NS}}}{tag}"


def local_name(el: etree._Element) -> str | None:
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def insert_ordered(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    """Insert child among parent's children at the position its schema order demands."""
    rank = order.index(etree.QName(child).localname)
    for i, existing in enumerate(parent):
        other = local_name(existing)
        if other in order and order.index(other) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


_COLUMN_CACHE: dict[str, int] = {}


def split_ref(ref: str) -> tuple[int, int]:
    """"AB12" → (12, 28): the 1-based row and column of an A1 reference; Unsupported for anything else."""
    letters = ref.rstrip("0123456789")
    col = _COLUMN_CACHE.get(letters)
    if col is None:  # refs repeat the same few letters: validate once, then a dict lookup per cell
        if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isupper() or letters == ref:
            raise Unsupported(f"cell reference {ref!r}")
        col = _COLUMN_CACHE[letters] = column_index(letters)
    return int(ref[len(letters):]), col


def cell_ref(row: int, col: int) -> str:
    """(12, 28) → "AB12"."""
    return f"{column_letter(col)}{row}"


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str) -> str:
    """Text without the control characters XML 1.0 cannot hold."""
    return _BAD_XML.sub("", text)
