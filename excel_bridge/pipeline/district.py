"""The district's workbooks — every town's 镇级核查表 and the 区级总台账 — written from the latest state of the
ledger by one writer at a time, in its own process, while passes go on: a returned copy never waits for
the master. Drops that arrive while it writes are coalesced into the next run.

A decision workbook is never overwritten unread: the writer replaces a town's workbook (or the master)
only if it is still what the system last wrote or read (else the new one goes beside it, "(更新于…)"),
and records what it wrote before the file takes its name, so a pass never mistakes it for an edit. A town's
workbook still in place as written is kept when its writer, run dry, would write the same (writers.digest):
most passes change one town's data, and the others' workbooks then cost a read of the ledger, not a build.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from xlsxwriter.exceptions import FileCreateError

from ..alerts import all_alerts, elimination_candidates
from ..decisions import mark_notes_shown, pending_notes
from ..history import recent_changes
from ..intake import sha256_of
from ..messages import TEXT, os_problem
from ..report import keep_pass_snapshot
from ..round_progress import round_alerts
from ..runner import Runner
from ..statistics import compute, read_facts, scope_of
from ..store import CountedHousehold, HouseholdRow, Store
from ..town_checks import check_scope, read_check_facts, town_checks
from ..workflow import ASSISTING, DISTRICT, TOWN
from ..workspace import Workspace
from ..writers.common import SPOOL_PREFIX, Placed, office_lock, os_error_in
from .config_cache import workspace_config

log = logging.getLogger(__name__)
DISTRICT_KIND = "district"
EVERYTHING = ("", "")  # the pending-outputs key of the district's workbooks


@dataclass(frozen=True)
class DistrictJob:
    root: str
    database: str
    as_of: dt.date


@dataclass
class DistrictResult:
    placed: list[Placed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=dt.datetime.now)
    finished: dt.datetime | None = None


def district_job(job: DistrictJob) -> DistrictResult:
    """In the background worker: every town's workbook and the master, one after the other, each failing
    alone; holds the workspace's outputs lock so two programs never write them at once."""
    from ..departments.share_back import monthly_exports  # the writers and the exports' models: loaded by the worker
    from ..provincial.export import pass_exports  # that writes, not by every pass's main process
    from ..writers.master import write_master
    from ..writers.town import town_workbook_path, write_town_workbook

    ws = Workspace(Path(job.root))
    result = DistrictResult()
    with FileLock(str(ws.outputs_lock_path)), Store.open(job.database, keep_engine=True) as store:
        config = workspace_config(job.root)
        _clear_spools(ws)
        assisting: list[HouseholdRow] = []
        counted: list[CountedHousehold] = []  # what the district's numbers need of each, from the same read

        def households() -> Iterator[HouseholdRow]:  # streamed once, for the alerts; the 帮扶中 ones kept
            for h in store.households.each():
                if h.state == ASSISTING and h.on_file:
                    assisting.append(h)
                counted.append(CountedHousehold.of_row(h))
                yield h

        alerts = all_alerts(store, config, job.as_of, rows=households())  # shared by all towns
        alerts += round_alerts(store, config, job.as_of)  # a yearly round past its end: villages not done
        eliminations = elimination_candidates(store, config, assisting, job.as_of)  # their elimination研判
        assisting.clear()  # the rows go; the name stays bound for households() (a closure over it)
        facts, scope = read_facts(store, counted), scope_of(config)  # the district's numbers, once for all
        statistics = compute(facts, as_of=job.as_of, **scope)
        keep_pass_snapshot(store, job.as_of, statistics.tables, config)  # the month's numbers until it is reported
        checks = town_checks(facts, read_check_facts(store, job.as_of), as_of=job.as_of, **check_scope(config))
        sizes = Counter(c.town for c in counted)  # each workbook's size: built in memory when small
        received = store.submissions.latest_by_town()
        ok = True
        for town in config.settings.towns:  # each written only when it would differ from the one in place
            notes = pending_notes(store, level=TOWN, town=town)
            town_ok = _write(store, ws, result, TEXT["district.town_workbook"].format(town=town),
                             lambda record, town=town, notes=notes: (
                write_town_workbook(ws, store, config, town, as_of=job.as_of, notes=notes,
                                    only_if=_unchanged(store, ws), alerts=alerts, eliminations=eliminations,
                                    before_replace=record,
                                    statistics=compute(facts, as_of=job.as_of, town=town, **scope),
                                    checks=checks, households=sizes[town],
                                    same_as=_digest_in_place(store, ws, town_workbook_path(ws, town),
                                                             received.get(town)))),
                             kind="town")
            ok &= town_ok
            if town_ok:
                mark_notes_shown(store, level=TOWN, town=town)
        notes = pending_notes(store, level=DISTRICT, town=None)
        changes = recent_changes(store)
        master_ok = _write(store, ws, result, TEXT["district.master"], lambda record: write_master(
            ws, store, config, as_of=job.as_of, notes=notes, only_if=_unchanged(store, ws), alerts=alerts,
            changes=changes, before_replace=record, statistics=statistics, checks=checks, households=len(counted)),
            kind="master")
        if master_ok:
            mark_notes_shown(store, level=DISTRICT, town=None)
        try:  # once a month, what is shared back with departments (plan 七(二)) goes into 区级/部门共享/
            result.placed += monthly_exports(store, ws, config, job.as_of)
        except OSError as exc:
            ok = False
            result.problems.append(TEXT["district.write_failed"].format(what=TEXT["district.share"],
                                                                        reason=os_problem(exc)))
        try:  # what the towns must enter into the provincial system, when a pass added any (反馈/<镇>/镇级/)
            result.placed += pass_exports(store, ws, config)
        except OSError as exc:
            ok = False
            result.problems.append(TEXT["district.write_failed"].format(what=TEXT["district.provincial"],
                                                                        reason=os_problem(exc)))
        with store.atomic():
            if ok and master_ok:
                store.pending.done(DISTRICT_KIND, [EVERYTHING])
            else:
                store.pending.add(DISTRICT_KIND, [EVERYTHING], at=dt.datetime.now().replace(microsecond=0))
    result.finished = dt.datetime.now()
    return result


