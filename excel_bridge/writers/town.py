"""The town review workbook (<镇>_镇级核查表.xlsx): households waiting for the town with decision columns
(同意/退回) and a hidden row token, what the town decided before and what the district made of it, village
submission status, the town's warnings, and the risk elimination assessment of its 帮扶中 households. Only
that town's households appear in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..alerts import Alert, Elimination
from ..config import Config
from ..messages import TEXT, status_word
from ..rules import CONTINUE, ELIGIBLE, HOLD, UNKNOWN
from ..statistics import Statistics, statistics_of
from ..store import SentUp, Store
from ..town_checks import TownChecks, checks_of
from ..workflow import DISTRICT, MATTER, MONITORED, REMOVED, TOWN, deciding
from ..workspace import Workspace
from .common import Placed, meta_rows, place_atomically
from .decision_table import write_decision_sheet
from .department_sheets import write_department_sheet, write_verified_sheet
from .digest import Digest
from .master_round import write_round_progress
from .statistics_sheet import write_checks, write_tables
from .tables import Col, Formats, blank_workbook, write_meta, write_table
from .town_provincial import write_entry_sheet

TOWN_KIND = "excel_bridge.town_review"


def town_workbook_path(ws: Workspace, town: str) -> Path:
    return ws.town_review_path(town)


def write_town_workbook(ws: Workspace, store: Store, config: Config, town: str, *, as_of: dt.date,
                        alerts: list[Alert], eliminations: list[Elimination], notes: list[str] | None = None,
                        only_if: Callable[[Path], bool] | None = None,
                        before_replace: Callable[[Path, Path], None] | None = None,
                        statistics: Statistics | None = None, checks: TownChecks | None = None,
                        households: int | None = None, same_as: str | None = None) -> Placed:
    """The town's workbook; `alerts` and `eliminations` (the district's, this town's drawn) and `statistics` (this
    town's figures, 本镇统计) are computed by the pipeline once for all towns, as is `households` (how many the town has:
    a small town's workbook is built in memory). `same_as`: the digest (writers.digest) of the workbook in place,
    given when that file is still what the system wrote: if this one would be the same, nothing is written
    (`Placed.kept`). The placed workbook's own digest comes back in `Placed.digest`."""
    rows = store.households.list(town=town, states=deciding(TOWN), on_file=True)
    stats = statistics or statistics_of(store, config, as_of, town=town)
    kaohe = (checks or checks_of(store, config, as_of, town=town)).for_town(town)
    target = town_workbook_path(ws, town)
    if households is None:  # (the pipeline counted them with the district's numbers)
        households = store.households.count_where(town=town)

    def content(wb: Any) -> None:  # every sheet but the meta sheet (its 生成时间 is not the town's data)
        fmt = Formats(wb)
        write_decision_sheet(wb, fmt, store, config, level=TOWN, rows=rows, notes=notes or [],
                             instruction=TEXT["town.instruction"].format(town=town))
        _decided(wb, fmt, store.views.town_decisions(town, town_level=TOWN, district_level=DISTRICT))
        write_department_sheet(wb, fmt, store, config, town, as_of=as_of)
        write_verified_sheet(wb, fmt, store, town)
        write_entry_sheet(wb, fmt, store, town, as_of=as_of, days=config.rules.workflow.provincial_entry_days)
        _villages(wb, fmt, store, config, town)
        write_round_progress(wb, fmt, store, config, as_of=as_of, town=town)
        _alerts(wb, fmt, [a for a in alerts if a.town == town])
        _elimination(wb, fmt, [e for e in eliminations if e.row.town == town])
        write_tables(wb, fmt, TOWN_STATS_SHEET, [TEXT["stats.sheet_title"].format(
            district=stats.district, scope=town, as_of=stats.as_of)], stats.tables, one_page=True)
        write_checks(wb, fmt, TOWN_CHECKS_SHEET, [TEXT["checks.sheet_title"].format(
            district=stats.district, scope=town, as_of=as_of)], kaohe.table, kaohe.items)

    if same_as is not None:  # a dry run first: the ledger read, nothing built
        dry = Digest()
        content(dry.workbook)
        if dry.hexdigest() == same_as:
            return Placed(target, kept=True, digest=same_as)
    made: list[str] = []

    def build(tmp: Path) -> None:
        wb = blank_workbook(str(tmp), households=households)
        digest = Digest(wb)
        content(digest.workbook)
        write_meta(wb, meta_rows(TOWN_KIND, "1", 区=config.settings.district, 镇=town))
        wb.close()
        made.append(digest.hexdigest())

    placed = place_atomically(target, build, only_if=only_if, before_replace=before_replace)
    return replace(placed, digest=made[-1])


