"""The district master workbook (区级/区级总台账.xlsx), regenerated from the ledger once per pass:
总览 with counts and native charts, 监测户台账, 家庭成员, 待区审核 (decision columns), 预警, 问题汇总,
提交记录, 变更记录. Written with XlsxWriter in constant-memory mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from ..alerts import Alert
from ..config import Config
from ..history import Change
from ..internals import xf_index
from ..messages import SEVERITY_WORD, TEXT, status_word
from ..schema import ColumnSpec, SheetSpec
from ..statistics import Statistics, statistics_of
from ..store import HouseholdRow, MemberRow, Store
from ..town_checks import TownChecks, checks_of
from ..workflow import CATEGORIES, DISTRICT, NOT_INCLUDED, REMOVED, STATES, deciding
from ..workspace import Workspace
from .common import Placed, meta_rows, place_atomically
from .decision_table import write_decision_sheet
from .department_master import write_department_comparison
from .fastsheet import RowSpool, splice
from .master_import import write_import_differences
from .master_measures import write_measures
from .master_provincial import write_entry_master
from .master_round import write_round_progress
from .printing import PageLayout, apply_xlsxwriter
from .statistics_sheet import write_checks, write_tables
from .tables import (
    Col,
    Formats,
    new_workbook,
    print_table,
    schema_col,
    wrap_widths,
    write_meta,
    write_table,
)

MASTER_KIND = "excel_bridge.master"


def write_master(ws: Workspace, store: Store, config: Config, *, as_of: dt.date,
                 alerts: list[Alert], changes: list[Change], notes: list[str] | None = None,
                 only_if: Callable[[Path], bool] | None = None,
                 before_replace: Callable[[Path, Path], None] | None = None,
                 statistics: Statistics | None = None, checks: TownChecks | None = None,
                 households: int | None = None) -> Placed:
    """The master; `alerts` (预警), `changes` (变更记录) and `statistics` (统计 and 总览's category and risk counts)
    are computed by the pipeline, once for all workbooks, as is `households` (the ledger's count: a small district's
    master is built in memory); computed here only for a caller that gives none."""
    stats = statistics or statistics_of(store, config, as_of)
    kaohe = checks or checks_of(store, config, as_of)
    if households is None:  # (the pipeline counted them with the district's numbers)
        households = store.households.count_where()

    def build(tmp: Path) -> None:
        wb, fmt = new_workbook(str(tmp), households=households)
        spools: dict[str, tuple[RowSpool, int]] = {}
        titles = rule_titles(config)

        def big(name: str, columns: list[Col], rows, identity: int, header_lines: int = BIG_HEADER_LINES) -> None:
            _big_sheet(wb, fmt, name, columns, rows, spools, identity=identity, header_lines=header_lines,
                       directory=ws.temp_dir)

        try:
            counts = _overview(wb, fmt, store, config, stats)
            write_tables(wb, fmt, STATS_SHEET, statistics_heading(stats), stats.tables)
            write_checks(wb, fmt, CHECKS_SHEET, [TEXT["checks.sheet_title"].format(
                district=stats.district, scope="", as_of=as_of)], kaohe.table, kaohe.items)
            big("监测户台账", HOUSEHOLD_COLUMNS, (household_cells_row(r, titles) for r in store.views.master_households()),
                HOUSEHOLD_IDENTITY)
            members = config.schemas.member
            big("家庭成员", member_columns(config), map(member_cells(members), store.views.master_members()),
                member_identity(members))
            _decisions(wb, fmt, store, config, notes or [])
            _alerts(wb, fmt, alerts)
            _issues(store, big)
            _submissions(wb, fmt, store)
            _events(wb, fmt, changes)
            write_department_comparison(wb, fmt, store, config, as_of=as_of)
            write_entry_master(wb, fmt, store, as_of=as_of, days=config.rules.workflow.provincial_entry_days)
            write_import_differences(wb, fmt, store)
            write_round_progress(wb, fmt, store, config, as_of=as_of)
            write_measures(wb, fmt, store, config, ws.root, big)
            write_meta(wb, meta_rows(MASTER_KIND, "1", 区=config.settings.district,
                                     区划代码=config.settings.district_code, 户数=str(counts)))
            wb.close()
            splice(tmp, spools)
        finally:
            for spool, _ in spools.values():
                spool.discard()

    return place_atomically(ws.master_path, build, only_if=only_if, before_replace=before_replace)


def _big_sheet(wb, fmt: Formats, name: str, columns: list[Col], rows, spools: dict[str, tuple[RowSpool, int]], *,
               identity: int, header_lines: int, directory: Path | None = None) -> None:
    """A table of the whole district, printable: XlsxWriter writes the header and formats, the rows are streamed."""
    sheet = wb.add_worksheet(name)
    # the filter spans the streamed rows, set below
    write_table(sheet, fmt, columns, [], autofilter=False, identity=identity, header_lines=header_lines)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    spool = RowSpool([xf_index(fmt.for_col(col)) for col in columns],
                     wraps=wrap_widths(columns, header_lines=header_lines), directory=directory)
    spools[f"xl/worksheets/sheet{sheet.index + 1}.xml"] = (spool, len(columns))
    spool.add_rows(rows)
    sheet.autofilter(0, 0, max(spool.count, 1), len(columns) - 1)
    print_table(sheet, columns, header_row=0, last_row=spool.count, identity=identity, header_lines=header_lines)


BIG_HEADER_LINES = 3  # the two big sheets' headers wrap onto three lines (the row is made tall enough)
CHART_SIZE = {"width": 560, "height": 300}
ROW_PX, HEADER_PX = 20, 40  # a default row, and the 30 pt header row of the town table, in pixels


STATS_SHEET = "统计"
CHECKS_SHEET = "考核"


def statistics_heading(stats: Statistics) -> list[str]:
    """The title line of a sheet of the district's numbers."""
    scope = "" if stats.scope == "全区" else stats.scope
    return [TEXT["stats.sheet_title"].format(district=stats.district, scope=scope, as_of=stats.as_of)]


def _overview(wb, fmt: Formats, store: Store, config: Config, stats: Statistics) -> int:
    """Counts by town × state, 监测对象 by 认定类别 and by risk type (the numbers of 统计) on the left, their three
    charts stacked evenly on the right; one landscape page."""
    sheet = wb.add_worksheet("总览")
    settings = config.settings
    year = settings.income_year
    line = config.rules.line.lines.get(year)
    counted = store.views.town_states()
    by_town_state = {(town, state or REMOVED): n for (town, state), n in counted.items()}
    by_category, by_risk = stats.by_category, stats.by_risk
    monitored_states = list(STATES)
    states = [*monitored_states, REMOVED]
    last_col = len(states) + 1  # 镇, the states, 合计
    chart_col = last_col + 2
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, last_col, 9)
    sheet.set_column(last_col + 1, last_col + 1, 3)
    # title lines span the table's width (text in one narrow cell would spill over or wrap into the next row)
    sheet.set_row(0, 28)
    sheet.merge_range(0, 0, 0, last_col, TEXT["master.title"].format(district=settings.district), fmt.title)
    sheet.merge_range(1, 0, 1, last_col, TEXT["master.line"].format(year=year, line=line) if line
                      else TEXT["master.no_line"].format(year=year), fmt.bold)
    sheet.set_row(2, 30)
    sheet.merge_range(2, 0, 2, last_col, TEXT["master.updated"].format(now=dt.datetime.now()), fmt.note)
    # counts by town × state
    top = 4
    sheet.set_row(top, 30)
    sheet.write_string(top, 0, "镇", fmt.header)
    for c, s in enumerate(states, start=1):
        sheet.write_string(top, c, s, fmt.header)
    sheet.write_string(top, len(states) + 1, "合计", fmt.header)
    towns = list(settings.towns)
    for r, town in enumerate(towns, start=top + 1):
        sheet.write_string(r, 0, town, fmt.plain)
        total = 0
        for c, s in enumerate(states, start=1):
            n = by_town_state.get((town, s), 0)
            total += n
            sheet.write_number(r, c, n, fmt.by_kind["int"])
        sheet.write_number(r, len(states) + 1, total, fmt.by_kind["int"])
    last_town_row = top + len(towns)
    r = last_town_row + 1
    sheet.write_string(r, 0, "全区", fmt.bold)
    for c, s in enumerate([*states, "合计"], start=1):
        n = sum(by_town_state.get((t, s), 0) for t in towns) if s != "合计" else sum(by_town_state.values())
        sheet.write_number(r, c, n, fmt.by_kind["int"])
    # by category and by risk type
    r += 2
    cat_top = r
    sheet.write_string(r, 0, TEXT["master.category_header"], fmt.header)
    sheet.write_string(r, 1, "户数", fmt.header)
    categories = list(CATEGORIES)
    for i, cat in enumerate(categories, start=1):
        sheet.write_string(r + i, 0, cat, fmt.plain)
        sheet.write_number(r + i, 1, by_category.get(cat, 0), fmt.by_kind["int"])
    r += len(categories) + 2
    risk_top = r
    risks = list(config.schemas.lists.get("risk_types", ()))
    sheet.write_string(r, 0, TEXT["master.risk_header"], fmt.header)
    sheet.write_string(r, 1, "户数", fmt.header)
    for i, risk in enumerate(risks, start=1):
        sheet.write_string(r + i, 0, risk, fmt.plain)
        sheet.write_number(r + i, 1, by_risk.get(risk, 0), fmt.by_kind["int"])
    sheet.write_string(r + len(risks) + 1, 0, TEXT["stats.risk_total"], fmt.bold)
    sheet.write_number(r + len(risks) + 1, 1, stats.monitored[0], fmt.by_kind["int"])
    # native charts, one under another to the right of the tables, none over a table or another chart
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    shown = [c for c, s in enumerate(states, start=1) if s not in (NOT_INCLUDED, REMOVED)]
    for c in shown:
        chart.add_series({"name": ["总览", top, c], "categories": ["总览", top + 1, 0, last_town_row, 0],
                          "values": ["总览", top + 1, c, last_town_row, c]})
    town_totals = [sum(by_town_state.get((t, states[c - 1]), 0) for c in shown) for t in towns]
    chart.set_title({"name": TEXT["master.chart_towns"]})
    chart.set_y_axis(_count_axis(max(town_totals, default=0)))
    chart.set_x_axis({"interval_unit": 1, "num_font": {"size": 9}})
    chart.set_size(CHART_SIZE)
    first, second, third = _chart_rows(top, {top: HEADER_PX})
    sheet.insert_chart(first, chart_col, chart)
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "监测类别", "categories": ["总览", cat_top + 1, 0, cat_top + len(categories), 0],
                    "values": ["总览", cat_top + 1, 1, cat_top + len(categories), 1], "data_labels": {"value": True}})
    pie.set_title({"name": TEXT["master.chart_categories"]})
    pie.set_size(CHART_SIZE)
    sheet.insert_chart(second, chart_col, pie)
    bar = wb.add_chart({"type": "bar"})
    bar.add_series({"name": "风险类型", "categories": ["总览", risk_top + 1, 0, risk_top + len(risks), 0],
                    "values": ["总览", risk_top + 1, 1, risk_top + len(risks), 1], "data_labels": {"value": True},
                    "gap": 60})
    bar.set_title({"name": TEXT["master.chart_risks"]})
    bar.set_legend({"none": True})
    # every risk type labelled (one label per bar, small enough to fit), counts on a whole-number axis
    bar.set_y_axis({"interval_unit": 1, "num_font": {"size": 9}, "reverse": True})
    bar.set_x_axis(_count_axis(max((by_risk.get(k, 0) for k in risks), default=0)))
    bar.set_size(CHART_SIZE)
    sheet.insert_chart(third, chart_col, bar)
    last_row = max(risk_top + len(risks) + 1, _chart_rows(third, {})[1])
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, last_row, chart_col + 8), across_first=False, gridlines=False))
    sheet.fit_to_pages(1, 1)
    return sum(counted.values())


