"""Any workbook (xlsx/xlsm/xls/xlsb/ods/et) → the monitoring sheets as raw rows with Excel positions.

Reading goes through python-calamine only (never cell by cell through openpyxl). The reader finds
each sheet by name or, failing that, by its headers; finds the header row under title rows; maps
headers to schema keys after normalising; skips blank and footer rows; keeps the Excel row of every
row and the column index of every header, so any issue can point at its cell.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import python_calamine as pc

from .errors import UnreadableFile
from .messages import TEXT, os_reason, read_detail, render
from .normalize import clean_text, is_blank, norm_header

if TYPE_CHECKING:  # the schemas come with the configuration; reading ahead (ReadAhead) starts before it is loaded
    from .schema import Schemas, SheetSpec

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et"})
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_SHEET_CELLS = 4_000_000
HEADER_SCAN_ROWS = 30
META_SHEET = "系统信息"  # the hidden sheet of our own workbooks (writers/ write it under this name)
IGNORED_HEADERS = frozenset(norm_header(h) for h in ("序号", "序", "编号序号", "行号"))
FOOTER_WORDS = ("填表人", "制表人", "审核人", "负责人", "填报人", "合计", "总计", "说明", "注：", "备注：")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls (OLE2 compound file) starts so
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


@dataclass
class SheetData:
    """One recognised monitoring sheet: where its header is and its non-blank rows."""

    kind: str
    name: str
    header_row: int  # Excel row number of the header
    columns: dict[str, int]  # schema key → 0-based column index
    headers: dict[str, str]  # schema key → header text as written in the file
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)  # (Excel row, raw values)
    last_column: int = 0  # 0-based index of the right-most header cell (system columns excluded)
    system_columns: dict[str, int] = field(default_factory=dict)  # header → column index, if present

    def value(self, row: list[object], key: str) -> object:
        idx = self.columns.get(key)
        if idx is None or idx >= len(row):
            return None
        return row[idx]


@dataclass
class WorkbookData:
    path: Path
    format: str  # xlsx, xlsm, xls, xlsb, ods
    sheet_names: list[str]
    sheets: dict[str, SheetData]
    missing: list[str]  # kinds not found
    header_problems: list[tuple[str, str]]  # (kind, sheet name) where no header row was found
    meta: dict[str, str]
    sha256: str = ""


def _fail(code: str, **fields: object) -> UnreadableFile:
    message, hint = render(code, **fields)
    return UnreadableFile(code, message, hint)


def sniff_format(path: Path, data: bytes) -> str:
    """Decide the real format from the bytes (WPS and mail clients often give the wrong suffix)."""
    suffix = path.suffix.lower()
    if not data:
        raise _fail("FILE_EMPTY")
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise _fail("FILE_CORRUPT", detail=TEXT["read.zip_incomplete"]) from exc
        if "xl/workbook.bin" in names:
            return "xlsb"
        if "xl/workbook.xml" in names:
            return "xlsm" if suffix == ".xlsm" or "xl/vbaProject.bin" in names else "xlsx"
        if "content.xml" in names:
            return "ods"
        if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods"):
            return suffix[1:]  # an unusual package layout: let the reader for its suffix decide
        raise _fail("FILE_CORRUPT", detail=TEXT["read.zip_no_workbook"])
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTION_INFO in data:
            raise _fail("FILE_PASSWORD")
        return "xls"
    if suffix not in SPREADSHEET_SUFFIXES:
        raise _fail("FILE_FORMAT", value=suffix or path.name)
    raise _fail("FILE_CORRUPT", detail=TEXT["read.unknown_format"])


def open_workbook(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[pc.CalamineWorkbook, str, bytes]:
    """Open with calamine after sniffing; every failure becomes UnreadableFile with a Chinese message."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise _fail("FILE_NOT_FOUND", value=path.name) from exc
    except OSError as exc:
        raise _fail("FILE_CORRUPT", detail=os_reason(exc)) from exc
    if size == 0:
        raise _fail("FILE_EMPTY")
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise _fail("FILE_FORMAT", value=path.suffix or path.name)
    if size > max_bytes:
        raise _fail("FILE_TOO_LARGE", value=human_size(size), limit=human_size(max_bytes))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail("FILE_CORRUPT", detail=os_reason(exc)) from exc
    fmt = sniff_format(path, data)
    with _calamine_failures():
        book = _calamine_open(path, fmt, data)
    return book, fmt, data


