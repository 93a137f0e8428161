"""The printable 公示名单 of a village: households whose public notice is running or about to start.

Privacy (docs/domain.md): ID numbers masked as 440205********1234; no phone numbers, no health facts —
reasons are given in plain words that do not reveal illness or disability.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ..config import Config
from ..idcard import mask_id
from ..messages import TEXT
from ..rules import proposing
from ..store import Store
from ..workspace import FEEDBACK, NOTICE_SUFFIX, Workspace
from .common import Placed, place_atomically
from .printing import apply_xlsxwriter, plan_page

PLAIN_REASONS = {
    "R-INCOME": TEXT["notice.reason.income"],
    "R-DROP": TEXT["notice.reason.drop"],
    "R-RIGID": TEXT["notice.reason.rigid"],
    "R-GUARANTEE": TEXT["notice.reason.guarantee"],
}
ELIMINATION_REASON = TEXT["notice.reason.elimination"]




def notice_villages(ws: Workspace, store: Store, as_of: dt.date) -> set[tuple[str, str]]:
    """Villages whose notice list may have changed with the date: a notice running or just ended, or a
    list still on disk."""
    out = store.households.places_with_notice_since(as_of - dt.timedelta(days=1))
    for town_dir in (ws.root / FEEDBACK).glob("*"):  # a list still on disk: 反馈/<镇>/<村>/<村>_公示名单.xlsx
        for path in town_dir.glob(f"*/*{NOTICE_SUFFIX}.xlsx"):
            out.add((town_dir.name, path.name.removesuffix(f"{NOTICE_SUFFIX}.xlsx")))
    return out


def notice_path(ws: Workspace, town: str, village: str) -> Path:
    return ws.notice_path(town, village)


def _in_notice(reviews: list[dict], as_of: dt.date) -> dict | None:
    best = None
    for r in reviews:
        end, start = r.get("notice_end"), r.get("notice_start")
        if r.get("review_result") != "通过" or not isinstance(end, dt.date) or not isinstance(start, dt.date) \
                or r.get("matter") is None:
            continue
        if end >= as_of and (best is None or end > best["notice_end"]):
            best = r
    return best


def notice_rows(store: Store, config: Config, town: str, village: str, as_of: dt.date) -> list[list[str]]:
    rows = []
    in_notice = {hid: review for hid, reviews in store.households.reviews_in(town, village).items()
                 if (review := _in_notice(reviews, as_of)) is not None}
    # only the households in notice are read (a village's others would be decoded for nothing)
    for hh in store.households.list(town=town, village=village, on_file=True, ids=in_notice) if in_notice else ():
        review = in_notice[hh.id]
        matter = review["matter"]
        if matter == "纳入监测":
            reasons = [PLAIN_REASONS[r] for r in proposing(hh.assessment.get("holds", [])) if r in PLAIN_REASONS]
            reason = "；".join(reasons) or TEXT["notice.reason.reviewed"]
            category = hh.assessment.get("category") or ""
        else:
            reason, category = ELIMINATION_REASON, ""
        rows.append([hh.data.get("group") or "", hh.head_name or "", mask_id(hh.head_id), str(hh.data.get("size") or ""),
                     matter, category, reason,
                     TEXT["notice.period"].format(start=review["notice_start"].isoformat(),
                                                  end=review["notice_end"].isoformat())])
    return rows


def notice_footer(config: Config, village: str, as_of: dt.date) -> str:
    """The signature line: the district's supervision phone (区级设置's supervision_phone) when it has one."""
    settings = config.settings
    phone = settings.supervision_phone.strip()
    supervision = TEXT["notice.supervision"].format(district=settings.district, phone=phone) if phone else ""
    return TEXT["notice.footer"].format(supervision=supervision, village=village, year=as_of.year,
                                        month=as_of.month, day=as_of.day)


def write_notice(ws: Workspace, store: Store, config: Config, town: str, village: str, *,
                 as_of: dt.date) -> Placed | None:
    """Write (or remove) the village's notice list; None when nobody is in notice."""
    target = notice_path(ws, town, village)
    rows = notice_rows(store, config, town, village, as_of)
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
        sheet.merge_range(end, 0, end, len(headers) - 1, notice_footer(config, village, as_of), plain)
        sheet.set_row(end, 30)
        # ruled by its own borders; the header row on every page; title to signature on one page across
        apply_xlsxwriter(sheet, plan_page(widths, last_row=end, header=(3, 3), gridlines=False))
        sheet.center_horizontally()
        wb.close()

    return place_atomically(target, build)
