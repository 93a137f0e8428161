"""The town's 省系统录入 sheet read back (录入结论 已录入 / 暂未录入, 国家户编号, 录入人, 录入日期) and applied like the
other decisions: the row token must be one the system wrote into this town's workbook, for the district decision
still waiting to be entered, over what the row showed. 已录入 records who entered it and when (an event), and the
国家户编号 typed replaces a provisional LS… number everywhere (the ledger's 户编号: the village's next returned
copy and the master show it); 暂未录入 is recorded and keeps the row."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..decision_sheet import (
    ENTERED,
    ENTRY_CHOICES,
    ENTRY_COLUMNS,
    ENTRY_SHEET,
    entry_issued_for,
    parse_entry_token,
)
from ..decisions import DecisionRow, note_refused_row, read_table
from ..ledger_tokens import entry_digest, ledger_secret
from ..messages import TEXT
from ..normalize import clean_text, is_provisional_no
from ..workflow import AGREE, ASSISTING, DISTRICT, ELIMINATED, TOWN

if TYPE_CHECKING:
    from ..store import EntryDue, Store

log = logging.getLogger(__name__)

# the district decisions the town enters into the provincial system: identified (区级认定 同意 → 帮扶中) and risk
# eliminated (区级审批 同意 → 风险已消除)
ENTER_INTO = (ASSISTING, ELIMINATED)
MATTERS = {ASSISTING: "纳入监测", ELIMINATED: "风险消除"}
# what a 国家户编号 looks like, leniently: 10 to 22 ASCII digits (full-width digits and spaces are normalised
# first); the national system's 户编号 is all digits, its length not fixed here (exports show 14 to 18)
NATIONAL_NO = re.compile(r"[0-9]{10,22}")
NUMBER_DIGITS = 15  # Excel keeps 15 significant digits of a number: a longer 户编号 stored as one lost some


@dataclass
class EntryResult:
    applied: int = 0
    entered: int = 0
    numbers: int = 0  # provisional numbers replaced by the national one
    refused: list[str] = field(default_factory=list)
    villages: set[tuple[str, str]] = field(default_factory=set)  # whose returned copies now show a new 户编号


def due(store: Store, *, town: str | None = None) -> list[EntryDue]:
    """The district's decisions not yet marked entered into the provincial system (of one town, or all)."""
    return store.provincial.due(level=DISTRICT, action=AGREE, into=ENTER_INTO, entered=ENTERED, town=town)


def matter(e: EntryDue) -> str:
    return MATTERS.get(e.decided_into, e.decided_into)


def read_entries(path: Path) -> list[DecisionRow]:
    """The 省系统录入 rows of a saved town workbook where a 录入结论 was chosen (none in a workbook written before
    the sheet existed). Raises decisions.Unreadable when its 录入结论 or hidden 行令牌 column is gone."""
    return read_table(path, ENTRY_SHEET, ENTRY_COLUMNS, missing_ok=True) or []


def national_number(d: DecisionRow) -> tuple[str, str | None]:
    """(the 国家户编号 typed, why it cannot be one or None)."""
    raw = d.raw_comment
    if isinstance(raw, float) and abs(raw) >= 10 ** NUMBER_DIGITS:
        return clean_text(raw), TEXT["entry.number_as_number"].format(column=ENTRY_COLUMNS.comment)
    text = clean_text(raw).replace(" ", "")
    if not text:
        return "", None
    if is_provisional_no(text):
        return text, TEXT["entry.number_provisional"].format(number=text, column=ENTRY_COLUMNS.comment)
    if not NATIONAL_NO.fullmatch(text):
        return text, TEXT["entry.number_shape"].format(number=text, column=ENTRY_COLUMNS.comment)
    return text, None