@contextlib.contextmanager
def _calamine_failures() -> Iterator[None]:
    """What calamine raises inside, said as the file's: FILE_PASSWORD for a password, else FILE_CORRUPT (calamine
    raises several types; a Rust panic is a BaseException). An interrupt stays an interrupt."""
    try:
        yield
    except pc.PasswordError as exc:
        raise _fail("FILE_PASSWORD") from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise _fail("FILE_CORRUPT", detail=_short(exc)) from exc


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} 字节"


def _calamine_open(path: Path, fmt: str, data: bytes) -> pc.CalamineWorkbook:
    """calamine picks its reader by suffix; a file with the wrong suffix is read from memory by content."""
    if path.suffix.lower() == "." + fmt:
        return pc.CalamineWorkbook.from_path(str(path))
    return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return read_detail(text[:120])


def _second_handle(raw: bytes) -> pc.CalamineWorkbook:
    """Another calamine handle on bytes that opened once already (a handle cannot cross threads); a failure now is
    the file's: FILE_CORRUPT."""
    with _calamine_failures():
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(raw))


def _sheet_names(book: pc.CalamineWorkbook) -> list[str]:
    """The workbook's sheets by name; a workbook whose list of sheets cannot be read is FILE_CORRUPT."""
    with _calamine_failures():
        return list(book.sheet_names)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


_CELL_WITH_CONTENT = re.compile(rb'<(?:\w+:)?c\s+r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')


