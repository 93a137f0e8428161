"""The village step of both chains (plan 五(一), 五(三)): 民主评议通过 + 公示 long enough and ended + no
objection (or 异议不成立) + 承诺授权 → the household goes to the town.

It works on what the ledger holds, so it runs both when a village file is applied and on every pass (a
notice that has ended since moves on without the clerk sending the same file again). A review counts
only if it is not older than the household's last 退回 or 不予认定. What is wrong in the file itself (a
notice too short, consent missing) is reported by review_checks, run by `check` and `process` alike;
here it only keeps the household where it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .issues import Issue, make_issue
from .messages import TEXT
from .review_checks import NEEDED, latest_key, notice_days, passed
from .rules import Assessor
from .stored import household_from_ledger
from .workflow import (
    ABSENT_SINCE,
    ASSISTING,
    DEPARTMENT_LEAD,
    ELIMINATED,
    LEAD,
    NOT_INCLUDED,
    NOT_PROPOSED,
    PROTECTED_CHANNELS,
    REMOVED,
    VILLAGE,
    Move,
    last_reset,
    last_resets,
    plan_move,
    transition_many,
)

if TYPE_CHECKING:
    from .config import Config
    from .store import Event, HouseholdRow, Store

MATTER_FOR_STATE = {LEAD: "纳入监测", ASSISTING: "风险消除"}
ACTION_FOR_STATE = {LEAD: "评议公示通过", ASSISTING: "风险消除评议公示通过"}


def lead_channel(store: Store, hh: HouseholdRow) -> str | None:
    """The channel of a lead the rules alone never dismiss (农户自主申报, 部门筛查预警, 信访信息, or the town's
    verified department warning), None for a lead the rules raised."""
    channel = hh.data.get("lead_source")
    if channel in PROTECTED_CHANNELS:
        return str(channel)
    entry = _lead_entry(store, hh)
    return "部门筛查预警" if entry is not None and entry.action == DEPARTMENT_LEAD else None


def marked_not_proposed(store: Store, hh: HouseholdRow) -> bool:
    """Whether the lead carries the 研判不建议纳入 mark (since it last became a lead)."""
    if not hh.opinion:  # the mark writes the 审核意见; a lead without one (most of them) was never marked
        return False
    for e in reversed(store.events.of(hh.id)):
        if e.action == NOT_PROPOSED:
            return True
        if e.to_state == LEAD and (e.event == "created" or e.from_state in (NOT_INCLUDED, ELIMINATED, REMOVED)
                                   or (e.from_state == LEAD and e.action != NOT_PROPOSED)):
            return False
    return False


def _lead_entry(store: Store, hh: HouseholdRow) -> Event | None:
    """The event that last made the household a lead from outside the chain (created as one, or proposed)."""
    for e in reversed(store.events.of(hh.id)):
        if e.to_state == LEAD and (e.event == "created" or e.from_state in (NOT_INCLUDED, ELIMINATED, REMOVED)):
            return e
    return None


def _usable(review: dict[str, Any]) -> bool:
    invalid = set(review.get("_invalid", ()))
    return not (set(NEEDED) & invalid) and all(review.get(k) is not None for k in NEEDED)


def current_reviews(store: Store, hh: HouseholdRow, matter: str,
                    reviews: list[dict[str, Any]] | None = None, *, new: bool = False,
                    resets: Mapping[int, dt.date | None] | None = None) -> list[dict[str, Any]]:
    """The household's usable reviews of this matter that are newer than its last 退回/不予认定 (`reviews`: as
    the file just applied lists them, else read from the ledger; `new`: created just now, so never sent back;
    `resets`: last_resets() of the households being looked at, read at once)."""
    if reviews is None:
        reviews = store.households.reviews_of(hh.id)
    reviews = [r for r in reviews if _usable(r) and r["matter"] == matter]
    if not reviews or new:  # most households: no review of this matter, and no need to look at the event log
        return reviews
    since = resets.get(hh.id) if resets is not None else last_reset(store.moves, hh.id)
    return [r for r in reviews if since is None or r["review_date"] >= since]


def village_step(store: Store, config: Config, hh: HouseholdRow, *, as_of: dt.date, at: dt.datetime,
                 sha256: str | None, reviews: list[dict[str, Any]] | None = None, new: bool = False,
                 resets: Mapping[int, dt.date | None] | None = None, moves: list[Move] | None = None) -> list[Issue]:
    """Move the household to the town if its latest village review qualifies; return issues found. `new`: the
    household was created by the file being applied (it has no 退回 or 不予认定 to look up); `resets`: see
    current_reviews. `moves`: the move is added there (for workflow.transition_many) instead of written now."""
    matter = MATTER_FOR_STATE.get(hh.state)
    if matter is None or not hh.on_file or hh.data.get(ABSENT_SINCE):
        return []  # gone, or left out of its village's latest file (flagged until the village says why)
    reviews = current_reviews(store, hh, matter, reviews, new=new, resets=resets)
    if not reviews:
        return []
    review = max(reviews, key=latest_key)
    review_cols = config.schemas.review.column
    if not passed(review):
        return []
    if notice_days(review["notice_start"], review["notice_end"]) < config.rules.workflow.notice_min_days:
        return []  # NOTICE_TOO_SHORT, reported on the file by review_checks
    if review["notice_end"] >= as_of:
        return []  # the notice is still running; a later pass moves the household once it has ended
    if matter == "纳入监测" and (hh.data.get("consent") != "是" or not _may_go_to_town(store, hh)):
        return []  # CONSENT_MISSING (review_checks); or a verdict the latest file leaves unknown (无法研判)
    if hh.errors:
        return []  # the household's own errors must be fixed before the town is asked to verify it
    if matter == "风险消除":
        household = household_from_ledger(store, hh)
        eligible, reason = Assessor(config).elimination(household, identified=hh.identified_date, as_of=as_of)
        if eligible is not True:
            return [make_issue("ELIMINATION_NOT_READY", sheet=review.get("_sheet"), row=review.get("_row"),
                               column=review_cols("matter").header, value=matter, reason=reason)]
    comment = TEXT["village.review_passed"].format(review_date=review["review_date"].isoformat(),
                                                   notice_start=review["notice_start"].isoformat(),
                                                   notice_end=review["notice_end"].isoformat())
    move = plan_move(store.moves, hh, ACTION_FOR_STATE[hh.state], VILLAGE, at=at, source_sha256=sha256,
                     comment=comment, decided_on=as_of)
    if moves is None:
        transition_many(store.moves, [move])
    else:
        moves.append(move)
    return []


def _may_go_to_town(store: Store, hh: HouseholdRow) -> bool:
    """A lead the rules propose goes on after its review; so does one they do not propose when the rules alone
    may not dismiss it (研判不建议纳入: the village's 评议 and the town decide). An unknown verdict waits."""
    proposed = hh.assessment.get("proposed")
    return proposed is True or (proposed is False and lead_channel(store, hh) is not None)


def advance_due(store: Store, config: Config, *, as_of: dt.date, at: dt.datetime) -> set[tuple[str, str]]:
    """Every pass: households whose notice has ended since their file was applied move on now (their reviews and
    last 退回 read at once, their moves written at once)."""
    moved: set[tuple[str, str]] = set()
    with store.atomic():
        due = store.households.with_reviews((LEAD, ASSISTING))
        ids = [hh.id for hh, _ in due]
        reviews = store.households.reviews_of_many(ids) if ids else {}
        resets = last_resets(store.moves, ids) if ids else {}
        moves: list[Move] = []
        for hh, source_sha256 in due:
            before = len(moves)
            village_step(store, config, hh, as_of=as_of, at=at, sha256=source_sha256, reviews=reviews.get(hh.id, []),
                         resets=resets, moves=moves)
            if len(moves) > before:
                moved.add((hh.town, hh.village))
        transition_many(store.moves, moves)
    return moved
