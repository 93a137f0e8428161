"""Raw rows → typed records + Issues: every cell check and every cross-sheet check of docs/domain.md."""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import figures, idcard
from .config import Config
from .issues import Issue, make_issue
from .messages import TEXT, Severity
from .model import Household, Record
from .normalize import clean_text, parse_date, parse_number, parse_year, plain_text
from .prefill_marks import household_digest, prefilled_households
from .read import SheetData, WorkbookData
from .schema import ColumnSpec, Schemas, SheetSpec

_MULTI_SPLIT = re.compile(r"[、,，/;；\s]+")


@dataclass
class Parsed:
    data: WorkbookData
    households: list[Household]
    members: list[Record]
    measures: list[Record]
    reviews: list[Record]
    issues: list[Issue]

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if i.severity == "warning")


class _Sink:
    """Collects issues for one sheet, filling in sheet name and canonical column header."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues

    def add(self, code: str, rec_or_sheet: Record | str | None, col: ColumnSpec | str | None = None,
            value: object = None, *, row: int | None = None, severity: Severity | None = None,
            **fields: object) -> None:
        sheet: str | None
        if isinstance(rec_or_sheet, Record):
            sheet, row = rec_or_sheet.sheet, rec_or_sheet.row
        else:
            sheet = rec_or_sheet
        column = col.header if isinstance(col, ColumnSpec) else col
        self.issues.append(make_issue(code, sheet=sheet, row=row, column=column, value=value, severity=severity,
                                      **fields))


Converter = Callable[[ColumnSpec, object, Record, _Sink], Any]
_INVALID = object()
_NOTHING: frozenset[str] = frozenset()
_PROBE = Record(kind="", sheet="", row=0, values={})  # the record a shared conversion is tried on


def _text(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    if type(raw) is str and " " not in raw and raw.isprintable():  # no white space at all: nothing to trim
        return raw
    return plain_text(raw)  # names and notes keep their Chinese punctuation


def _id(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        sink.add("ID_AS_NUMBER", rec, col, excel_shows(raw))
        return _INVALID
    # most cells are already 18 ASCII digits (or X): then normalising would change nothing
    normalized = raw if type(raw) is str and idcard.is_normal_shape(raw) else idcard.normalize_id(str(raw))
    problem = idcard.id_problem(normalized)
    if problem is not None:
        sink.add(problem.code, rec, col, clean_text(raw), expected=problem.expected)
        return _INVALID
    return normalized


def excel_shows(number: float) -> str:
    """A number as Excel shows it: 15 significant digits, the rest zeros (never digits it did not keep)."""
    kept = Decimal(f"{float(number):.14e}")
    return format(kept, "f") if kept == kept.to_integral_value() else format(kept.normalize(), "f")


def _phone(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    if type(raw) is str and idcard.is_plain_mobile(raw):  # the common case: normalising changes nothing
        return raw
    text = clean_text(raw)
    if not idcard.is_valid_phone(text):
        sink.add("PHONE_FORMAT", rec, col, text)
        return text  # a warning only: keep what was written
    return idcard.normalize_phone(text)


def _make_choice(allowed: tuple[str, ...]) -> Converter:
    allowed_set = frozenset(allowed)

    def convert(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
        if raw in allowed_set:  # the common case: exactly a dropdown value
            return raw
        text = clean_text(raw)
        if text in allowed_set:
            return text
        sink.add("NOT_ALLOWED", rec, col, text, allowed="、".join(allowed))
        return _INVALID

    return convert


def _make_multichoice(allowed: tuple[str, ...]) -> Converter:
    allowed_set = frozenset(allowed)
    # a cell holding exactly one value (健康, the common case) is that value, when splitting would keep it whole
    single = frozenset(a for a in allowed if [p for p in _MULTI_SPLIT.split(clean_text(a)) if p] == [a])

    def convert(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
        if raw in single:
            return (raw,)
        text = clean_text(raw)
        parts = tuple(dict.fromkeys(p for p in _MULTI_SPLIT.split(text) if p))
        bad = [p for p in parts if p not in allowed_set]
        if bad or not parts:
            sink.add("NOT_ALLOWED", rec, col, text, allowed="、".join(allowed))
            return _INVALID
        if len(parts) > 1 and any(p in col.exclusive for p in parts):
            sink.add("HEALTH_EXCLUSIVE", rec, col, text)
            return _INVALID
        return parts

    return convert


def _integer(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    num = raw if type(raw) is float and math.isfinite(raw) else parse_number(raw)  # a number cell, or text
    if num is None or not num.is_integer():
        sink.add("NOT_INTEGER", rec, col, clean_text(raw))
        return _INVALID
    if (col.min is not None and num < col.min) or (col.max is not None and num > col.max):
        sink.add("OUT_OF_RANGE", rec, col, clean_text(raw), low=_n(col.min), high=_n(col.max))
        return _INVALID
    return int(num)


def _money(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    num = raw if type(raw) is float and math.isfinite(raw) else parse_number(raw)  # a number cell, or text
    if num is None:
        sink.add("NOT_NUMBER", rec, col, clean_text(raw))
        return _INVALID
    if num < 0:
        sink.add("NEGATIVE", rec, col, clean_text(raw))
        return _INVALID
    return float(f"{num:.15g}")  # what Excel shows (15 significant digits), never rounded to cents


def _year(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    if type(raw) is float and raw.is_integer() and 1900 <= raw <= 2200:  # a number cell: 2021
        return int(raw)
    year = parse_year(raw)
    if year is None:
        sink.add("NOT_YEAR", rec, col, clean_text(raw))
        return _INVALID
    return year


def _date(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
    value = parse_date(raw)
    if value is None or not 1900 <= value.year <= 2200:
        sink.add("NOT_DATE", rec, col, clean_text(raw))
        return _INVALID
    return value


def _n(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _converters(spec: SheetSpec, schemas: Schemas, config: Config) -> dict[str, Converter]:
    out: dict[str, Converter] = {}
    for col in spec.columns:
        allowed = schemas.allowed(col)
        if col.type == "choice":
            out[col.key] = _make_choice(allowed or ())
        elif col.type == "multichoice":
            out[col.key] = _make_multichoice(allowed or ())
        elif col.type == "town":
            out[col.key] = _make_town(config)
        else:
            out[col.key] = {"text": _text, "id": _id, "phone": _phone, "integer": _integer, "money": _money,
                            "year": _year, "date": _date}[col.type]
    return out


def _make_town(config: Config) -> Converter:
    settings = config.settings

    def convert(col: ColumnSpec, raw: object, rec: Record, sink: _Sink) -> Any:
        text = clean_text(raw)
        town = settings.canonical_town(text)
        if town is None:
            sink.add("TOWN_UNKNOWN", rec, col, text, allowed="、".join(settings.towns))
            return _INVALID
        return town

    return convert


def _village_checks(households: list[Household], config: Config, sink: _Sink) -> None:
    """A village not in its town's registered list (checked only where the settings list villages): an error
    naming the closest listed village, and the household is not recorded (a typo must not make a village)."""
    col = config.schemas.household.column("village")
    for hh in households:
        town, village = hh.get("town"), hh.get("village")
        listed = config.settings.towns.get(town or "", [])
        if town and village and listed and village not in listed:
            import difflib  # (only for a village not in the settings)

            close = difflib.get_close_matches(village, listed, n=1, cutoff=0.0)
            closest = TEXT["check.closest_village"].format(name=close[0]) if close else ""
            sink.add("VILLAGE_UNKNOWN", hh, col, village, town=town, closest=closest, allowed="、".join(listed))
            hh.invalid.add("village")


def _dropdown(col: ColumnSpec, config: Config) -> frozenset[str]:
    """The values a cell of this column is taken as, unchanged and without a call: its choices; the towns
    (those that cleaning would leave as they are)."""
    if col.type == "choice":
        return frozenset(config.schemas.allowed(col) or ())
    if col.type == "town":
        return frozenset(t for t in config.settings.towns if clean_text(t) == t)
    return _NOTHING


def _records(sheet: SheetData, spec: SheetSpec, config: Config, sink: _Sink, cls: type[Record]) -> list[Any]:
    """The typed records of one sheet, column by column: each distinct value of a column is converted once
    (a column holds few: choices, towns, yes/no, amounts that repeat), and the records' values are put
    together at C speed. Issues come out in the order of the cells, row by row, as a reader expects them."""
    convs = _converters(spec, config.schemas, config)
    present = [col for col in spec.columns if col.key in sheet.columns]
    absent = [col for col in spec.columns if col.key not in sheet.columns]  # a missing column: every row lacks it
    kind, name = spec.kind, sheet.name
    records = [cls(kind=kind, sheet=name, row=excel_row, values={}) for excel_row, _ in sheet.rows]
    cells = [row for _, row in sheet.rows]
    found: list[tuple[int, int, Issue]] = []  # (row position, column position, issue): sorted into cell order
    typed = [_typed_column(_column_cells(cells, sheet.columns[col.key]), records, col, pos, convs[col.key],
                           _dropdown(col, config), found)
             for pos, col in enumerate(present)]
    keys = [col.key for col in present] + [col.key for col in absent]
    typed.extend([None] * len(records) for _ in absent)
    for rec, values in zip(records, zip(*typed, strict=True), strict=True):
        rec.values = dict(zip(keys, values, strict=True))
    absent_required = {col.key for col in absent if col.required}
    if absent_required:
        for rec in records:
            rec.invalid.update(absent_required)
    found.sort(key=lambda f: (f[0], f[1]))  # stable: a cell's own issues keep their order
    sink.issues.extend(issue for _, _, issue in found)
    return records


def _column_cells(cells: list[list[object]], idx: int) -> list[object]:
    """Column `idx` of every row (None where a row is shorter)."""
    try:
        return list(map(operator.itemgetter(idx), cells))
    except IndexError:
        return [row[idx] if idx < len(row) else None for row in cells]


_NUMBERS = frozenset({bool, int, float})
_SLOW = object()  # a value the column's quick path leaves to _convert
_INF = math.inf


def _quick_money(raw: object) -> Any:
    """_money's answer for a number cell of a non-negative finite amount (most of them), else _SLOW."""
    return float(f"{raw:.15g}") if type(raw) is float and 0 <= raw < _INF else _SLOW


