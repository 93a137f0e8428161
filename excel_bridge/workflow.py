"""The state machine of DOMAIN.md ("States and who moves them"): both chains, 退回, 不予认定, and the
system's own moves when new data proposes (or no longer proposes) a household.

Every move goes through `transition`, which refuses anything the table does not allow and records
the event in the same transaction as the state change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import TransitionRefused
from .messages import TEXT
from .store import HouseholdRow, Store

LEAD = "线索"
TOWN_CHECK = "待镇核查"
DISTRICT_CONFIRM = "待区认定"
ASSISTING = "帮扶中"
TOWN_ACCEPT = "待镇验收"
DISTRICT_APPROVE = "待区审批"
ELIMINATED = "风险已消除"
NOT_INCLUDED = "未纳入"
REMOVED = "已移出"  # not a state: shown for households no longer in their village's current file

STATES = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE, ELIMINATED, NOT_INCLUDED)
MONITORED = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE)

VILLAGE, TOWN, DISTRICT, SYSTEM = "村", "镇", "区", "系统"
AGREE, RETURN, REJECT = "同意", "退回", "不予认定"
DEPARTMENT_LEAD = "部门预警核实纳入"  # the town found a department's warning true for a household not monitored

# (from state, action, level) → to state
TRANSITIONS: dict[tuple[str, str, str], str] = {
    (LEAD, "评议公示通过", VILLAGE): TOWN_CHECK,
    (TOWN_CHECK, AGREE, TOWN): DISTRICT_CONFIRM,
    (TOWN_CHECK, RETURN, TOWN): LEAD,
    (DISTRICT_CONFIRM, AGREE, DISTRICT): ASSISTING,
    (DISTRICT_CONFIRM, RETURN, DISTRICT): LEAD,
    (DISTRICT_CONFIRM, REJECT, DISTRICT): NOT_INCLUDED,
    (ASSISTING, "风险消除评议公示通过", VILLAGE): TOWN_ACCEPT,
    (TOWN_ACCEPT, AGREE, TOWN): DISTRICT_APPROVE,
    (TOWN_ACCEPT, RETURN, TOWN): ASSISTING,
    (DISTRICT_APPROVE, AGREE, DISTRICT): ELIMINATED,
    (DISTRICT_APPROVE, RETURN, DISTRICT): ASSISTING,
    # the system, on new data in a village file
    (NOT_INCLUDED, "研判建议纳入", SYSTEM): LEAD,
    (ELIMINATED, "研判建议纳入", SYSTEM): LEAD,
    (LEAD, "研判不再建议纳入", SYSTEM): NOT_INCLUDED,
    # the town, verifying a department warning (部门预警: 属实-建议纳入) for a household not under monitoring
    (NOT_INCLUDED, DEPARTMENT_LEAD, TOWN): LEAD,
    (ELIMINATED, DEPARTMENT_LEAD, TOWN): LEAD,
}

# Which level decides in which state (the workbook a decision must come from).
DECIDER = {TOWN_CHECK: TOWN, TOWN_ACCEPT: TOWN, DISTRICT_CONFIRM: DISTRICT, DISTRICT_APPROVE: DISTRICT}
MATTER = {TOWN_CHECK: "纳入监测核查", TOWN_ACCEPT: "风险消除验收", DISTRICT_CONFIRM: "纳入监测认定",
          DISTRICT_APPROVE: "风险消除审批"}


def allowed_actions(state: str, level: str) -> list[str]:
    return [action for (s, action, lv) in TRANSITIONS if s == state and lv == level]


@dataclass(frozen=True)
class Move:
    household: HouseholdRow
    to_state: str


def check_move(hh: HouseholdRow, action: str, level: str) -> str:
    """The state an action leads to, or TransitionRefused naming the household, state and attempted move."""
    to = TRANSITIONS.get((hh.state, action, level))
    if to is None:
        who = hh.head_name or hh.household_no or hh.head_id[-4:]
        allowed = allowed_actions(hh.state, level)
        choices = TEXT["workflow.refused_choices"].format(level=level, actions="、".join(allowed)) if allowed else ""
        raise TransitionRefused(TEXT["workflow.refused"].format(village=hh.village, who=who, state=hh.state,
                                                                level=level, action=action, choices=choices))
    return to


def transition(store: Store, hh: HouseholdRow, action: str, level: str, *, at: dt.datetime | None = None,
               person: str | None = None, source_sha256: str | None = None, comment: str | None = None,
               decided_on: dt.date | None = None, opinion: str | None = None) -> str:
    """Move a household (inside the caller's `store.atomic()`) and record the event; returns the new state.
    `opinion` replaces the 审核意见 the move would otherwise write (a move that must say more than its action)."""
    to = check_move(hh, action, level)
    at = (at or dt.datetime.now()).replace(microsecond=0)
    day = decided_on or at.date()
    fields: dict[str, object] = {}
    if to == ASSISTING and hh.state == DISTRICT_CONFIRM:
        fields["identified_date"] = day
    if to == ELIMINATED:
        fields["eliminated_date"] = day
    if to == LEAD and hh.state in (NOT_INCLUDED, ELIMINATED):
        fields["lead_date"] = day
        fields["identified_date"] = None if hh.state == NOT_INCLUDED else hh.identified_date
        fields["opinion"] = ""  # an old refusal or approval no longer describes a new lead
    if action == RETURN:
        fields["opinion"] = TEXT["workflow.returned"].format(level=level, reason=comment or TEXT["workflow.no_reason"])
    elif level in (TOWN, DISTRICT):
        said = TEXT["workflow.decided_comment"].format(comment=comment) if comment else ""
        fields["opinion"] = TEXT["workflow.decided"].format(level=level, action=action, comment=said)
    elif level == VILLAGE:
        fields["opinion"] = ""
    if opinion is not None:
        fields["opinion"] = opinion
    store.households.set_state(hh.id, state=to, version=hh.version + 1, at=at, **fields)
    store.events.record(household_id=hh.id, event="transition", action=action, from_state=hh.state, to_state=to,
                        level=level, at=at, person=person, source_sha256=source_sha256, comment=comment,
                        effective_date=day)
    return to


def last_reset(store: Store, household_id: int) -> dt.date | None:
    """The effective day of the household's latest 退回 or 不予认定: village reviews older than it no longer count."""
    return store.events.last_action_day(household_id, (RETURN, REJECT))


def initial_state(*, proposed: bool | None, identified: bool) -> str:
    """Where a household first seen in a village file starts. A verdict the file leaves unknown (无法研判)
    starts as 未纳入 too: the chain starts from a proposal, and a 线索 would start the 15-day clock, take a
    provisional number and count as newly found before anyone knows it is eligible. The corrected file
    moves it on (研判建议纳入) like any other household the rules come to propose."""
    if identified:
        return ASSISTING
    return LEAD if proposed else NOT_INCLUDED
