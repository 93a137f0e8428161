"""The national system's person-level export read into households (runs in a worker: every byte of the file is
parsed there). xlsx, xls or csv (departments/tables.py reads them all); title rows above the header are passed
by finding the header row among the first rows; one row per person, grouped into households by 户编号, the head
by 与户主关系; headers, values, risk words and dates mapped through rules/import.yaml (mapping.py). A row that
cannot be used is kept with the reason, in Chinese, never guessed at."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..departments.tables import MAX_BYTES, MAX_CELLS, load_tables
from ..errors import UnreadableFile
from ..idcard import id_problem, is_normal_shape, mask_id, normalize_id
from ..messages import TEXT, render
from ..normalize import clean_text, is_blank, norm_header, parse_number
from ..schema import ColumnSpec, Schemas
from .mapping import MEASURE_FIELD, RISK_FIELDS, ImportRules, NationalColumn

HEADER_SCAN_ROWS = 30
# the facts of a household the national system owns, kept beside its values (households.data["_national"])
NATIONAL_KEY = "_national"
DATE_FIELDS = frozenset({"identified_date", "eliminated_date", "data_date", "first_identified"})
_UNIQUE = frozenset({"name", "person_no"})  # a value per person: not worth caching


@dataclass
class Unused:
    """A row of the export not used, and why (the note lists it; IDs masked)."""

    row: int
    reason: str
    town: str | None = None
    village: str | None = None


@dataclass
class NationalHousehold:
    """One household of the export: our household values (schema keys, head_id and head_name from the head's row),
    the facts only the national system has, and its members and measures as our records."""

    number: str  # 户编号
    row: int  # the Excel row of its first person
    town: str | None
    village: str | None
    data: dict[str, Any]
    national: dict[str, Any]  # category, eliminated (bool), identified_date, eliminated_date, risks, data_date …
    members: list[dict[str, Any]]
    measures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def head_id(self) -> str:
        return str(self.data["head_id"])

    @property
    def head_name(self) -> str | None:
        return self.data.get("head_name")

    @property
    def category(self) -> str | None:
        return self.national.get("category")

    @property
    def eliminated(self) -> bool:
        return bool(self.national.get("eliminated"))


@dataclass
class NationalExport:
    """What the worker hands back: plain data (it pickles)."""

    file_name: str
    format: str
    sha256: str
    sheet: str | None
    header_row: int  # 1-based
    wide: bool  # a wider export (risks 2…5 or assistance columns)
    persons: int  # rows with a person
    households: list[NationalHousehold]
    unused: list[Unused]
    unknown_values: dict[tuple[str, str], int] = field(default_factory=dict)  # (header, value) → rows, left empty


@dataclass(frozen=True)
class Found:
    """Where a national header row was found in a workbook (check tells a clerk what the file is)."""

    sheet: str | None
    header_row: int
    headers: list[str]


def find_header(rows: list[list[object]], rules: ImportRules) -> int | None:
    """The index of the national header row among the first rows (title rows above it are passed)."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if rules.is_header_row(row):
            return i
    return None


def locate(sheets: list[tuple[str | None, list[list[object]]]], rules: ImportRules) -> Found | None:
    """The first sheet with a national header row, and that row."""
    for name, rows in sheets:
        idx = find_header(rows, rules)
        if idx is not None:
            return Found(name, idx + 1, [clean_text(c) for c in rows[idx]])
    return None


def read_export(path: Path, rules: ImportRules, schemas: Schemas, *, name: str | None = None,
                max_bytes: int = MAX_BYTES, max_cells: int = MAX_CELLS) -> NationalExport:
    """The export at `path` as households; UnreadableFile when it cannot be read or holds no national header."""
    raw = load_tables(Path(path), max_bytes=max_bytes, max_cells=max_cells)
    found = None
    for sheet, rows in raw.sheets:
        idx = find_header(rows, rules)
        if idx is not None:
            found = (sheet, rows, idx)
            break
    if found is None:
        message, hint = render("IMPORT_NOT_NATIONAL", sheets="、".join(s or "（文本）" for s, _ in raw.sheets) or "（无）")
        raise UnreadableFile("IMPORT_NOT_NATIONAL", message, hint)
    sheet, rows, idx = found
    columns = rules.match_headers(rows[idx])
    reader = _Reader(rules, schemas, columns)
    persons, unused = reader.rows(rows, idx)
    read = len(persons) + len(unused)  # the rows with a person (blank and footer rows left out)
    households = reader.households(persons, unused)
    wide = any(c.field in RISK_FIELDS[1:] or c.field == MEASURE_FIELD for c in columns.values())
    return NationalExport(file_name=name or Path(path).name, format=raw.format, sha256=raw.sha256, sheet=sheet,
                          header_row=idx + 1, wide=wide, persons=read,
                          households=households, unused=unused, unknown_values=dict(reader.unknown))


@dataclass
class _Person:
    row: int
    household: dict[str, Any]  # household-level values on this row (raw → ours)
    member: dict[str, Any]
    measures: list[str]


# what a column's converter gives for one cell: our value (None: nothing to record), and the (header, value) to
# count as unknown when the mapping or our schemas do not know the value (None: known)
_Converted = tuple[Any, tuple[str, str] | None]
_SKIP: _Converted = (None, None)  # a blank cell: nothing recorded, nothing counted


@dataclass(frozen=True)
class _Plan:
    """How one column of the export is read: where, into which record, and its converter (built once)."""

    pos: int
    field: str
    member: bool  # a member's value (else the household's)
    convert: Callable[[object], _Converted]
    cached: bool  # the column holds few distinct values: each converted once (town, village, 与户主关系 …)


class _Reader:
    def __init__(self, rules: ImportRules, schemas: Schemas, columns: dict[int, NationalColumn]) -> None:
        self.rules = rules
        self.columns = columns
        self.specs: dict[str, dict[str, ColumnSpec]] = {
            "household": {c.key: c for c in schemas.household.columns},
            "member": {c.key: c for c in schemas.member.columns}}
        self.allowed = {level: {k: schemas.allowed(c) for k, c in specs.items()} for level, specs in self.specs.items()}
        self.household_keys = frozenset(self.specs["household"])
        self.unknown: Counter[tuple[str, str]] = Counter()
        self.pos = {c.field: p for p, c in columns.items() if c.field}
        self.plans = [self._plan(pos, col) for pos, col in columns.items()
                      if col.field is not None and col.field != "person_id"]

    def _plan(self, pos: int, col: NationalColumn) -> _Plan:
        field_ = col.field or ""
        if field_ == MEASURE_FIELD:
            measure = col.measure

            def convert(value: object) -> _Converted:  # a measure column: its 措施类别 when the cell says yes
                return (measure if measure and clean_text(value) not in ("否", "无", "0", "/") else None), None
            return _Plan(pos, field_, False, convert, True)
        header = col.header
        direct = self._direct(col)

        def convert_one(value: object) -> _Converted:
            ours, missed = direct(value)
            return ours, ((header, clean_text(value)) if missed else None)
        return _Plan(pos, field_, col.level == "member", convert_one, field_ not in _UNIQUE)

    def _direct(self, col: NationalColumn) -> Callable[[object], tuple[Any, bool]]:
        """The column's converter: the branch of the mapping its field takes, chosen once for the column."""
        field_ = col.field or ""
        rules = self.rules
        if field_ in DATE_FIELDS:
            return lambda v: (rules.parse_date(v), False)
        if field_ in RISK_FIELDS:
            return lambda v: (rules.risk_type(v), False)
        if field_ == "category":
            def category(v: object) -> tuple[Any, bool]:
                cat = rules.category_of(v)
                return cat, cat is None
            return category
        if field_ == "eliminated":
            return lambda v: (col.to_ours(v) == "是", False)
        if field_ in ("household_no", "person_no"):
            return lambda v: (_code(v), False)
        spec = self.specs[col.level].get(field_)
        if spec is None:
            return lambda v: (clean_text(v) or None, False)
        if spec.type in ("choice", "multichoice"):
            allowed = self.allowed[col.level].get(field_) or ()
            multi = spec.type == "multichoice"

            def choice(v: object) -> tuple[Any, bool]:
                ours = col.to_ours(v)
                parts = ours.split("、") if (ours and multi) else [ours]
                if ours is None or any(p not in allowed for p in parts):
                    return None, True
                return (tuple(parts) if multi else ours), False
            return choice
        if spec.type in ("integer", "money"):
            integer = spec.type == "integer"

            def number(v: object) -> tuple[Any, bool]:
                num = parse_number(v)
                if num is None or num < 0:
                    return None, True
                return (int(num) if integer and num.is_integer() else float(f"{num:.15g}")), False
            return number
        if spec.type == "date":
            return lambda v: (rules.parse_date(v), False)
        if spec.type == "id":
            return lambda v: (normalize_id(clean_text(v)), False)
        if spec.type == "phone":
            return lambda v: (_code(v), False)
        return lambda v: (clean_text(v) or None, False)

    def rows(self, rows: list[list[object]], idx: int) -> tuple[list[_Person], list[Unused]]:
        """The rows below the header as persons (column by column: each column's cells converted in one pass, its
        values into each person's records in the column order a row-by-row reading would give), or unused."""
        unused: list[Unused] = []
        id_pos = self.pos["person_id"]
        width = max([id_pos, *(p.pos for p in self.plans)]) + 1
        kept: list[list[object]] = []
        person_ids: list[str] = []
        excel_rows: list[int] = []
        for i in range(idx + 1, len(rows)):
            cells = rows[i]
            if len(cells) < width:  # a short row (csv): the cells it lacks are blank
                cells = [*cells, *([None] * (width - len(cells)))]
            raw_id = cells[id_pos]
            if is_blank(raw_id):
                if all(is_blank(c) for c in cells):
                    continue
                if _is_footer(cells):
                    continue
                unused.append(Unused(i + 1, TEXT["import.row_no_id"], *self._place(cells)))
                continue
            if isinstance(raw_id, float):  # Excel kept 15 digits of it: lost, never repaired by guessing
                unused.append(Unused(i + 1, TEXT["import.row_id_number"], *self._place(cells)))
                continue
            person_id = raw_id if type(raw_id) is str and is_normal_shape(raw_id) else normalize_id(clean_text(raw_id))
            if id_problem(person_id) is not None:
                unused.append(Unused(i + 1, TEXT["import.row_bad_id"].format(masked=mask_id(person_id)),
                                     *self._place(cells)))
                continue
            kept.append(cells)
            person_ids.append(person_id)
            excel_rows.append(i + 1)
        households: list[dict[str, Any]] = [{} for _ in kept]
        members: list[dict[str, Any]] = [{"person_id": pid} for pid in person_ids]
        measures: list[list[str]] = [[] for _ in kept]
        unknown = self.unknown
        for plan in self.plans:
            pos = plan.pos
            converted = self._column([cells[pos] for cells in kept], plan)
            if plan.field == MEASURE_FIELD:
                for kinds, (kind, _) in zip(measures, converted, strict=True):
                    if kind is not None:
                        kinds.append(kind)
                continue
            field_ = plan.field
            for record, (ours, missed) in zip(members if plan.member else households, converted, strict=True):
                if ours is not None:
                    record[field_] = ours
                if missed is not None:
                    unknown[missed] += 1
        persons = [_Person(*person) for person in zip(excel_rows, households, members, measures, strict=True)]
        return persons, unused

    @staticmethod
    def _column(values: list[object], plan: _Plan) -> list[_Converted]:
        """One column's cells converted: blank cells skipped, a column of few distinct values converted once per
        value (town, village, 与户主关系, 文化程度 …)."""
        convert = plan.convert
        if not plan.cached:
            return [_SKIP if value is None or value == "" or (type(value) is str and not value.strip())
                    else convert(value) for value in values]
        cache: dict[object, _Converted] = {}

        def first(value: object) -> _Converted:
            hit = _SKIP if is_blank(value) else convert(value)
            if len(cache) < 50_000:
                cache[value] = hit
            return hit
        get = cache.get
        return [get(value) or first(value) for value in values]

    def _place(self, cells: list[object]) -> tuple[str | None, str | None]:
        return self._cell(cells, "town"), self._cell(cells, "village")

    def _cell(self, cells: list[object], field_: str) -> str | None:
        pos = self.pos.get(field_)
        return clean_text(cells[pos]) or None if pos is not None and pos < len(cells) else None

    def households(self, persons: list[_Person], unused: list[Unused]) -> list[NationalHousehold]:
        groups: dict[str, list[_Person]] = {}
        for p in persons:
            number = p.household.get("household_no")
            if not number:
                unused.append(Unused(p.row, TEXT["import.row_no_number"], p.household.get("town"),
                                     p.household.get("village")))
                continue
            groups.setdefault(str(number), []).append(p)
        out: list[NationalHousehold] = []
        head_word = self.rules.relation_head
        seen: dict[str, str] = {}  # person → the 户编号 that listed them first
        for number, group in groups.items():
            twice = [p for p in group if seen.get(p.member["person_id"], number) != number]
            for p in group:
                seen.setdefault(p.member["person_id"], number)
            if twice:
                other = seen[twice[0].member["person_id"]]
                reason = TEXT["import.person_twice"].format(masked=mask_id(twice[0].member["person_id"]),
                                                            number=number, other=other)
                unused.extend(Unused(p.row, reason, p.household.get("town"), p.household.get("village"))
                              for p in group)
                continue
            heads = [p for p in group if p.member.get("relation") == head_word]
            first = heads[0] if heads else group[0]
            place = (first.household.get("town"), first.household.get("village"))
            if len(heads) != 1:
                reason = TEXT["import.no_head" if not heads else "import.two_heads"].format(number=number)
                unused.extend(Unused(p.row, reason, *place) for p in group)
                continue
            places = {(p.household.get("town"), p.household.get("village")) for p in group}
            if len(places) > 1:
                reason = TEXT["import.two_villages"].format(
                    number=number, places="、".join(sorted(f"{t or ''}{v or ''}" for t, v in places)))
                unused.extend(Unused(p.row, reason, *place) for p in group)
                continue
            head = heads[0]
            values = dict(head.household)  # the head's row first, then the first filled
            for p in group:
                if p is not head:
                    for k, v in p.household.items():
                        if k not in values:
                            values[k] = v
            out.append(self._household(number, group, head, values))
        return out

    def _household(self, number: str, group: list[_Person], head: _Person,
                   values: dict[str, Any]) -> NationalHousehold:
        hh_keys = self.household_keys
        data = {k: v for k, v in values.items() if k in hh_keys}
        national = {k: v for k, v in values.items() if k not in hh_keys}
        risks = [national.pop(f) for f in RISK_FIELDS if national.get(f)]
        national = {k: v for k, v in national.items() if k not in RISK_FIELDS}
        distinct = list(dict.fromkeys(tuple(r) for r in risks))
        for key, (kind, _) in zip(("main_risk", "other_risk_1", "other_risk_2"), distinct, strict=False):
            data[key] = kind
        national["risks"] = [list(r) for r in distinct]
        data["household_no"] = number
        data["head_id"] = head.member["person_id"]
        if head.member.get("name"):
            data["head_name"] = head.member["name"]
        data.setdefault("size", len(group))
        identified = data.pop("identified_date", None)  # 风险识别时间: our 识别纳入日期 only for a household identified
        national["identified_date"] = identified
        if national.get("category") and isinstance(identified, dt.date):
            data["identified_date"] = identified
        members = []
        head_id = data["head_id"]
        for p in group:
            m = dict(p.member)
            person_no = m.pop("person_no", None)
            m["head_id"] = head_id
            m["_row"] = p.row
            if person_no:
                m[NATIONAL_KEY] = {"person_no": person_no}
            members.append(m)
        kinds = list(dict.fromkeys(k for p in group for k in p.measures))
        measures = [{"head_id": data["head_id"], "category": k, "content": TEXT["import.measure_content"]}
                    for k in kinds]
        return NationalHousehold(number=number, row=group[0].row, town=data.get("town"), village=data.get("village"),
                                 data=data, national=national, members=members, measures=measures)


def _code(value: object) -> str | None:
    """A number or code cell as text (户编号 stored as a number loses nothing below 15 digits)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return clean_text(value) or None


def _is_footer(cells: list[object]) -> bool:
    text = "".join(clean_text(c) for c in cells if not is_blank(c))
    return not text or any(norm_header(text).startswith(w) for w in ("合计", "总计", "小计", "制表", "填表", "审核", "导出"))


@dataclass(frozen=True)
class SheetLook:
    """A sheet of a workbook that is neither a village ledger nor a national export: its likeliest header row and
    the template's columns among its cells (what `check` tells the clerk)."""

    sheet: str | None
    header_row: int | None  # 1-based; None: no row names any template column
    fitting: list[str]  # the template's headers found in that row


def look_at(path: Path, rules: ImportRules, schemas: Schemas, *,
            max_bytes: int = MAX_BYTES) -> tuple[Found | None, list[SheetLook]]:
    """A file `check` could not take as a village ledger: where its national header is (then it is an export to
    import), else each sheet's likeliest header row with the template's columns in it. UnreadableFile passes."""
    raw = load_tables(Path(path), max_bytes=max_bytes)
    found = locate(raw.sheets, rules)
    if found is not None:
        return found, []
    lookup: dict[str, str] = {}
    for kind in ("household", "member", "measure", "review"):
        spec = schemas[kind]
        for key, name in spec.header_lookup.items():
            lookup.setdefault(key, spec.column(name).header)
    looks = []
    for sheet, rows in raw.sheets:
        best: tuple[int, list[str]] | None = None
        for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
            fitting = list(dict.fromkeys(lookup[h] for h in (norm_header(c) for c in row) if h in lookup))
            if fitting and (best is None or len(fitting) > len(best[1])):
                best = (i + 1, fitting)
        looks.append(SheetLook(sheet, best[0] if best else None, best[1] if best else []))
    return None, looks