def apply_entries(store: Store, rows: list[DecisionRow], *, town: str, sha256: str, file_name: str,
                  today: dt.date | None = None, now: dt.datetime | None = None) -> EntryResult:
    """Check each 录入结论 against the ledger and apply the valid ones in one transaction; a refused one is a note
    in the next copy of the town's workbook. An answer without a date counts for `today`."""
    result = EntryResult()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    today = today or now.date()
    seen: set[int] = set()
    with store.atomic():
        waiting = {e.household_id: e for e in due(store, town=town)}
        for d in rows:
            token = parse_entry_token(d.token)
            if token is not None and token.household_id in seen:
                refusal: str | None = TEXT["entry.repeated"]
            else:
                refusal = _apply_one(store, d, waiting, town=town, sha256=sha256, now=now, today=today,
                                     result=result)
                if refusal is None and token is not None:
                    seen.add(token.household_id)
            if refusal:
                note_refused_row(store, result.refused, d, sheet=ENTRY_SHEET, reason=refusal, town=town, now=now)
    log.info(TEXT["entry.log"], file_name, result.applied, len(result.refused), result.numbers)
    return result


def _apply_one(store: Store, d: DecisionRow, waiting: dict[int, EntryDue], *, town: str, sha256: str,
               now: dt.datetime, today: dt.date, result: EntryResult) -> str | None:
    if d.decision not in ENTRY_CHOICES:
        return TEXT["decision.not_a_choice"].format(decision=d.decision, choices="、".join(ENTRY_CHOICES))
    token = parse_entry_token(d.token)
    if token is None:
        return TEXT["decision.token_broken"]
    hh = store.households.get(token.household_id)
    decision = store.provincial.decision(token.version)
    if hh is None or decision is None or decision.household_id != hh.id:
        return TEXT["decision.token_invalid"]
    secret = ledger_secret(store)
    label = TEXT["decision.household"].format(village=hh.village, head=hh.head_name or "")
    if not entry_issued_for(secret, token, town):
        if entry_issued_for(secret, token, hh.town):  # a row copied from another town's workbook: not named here
            return TEXT["decision.other_town"].format(label=TEXT["entry.this_row"], town=town)
        return TEXT["decision.token_invalid"]
    e = waiting.get(hh.id)
    if e is None:
        return TEXT["entry.not_waiting"].format(label=label)
    if e.decision_id != token.version:  # a newer decision of the district (eliminated after identified)
        return TEXT["entry.newer_decision"].format(label=label, matter=matter(e), date=e.decided_on)
    if token.digest != entry_digest(store, e):  # the household's 户编号, name or ID changed since the row was written
        return TEXT["entry.changed"].format(label=label)
    if not d.person:
        return TEXT["entry.missing"].format(label=label, decision=d.decision,
                                            what=TEXT["decision.missing_person"].format(column=ENTRY_COLUMNS.person))
    day = d.date or today
    number, wrong = national_number(d)
    if d.decision == ENTERED:
        if wrong:
            return TEXT["entry.number_refused"].format(label=label, reason=wrong)
        if not number and (hh.provisional or not hh.household_no):
            return TEXT["entry.missing"].format(label=label, decision=d.decision, what=TEXT["entry.missing_number"]
                                                .format(column=ENTRY_COLUMNS.comment, number=hh.household_no or ""))
        others = [h for h in store.provincial.number_holders(number) if h != hh.id] if number else []
        if others:
            other = store.households.get(others[0])
            assert other is not None
            return TEXT["entry.number_taken"].format(label=label, number=number, column=ENTRY_COLUMNS.comment,
                                                     other=TEXT["decision.household"].format(
                                                         village=other.village, head=other.head_name or ""))
        if number and number != hh.household_no:
            store.households.assign_number(hh.id, number, provisional=False)
            result.numbers += 1
            result.villages.add((hh.town, hh.village))
        result.entered += 1
    if d.decision == ENTERED:
        replaced = TEXT["entry.event_number"].format(before=hh.household_no or "", number=number) \
            if number and number != hh.household_no else ""
        comment = TEXT["entry.event"].format(matter=matter(e), date=e.decided_on, number=replaced)
    else:
        comment = TEXT["entry.event_not_yet"].format(matter=matter(e), date=e.decided_on)
    store.provincial.record_entry(household_id=hh.id, action=d.decision, level=TOWN, at=now, person=d.person,
                                  day=day, source_sha256=sha256, comment=comment)
    result.applied += 1
    return None
