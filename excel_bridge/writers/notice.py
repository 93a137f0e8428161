"""The printable 公示名单 of a village: households whose public notice is running or about to start.

Privacy (DOMAIN.md): ID numbers masked as 440205********1234; no phone numbers, no health facts —
reasons are given in plain words that do not reveal illness or disability.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ..config import Config
from ..idcard import mask_id
from ..ledger import HouseholdRow, Ledger
from ..messages import TEXT
from ..rules import proposing
from ..workspace import FEEDBACK, Workspace
from .common import Placed, place_atomically

PLAIN_REASONS = {
    "R-INCOME": TEXT["notice.reason.income"],
    "R-DROP": TEXT["notice.reason.drop"],
    "R-RIGID": TEXT["notice.reason.rigid"],
    "R-GUARANTEE": TEXT["notice.reason.guarantee"],
}
ELIMINATION_REASON = TEXT["notice.reason.elimination"]
SUPERVISION_PHONE = "6669428"  # 区乡村振兴局, as published in the plan's notice


NOTICE_SUFFIX = "_公示名单.xlsx"


def notice_villages(ws: Workspace, ledger: Ledger, as_of: dt.date) -> set[tuple[str, str]]:
    """Villages whose notice list may have changed with the date: a notice running or just ended, or a
    list still on disk."""
    since = (as_of - dt.timedelta(days=1)).isoformat()
    rows = ledger.conn.execute(
        "SELECT DISTINCT h.town, h.village FROM reviews r JOIN households h ON h.id = r.household_id"
        " WHERE json_extract(r.data, '$.notice_end') >= ?", (since,)).fetchall()
    out = {(r["town"], r["village"]) for r in rows}
    for town_dir in (ws.root / FEEDBACK).glob("*"):
        for path in town_dir.glob(f"*{NOTICE_SUFFIX}"):
            out.add((town_dir.name, path.name.removesuffix(NOTICE_SUFFIX)))
    return out


def notice_path(ws: Workspace, town: str, village: str) -> Path:
    return ws.town_feedback(town) / f"{village}{NOTICE_SUFFIX}"


def _in_notice(ledger: Ledger, hh: HouseholdRow, as_of: dt.date) -> dict | None:
    best = None
    for r in ledger.reviews_of(hh.id):
        end, start = r.get("notice_end"), r.get("notice_start")
        if r.get("review_result") != "通过" or not end or not start or r.get("matter") is None:
            continue
        if dt.date.fromisoformat(end) >= as_of and (best is None or end > best["notice_end"]):
            best = r
    return best


def notice_rows(ledger: Ledger, config: Config, town: str, village: str, as_of: dt.date) -> list[list[str]]:
    rows = []
    for hh in ledger.households(town=town, village=village, on_file=True):
        review = _in_notice(ledger, hh, as_of)
        if review is None:
            continue
        matter = review["matter"]
        if matter == "纳入监测":
            reasons = [PLAIN_REASONS[r] for r in proposing(hh.assessment.get("holds", [])) if r in PLAIN_REASONS]
            reason = "；".join(reasons) or TEXT["notice.reason.reviewed"]
            category = hh.assessment.get("category") or ""
        else:
            reason, category = ELIMINATION_REASON, ""
        rows.append([hh.data.get("group") or "", hh.head_name or "", mask_id(hh.head_id), str(hh.data.get("size") or ""),
                     matter, category, reason,
                     TEXT["notice.period"].format(start=review["notice_start"], end=review["notice_end"])])
    return rows


def write_notice(ws: Workspace, ledger: Ledger, config: Config, town: str, village: str, *,
                 as_of: dt.date) -> Placed | None:
    """Write (or remove) the village's notice list; None when nobody is in notice."""
    target = notice_path(ws, town, village)
    rows = notice_rows(ledger, config, town, village, as_of)
    if not rows:
        if target.exists():
            target.unlink()
        return None

    def build(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp))
        sheet = wb.add_worksheet("公示名单")
        base = {"font_name": "宋体", "font_size": 12, "valign": "vcenter", "text_wrap": True}
        title = wb.add_format({**base, "bold": True, "font_size": 18, "align": "center"})
        head = wb.add_format({**base, "bold": True, "border": 1, "align": "center"})
        cell = wb.add_format({**base, "border": 1, "num_format": "@"})
        plain = wb.add_format(base)
        widths = (8, 10, 22, 8, 10, 14, 36, 26)
        headers = ("组", "户主姓名", "身份证号", "家庭人口", "事项", "类别", "原因", "公示期")
        for c, w in enumerate(widths):
            sheet.set_column(c, c, w)
        sheet.merge_range(0, 0, 0, len(headers) - 1,
                          TEXT["notice.title"].format(district=config.settings.district, town=town, village=village),
                          title)
        sheet.set_row(0, 36)
        sheet.merge_range(1, 0, 1, len(headers) - 1, TEXT["notice.body"], plain)
        sheet.set_row(1, 48)
        for c, h in enumerate(headers):
            sheet.write_string(3, c, h, head)
        for r, row in enumerate(rows, start=4):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value, cell)
        end = 4 + len(rows) + 1
        sheet.merge_range(end, 0, end, len(headers) - 1,
                          TEXT["notice.footer"].format(phone=SUPERVISION_PHONE, village=village, year=as_of.year,
                                                       month=as_of.month, day=as_of.day), plain)
        sheet.set_row(end, 30)
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.repeat_rows(3)
        sheet.fit_to_pages(1, 0)
        sheet.center_horizontally()
        wb.close()

    return place_atomically(target, build)
