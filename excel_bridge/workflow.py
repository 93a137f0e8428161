"""The state machine of docs/domain.md ("States and who moves them"): both chains, 退回, 不予认定, and the
system's own moves when new data proposes (or no longer proposes) a household.

Every move goes through `transition` (or, for many households at once, `plan_move` each then
`transition_many`), which refuses anything the table does not allow and records the event in the same
transaction as the state change. The ledger is handed in (`Ledger`, the store's
`moves`): this module is domain code and imports no store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import TransitionRefused
from .messages import TEXT

LEAD = "线索"
TOWN_CHECK = "待镇核查"
DISTRICT_CONFIRM = "待区认定"
ASSISTING = "帮扶中"
TOWN_ACCEPT = "待镇验收"
DISTRICT_APPROVE = "待区审批"
ELIMINATED = "风险已消除"
NOT_INCLUDED = "未纳入"
# 自然减少 (death, moving out of the district, merging into another household): the village states 减少原因,
# the town and then the district agree; only then is a monitored household 已移出
TOWN_REDUCE = "待镇核减"
DISTRICT_REDUCE = "待区核减"
# the end state of 自然减少 (the district agreed; the household is off file from then on); also what is shown for a
# household not under monitoring that is no longer in its village's current file (its state kept, `on_file` false)
REMOVED = "已移出"

# the states of a household on file (REMOVED, which takes it off file, is shown beside them)
STATES = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE, ELIMINATED, NOT_INCLUDED,
          TOWN_REDUCE, DISTRICT_REDUCE)
MONITORED = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE, TOWN_REDUCE,
             DISTRICT_REDUCE)
# the states from which a household leaves monitoring only by 自然减少 (never by vanishing from a file)
REDUCIBLE = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE)

VILLAGE, TOWN, DISTRICT, SYSTEM = "村", "镇", "区", "系统"
AGREE, RETURN, REJECT = "同意", "退回", "不予认定"
CLOSE = "不予纳入"  # the town closes a lead the rules do not propose (研判不建议纳入), with a reason
DEPARTMENT_LEAD = "部门预警核实纳入"  # the town found a department's warning true for a household not monitored
REDUCE = "申报自然减少"  # the village's file gives 减少原因 for a monitored household
READMIT = "重新列入台账"  # a household 已移出 listed again by its village: judged again from 未纳入
NOT_PROPOSED = "研判不建议纳入"  # a lead from a channel the rules alone never dismiss, kept and marked
# the channels (线索来源) of a lead that the rules alone never dismiss (docs/domain.md: rules advise, people decide)
PROTECTED_CHANNELS = frozenset({"农户自主申报", "部门筛查预警", "信访信息"})
PREVIOUS = "（减少前状态）"  # not a state: a 退回 of 自然减少 goes back to where the household was
# the key a monitored household missing from its village's latest file carries in its values (the day it was
# first missed); the village's next file that lists it again replaces the values, and the flag with them
ABSENT_SINCE = "_absent_since"

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
    # rules advise, people decide: a lead from 自主申报/部门/信访 the rules no longer propose stays, marked
    (LEAD, NOT_PROPOSED, SYSTEM): LEAD,
    (TOWN_CHECK, CLOSE, TOWN): NOT_INCLUDED,
    # 自然减少: the village states the reason, the town and the district decide
    **{(s, REDUCE, VILLAGE): TOWN_REDUCE for s in REDUCIBLE},
    (TOWN_REDUCE, AGREE, TOWN): DISTRICT_REDUCE,
    (TOWN_REDUCE, RETURN, TOWN): PREVIOUS,
    (DISTRICT_REDUCE, AGREE, DISTRICT): REMOVED,
    (DISTRICT_REDUCE, RETURN, DISTRICT): PREVIOUS,
    (REMOVED, READMIT, SYSTEM): NOT_INCLUDED,
}

# Which level decides in which state (the workbook a decision must come from).
DECIDER = {TOWN_CHECK: TOWN, TOWN_ACCEPT: TOWN, DISTRICT_CONFIRM: DISTRICT, DISTRICT_APPROVE: DISTRICT,
           TOWN_REDUCE: TOWN, DISTRICT_REDUCE: DISTRICT}
MATTER = {TOWN_CHECK: "纳入监测核查", TOWN_ACCEPT: "风险消除验收", DISTRICT_CONFIRM: "纳入监测认定",
          DISTRICT_APPROVE: "风险消除审批", TOWN_REDUCE: "自然减少", DISTRICT_REDUCE: "自然减少"}


# 监测对象 (DOMAIN.md "Numbers the district signs"): households the district identified, still monitored;
# 风险已消除 is counted apart, and the states before identification are 在途 (never in category or risk counts)
IDENTIFIED = (ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE)
UNDER_WAY = (LEAD, TOWN_CHECK, DISTRICT_CONFIRM, TOWN_REDUCE, DISTRICT_REDUCE)
CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")


def identified_category(data: dict[str, Any], assessment: dict[str, Any]) -> str:
    """认定类别 fixed at identification: the rules' suggestion then, or (none: the district agreed to a household
    the rules did not propose) 脱贫不稳定户 for a 脱贫户, else 边缘易致贫户."""
    suggested = assessment.get("category")
    if suggested in CATEGORIES:
        return str(suggested)
    return CATEGORIES[0] if data.get("household_type") == "脱贫户" else CATEGORIES[1]


def deciding(level: str) -> list[str]:
    """The states whose households wait for `level` (the rows of its decision sheet)."""
    return [state for state, lv in DECIDER.items() if lv == level]


class Household(Protocol):
    """What a move reads of a household (the store's HouseholdRow)."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def village(self) -> str: ...
    @property
    def head_name(self) -> str | None: ...
    @property
    def household_no(self) -> str | None: ...
    @property
    def head_id(self) -> str: ...
    @property
    def identified_date(self) -> dt.date | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def assessment(self) -> dict[str, Any]: ...


class Ledger(Protocol):
    """What a move needs of the ledger, handed in by the caller (the store's `moves` repository), inside the
    caller's transaction."""

    def set_states(self, moves: Sequence[dict[str, Any]]) -> None:
        """Write each household's new state, version and the fields its move sets (`household_id`, `state`,
        `version`, `at` and those fields, in one dict a household): one statement per set of fields."""

    def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        """Append the moves' events, in the order given, in one statement."""

    def entered_from(self, household_id: int, state: str) -> str | None:
        """The state the household was in when it last entered `state`."""

    def last_action_day(self, household_id: int, actions: tuple[str, ...]) -> dt.date | None:
        """The effective day of the household's latest move by one of these actions."""

    def last_action_days(self, household_ids: Sequence[int], actions: tuple[str, ...]) -> dict[int, dt.date | None]:
        """last_action_day() of many households at once (those with no such move left out)."""


@dataclass(frozen=True)
class Move:
    """One household's move, decided and not yet written: what `transition_many` writes."""

    household_id: int
    to: str
    state: dict[str, Any]  # set_states()'s row: household_id, state, version, at and the fields the move sets
    event: dict[str, Any]  # record_many()'s row


def allowed_actions(state: str, level: str) -> list[str]:
    return [action for (s, action, lv) in TRANSITIONS if s == state and lv == level]


def check_move(hh: Household, action: str, level: str) -> str:
    """The state an action leads to, or TransitionRefused naming the household, state and attempted move."""
    to = TRANSITIONS.get((hh.state, action, level))
    if to is None:
        who = hh.head_name or hh.household_no or hh.head_id[-4:]
        allowed = allowed_actions(hh.state, level)
        choices = TEXT["workflow.refused_choices"].format(level=level, actions="、".join(allowed)) if allowed else ""
        raise TransitionRefused(TEXT["workflow.refused"].format(village=hh.village, who=who, state=hh.state,
                                                                level=level, action=action, choices=choices))
    return to


def transition(ledger: Ledger, hh: Household, action: str, level: str, *, at: dt.datetime | None = None,
               person: str | None = None, source_sha256: str | None = None, comment: str | None = None,
               decided_on: dt.date | None = None, opinion: str | None = None,
               lead_date: dt.date | None = None) -> str:
    """Move a household (inside the caller's `store.atomic()`; `ledger`: the store's `moves`) and record the
    event; returns the new state. `opinion` replaces the 审核意见 the move would otherwise write (a move that
    must say more than its action); `lead_date`: the 受理日期 of a household becoming a lead, when its channel
    received it before the move (the 15-day clock runs from it; otherwise from the move's day)."""
    move = plan_move(ledger, hh, action, level, at=at, person=person, source_sha256=source_sha256, comment=comment,
                     decided_on=decided_on, opinion=opinion, lead_date=lead_date)
    transition_many(ledger, [move])
    return move.to


def transition_many(ledger: Ledger, moves: Sequence[Move]) -> None:
    """Write moves of many households (each from `plan_move`, refused there if the table does not allow it) in one
    statement for the households and one for their events, in the order given: what `transition` of each, one
    after another, would write (the same states, versions, fields and events, the events in the same order)."""
    if moves:
        ledger.set_states([m.state for m in moves])
        ledger.record_many([m.event for m in moves])


def plan_move(ledger: Ledger, hh: Household, action: str, level: str, *, at: dt.datetime | None = None,
              person: str | None = None, source_sha256: str | None = None, comment: str | None = None,
              decided_on: dt.date | None = None, opinion: str | None = None,
              lead_date: dt.date | None = None) -> Move:
    """The move `transition` makes (same arguments), decided but not written: a caller moving many households
    at once hands them to `transition_many`. Raises TransitionRefused as `transition` does."""
    to = check_move(hh, action, level)
    if to == PREVIOUS:  # a 退回 of 自然减少: back to the state the household was in when the village reported it
        to = ledger.entered_from(hh.id, TOWN_REDUCE) or ASSISTING
    at = (at or dt.datetime.now()).replace(microsecond=0)
    day = decided_on or at.date()
    fields: dict[str, object] = {}
    if to == ASSISTING and hh.state == DISTRICT_CONFIRM:
        fields["identified_date"] = day
        fields["category"] = identified_category(hh.data, hh.assessment)  # fixed here; the rules' later view is a hint
    if to == ELIMINATED:
        fields["eliminated_date"] = day
    if to == REMOVED:
        fields["on_file"] = False  # 自然减少 approved: no longer one of its village's households
    if to == LEAD and hh.state in (NOT_INCLUDED, ELIMINATED):
        fields["lead_date"] = lead_date or day
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
    return Move(household_id=hh.id, to=to,
                state={"household_id": hh.id, "state": to, "version": hh.version + 1, "at": at, **fields},
                event={"household_id": hh.id, "event": "transition", "action": action, "from_state": hh.state,
                       "to_state": to, "level": level, "at": at, "person": person, "source_sha256": source_sha256,
                       "comment": comment, "effective_date": day})


def last_reset(ledger: Ledger, household_id: int) -> dt.date | None:
    """The effective day of the household's latest 退回 or 不予认定: village reviews older than it no longer count."""
    return ledger.last_action_day(household_id, (RETURN, REJECT))


def last_resets(ledger: Ledger, household_ids: Sequence[int]) -> dict[int, dt.date | None]:
    """last_reset() of many households in one read (those never sent back or refused left out)."""
    return ledger.last_action_days(household_ids, (RETURN, REJECT))


def initial_state(*, proposed: bool | None, identified: bool) -> str:
    """Where a household first seen in a village file starts. A verdict the file leaves unknown (无法研判)
    starts as 未纳入 too: the chain starts from a proposal, and a 线索 would start the 15-day clock, take a
    provisional number and count as newly found before anyone knows it is eligible. The corrected file
    moves it on (研判建议纳入) like any other household the rules come to propose."""
    if identified:
        return ASSISTING
    return LEAD if proposed else NOT_INCLUDED