def _chart_rows(top: int, heights: dict[int, int]) -> tuple[int, int, int]:
    """The rows three charts start on, stacked from `top` with one empty row between each (rows `heights` px
    tall where given, ROW_PX otherwise): evenly spaced whatever the taller header row above them."""
    starts, row = [], top
    for _ in range(3):
        starts.append(row)
        covered = 0
        while covered < CHART_SIZE["height"]:
            covered += heights.get(row, ROW_PX)
            row += 1
        row += 1  # the gap
    return starts[0], starts[1], starts[2]


def _count_axis(largest: int) -> dict:
    """A value axis of household counts: from 0, whole numbers, about five steps (1, 2, 5, 10, 20, 50 …)."""
    step = 1
    while largest / step > 6:
        step = _next_step(step)
    return {"min": 0, "major_unit": step, "num_format": "0", "major_gridlines": {"visible": True}}


def _next_step(step: int) -> int:
    """1 → 2 → 5 → 10 → 20 → 50 …"""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


HOUSEHOLD_COLUMNS = [
    Col("镇", 8), Col("村", 10), Col("组", 5), Col("户编号", 16, "id"), Col("临时编号", 5), Col("户主姓名", 9),
    Col("户主身份证号", 19, "id"), Col("联系电话", 12, "id"), Col("监测联系人", 8), Col("联系人电话", 12, "id"),
    Col("户类型", 8), Col("家庭人口数", 5, "int"),
    Col("收入年度", 5, "int"), Col("人均纯收入", 10, "money"), Col("上年人均纯收入", 10, "money"),
    Col("监测线", 8, "money"), Col("成立的规则", 28, "wrap"), Col("建议纳入", 5), Col("认定类别", 12),
    Col("当前研判类别", 12),
    Col("风险类型", 14, "wrap"), Col("重点关注", 5), Col("帮扶建议", 12, "wrap"), Col("流程状态", 9), Col("在册", 5),
    Col("线索日期", 10), Col("识别纳入日期", 10), Col("风险消除日期", 10), Col("审核意见", 24, "wrap"),
    Col("错误", 4, "int"), Col("提示", 4, "int"), Col("更新时间", 17),
]
HOUSEHOLD_IDENTITY = 6  # 镇 … 户主姓名 stay in view and print on every page across


