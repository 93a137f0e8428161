"""The rows of a pre-filled village sheet as worksheet XML, spliced into the workbook XlsxWriter wrote with the
header rows only (as fastsheet does for the master's big sheets).

XlsxWriter spends several Python calls on each cell, when it is written and again when the workbook is closed;
a district's 200 pre-filled workbooks hold about three million cells, a fifth of them marked blanks. Here each
row is one string made from pieces worked out once per column. A cell reads back as XlsxWriter writes it: a
text (inline, not in the shared strings) or a number with the column's format, 是/否 for a yes/no, a date as its
serial with the date format, a marked empty cell in the to-fill colour, the system columns in their own style.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from .. import zip_parts
from .fastsheet import XML_ESCAPE, XML_SPECIAL, around_rows

_EPOCH = dt.datetime(1899, 12, 31)


@dataclass(frozen=True)
class CellStyles:
    """One column's style indexes (internals.xf_index of the template writer's formats)."""

    key: str
    text: int  # a text (and any other value written as its text)
    number: int  # a number
    yes_no: int  # a bool, written 是/否
    date: int
    to_fill: int  # an empty cell marked for the clerk


def _serial(value: dt.datetime) -> float:
    """A date as Excel's serial in the 1900 date system (XlsxWriter's arithmetic, leap-year bug included)."""
    delta = value - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


def _text(value: str) -> str:
    text = value.translate(XML_ESCAPE) if XML_SPECIAL.search(value) else value
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{text}</t></is>"


def rows_xml(columns: Sequence[CellStyles], rows: Sequence[Mapping[str, Any]],
             marks: Collection[tuple[int, str]], system: Sequence[tuple[int, Sequence[Any]]]) -> str:
    """The <row> elements of rows 2… (`rows` by column key; `marks`: (row index, key) of the empty cells to mark;
    `system`: (style, one value per row) of each system column, written as text after the schema's columns)."""
    marked: dict[int, set[str]] = {}
    for i, key in marks:
        marked.setdefault(i, set()).add(key)
    letters = [xl_col_to_name(c) for c in range(len(columns) + len(system))]
    opens = [f'<c r="{letter}' for letter in letters]
    text_s = [f'" s="{col.text}" t="inlineStr">' for col in columns]
    number_s = [f'" s="{col.number}"><v>' for col in columns]
    keys = [col.key for col in columns]
    by_key = {col.key: c for c, col in enumerate(columns)}
    system_s = [(opens[len(columns) + i], f'" s="{style}" t="inlineStr">', values)
                for i, (style, values) in enumerate(system)]
    parts: list[str] = []
    add = parts.append
    for i, row in enumerate(rows):
        r = str(i + 2)
        add(f'<row r="{r}">')
        get = row.get
        blanks = marked.get(i)
        if blanks is None:
            for c, key in enumerate(keys):
                value = get(key)
                if value is None or value == "":
                    continue
                _cell(add, opens[c], r, value, text_s[c], number_s[c], columns[c])
        else:
            wanted = {by_key[key] for key in blanks if key in by_key}
            for c, key in enumerate(keys):
                value = get(key)
                if value is None or value == "":
                    if c in wanted:
                        add(f'{opens[c]}{r}" s="{columns[c].to_fill}"/>')
                    continue
                _cell(add, opens[c], r, value, text_s[c], number_s[c], columns[c])
        for open_, style, values in system_s:
            value = values[i] if i < len(values) else None
            if value is not None and value != "":
                add(f"{open_}{r}{style}{_text(str(value))}</c>")
        add("</row>")
    return "".join(parts)


def _cell(add: Any, open_: str, r: str, value: Any, text_s: str, number_s: str, col: CellStyles) -> None:
    kind = type(value)
    if kind is str:
        add(f"{open_}{r}{text_s}{_text(value)}</c>")
    elif kind is int or kind is float:
        add(f"{open_}{r}{number_s}{value:.16G}</v></c>")
    elif kind is bool:
        add(f'{open_}{r}" s="{col.yes_no}" t="inlineStr"><is><t>{"是" if value else "否"}</t></is></c>')
    elif isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        add(f'{open_}{r}" s="{col.date}"><v>{_serial(moment):.16G}</v></c>')
    elif isinstance(value, (int, float)):
        add(f"{open_}{r}{number_s}{value:.16G}</v></c>")
    else:
        add(f"{open_}{r}{text_s}{_text(str(value))}</c>")


def splice_rows(xlsx: Path, sheets: Mapping[str, tuple[str, int, int]]) -> None:
    """Put each sheet's rows after its header row ({part name: (rows_xml, row count, column count)}), the sheet's
    dimension made to cover them; the workbook rewritten in place."""
    with zip_parts.rewritten(xlsx) as (zin, zout):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in sheets:
                rows, count, columns = sheets[info.filename]
                head, tail = around_rows(data, info.filename, columns, count + 1)
                data = head + rows.encode("utf-8") + tail
            zip_parts.copy(zout, info, data)
