"""Town and district decisions read back from the workbooks the system wrote.

A decision counts only from the right level's workbook (town decisions from that town's 镇级核查表,
district decisions from the 区级总台账), only for a household of that town, and only if the row's
hidden token still matches the household's current state and version. Everything else is refused
with a message that appears in the next copy of that workbook. All decisions of one workbook are
applied in one transaction together with their audit records.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from .errors import TransitionRefused
from .ledger import Ledger, now_text
from .normalize import clean_text, norm_header, parse_date, plain_text
from .workflow import AGREE, DECIDER, DISTRICT, REJECT, RETURN, TOWN, check_move, transition

log = logging.getLogger(__name__)

TOWN_COLUMNS = {"decision": "核查结论", "comment": "核查意见", "person": "核查人", "date": "核查日期"}
DISTRICT_COLUMNS = {"decision": "区级结论", "comment": "审核意见", "person": "审核人", "date": "审核日期"}
TOKEN = "行令牌"
SHEETS = {TOWN: "待镇审核", DISTRICT: "待区审核"}


@dataclass
class DecisionRow:
    row: int
    decision: str
    comment: str
    person: str
    date: dt.date | None
    token: str
    name: str


@dataclass
class DecisionResult:
    applied: int = 0
    refused: list[str] = field(default_factory=list)
    villages: set[tuple[str, str]] = field(default_factory=set)


class Unreadable(Exception):
    """A saved decision workbook whose structure was changed so its decisions cannot be identified."""


def read_decisions(path: Path, level: str) -> list[DecisionRow]:
    """Rows of the decision sheet where a decision was chosen (calamine; no openpyxl).

    Raises Unreadable when the sheet, its header or its hidden 行令牌 column is gone."""
    book = pc.CalamineWorkbook.from_path(str(path))
    sheet_name = SHEETS[level]
    if sheet_name not in book.sheet_names:
        raise Unreadable(f"找不到“{sheet_name}”工作表（可能被改名或删除）")
    rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    wanted = TOWN_COLUMNS if level == TOWN else DISTRICT_COLUMNS
    header_idx, cols = None, {}
    for i, row in enumerate(rows[:40]):
        names = {norm_header(v): c for c, v in enumerate(row)}
        if norm_header(wanted["decision"]) in names:
            header_idx = i
            cols = {k: names.get(norm_header(h)) for k, h in wanted.items()}
            cols["token"] = names.get(TOKEN)
            cols["name"] = names.get("户主姓名")
            break
    if header_idx is None:
        raise Unreadable(f"“{sheet_name}”中找不到“{wanted['decision']}”列")
    if cols["token"] is None:
        raise Unreadable(f"“{sheet_name}”中隐藏的“{TOKEN}”列被删除，无法确认每一行是哪一户")
    out = []

    def cell(row: list[object], key: str) -> object:
        c = cols.get(key)
        return row[c] if c is not None and c < len(row) else None

    for i in range(header_idx + 1, len(rows)):
        row = rows[i]
        decision = clean_text(cell(row, "decision"))
        if not decision:
            continue
        out.append(DecisionRow(row=i + 1, decision=decision, comment=plain_text(cell(row, "comment")),
                               person=plain_text(cell(row, "person")), date=parse_date(cell(row, "date")),
                               token=clean_text(cell(row, "token")), name=plain_text(cell(row, "name"))))
    return out


def note_unreadable(ledger: Ledger, *, level: str, town: str | None, sha256: str, file_name: str, reason: str,
                    now: dt.datetime | None = None) -> str:
    """Record that a saved decision workbook could not be read, with a note in its next copy."""
    text = f"{file_name}：{reason}，其中的决定没有生效。原文件已归档，请在本表中重新选择"
    now = now or dt.datetime.now()
    with ledger.transaction():
        ledger.add_submission(sha256=sha256, kind="town_review" if level == TOWN else "master", status="decisions",
                              file_name=file_name, received_at=now_text(now), town=town, message=text)
        ledger.conn.execute("INSERT INTO decision_notes(at, level, town, message) VALUES(?,?,?,?)",
                            (now_text(now), level, town if level == TOWN else None, text))
    return text


def apply_decisions(ledger: Ledger, rows: list[DecisionRow], *, level: str, town: str | None, sha256: str,
                    file_name: str, today: dt.date | None = None, now: dt.datetime | None = None) -> DecisionResult:
    """Check each decision against the ledger and apply the valid ones, all in one transaction.

    A decision without a date counts for `today` (the processing day)."""
    result = DecisionResult()
    now = now or dt.datetime.now()
    today = today or now.date()
    seen: set[str] = set()
    with ledger.transaction():
        for d in rows:
            hid = d.token.split("-", 1)[0]
            if hid and hid in seen:
                result.refused.append(f"第{d.row}行{('（' + d.name + '）') if d.name else ''}："
                                      "这一户在本表中已有一行决定生效，这一行未采用")
                continue
            refusal = _apply_one(ledger, d, level=level, town=town, sha256=sha256, now=now, today=today,
                                 result=result)
            if refusal is None:
                seen.add(hid)
            if refusal:
                result.refused.append(f"第{d.row}行{('（' + d.name + '）') if d.name else ''}：{refusal}")
        who = "镇级核查表" if level == TOWN else "区级总台账"
        message = f"{who}：{result.applied} 项决定生效" + (f"，{len(result.refused)} 项未生效" if result.refused else "")
        ledger.add_submission(sha256=sha256, kind="town_review" if level == TOWN else "master",
                              status="decisions", file_name=file_name, received_at=now_text(now), town=town,
                              message=message + ("：" + "；".join(result.refused) if result.refused else ""))
        for text in result.refused:
            ledger.conn.execute("INSERT INTO decision_notes(at, level, town, message) VALUES(?,?,?,?)",
                                (now_text(now), level, town if level == TOWN else None, text))
    return result


def _apply_one(ledger: Ledger, d: DecisionRow, *, level: str, town: str | None, sha256: str, now: dt.datetime,
               today: dt.date, result: DecisionResult) -> str | None:
    if d.decision not in (AGREE, RETURN, REJECT):
        return f"“{d.decision}”不是可选的结论（可选：同意、退回" + ("、不予认定）" if level == DISTRICT else "）")
    parts = d.token.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return "这一行的隐藏行令牌缺失或被改动，无法确认是哪一户，请使用系统最新生成的表格"
    hid, version, mac = int(parts[0]), int(parts[1]), parts[2]
    hh = ledger.household(hid)
    if hh is None or not _token_ever_valid(ledger, hid, version, mac):
        return "行令牌无效，无法确认是哪一户，请使用系统最新生成的表格"
    label = f"{hh.village}{hh.head_name or ''}户"
    if hh.version != version:
        return f"{label}的状态已变为“{hh.state}”，这一行来自旧版表格，本次决定未生效"
    if town is not None and hh.town != town:
        return f"{label}不属于{town}，不能在本镇核查表中决定"
    if DECIDER.get(hh.state) != level:
        return f"{label}当前状态为“{hh.state}”，不应由{level}级决定"
    if not hh.on_file:
        return f"{label}已不在本村最新台账中（已移出），本次决定未生效"
    if d.decision in (RETURN, REJECT) and not d.comment:
        return f"{label}选择了“{d.decision}”，但没有写明原因（意见栏），本次决定未生效"
    if not d.person:
        who = "核查人" if level == TOWN else "审核人"
        return f"{label}的决定没有填写{who}，本次决定未生效（每项决定都要记录经办人）"
    try:
        check_move(hh, d.decision, level)
    except TransitionRefused as exc:
        return str(exc)
    transition(ledger, hh, d.decision, level, at=now, person=d.person or None, source_sha256=sha256,
               comment=d.comment or None, decided_on=d.date or today)
    result.applied += 1
    result.villages.add((hh.town, hh.village))
    return None


def _token_ever_valid(ledger: Ledger, hid: int, version: int, mac: str) -> bool:
    """A token the system once issued for this household (some earlier state at that version)."""
    hh = ledger.household(hid)
    states = {hh.state} if hh else set()
    for e in ledger.events_of(hid):
        states |= {e["from_state"], e["to_state"]}
    return any(ledger.token(hid, s, version) == mac for s in states if s)


def pending_notes(ledger: Ledger, *, level: str, town: str | None) -> list[str]:
    rows = ledger.conn.execute(
        "SELECT message FROM decision_notes WHERE level=? AND (town IS ? OR town=?) AND shown_at IS NULL ORDER BY id",
        (level, town, town)).fetchall()
    return [r["message"] for r in rows]


def mark_notes_shown(ledger: Ledger, *, level: str, town: str | None) -> None:
    with ledger.transaction():
        ledger.conn.execute(
            "UPDATE decision_notes SET shown_at=? WHERE level=? AND (town IS ? OR town=?) AND shown_at IS NULL",
            (now_text(), level, town, town))