def household_cells_row(r: HouseholdRow, titles: Mapping[str, str]) -> list[object]:
    """One 监测户台账 row (`titles`: rule_titles)."""
    d, a = r.data, r.assessment
    proposed = a.get("proposed")
    return [r.town, r.village, d.get("group"), r.household_no, "是" if r.provisional else "",
            r.head_name, r.head_id, d.get("phone"), d.get("contact_person"), d.get("contact_phone"),
            d.get("household_type"), d.get("size"),
            d.get("income_year"), d.get("_per_capita_income"), d.get("prev_per_capita_income"), d.get("_line"),
            "；".join(f"{titles[h]}（{h}）" if h in titles else h for h in a.get("holds", [])),
            "是" if proposed is True else "否" if proposed is False else "无法研判",
            r.category, a.get("category"), "、".join(a.get("risk_types", [])), "是" if a.get("priority") else "",
            "·".join(x for x in (a.get("assistance"), a.get("scope")) if x), r.state,
            "在册" if r.on_file else REMOVED, _iso(r.lead_date), _iso(r.identified_date), _iso(r.eliminated_date),
            r.opinion, r.errors, r.warnings, r.updated_at.strftime("%Y-%m-%d %H:%M:%S")]


def rule_titles(config: Config) -> dict[str, str]:
    """Rule id → its words: 成立的规则 names each rule that holds in words, its id after them (the district
    looks rules up by id in rules/README.md)."""
    return {rule_id: rule.title for rule_id, rule in config.rules.rules.by_id().items()}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