def _write(store: Store, ws: Workspace, result: DistrictResult, what: str, write, *, kind: str) -> bool:
    previous: dict[str, str | None] = {}  # the record of every name a file was about to take, as it was

    def record(tmp: Path, final: Path) -> None:  # before the file takes its name
        key = ws.key(final)
        previous.setdefault(key, store.outputs.sha_of(key))
        with store.atomic():
            store.outputs.remember(key, sha256_of(tmp), kind, at=_now())

    def restore(keep: str | None) -> None:  # a name the file did not take keeps its own record
        with store.atomic():
            for key, sha in previous.items():
                if key == keep:
                    continue
                if sha is None:
                    store.outputs.forget(key)
                else:
                    store.outputs.remember(key, sha, kind, at=_now())

    try:
        placed: Placed = write(record)
    except (OSError, ValueError, FileCreateError) as exc:  # a folder in the way, no permission, a full disk
        restore(None)
        cause = os_error_in(exc)
        result.problems.append(TEXT["district.write_failed"].format(
            what=what, reason=os_problem(cause) if cause is not None else exc))
        log.error(TEXT["district.log.failed"], what, os_problem(cause) if cause is not None else repr(exc))
        return False
    if placed.kept:  # what is in place is what it would have been: nothing written, nothing to report
        return True
    if placed.locked:  # the new workbook went beside the target (open in Excel, or edited since read)
        restore(ws.key(placed.path))
        _drop_stale_side_files(store, ws, placed)
    elif placed.digest is not None:
        with store.atomic():
            store.outputs.set_digest(ws.key(placed.path), placed.digest)
    result.placed.append(placed)
    return True


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _unchanged(store: Store, ws: Workspace):
    """A decision workbook may be replaced only if it is what we wrote or last read."""
    return lambda target: store.outputs.sha_of(ws.key(target)) == sha256_of(target)


