"""Stream the rows of very large sheets (the master's 监测户台账 and 家庭成员) as worksheet XML, then splice
them into a workbook XlsxWriter wrote with only the header rows.

XlsxWriter formats each cell through several Python calls (~16 µs a cell); a district master has about
five million cells. Writing the row XML directly costs a tenth of that, while XlsxWriter still writes
everything else (styles, charts, validation, protection) and assigns the style ids these rows use.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name

from .. import zip_parts
from .common import SPOOL_PREFIX, WrappedHeights

XML_ESCAPE: dict[int, str | None] = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
XML_ESCAPE.update({c: None for c in range(32) if c not in (9, 10, 13)})  # control characters are not XML
XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML_ESCAPE changes


class RowSpool:
    """Row XML written to a temporary file as rows arrive; memory stays flat whatever the row count."""

    def __init__(self, styles: Sequence[int], *, first_row: int = 2, wraps: Mapping[int, float] | None = None,
                 directory: Path | None = None) -> None:
        self.styles = [f' s="{s}"' if s else "" for s in styles]
        self.wraps = dict(wraps or {})  # index → width of the columns whose wrapped text sets a row's height
        self.heights = WrappedHeights(self.wraps)
        self.letters = [xl_col_to_name(c) for c in range(len(styles))]
        self.next_row = first_row
        self.count = 0
        fd, name = tempfile.mkstemp(prefix=SPOOL_PREFIX, suffix=".xml", dir=directory)  # the workspace's 系统/tmp
        self.path = Path(name)
        self.fh = os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 20)

    def add_rows(self, rows: Iterable[Sequence[object]]) -> None:
        write = self.fh.write
        heights = self.heights if self.wraps else None
        # each cell's XML from pieces made once per column, its row number once per row; a text is escaped only
        # when it holds something to escape (str.translate looks up every character of every text otherwise)
        opens = [f'<c r="{letter}' for letter in self.letters]
        texts = [f'"{style} t="inlineStr"><is><t>' for style in self.styles]
        numbers = [f'"{style}><v>' for style in self.styles]
        special = XML_SPECIAL.search
        for row in rows:
            r = str(self.next_row)
            height = heights(row) if heights is not None else None
            parts = [f'<row r="{r}" ht="{height}" customHeight="1">' if height else f'<row r="{r}">']
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if type(value) is str:
                    text = value.translate(XML_ESCAPE) if special(value) else value
                    parts.append(f"{opens[c]}{r}{texts[c]}{text}</t></is></c>")
                elif type(value) is bool:
                    parts.append(f"{opens[c]}{r}{texts[c]}{'是' if value else '否'}</t></is></c>")
                elif isinstance(value, (int, float)):
                    parts.append(f"{opens[c]}{r}{numbers[c]}{value!r}</v></c>")
                else:
                    text = str(value).translate(XML_ESCAPE)
                    parts.append(f"{opens[c]}{r}{texts[c]}{text}</t></is></c>")
            parts.append("</row>")
            write("".join(parts))
            self.next_row += 1
            self.count += 1

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def around_rows(part: bytes, name: str, columns: int, last_row: int) -> tuple[bytes, bytes]:
    """A sheet part cut where rows go (the end of its <sheetData>): (what comes before, with its dimension made to
    cover `columns` columns and the rows up to last_row; what comes after)."""
    head, sep, tail = part.partition(b"</sheetData>")
    if not sep:
        raise ValueError(f"{name} has no sheetData")
    ref = f"A1:{xl_col_to_name(columns - 1)}{max(last_row, 1)}".encode()
    return _DIMENSION.sub(b'<dimension ref="' + ref + b'"/>', head, count=1), sep + tail


def splice(xlsx: Path, spools: dict[str, tuple[RowSpool, int]]) -> None:
    """Put each spool's rows at the end of its sheet's <sheetData> ({part name: (spool, column count)}).
    The spools stay for the caller to discard."""
    with zip_parts.rewritten(xlsx) as (zin, zout):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename not in spools:
                zip_parts.copy(zout, info, data)
                continue
            spool, columns = spools[info.filename]
            spool.close()
            head, tail = around_rows(data, info.filename, columns, spool.next_row - 1)
            with zout.open(zip_parts.part(info.filename, info.date_time), "w", force_zip64=True) as fh:
                fh.write(head)
                with open(spool.path, "rb") as rows:
                    shutil.copyfileobj(rows, fh, 1 << 20)
                fh.write(tail)