MEMBER_PLACE = [Col("镇", 8), Col("村", 9), Col("户编号", 16, "id")]  # before member.yaml's columns
MEMBER_ON_FILE = Col("在册", 4)  # after them


def member_columns(config: Config) -> list[Col]:
    """家庭成员's columns: the household's place, every column of schemas/member.yaml in its order, 在册 (the
    bundled schema: 190 character units, one landscape page across)."""
    schemas = config.schemas
    return [*MEMBER_PLACE, *(schema_col(c, schemas) for c in shown_members(schemas.member)), MEMBER_ON_FILE]


def shown_members(spec: SheetSpec) -> list[ColumnSpec]:
    """member.yaml's columns the master shows: not those that only tell a change (减少原因, 增加原因, 变动日期: the
    member who left is no longer stored, each change is in the household's history and 变更记录)."""
    return [c for c in spec.columns if c.master]


def member_identity(spec: SheetSpec) -> int:
    """The columns that say who a row is (repeated on every page across): 镇 … 姓名."""
    keys = [c.key for c in shown_members(spec)]
    return len(MEMBER_PLACE) + (keys.index("name") + 1 if "name" in keys else 0)


def member_cells(spec: SheetSpec) -> Callable[[MemberRow], list[object]]:
    """One 家庭成员 row of a stored member: its household's place, its values in member.yaml's order, 在册.
    Decided once per column, not per cell (the district has some three million of them): the keys are read in
    one pass, and only a multiple-choice column's answers (a list) are joined by its separator afterwards."""
    columns = shown_members(spec)
    keys = [c.key for c in columns]
    place = len(MEMBER_PLACE)
    joined = [(place + i, c.separator or "、") for i, c in enumerate(columns) if c.type == "multichoice"]

    def cells(r: MemberRow) -> list[object]:
        d = r.data
        row = [r.town, r.village, r.household_no, *map(d.get, keys), "在册" if r.on_file else REMOVED]
        for i, separator in joined:
            value = row[i]
            if type(value) is list:
                row[i] = separator.join(map(str, value))
        return row
    return cells


