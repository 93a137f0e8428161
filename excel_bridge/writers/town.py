"""The town review workbook (<镇>_镇级核查表.xlsx): households waiting for the town with decision columns
(同意/退回) and a hidden row token, village submission status, the town's warnings, and the risk
elimination assessment of its 帮扶中 households. Only that town's households appear in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..alerts import Alert, Elimination, all_alerts, elimination_candidates
from ..config import Config
from ..ledger import HouseholdRow, Ledger
from ..messages import TEXT
from ..rules import CONTINUE, ELIGIBLE, HOLD, UNKNOWN, proposing
from ..workflow import MATTER, TOWN_ACCEPT, TOWN_CHECK
from ..workspace import Workspace
from .common import Placed, meta_rows, place_atomically
from .tables import Col, Formats, new_workbook, write_meta, write_table

TOWN_KIND = "excel_bridge.town_review"
DECISION_SHEET = "待镇审核"
DECISION_HEADERS = ("核查结论", "核查意见", "核查人", "核查日期")
TOKEN_HEADER = "行令牌"


def town_workbook_path(ws: Workspace, town: str) -> Path:
    return ws.town_feedback(town) / f"{town}_镇级核查表.xlsx"


def row_token(ledger: Ledger, hh: HouseholdRow) -> str:
    return f"{hh.id}-{hh.version}-{ledger.token(hh.id, hh.state, hh.version)}"


def review_summary(ledger: Ledger, hh: HouseholdRow) -> str:
    reviews = ledger.reviews_of(hh.id)
    if not reviews:
        return ""
    r = max(reviews, key=lambda x: (x.get("notice_end") or "", x.get("review_date") or ""))
    return TEXT["town.review_summary"].format(
        matter=r.get("matter") or "", review_date=r.get("review_date") or "", result=r.get("review_result") or "",
        notice_start=r.get("notice_start") or "", notice_end=r.get("notice_end") or "",
        objection=r.get("objection") or "")


def rules_text(hh: HouseholdRow, config: Config) -> str:
    return "；".join(f"{config.rules.rule(r).title}（{r}）" for r in proposing(hh.assessment.get("holds", [])))


def household_columns(decision_headers: tuple[str, ...]) -> list[Col]:
    return [
        Col("事项", 12), Col("村", 10), Col("组", 6), Col("户编号", 18, "id"), Col("户主姓名", 10),
        Col("户主身份证号", 20, "id"), Col("家庭人口数", 8, "int"), Col("户类型", 9), Col("人均纯收入", 11, "money"),
        Col("监测线", 8, "money"), Col("研判依据", 40, "wrap"), Col("建议类别", 13), Col("风险类型", 20, "wrap"),
        Col("重点关注", 8), Col("帮扶建议", 16), Col("村级评议公示", 40, "wrap"), Col("进入本环节", 17, "datetime"),
        *(Col(h, 30 if "意见" in h else 10, "decision") for h in decision_headers),
        Col(TOKEN_HEADER, 24, "id", hidden=True),
    ]


def household_cells(ledger: Ledger, hh: HouseholdRow, config: Config) -> list[object]:
    a = hh.assessment
    since = dt.datetime.strptime(hh.updated_at, "%Y-%m-%d %H:%M:%S")
    return [MATTER.get(hh.state, hh.state), hh.village, hh.data.get("group"), hh.household_no, hh.head_name,
            hh.head_id, hh.data.get("size"), hh.data.get("household_type"), hh.data.get("_per_capita_income"),
            hh.data.get("_line"), rules_text(hh, config), a.get("category"), "、".join(a.get("risk_types", [])),
            "是" if a.get("priority") else "", "·".join(x for x in (a.get("assistance"), a.get("scope")) if x),
            review_summary(ledger, hh), since]


def add_decision_validation(ws, first_row: int, n: int, col: int, choices: list[str]) -> None:
    if n:
        ws.data_validation(first_row + 1, col, first_row + n, col, {
            "validate": "list", "source": choices, "input_title": "请选择",
            "input_message": "、".join(choices), "error_title": "只能选择", "error_message": "、".join(choices)})
        ws.data_validation(first_row + 1, col + 3, first_row + n, col + 3, {
            "validate": "date", "criteria": "between", "minimum": dt.date(2020, 1, 1),
            "maximum": dt.date(2100, 12, 31), "error_type": "warning", "error_message": TEXT["town.date_error"]})


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
        _decisions(wb, fmt, ledger, config, town, rows, notes or [])
        _villages(wb, fmt, ledger, config, town)
        _alerts(wb, fmt, [a for a in alerts if a.town == town])
        _elimination(wb, fmt, [e for e in eliminations if e.row.town == town])
        write_meta(wb, meta_rows(TOWN_KIND, "1", 区=config.settings.district, 镇=town))
        wb.close()

    return place_atomically(target, build, only_if=only_if)


def _decisions(wb, fmt: Formats, ledger: Ledger, config: Config, town: str, rows: list[HouseholdRow],
               notes: list[str]) -> None:
    sheet = wb.add_worksheet(DECISION_SHEET)
    sheet.write_string(0, 0, TEXT["town.instruction"].format(town=town), fmt.bold)
    first = 1
    if notes:
        sheet.write_string(1, 0, TEXT["town.refused_notes"].format(notes="；".join(notes)), fmt.note)
        first = 2
    columns = household_columns(DECISION_HEADERS)
    n = write_table(sheet, fmt, columns, ([*household_cells(ledger, hh, config), None, None, None, None,
                                          row_token(ledger, hh)] for hh in rows), first_row=first)
    add_decision_validation(sheet, first, n, len(columns) - 5, ["同意", "退回"])
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})


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
                status = {"applied": "已入账", "duplicate": "重复提交", "unreadable": "无法读取", "failed": "处理出错"}
                yield [village, s["file_name"], s["received_at"], status.get(s["status"], s["status"]), s["errors"],
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
