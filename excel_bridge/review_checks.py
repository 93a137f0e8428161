"""The village's 评议公示 checked from the file alone (plan 五(一), 五(三)): a passed review whose notice is
shorter than the minimum, and a lead whose notice has ended without 承诺授权.

`check` and `process` both run these (check.check_parsed), so a file gets the same verdict from either;
the village step (village_step.py) only decides, from the ledger's state, whether the household moves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .config import Config
from .issues import Issue, make_issue
from .validate import Household, Record

INCLUSION, ELIMINATION = "纳入监测", "风险消除"
NEEDED = ("matter", "review_date", "review_result", "notice_start", "notice_end", "objection")


def notice_days(start: dt.date, end: dt.date) -> int:
    """Days of a public notice, counted inclusive of both ends."""
    return (end - start).days + 1


def latest_key(review: dict[str, Any] | Record) -> tuple[Any, ...]:
    """The order in which reviews of one matter supersede each other: notice end, review date, row."""
    get = review.get
    row = review.row if isinstance(review, Record) else review.get("_row", 0)
    return (get("notice_end"), get("review_date"), row or 0)


def passed(review: dict[str, Any] | Record) -> bool:
    """评议通过 and no objection left standing."""
    get = review.get
    return get("review_result") == "通过" and (get("objection") != "有" or get("objection_result") == "异议不成立")


def review_issues(hh: Household, config: Config, *, as_of: dt.date) -> list[Issue]:
    """NOTICE_TOO_SHORT on the latest passed review of the matter the file says is current, CONSENT_MISSING
    once a lead's notice has ended. A 纳入监测 review of a household the file says is identified is
    history (it may predate this system), so it is not checked."""
    matters = [ELIMINATION] if hh.get("identified_date") is not None else [INCLUSION, ELIMINATION]
    issues: list[Issue] = []
    for matter in matters:
        usable = [r for r in hh.reviews if r.ok(*NEEDED) and all(r.get(k) is not None for k in NEEDED)
                  and r.get("matter") == matter]
        if not usable:
            continue
        review = max(usable, key=latest_key)
        if not passed(review):
            continue
        days, minimum = notice_days(review.get("notice_start"), review.get("notice_end")), \
            config.rules.workflow.notice_min_days
        if days < minimum:
            issues.append(make_issue("NOTICE_TOO_SHORT", sheet=review.sheet, row=review.row,
                                     column=config.schemas.review.column("notice_end").header, value=days,
                                     expected=minimum))
        elif matter == INCLUSION and review.get("notice_end") < as_of and hh.get("consent") != "是":
            issues.append(make_issue("CONSENT_MISSING", sheet=hh.sheet, row=hh.row,
                                     column=config.schemas.household.column("consent").header,
                                     value=hh.get("consent")))
    return issues