def _cell_extent(zf: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(last row, last column) of the cells in a sheet XML that hold something, streamed in chunks."""
    max_row = max_col = 0
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            for m in _CELL_WITH_CONTENT.finditer(buf):
                max_row = max(max_row, int(m.group(2)))
                max_col = max(max_col, _col_number(m.group(1)))
            tail = buf[-200:]
    return max_row, max_col


def declared_sizes(data: bytes, max_cells: int) -> dict[str, tuple[int, int]]:
    """Sheet name → (rows, columns) of each sheet of an .xlsx/.xlsm, known before calamine builds its grid,
    so a stray cell at XFD1048576 is refused instead of exhausting memory. The sheet's <dimension> is
    trusted when small; when it is large or absent, the cells themselves are scanned (Excel sometimes
    declares the whole sheet)."""
    sizes: dict[str, tuple[int, int]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
                return sizes
            workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = {}
            for rel in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
                rid, target = re.search(r'Id="([^"]+)"', rel), re.search(r'Target="([^"]+)"', rel)
                if rid and target:
                    targets[rid.group(1)] = target.group(1)
            for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
                name, rid = re.search(r'name="([^"]*)"', tag), re.search(r'r:id="([^"]+)"', tag)
                if not name or not rid:
                    continue
                where = targets.get(rid.group(1), "")
                part = where.lstrip("/") if where.startswith("/") else "xl/" + where
                if part not in names:
                    continue
                with zf.open(part) as fh:
                    head = fh.read(4096)
                m = _DIMENSION.search(head)
                size = None
                if m and m.group(3):
                    rows = int(m.group(4))
                    cols = _col_number(m.group(3))
                    if rows * cols <= max_cells:
                        size = (rows, cols)
                if size is None:
                    size = _cell_extent(zf, part)
                sizes[html.unescape(name.group(1))] = size
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return {}
    return sizes


def book_sheet_rows(book: pc.CalamineWorkbook, name: str, *, max_cells: int,
                declared: dict[str, tuple[int, int]] | None = None,
                merges: _OdsMerges | None = None) -> list[list[object]]:
    """A sheet's rows from A1, merged 镇/村 values filled down; `merges`: the merged ranges by sheet when calamine
    reports none for the format (.ods: _ods_merges)."""
    size = (declared or {}).get(name)
    if size is not None and size[0] * size[1] > max_cells:
        raise _fail("FILE_TOO_MANY_CELLS", sheet=name, value=size[0], limit=size[1])
    try:
        sheet = book.get_sheet_by_name(name)
        height, width = sheet.height, sheet.width
        end = sheet.end
        if end is not None:
            height, width = end[0] + 1, end[1] + 1
        if height * width > max_cells:
            raise _fail("FILE_TOO_MANY_CELLS", sheet=name, value=height, limit=width)
        # the list is ours from here and its cells any value (merged values filled down, then converted)
        rows = cast(list[list[object]], sheet.to_python(skip_empty_area=False))
        merged = sheet.merged_cell_ranges or (merges.get(name) if merges is not None else None)
    except UnreadableFile:
        raise
    except pc.PasswordError as exc:
        raise _fail("FILE_PASSWORD") from exc
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise _fail("FILE_CORRUPT", detail=TEXT["read.sheet_failed"].format(name=name, error=_short(exc))) from exc
    if merged:
        _fill_merged(rows, merged)
    return rows


Merge = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first column), (last row, last column)), 0-based

_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_CELLS = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")


def _ods_merges(raw: bytes, *, max_cells: int = MAX_SHEET_CELLS) -> dict[str, list[Merge]]:
    """The merged ranges of each sheet of an .ods (python-calamine reports none for OpenDocument): the cells with
    table:number-rows-spanned / number-columns-spanned, placed by counting rows and cells, repeats included.
    Parsed as a stream, a row at a time, by a parser that resolves no entities and fetches nothing; {} for
    anything it cannot read, or past `max_cells` cell elements (the merges only fill 镇/村 down: calamine has
    read the values already)."""
    from lxml import etree  # only an .ods needs it: `check` of an .xlsx starts without it (15 ms)

    out: dict[str, list[Merge]] = {}
    seen = 0
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf, zf.open("content.xml") as fh:
            depth, name, row, col = 0, "", 0, 0
            for event, el in etree.iterparse(fh, events=("start", "end"), resolve_entities=False,
                                             no_network=True, huge_tree=False, load_dtd=False):
                tag = el.tag
                if tag == f"{_ODS_TABLE}table":
                    depth += 1 if event == "start" else -1
                    if event == "start" and depth == 1:
                        name, row = el.get(f"{_ODS_TABLE}name") or "", 0
                    continue
                if depth != 1:
                    continue
                if tag == f"{_ODS_TABLE}table-row":
                    if event == "start":
                        col = 0
                    else:
                        row += int(el.get(f"{_ODS_TABLE}number-rows-repeated") or 1)
                        el.clear()
                        while el.getprevious() is not None:  # the rows read so far leave memory
                            del el.getparent()[0]
                elif tag in _ODS_CELLS and event == "start":
                    seen += 1
                    if seen > max_cells:
                        return {}
                    down = int(el.get(f"{_ODS_TABLE}number-rows-spanned") or 1)
                    across = int(el.get(f"{_ODS_TABLE}number-columns-spanned") or 1)
                    if down > 1 or across > 1:
                        out.setdefault(name, []).append(((row, col), (row + down - 1, col + across - 1)))
                    col += int(el.get(f"{_ODS_TABLE}number-columns-repeated") or 1)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, etree.LxmlError):
        return {}
    return out


class _OdsMerges:
    """_ods_merges of one file, worked out when a sheet first needs them (a file refused for its size never
    gets here), once, whichever thread asks first."""

    def __init__(self, raw: bytes, max_cells: int) -> None:
        self._raw, self._max_cells = raw, max_cells
        self._found: dict[str, list[Merge]] | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> list[Merge] | None:
        with self._lock:
            if self._found is None:
                self._found = _ods_merges(self._raw, max_cells=self._max_cells)
        return self._found.get(name)


def _fill_merged(rows: list[list[object]], merged: list) -> None:
    """Copy a vertically merged value (镇/村 merged over many rows) into every row it covers."""
    for (r0, c0), (r1, _c1) in merged:
        if r1 <= r0 or r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            if c0 < len(rows[r]) and is_blank(rows[r][c0]):
                rows[r][c0] = value


def _match_header(spec: SheetSpec, rows: list[list[object]], idx: int) -> dict[int, str]:
    """Column index → key for header row idx; a blank or unknown cell may take the cell above
    (two-level headers where the upper cell is merged down)."""
    lookup = spec.header_lookup
    row = rows[idx]
    above = rows[idx - 1] if idx > 0 else []
    found: dict[int, str] = {}
    for c, cell in enumerate(row):
        key = lookup.get(norm_header(cell))
        if key is None and is_blank(cell) and c < len(above):
            key = lookup.get(norm_header(above[c]))
        if key is not None:
            found[c] = key
    return found


def _find_header(spec: SheetSpec, rows: list[list[object]]) -> tuple[int, dict[int, str]] | None:
    best: tuple[int, dict[int, str]] | None = None
    best_score = 0
    for idx in range(min(HEADER_SCAN_ROWS, len(rows))):
        found = _match_header(spec, rows, idx)
        score = len(set(found.values()))
        if score > best_score:
            best, best_score = (idx, found), score
            if score == len(spec.columns):
                break  # every column found: no later row can score higher (the first best row wins)
    needed = min(3, len(spec.columns))
    return best if best_score >= needed else None


_ID_LIKE = re.compile(r"[0-9]{17}[0-9Xx]")


def _is_footer(values: list[object]) -> bool:
    """填表人/审核人 lines under the table, and 合计/小计 rows of column sums (they name nobody)."""
    texts = [clean_text(v) for v in values if not is_blank(v)]
    if len(texts) <= 2 and any(t.startswith(FOOTER_WORDS) for t in texts):
        return True
    words = [t for t in texts if isinstance(t, str) and not _NUMBERISH.match(t)]
    return bool(words) and words[0].replace(" ", "").startswith(TOTAL_WORDS) \
        and not any(_ID_LIKE.search(t) for t in texts)


_NUMBERISH = re.compile(r"^[-+]?[0-9.,]+$")
TOTAL_WORDS = ("合计", "总计", "小计")


def _total_word(value: object) -> bool | None:
    """None for a number (or numeric text); else whether the cell's text starts with 合计/总计/小计."""
    t = clean_text(value)
    if _NUMBERISH.match(t):
        return None
    return t.replace(" ", "").startswith(TOTAL_WORDS)


def _classify_row(row: list[object], known: list[int], words: dict[str, bool | None]) -> int:
    """BLANK_ROW when no schema column holds a value; DATA_ROW when it certainly is no footer; otherwise
    MAYBE_FOOTER: the rows _is_footer could accept — a short row (≤ 2 values), or one whose first word (after
    any sequence numbers) starts with 合计/总计/小计. A data row is decided after its first few cells.
    `words`: _total_word of each text met so far in the sheet (a column's first cells repeat: 镇, 村)."""
    width = len(row)
    count = 0
    total_word: bool | None = None  # does the first non-numeric text start with 合计/总计/小计?
    for c in known:  # ascending
        if c >= width:
            break
        v = row[c]
        if v is None or v == "" or (type(v) is str and v.isspace()):
            continue
        count += 1
        if total_word is None:
            if type(v) is str:
                if v in words:
                    total_word = words[v]
                else:
                    total_word = words[v] = _total_word(v)
            else:
                total_word = _total_word(v)
        if count > 2 and total_word is not None:
            return MAYBE_FOOTER if total_word else DATA_ROW
    if count == 0:
        return BLANK_ROW
    return MAYBE_FOOTER if count <= 2 or total_word else DATA_ROW


BLANK_ROW, DATA_ROW, MAYBE_FOOTER = 0, 1, 2


def _build_sheet(spec: SheetSpec, name: str, rows: list[list[object]]) -> SheetData | None:
    located = _find_header(spec, rows)
    if located is None:
        return None
    idx, found = located
    header_cells = rows[idx]
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, int]] = []
    for c, key in sorted(found.items()):
        if key in columns:
            duplicates.append((key, c))
            continue
        columns[key] = c
        headers[key] = clean_text(header_cells[c]) or spec.column(key).header
    unknown: list[tuple[int, str]] = []
    system: dict[str, int] = {}
    last = max(columns.values())
    for c, cell in enumerate(header_cells):
        if c in found or is_blank(cell):
            continue
        normed = norm_header(cell)
        if normed in spec.system_headers:
            system[clean_text(cell)] = c
        elif normed not in IGNORED_HEADERS:
            unknown.append((c, clean_text(cell)))
            last = max(last, c)
        else:
            last = max(last, c)
    known = sorted(columns.values())
    data_rows: list[tuple[int, list[object]]] = []
    words: dict[str, bool | None] = {}
    for r in range(idx + 1, len(rows)):
        row = rows[r]
        kind = _classify_row(row, known, words)
        if kind == BLANK_ROW:
            continue
        if kind == MAYBE_FOOTER:
            width = len(row)
            if _is_footer([v for c in known if c < width and not is_blank(v := row[c])]):
                continue
        data_rows.append((r + 1, row))
    return SheetData(kind=spec.kind, name=name, header_row=idx + 1, columns=columns, headers=headers,
                     unknown=unknown, duplicates=duplicates, rows=data_rows, last_column=last,
                     system_columns=system)


