"""The town's verification of department warnings (部门预警: 核实结论, 核实意见, 核实人, 核实日期) read back from
its 镇级核查表 and applied like the other decisions: the row token must be one the system wrote into this
town's workbook, for a warning still open at that revision. 属实-建议纳入 for a household not under monitoring
makes it a 线索 (线索来源 部门筛查预警, or the channel its rule names — 信访信息 for a 信访/12317 list, with the
list's 受理日期 —, with the warning's risk type) through the workflow's own move."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..decision_sheet import (
    CONFIRMED_LEAD,
    CONFIRMED_MONITORED,
    DEPT_CHOICES,
    DEPT_COLUMNS,
    DEPT_SHEET,
    NOT_TRUE,
    WARNING_OPEN,
    parse_warning_token,
    warning_issued_for,
)
from ..ledger_tokens import ledger_secret, warning_digest
from ..messages import TEXT
from ..store import HouseholdRow, Store, WarningRow
from ..workflow import DEPARTMENT_LEAD, MONITORED, TOWN, check_move, transition
from .ports import DecisionRow, note_refused_row, provisional_no, read_table

log = logging.getLogger(__name__)

LEAD_SOURCE = "部门筛查预警"  # 线索来源 of a lead made from a department warning (plan 四(三))
RISK_KEYS = ("main_risk", "other_risk_1", "other_risk_2")


@dataclass
class DeptDecisionResult:
    applied: int = 0
    refused: list[str] = field(default_factory=list)
    villages: set[tuple[str, str]] = field(default_factory=set)  # whose returned copies now say something new
    leads: int = 0  # households made leads


def read_department_decisions(path: Path) -> list[DecisionRow]:
    """The 部门预警 rows of a saved town workbook where a 核实结论 was chosen (none in a workbook written before
    the sheet existed). Raises decisions.Unreadable when its 核实结论 or hidden 行令牌 column is gone."""
    return read_table(path, DEPT_SHEET, DEPT_COLUMNS, missing_ok=True) or []


def apply_department_decisions(store: Store, rows: list[DecisionRow], *, town: str, sha256: str, file_name: str,
                               config: Config, today: dt.date | None = None,
                               now: dt.datetime | None = None) -> DeptDecisionResult:
    """Check each verification against the ledger and apply the valid ones in one transaction; a refused one
    is a note in the next copy of the town's workbook. A verification without a date counts for `today`."""
    result = DeptDecisionResult()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    today = today or now.date()
    seen: set[int] = set()
    with store.atomic():
        for d in rows:
            token = parse_warning_token(d.token)
            if token is not None and token.warning_id in seen:
                refusal: str | None = TEXT["dept.repeated"]
            else:
                refusal = _apply_one(store, config, d, town=town, sha256=sha256, now=now, today=today, result=result)
                if refusal is None and token is not None:
                    seen.add(token.warning_id)
            if refusal:
                note_refused_row(store, result.refused, d, sheet=DEPT_SHEET, reason=refusal, town=town, now=now)
    log.info(TEXT["dept.log.decisions"], file_name, result.applied, len(result.refused), result.leads)
    return result


