"""The town review workbook (<镇>_镇级核查表.xlsx): households waiting for the town with decision columns
(同意/退回) and a hidden row token, village submission status, the town's warnings, and the risk
elimination assessment of its 帮扶中 households. Only that town's households appear in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..alerts import Alert, Elimination, all_alerts, elimination_candidates
from ..config import Config
from ..ledger import Ledger
from ..messages import TEXT, status_word
from ..rules import CONTINUE, ELIGIBLE, HOLD, UNKNOWN
from ..workflow import TOWN, TOWN_ACCEPT, TOWN_CHECK
from ..workspace import Workspace
from .common import Placed, meta_rows, place_atomically
from .decision_table import write_decision_sheet
from .tables import Col, Formats, new_workbook, write_meta, write_table

TOWN_KIND = "excel_bridge.town_review"


def town_workbook_path(ws: Workspace, town: str) -> Path:
    return ws.town_feedback(town) / f"{town}_镇级核查表.xlsx"


def write_town_workbook(ws: Workspace, ledger: Ledger, config: Config, town: str, *, as_of: dt.date,
                        notes: list[str] | None = None, only_if: Callable[[Path], bool] | None = None,
                        alerts: list[Alert] | None = None, eliminations: list[Elimination] | None = None) -> Placed:
    """The town's workbook; `alerts` and `eliminations` may be passed in when computed once for all towns."""
    rows = ledger.households(town=town, states=[TOWN_CHECK, TOWN_ACCEPT], on_file=True)
    target = town_workbook_path(ws, town)
    if alerts is None:
        alerts = all_alerts(ledger, config, as_of, town=town)
    if eliminations is None:
        eliminations = elimination_candidates(
            ledger, config, ledger.households(town=town, states=["帮扶中"], on_file=True), as_of)

    def build(tmp: Path) -> None:
        wb, fmt = new_workbook(str(tmp))
        write_decision_sheet(wb, fmt, ledger, config, level=TOWN, rows=rows, notes=notes or [],
                             instruction=TEXT["town.instruction"].format(town=town))
        _villages(wb, fmt, ledger, config, town)
        _alerts(wb, fmt, [a for a in alerts if a.town == town])
        _elimination(wb, fmt, [e for e in eliminations if e.row.town == town])
        write_meta(wb, meta_rows(TOWN_KIND, "1", 区=config.settings.district, 镇=town))
        wb.close()

    return place_atomically(target, build, only_if=only_if)


def _villages(wb, fmt: Formats, ledger: Ledger, config: Config, town: str) -> None:
    sheet = wb.add_worksheet("村级提交情况")
    subs = ledger.conn.execute(
        "SELECT * FROM submissions WHERE town=? AND kind='village' ORDER BY id", (town,)).fetchall()
    latest: dict[str, object] = {}
    for s in subs:
        for village in (s["village"] or s["file_name"]).split("、"):
            latest[village] = s
    for village in config.settings.towns.get(town, []):
        latest.setdefault(village, None)
    counts = {r["village"]: (r["n"], r["m"]) for r in ledger.conn.execute(
        "SELECT village, COUNT(*) AS n, SUM(state IN ('线索','待镇核查','待区认定','帮扶中','待镇验收','待区审批')) AS m"
        " FROM households WHERE town=? AND on_file=1 GROUP BY village", (town,))}
    columns = [Col("村", 12), Col("最近提交文件", 30), Col("提交时间", 17), Col("处理结果", 10), Col("错误", 6, "int"),
               Col("提示", 6, "int"), Col("在册户数", 8, "int"), Col("监测户数（含线索）", 10, "int")]

    def cells():
        for village in sorted(latest):
            s = latest[village]
            n, m = counts.get(village, (0, 0))
            if s is None:
                yield [village, TEXT["town.not_submitted"], None, None, None, None, n, m]
            else:
                yield [village, s["file_name"], s["received_at"], status_word(s["status"]), s["errors"],
                       s["warnings"], n, m]

    write_table(sheet, fmt, columns, cells())


def _alerts(wb, fmt: Formats, alerts: list[Alert]) -> None:
    sheet = wb.add_worksheet("预警")
    columns = [Col("类型", 14), Col("村", 10), Col("户编号", 18, "id"), Col("户主姓名", 10), Col("说明", 80, "wrap")]
    write_table(sheet, fmt, columns, ([a.kind, a.village, a.household_no, a.head_name, a.message] for a in alerts))


def _elimination(wb, fmt: Formats, cands: list[Elimination]) -> None:
    sheet = wb.add_worksheet("风险消除研判")
    columns = [Col("村", 10), Col("户编号", 18, "id"), Col("户主姓名", 10), Col("识别纳入日期", 12),
               Col("研判结果", 12), Col("说明", 70, "wrap")]
    write_table(sheet, fmt, columns, ([c.row.village, c.row.household_no, c.row.head_name, c.row.identified_date,
                                       elimination_word(c), c.reason] for c in cands))


ELIMINATION_WORDS = {ELIGIBLE: "可启动风险消除", CONTINUE: "继续帮扶", HOLD: "暂不标注", UNKNOWN: "无法判断"}


def elimination_word(c: Elimination) -> str:
    return ELIMINATION_WORDS[c.verdict]