def _quick_date(raw: object) -> Any:
    """_date's answer for a date cell within 1900–2200, else _SLOW."""
    if type(raw) is dt.datetime:
        raw = raw.date()
    return raw if type(raw) is dt.date and 1900 <= raw.year <= 2200 else _SLOW


def _quick_text(raw: object) -> Any:
    """_text's answer for text with nothing to trim (not blank, no space, all printable), else _SLOW."""
    return raw if type(raw) is str and raw != "" and " " not in raw and raw.isprintable() else _SLOW


def _quick_phone(raw: object) -> Any:
    return raw if type(raw) is str and idcard.is_plain_mobile(raw) else _SLOW


def _quick_id(raw: object) -> Any:
    """_id's answer for a valid ID already in its stored form (18 ASCII digits or X), else _SLOW."""
    if type(raw) is str and idcard.is_normal_shape(raw) and idcard.id_problem(raw) is None:
        return raw
    return _SLOW


# a column type's common case, answered without _convert's call chain: the same value _convert gives, and
# never for a value _convert would report (those go through it, cell by cell)
_QUICK: dict[str, Callable[[object], Any]] = {"money": _quick_money, "date": _quick_date, "text": _quick_text,
                                              "phone": _quick_phone, "id": _quick_id}


def _typed_column(raws: list[object], records: list[Any], col: ColumnSpec, pos: int, conv: Converter,
                  dropdown: frozenset[str], found: list[tuple[int, int, Issue]]) -> list[Any]:
    """The typed values of one column. A distinct value that converts cleanly is converted once; a blank
    in a required column and a value with a problem are converted cell by cell, so that each cell gets its
    issue and its record is marked invalid."""
    key = col.key
    try:
        distinct = set(raws)
    except TypeError:  # an unhashable cell value: no sharing
        distinct = None
    if distinct is not None and len(set(map(type, raws)) & _NUMBERS) > 1:
        distinct = None  # 1, 1.0 and True are one key but may convert differently: no sharing either
    shared: dict[object, Any] = {}
    if distinct is None:
        out: list[Any] = [None] * len(raws)
        to_convert: Iterable[int] = range(len(raws))
    else:
        probe = _Sink([])
        shared = {raw: raw for raw in distinct & dropdown}  # exactly a dropdown value: taken as it is
        quick = _QUICK.get(col.type)
        for raw in distinct - dropdown:
            if quick is not None and (value := quick(raw)) is not _SLOW:
                shared[raw] = value
                continue
            value = _convert(col, conv, dropdown, raw, _PROBE, probe)
            if value is not _INVALID and not probe.issues:
                shared[raw] = value
            probe.issues.clear()
        out = list(map(shared.get, raws))
        if len(shared) == len(distinct):
            return out  # every cell shared: the common case
        own = distinct.difference(shared)
        to_convert = [i for i, raw in enumerate(raws) if raw in own]
    cell_sink = _Sink([])
    for i in to_convert:
        rec = records[i]
        value = _convert(col, conv, dropdown, raws[i], rec, cell_sink)
        if value is _INVALID:
            value = None
            rec.invalid.add(key)
        out[i] = value
        found.extend((i, pos, issue) for issue in cell_sink.issues)
        cell_sink.issues.clear()
    return out


