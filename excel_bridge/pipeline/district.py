"""The district's workbooks — every town's 镇级核查表 and the 区级总台账 — written from the latest state of the
ledger by one job at a time, in worker processes, while passes go on: a returned copy never waits for
the master. Drops that arrive while it writes are coalesced into the next run. In the watcher the job runs
whole in the background worker; a one-off pass runs its two parts (the towns' workbooks and exports; the
master) side by side in its two workers, each part under its own lock.

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
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from xlsxwriter.exceptions import FileCreateError

from ..alerts import Alert, Elimination, all_alerts, elimination_candidates
from ..config import Config
from ..decisions import mark_notes_shown, pending_notes
from ..history import recent_changes
from ..intake import sha256_of
from ..messages import TEXT, os_problem
from ..report import keep_pass_snapshot
from ..round_progress import round_alerts
from ..runner import Runner
from ..statistics import Facts, Statistics, compute, read_facts, scope_of
from ..store import CountedHousehold, HouseholdRow, Store
from ..town_checks import TownChecks, check_scope, read_check_facts, town_checks
from ..workflow import ASSISTING, DISTRICT, TOWN
from ..workspace import Workspace
from ..writers.common import SPOOL_PREFIX, Placed, office_lock, os_error_in
from .config_cache import workspace_config

log = logging.getLogger(__name__)
DISTRICT_KIND = "district"
EVERYTHING = ("", "")  # the pending-outputs key of the district's workbooks


ALL, TOWNS, MASTER = "all", "towns", "master"  # the parts of the district job
MASTER_KEY = ("", "区级总台账")  # the master's own pending key, when its part runs beside the towns' (one-off pass)
DISTRICT_WORKBOOKS = (EVERYTHING, MASTER_KEY)  # what a pass records as due


@dataclass(frozen=True)
class DistrictJob:
    root: str
    database: str
    as_of: dt.date
    part: str = ALL  # TOWNS: the towns' workbooks and the exports; MASTER: the master; ALL: both, one after the other


@dataclass
class DistrictResult:
    placed: list[Placed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=dt.datetime.now)
    finished: dt.datetime | None = None


@dataclass
class _Numbers:
    """What every workbook of the district shows of the whole ledger, read once per job."""

    alerts: list[Alert]
    eliminations: list[Elimination]
    facts: Facts
    scope: dict[str, Any]
    statistics: Statistics
    checks: TownChecks
    sizes: Counter[str]  # households per town: each workbook's size (built in memory when small)
    households: int


def _numbers(store: Store, config: Config, as_of: dt.date, *, eliminations: bool) -> _Numbers:
    assisting: list[HouseholdRow] = []
    counted: list[CountedHousehold] = []  # what the district's numbers need of each, from the same read

    def households() -> Iterator[HouseholdRow]:  # streamed once, for the alerts; the 帮扶中 ones kept
        for h in store.households.each():
            if eliminations and h.state == ASSISTING and h.on_file:
                assisting.append(h)
            counted.append(CountedHousehold.of_row(h))
            yield h

    alerts = all_alerts(store, config, as_of, rows=households())  # shared by all towns
    alerts += round_alerts(store, config, as_of)  # a yearly round past its end: villages not done
    elim = elimination_candidates(store, config, assisting, as_of) if eliminations else []  # their elimination研判
    assisting.clear()  # the rows go; the name stays bound for households() (a closure over it)
    facts, scope = read_facts(store, counted), scope_of(config)  # the district's numbers, once for all
    statistics = compute(facts, as_of=as_of, **scope)
    checks = town_checks(facts, read_check_facts(store, as_of), as_of=as_of, **check_scope(config))
    return _Numbers(alerts, elim, facts, scope, statistics, checks, Counter(c.town for c in counted), len(counted))


def district_job(job: DistrictJob) -> DistrictResult:
    """In a worker: every town's workbook and the exports (part TOWNS), the master (MASTER), or both (ALL), each
    workbook failing alone. A part holds its lock — the towns' and the master's, both for ALL, always in that
    order — so two programs never write the same workbooks at once; a one-off pass runs the two parts side by side
    in its two workers (the master is most of the job: on PostgreSQL ~1 s of the pass's end, issue 23)."""
    ws = Workspace(Path(job.root))
    result = DistrictResult()
    towns, master = job.part in (ALL, TOWNS), job.part in (ALL, MASTER)
    with ExitStack() as held:
        for lock in ([ws.towns_lock_path] if towns else []) + ([ws.outputs_lock_path] if master else []):
            held.enter_context(FileLock(str(lock)))
        store = held.enter_context(Store.open(job.database, keep_engine=True))
        config = workspace_config(job.root)
        if master:
            _clear_spools(ws)  # the master's own: under its lock
        numbers = _numbers(store, config, job.as_of, eliminations=towns)
        done: list[tuple[tuple[str, str], bool]] = []
        if towns:
            done.append((EVERYTHING, _towns(store, ws, config, job.as_of, numbers, result)))
        if master:
            done.append((MASTER_KEY, _master(store, ws, config, job.as_of, numbers, result)))
        if job.part == ALL:  # one job for both: the towns' key stands for the master's too (as before the split)
            done = [(key, all(ok for _, ok in done)) for key in DISTRICT_WORKBOOKS]
        with store.atomic():
            for key, ok in done:
                if ok:
                    store.pending.done(DISTRICT_KIND, [key])
                else:
                    store.pending.add(DISTRICT_KIND, [key], at=dt.datetime.now().replace(microsecond=0))
    result.finished = dt.datetime.now()
    return result


def _towns(store: Store, ws: Workspace, config: Config, as_of: dt.date, numbers: _Numbers,
           result: DistrictResult) -> bool:
    """Every town's workbook (each written only when it would differ from the one in place), the month's numbers
    kept, and what goes to departments and to the provincial system: whether all of it went well."""
    from ..departments.share_back import monthly_exports  # the writers and the exports' models: loaded by the worker
    from ..provincial.export import pass_exports  # that writes, not by every pass's main process
    from ..writers.town import town_workbook_path, write_town_workbook

    keep_pass_snapshot(store, as_of, numbers.statistics.tables, config)  # the month's numbers until it is reported
    received = store.submissions.latest_by_town()
    ok = True
    for town in config.settings.towns:
        notes = pending_notes(store, level=TOWN, town=town)
        town_ok = _write(store, ws, result, TEXT["district.town_workbook"].format(town=town),
                         lambda record, town=town, notes=notes: (
            write_town_workbook(ws, store, config, town, as_of=as_of, notes=notes,
                                only_if=_unchanged(store, ws), alerts=numbers.alerts,
                                eliminations=numbers.eliminations, before_replace=record,
                                statistics=compute(numbers.facts, as_of=as_of, town=town, **numbers.scope),
                                checks=numbers.checks, households=numbers.sizes[town],
                                same_as=_digest_in_place(store, ws, town_workbook_path(ws, town),
                                                         received.get(town)))),
                         kind="town")
        ok &= town_ok
        if town_ok:
            mark_notes_shown(store, level=TOWN, town=town)
    try:  # once a month, what is shared back with departments (plan 七(二)) goes into 区级/部门共享/
        result.placed += monthly_exports(store, ws, config, as_of)
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
    return ok


def _master(store: Store, ws: Workspace, config: Config, as_of: dt.date, numbers: _Numbers,
            result: DistrictResult) -> bool:
    """The master (written only when it would differ from the one in place): whether it went well."""
    from ..writers.master import write_master

    notes = pending_notes(store, level=DISTRICT, town=None)
    changes = recent_changes(store)
    ok = _write(store, ws, result, TEXT["district.master"], lambda record: write_master(
        ws, store, config, as_of=as_of, notes=notes, only_if=_unchanged(store, ws), alerts=numbers.alerts,
        changes=changes, before_replace=record, statistics=numbers.statistics, checks=numbers.checks,
        households=numbers.households), kind="master")
    if ok:
        mark_notes_shown(store, level=DISTRICT, town=None)
    return ok


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
        self.futures: list[Future] = []  # the parts of the job started last (running, or done and not collected)
        self.finished: list[Future] = []  # the parts of earlier jobs, done, not yet collected
        self.wanted = False
        self.background = True
        self.on_done: Callable[[], None] | None = None  # the watcher's wake-up when a job finishes

    @property
    def busy(self) -> bool:
        return any(not f.done() for f in self.futures)

    def request(self, as_of: dt.date, *, background: bool = True) -> None:
        """`background`: in the background worker, at a lower priority, while passes go on (watch); otherwise
        in the pass's own workers beside its returned copies, the master in one and the rest in the other (a
        one-off pass waits for it: no third process)."""
        self.wanted = True
        self.background = background
        self.job = replace(self.job, as_of=as_of)
        self._start_if_idle()

    def _start_if_idle(self) -> None:
        """The job wanted, at once unless one is running (a job done is collected later: it need not wait)."""
        if self.busy or not self.wanted:
            return
        self.wanted = False
        self.finished += self.futures
        if self.background:
            self.futures = [self.runner.background(district_job, self.job)]
        elif self.runner.workers < 2:
            self.futures = [self.runner.submit(district_job, self.job)]
        else:  # the master first: it is the longer part
            self.futures = [self.runner.submit(district_job, replace(self.job, part=part)) for part in (MASTER, TOWNS)]
        for future in self.futures:
            future.add_done_callback(self._part_done)

    def _part_done(self, _: Future) -> None:
        if self.on_done is not None and not self.busy:
            self.on_done()

    def collect(self) -> DistrictResult | None:
        """What the jobs finished since the last collect did, together (once), and the next job started if one
        was asked for meanwhile."""
        running = self.busy  # asked once: a part ending between two asks would be cleared without being collected
        done = self.finished + ([] if running else self.futures)
        if not done:
            return None
        self.finished = []
        if not running:
            self.futures = []
        parts = [_outcome(f) for f in done]
        result = DistrictResult(started=min(p.started for p in parts),
                                finished=max((p.finished for p in parts if p.finished), default=None))
        for part in parts:
            result.placed += part.placed
            result.problems += part.problems
        self._start_if_idle()
        return result

    def wait(self) -> list[DistrictResult]:
        """Until nothing is running and nothing is wanted (a one-off `process` ends with its workbooks written)."""
        results = []
        while self.futures or self.finished:
            for future in self.futures:
                future.exception()  # blocks until done
            result = self.collect()
            if result is not None:
                results.append(result)
        return results


def _outcome(future: Future) -> DistrictResult:
    """A part's result; a part that failed as a whole (a bug, a worker that died) is reported as such — the next
    pass asks again (pending in the ledger)."""
    exc = future.exception()
    if exc is None:
        result = future.result()
        assert isinstance(result, DistrictResult)
        return result
    cause = os_error_in(exc)
    log.error(TEXT["district.log.failed"], TEXT["district.all"], os_problem(cause) if cause is not None else repr(exc))
    return DistrictResult(problems=[TEXT["district.write_failed"].format(
        what=TEXT["district.all"], reason=os_problem(cause) if cause is not None else exc)])


def writer_running(ws: Workspace) -> bool:
    """Whether some program is writing this workspace's district workbooks right now."""
    for path in (ws.towns_lock_path, ws.outputs_lock_path):
        lock = FileLock(str(path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
    return False