def _read_meta(rows: list[list[object]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for row in rows:
        if len(row) >= 2 and not is_blank(row[0]):
            meta[clean_text(row[0])] = clean_text(row[1])
    return meta


def worksheet_names(book: pc.CalamineWorkbook, names: list[str]) -> list[str]:
    """The workbook's worksheets (no chart sheets), in order; `names` (every sheet) when that cannot be told."""
    try:
        return [m.name for m in book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]
    except BaseException as exc:  # metadata is a nicety; fall back to every sheet
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return names


PREFETCH_MIN_CELLS = 20_000  # below this a sheet reads in a few milliseconds: not worth a thread


def _largest(by_name: dict[str, str], declared: dict[str, tuple[int, int]]) -> str | None:
    """The sheet worth reading on a second thread: the largest of two or more by their declared size
    (家庭成员 when the format declares none), if it is large enough."""
    if len(by_name) < 2:
        return None
    if not declared:
        return next((name for name, kind in by_name.items() if kind == "member"), None)
    cells = {name: declared[name][0] * declared[name][1] for name in by_name if name in declared}
    if not cells:
        return None
    name = max(cells, key=cells.__getitem__)
    return name if cells[name] >= PREFETCH_MIN_CELLS else None


class _Prefetch:
    """One sheet read on a thread of its own, from its own calamine handle on the same bytes (a handle cannot
    be shared between threads). calamine parses without holding the GIL, so the largest sheet is read while
    the others are read and built: a 1,000-household village reads in about ⅔ of the time. Whatever reading
    raises is raised again where the rows are asked for, as it would have been without the thread."""

    def __init__(self, name: str, raw: bytes, *, max_cells: int, declared: dict[str, tuple[int, int]],
                 merges: _OdsMerges | None = None) -> None:
        self.name = name
        self._rows: list[list[object]] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(raw, max_cells, declared, merges),
                                        name="excel_bridge-read-ahead", daemon=True)

    @classmethod
    def start(cls, name: str, raw: bytes, *, max_cells: int, declared: dict[str, tuple[int, int]],
              merges: _OdsMerges | None = None) -> _Prefetch | None:
        """The sheet being read, or None when no thread can be started (a memory-capped worker): then
        every sheet is read here, one after the other."""
        prefetch = cls(name, raw, max_cells=max_cells, declared=declared, merges=merges)
        try:
            prefetch._thread.start()
        except RuntimeError:
            return None
        return prefetch

    def _read(self, raw: bytes, max_cells: int, declared: dict[str, tuple[int, int]],
              merges: _OdsMerges | None) -> None:
        try:
            self._rows = book_sheet_rows(_second_handle(raw), self.name, max_cells=max_cells, declared=declared,
                                         merges=merges)
        except BaseException as exc:
            self._error = exc

    def rows(self) -> list[list[object]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._rows is not None
        return self._rows


class _Opened:
    """The file opened here when read_workbook is called: its sheets read when asked, the largest of the village
    sheets on a second thread (_Prefetch)."""

    def __init__(self, path: Path, *, max_bytes: int, max_cells: int) -> None:
        self._book, self.format, self.raw = open_workbook(path, max_bytes=max_bytes)
        self.names = _sheet_names(self._book)
        self.max_cells = max_cells
        self.declared = declared_sizes(self.raw, max_cells) if self.format in ("xlsx", "xlsm") else {}
        self._merges = _OdsMerges(self.raw, max_cells) if self.format == "ods" else None
        self._cache: dict[str, list[list[object]]] = {}
        self._prefetch: _Prefetch | None = None

    def read_ahead(self, name: str) -> None:
        self._prefetch = _Prefetch.start(name, self.raw, max_cells=self.max_cells, declared=self.declared,
                                         merges=self._merges)

    def rows(self, name: str) -> list[list[object]]:
        if name not in self._cache:
            self._cache[name] = self._prefetch.rows() if self._prefetch is not None and name == self._prefetch.name \
                else self.sheet(name)
        return self._cache[name]

    def sheet(self, name: str, book: pc.CalamineWorkbook | None = None) -> list[list[object]]:
        """A sheet's rows, read now (from `book`, another handle on the same bytes, when given)."""
        return book_sheet_rows(book or self._book, name, max_cells=self.max_cells, declared=self.declared,
                               merges=self._merges)

    def worksheets(self) -> list[str]:
        return worksheet_names(self._book, self.names)


AHEAD_MAX_BYTES = MAX_FILE_BYTES  # a larger file is not read ahead: whether to read it at all is the settings' call


class ReadAhead:
    """A workbook read on a thread of its own from the moment its path is known, before the settings and schemas
    that judge it are loaded: `check` starts its reading child first, and the child reads the file while it loads
    the rest of the program; calamine parses without the GIL, so the reading overlaps the imports.

    It does to the file what read_workbook would, with the same guards and the same errors: opens it, then reads
    the hidden 系统信息 sheet and every other sheet in the workbook's order, keeping each sheet's rows or the error
    reading it raised. read_workbook(…, ahead=) takes them; a sheet it needs that the thread has not begun, it
    reads itself from the same bytes (a handle of its own), so it never waits behind a sheet it does not need,
    and closing it stops the thread after the sheet in hand. A file that is not a spreadsheet by its name, cannot
    be looked at, or is larger than AHEAD_MAX_BYTES is left alone: read_workbook opens it itself and says why not,
    as it always has."""

    def __init__(self, path: Path, *, max_cells: int = MAX_SHEET_CELLS) -> None:
        self.path = Path(path)
        self.max_cells = max_cells
        self.size: int | None = None  # bytes on disk when it was looked at; None: not read ahead
        self._opened: _Opened | None = None  # the file as opened on the thread
        self._worksheets: list[str] = []
        self._error: BaseException | None = None  # what opening it raised
        self._rows: dict[str, list[list[object]] | BaseException] = {}
        self._taken: set[str] = set()  # sheets being read or read, by either thread
        self._own: pc.CalamineWorkbook | None = None  # the asking thread's handle (one cannot cross threads)
        self._finished = self._stopped = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="excel_bridge-read-file-ahead", daemon=True)

    @classmethod
    def start(cls, path: Path, *, max_cells: int = MAX_SHEET_CELLS) -> ReadAhead | None:
        """The file being read (or left alone, see above); None when no thread can be started."""
        ahead = cls(path, max_cells=max_cells)
        try:
            if ahead.path.suffix.lower() in SPREADSHEET_SUFFIXES:
                ahead.size = ahead.path.stat().st_size
        except OSError:
            pass
        if ahead.size is None or not 0 < ahead.size <= AHEAD_MAX_BYTES:
            ahead.size = None
            return ahead
        try:
            ahead._thread.start()
        except RuntimeError:
            return None
        return ahead

    def _run(self) -> None:
        try:
            opened = _Opened(self.path, max_bytes=AHEAD_MAX_BYTES, max_cells=self.max_cells)
            worksheets = opened.worksheets()
            with self._changed:
                self._opened, self._worksheets = opened, worksheets
                self._changed.notify_all()
            # the hidden sheet first: `check` asks for it
            for name in sorted(opened.names, key=lambda n: n != META_SHEET):
                with self._changed:
                    if self._stopped:
                        break
                    if name in self._taken:
                        continue
                    self._taken.add(name)
                self._keep(name, self._sheet(opened._book, name))
        except BaseException as exc:
            self._error = exc
        finally:
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _sheet(self, book: pc.CalamineWorkbook, name: str) -> list[list[object]] | BaseException:
        """A sheet's rows from `book` (the thread's handle, or the asker's), or the error reading it raised."""
        assert self._opened is not None
        try:
            return self._opened.sheet(name, book)
        except Exception as exc:  # raised again where the sheet is asked for, as it would have been
            return exc

    def _keep(self, name: str, value: list[list[object]] | BaseException) -> None:
        with self._changed:
            if not self._stopped:
                self._rows[name] = value
            self._changed.notify_all()

    def serves(self, path: Path, *, max_bytes: int, max_cells: int) -> bool:
        """Whether read_workbook(path, max_bytes=, max_cells=) may take this reading for its own: the same file,
        read with the same limits (a file larger than the settings allow is refused by read_workbook itself)."""
        return (self.size is not None and Path(path) == self.path and self.size <= max_bytes
                and max_cells == self.max_cells)

    def opened(self) -> _Opened:
        """The file as the thread opened it, once it has; what opening it raised, raised."""
        with self._changed:
            self._changed.wait_for(lambda: self._opened is not None or self._finished)
        if self._opened is None:
            raise self._error if self._error is not None else _fail("FILE_CORRUPT", detail=self.path.name)
        return self._opened

    @property
    def format(self) -> str:
        return self.opened().format

    @property
    def raw(self) -> bytes:
        return self.opened().raw

    @property
    def names(self) -> list[str]:
        return self.opened().names

    @property
    def declared(self) -> dict[str, tuple[int, int]]:
        return self.opened().declared

    def worksheets(self) -> list[str]:
        self.opened()
        return self._worksheets

    def read_ahead(self, name: str) -> None:
        """(Every sheet is being read ahead already.)"""

    def rows(self, name: str) -> list[list[object]]:
        """A sheet's rows (its error raised): read by the thread, or here if the thread has not begun it."""
        opened = self.opened()
        with self._changed:
            mine = name not in self._taken
            self._taken.add(name)
            if not mine:
                self._changed.wait_for(lambda: name in self._rows or self._finished)
            value = self._rows.get(name)
        if mine:
            if self._own is None:
                self._own = _second_handle(opened.raw)
            value = self._sheet(self._own, name)
            self._keep(name, value)
        if value is None:  # the thread ended before this sheet: what ended it
            raise self._error if self._error is not None else _fail("FILE_CORRUPT", detail=name)
        if isinstance(value, BaseException):
            raise value
        return value

    def meta(self) -> dict[str, str]:
        """What peek_meta says of the file, from this reading (peek_meta itself for a file not read ahead)."""
        if self.size is None:
            return peek_meta(self.path)
        try:
            if META_SHEET not in self.names:
                return {}
            rows = self.rows(META_SHEET)
        except UnreadableFile:
            return {}
        return _read_meta(rows[:50]) if rows else {}

    def close(self) -> None:
        """Done with: the thread stops after the sheet in hand, and what it read is let go."""
        with self._changed:
            self._stopped = True
            self._rows.clear()
        self._own = None


def read_workbook(path: Path, schemas: Schemas, *, max_bytes: int = MAX_FILE_BYTES,
                  max_cells: int = MAX_SHEET_CELLS, ahead: ReadAhead | None = None) -> WorkbookData:
    """Read the four village sheets from any supported workbook; raise UnreadableFile if unusable. `ahead`: the
    same file being read already (ReadAhead), taken if it was read with these limits; closed when done."""
    from .schema import SHEET_KINDS  # (loaded with the schemas given)

    path = Path(path)
    try:
        if ahead is not None and ahead.serves(path, max_bytes=max_bytes, max_cells=max_cells):
            source: _Opened | ReadAhead = ahead
        else:
            source = _Opened(path, max_bytes=max_bytes, max_cells=max_cells)
        return _read(path, schemas, source, SHEET_KINDS)
    finally:
        if ahead is not None:
            ahead.close()


def _read(path: Path, schemas: Schemas, source: _Opened | ReadAhead, kinds: tuple[str, ...]) -> WorkbookData:
    names = source.names
    meta: dict[str, str] = {}
    if META_SHEET in names:
        meta = _read_meta(source.rows(META_SHEET))
    by_name: dict[str, str] = {}
    for name in names:
        for kind in kinds:
            if norm_header(name) in schemas[kind].sheet_names and kind not in by_name.values():
                by_name[name] = kind
    sheets: dict[str, SheetData] = {}
    header_problems: list[tuple[str, str]] = []
    ahead = _largest(by_name, source.declared)  # read on a second thread while the others are read and built here
    if ahead is not None:
        source.read_ahead(ahead)
    for name, kind in sorted(by_name.items(), key=lambda item: item[0] == ahead):  # the one read ahead last
        built = _build_sheet(schemas[kind], name, source.rows(name))
        if built is None:
            header_problems.append((kind, name))
        else:
            sheets[kind] = built
    sheets = {kind: sheets[kind] for kind in by_name.values() if kind in sheets}  # in the workbook's order
    header_problems.sort(key=lambda problem: list(by_name.values()).index(problem[0]))
    # A renamed sheet (Sheet1, 2021年台账…) is still found by its headers; chart sheets and sheets that
    # fail to read are simply not candidates.
    leftovers = [n for n in source.worksheets() if n not in by_name and n != META_SHEET]
    for kind in kinds:
        if kind in sheets or any(k == kind for k, _ in header_problems):
            continue
        for name in list(leftovers):
            try:
                rows = source.rows(name)
            except UnreadableFile as exc:
                if exc.code != "FILE_CORRUPT":
                    raise
                leftovers.remove(name)  # not a candidate for any sheet; the next one may be the renamed one
                continue
            built = _build_sheet(schemas[kind], name, rows)
            if built is not None and len(built.columns) >= max(3, len(schemas[kind].columns) // 2):
                sheets[kind] = built
                leftovers.remove(name)
                break
    if not sheets and not header_problems:
        raise _fail("FILE_NOT_MONITORING")
    missing = [k for k in kinds if k not in sheets and all(k != hk for hk, _ in header_problems)]
    return WorkbookData(path=path, format=source.format, sheet_names=names, sheets=sheets, missing=missing,
                        header_problems=header_problems, meta=meta, sha256=hashlib.sha256(source.raw).hexdigest())


KINDS_BY_TEMPLATE = {"excel_bridge.village": "village", "excel_bridge.town_review": "town_review",
                     "excel_bridge.master": "master"}


def sheet_rows(path: Path, name: str, *, max_bytes: int = MAX_FILE_BYTES,
               max_cells: int = MAX_SHEET_CELLS) -> list[list[object]] | None:
    """One sheet's rows (None when the workbook has no such sheet), with the same guards as read_workbook:
    a size limit, and a sheet whose declared or actual extent is absurd is refused before calamine builds
    its grid. UnreadableFile for anything that cannot be read. Run it in a worker: the bytes are untrusted."""
    book, fmt, raw = open_workbook(Path(path), max_bytes=max_bytes)
    names = _sheet_names(book)
    if name not in names:
        return None
    declared = declared_sizes(raw, max_cells) if fmt in ("xlsx", "xlsm") else {}
    return book_sheet_rows(book, name, max_cells=max_cells, declared=declared)


def peek_meta(path: Path) -> dict[str, str]:
    """The hidden 系统信息 sheet of one of our workbooks ({} for anything else or anything unreadable)."""
    try:
        rows = sheet_rows(path, META_SHEET)
    except UnreadableFile:
        return {}
    return _read_meta(rows[:50]) if rows else {}