def _convert(col: ColumnSpec, conv: Converter, dropdown: frozenset[str], raw: object, rec: Record,
             sink: _Sink) -> Any:
    """One cell's typed value, or _INVALID with its issue in `sink`: a blank is None (REQUIRED in a required
    column), a dropdown value is taken as it is, anything else goes through the column's converter."""
    if raw is None or raw == "" or (type(raw) is str and raw.isspace()):
        if col.required:
            sink.add("REQUIRED", rec, col)
            return _INVALID
        return None
    if raw in dropdown:
        return raw
    return conv(col, raw, rec, sink)


def _sheet_issues(data: WorkbookData, schemas: Schemas, sink: _Sink) -> None:
    for kind, name in data.header_problems:
        spec = schemas[kind]
        sink.add("HEADER_NOT_FOUND", name, value="、".join(c.header for c in spec.columns[:4]))
    for kind in data.missing:
        sheet_name = schemas[kind].sheet
        severity: Severity = "error" if kind in ("household", "member") else "warning"
        sink.issues.append(make_issue("SHEET_MISSING", sheet=sheet_name, severity=severity))
    for kind, sheet in data.sheets.items():
        spec = schemas[kind]
        for col in spec.columns:
            if col.key not in sheet.columns and col.required:
                sink.add("COLUMN_MISSING", sheet.name, col, row=sheet.header_row)
        for key, _ in sheet.duplicates:
            sink.add("COLUMN_DUPLICATE", sheet.name, spec.column(key), row=sheet.header_row)
        for _, header in sheet.unknown:
            sink.add("COLUMN_UNKNOWN", sheet.name, header, header, row=sheet.header_row)


