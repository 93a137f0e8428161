"""A department's file → its sheets as rows of raw cells, whatever its system exported: a workbook (xlsx, xls,
ods, xlsb through python-calamine), a delimited text file in UTF-8 (with or without BOM), GBK/GB18030 or
UTF-16, or the HTML table many government systems save under an .xls name."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import python_calamine as pc

from ..errors import UnreadableFile
from ..messages import os_reason, render
from ..read import OLE_MAGIC, book_sheet_rows, declared_sizes, human_size, open_workbook, worksheet_names

DELIMITED_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et"})
MAX_BYTES = 128 * 1024 * 1024  # a 200,000-person list is 8-20 MB
MAX_CELLS = 10_000_000  # 200,000 rows × 50 columns
_DELIMITERS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class RawTables:
    format: str  # xlsx / xls / ods / xlsb / csv / html
    sha256: str
    sheets: list[tuple[str | None, list[list[object]]]]  # (sheet name; None for a text file, rows)
    encoding: str | None = None


def fail(code: str, **fields: object) -> UnreadableFile:
    message, hint = render(code, **fields)
    return UnreadableFile(code, message, hint)


def load_tables(path: Path, *, max_bytes: int = MAX_BYTES, max_cells: int = MAX_CELLS) -> RawTables:
    """Every sheet of the file as raw rows; UnreadableFile (with a Chinese message) when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DELIMITED_SUFFIXES | WORKBOOK_SUFFIXES:
        raise fail("DEPT_FILE_FORMAT", value=suffix or path.name)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise fail("FILE_TOO_LARGE", value=human_size(size), limit=human_size(max_bytes))
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise fail("FILE_NOT_FOUND", value=path.name) from exc
    except OSError as exc:
        raise fail("FILE_CORRUPT", detail=os_reason(exc)) from exc
    if not data:
        raise fail("FILE_EMPTY")
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(b"PK") or data.startswith(OLE_MAGIC):
        if suffix in DELIMITED_SUFFIXES:  # a workbook saved under a .csv name: read it as what it is
            return _workbook_from_memory(data, sha, max_cells=max_cells)
        return _workbook(path, max_bytes=max_bytes, max_cells=max_cells)
    try:
        text, encoding = decode_text(data)
    except UnreadableFile:
        if suffix in WORKBOOK_SUFFIXES:  # neither a workbook nor text: the workbook reader says why, its way
            return _workbook(path, max_bytes=max_bytes, max_cells=max_cells)
        raise
    if text.lstrip()[:200].lower().startswith(("<html", "<!doctype", "<table", "<?xml", "<meta", "<head")) \
            and "<table" in text[:20000].lower():
        return RawTables("html", sha, _html_tables(text), encoding)
    if "\x00" in text[:8192] and suffix in WORKBOOK_SUFFIXES:
        return _workbook(path, max_bytes=max_bytes, max_cells=max_cells)
    try:
        return RawTables("csv", sha, [(None, _delimited_rows(text))], encoding)
    except csv.Error as exc:  # a NUL byte, a field longer than csv allows: not a text export we can read
        raise fail("FILE_CORRUPT", detail=str(exc)[:120]) from exc


def _workbook(path: Path, *, max_bytes: int, max_cells: int) -> RawTables:
    book, fmt, raw = open_workbook(path, max_bytes=max_bytes)
    return _sheets_of(book, fmt, raw, max_cells=max_cells)


def _workbook_from_memory(data: bytes, sha: str, *, max_cells: int) -> RawTables:
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises several types; a Rust panic is a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise fail("FILE_CORRUPT", detail=str(exc)[:120]) from exc
    return _sheets_of(book, "xlsx" if data.startswith(b"PK") else "xls", data, max_cells=max_cells)


def _sheets_of(book: pc.CalamineWorkbook, fmt: str, raw: bytes, *, max_cells: int) -> RawTables:
    declared = declared_sizes(raw, max_cells) if fmt in ("xlsx", "xlsm") else {}
    sheets: list[tuple[str | None, list[list[object]]]] = []
    for name in worksheet_names(book, list(book.sheet_names)):
        try:
            sheets.append((name, book_sheet_rows(book, name, max_cells=max_cells, declared=declared)))
        except UnreadableFile as exc:
            if exc.code == "FILE_TOO_MANY_CELLS":  # the village wording ("不像一份村级台账") does not fit here
                raise fail("DEPT_TOO_MANY_CELLS", sheet=name, limit=f"{max_cells:,}") from exc
            raise
    return RawTables(fmt, hashlib.sha256(raw).hexdigest(), sheets)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a text export: a BOM decides; else UTF-8, else GB18030 (which reads GBK
    and GB2312, what Chinese government systems and Excel's “CSV” on a Chinese Windows write)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8-BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    head = data[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd + even > len(head) // 20 and min(odd, even) == 0:  # UTF-16 without a BOM: the digits' zero bytes
        try:  # all fall on one side
            return data.decode("utf-16-le" if odd else "utf-16-be"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise fail("DEPT_TEXT_ENCODING") from exc


def _delimited_rows(text: str) -> list[list[object]]:
    head = text[:65536].splitlines()[:40]
    delimiter = max(_DELIMITERS, key=lambda d: max((line.count(d) for line in head), default=0))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))  # type: ignore[arg-type]


def _html_tables(text: str) -> list[tuple[str | None, list[list[object]]]]:
    import lxml.html

    root = lxml.html.fromstring(text)
    tables: list[tuple[str | None, list[list[object]]]] = []
    for n, table in enumerate(root.iter("table"), start=1):
        rows: list[list[object]] = [[cell.text_content().strip() for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]
        if rows:
            tables.append((f"表{n}", rows))
    return tables
