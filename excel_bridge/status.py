"""What the ledger says of each household, in the words shown in 流程状态 and 审核意见 columns."""

from __future__ import annotations

import datetime as dt

from .alerts import elimination_candidates
from .config import Config
from .issues import Issue, make_issue
from .messages import TEXT
from .returned import Status
from .store import HouseholdRow, Store
from .workflow import (ASSISTING, DISTRICT_APPROVE, DISTRICT_CONFIRM, ELIMINATED, LEAD, NOT_INCLUDED, REMOVED,
                       TOWN_ACCEPT, TOWN_CHECK)


def opinion_text(row: HouseholdRow, config: Config) -> str:
    """审核意见: the recorded opinion (a 退回 reason…) or what happens next, in plain words."""
    days = config.rules.workflow.notice_min_days
    if row.state in (LEAD, NOT_INCLUDED) and row.on_file and row.assessment.get("proposed", False) is None:
        return TEXT["opinion.unknown"]  # the latest file leaves the verdict unknown: nothing moves until fixed
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
    out: dict[str, Status] = {}
    for row in rows:
        identified = row.identified_date
        opinion = opinion_text(row, config)
        cand = elimination.get(row.id)
        if cand is not None:  # every 帮扶中 household is told where it stands on risk elimination
            opinion = TEXT["opinion.elimination"].format(opinion=opinion, reason=cand.reason)
        out[row.head_id] = Status(state=state_text(row), opinion=opinion,
                                  household_no=row.household_no if row.provisional else None,
                                  identified=identified)
    return out


def conflict_issues(store: Store, *, town: str, village: str) -> list[Issue]:
    """A person in the current files of two villages: an error on the member's row, in both villages."""
    issues = []
    seen: set[tuple[str | None, int | None, str]] = set()
    for c in store.views.person_conflicts(town=town, village=village):
        key = (c.sheet, c.row, c.person_id)
        if key in seen:
            continue
        seen.add(key)
        # the clerk learns only that the person is registered elsewhere (privacy); the town and the district
        # see where, in their 预警
        issues.append(make_issue("PERSON_OTHER_VILLAGE", sheet=c.sheet, row=c.row, column="身份证号",
                                 value=c.person_id))
    return issues