MULTIPLE = "多重"


def departed(member: Record) -> bool:
    """A 家庭成员 row the clerk keeps with a 减少原因: the person has left the household (died, married out, split
    off); the row says why and is neither counted nor judged (its person may be listed again elsewhere)."""
    return member.values.get("leave_reason") is not None


def _person_checks(members: list[Record], spec: SheetSpec, sink: _Sink) -> None:
    col = spec.column
    seen: dict[str, int] = {}
    for m in members:
        get = m.values.get  # every member: no method call per cell
        pid = get("person_id")
        if pid:
            if departed(m):
                pass  # who split off or married within the village is listed again in their new household
            elif pid in seen:
                sink.add("DUPLICATE_PERSON", m, col("person_id"), pid, other_row=seen[pid])
            else:
                seen[pid] = m.row
            sex = get("sex")
            if sex and sex != idcard.sex(pid):
                sink.add("SEX_MISMATCH", m, col("sex"), sex, expected=idcard.sex(pid))
            birth = get("birth_date")
            id_birth = idcard.birth_date(pid)
            if birth and id_birth and birth != id_birth:
                sink.add("BIRTH_MISMATCH", m, col("birth_date"), birth.isoformat(), expected=id_birth.isoformat())
        invalid = m.invalid
        edu_given = get("education") is not None or "education" in invalid
        school_given = get("schooling") is not None or "schooling" in invalid
        if edu_given and school_given:
            sink.add("EDU_BOTH", m, col("schooling"), get("schooling"))
        elif not edu_given and not school_given:
            sink.add("EDU_NONE", m, col("education"))
            invalid.add("education")
        health = get("health") or ()
        disability = get("disability_type")
        if "残疾" in health and disability is None and "disability_type" not in invalid:
            sink.add("DISABILITY_TYPE_MISSING", m, col("disability_type"))
            invalid.add("disability_type")
        if disability is not None and get("disability_grade") is None and "disability_grade" not in invalid:
            sink.add("DISABILITY_GRADE_MISSING", m, col("disability_grade"))
            invalid.add("disability_grade")
        if disability == (MULTIPLE,):  # 重点关注 depends on which kinds it is made of
            sink.add("DISABILITY_MULTIPLE_PARTS", m, col("disability_type"), MULTIPLE)


