"""Cell addresses and date serials as the OOXML format spells them: the few helpers the package code needs,
without importing openpyxl (and numpy behind it) into every process that patches or plans a workbook —
a pass's main process and each of its workers would otherwise pay a fifth of their start-up for them."""

from __future__ import annotations

import datetime as dt
import functools

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of the 1900 date system (Excel's 1900-02-29 included)
MAC_EPOCH = dt.datetime(1904, 1, 1)  # day 0 of the 1904 date system (workbookPr date1904)
MAX_COLUMN = 18_278  # XFD


@functools.cache  # a sheet's few columns, spelt for thousands of cells (a returned copy): each spelt once
def column_letter(index: int) -> str:
    """1 → A, 27 → AA, 18278 → ZZZ (Excel's last column is XFD, 16384)."""
    if not 1 <= index <= MAX_COLUMN:
        raise ValueError(f"Invalid column index {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """A → 1, AA → 27 (upper or lower case)."""
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"{letters!r} is not a valid column name")
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


def date_serial(day: dt.date, epoch: dt.datetime = WINDOWS_EPOCH) -> int:
    """A day's serial number: days since the epoch, one less before 1900-03-01 in the 1900 system (Excel counts
    a 1900-02-29 that never was)."""
    days = (dt.datetime.combine(day, dt.time()) - epoch).days
    if 0 < days <= 60 and epoch == WINDOWS_EPOCH:
        days -= 1
    return days