SENT_UP_SHEET = "本镇已决定"
TOWN_STATS_SHEET = "本镇统计"
TOWN_CHECKS_SHEET = "本镇考核"
SENT_UP_COLUMNS = [
    Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9), Col("事项", 12), Col("核查结论", 6),
    Col("核查意见", 24, "wrap"), Col("核查人", 7), Col("核查日期", 11, "date"), Col("区级结论", 6),
    Col("区级意见", 24, "wrap"), Col("区级日期", 11, "date"), Col("目前状态", 8),
]


def _decided(wb, fmt: Formats, decided: list[SentUp]) -> None:
    """What the town decided (同意 sent up, 退回 sent down), latest first, with the district's outcome."""
    sheet = wb.add_worksheet(SENT_UP_SHEET)
    sheet.set_row(0, 32)
    sheet.merge_range(0, 0, 0, len(SENT_UP_COLUMNS) - 1, TEXT["town.sent_up_instruction"], fmt.instruction)

    def cells():
        for s in decided:
            t, d = s.town_decision, s.district_decision
            yield [s.village, s.household_no, s.head_name, MATTER.get(t.from_state or "", t.from_state), t.action,
                   t.comment, t.person, t.effective_date, d.action if d else None, d.comment if d else None,
                   d.effective_date if d else None, s.state if s.on_file else REMOVED]

    write_table(sheet, fmt, SENT_UP_COLUMNS, cells(), first_row=1, identity=3, header_lines=2, printed=True)


def _villages(wb, fmt: Formats, store: Store, config: Config, town: str) -> None:
    sheet = wb.add_worksheet("村级提交情况")
    columns = [Col("村", 12), Col("最近提交文件", 30), Col("提交时间", 17), Col("处理结果", 10), Col("错误", 6, "int"),
               Col("提示", 6, "int"), Col("在册户数", 8, "int"), Col("监测户数（含线索）", 10, "int")]

    def cells():
        for v in store.views.village_summaries(town, config.settings.towns.get(town, []), monitored=MONITORED):
            s = v.latest
            if s is None:
                yield [v.village, TEXT["town.not_submitted"], None, None, None, None, v.on_file, v.monitored]
            else:
                yield [v.village, s.file_name, s.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                       status_word(s.status), s.errors, s.warnings, v.on_file, v.monitored]

    write_table(sheet, fmt, columns, cells(), identity=1, header_lines=2, printed=True)


def _alerts(wb, fmt: Formats, alerts: list[Alert]) -> None:
    sheet = wb.add_worksheet("预警")
    columns = [Col("类型", 14), Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9), Col("说明", 80, "wrap")]
    write_table(sheet, fmt, columns, ([a.kind, a.village, a.household_no, a.head_name, a.message] for a in alerts),
                printed=True)


def _elimination(wb, fmt: Formats, cands: list[Elimination]) -> None:
    sheet = wb.add_worksheet("风险消除研判")
    columns = [Col("村", 10), Col("户编号", 16, "id"), Col("户主姓名", 9), Col("监测联系人", 8),
               Col("联系人电话", 12, "id"), Col("识别纳入日期", 12), Col("研判结果", 12), Col("说明", 70, "wrap")]
    write_table(sheet, fmt, columns, ([c.row.village, c.row.household_no, c.row.head_name,
                                       c.row.data.get("contact_person"), c.row.data.get("contact_phone"),
                                       c.row.identified_date.isoformat() if c.row.identified_date else None,
                                       elimination_word(c), c.reason] for c in cands), identity=3, printed=True)


ELIMINATION_WORDS = {ELIGIBLE: "可启动风险消除", CONTINUE: "继续帮扶", HOLD: "暂不标注", UNKNOWN: "无法判断"}


def elimination_word(c: Elimination) -> str:
    return ELIMINATION_WORDS[c.verdict]