def _link(households: list[Household], members: list[Record], measures: list[Record], reviews: list[Record],
          schemas: Schemas, sink: _Sink) -> None:
    hh_spec = schemas.household
    by_head: dict[str, Household] = {}
    by_no: dict[str, Household] = {}
    for hh in households:
        head = hh.head_id
        if head:
            if head in by_head:
                hh.duplicate = True
                sink.add("DUPLICATE_HOUSEHOLD", hh, hh_spec.column("head_id"), head, other_row=by_head[head].row)
            else:
                by_head[head] = hh
        no = hh.get("household_no")
        if no:
            if no in by_no:
                sink.add("DUPLICATE_HOUSEHOLD_NO", hh, hh_spec.column("household_no"), no, other_row=by_no[no].row)
            else:
                by_no[no] = hh
    for records, attr, code, spec in ((members, "members", "MEMBER_ORPHAN", schemas.member),
                                      (measures, "measures", "MEASURE_ORPHAN", schemas.measure),
                                      (reviews, "reviews", "REVIEW_ORPHAN", schemas.review)):
        for rec in records:
            head = rec.get("head_id")
            if head is None:
                continue
            owner = by_head.get(head)
            if owner is None:
                sink.add(code, rec, spec.column("head_id"), head)
            elif attr == "members" and departed(rec):
                owner.departed.append(rec)  # kept as a row to say why; no longer one of the household
            else:
                getattr(owner, attr).append(rec)


def _household_checks(households: list[Household], schemas: Schemas, sink: _Sink, members_found: bool) -> None:
    col = schemas.household.column
    mcol = schemas.member.column
    for hh in households:
        if hh.duplicate or hh.head_id is None or not members_found:
            continue
        heads = [m for m in hh.members if m.get("relation") == "户主"]
        if not heads and not any("relation" in m.invalid for m in hh.members):
            sink.add("HEAD_MISSING", hh, col("head_id"), hh.head_id)
        elif len(heads) > 1:
            for m in heads:
                sink.add("HEAD_MULTIPLE", m, mcol("relation"), len(heads))
        for m in heads:
            pid = m.get("person_id")
            if pid and pid != hh.head_id:
                sink.add("HEAD_ID_MISMATCH", m, mcol("person_id"), pid, expected=hh.head_id)
        if hh.get("reduce_reason") and hh.get("reduce_date") is None and "reduce_date" not in hh.invalid:
            sink.add("REDUCE_DATE_MISSING", hh, col("reduce_date"), hh.get("reduce_reason"))
        size = hh.get("size")
        if size is not None and size != len(hh.members):
            sink.add("SIZE_MISMATCH", hh, col("size"), size, expected=len(hh.members))
            hh.invalid.add("size")  # the typed value stays shown, but no per-person figure uses it


def _income_checks(households: list[Household], config: Config, sink: _Sink) -> None:
    col = config.schemas.household.column
    tolerance = Fraction(config.rules.rules.tolerance.yuan)  # exact
    lines: dict[int, float | None] = {}  # income year → its monitoring line (None: not configured)
    for hh in households:
        computed = figures.computed_per_capita(hh)
        hh.computed_income = figures.shown(computed)
        # shown: the computed figure when there is one, else per_capita's (the filled one, if the size holds)
        hh.per_capita_income = hh.computed_income if computed is not None else figures.shown(figures.per_capita(hh))
        filled = None if computed is None else figures.amount(hh.values.get("per_capita_income"))
        if filled is not None and computed is not None and figures.apart_by_more(filled, computed, tolerance):
            sink.add("INCOME_MISMATCH", hh, col("per_capita_income"), hh.get("per_capita_income"),
                     expected=f"{float(computed):.2f}", limit=_n(float(tolerance)))
        year = hh.get("income_year")
        if year is not None:
            if year not in lines:
                lines[year] = float(config.rules.line_for(year)) if config.rules.has_line(year) else None
            if lines[year] is not None:
                hh.line = lines[year]
            else:
                sink.add("LINE_UNCONFIGURED", hh, col("income_year"), year)
                hh.invalid.add("income_year")


