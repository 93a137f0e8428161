"""Town and district decisions read back from the workbooks the system wrote.

A decision counts only from the right level's workbook (town decisions from that town's 镇级核查表,
district decisions from the 区级总台账), only for a household of that town, and only if the row's
hidden token still matches the household's current state and version. Everything else is refused
with a message that appears in the next copy of that workbook (every field left empty named at once);
a refused row of a household still waiting there keeps what was typed (store.drafts), shown again in
that row of the next copy. All decisions of one workbook are applied in one transaction together with
their audit records.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .decision_sheet import ANY_CHOICE, CHOICES, COLUMNS, SHEETS, TOKEN_HEADER, DecisionColumns, parse_token
from .errors import TransitionRefused, UnreadableFile
from .idcard import mask_id
from .ledger_tokens import current, token_ever_valid
from .messages import TEXT
from .normalize import clean_text, norm_header, parse_date, plain_text
from .read import sheet_rows
from .workflow import CLOSE, DECIDER, DISTRICT_REDUCE, REJECT, RETURN, TOWN, TOWN_REDUCE, check_move, transition

if TYPE_CHECKING:  # a worker reading files loads no SQLAlchemy
    from .store import HouseholdRow, Store

log = logging.getLogger(__name__)


@dataclass
class DecisionRow:
    row: int
    decision: str
    comment: str
    person: str
    date: dt.date | None
    token: str
    name: str
    number: str = ""  # the row's 户编号 (a refused row is named by its household, never by its row number)
    raw_comment: object = None  # the second column's cell as read (省系统录入's 国家户编号: a number cell loses digits)


@dataclass
class DecisionResult:
    applied: int = 0
    refused: list[str] = field(default_factory=list)
    villages: set[tuple[str, str]] = field(default_factory=set)


class Unreadable(Exception):
    """A saved decision workbook whose structure was changed so its decisions cannot be identified."""


def read_decisions(path: Path, level: str) -> list[DecisionRow]:
    """Rows of the decision sheet where a decision was chosen (calamine; no openpyxl).

    Raises Unreadable when the sheet, its header or its hidden 行令牌 column is gone."""
    rows = read_table(path, SHEETS[level], COLUMNS[level])
    assert rows is not None
    return rows


def read_table(path: Path, sheet_name: str, wanted: DecisionColumns, *,
               missing_ok: bool = False) -> list[DecisionRow] | None:
    """The chosen rows of one decision table of a workbook we wrote: its four decision columns, the hidden
    行令牌 and 户主姓名. A missing sheet is Unreadable — or None with `missing_ok` (a workbook written before
    the sheet existed); a missing decision or token column is Unreadable. The sheet is read with the reader's
    guards (run it in a worker: the bytes are untrusted)."""
    try:
        rows = sheet_rows(Path(path), sheet_name)
    except UnreadableFile as exc:
        raise Unreadable(str(exc)) from exc
    if rows is None:
        if missing_ok:
            return None
        raise Unreadable(TEXT["decision.no_sheet"].format(sheet=sheet_name))
    header_idx, cols = None, {}
    for i, row in enumerate(rows[:40]):
        names = {norm_header(v): c for c, v in enumerate(row)}
        if norm_header(wanted.decision) in names:
            header_idx = i
            cols = {k: names.get(norm_header(h)) for k, h in wanted._asdict().items()}
            cols["token"] = names.get(TOKEN_HEADER)
            cols["name"] = names.get("户主姓名")
            cols["number"] = names.get("户编号")
            break
    if header_idx is None:
        raise Unreadable(TEXT["decision.no_column"].format(sheet=sheet_name, column=wanted.decision))
    if cols["token"] is None:
        raise Unreadable(TEXT["decision.no_token"].format(sheet=sheet_name, token=TOKEN_HEADER))
    out = []

    def cell(row: list[object], key: str) -> object:
        c = cols.get(key)
        return row[c] if c is not None and c < len(row) else None

    for i in range(header_idx + 1, len(rows)):
        row = rows[i]
        decision = clean_text(cell(row, "decision"))
        if not decision:
            continue
        out.append(DecisionRow(row=i + 1, decision=decision, comment=plain_text(cell(row, "comment")),
                               person=plain_text(cell(row, "person")), date=parse_date(cell(row, "date")),
                               token=clean_text(cell(row, "token")), name=plain_text(cell(row, "name")),
                               number=plain_text(cell(row, "number")), raw_comment=cell(row, "comment")))
    return out


def note_unreadable(store: Store, *, level: str, town: str | None, sha256: str, file_name: str, reason: str,
                    now: dt.datetime | None = None) -> str:
    """Record that a saved decision workbook could not be read, with a note in its next copy."""
    text = TEXT["decision.unreadable"].format(file=file_name, reason=reason)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with store.atomic():
        store.submissions.add(sha256=sha256, kind="town_review" if level == TOWN else "master", status="decisions",
                              file_name=file_name, received_at=now, town=town, message=text)
        store.notes.add(at=now, level=level, town=town if level == TOWN else None, message=text)
    return text


def apply_decisions(store: Store, rows: list[DecisionRow], *, level: str, town: str | None, sha256: str,
                    file_name: str, today: dt.date | None = None, now: dt.datetime | None = None,
                    approvers: frozenset[str] | None = None) -> DecisionResult:
    """Check each decision against the ledger and apply the valid ones, all in one transaction.

    A decision without a date counts for `today` (the processing day). With `approvers` (区级设置's list for
    this town or the district), a decision by anybody else is refused."""
    result = DecisionResult()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    today = today or now.date()
    seen: set[str] = set()
    kept: set[int] = set()  # households whose refused row was kept: the first of its rows in the workbook
    with store.atomic():
        # what this workbook says replaces what the previous one left typed (a row emptied is forgotten too)
        store.drafts.clear(level=level, town=town)
        for d in rows:
            token = parse_token(d.token)
            hid = str(token.household_id) if token else ""
            if hid and hid in seen:
                result.refused.append(TEXT["decision.row"].format(who=row_who(d), reason=TEXT["decision.repeated"]))
                continue
            refusal = _apply_one(store, d, level=level, town=town, sha256=sha256, now=now, today=today,
                                 result=result, approvers=approvers)
            if refusal is None:
                seen.add(hid)
            if refusal:
                who = row_who(d, refusal.about)
                result.refused.append(TEXT["decision.row"].format(who=who, reason=refusal.text))
                if refusal.household is not None and refusal.household.id not in kept:
                    kept.add(refusal.household.id)
                    _keep_typed(store, d, refusal, level=level, now=now)
        who = "镇级核查表" if level == TOWN else "区级总台账"
        refused = TEXT["decision.summary_refused"].format(n=len(result.refused)) if result.refused else ""
        message = TEXT["decision.summary"].format(who=who, applied=result.applied, refused=refused)
        store.submissions.add(sha256=sha256, kind="town_review" if level == TOWN else "master",
                              status="decisions", file_name=file_name, received_at=now, town=town,
                              message=message + ("：" + "；".join(result.refused) if result.refused else ""))
        for text in result.refused:
            store.notes.add(at=now, level=level, town=town if level == TOWN else None, message=text)
    return result


@dataclass(frozen=True)
class Refusal:
    """Why a decision row did not count; `household` when the row is one of a household still waiting at this
    level in this workbook (its typed values are kept), `flagged` the decision fields to fill in or change."""

    text: str
    household: HouseholdRow | None = None
    flagged: tuple[str, ...] = ()
    about: HouseholdRow | None = None  # the household the row's token names, when it names one


def row_who(d: DecisionRow, hh: HouseholdRow | None = None) -> str:
    """A refused row named by its household (户主姓名 and 户编号, or the masked ID): the next workbook has other
    row numbers."""
    name = (hh.head_name if hh is not None else None) or d.name
    number = (hh.household_no if hh is not None else None) or d.number
    if number:
        key = TEXT["decision.who_number"].format(number=number)
    elif hh is not None and hh.head_id:
        key = TEXT["decision.who_id"].format(id=mask_id(hh.head_id))
    else:
        key = ""
    if not name:
        return TEXT["decision.who_unnamed"].format(key=key)
    return TEXT["decision.who"].format(name=name, key=key)


def note_refused_row(store: Store, refused: list[str], d: DecisionRow, *, sheet: str, reason: str, town: str,
                     now: dt.datetime) -> None:
    """A row of a town's own sheet (部门预警, 省系统录入) refused: said in the result, and a note in the next copy
    of the town's workbook."""
    text = TEXT["dept.decision_row"].format(sheet=sheet, who=row_who(d), reason=reason)
    refused.append(text)
    store.notes.add(at=now, level=TOWN, town=town, message=text)


