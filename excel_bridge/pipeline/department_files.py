"""Department lists dropped into 部门数据/<部门>/: each archived, read in a worker (whatever shape the
department's system exports), judged against the ledger's people and reconciled with the department's open
warnings (departments.apply), then taken out of the folder. One list that cannot be read fails alone."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..intake import Candidate, shown
from ..messages import TEXT
from .context import FileOutcome, Pass
from .housekeeping import remove_if_unchanged
from .jobs import DeptReadJob, dept_read_job

if TYPE_CHECKING:
    from ..departments.model import DepartmentList

log = logging.getLogger(__name__)
FOLDER = "部门数据"


class ListNotRead(Exception):
    """The worker reading a department's list failed (the list is archived; the department is told)."""


def take(ctx: Pass, cand: Candidate) -> FileOutcome:
    """Apply one stable department list and report it the way the terminal prints files."""
    from ..departments.apply import apply_department_file  # pandas and the lists' models: only for a list

    def reader(path: Path, dept, others) -> DepartmentList:
        [result] = ctx.runner.map(dept_read_job, [DeptReadJob(str(ctx.ws.root), str(path), dept.name)])
        if isinstance(result, BaseException):
            raise ListNotRead(f"{type(result).__name__}: {result}")
        return result

    where = f"{FOLDER}/{cand.town}" if cand.town else FOLDER
    try:
        outcome = apply_department_file(ctx.store, ctx.ws, ctx.config, cand.path, received=dt.datetime.now(),
                                        as_of=ctx.today, reader=reader)
    except ListNotRead as exc:
        log.error(TEXT["process.log.failed"], shown(cand.name), exc)
        remove_if_unchanged(cand)  # archived: a list nobody can read is not taken again every pass
        return FileOutcome(cand.name, where, "failed", TEXT["dept.not_read"], errors=1)
    except OSError as exc:
        log.warning(TEXT["process.log.archive_failed"], shown(cand.name), exc)
        return FileOutcome(cand.name, where, "failed", TEXT["process.not_taken"].format(reason=exc), errors=1)
    remove_if_unchanged(cand)
    return FileOutcome(outcome.name, where, f"dept_{outcome.status}", outcome.message, feedback=outcome.note)