DONE = "已完成"  # 落实情况 that needs its 完成日期


def _measure_checks(measures: list[Record], spec: SheetSpec, sink: _Sink) -> None:
    keys = {c.key for c in spec.columns}
    if not {"progress", "done_date"} <= keys:  # a district's measure.yaml without them
        return
    col = spec.column
    for m in measures:
        if m.get("progress") == DONE and m.get("done_date") is None and "done_date" not in m.invalid:
            sink.add("MEASURE_DONE_DATE_MISSING", m, col("done_date"))
            m.invalid.add("done_date")


def _review_checks(reviews: list[Record], spec: SheetSpec, sink: _Sink) -> None:
    col = spec.column
    for r in reviews:
        if r.get("objection") == "有" and r.get("objection_result") is None and "objection_result" not in r.invalid:
            sink.add("OBJECTION_RESULT_MISSING", r, col("objection_result"))
            r.invalid.add("objection_result")
        start, end = r.get("notice_start"), r.get("notice_end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            sink.add("NOTICE_DATES", r, col("notice_end"), end.isoformat(), expected=start.isoformat())
            r.invalid.add("notice_end")


_STILL_EMPTY = frozenset({"REQUIRED", "EDU_NONE"})  # "required but empty" (EDU_NONE: neither of two columns)


def _still_to_fill(households: list[Household], meta: dict[str, str], issues: list[Issue]) -> None:
    """A pre-filled workbook (预填台账, see prefill_marks): a required cell left empty in a household we pre-filled
    (its own row, its members', measures' or reviews') is still to fill, not a mistake: one PREFILL_TO_FILL hint
    per household lists them, in place of a REQUIRED error per cell. The record stays marked invalid there, so
    nothing is judged on a value that is not there yet."""
    digests = prefilled_households(meta)
    if not digests:
        return
    owner: dict[tuple[str, int], Household] = {}
    for hh in households:
        if hh.duplicate or hh.head_id is None or household_digest(hh.head_id) not in digests:
            continue
        for rec in (hh, *hh.members, *hh.measures, *hh.reviews):
            owner[(rec.sheet, rec.row)] = hh
    empty: dict[int, dict[str, None]] = {}  # household row → what is still empty, in the order found
    kept: list[Issue] = []
    first_sheet = households[0].sheet if households else None
    for issue in issues:
        whose = owner.get((issue.sheet or "", issue.row or 0)) if issue.code in _STILL_EMPTY else None
        if whose is None:
            kept.append(issue)
            continue
        where = issue.column or ""
        empty.setdefault(whose.row, {})[where if issue.sheet == first_sheet else f"{issue.sheet}·{where}"] = None
    if not empty:
        return
    by_row = {hh.row: hh for hh in owner.values()}
    for row, columns in sorted(empty.items()):
        hh = by_row[row]
        kept.append(make_issue("PREFILL_TO_FILL", sheet=hh.sheet, row=row, name=hh.get("head_name") or "",
                               columns="、".join(columns), n=len(columns)))
    issues[:] = kept


def validate(data: WorkbookData, config: Config) -> Parsed:
    """Type every cell and run the cross-sheet checks; problems become Issues, never exceptions."""
    schemas = config.schemas
    issues: list[Issue] = []
    sink = _Sink(issues)
    _sheet_issues(data, schemas, sink)

    def records(kind: str, cls: type[Record] = Record) -> list[Any]:
        sheet = data.sheets.get(kind)
        return [] if sheet is None else _records(sheet, schemas[kind], config, sink, cls)

    households: list[Household] = records("household", Household)
    members = records("member")
    measures = records("measure")
    reviews = records("review")
    _person_checks(members, schemas.member, sink)
    _link(households, members, measures, reviews, schemas, sink)
    _household_checks(households, schemas, sink, members_found="member" in data.sheets)
    _income_checks(households, config, sink)
    _village_checks(households, config, sink)
    _measure_checks(measures, schemas.measure, sink)
    _review_checks(reviews, schemas.review, sink)
    _still_to_fill(households, data.meta, issues)
    return Parsed(data=data, households=households, members=members, measures=measures, reviews=reviews,
                  issues=issues)