def _apply_one(store: Store, config: Config, d: DecisionRow, *, town: str, sha256: str, now: dt.datetime,
               today: dt.date, result: DeptDecisionResult) -> str | None:
    if d.decision not in DEPT_CHOICES:
        return TEXT["decision.not_a_choice"].format(decision=d.decision, choices="、".join(DEPT_CHOICES))
    token = parse_warning_token(d.token)
    if token is None:
        return TEXT["decision.token_broken"]
    w = store.departments.warning(token.warning_id)
    secret = ledger_secret(store)
    if w is None:
        return TEXT["decision.token_invalid"]
    label = TEXT["dept.warning_label"].format(village=w.village, name=w.name or "", department=w.department)
    if not warning_issued_for(secret, token, town):
        if warning_issued_for(secret, token, w.town):  # a row copied from another town's workbook: not named here
            return TEXT["decision.other_town"].format(label=TEXT["dept.this_warning"], town=town)
        return TEXT["decision.token_invalid"]
    if w.status != WARNING_OPEN:
        return TEXT["dept.decision_closed"].format(label=label, status=w.status)
    if w.revision != token.revision or w.town != town:  # a newer list changed the fact or the household
        return TEXT["dept.decision_changed"].format(label=label, fact=w.fact)
    if token.digest != warning_digest(store, w):  # what the row showed changed since (or an older token)
        return TEXT["dept.decision_stale"].format(label=label)
    if not d.person:
        return TEXT["dept.decision_missing"].format(
            label=label, decision=d.decision,
            what=TEXT["decision.missing_person"].format(column=DEPT_COLUMNS.person))
    if d.decision == NOT_TRUE and not d.comment:
        return TEXT["dept.decision_missing"].format(
            label=label, decision=d.decision,
            what=TEXT["decision.missing_reason"].format(column=DEPT_COLUMNS.comment))
    hh = store.households.get(w.household_id)
    assert hh is not None  # a warning's household is never deleted
    if not hh.on_file:
        return TEXT["decision.removed"].format(label=label)
    monitored = hh.state in MONITORED
    if d.decision == CONFIRMED_MONITORED and not monitored:
        return TEXT["dept.decision_not_monitored"].format(label=label, state=hh.state, lead=CONFIRMED_LEAD)
    day = d.date or today
    lead = d.decision == CONFIRMED_LEAD and not monitored
    if lead:
        _make_lead(store, config, hh, w, d, sha256=sha256, now=now, day=day)
        result.leads += 1
        result.villages.add((hh.town, hh.village))
    store.departments.verify(w.id, status=d.decision, comment=d.comment or None, person=d.person, day=day,
                             source_sha256=sha256, lead_created=lead, at=now)
    said = TEXT["dept.event_comment"].format(comment=d.comment) if d.comment else ""
    store.events.record(household_id=hh.id, event="department", action=d.decision, level=TOWN, at=now,
                        person=d.person, source_sha256=sha256, effective_date=day,
                        comment=TEXT["dept.event"].format(department=w.department, fact=w.fact, comment=said))
    result.applied += 1
    return None


def _make_lead(store: Store, config: Config, hh: HouseholdRow, w: WarningRow, d: DecisionRow, *, sha256: str,
               now: dt.datetime, day: dt.date) -> None:
    """未纳入 / 风险已消除 → 线索 by the town's move, with what the village must do next as its 审核意见 (the
    department and the risk type; the fact and the person stay out of the village's returned copy)."""
    check_move(hh, DEPARTMENT_LEAD, TOWN)
    risk = w.risk_type or TEXT["dept.no_risk_type"]
    source = w.lead_source or LEAD_SOURCE
    opinion = TEXT["dept.lead_opinion"].format(department=w.department, risk=risk, source=source,
                                               days=config.rules.workflow.notice_min_days)
    said = TEXT["workflow.decided_comment"].format(comment=d.comment) if d.comment else ""
    accepted = w.lead_date if w.lead_date is not None and w.lead_date <= day else None
    transition(store.moves, hh, DEPARTMENT_LEAD, TOWN, at=now, person=d.person, source_sha256=sha256,
               comment=TEXT["dept.lead_comment"].format(department=w.department, risk=risk, comment=said),
               decided_on=day, opinion=opinion, lead_date=accepted)
    values: dict[str, object] = {"lead_source": source}
    if accepted is not None:
        values["accepted_date"] = accepted  # the list's 受理日期: the 15-day clock runs from it
    risks = [hh.data.get(k) for k in RISK_KEYS]
    if w.risk_type and w.risk_type not in risks and None in risks:
        values[RISK_KEYS[risks.index(None)]] = w.risk_type
    store.households.set_values(hh.id, values, at=now)
    if hh.household_no is None:
        store.households.assign_number(hh.id, provisional_no(store, config), provisional=True)