def _digest_in_place(store: Store, ws: Workspace, target: Path, received: dt.datetime | None) -> str | None:
    """The digest (writers.digest) of the workbook at `target` if that file is still the one the system wrote with
    it. None — the workbook is written anew, without a dry run first — when it is missing, edited, replaced, of an
    older ledger, or when a file of its town was `received` since it was written (what it shows has then almost
    surely changed, and a dry run would only add its cost; under a stream of drops most towns have one)."""
    record = store.outputs.record_of(ws.key(target))
    if record is None or record.digest is None or (received is not None and received >= record.written_at):
        return None
    try:
        return record.digest if sha256_of(target) == record.sha256 else None
    except OSError:
        return None


def _drop_stale_side_files(store: Store, ws: Workspace, placed: Placed) -> None:
    """Earlier “(更新于…)” copies of the same workbook that nobody edited are superseded by this one; an edited
    one is kept (its decisions are read like any other)."""
    stem = placed.path.name.split("(更新于", 1)[0]
    for other in placed.path.parent.glob(f"{stem}(更新于*).xlsx"):
        if other == placed.path or office_lock(other) is not None:  # open in an office program: kept
            continue
        key = ws.key(other)
        try:
            if store.outputs.sha_of(key) == sha256_of(other):
                other.unlink()
                with store.atomic():
                    store.outputs.forget(key)
        except OSError:
            continue


def _clear_spools(ws: Workspace) -> None:
    """Row spools a killed writer left (they hold IDs and health facts): only ever inside the workspace."""
    if ws.temp_dir.is_dir():
        for leftover in ws.temp_dir.glob(f"{SPOOL_PREFIX}*"):
            leftover.unlink(missing_ok=True)


class DistrictWriter:
    """Starts the district job when wanted, one at a time; what is asked for while one runs is done by the
    next (from the state of the ledger at its start: coalesced)."""

    def __init__(self, runner: Runner, ws: Workspace, database: str) -> None:
        self.runner = runner
        self.job = DistrictJob(str(ws.root), database, dt.date.today())
        self.future: Future | None = None
        self.wanted = False
        self.background = True
        self.on_done: Callable[[], None] | None = None  # the watcher's wake-up when a job finishes

    @property
    def busy(self) -> bool:
        return self.future is not None and not self.future.done()

    def request(self, as_of: dt.date, *, background: bool = True) -> None:
        """`background`: in the background worker, at a lower priority, while passes go on (watch); otherwise
        in one of the pass's own workers beside its returned copies (a one-off pass waits for it: no third
        process)."""
        self.wanted = True
        self.background = background
        self.job = DistrictJob(self.job.root, self.job.database, as_of)
        self._start_if_idle()

    def _start_if_idle(self) -> None:
        if self.busy or not self.wanted:
            return
        self.wanted = False
        run = self.runner.background if self.background else self.runner.submit
        self.future = run(district_job, self.job)
        self.future.add_done_callback(lambda _: self.on_done() if self.on_done else None)

    def collect(self) -> DistrictResult | None:
        """The finished job's result (once), and the next job started if one was asked for meanwhile."""
        if self.future is None or not self.future.done():
            return None
        future, self.future = self.future, None
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - reported; the next pass asks again (pending in the ledger)
            cause = os_error_in(exc)
            log.error(TEXT["district.log.failed"], TEXT["district.all"],
                      os_problem(cause) if cause is not None else repr(exc))
            result = DistrictResult(problems=[TEXT["district.write_failed"].format(
                what=TEXT["district.all"], reason=os_problem(cause) if cause is not None else exc)])
        self._start_if_idle()
        return result

    def wait(self) -> list[DistrictResult]:
        """Until nothing is running and nothing is wanted (a one-off `process` ends with its workbooks written)."""
        results = []
        while self.future is not None:
            self.future.exception()  # blocks until done
            result = self.collect()
            if result is not None:
                results.append(result)
        return results


def writer_running(ws: Workspace) -> bool:
    """Whether some program is writing this workspace's district workbooks right now."""
    lock = FileLock(str(ws.outputs_lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False
