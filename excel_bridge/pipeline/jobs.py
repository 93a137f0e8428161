"""The work a pass sends to worker processes, and what comes back: typed jobs and typed results.

Every byte of a dropped file is read in a worker with a memory cap (a file built to exhaust memory
kills only its worker, and is blamed alone): the hidden 系统信息 sheet that says what a file is, a
village file's cells, a saved decision workbook's choices, and the XML of the clerk's file that a
returned copy is patched from. The jobs are plain dataclasses (they pickle); the functions that run
them are module-level (spawn-safe).
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..check import CheckResult, check_file, check_parsed, unreadable_result
from ..decisions import DecisionRow, read_decisions
from ..decisions import Unreadable as DecisionsUnreadable
from ..errors import UnreadableFile
from ..ingest import FilePayload, payload_from
from ..issues import Issue
from ..messages import render
from ..provincial.entries import read_entries
from ..read import KINDS_BY_TEMPLATE, peek_meta
from ..returned import Status, write_returned_copy
from ..workflow import DISTRICT, TOWN
from ..writers.common import Placed
from .config_cache import workspace_config

if TYPE_CHECKING:
    from ..departments.model import DepartmentList
    from ..rules import Assessment
    from ..validate import Parsed

VILLAGE, TOWN_REVIEW, MASTER = "village", "town_review", "master"


# --- reading a dropped (or edited) file ---

@dataclass(frozen=True)
class ReadJob:
    """Read one archived file: what it is, then its village data or its decisions."""

    root: str
    path: str  # the archived copy (or the workbook in place)
    town: str  # the town folder it came from ("" for the district's master)
    name: str  # its name as dropped, for messages
    as_of: dt.date
    keep_parsed: bool = False  # the reading travels back too (packed), for a returned copy written from it


@dataclass
class VillageRead:
    payload: FilePayload
    kind: str = VILLAGE
    reading: bytes | None = None  # ReadJob.keep_parsed: the Reading, packed (Reading.pack) for the copy's worker


@dataclass
class DecisionsRead:
    kind: str  # TOWN_REVIEW or MASTER
    meta: dict[str, str]
    rows: list[DecisionRow] = field(default_factory=list)
    problem: str | None = None  # the sheet, its header or its hidden token column is gone
    warning_rows: list[DecisionRow] = field(default_factory=list)  # a town's verdicts on department warnings
    entry_rows: list[DecisionRow] = field(default_factory=list)  # a town's 省系统录入 answers


@dataclass
class Unreadable:
    result: CheckResult

    @property
    def issue(self) -> Issue:
        return self.result.issues[0]


@dataclass
class Crashed:
    """The job failed in a way that is not the file's fault alone (a bug, a worker that died)."""

    error: str
    died: bool = False  # the worker process itself ended (memory cap, crash): the file is blamed


Read = VillageRead | DecisionsRead | Unreadable | Crashed


def kind_of(meta: dict[str, str]) -> str:
    return KINDS_BY_TEMPLATE.get(meta.get("模板编号", ""), VILLAGE)


def read_job(job: ReadJob) -> VillageRead | DecisionsRead | Unreadable:
    """In a worker: peek at the hidden sheet, then read the file as what it is."""
    config = workspace_config(job.root)
    meta = peek_meta(Path(job.path))
    kind = kind_of(meta)
    if kind in (TOWN_REVIEW, MASTER):
        level = TOWN if kind == TOWN_REVIEW else DISTRICT
        try:
            rows = read_decisions(Path(job.path), level)
            if kind == TOWN_REVIEW:  # the departments' models: loaded by a worker that reads a town's workbook
                from ..departments.verdicts import read_department_decisions
            warnings = read_department_decisions(Path(job.path)) if kind == TOWN_REVIEW else []
            entries = read_entries(Path(job.path)) if kind == TOWN_REVIEW else []
            return DecisionsRead(kind, meta, rows, warning_rows=warnings, entry_rows=entries)
        except DecisionsUnreadable as exc:
            return DecisionsRead(kind, meta, problem=str(exc))
    result = check_file(Path(job.path), config, as_of=job.as_of, expected_town=job.town or None)
    result.path = Path(job.name)
    if not result.readable or result.parsed is None:  # parsed None: the national system's export (district imports it)
        return Unreadable(result)
    reading = Reading(result.parsed, list(result.issues), list(result.assessments)).pack() if job.keep_parsed else None
    return VillageRead(payload_from(result, job.town), reading=reading)


