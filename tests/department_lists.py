"""Department lists for tests, written the way departments' systems write them: XlsxWriter workbooks and
delimited text in the encodings Chinese offices produce."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import xlsxwriter


def write_xlsx(path, rows, *, sheet="Sheet1", numbers_as_numbers=True):
    """Rows as given: str → text cell, float/int → number cell, None → nothing, date → a date cell."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheets = rows if isinstance(rows, dict) else {sheet: rows}
    for name, content in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(content):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value is not None:
                    ws.write_string(r, c, value)
    wb.close()
    return path


def write_csv(path, rows, *, encoding="utf-8", bom=False, delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path
