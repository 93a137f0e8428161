"""What the ledger says of each household, in the words shown in 流程状态 and 审核意见 columns."""

from __future__ import annotations

import datetime as dt
import sqlite3

from .config import Config
from .issues import Issue, make_issue
from .ledger import HouseholdRow, Ledger
from .workflow import (ASSISTING, DISTRICT_APPROVE, DISTRICT_CONFIRM, ELIMINATED, LEAD, NOT_INCLUDED, REMOVED,
                       TOWN_ACCEPT, TOWN_CHECK)
from .writers.feedback import Status


def opinion_text(row: HouseholdRow, config: Config) -> str:
    """审核意见: the recorded opinion (a 退回 reason…) or what happens next, in plain words."""
    days = config.rules.workflow.notice_min_days
    if row.opinion and row.state in (LEAD, ASSISTING, NOT_INCLUDED):
        return row.opinion
    return {
        LEAD: f"建议纳入监测：请组织民主评议并公示满{days}天，把评议公示情况填入台账提交；公示结束后（农户须已签承诺授权）"
              "系统自动报镇核查",
        TOWN_CHECK: "村级评议公示已完成，等待镇里核查",
        DISTRICT_CONFIRM: "镇里核查同意，等待区乡村振兴局认定",
        ASSISTING: f"{row.identified_date or ''} 纳入监测，请落实帮扶措施".strip(),
        TOWN_ACCEPT: "风险消除评议公示已完成，等待镇里验收",
        DISTRICT_APPROVE: "镇里验收同意，等待区乡村振兴局审批",
        ELIMINATED: f"{row.eliminated_date or ''} 风险已消除".strip(),
        NOT_INCLUDED: row.opinion or "研判暂不纳入监测",
    }.get(row.state, row.opinion)


def state_text(row: HouseholdRow) -> str:
    return row.state if row.on_file else REMOVED


def statuses(ledger: Ledger, config: Config, *, town: str, village: str, as_of: dt.date) -> dict[str, Status]:
    """户主身份证号 → Status for one village's current households (帮扶中 ones with their elimination研判)."""
    from .alerts import elimination_candidates

    rows = ledger.households(town=town, village=village)
    elimination = {c.row.id: c for c in elimination_candidates(ledger, config, rows, as_of)}
    out: dict[str, Status] = {}
    for row in rows:
        identified = dt.date.fromisoformat(row.identified_date) if row.identified_date else None
        opinion = opinion_text(row, config)
        cand = elimination.get(row.id)
        if cand is not None:  # every 帮扶中 household is told where it stands on risk elimination
            opinion = f"{opinion}；风险消除研判：{cand.reason}"
        out[row.head_id] = Status(state=state_text(row), opinion=opinion,
                                  household_no=row.household_no if row.provisional else None,
                                  identified=identified)
    return out


def conflict_issues(ledger: Ledger, *, town: str, village: str) -> list[Issue]:
    """A person in the current files of two villages: an error on the member's row, in both villages."""
    issues = []
    seen: set[tuple[str | None, int | None, str]] = set()
    for r in ledger.person_conflicts(town=town, village=village):
        key = (r["sheet"], r["row"], r["person_id"])
        if key in seen:
            continue
        seen.add(key)
        issues.append(make_issue("PERSON_OTHER_VILLAGE", sheet=r["sheet"], row=r["row"], column="身份证号",
                                 value=r["person_id"], other=f"{r['other_town']}{r['other_village']}"))
    return issues


def stored_issues(rows: list[sqlite3.Row], codes: frozenset[str]) -> list[Issue]:
    return [Issue(code=r["code"], severity=r["severity"], sheet=r["sheet"], row=r["row"], column=r["column_name"],
                  value=r["value"], message=r["message"], hint=r["hint"]) for r in rows if r["code"] in codes]
