"""The 回头看进度 sheet of the master and of each town's workbook (issue 22): the latest yearly round, village by village — its pre-filled workbook
returned or not, households re-surveyed and still to do, done / going / overdue — then the district's total.
Written only once a round has been started (excel-bridge round)."""

from __future__ import annotations

import datetime as dt

from ..config import Config
from ..messages import TEXT
from ..round_progress import RoundProgress, latest_round, round_progress
from ..store import Store
from .tables import Col, Formats, write_table

ROUND_SHEET = "回头看进度"
COLUMNS = [Col("镇", 10), Col("村", 12), Col("台账交回", 9), Col("户数", 8, "int"), Col("已重新采集户数", 10, "int"),
           Col("待采集户数", 9, "int"), Col("进度", 8)]


def progress_rows(progress: RoundProgress, as_of: dt.date, *, total: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for v in progress.villages:
        status = TEXT["round.status_done"] if v.done else (
            TEXT["round.status_overdue"] if progress.overdue(as_of) else TEXT["round.status_going"])
        returned = TEXT["round.returned_yes"] if v.returned else TEXT["round.returned_no"]
        rows.append([v.town, v.village, returned, v.households, v.resurveyed, v.to_do, status])
    villages = progress.villages
    rows.append([total, "", f"{sum(v.returned for v in villages)}/{len(villages)}",
                 sum(v.households for v in villages), sum(v.resurveyed for v in villages),
                 sum(v.to_do for v in villages), ""])
    return rows


def write_round_progress(wb, fmt: Formats, store: Store, config: Config, *, as_of: dt.date,
                         town: str | None = None) -> None:
    """The sheet, when a round has been started (nothing otherwise): the district's villages, or (`town`, in the
    town's workbook) that town's."""
    r = latest_round(store)
    if r is None:
        return
    progress = round_progress(store, config, r, town=town)
    sheet = wb.add_worksheet(ROUND_SHEET)
    until = TEXT["round.until"].format(until=r.until.isoformat()) if r.until else ""
    sheet.write_string(0, 0, TEXT["round.sheet_title"].format(year=r.year, started=f"{r.started:%Y-%m-%d}",
                                                              until=until, as_of=as_of.isoformat()), fmt.bold)
    total = TEXT["round.all_villages"] if town is None else TEXT["round.town_villages"]
    write_table(sheet, fmt, COLUMNS, progress_rows(progress, as_of, total=total), first_row=1, identity=2, printed=True,
                print_from=0)
