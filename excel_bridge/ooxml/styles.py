"""The workbook's styles part: a cell's style with something added (a fill, bold, a number format,
protection…) becomes a new cellXfs entry, created once and reused; the clerk's own styles stay as they are."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from .markup import Unsupported, insert_ordered, parse, q, serialize

STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst"]
XF_ORDER = ["alignment", "protection", "extLst"]
TEXT_FORMAT = 49  # built-in "@"
FIRST_CUSTOM_FORMAT = 164  # ids below are built-in number formats
DATE_FORMAT_CODE = "yyyy-mm-dd"
LINK_COLOUR = "FF0563C1"


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
    title: bool = False  # a sheet's title line: bold and larger (14 pt)


_NO_FILL = Look(fill="__none__")  # the cache key of a style with its fill taken away


class Styles:
    """The parsed styles part, with the cellXfs entries we add."""

    def __init__(self, data: bytes) -> None:
        self.root = parse(data, part="styles")
        self._cache: dict[tuple[int, Look], int] = {}
        self._fills: dict[str, int] = {}
        self._fonts: dict[str, int] = {}
        self._date_fmt: int | None = None
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
        if rgb not in self._fills:
            fill = etree.Element(q("fill"))
            pattern = etree.SubElement(fill, q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb="FF" + rgb)
            etree.SubElement(pattern, q("bgColor"), indexed="64")
            self._fills[rgb] = self._append(self._section("fills"), fill)
        return self._fills[rgb]

    def _font(self, base_font: int, kind: str) -> int:
        key = f"{base_font}:{kind}"
        if key not in self._fonts:
            fonts = self._section("fonts")
            font = copy.deepcopy(fonts[base_font]) if base_font < len(fonts) else etree.Element(q("font"))
            if kind in ("bold", "title") and font.find(q("b")) is None:
                font.insert(0, etree.Element(q("b")))
            if kind == "title":
                size = font.find(q("sz"))
                if size is None:
                    size = etree.Element(q("sz"))
                    font.insert(1, size)
                size.set("val", "14")
            if kind == "link":
                for tag in ("color", "u"):
                    old = font.find(q(tag))
                    if old is not None:
                        font.remove(old)
                font.insert(0, etree.Element(q("u")))
                color = etree.Element(q("color"), rgb=LINK_COLOUR)
                size = font.find(q("sz"))
                (size.addnext(color) if size is not None else font.insert(1, color))
            self._fonts[key] = self._append(fonts, font)
        return self._fonts[key]

    def _date_format(self) -> int:
        if self._date_fmt is None:
            fmts = self._section("numFmts")
            used = [int(f.get("numFmtId")) for f in fmts]
            self._date_fmt = max([FIRST_CUSTOM_FORMAT - 1, *used]) + 1
            etree.SubElement(fmts, q("numFmt"), numFmtId=str(self._date_fmt), formatCode=DATE_FORMAT_CODE)
            fmts.set("count", str(len(fmts)))
        return self._date_fmt

    def xf(self, base: int, look: Look) -> int:
        """A cellXfs index: the cell's style `base` with `look` applied (created once, then reused)."""
        key = (base, look)
        if key in self._cache:
            return self._cache[key]
        source = self.xfs[base] if base < len(self.xfs) else self.xfs[0]
        xf = copy.deepcopy(source)
        if look.fill:
            xf.set("fillId", str(self._fill(look.fill)))
            xf.set("applyFill", "1")
        if look.bold or look.link or look.title:
            kind = "link" if look.link else ("title" if look.title else "bold")
            xf.set("fontId", str(self._font(int(xf.get("fontId", "0")), kind)))
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
        self._cache[key] = index
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
        """A copy of a style with no fill (a mark we put on a cell, taken off again)."""
        key = (xf_index, _NO_FILL)
        if key not in self._cache:
            xf = copy.deepcopy(self.xfs[xf_index])
            xf.set("fillId", "0")
            self._cache[key] = self._append(self.xfs, xf)
        return self._cache[key]

    def data(self) -> bytes:
        return serialize(self.root)
