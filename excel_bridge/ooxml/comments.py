"""Cell comments: read from a sheet's comments part, written back as a comments part plus the legacy VML
drawing Excel needs to show them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .markup import NS, Unsupported, cell_ref, clean_text, parse, q, split_ref

REL_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

_NOT_A_NOTE = re.compile(rb'ObjectType="(?!Note")')


@dataclass
class Comment:
    text: str
    author: str


def read_comments(data: bytes, *, part: str = "comments") -> dict[tuple[int, int], Comment]:
    """(row, col) → Comment of a comments part; rich-text runs are joined into plain text."""
    root = parse(data, part=part)
    authors = [a.text or "" for a in root.iter(q("author"))]
    out: dict[tuple[int, int], Comment] = {}
    for c in root.iter(q("comment")):
        text = "".join(t.text or "" for t in c.iter(q("t")))
        author = authors[int(c.get("authorId", "0"))] if authors else ""
        out[split_ref(c.get("ref") or "")] = Comment(text, author)
    return out


def check_drawing(data: bytes) -> None:
    """A legacy drawing we may replace holds comment shapes only; form controls there would be lost."""
    if _NOT_A_NOTE.search(data):
        raise Unsupported("form controls share the comment drawing")


def comments_xml(comments: dict[tuple[int, int], Comment]) -> bytes:
    authors: list[str] = []
    for c in comments.values():
        if c.author not in authors:
            authors.append(c.author)
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS}"><authors>',
             "".join(f"<author>{escape(a)}</author>" for a in authors), "</authors><commentList>"]
    for (row, col), c in sorted(comments.items()):
        parts.append(f'<comment ref="{cell_ref(row, col)}" authorId="{authors.index(c.author)}"><text><r><rPr>'
                     f'<sz val="9"/><rFont val="宋体"/></rPr><t xml:space="preserve">{escape(clean_text(c.text))}'
                     f"</t></r></text></comment>")
    parts.append("</commentList></comments>")
    return "".join(parts).encode("utf-8")


def vml_xml(comments: dict[tuple[int, int], Comment], n: int) -> bytes:
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