def died(path: str, name: str) -> Unreadable:
    """The result for a file whose worker died reading it (it exhausted the memory cap or crashed calamine)."""
    result = unreadable_result(Path(path), UnreadableFile("FILE_READ_LIMIT", *render("FILE_READ_LIMIT")))
    result.path = Path(name)
    return Unreadable(result)


# --- reading a department's list ---

@dataclass(frozen=True)
class DeptReadJob:
    root: str
    path: str  # the archived list
    department: str


def dept_read_job(job: DeptReadJob) -> DepartmentList:
    """In a worker: one department's list read (whatever shape its system exports)."""
    from ..departments.config import load_departments
    from ..departments.reading import read_list  # pandas: loaded by the worker that reads a list, not by every one

    departments = load_departments(Path(job.root) / "rules")
    dept = departments.departments[job.department]
    return read_list(Path(job.path), dept)


# --- writing a returned copy ---

@dataclass(frozen=True)
class Reading:
    """A village file's reading made this pass, kept for its returned copy: the workbook as read and validated,
    and the verdict the reading gave it (its issues and 研判), judged knowing no household's 识别纳入日期."""

    parsed: Parsed
    issues: list[Issue]
    assessments: list[Assessment | None]

    def pack(self) -> bytes:
        """Pickled by the worker that read the file; the pass hands the bytes on to the worker that writes the copy
        without opening them (unpickling ~0.7 MB of a 250-household village in the main process and pickling it
        again for the copy job was ~30 ms of a clerk's turnaround, issue 23)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def unpack(packed: bytes) -> "Reading":
        reading = pickle.loads(packed)  # (made by our own worker in this pass, like every result of the pool)
        assert isinstance(reading, Reading)
        return reading


@dataclass(frozen=True)
class CopyJob:
    root: str
    archived: str
    out: str
    town: str
    file_name: str
    received: str
    statuses: dict[str, Status]
    extra: list[Issue]
    as_of: dt.date
    reading: bytes | None = None  # when the file was read this pass: its Reading, packed


def copy_job(job: CopyJob) -> Placed:
    """In a worker: re-check the archived original (or use the reading of it just made) and write its
    returned copy with the ledger's statuses. A reading made this pass is judged again only where the ledger
    knows a 识别纳入日期 of one of its households (which the reading did not know); otherwise its verdict is
    the one a new check would give, and the copy uses it as it is."""
    config = workspace_config(job.root)
    identified = {k: s.identified for k, s in job.statuses.items() if s.identified}
    reading = Reading.unpack(job.reading) if job.reading is not None else None
    if reading is not None and job.town and not any(hh.head_id in identified for hh in reading.parsed.households):
        result = CheckResult(path=Path(job.archived), readable=True, sha256=reading.parsed.data.sha256,
                             checked_at=dt.datetime.now(), issues=list(reading.issues), parsed=reading.parsed,
                             assessments=list(reading.assessments))
    elif reading is not None:
        result = check_parsed(reading.parsed, config, path=Path(job.archived), as_of=job.as_of,
                              expected_town=job.town, identified=identified)
    else:
        result = check_file(Path(job.archived), config, as_of=job.as_of, expected_town=job.town,
                            identified=identified)
    if not result.readable:
        raise UnreadableFile(result.issues[0].code, result.issues[0].message, result.issues[0].hint)
    result.path = Path(job.file_name)
    result.issues.extend(job.extra)
    receipt = {"接收时间": job.received, "所属镇": job.town}
    return write_returned_copy(result, Path(job.out), config, statuses=job.statuses, receipt=receipt,
                               source=Path(job.archived))
