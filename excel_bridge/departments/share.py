"""The sharing-back export (plan 七(二)): 乡村振兴 pushes its monitored households to 民政 in a workbook the
department can filter and print — households with category, state, risk types and measures; members with
the columns schemas/member.yaml marks `shared: true` (name, ID number, relation, 低保, 特困); one row per measure.
Only what 民政 needs: no phone numbers, incomes or health facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xlsxwriter.worksheet import Worksheet

from ..config import bundled_dir
from ..messages import TEXT
from ..schema import ColumnSpec, Schemas, load_schemas
from ..writers.common import Placed, meta_rows, place_atomically
from ..writers.tables import Col, Formats, new_workbook, schema_col, schema_value, write_meta, write_table

SHARE_KIND = "excel_bridge.share"
SHARE_VERSION = "1"
HEADER_ROW = 3  # 0-based: title, period, privacy line, then the header


@dataclass(frozen=True)
class ShareMember:
    """A member as shared: the stored values of member.yaml's shared columns (schema key → value)."""

    values: Mapping[str, object]

    @property
    def dibao(self) -> object:  # 享受低保 是/否
        return self.values.get("dibao")

    @property
    def tekun(self) -> object:  # 特困供养 是/否
        return self.values.get("tekun")


def shared_member_columns(schemas: Schemas) -> tuple[tuple[ColumnSpec, Col], ...]:
    """The 家庭成员 columns a department receives: member.yaml's columns marked `shared: true`, in its order."""
    return tuple((c, schema_col(c, schemas)) for c in schemas.member.columns if c.shared)


def _bundled_member_columns() -> tuple[tuple[ColumnSpec, Col], ...]:
    return shared_member_columns(load_schemas(bundled_dir("schemas")))


@dataclass(frozen=True)
class ShareMeasure:
    category: str
    content: str | None = None
    start_date: dt.date | None = None
    responsible: str | None = None


@dataclass(frozen=True)
class ShareHousehold:
    town: str
    village: str
    household_no: str | None
    head_name: str
    head_id: str
    household_type: str | None  # 脱贫户 / 普通农户
    category: str | None  # 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户
    state: str
    identified_date: dt.date | None = None
    risk_types: tuple[str, ...] = ()
    measures: tuple[ShareMeasure, ...] = ()
    members: tuple[ShareMember, ...] = ()
    changed: dt.date | None = None  # last change in the period


@dataclass(frozen=True)
class ShareData:
    district: str
    department: str  # 民政
    until: dt.date
    households: Sequence[ShareHousehold]
    since: dt.date | None = None  # None: every monitored household, not only the period's changes
    member_columns: tuple[tuple[ColumnSpec, Col], ...] = field(default_factory=_bundled_member_columns)


# widths chosen so a landscape A4 page, one page wide, still prints at about 80 %
HOUSEHOLD_COLUMNS = [
    Col("镇", 8), Col("村", 9), Col("户编号", 18, "id"), Col("户主姓名", 8), Col("户主身份证号", 19, "id"),
    Col("家庭人口数", 6, "int"), Col("户类型", 8), Col("监测类别", 12), Col("当前状态", 8), Col("识别纳入日期", 11, "date"),
    Col("风险类型", 16, "wrap"), Col("帮扶措施", 18, "wrap"), Col("低保人数", 6, "int"), Col("特困人数", 6, "int"),
    Col("变动日期", 11, "date"),
]
MEMBER_HOUSEHOLD = [  # before member.yaml's shared columns
    Col("镇", 9), Col("村", 10), Col("户编号", 19, "id"), Col("户主姓名", 10), Col("监测类别", 13), Col("当前状态", 10),
]
MEASURE_COLUMNS = [
    Col("镇", 9), Col("村", 10), Col("户编号", 19, "id"), Col("户主姓名", 10), Col("措施类别", 12), Col("措施内容", 36, "wrap"),
    Col("开始日期", 12, "date"), Col("责任单位", 14),
]


def write_share_export(path: Path, data: ShareData, *, now: dt.datetime | None = None) -> Placed:
    """Write the workbook atomically (a copy open in Excel is kept; the new one lands beside it)."""
    now = now or dt.datetime.now()
    households = sorted(data.households, key=lambda h: (h.town, h.village, h.household_no or "", h.head_id))
    return place_atomically(Path(path), lambda tmp: _write(tmp, data, households, now), now=now)


def _write(tmp: Path, data: ShareData, households: list[ShareHousehold], now: dt.datetime) -> None:
    wb, fmt = new_workbook(str(tmp))
    ws = wb.add_worksheet("监测户")
    _heading(ws, fmt, data)
    write_table(ws, fmt, HOUSEHOLD_COLUMNS, (_household_cells(h) for h in households), first_row=HEADER_ROW)
    _print_setup(ws)
    ws = wb.add_worksheet("家庭成员")
    _heading(ws, fmt, data)
    shared = data.member_columns
    write_table(ws, fmt, [*MEMBER_HOUSEHOLD, *(col for _, col in shared)],
                ([h.town, h.village, h.household_no, h.head_name, h.category, h.state,
                  *(schema_value(spec, m.values.get(spec.key)) for spec, _ in shared)]
                 for h in households for m in h.members), first_row=HEADER_ROW)
    _print_setup(ws)
    ws = wb.add_worksheet("帮扶措施")
    _heading(ws, fmt, data)
    write_table(ws, fmt, MEASURE_COLUMNS, ([h.town, h.village, h.household_no, h.head_name, m.category, m.content,
                                            m.start_date, m.responsible] for h in households for m in h.measures),
                first_row=HEADER_ROW)
    _print_setup(ws)
    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 90, fmt.note)
    lines = [TEXT["share.title"].format(district=data.district, department=data.department), _period(data),
             TEXT["share.counts"].format(households=len(households), members=sum(len(h.members) for h in households),
                                         measures=sum(len(h.measures) for h in households)),
             TEXT["share.generated"].format(now=now, district=data.district),
             TEXT["share.privacy"].format(department=data.department)]
    for r, line in enumerate(lines):
        ws.write_string(r, 0, line, fmt.title if r == 0 else fmt.plain)
    write_meta(wb, meta_rows(SHARE_KIND, SHARE_VERSION, 区=data.district, 部门=data.department,
                             截止日期=data.until.isoformat(), 起始日期=data.since.isoformat() if data.since else ""))
    wb.close()


def _heading(ws: Worksheet, fmt: Formats, data: ShareData) -> None:
    """Title, period and the privacy line above the header; each spills across the empty cells to its right."""
    ws.write_string(0, 0, TEXT["share.title"].format(district=data.district, department=data.department), fmt.title)
    ws.set_row(0, 24)
    ws.write_string(1, 0, _period(data), fmt.plain)
    ws.write_string(2, 0, TEXT["share.privacy"].format(department=data.department), fmt.plain)


def _period(data: ShareData) -> str:
    if data.since is None:
        return TEXT["share.period_all"].format(until=data.until.isoformat())
    return TEXT["share.period"].format(since=data.since.isoformat(), until=data.until.isoformat())


def _print_setup(ws: Worksheet) -> None:
    """Landscape A4, as wide as one page, the header repeated on every printed page, page numbers below."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _household_cells(h: ShareHousehold) -> list[object]:
    categories = list(dict.fromkeys(m.category for m in h.measures))
    return [h.town, h.village, h.household_no, h.head_name, h.head_id, len(h.members) or None, h.household_type,
            h.category, h.state, h.identified_date, "、".join(h.risk_types), "、".join(categories),
            sum(m.dibao == "是" for m in h.members), sum(m.tekun == "是" for m in h.members), h.changed]
