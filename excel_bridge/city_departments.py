"""A city-level department's list (市医保局 …) split into its districts' 部门数据 (issue 24): each row goes to the
district whose ledger has the person in a household on file (a person moved keeps an old county code), else to the
district whose 区划代码 is the ID's first six digits; a row neither places is left with the city, said in the note.
Each district gets a workbook with the list's own header and its rows — in its workspace's 部门数据/<部门>/ when the
city reaches that folder, else in the city's 部门数据分拆/<区>/<部门>/ to send on — and one note. The lists are
read in a worker (dropped files); the ledgers only read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .city_settings import City, CitySettings
from .errors import UnreadableFile
from .idcard import is_valid_id, mask_id, normalize_id
from .messages import TEXT
from .read import open_workbook, sheet_rows
from .workspace import DEPARTMENTS, Workspace
from .writers.common import place_atomically
from .writers.tables import new_workbook

LIST_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods")
ID_HEADER = "身份证"  # the header of the ID column contains it (身份证号, 公民身份证号码 …)
HEADER_ROWS = 30  # the header is looked for in the first rows


@dataclass(frozen=True)
class CityList:
    """One list as read in the worker: its header, its data rows (with their row numbers) and each row's ID."""

    path: str
    department: str
    header: list[object] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)  # a valid ID, or None
    problem: str | None = None


def read_city_list(job: tuple[str, str]) -> CityList:
    """In a worker: the first sheet of a list, from the row whose cells name the 身份证 column."""
    path, department = job
    try:
        book, _, _ = open_workbook(Path(path))
        first = book.sheet_names[0]
        rows = sheet_rows(Path(path), first) or []
    except UnreadableFile as exc:
        return CityList(path, department, problem=str(exc))
    at = next(((r, c) for r, row in enumerate(rows[:HEADER_ROWS]) for c, v in enumerate(row)
               if isinstance(v, str) and ID_HEADER in v), None)
    if at is None:
        return CityList(path, department, problem=TEXT["city.list_no_id"])
    r, col = at
    data = [(r + 2 + k, list(v)) for k, v in enumerate(rows[r + 1:]) if any(x not in (None, "") for x in v)]
    ids = []
    for _, row in data:
        value = row[col] if col < len(row) else None
        text = normalize_id(value) if isinstance(value, str) else ""
        ids.append(text if is_valid_id(text) else None)
    return CityList(path, department, header=list(rows[r]), rows=data, ids=ids)


@dataclass
class Split:
    """What one list gave each district, and the rows left with the city."""

    source: CityList
    by_district: dict[str, list[int]] = field(default_factory=dict)  # district → indexes into source.rows
    by_ledger: dict[str, int] = field(default_factory=dict)  # of those, found in the district's ledger
    left: list[int] = field(default_factory=list)
    written: dict[str, Path] = field(default_factory=dict)


def city_lists(city: City) -> list[tuple[str, str]]:
    """(path, department) of every list in the city's 部门数据/<部门>/."""
    if not city.departments.is_dir():
        return []
    return [(str(p), folder.name) for folder in sorted(city.departments.iterdir()) if folder.is_dir()
            for p in sorted(folder.iterdir()) if p.suffix.lower() in LIST_SUFFIXES and not p.name.startswith("~$")]


def split_list(got: CityList, settings: CitySettings, present: Callable[[list[str]], Mapping[str, set[str]]]) -> Split:
    """Each row to its district: the ledgers that have the person (`present`: district → the IDs among these it has),
    else by the ID's county code."""
    split = Split(got)
    found = present([i for i in got.ids if i])
    by_code = {d.code: d.name for d in settings.districts if d.code}
    for k, pid in enumerate(got.ids):
        places = [d.name for d in settings.districts if pid and pid in found.get(d.name, set())]
        if places:
            for name in places:
                split.by_district.setdefault(name, []).append(k)
                split.by_ledger[name] = split.by_ledger.get(name, 0) + 1
        elif pid and pid[:6] in by_code:
            split.by_district.setdefault(by_code[pid[:6]], []).append(k)
        else:
            split.left.append(k)
    return split


def write_split(split: Split, city: City, settings: CitySettings, *, today: dt.date) -> None:
    """Each district's workbook (the list's header, its rows) and its note; the city's note on rows left."""
    source = Path(split.source.path)
    name = TEXT["city.split_file"].format(stem=source.stem, city=settings.city)
    for d in settings.districts:
        mine = split.by_district.get(d.name)
        if not mine:
            continue
        folder = (Path(d.workspace) / DEPARTMENTS / split.source.department) if d.workspace \
            else city.split_dir / d.name / split.source.department
        folder.mkdir(parents=True, exist_ok=True)
        def write(tmp: Path, mine: list[int] = mine) -> None:
            _write_rows(tmp, split.source, mine)

        placed = place_atomically(folder / name, write)
        split.written[d.name] = placed.path
        note = Workspace.city_split_note(city.root, d.name, split.source.department)
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(TEXT["city.split_note"].format(
            city=settings.city, department=split.source.department, source=source.name, today=today,
            district=d.name, rows=len(mine), by_ledger=split.by_ledger.get(d.name, 0),
            by_code=len(mine) - split.by_ledger.get(d.name, 0), path=placed.path) + "\n", encoding="utf-8")
    if split.left:
        lines = []
        for k in split.left:
            pid = split.source.ids[k]
            lines.append(TEXT["city.split_left_line"].format(row=split.source.rows[k][0],
                                                             id=mask_id(pid) if pid else TEXT["city.split_no_id"]))
        note = Workspace.city_split_note(city.root, settings.city, split.source.department)
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(TEXT["city.split_left"].format(source=source.name, n=len(split.left)) + "\n"
                        + "\n".join(lines) + "\n", encoding="utf-8")


def _write_rows(tmp: Path, got: CityList, indexes: list[int]) -> None:
    wb, fmt = new_workbook(str(tmp))
    sheet = wb.add_worksheet(TEXT["city.split_sheet"])
    for c, head in enumerate(got.header):
        sheet.write_string(0, c, "" if head is None else str(head), fmt.header)
    for r, k in enumerate(indexes, start=1):
        for c, value in enumerate(got.rows[k][1]):
            if isinstance(value, bool) or value is None or value == "":
                sheet.write_string(r, c, "" if value is None else str(value))
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif isinstance(value, (dt.date, dt.datetime)):
                sheet.write_datetime(r, c, value if isinstance(value, dt.datetime)
                                     else dt.datetime.combine(value, dt.time()), fmt.by_kind["date"])
            else:
                sheet.write_string(r, c, str(value), fmt.by_kind["text"])
    wb.close()