def _apply_one(store: Store, d: DecisionRow, *, level: str, town: str | None, sha256: str, now: dt.datetime,
               today: dt.date, result: DecisionResult, approvers: frozenset[str] | None = None) -> Refusal | None:
    token = parse_token(d.token)
    hh = store.households.get(token.household_id) if token is not None else None
    if hh is not None and token is not None and not token_ever_valid(store, hh, token):
        hh = None
    mine = hh is not None and token is not None and (town is None or hh.town == town)
    about = hh if mine else None  # named in a note only in its own town's workbook
    waiting = mine and hh is not None and token is not None and hh.version == token.version \
        and DECIDER.get(hh.state) == level and hh.on_file and current(store, hh, token)
    here = hh if waiting else None  # a row this workbook may decide: what was typed in it is kept when refused
    if d.decision not in ANY_CHOICE:  # another level's choice is refused below, with that level named
        return Refusal(TEXT["decision.not_a_choice"].format(decision=d.decision, choices="、".join(CHOICES[level])),
                       here, ("decision",), about=about)
    if token is None:
        return Refusal(TEXT["decision.token_broken"])
    if hh is None:
        return Refusal(TEXT["decision.token_invalid"])
    label = TEXT["decision.household"].format(village=hh.village, head=hh.head_name or "")
    if hh.version != token.version:
        return Refusal(TEXT["decision.stale"].format(label=label, state=hh.state), about=about)
    if town is not None and hh.town != town:
        return Refusal(TEXT["decision.other_town"].format(label=label, town=town))
    if DECIDER.get(hh.state) != level:
        return Refusal(TEXT["decision.wrong_level"].format(label=label, state=hh.state, level=level), about=about)
    if not hh.on_file:
        return Refusal(TEXT["decision.removed"].format(label=label), about=about)
    if here is None:  # the village's newer file changed what the row showed (figures, members, phone, 备注…)
        return Refusal(TEXT["decision.changed"].format(label=label), about=about)
    if d.decision not in (RETURN, CLOSE) and hh.assessment.get("proposed", False) is None \
            and hh.state not in (TOWN_REDUCE, DISTRICT_REDUCE):
        # not judged on invalid input (自然减少 does not rest on the 研判)
        return Refusal(TEXT["decision.unknown"].format(label=label, decision=d.decision), here, ("decision",),
                       about=about)
    missing = _missing(d, level)
    if missing:
        names = COLUMNS[level]
        what = [TEXT["decision.missing_reason"].format(column=names.comment) if key == "comment"
                else TEXT["decision.missing_person"].format(column=names.person) for key in missing]
        return Refusal(TEXT["decision.missing"].format(label=label, decision=d.decision, what="、".join(what)),
                       here, missing, about=about)
    if approvers is not None and d.person not in approvers:
        return Refusal(TEXT["decision.not_an_approver"].format(label=label, who=COLUMNS[level].person,
                                                               person=d.person), here, ("person",), about=about)
    try:
        check_move(hh, d.decision, level)
    except TransitionRefused as exc:
        return Refusal(str(exc), here, ("decision",), about=about)
    transition(store.moves, hh, d.decision, level, at=now, person=d.person or None, source_sha256=sha256,
               comment=d.comment or None, decided_on=d.date or today)
    result.applied += 1
    result.villages.add((hh.town, hh.village))
    return None


def _missing(d: DecisionRow, level: str) -> tuple[str, ...]:
    """The fields a decision needs and the row left empty: the reason of a 退回/不予认定/不予纳入, the person
    (always)."""
    out = []
    if d.decision in (RETURN, REJECT, CLOSE) and not d.comment:
        out.append("comment")
    if not d.person:
        out.append("person")
    return tuple(out)


def _keep_typed(store: Store, d: DecisionRow, refusal: Refusal, *, level: str, now: dt.datetime) -> None:
    hh = refusal.household
    assert hh is not None
    store.drafts.keep(level=level, household_id=hh.id, town=hh.town, version=hh.version, decision=d.decision,
                      comment=d.comment or None, person=d.person or None, decided_on=d.date,
                      flagged=refusal.flagged, at=now)


def pending_notes(store: Store, *, level: str, town: str | None) -> list[str]:
    return store.notes.pending(level=level, town=town)


def mark_notes_shown(store: Store, *, level: str, town: str | None) -> None:
    with store.atomic():
        store.notes.mark_shown(level=level, town=town, at=dt.datetime.now().replace(microsecond=0))
