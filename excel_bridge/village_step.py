"""The village step of both chains (plan 五(一), 五(三)): 民主评议通过 + 公示 long enough and ended + no
objection (or 异议不成立) + 承诺授权 → the household goes to the town.

A notice still running waits; one too short is an error on its row; missing consent is an error on
the household's row. A review only counts if it is not older than the last 退回 of that household.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .config import Config
from .issues import Issue, make_issue
from .ledger import HouseholdRow, Ledger
from .rules import Assessor
from .workflow import ASSISTING, LEAD, VILLAGE, transition

if TYPE_CHECKING:
    from .ingest import HouseholdPayload

MATTER_FOR_STATE = {LEAD: "纳入监测", ASSISTING: "风险消除"}
ACTION_FOR_STATE = {LEAD: "评议公示通过", ASSISTING: "风险消除评议公示通过"}


def last_return(ledger: Ledger, household_id: int) -> dt.date | None:
    row = ledger.conn.execute(
        "SELECT at FROM events WHERE household_id=? AND event='transition' AND comment LIKE '退回%'"
        " ORDER BY id DESC LIMIT 1", (household_id,)).fetchone()
    return dt.date.fromisoformat(row["at"][:10]) if row else None


def notice_days(start: dt.date, end: dt.date) -> int:
    """Days of a public notice, counted inclusive of both ends."""
    return (end - start).days + 1


def _usable(review: dict[str, Any]) -> bool:
    invalid = set(review.get("_invalid", ()))
    needed = {"matter", "review_date", "review_result", "notice_start", "notice_end", "objection"}
    return not (needed & invalid) and all(review.get(k) is not None for k in needed)


def village_step(ledger: Ledger, config: Config, hh: HouseholdRow, hp: "HouseholdPayload", *, as_of: dt.date,
                 stamp: str, sha256: str) -> list[Issue]:
    """Move the household to the town if its latest village review qualifies; return issues found."""
    matter = MATTER_FOR_STATE.get(hh.state)
    if matter is None or not hp.reviews:
        return []
    since = last_return(ledger, hh.id)
    reviews = [r for r in hp.reviews if _usable(r) and r["matter"] == matter
               and (since is None or r["review_date"] >= since)]
    if not reviews:
        return []
    review = max(reviews, key=lambda r: (r["notice_end"], r["review_date"], r.get("_row", 0)))
    review_cols = config.schemas.review.column
    hh_cols = config.schemas.household.column
    if review["review_result"] != "通过":
        return []
    if review["objection"] == "有" and review.get("objection_result") != "异议不成立":
        return []
    days = notice_days(review["notice_start"], review["notice_end"])
    minimum = config.rules.workflow.notice_min_days
    if days < minimum:
        return [make_issue("NOTICE_TOO_SHORT", sheet=review.get("_sheet"), row=review.get("_row"),
                           column=review_cols("notice_end").header, value=days, expected=minimum)]
    if review["notice_end"] >= as_of:
        return []  # the notice is still running: wait for the next file after it ends
    if matter == "纳入监测" and hp.data.get("consent") != "是":
        return [make_issue("CONSENT_MISSING", sheet=hp.sheet, row=hp.row, column=hh_cols("consent").header,
                           value=hp.data.get("consent"))]
    if hp.errors:
        return []  # the household's own errors must be fixed before the town is asked to verify it
    if matter == "风险消除":
        from .ingest import household_from_ledger

        household = household_from_ledger(hh, hp.members, hp.measures, hp.reviews)
        identified = dt.date.fromisoformat(hh.identified_date) if hh.identified_date else None
        eligible, reason = Assessor(config).elimination(household, identified=identified, as_of=as_of)
        if eligible is not True:
            return [make_issue("ELIMINATION_NOT_READY", sheet=review.get("_sheet"), row=review.get("_row"),
                               column=review_cols("matter").header, value=matter, reason=reason)]
    comment = (f"民主评议{review['review_date'].isoformat()}通过，公示{review['notice_start'].isoformat()}"
               f"至{review['notice_end'].isoformat()}")
    transition(ledger, hh, ACTION_FOR_STATE[hh.state], VILLAGE,
               at=dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S"), source_sha256=sha256, comment=comment)
    return []