def _decisions(wb, fmt: Formats, store: Store, config: Config, notes: list[str]) -> None:
    rows = store.households.list(states=deciding(DISTRICT), on_file=True)
    write_decision_sheet(wb, fmt, store, config, level=DISTRICT, rows=rows, notes=notes,
                         instruction=TEXT["master.instruction"])


def _alerts(wb, fmt: Formats, alerts: list[Alert]) -> None:
    sheet = wb.add_worksheet("预警")
    columns = [Col("类型", 14), Col("镇", 8), Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9),
               Col("说明", 80, "wrap")]
    write_table(sheet, fmt, columns, ([a.kind, a.town, a.village, a.household_no, a.head_name, a.message]
                                      for a in alerts), printed=True)


def _issues(store: Store, big_sheet: Callable[..., None]) -> None:
    """Open problems: those of each village's latest applied file (and unreadable files since); a district's
    tens of thousands of them are streamed as the big sheets are."""
    # the problem in words, its code after them (for the district, who looks codes up)
    summary_cols = [Col("镇", 8), Col("村", 10), Col("文件", 24, "wrap"), Col("提交时间", 17), Col("错误", 4, "int"),
                    Col("提示", 4, "int"), Col("工作表", 8), Col("行", 5, "int"), Col("列", 12, "wrap"), Col("级别", 5),
                    Col("说明", 60, "wrap"), Col("代码", 14)]

    def cells():
        for s, issues in store.views.open_issues():
            for i in issues:
                yield [s.town, "、".join(s.villages), s.file_name, _stamp(s.received_at), s.errors, s.warnings,
                       i.sheet, i.row, i.column, SEVERITY_WORD.get(i.severity, i.severity), i.message, i.code]

    big_sheet("问题汇总", summary_cols, cells(), identity=0, header_lines=2)


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _submissions(wb, fmt: Formats, store: Store) -> None:
    sheet = wb.add_worksheet("提交记录")
    columns = [Col("序号", 5, "int"), Col("接收时间", 17), Col("镇", 8), Col("村", 10), Col("文件", 24, "wrap"),
               Col("类型", 8), Col("结果", 8), Col("户数", 5, "int"), Col("成员数", 5, "int"), Col("错误", 4, "int"),
               Col("提示", 4, "int"), Col("文件指纹（SHA-256）", 20, "id"), Col("说明", 40, "wrap")]
    kinds = {"village": "村级台账", "town_review": "镇级核查", "master": "区级审核", "national": "国家系统导入"}

    def cells():
        for s in reversed(store.submissions.all()):
            yield [s.id, _stamp(s.received_at), s.town, "、".join(s.villages) or None, s.file_name,
                   kinds.get(s.kind, s.kind), status_word(s.status), s.households, s.members, s.errors,
                   s.warnings, s.sha256, s.message]

    write_table(sheet, fmt, columns, cells(), header_lines=2, printed=True)


def _events(wb, fmt: Formats, changes: list[Change]) -> None:
    sheet = wb.add_worksheet("变更记录")
    columns = [Col("时间", 17), Col("镇", 8), Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9),
               Col("原状态", 8), Col("新状态", 8), Col("层级", 4), Col("经办人", 7), Col("说明", 44, "wrap"),
               Col("来源文件指纹", 17, "id")]
    write_table(sheet, fmt, columns, ([_stamp(e.at), e.town, e.village, e.household_no, e.head_name, e.from_state,
                                       e.to_state, e.level, e.person, e.text, (e.source_sha256 or "")[:16]]
                                      for e in changes), header_lines=2, printed=True)
