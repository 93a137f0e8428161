"""Turn what clerks type into clean values: half-width text, headers, numbers, years and dates."""

from __future__ import annotations

import datetime as dt
import math
import re

# Full-width ASCII (U+FF01..U+FF5E) → half-width, ideographic space → space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# white space, and the control characters a cell can hold (Excel writes a NUL as _x0000_; PostgreSQL refuses it
# in text): typed by accident, never meant, so one space like any other run of white space
_WS = re.compile(r"[\s\x00-\x08\x0e-\x1b\x7f]+")
_TO_CLEAN = re.compile(r"[\s\x00-\x08\x0e-\x1b\x7f\uff01-\uff5e]")  # what clean_text changes: the above, full-width ASCII
_HEADER_DROP = re.compile(r"[\s*＊:：]+")


def halfwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def norm_header(text: object) -> str:
    """Normalise a header for matching: half-width, no white space, no required-marks or colons."""
    if text is None:
        return ""
    return _HEADER_DROP.sub("", halfwidth(str(text)))


def clean_text(value: object) -> str:
    """A cell as trimmed half-width text ('' for empty); numbers lose a spurious '.0'."""
    if type(value) is str:
        cached = _TEXT_CACHE.get(value)
        if cached is None:
            # most text has nothing to change (no white space, no full-width ASCII): one scan tells
            cached = _WS.sub(" ", halfwidth(value)).strip() if _TO_CLEAN.search(value) else value
            if len(_TEXT_CACHE) < 50_000:  # the same few hundred words fill most cells
                _TEXT_CACHE[value] = cached
        return cached
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _WS.sub(" ", halfwidth(str(value))).strip()


_TEXT_CACHE: dict[str, str] = {}


def plain_text(value: object) -> str:
    """Free text (a reason, a name) as typed: trimmed, runs of white space made one, nothing else changed."""
    if type(value) is str:
        return _WS.sub(" ", value).strip()
    return clean_text(value)


def is_blank(value: object) -> bool:
    if value is None or value == "":
        return True
    if type(value) is str:
        return not value.strip()
    return False


# ASCII digits only (re.ASCII): other scripts' digits (Arabic-Indic ٣, superscript ²) are no number in a workbook;
# full-width ones were made half-width by clean_text first
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)


def parse_number(value: object) -> float | None:
    """Number from a cell: real numbers pass; text like '12,000.5' or ' 3 000 ' is accepted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    text = clean_text(value).replace(",", "").replace(" ", "")
    if text.endswith("元"):
        text = text[:-1]
    if _NUM_RE.match(text):
        return float(text)
    return None


def parse_year(value: object) -> int | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    num = parse_number(str(clean_text(value)).removesuffix("年"))
    if num is None or not num.is_integer() or not 1900 <= num <= 2200:
        return None
    return int(num)


_DATE_SEP = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII)
_DATE_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$", re.ASCII)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)


def parse_date(value: object) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or text in the forms clerks actually write."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        if 19000101 <= value <= 22001231 and float(value).is_integer():
            return _ymd(*_split_compact(str(int(value))))
        if 1 <= value < 200000:  # a plain serial in a cell not formatted as a date (the 1900 date system)
            # openpyxl knows Excel's serials (1 is 1900-01-01, the phantom 1900-02-29); imported only here, for
            # the rare plain serial: reading never loads openpyxl otherwise (67 ms; bench/check_village.py)
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        return None
    text = clean_text(value)
    for pattern in (_DATE_SEP, _DATE_CN, _DATE_COMPACT):
        m = pattern.match(text)
        if m:
            return _ymd(m.group(1), m.group(2), m.group(3))
    return None


def _split_compact(text: str) -> tuple[str, str, str]:
    return text[:4], text[4:6], text[6:8]


def _ymd(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


PROVISIONAL_PREFIX = "LS"  # a provisional 户编号 of ours (LS<district code><6 digits>; a national one is all digits)


def is_provisional_no(number: object) -> bool:
    """Whether a 户编号 is one of our provisional numbers."""
    return isinstance(number, str) and number.upper().startswith(PROVISIONAL_PREFIX)
