"""One processing pass over a workspace, stage after stage:

    observe → archive → read (workers) → decisions → village files (applied as they are read) → department
            lists → the day's moves → returned copies (workers) and 公示名单, the district's workbooks started
            once the first copy is back (a background worker under watch, the pass's pool otherwise) → notes

One pass at a time per workspace (an OS lock that dies with its process) and per ledger (store.pass_lock: held
at the database, so two workspace copies or machines on one ledger take turns); one bad file never stops the
others; an output that cannot be written is reported and retried. `Processor.run_pass` is a plain call
the watcher, the CLI and the tests make; the runner (worker processes) is the caller's to share.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from filelock import FileLock, Timeout

from ..heap import young_only
from ..intake import (
    DEPARTMENT_ZONE,
    TOWN_ZONE,
    Candidate,
    Stability,
    archive,
    scan_inbox,
    sha256_of,
    shown,
    write_notes,
)
from ..messages import TEXT, os_problem
from ..runner import Runner
from ..store import Store
from ..village_step import advance_due
from ..workspace import MASTER_NAME, REVIEW_SUFFIX, Workspace
from ..writers.common import TEMP_PREFIX
from . import decision_files, department_files, outputs, village_files
from .config_cache import workspace_config
from .context import FileOutcome, Item, Pass, PassReport
from .district import DISTRICT_KIND, DISTRICT_WORKBOOKS, DistrictResult, DistrictWriter, writer_running
from .housekeeping import clear_leftovers, migrate_layout, remove_if_unchanged
from .jobs import Crashed, DecisionsRead, ReadJob, died, read_job

log = logging.getLogger(__name__)
POOL_THRESHOLD = 3  # fewer files than this: the reading travels back with the result (one read per file)


class Processor:
    """Keeps what must survive between passes: file stability observations, the hash cache, the workers
    (its own, or a runner the caller shares) and the background writer of the district's workbooks."""

    def __init__(self, ws: Workspace, *, as_of: dt.date | None = None, workers: int | None = None,
                 runner: Runner | None = None, database: str | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.ws = ws
        self.as_of = as_of
        self.stability = Stability()
        self.saved_in_place = Stability()  # a decision workbook saved where we wrote it: complete once unchanged
        self._hashes: dict[str, tuple[tuple[int, int], str]] = {}
        self._own_runner = runner is None
        self.runner = runner or Runner(workers or ws.settings().workers or None)
        self.database = ws.database(database)
        self.store: Store | None = None
        self.district = DistrictWriter(self.runner, ws, self.database)
        self.on_wait = on_wait or (lambda text: None)
        self.lock = FileLock(str(ws.pass_lock_path))
        self._held: Callable[[], None] = lambda: None  # raises once the ledger's pass lock is lost (run_pass)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._own_runner:
            self.runner.close()

    def warm(self) -> None:
        """Start the workers and have them load the code that reads a file and writes its returned copy (a watcher
        at its start: the first file dropped then waits only for its own work)."""
        self.runner.warm(("excel_bridge.pipeline.jobs",))

    def __enter__(self) -> "Processor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> dt.date:
        return self.as_of or dt.date.today()

    def run_pass(self, *, wait: float | None = None, progress: Callable[[int, int, str], None] | None = None,
                 force_outputs: bool = False, background: bool = False, wait_for_ledger: bool = True) -> PassReport:
        """One pass. `wait`: seconds between the two stability polls (None: only compare with the last pass).
        `background`: the district's workbooks are left writing (watch); otherwise the pass waits for them.
        `wait_for_ledger`: when another program (workspace copy, machine) is processing the same ledger, wait
        for it; otherwise raise LedgerBusy, nothing done."""
        started = time.perf_counter()
        self.ws.system_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            self.on_wait(TEXT["pass.another"])
            self.lock.acquire()
        try:
            store = self.store or self.ws.open_store(self.database)
            self.store = store
            with store.pass_lock(wait=wait_for_ledger, on_wait=self.on_wait) as held, young_only():  # at the database
                self._held = held
                report = self._run(wait, progress, force_outputs, background)
        finally:
            self.lock.release()
        report.seconds = time.perf_counter() - started
        return report

    def _run(self, wait: float | None, progress, force: bool, background: bool) -> PassReport:
        config = workspace_config(str(self.ws.root))  # cached until the district edits a settings/rules file
        self.ws.ensure_folders(config.settings)
        if self.store is None:
            self.store = self.ws.open_store(self.database)
        ctx = Pass(ws=self.ws, store=self.store, config=config, runner=self.runner, today=self.today(),
                   report=PassReport())
        clear_leftovers(self.ws, writing=self.district.busy or writer_running(self.ws))
        migrate_layout(ctx)
        self._collect(ctx)
        scan, stable, in_place = self._observe(ctx, wait)
        ctx.report.skipped = [line for _, line in scan.skipped]
        items = self._archive(ctx, [c for c in stable if c.zone != DEPARTMENT_ZONE]) + in_place
        to_read = self._not_duplicates(ctx, items)
        # decisions first (a decision counts only from a town's folder or saved in place): they are applied
        # before the village files of the pass; the village files are then read and applied as they come
        deciding = [i for i in to_read if i.in_place or i.cand.zone == TOWN_ZONE]
        counter = Progress(progress, len(to_read))
        for item, read in self._read(ctx, deciding, counter):
            self._held()
            self._take(ctx, item, read)
        for item, read in self._read(ctx, [i for i in to_read if not (i.in_place or i.cand.zone == TOWN_ZONE)],
                                     counter):
            self._held()  # lost (a server restart): the pass stops here, the files left wait in the inbox
            self._take(ctx, item, read)
        for cand in (c for c in stable if c.zone == DEPARTMENT_ZONE):  # after the village files: their people count
            self._held()
            ctx.report.files.append(department_files.take(ctx, cand))
        self.store.households.refresh_statistics()  # PostgreSQL, after many households came in: plans made for them
        new_day = self.store.meta.get("outputs_day") != ctx.today.isoformat()
        if new_day:  # notices end with the date: households whose notice has ended move on now
            ctx.dirty |= advance_due(self.store, config, as_of=ctx.today, at=ctx.now())
        # the district's workbooks are due (recorded now: a pass killed from here on leaves them due), and asked
        # for once the first returned copy is back (at once when no copy is due): they need nothing of the copies
        # and notices, so the copy a clerk waits for has the cores to itself, and in a larger pass the job still
        # shares the pool with the copies after it instead of running alone after them
        changed = bool(ctx.report.files or ctx.dirty or new_day or force)
        due = changed or bool(self.store.pending.of(DISTRICT_KIND) and not self.district.busy)  # or failed before
        if due:
            with self.store.atomic():
                self.store.pending.add(DISTRICT_KIND, DISTRICT_WORKBOOKS, at=ctx.now())
                self.store.meta.set("outputs_day", ctx.today.isoformat())

        def meanwhile() -> None:
            if due:
                self.district.request(ctx.today, background=background)
            outputs.notices(ctx, new_day=new_day or force)

        outputs.returned_copies(ctx, meanwhile=meanwhile)
        if not background:
            for result in self.district.wait():
                _merge(ctx, result)
        ctx.report.writing = self.district.busy
        write_notes(self.ws, config.settings, scan, {})
        for item in items:
            if not item.in_place:
                remove_if_unchanged(item.cand)
        return ctx.report

    def _collect(self, ctx: Pass) -> None:
        """What the background writer finished since the last pass."""
        result = self.district.collect()
        if result is not None:
            _merge(ctx, result)

    def poll(self) -> PassReport | None:
        """Between passes (watch): a report of what the background writer finished, if anything."""
        result = self.district.collect()
        if result is None:
            return None
        report = PassReport()
        report.outputs += result.placed
        report.problems += result.problems
        report.writing = self.district.busy
        return report

    def finish(self) -> list[DistrictResult]:
        return self.district.wait()

    # --- stages ---
    def _sha(self, path, st) -> str:
        """SHA-256 of a workbook we may have written, recomputed only when its size or mtime changed (the
        master is tens of megabytes and is looked at every pass)."""
        sig = (st.st_size, st.st_mtime_ns)
        cached = self._hashes.get(str(path))
        if cached is None or cached[0] != sig:
            cached = (sig, sha256_of(path))
            self._hashes[str(path)] = cached
        return cached[1]

    def _observe(self, ctx: Pass, wait: float | None):
        """The inbox scan and the decision workbooks in place that someone changed since the system wrote or
        read them — looked at twice, `wait` apart, so a file still being copied or saved waits for the next pass."""
        scan, changed = self._look(ctx)
        stable, saved = self.stability.observe(scan.candidates), self.saved_in_place.observe(changed)
        if wait and (len(stable) < len(scan.candidates) or len(saved) < len(changed)):
            time.sleep(wait)
            scan, changed = self._look(ctx)
            stable, saved = self.stability.observe(scan.candidates), self.saved_in_place.observe(changed)
        ctx.report.waiting = len(scan.candidates) - len(stable) + len(changed) - len(saved)
        in_place = [Item(c, self._sha(c.path, c.path.stat()), c.path, dt.datetime.now(), in_place=True) for c in saved]
        return scan, stable, in_place

    def _look(self, ctx: Pass):
        scan = scan_inbox(self.ws, ctx.config.settings)
        changed: list[Candidate] = []
        if writer_running(self.ws):  # a workbook being replaced right now is looked at once the writer is done
            ctx.report.deferred = True
            return scan, changed
        places = [(p, town) for town in ctx.config.settings.towns
                  for p in self.ws.town_private(town).glob(f"{town}{REVIEW_SUFFIX}*.xlsx")]
        places += [(p, "") for p in self.ws.district_dir.glob(f"{MASTER_NAME.removesuffix('.xlsx')}*.xlsx")]
        for path, town in places:
            if path.name.startswith((TEMP_PREFIX, "~$")):
                continue
            try:
                st = path.stat()
                if ctx.store.outputs.sha_of(ctx.key(path)) == self._sha(path, st):
                    continue
            except OSError:
                continue
            changed.append(Candidate(path, town, st.st_size, st.st_mtime_ns))
        return scan, changed

    def _archive(self, ctx: Pass, stable: list[Candidate]) -> list[Item]:
        """Every original into the archive (by SHA-256) before anything else happens to it."""
        items = []
        for cand in sorted(stable, key=lambda c: c.mtime_ns):
            received = dt.datetime.now()
            try:
                sha, archived = archive(self.ws, cand.path, received)
            except OSError as exc:  # a name too long for the disk, no permission: said, the file stays
                reason = os_problem(exc)
                log.warning(TEXT["process.log.archive_failed"], shown(cand.name), reason)
                ctx.report.files.append(FileOutcome(cand.name, cand.town, "failed",
                                                    TEXT["process.not_taken"].format(reason=reason), errors=1))
                continue
            items.append(Item(cand, sha, archived, received))
        return items

    def _not_duplicates(self, ctx: Pass, items: list[Item]) -> list[Item]:
        """The items to read: a duplicate (of its village's latest file, or of a file of this pass) is answered
        from the ledger and reported here."""
        to_read: list[Item] = []
        this_pass: dict[tuple[str, str], Item] = {}
        for item in items:
            if item.in_place:
                to_read.append(item)
                continue
            first = this_pass.get((item.sha, item.town))
            previous = village_files.duplicate_of(ctx, item)
            if first is not None or previous is not None:
                ctx.report.files.append(village_files.take_duplicate(ctx, item, previous, first))
                continue
            this_pass[(item.sha, item.town)] = item
            to_read.append(item)
        return to_read

    def _read(self, ctx: Pass, items: list[Item], progress: Progress) -> Iterator[tuple[Item, object]]:
        """Each item read in a worker (never here), in order, a few files ahead of the one being applied."""
        keep = progress.total < POOL_THRESHOLD
        jobs = [ReadJob(str(self.ws.root), str(item.archived), "" if item.in_place and not item.town else item.town,
                        item.name, ctx.today, keep) for item in items]
        for item, result in zip(items, self.runner.imap(read_job, jobs), strict=True):
            progress.step(item.name)
            if isinstance(result, BrokenProcessPool):  # its worker died reading it (alone): the file's fault
                result = died(str(item.archived), item.name)
            elif isinstance(result, BaseException):
                result = Crashed(f"{type(result).__name__}: {result}")
            yield item, result

    @staticmethod
    def _take(ctx: Pass, item: Item, read: object) -> None:
        if isinstance(read, DecisionsRead):
            outcome = decision_files.take(ctx, item, read)
            if outcome is not None:
                ctx.report.files.append(outcome)
        elif not item.in_place:
            ctx.report.files.append(village_files.take(ctx, item, read))
            log.info(TEXT["process.log.file"], item.town, shown(item.name), ctx.report.files[-1].status,
                     ctx.report.files[-1].message)


@dataclass
class Progress:
    """Files read so far, told to the terminal's progress bar (if any)."""

    report: Callable[[int, int, str], None] | None
    total: int
    done: int = 0

    def step(self, name: str) -> None:
        self.done += 1
        if self.report:
            self.report(self.done, self.total, name)


def _merge(ctx: Pass, result: DistrictResult) -> None:
    ctx.report.outputs += result.placed
    ctx.report.problems += result.problems
