"""A worksheet written from scratch into an existing package (the returned copy's 问题清单 and 回执)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .markup import NS, R_NS, cell_ref, clean_text


@dataclass
class NewSheet:
    """A sheet we write from scratch: rows of (value, xf) cells, column widths, links, heights."""

    name: str
    rows: list[Sequence[tuple[object, int | None]]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (cell ref, location, display)
    freeze_header: bool = False
    autofilter: bool = False
    landscape_fit: bool = False  # A4 landscape, one page wide, header row repeated
    portrait_fit: bool = False  # A4 portrait, one page wide
    selected: bool = False
    gridlines: bool = False  # printed
    header: str = ""  # page header and footer codes (&A the sheet, &P the page, &N the pages)
    footer: str = ""

    def xml(self) -> bytes:
        out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}" '
               f'xmlns:r="{R_NS}">']
        if self.landscape_fit or self.portrait_fit:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        last_col = max((len(r) for r in self.rows), default=1)
        out.append(f'<dimension ref="A1:{cell_ref(max(len(self.rows), 1), max(last_col, 1))}"/>')
        selected = ' tabSelected="1"' if self.selected else ""
        view = f'<sheetView workbookViewId="0"{selected}>'
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
                out.append(_cell_xml(cell_ref(r, c), value, xf))
            out.append("</row>")
        out.append("</sheetData>")
        if self.autofilter and self.rows:
            out.append(f'<autoFilter ref="A1:{cell_ref(max(len(self.rows), 2), last_col)}"/>')
        if self.links:
            out.append("<hyperlinks>" + "".join(
                f"<hyperlink ref={quoteattr(ref)} location={quoteattr(loc)} display={quoteattr(disp)}/>"
                for ref, loc, disp in self.links) + "</hyperlinks>")
        if self.gridlines:
            out.append('<printOptions gridLines="1"/>')
        out.append('<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>')
        if self.landscape_fit or self.portrait_fit:
            orientation = "landscape" if self.landscape_fit else "portrait"
            out.append(f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>')
        if self.header or self.footer:
            out.append(f"<headerFooter><oddHeader>{escape(self.header)}</oddHeader>"
                       f"<oddFooter>{escape(self.footer)}</oddFooter></headerFooter>")
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
    text = escape(clean_text(str(value)))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
