"""What the ledger says of each household, in the words shown in 流程状态 and 审核意见 columns: where it stands,
and what happens next — a notice entered and running (or not started yet) says when it ends and where the
household then goes, and what would stop it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .alerts import elimination_candidates
from .config import Config
from .issues import Issue, make_issue
from .messages import TEXT
from .returned import Status
from .review_checks import latest_key, notice_days, passed
from .rules import ELIGIBLE
from .store import Conflict, HouseholdRow, Store
from .village_step import MATTER_FOR_STATE, current_reviews
from .workflow import (
    ASSISTING,
    DISTRICT_APPROVE,
    DISTRICT_CONFIRM,
    ELIMINATED,
    LEAD,
    NOT_INCLUDED,
    REMOVED,
    TOWN_ACCEPT,
    TOWN_CHECK,
    last_resets,
)

NEXT_STEP = {LEAD: TEXT["opinion.next_town_check"], ASSISTING: TEXT["opinion.next_town_accept"]}


def notice_text(store: Store, row: HouseholdRow, config: Config, *, as_of: dt.date,
                reviews: list[dict[str, Any]] | None = None,
                resets: Mapping[int, dt.date | None] | None = None) -> str | None:
    """The village's passed review whose notice is running or not started yet: when it ends and where the
    household then goes by itself, with what would stop it (consent, errors). None otherwise. `reviews`: the
    household's, when they were read for its whole village at once (`resets`: last_resets() of the village's)."""
    matter = MATTER_FOR_STATE.get(row.state)
    if matter is None or not row.on_file:
        return None
    reviews = current_reviews(store, row, matter, reviews, resets=resets)
    if not reviews:
        return None
    review = max(reviews, key=latest_key)
    start, end = review["notice_start"], review["notice_end"]
    if not passed(review) or end < as_of or notice_days(start, end) < config.rules.workflow.notice_min_days:
        return None  # no notice, one over (the household has moved on, or waits for what the file says), too short
    step = NEXT_STEP[row.state]
    text = (TEXT["opinion.notice_pending"].format(start=start.isoformat(), end=end.isoformat(), next=step)
            if start > as_of else TEXT["opinion.notice_running"].format(end=end.isoformat(), next=step))
    if row.state == LEAD and row.data.get("consent") != "是":
        text += TEXT["opinion.notice_no_consent"].format(next=step)
    if row.errors:
        text += TEXT["opinion.notice_errors"].format(next=step)
    return text


def opinion_text(row: HouseholdRow, config: Config, *, notice: str | None = None) -> str:
    """审核意见: the recorded opinion (a 退回 reason…) or what happens next, in plain words; `notice`
    (notice_text) when a notice is running or about to start."""
    days = config.rules.workflow.notice_min_days
    if row.state in (LEAD, NOT_INCLUDED) and row.on_file and row.assessment.get("proposed", False) is None:
        return TEXT["opinion.unknown"]  # the latest file leaves the verdict unknown: nothing moves until fixed
    if notice and row.state == LEAD:
        return notice  # a review held after any 退回: what counts now is the notice running
    if row.opinion and row.state in (LEAD, ASSISTING, NOT_INCLUDED):
        return row.opinion
    return {
        LEAD: TEXT["opinion.lead"].format(days=days),
        TOWN_CHECK: TEXT["opinion.town_check"],
        DISTRICT_CONFIRM: TEXT["opinion.district_confirm"],
        ASSISTING: TEXT["opinion.assisting"].format(date=_iso(row.identified_date)).strip(),
        TOWN_ACCEPT: TEXT["opinion.town_accept"],
        DISTRICT_APPROVE: TEXT["opinion.district_approve"],
        ELIMINATED: TEXT["opinion.eliminated"].format(date=_iso(row.eliminated_date)).strip(),
        NOT_INCLUDED: row.opinion or TEXT["opinion.not_included"],
    }.get(row.state, row.opinion)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def state_text(row: HouseholdRow) -> str:
    return row.state if row.on_file else REMOVED


def statuses(store: Store, config: Config, *, town: str, village: str, as_of: dt.date) -> dict[str, Status]:
    """户主身份证号 → Status for one village's current households (帮扶中 ones with their elimination研判)."""
    rows = store.households.list(town=town, village=village)
    elimination = {c.row.id: c for c in elimination_candidates(store, config, rows, as_of)}
    reviews = store.households.reviews_in(town, village)  # one query for the village, not one a household
    looked_at = [row.id for row in rows if row.on_file and row.state in MATTER_FOR_STATE and reviews.get(row.id)]
    resets = last_resets(store.moves, looked_at) if looked_at else {}  # and their last 退回 in one more
    out: dict[str, Status] = {}
    for row in rows:
        identified = row.identified_date
        cand = elimination.get(row.id)
        notice = notice_text(store, row, config, as_of=as_of, reviews=reviews.get(row.id, []), resets=resets)
        if row.state == ASSISTING and (cand is None or cand.verdict != ELIGIBLE):
            notice = None  # not eligible: the notice sends it nowhere (said by the 研判 below and 问题清单)
        opinion = opinion_text(row, config, notice=notice)
        if notice and row.state == ASSISTING:
            opinion = notice
        if cand is not None:  # every 帮扶中 household is told where it stands on risk elimination
            opinion = TEXT["opinion.elimination"].format(opinion=opinion, reason=cand.reason)
        out[row.head_id] = Status(state=state_text(row), opinion=opinion,
                                  household_no=row.household_no,
                                  identified=identified)
    return out


def conflict_issues(store: Store, *, town: str, village: str, conflicts: list[Conflict] | None = None) -> list[Issue]:
    """A person in the current files of two villages: an error on the member's row, in both villages.
    `conflicts`: the village's store.views.person_conflicts(), when the caller has just read them."""
    issues = []
    seen: set[tuple[str | None, int | None, str]] = set()
    for c in store.views.person_conflicts(town=town, village=village) if conflicts is None else conflicts:
        key = (c.sheet, c.row, c.person_id)
        if key in seen:
            continue
        seen.add(key)
        # the clerk learns only that the person is registered elsewhere (privacy); the town and the district
        # see where, in their 预警
        issues.append(make_issue("PERSON_OTHER_VILLAGE", sheet=c.sheet, row=c.row, column="身份证号",
                                 value=c.person_id))
    return issues
