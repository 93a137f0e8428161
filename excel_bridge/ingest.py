"""Apply one checked village file to the ledger in one transaction: all of its effect or none.

A newer file from a village replaces that village's current rows. A monitored household missing from it
stays in its state, flagged (预警, and a hint in the returned copy) until the village states its 减少原因
(自然减少, decided by the town and the district); a household not monitored that is missing (or given a
减少原因) is marked 已移出 (kept, with history), never deleted. New households start as 线索 / 未纳入 / 帮扶中 per
their assessment; the system moves 未纳入 ↔ 线索 when new data changes the proposal; the village step
(评议公示 passed) moves a lead to the town. Problems found here become issues of the same submission.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .check import CheckResult
from .config import Config
from .follow_up import CHANGED_ON, contact_issues, row_changed
from .idcard import mask_id
from .issues import Issue, make_issue
from .member_changes import LEFT, member_changes
from .messages import TEXT, show
from .normalize import PROVISIONAL_PREFIX, is_provisional_no
from .rules import Assessment
from .validate import Record
from .village_step import lead_channel, marked_not_proposed, village_step
from .workflow import (
    ABSENT_SINCE,
    ASSISTING,
    DEPARTMENT_LEAD,
    DISTRICT_CONFIRM,
    DISTRICT_REDUCE,
    ELIMINATED,
    LEAD,
    MONITORED,
    NOT_INCLUDED,
    NOT_PROPOSED,
    READMIT,
    REDUCE,
    REDUCIBLE,
    REJECT,
    REMOVED,
    RETURN,
    SYSTEM,
    TOWN_CHECK,
    TOWN_REDUCE,
    VILLAGE,
    Move,
    identified_category,
    initial_state,
    transition,
    transition_many,
)

if TYPE_CHECKING:  # a worker reading files loads no SQLAlchemy
    from .store import HouseholdRow, Store, Submission

# Issues that come from the ledger (state, other villages, the identified date, a monitored household the file
# left out), not from checking the file alone; everything the file alone shows is found by check.check_parsed,
# in `check` and here alike.
LEDGER_CODES = frozenset({"PERSON_OTHER_VILLAGE", "ELIMINATION_NOT_READY", "IMPORT_NEEDS_NUMBER",
                          "MONITORED_MISSING", "CONTACT_MISSING", "CONTACT_TO_FILL", "MEMBER_LEFT_NO_REASON",
                          "MEMBER_JOINED_NO_REASON"})


@dataclass
class HouseholdPayload:
    row: int
    sheet: str
    head_id: str | None
    household_no: str | None
    head_name: str | None
    village: str | None
    data: dict[str, Any]
    assessment: dict[str, Any]
    members: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    errors: int
    warnings: int
    duplicate: bool
    invalid: list[str]
    departed: list[dict[str, Any]] = field(default_factory=list)  # 家庭成员 rows with a 减少原因


@dataclass
class FilePayload:
    """What a worker hands back for one village file: plain data, cheap to pickle."""

    sha256: str
    file_name: str
    town: str
    issues: list[Issue]
    households: list[HouseholdPayload]
    members: int
    village_hint: str | None


def _record_dict(rec: Record) -> dict[str, Any]:
    out = dict(rec.values)
    out["_sheet"], out["_row"] = rec.sheet, rec.row
    if rec.invalid:
        out["_invalid"] = sorted(rec.invalid)
    return out


def assessment_dict(a: Assessment | None) -> dict[str, Any]:
    if a is None:
        return {}
    return {"results": a.results, "holds": a.holds, "proposed": a.proposed, "category": a.category,
            "risk_types": a.risk_types, "priority": a.priority, "assistance": a.assistance, "scope": a.scope,
            "has_labour": a.has_labour, "unknown_inputs": a.unknown_inputs}


def payload_from(result: CheckResult, town: str) -> FilePayload:
    """Reduce a CheckResult to what the ledger stores (runs in the worker process)."""
    assert result.parsed is not None and result.sha256 is not None
    counts = result.counts_by_household()
    meta_village = result.parsed.data.meta.get("村") or None
    households = []
    for hh, a in result.pairs():
        data = dict(hh.values)
        data["_per_capita_income"] = hh.per_capita_income
        data["_line"] = hh.line
        if hh.invalid:  # the rules run again on the ledger's copy (elimination): it must know what was invalid
            data["_invalid"] = sorted(hh.invalid)
        errors, warnings = counts.get(hh.row, (0, 0))
        households.append(HouseholdPayload(
            row=hh.row, sheet=hh.sheet, head_id=hh.head_id, household_no=hh.get("household_no"),
            head_name=hh.get("head_name"), village=hh.get("village") or meta_village, data=data,
            assessment=assessment_dict(a), members=[_record_dict(m) for m in hh.members],
            measures=[_record_dict(m) for m in hh.measures], reviews=[_record_dict(r) for r in hh.reviews],
            errors=errors, warnings=warnings, duplicate=hh.duplicate, invalid=sorted(hh.invalid),
            departed=[_record_dict(m) for m in hh.departed]))
    return FilePayload(sha256=result.sha256, file_name=result.path.name, town=town, issues=list(result.issues),
                       households=households, members=len(result.parsed.members), village_hint=meta_village)


def unplaced(hp: HouseholdPayload) -> bool:
    """A household whose village is not one its town lists (a typo): nothing of it is recorded."""
    return "village" in hp.invalid


@dataclass
class Applied:
    submission_id: int
    villages: set[tuple[str, str]] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)  # issues found while applying (ledger codes)
    removed: int = 0
    created: int = 0
    absent: int = 0  # monitored households the file left out: kept in their state, flagged


def _find(existing: list[HouseholdRow], hp: HouseholdPayload, taken: set[int]) -> HouseholdRow | None:
    if hp.household_no:
        for row in existing:
            if row.id not in taken and row.household_no == hp.household_no:
                return row
    if hp.head_id:
        for row in existing:
            if row.id not in taken and row.head_id == hp.head_id:
                return row
    if hp.head_id is None and hp.head_name:  # an ID typo must not make a household look removed
        for row in existing:
            if row.id not in taken and row.head_name == hp.head_name:
                return row
    return None


def provisional_no(store: Store, config: Config) -> str:
    """The next provisional 户编号 of a lead not yet in the national system (LS<district code><6 digits>)."""
    return provisional_nos(store, config, 1)[0]


def provisional_nos(store: Store, config: Config, n: int) -> list[str]:
    return [f"{PROVISIONAL_PREFIX}{config.settings.district_code}{k:06d}" for k in store.meta.next_counters("provisional_no", n)]


class AlreadyApplied(Exception):
    """The content was applied (by another process) after the pass looked: nothing was applied again."""

    def __init__(self, previous: Submission) -> None:
        super().__init__(previous.id)
        self.previous = previous


def apply_village_file(store: Store, payload: FilePayload, config: Config, *, as_of: dt.date,
                       received_at: dt.datetime, archived_path: str) -> Applied:
    """Apply a checked village file in one transaction; raises (and changes nothing) on any failure."""
    at = received_at.replace(microsecond=0)
    with store.atomic():
        # checked again here, in the transaction that applies it: however many processes run, a content is
        # applied once (the pass's check before reading may be stale by now)
        store.submissions.claim(payload.sha256, payload.town)
        previous = store.submissions.repeated(payload.sha256, town=payload.town)
        if previous is not None:
            raise AlreadyApplied(previous)
        placed = [hp for hp in payload.households if hp.village and not unplaced(hp)]
        villages = sorted({hp.village for hp in placed if hp.village})
        sub_id = store.submissions.add(
            sha256=payload.sha256, kind="village", status="applied", file_name=payload.file_name,
            received_at=at, town=payload.town, archived_path=archived_path,
            villages=villages or ([payload.village_hint] if payload.village_hint else []))
        applied = Applied(submission_id=sub_id)
        by_village: dict[str, list[HouseholdPayload]] = defaultdict(list)
        for hp in placed:
            if hp.village and not hp.duplicate:
                by_village[hp.village].append(hp)
        for village, rows in by_village.items():
            applied.villages.add((payload.town, village))
            _apply_village(store, payload, config, village, rows, sub_id, at, as_of, applied)
        all_issues = [*payload.issues, *applied.issues]
        errors = sum(1 for i in all_issues if i.severity == "error")
        store.submissions.add_issues(sub_id, all_issues)
        store.submissions.set_counts(sub_id, errors=errors, warnings=len(all_issues) - errors,
                                     households=len(payload.households), members=payload.members)
    return applied


def _apply_village(store: Store, payload: FilePayload, config: Config, village: str,
                   rows: list[HouseholdPayload], sub_id: int, at: dt.datetime, as_of: dt.date,
                   applied: Applied) -> None:
    town = payload.town
    existing = store.households.list(town=town, village=village)
    taken: set[int] = set()
    to_fill = {(i.sheet, i.row) for i in payload.issues if i.code == "PREFILL_TO_FILL"}  # pre-filled, not filled yet
    kept: list[tuple[HouseholdRow | None, HouseholdPayload, HouseholdRow | None]] = []  # now, the file's, before
    new: list[int] = []  # where in `kept` a household the ledger did not have goes (all created at once below)
    for hp in rows:
        match = _find(existing, hp, taken)
        if match is not None:
            taken.add(match.id)
            if hp.head_id is None:
                continue  # kept on file unchanged until the clerk fixes the head's ID
            if reduction(hp) and not match.on_file:
                continue  # gone (by 自然减少, or not monitored): the row kept with its 减少原因 changes nothing
            _stamp_change(hp, match, as_of)
            kept.append((None, hp, match))  # updated below, all at once
        elif hp.head_id is not None and not reduction(hp):  # a household never recorded, listed as gone: nothing
            _stamp_change(hp, None, as_of)
            new.append(len(kept))
            kept.append((None, hp, None))
    updated = _update(store, town, village, [(before, hp) for _, hp, before in kept if before is not None], sub_id,
                      at, payload.sha256)
    kept = [(updated[before.id] if before is not None else None, hp, before) for _, hp, before in kept]
    created = _create(store, config, town, village, [kept[i][1] for i in new], sub_id, at, payload.sha256, applied,
                      as_of)
    for i, hh in zip(new, created, strict=True):
        kept[i] = (hh, kept[i][1], None)
    applied.created += len(created)
    households = [(hh, hp, before) for hh, hp, before in kept if hh is not None]  # all of them, now created
    people = store.households.people_in(town, village) if any(before for _, _, before in households) else {}
    store.households.replace_children_of(town=town, village=village, children=[
        (hh.id, hp.members, hp.measures, hp.reviews) for hh, hp, _ in households], created={hh.id for hh in created})
    # the village step's moves are the last thing done to each household here: they are written together, and
    # before anything else the loop writes, so every event keeps the order it has when written one by one
    stepped: list[Move] = []

    def write_steps() -> None:
        transition_many(store.moves, stepped)
        stepped.clear()

    for hh, hp, before in households:
        if reduction(hp):
            write_steps()
            applied.removed += _reduce(store, hh, hp, before, at, payload.sha256, as_of)
            continue
        if before is not None:
            _members_changed(store, config, hh, hp, people.get(hh.id, {}), at, payload.sha256, as_of, applied,
                             before_write=write_steps)
        if hh.state == REMOVED:  # listed again after its 自然减少 was approved: judged again like a new household
            write_steps()
            transition(store.moves, hh, READMIT, SYSTEM, at=at, source_sha256=payload.sha256,
                       comment=TEXT["ingest.readmit"], decided_on=as_of)
            hh = _get(store, hh.id)
        hh = _system_moves(store, config, hh, hp, at, payload.sha256, as_of, before=before, before_write=write_steps)
        applied.issues.extend(contact_issues(config, hh.state, hp.data, sheet=hp.sheet, row=hp.row,
                                             still_to_fill=(hp.sheet, hp.row) in to_fill))
        applied.issues.extend(village_step(store, config, hh, as_of=as_of, at=at, sha256=payload.sha256,
                                           reviews=hp.reviews, new=before is None, moves=stepped))
    write_steps()
    for row in existing:
        if row.id not in taken and row.on_file:
            if row.state in MONITORED:
                _absent(store, row, at, payload.sha256, as_of, applied)
                continue
            _remove(store, row.id, at, payload.sha256, TEXT["ingest.removed"])
            applied.removed += 1


def _stamp_change(hp: HouseholdPayload, before: HouseholdRow | None, as_of: dt.date) -> None:
    """The day the household's row last changed (定期信息采集): today for a new or changed row, else the day kept
    (a row recorded before the ledger kept it: its last update, never earlier than the truth)."""
    if before is not None and not row_changed(before.data, hp.data, {"household_no": before.household_no,
                                                                     "identified_date": before.identified_date}):
        hp.data[CHANGED_ON] = before.data.get(CHANGED_ON) or before.updated_at.date().isoformat()
    else:
        hp.data[CHANGED_ON] = as_of.isoformat()


def _members_changed(store: Store, config: Config, hh: HouseholdRow, hp: HouseholdPayload,
                     before: dict[str, str | None], at: dt.datetime, sha: str, as_of: dt.date,
                     applied: Applied, *, before_write: Callable[[], None] = lambda: None) -> None:
    """Each member who left or joined the household since its last accepted file: an event in its history, and a
    hint in the returned copy where the file does not say why (member_changes.py). `before_write`: called before
    an event is written."""
    changes = member_changes(before, hp.members, hp.departed)
    if changes:
        before_write()
    for c in changes:
        masked = mask_id(c.person_id)
        given = TEXT["ingest.member_reason"].format(reason=c.reason) if c.reason else TEXT["ingest.member_no_reason"]
        when = TEXT["ingest.member_date"].format(date=c.day.isoformat()) if c.day else ""
        left = c.kind == LEFT
        store.events.record(household_id=hh.id, event="member_left" if left else "member_joined", level=VILLAGE,
                            at=at, source_sha256=sha, effective_date=c.day or as_of,
                            comment=TEXT["ingest.member_left" if left else "ingest.member_joined"].format(
                                name=c.name, masked=masked, reason=given, date=when))
        if c.reason:
            continue
        if left:
            applied.issues.append(make_issue("MEMBER_LEFT_NO_REASON", sheet=hp.sheet, row=hp.row,
                                             column=config.schemas.household.column("size").header,
                                             value=hp.data.get("size"), name=c.name, masked=masked))
        else:
            applied.issues.append(make_issue("MEMBER_JOINED_NO_REASON", sheet=c.sheet, row=c.row,
                                             column=config.schemas.member.column("join_reason").header,
                                             name=c.name))


def reduction(hp: HouseholdPayload) -> str | None:
    """The 减少原因 the village gives for a household (自然减少), if any."""
    return hp.data.get("reduce_reason") or None


def _get(store: Store, household_id: int) -> HouseholdRow:
    row = store.households.get(household_id)
    assert row is not None
    return row


def _remove(store: Store, household_id: int, at: dt.datetime, sha: str, comment: str) -> None:
    store.households.mark_removed(household_id, at=at)
    store.events.record(household_id=household_id, event="removed", level=VILLAGE, at=at, source_sha256=sha,
                        comment=comment)


def _absent(store: Store, row: HouseholdRow, at: dt.datetime, sha: str, as_of: dt.date, applied: Applied) -> None:
    """A monitored household its village's new file leaves out: it stays in its state (only 自然减少, decided by
    the town and the district, takes it out), flagged for the town and the district, and named to the village."""
    if not row.data.get(ABSENT_SINCE):
        store.households.set_values(row.id, {ABSENT_SINCE: as_of.isoformat()}, at=at)
        store.events.record(household_id=row.id, event="absent", level=VILLAGE, at=at, source_sha256=sha,
                            comment=TEXT["ingest.absent"].format(state=row.state), effective_date=as_of)
    applied.issues.append(make_issue("MONITORED_MISSING", value=row.head_name, name=row.head_name or "",
                                     masked=mask_id(row.head_id), number=row.household_no or "", state=row.state))
    applied.absent += 1


def _reduce(store: Store, hh: HouseholdRow, hp: HouseholdPayload, before: HouseholdRow | None, at: dt.datetime,
            sha: str, as_of: dt.date) -> int:
    """A household the village gives a 减少原因 for: a monitored one goes to the town as 自然减少 (once; again
    after a 退回 only when the reason or date changed); one not monitored simply goes. Returns 1 if removed."""
    reason, day = reduction(hp) or "", hp.data.get("reduce_date")
    shown = day.isoformat() if isinstance(day, dt.date) else ""
    if hh.state in REDUCIBLE:
        if not _reduction_returned_unchanged(store, hh, hp, before):
            transition(store.moves, hh, REDUCE, VILLAGE, at=at, source_sha256=sha, decided_on=as_of,
                       comment=TEXT["ingest.reduce"].format(reason=reason, date=shown),
                       opinion=TEXT["ingest.reduce_opinion"].format(reason=reason, date=shown))
        return 0
    if hh.state in MONITORED:  # already waiting for the town or the district
        return 0
    _remove(store, hh.id, at, sha, TEXT["ingest.removed_reason"].format(reason=reason))
    return 1


def _reduction_returned_unchanged(store: Store, hh: HouseholdRow, hp: HouseholdPayload,
                                  before: HouseholdRow | None) -> bool:
    """After a 退回 of its 自然减少, the household goes to the town again only when the village changed the reason
    or the date (otherwise every file would send it straight back)."""
    last = store.events.last_entry_into(hh.id, hh.state)
    if last is None or last.action != RETURN or last.from_state not in (TOWN_REDUCE, DISTRICT_REDUCE):
        return False
    if before is None:
        return False
    keys = ("reduce_reason", "reduce_date")
    return [str(before.data.get(k)) for k in keys] == [str(hp.data.get(k)) for k in keys]


def _identified(hp: HouseholdPayload) -> dt.date | None:
    value = hp.data.get("identified_date")
    return value if isinstance(value, dt.date) else None


def _create(store: Store, config: Config, town: str, village: str, hps: list[HouseholdPayload], sub_id: int,
            at: dt.datetime, sha: str, applied: Applied, as_of: dt.date) -> list[HouseholdRow]:
    """A file's households the ledger did not have, in the file's order: one statement for the households and
    one for their 'created' events (a first file of a village creates hundreds)."""
    starts: list[tuple[HouseholdPayload, dt.date | None, str]] = []
    for hp in hps:
        identified = _identified(hp)
        if identified is not None and not hp.household_no:
            # Only households already in the national system (with a 户编号) are imported as 帮扶中;
            # otherwise a typed date would skip the village, town and district steps.
            applied.issues.append(make_issue("IMPORT_NEEDS_NUMBER", sheet=hp.sheet, row=hp.row,
                                             column=config.schemas.household.column("identified_date").header,
                                             value=identified))
            identified = None
        starts.append((hp, identified, initial_state(proposed=hp.assessment.get("proposed"),
                                                     identified=identified is not None)))
    numbered = [hp.household_no is None and state != NOT_INCLUDED for hp, _, state in starts]
    provisional = iter(provisional_nos(store, config, sum(numbered)))
    rows = store.households.create_rows([dict(
        household_no=next(provisional) if needs else hp.household_no, provisional=needs, head_id=hp.head_id or "",
        head_name=hp.head_name, town=town, village=village, state=state,
        lead_date=accepted_on(hp, None, as_of) if state == LEAD else None,
        identified_date=identified, submission_id=sub_id, row=hp.row, data=hp.data, assessment=hp.assessment,
        errors=hp.errors, warnings=hp.warnings, at=at,
        category=identified_category(hp.data, hp.assessment) if state == ASSISTING else None)
        for (hp, identified, state), needs in zip(starts, numbered, strict=True)])
    store.events.record_many([dict(
        household_id=row.id, event="created", to_state=state, level=SYSTEM, at=at, source_sha256=sha,
        comment=_created_comment(state, hp), effective_date=as_of)
        for row, (hp, _, state) in zip(rows, starts, strict=True)])
    return rows


def _created_comment(state: str, hp: HouseholdPayload) -> str:
    if state == NOT_INCLUDED:
        return TEXT["ingest.created_not_included"] if hp.assessment.get("proposed") is False \
            else TEXT["ingest.created_unknown"]
    return {ASSISTING: TEXT["ingest.created_imported"], LEAD: TEXT["ingest.created_lead"]}[state]


def _update(store: Store, town: str, village: str, matched: list[tuple[HouseholdRow, HouseholdPayload]],
            sub_id: int, at: dt.datetime, sha: str) -> dict[int, HouseholdRow]:
    """The file's newer rows for the households the ledger had (in the file's order): one statement updates them
    all, one more records those back on file, one reads them back (id → the row as stored now)."""
    if not matched:
        return {}
    updates = []
    for hh, hp in matched:
        number, provisional = hh.household_no, hh.provisional
        if hp.household_no and hp.household_no != hh.household_no \
                and not (is_provisional_no(hp.household_no) and not hh.provisional and hh.household_no):
            # the national number replaces a provisional one; a provisional number still in the clerk's copy
            # (written back before the town typed the 国家户编号) never replaces the national one
            number, provisional = hp.household_no, is_provisional_no(hp.household_no)
        updates.append(dict(
            household_id=hh.id, household_no=number, provisional=provisional, head_id=hp.head_id or hh.head_id,
            head_name=hp.head_name, submission_id=sub_id, row=hp.row, data=hp.data, assessment=hp.assessment,
            errors=hp.errors, warnings=hp.warnings, identified_date=hh.identified_date or _identified(hp), at=at))
    store.households.update_many_from_file(updates)
    store.events.record_many([dict(household_id=hh.id, event="restored", level=VILLAGE, at=at, source_sha256=sha,
                                   comment=TEXT["ingest.restored"]) for hh, _ in matched if not hh.on_file])
    ids = {hh.id for hh, _ in matched}
    return {row.id: row for row in store.households.list(town=town, village=village) if row.id in ids}


def _system_moves(store: Store, config: Config, hh: HouseholdRow, hp: HouseholdPayload, at: dt.datetime,
                  sha: str, as_of: dt.date, *, before: HouseholdRow | None = None,
                  before_write: Callable[[], None] = lambda: None) -> HouseholdRow:
    """What new data makes the system do: propose a household (未纳入/风险已消除 → 线索), drop a lead the rules
    raised and no longer propose (→ 未纳入), or — rules advise, people decide — keep a lead from 自主申报, 部门 or
    信访 the rules no longer propose as a 线索 marked 研判不建议纳入 (the mark cleared when they propose it again).
    `before_write`: called before anything is written."""
    proposed = hp.assessment.get("proposed")
    action, opinion = None, None
    if hh.state in (NOT_INCLUDED, ELIMINATED) and proposed is True and not _refused_and_unchanged(store, hh, hp):
        action = "研判建议纳入"
    elif hh.state == LEAD and proposed is False and not _department_lead_unchanged(store, hh, hp, before):
        channel = lead_channel(store, hh)
        if channel is None:
            action = "研判不再建议纳入"
        elif not marked_not_proposed(store, hh):
            action, opinion = NOT_PROPOSED, TEXT["ingest.not_proposed"].format(
                reason=_not_proposed_reason(hp.data), channel=channel)
    elif hh.state == LEAD and proposed is True and hh.opinion and marked_not_proposed(store, hh):
        action, opinion = "研判建议纳入", ""
    if action is None:
        corrected = hp.data.get("accepted_date")
        if (hh.state in (LEAD, TOWN_CHECK, DISTRICT_CONFIRM) and before is not None and _accepted_changed(hp, before)
                and isinstance(corrected, dt.date) and corrected <= as_of):  # the clerk corrected 受理日期
            before_write()
            store.households.set_lead_date(hh.id, corrected)  # (emptied: the clock stays where it was)
            return _get(store, hh.id)
        return hh
    before_write()
    transition(store.moves, hh, action, SYSTEM, at=at, source_sha256=sha, decided_on=as_of, opinion=opinion,
               lead_date=accepted_on(hp, before, as_of))
    row = store.households.get(hh.id)
    assert row is not None
    if row.state == LEAD and row.household_no is None:
        store.households.assign_number(hh.id, provisional_no(store, config), provisional=True)
        row = store.households.get(hh.id)
        assert row is not None
    return row


def accepted_on(hp: HouseholdPayload, before: HouseholdRow | None, as_of: dt.date) -> dt.date:
    """The day a household becoming a lead (or a lead still on its way) was received — its 受理日期, from which the
    15-day clock runs: the date the file gives, when the clerk wrote it for this lead (new, or changed since the
    ledger's copy: an unchanged date belongs to an earlier lead) and it is not after today; else the day the file
    is applied."""
    day = hp.data.get("accepted_date")
    if not isinstance(day, dt.date) or day > as_of:
        return as_of
    if before is not None and not _accepted_changed(hp, before):
        return as_of
    return day


def _accepted_changed(hp: HouseholdPayload, before: HouseholdRow) -> bool:
    return str(hp.data.get("accepted_date")) != str(before.data.get("accepted_date"))


def _not_proposed_reason(data: dict[str, Any]) -> str:
    income, line = data.get("_per_capita_income"), data.get("_line")
    if income is not None and line is not None and income > line:
        return TEXT["ingest.not_proposed_income"].format(income=show(income), line=show(line))
    return TEXT["ingest.not_proposed_other"]


# what the town's verification of a department warning writes into a household's values (see departments.verdicts)
DEPARTMENT_LEAD_KEYS = frozenset({"lead_source", "main_risk", "other_risk_1", "other_risk_2"})
# what the system itself writes into the clerk's cells of the returned copy (returned.plan._writes_back): the
# clerk dropping that copy again has not changed the row
WRITTEN_BACK_KEYS = ("household_no", "identified_date")


def _department_lead_unchanged(store: Store, hh: HouseholdRow, hp: HouseholdPayload,
                               before: HouseholdRow | None) -> bool:
    """A lead the town made from a department warning it verified (部门预警核实纳入) stays a lead through files
    that do not change the household's row: the rules had judged that row before the town found the warning
    true in person, so a file sent again for other households must not undo it. A row the clerk changed since
    (after 入户核实) is judged again like any other."""
    if before is None:
        return False
    last = store.events.last_entry_into(hh.id, LEAD)
    if last is None or last.action != DEPARTMENT_LEAD:
        return False
    return _row_key(before.data, before) == _row_key(hp.data, before)


def _row_key(data: dict[str, Any], ledger: HouseholdRow) -> str:
    """A household's values as text, without what a department lead writes into them, nor a cell holding just
    what the system wrote back into the returned copy (the ledger's 户编号, its 识别纳入日期): our own writes are
    never the clerk's change (dates as ISO text: the ledger's copy and a file's compare alike)."""
    ours = {"household_no": ledger.household_no, "identified_date": ledger.identified_date}
    kept = {k: v for k, v in data.items() if k not in DEPARTMENT_LEAD_KEYS and k not in (ABSENT_SINCE, CHANGED_ON)
            and not (k in WRITTEN_BACK_KEYS and (v is None or str(v) == str(ours[k])))}
    return json.dumps(kept, sort_keys=True, default=str, ensure_ascii=False)


def _refused_and_unchanged(store: Store, hh: HouseholdRow, hp: HouseholdPayload) -> bool:
    """After the district's 不予认定, the same household is not a lead again until the village holds a new
    review (dated after the refusal); otherwise every file would send it straight back."""
    if hh.state != NOT_INCLUDED:
        return False
    last = store.events.last_entry_into(hh.id, NOT_INCLUDED)
    if last is None or last.action != REJECT or last.effective_date is None:
        return False
    return not any(r.get("matter") == "纳入监测" and isinstance(r.get("review_date"), dt.date)
                   and r["review_date"] >= last.effective_date for r in hp.reviews)
