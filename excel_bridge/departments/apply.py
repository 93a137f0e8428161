"""One department list dropped into 部门数据/<部门>/, taken into the ledger: archived like a village file, read,
applied once (by its fingerprint), judged against the ledger's people, reconciled with the department's open
warnings (a verified outcome is never touched), persisted in one transaction, and explained to the department
in 反馈/部门/<部门>_说明.txt. A list that cannot be used (unreadable, no ID column, no row with a usable ID …)
gets only a record and its own note, 反馈/部门/<部门>_未使用名单_说明.txt, beside the note of the list last used
(never over it); a file in a folder no department is configured for gets a record and a note too: nothing else
changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from ..config import Config
from ..idcard import mask_id
from ..issues import Issue
from ..messages import TEXT, status_word
from ..store import DeptListRow, Store, WarningRow
from ..workspace import Workspace
from ..writers.common import TEMP_PREFIX
from .config import DepartmentsConfig, load_departments
from .evaluation import Area, evaluate
from .explanation import explain
from .model import DepartmentList, DepartmentWarning, Evaluation
from .ports import archive, is_lock_or_temp
from .reading import department_of, read_list
from .reconciliation import Changes, Verified, reconcile

log = logging.getLogger(__name__)

APPLIED, DUPLICATE, REFUSED = "applied", "duplicate", "refused"
REFUSED_SUFFIX = "_未使用名单"  # <部门>_未使用名单_说明.txt: a list not used, beside the note of the last one used


class ListFile(TypedDict):
    """What every record of a list has, whatever becomes of it: the file and when it came."""

    file_name: str
    sha256: str
    received_at: dt.datetime
    received_date: dt.date
    archived_path: str


@dataclass(frozen=True)
class DeptOutcome:
    """What became of one department list, and the line the terminal prints for it."""

    department: str | None  # None: a folder no department is configured for
    name: str  # the file's name as dropped
    status: str  # applied / duplicate / refused
    message: str
    list_id: int | None = None
    new: int = 0  # warnings opened
    kept: int = 0  # open warnings the list still says
    withdrawn: int = 0  # open warnings closed as 部门已撤销
    unmatched: int = 0  # people warned about who are in no household of the ledger
    note: Path | None = None  # 反馈/部门/<部门>_说明.txt, when written

    @property
    def line(self) -> str:
        return TEXT["dept.outcome"].format(department=self.department or TEXT["dept.no_department"], name=self.name,
                                           status=status_word(f"dept_{self.status}"), message=self.message)


def department_files(ws: Workspace) -> list[Path]:
    """Every file under 部门数据/ a department may have dropped (lock, hidden and temporary files left out);
    a file loose in 部门数据/ itself is included: it earns a note saying where lists go."""
    root = ws.departments
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not any(is_lock_or_temp(part) for part in p.relative_to(root).parts))


Reader = Callable[[Path, "object", Iterable], DepartmentList]


def _read_here(path: Path, dept, others: Iterable) -> DepartmentList:
    return read_list(path, dept)


def apply_department_file(store: Store, ws: Workspace, config: Config, path: Path, *, received: dt.datetime,
                          as_of: dt.date, departments: DepartmentsConfig | None = None,
                          reader: Reader | None = None) -> DeptOutcome:
    """Take one list. `received` stamps the record, `as_of` is the day its verification period runs from;
    `reader` reads the archived list (a pass reads it in a worker process: the bytes are untrusted)."""
    path = Path(path)
    departments = departments or load_departments(ws.root / "rules")
    at = received.replace(microsecond=0)
    sha, archived_path = archive(ws, path, at)
    archived = ws.key(archived_path)
    dept, folder_note = department_of(path, ws.departments, departments)
    record = ListFile(file_name=path.name, sha256=sha, received_at=at, received_date=as_of, archived_path=archived)
    if dept is None:
        assert folder_note is not None
        note = _write_note(ws, _folder_of(ws, path), _folder_text(path, folder_note, at))
        with store.atomic():
            list_id = store.departments.add_list(department=None, status=REFUSED, note_path=ws.key(note),
                                                 message=folder_note.message, **record)
        return DeptOutcome(None, path.name, REFUSED, _refused(folder_note, ws, note), list_id, note=note)
    latest = store.departments.latest_list(dept.name)
    if latest is not None and latest.sha256 == sha:
        return _duplicate(store, dept.name, path, latest, record)
    dlist = dataclasses.replace((reader or _read_here)(ws.root / archived, dept, departments.departments.values()),
                                path=path)  # notes name the file as it was dropped
    if not dlist.usable:
        assert dlist.note is not None
        still = [TEXT["dept.note_still_used"].format(
            date=latest.received_at.strftime("%Y-%m-%d %H:%M"), name=latest.file_name,
            note=latest.note_path or ws.key(ws.department_note_path(dept.name)))] \
            if latest is not None else [TEXT["dept.note_none_used"]]
        note = _write_note(ws, dept.name + REFUSED_SUFFIX, explain(dlist, now=at, extra=still))
        with store.atomic():
            list_id = store.departments.add_list(department=dept.name, status=REFUSED, note_path=ws.key(note),
                                                 message=dlist.note.message, issues=1, **record)
        return DeptOutcome(dept.name, path.name, REFUSED, _refused(dlist.note, ws, note), list_id, note=note)
    if latest is not None and latest.fingerprint == dlist.fingerprint:
        return _duplicate(store, dept.name, path, latest, record)
    result = evaluate(dlist, store.departments.ledger_people(), received=as_of, area=Area.of(config.settings, departments))
    opened = store.departments.open_warnings(dept.name)
    before = [_warning(r) for r in opened]
    # reconcile hands back the objects it was given
    by_identity = {id(w): r.id for w, r in zip(before, opened, strict=True)}
    changes = reconcile(before, result.warnings, department=dept.name, listed=dlist.listed,
                        verified=[Verified((r.department, r.person_id, r.rule_id), r.fact)
                                  for r in store.departments.verified(dept.name)])
    note = ws.department_note_path(dept.name)
    message = _applied_message(dlist, result, changes, ws.key(note))
    with store.atomic():
        list_id = store.departments.add_list(
            department=dept.name, status=APPLIED, fingerprint=dlist.fingerprint, row_count=result.counts.rows,
            people=result.counts.people, invalid=result.counts.invalid, issues=len(dlist.issues),
            matched=result.counts.matched, warnings=result.counts.warnings, unmatched=result.counts.unmatched,
            by_town={town: {"matched": matched, "warnings": warnings} for town, matched, warnings in zip(
                result.by_town["town"], result.by_town["matched"], result.by_town["warnings"], strict=True)},
            note_path=ws.key(note), message=message, **record)
        _persist(store, list_id, changes, by_identity, result, at)
    _write_note(ws, dept.name, explain(dlist, now=at))
    ws.department_note_path(dept.name + REFUSED_SUFFIX).unlink(missing_ok=True)  # about an older file
    log.info(TEXT["dept.log.applied"], dept.name, path.name, len(changes.new), len(changes.kept),
             len(changes.withdrawn), result.counts.unmatched)
    return DeptOutcome(dept.name, path.name, APPLIED, message, list_id, new=len(changes.new), kept=len(changes.kept),
                       withdrawn=len(changes.withdrawn), unmatched=result.counts.unmatched, note=note)


def _warning(r: WarningRow) -> DepartmentWarning:
    return DepartmentWarning(department=r.department, rule_id=r.rule_id, person_id=r.person_id, name=r.name or "",
                             risk_type=r.risk_type, guarantee=r.guarantee, fact=r.fact, household=r.household_id,
                             town=r.town, village=r.village, received=r.received_date, deadline=r.deadline,
                             sheet=r.sheet, row=r.row, lead_source=r.lead_source, lead_date=r.lead_date)


def _persist(store: Store, list_id: int, changes: Changes, ids: dict[int, int], result: Evaluation,
             at: dt.datetime) -> None:
    store.departments.add_warnings(list_id, [
        {"department": w.department, "rule_id": w.rule_id, "person_id": w.person_id, "name": w.name or None,
         "household_id": int(w.household), "town": w.town, "village": w.village, "risk_type": w.risk_type,
         "guarantee": w.guarantee, "fact": w.fact, "received_date": w.received, "deadline": w.deadline,
         "sheet": w.sheet, "row": w.row, "lead_source": w.lead_source, "lead_date": w.lead_date}
        for w in changes.new], at=at)
    store.departments.keep(list_id, [
        {"id": ids[id(old)], "fact": new.fact, "name": new.name or None, "household_id": int(new.household),
         "town": new.town, "village": new.village, "lead_source": new.lead_source, "lead_date": new.lead_date}
        for old, new in changes.kept], at=at)
    for reason in sorted({w.reason for w in changes.withdrawn}):
        store.departments.withdraw([ids[id(w.warning)] for w in changes.withdrawn if w.reason == reason],
                                   reason=reason, at=at)
    store.departments.add_unmatched(list_id, result.department, [
        {"person_id": u.person_id, "name": u.name or None, "rule_ids": u.rule_ids, "facts": u.facts, "town": u.town,
         "place": u.place, "basis": u.basis, "sheet": u.sheet, "row": u.row} for u in result.unmatched])


def _duplicate(store: Store, department: str, path: Path, latest: DeptListRow, record: ListFile) -> DeptOutcome:
    message = TEXT["dept.outcome_duplicate"].format(date=latest.received_at.strftime("%Y-%m-%d %H:%M"),
                                                    name=latest.file_name)
    with store.atomic():
        list_id = store.departments.add_list(department=department, status=DUPLICATE, fingerprint=latest.fingerprint,
                                             message=message, **record)
    return DeptOutcome(department, path.name, DUPLICATE, message, list_id)


def _applied_message(dlist: DepartmentList, result: Evaluation, changes: Changes, note: str) -> str:
    c = result.counts
    message = TEXT["dept.outcome_applied"].format(rows=c.rows, people=c.people, matched=c.matched, new=len(changes.new),
                                                  kept=len(changes.kept), withdrawn=len(changes.withdrawn),
                                                  unmatched=c.unmatched)
    if changes.already_verified:
        message += TEXT["dept.outcome_verified_before"].format(n=len(changes.already_verified))
    rows = len({(i.sheet, i.row) for i in dlist.issues if i.row})
    if rows:
        message += TEXT["dept.outcome_issues"].format(n=rows, note=note)
    return message


def _refused(issue: Issue, ws: Workspace, note: Path) -> str:
    return TEXT["dept.outcome_refused"].format(message=issue.message, note=ws.key(note))


def _folder_of(ws: Workspace, path: Path) -> str:
    """The folder under 部门数据/ a file was dropped in ('' when loose in 部门数据/ itself)."""
    try:
        parts = path.resolve().relative_to(ws.departments.resolve()).parts
    except ValueError:
        parts = ()
    return parts[0] if len(parts) > 1 else TEXT["dept.no_department"]


def _folder_text(path: Path, issue: Issue, now: dt.datetime) -> str:
    """The note of a file no department's folder holds (CRLF: opened in Notepad)."""
    lines = [TEXT["dept.note_title"].format(department=TEXT["dept.no_department"], stamp=f"{now:%Y-%m-%d %H:%M}"),
             TEXT["dept.note_file"].format(name=path.name), TEXT["dept.note_problem"].format(message=issue.message),
             TEXT["dept.note_fix"].format(hint=issue.hint)]
    return "\r\n".join(lines) + "\r\n"


def _write_note(ws: Workspace, stem: str, text: str) -> Path:
    """反馈/部门/<stem>_说明.txt, replacing an older note (UTF-8 with BOM: Notepad on the district's machines).
    The text already has every ID number masked (explain); this is the last guard."""
    note = ws.department_note_path(stem)
    note.parent.mkdir(parents=True, exist_ok=True)
    tmp = note.with_name(TEMP_PREFIX + note.name)
    tmp.write_text(_masked(text), encoding="utf-8-sig", newline="")
    tmp.replace(note)
    return note


_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")  # 18-digit and first-generation IDs


def _masked(text: str) -> str:
    return _ID.sub(lambda m: mask_id(m.group(0)), text)
