"""`excel-bridge import <file>`: the national system's export taken into the ledger through the pieces every
dropped file goes through — archived by SHA-256 (归档/), read in a worker (runner.Runner: no byte of it parsed in
this process), applied in one transaction (national.apply), the district's workbooks marked due — and explained
in 反馈/导入/<文件>_导入说明.txt (IDs masked). Every village whose ledger changed then gets its pre-filled
workbook, written in the runner's workers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..check import collector_paused
from ..config import Config
from ..errors import UnreadableFile, UsageError
from ..intake import archive
from ..messages import TEXT
from ..national.apply import ImportResult, apply_export
from ..national.mapping import load_import_rules
from ..national.note import import_note
from ..national.reading import NationalExport, read_export
from ..prefill import write_prefilled
from ..runner import Runner
from ..store import Store
from ..workspace import Workspace
from ..writers.common import TEMP_PREFIX
from .config_cache import workspace_config
from .district import DISTRICT_KIND, DISTRICT_WORKBOOKS


@dataclass(frozen=True)
class NationalReadJob:
    root: str
    path: str  # the archived copy
    name: str  # the file's name as given


@dataclass(frozen=True)
class NotRead:
    """Why the worker could not read the export (an exception with our own arguments does not cross processes)."""

    message: str
    hint: str


def national_read_job(job: NationalReadJob) -> NationalExport | NotRead:
    """In a worker: the export read into households, or why it cannot be (in Chinese)."""
    config = workspace_config(job.root)
    rules = load_import_rules(Path(job.root) / "rules", config.schemas)
    try:
        with collector_paused():  # a district's rows and households hold no reference cycles: nothing to scan for
            return read_export(Path(job.path), rules, config.schemas, name=job.name)
    except UnreadableFile as exc:
        return NotRead(str(exc), exc.hint)


class ImportFailed(UsageError):
    """The file cannot be imported (unreadable, or not a national export): nothing changed."""


def import_file(ws: Workspace, store: Store, path: Path, *, runner: Runner, config: Config | None = None,
                as_of: dt.date | None = None, now: dt.datetime | None = None) -> ImportResult:
    """Archive, read in a worker, apply, mark the district's workbooks due, write the note."""
    path = Path(path)
    if path.is_dir():
        raise ImportFailed(TEXT["import.is_folder"].format(path=path))
    if not path.is_file():
        raise ImportFailed(TEXT["import.missing"].format(path=path))
    config = config or workspace_config(str(ws.root))
    ws.ensure_folders(config.settings)  # the towns' inboxes the villages are told to drop their workbooks back into
    received = (now or dt.datetime.now()).replace(microsecond=0)
    sha, archived = archive(ws, path, received)
    runner.start_all()  # the workers that write the villages' workbooks start while one reads the export
    with collector_paused():  # the export handed back, and the rows written from it, hold no reference cycles
        [read] = runner.map(national_read_job, [NationalReadJob(str(ws.root), str(archived), path.name)])
        if isinstance(read, NotRead):
            raise ImportFailed(TEXT["import.unreadable"].format(name=path.name, message=read.message, hint=read.hint))
        if isinstance(read, BaseException):
            raise ImportFailed(TEXT["import.crashed"].format(name=path.name, error=f"{type(read).__name__}: {read}"))
        result = apply_export(store, config, read, received_at=received, archived_path=ws.key(archived),
                              as_of=as_of or received.date())
    if result.status == "applied":
        with store.atomic():
            store.pending.add(DISTRICT_KIND, DISTRICT_WORKBOOKS, at=received)
        result.note = write_note(ws, path.name, import_note(result, at=received))
        # every village whose ledger changed gets its 村级监测台账 pre-filled from it (nobody types it again),
        # written in the workers like the returned copies
        result.prefilled = write_prefilled(ws, store, config, sorted(result.touched), now=received, runner=runner)
    return result


def write_note(ws: Workspace, file_name: str, text: str) -> Path:
    """反馈/导入/<文件>_导入说明.txt (UTF-8 with BOM: Notepad on the district's machines), replacing an older one."""
    note = ws.import_note_path(file_name)
    note.parent.mkdir(parents=True, exist_ok=True)
    tmp = note.with_name(TEMP_PREFIX + note.name)
    tmp.write_text(text, encoding="utf-8-sig", newline="")
    tmp.replace(note)
    return note
