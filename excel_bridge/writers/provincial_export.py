"""The workbook of `export 省系统` (provincial/export.py): one sheet 省系统录入数据 in the national system's column
layout — its header on the first row as the national import template has it, one row per person, IDs, 户编号 and
phone numbers as text, the header frozen, printed across as many landscape pages as keep it legible with the
person's name on each — then 录入原因 (新认定 / 风险消除 / 信息变更); and a sheet 说明 (the town, the period, the
counts, and that it holds personal data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..messages import TEXT
from .common import Placed, meta_rows, place_atomically
from .tables import Col, new_workbook, write_meta, write_table

EXPORT_KIND = "excel_bridge.provincial_export"
DATA_SHEET = "省系统录入数据"
TEXT_WORDS = ("编号", "证件号码", "身份证", "电话")  # a column whose header says it holds a number to keep as text
WIDTHS = {"姓名": 8, "序号": 5, "人数": 5, "与户主关系": 8, "民族": 6}


def export_columns(headers: list[str]) -> list[Col]:
    out = []
    for h in headers:
        if any(w in h for w in TEXT_WORDS):
            out.append(Col(h, 20 if ("证件" in h or "身份" in h) else 16, "id"))
        else:
            out.append(Col(h, WIDTHS.get(h, 10)))
    return out


def identity_of(headers: list[str]) -> int:
    """The leading columns repeated on every page across: up to 姓名 when it stands among the first ten."""
    return headers.index("姓名") + 1 if "姓名" in headers[:10] else 0


def write_provincial_export(target: Path, *, district: str, town: str, since: dt.datetime | None,
                            headers: list[str], rows: Sequence[Sequence[Any]], households: int,
                            at: dt.datetime) -> Placed:
    """The file at `target`: `rows` (each the national columns then 录入原因) under `headers`."""
    def build(tmp: Path) -> None:
        wb, fmt = new_workbook(str(tmp))
        sheet = wb.add_worksheet(DATA_SHEET)
        columns = export_columns(headers)
        write_table(sheet, fmt, columns, rows, identity=identity_of(headers), header_lines=2, printed=True)
        about = wb.add_worksheet(TEXT["export.provincial_about_sheet"])
        about.set_column(0, 0, 100)
        period = TEXT["export.provincial_since"].format(since=f"{since:%Y-%m-%d %H:%M}") \
            if since is not None else TEXT["export.provincial_since_all"]
        lines = [TEXT["export.provincial_title"].format(district=district, town=town),
                 period, TEXT["export.provincial_counts"].format(households=households, persons=len(rows)),
                 TEXT["export.provincial_generated"].format(at=at), TEXT["export.provincial_how"],
                 TEXT["export.provincial_privacy"]]
        for r, line in enumerate(lines):
            about.write_string(r, 0, line, fmt.title if r == 0 else fmt.instruction)
        write_meta(wb, meta_rows(EXPORT_KIND, "1", 区=district, 镇=town))
        wb.close()

    return place_atomically(target, build)
