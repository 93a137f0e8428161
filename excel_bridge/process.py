"""One processing pass over a workspace: intake → check (in parallel) → ledger (one transaction per
file) → returned copies, town review workbooks and the district master (once per pass).

`Processor.run_pass` is a plain function of the workspace's files and ledger; the watcher only
decides when to call it. One bad file never stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import CheckResult, unreadable_result
from .config import Config
from .errors import UnreadableFile
from .ingest import LEDGER_CODES, FilePayload, apply_village_file
from .intake import Candidate, Stability, archive, scan_inbox, sha256_of, write_notes
from .messages import TEXT, render
from .decisions import Unreadable, apply_decisions, mark_notes_shown, note_unreadable, pending_notes, read_decisions
from .store import Store
from .read import peek_kind, peek_meta
from .workflow import DISTRICT, TOWN
from .status import conflict_issues, statuses
from .village_step import advance_due
from .workspace import MASTER_NAME, Workspace
from .writers.common import Placed
from .runner import POOL_THRESHOLD, Runner, feedback_job, parse_job, workspace_config

log = logging.getLogger(__name__)



@dataclass
class FileOutcome:
    name: str
    town: str
    status: str  # applied / duplicate / unreadable / failed / decisions
    message: str = ""
    errors: int = 0
    warnings: int = 0
    households: int = 0
    feedback: Path | None = None


@dataclass
class PassReport:
    files: list[FileOutcome] = field(default_factory=list)
    outputs: list[Placed] = field(default_factory=list)
    waiting: int = 0  # files still being copied; the next pass looks again
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.files)


@dataclass
class _Stable:
    cand: Candidate
    sha: str
    archived: Path
    received: dt.datetime
    kind: str


class Processor:
    """Keeps what must survive between passes: file stability observations and the worker pool."""

    def __init__(self, ws: Workspace, *, as_of: dt.date | None = None, workers: int | None = None) -> None:
        self.ws = ws
        self.as_of = as_of
        self.stability = Stability()
        self._hashes: dict[str, tuple[tuple[str, int, int], str]] = {}
        self._readings: dict[str, Any] = {}  # archived path -> the reading made this pass (a few files only)
        settings = ws.settings()
        self.runner = Runner(ws.root, workers or settings.workers or os.cpu_count() or 1)

    def close(self) -> None:
        self.runner.close()

    def __enter__(self) -> "Processor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> dt.date:
        return self.as_of or dt.date.today()

    def run_pass(self, *, wait: float | None = None, progress: Callable[[int, int, str], None] | None = None,
                 force_outputs: bool = False) -> PassReport:
        """One pass. `wait` seconds between the two stability polls (None: only compare with the last pass)."""
        started = time.perf_counter()
        config = workspace_config(str(self.ws.root))  # cached until the district edits a settings/rules file
        self.ws.ensure_folders(config.settings)
        report = PassReport()
        ledger = self.ws.open_store()
        try:
            scan, in_place = self._observe(ledger, config, wait)
            stable = self.stability.observe([*scan.candidates, *in_place])
            if wait:
                time.sleep(wait)
                scan, in_place = self._observe(ledger, config, wait)
                stable = self.stability.observe([*scan.candidates, *in_place])
            inbox_paths = {c.path for c in scan.candidates}
            report.waiting = sum(1 for c in scan.candidates if c not in stable)
            items = self._archive([c for c in stable if c.path in inbox_paths], report)
            dirty = self._decisions(ledger, config, [c for c in stable if c.path not in inbox_paths],
                                    [i for i in items if i.kind != "village"], report)
            dirty |= self._ingest(ledger, config, [i for i in items if i.kind == "village"], report, progress)
            new_day = ledger.meta.get("outputs_day") != self.today().isoformat()
            moved: set[tuple[str, str]] = set()
            if new_day:  # notices end with the date: households whose notice has ended move on now
                moved = advance_due(ledger, config, as_of=self.today(), at=_now())
            if report.files or moved or new_day or force_outputs:
                # a new day changes what is overdue and which notices run, even when no file arrived
                self._outputs(ledger, config, dirty | moved, report, first=dirty, new_day=new_day or force_outputs)
                with ledger.atomic():
                    ledger.meta.set("outputs_day", self.today().isoformat())
            write_notes(self.ws, config.settings, scan, {})
            for item in items:
                _remove_if_unchanged(item.cand)
        finally:
            self._readings.clear()
            ledger.close()
        report.seconds = time.perf_counter() - started
        return report

    def _sha(self, path: Path, st: os.stat_result) -> str:
        """SHA-256 of a workbook we may have written, recomputed only when its size or mtime changed (the
        master is tens of megabytes and is looked at every pass)."""
        key = (str(path), st.st_size, st.st_mtime_ns)
        cached = self._hashes.get(str(path))
        if cached is None or cached[0] != key:
            cached = (key, sha256_of(path))
            self._hashes[str(path)] = cached
        return cached[1]

    # --- stages ---
    def _observe(self, ledger: Store, config: Config, wait: float | None) -> tuple[Any, list[Candidate]]:
        """The inbox scan, and the decision workbooks in place (town workbooks, the master) that someone
        changed since the system wrote or read them."""
        scan = scan_inbox(self.ws, config.settings)
        places: list[tuple[Path, str]] = []
        for town in config.settings.towns:
            places += [(p, town) for p in self.ws.town_feedback(town).glob(f"{town}_镇级核查表*.xlsx")]
        places += [(p, "") for p in self.ws.district_dir.glob(f"{Path(MASTER_NAME).stem}*.xlsx")]
        changed = []
        for path, town in places:
            if path.name.startswith((".~eb-", "~$")):
                continue
            try:
                st = path.stat()
                if ledger.outputs.sha_of(self.ws.key(path)) == self._sha(path, st):
                    continue
            except OSError:
                continue
            changed.append(Candidate(path, town, st.st_size, st.st_mtime_ns))
        return scan, changed

    def _decisions(self, ledger: Store, config: Config, in_place: list[Candidate], dropped: list["_Stable"],
                   report: PassReport) -> set[tuple[str, str]]:
        """Read and apply decisions before anything is regenerated (a decision workbook is never overwritten
        unread)."""
        dirty: set[tuple[str, str]] = set()
        work: list[tuple[Path, str, str, str, str, str]] = []  # (path, folder town, kind, sha, archived, name)
        for cand in in_place:
            received = dt.datetime.now()
            try:
                sha = self._sha(cand.path, cand.path.stat())
                archived = archive(self.ws, cand.path, sha, received)
            except OSError:
                continue
            kind = "master" if cand.town == "" else "town_review"
            work.append((cand.path, cand.town, kind, sha, str(archived), cand.path.name))
        for item in dropped:
            work.append((item.archived, item.cand.town, item.kind, item.sha, str(item.archived), item.cand.path.name))
        for path, town, kind, sha, archived, name in work:
            meta = peek_meta(Path(archived))
            refusal = None
            if kind == "master" and town:
                refusal = TEXT["process.master_in_inbox"]
            elif kind == "town_review" and meta.get("镇") != town:
                refusal = TEXT["process.review_elsewhere"].format(town=meta.get("镇") or TEXT["process.other_town"],
                                                                  folder=town)
            level = DISTRICT if kind == "master" else TOWN
            if refusal:
                with ledger.atomic():
                    ledger.submissions.add(sha256=sha, kind=kind, status="decisions", file_name=name,
                                           received_at=_now(), town=town or None, archived_path=archived,
                                           message=refusal)
                    ledger.notes.add(at=_now(), level=TOWN, town=town,
                                     message=TEXT["process.file_note"].format(name=name, message=refusal))
                report.files.append(FileOutcome(name, town, "decisions", refusal))
                continue
            try:
                rows = read_decisions(Path(archived), level)
                result = apply_decisions(ledger, rows, level=level, town=town or None, sha256=sha, file_name=name,
                                         today=self.today())
            except Unreadable as exc:
                text = note_unreadable(ledger, level=level, town=town or None, sha256=sha, file_name=name,
                                       reason=str(exc))
                with ledger.atomic():
                    ledger.outputs.remember(self.ws.key(Path(path)), sha, "read", at=_now())
                report.files.append(FileOutcome(name, town or "区级", "decisions", text))
                continue
            except Exception as exc:  # noqa: BLE001 - rolled back; the workbook is kept and re-read next time
                log.error(TEXT["process.log.decisions_failed"], name, exc)
                report.files.append(FileOutcome(name, town, "failed",
                                                TEXT["process.decisions_failed"].format(error=exc)))
                continue
            with ledger.atomic():
                ledger.outputs.remember(self.ws.key(Path(path)), sha, "read", at=_now())
            dirty |= result.villages
            if rows:
                refused = TEXT["process.decisions_refused"].format(n=len(result.refused)) if result.refused else ""
                message = TEXT["process.decisions"].format(applied=result.applied, refused=refused)
                report.files.append(FileOutcome(name, town or "区级", "decisions", message))
            log.info(TEXT["process.log.decisions"], name, result.applied, len(result.refused))
        return dirty

    def _archive(self, stable: list[Candidate], report: PassReport) -> list[_Stable]:
        items = []
        for cand in sorted(stable, key=lambda c: c.mtime_ns):
            received = dt.datetime.now()
            try:
                sha = sha256_of(cand.path)
                archived = archive(self.ws, cand.path, sha, received)
            except OSError as exc:
                log.warning(TEXT["process.log.archive_failed"], cand.path.name, exc)
                continue
            items.append(_Stable(cand, sha, archived, received, peek_kind(archived)))
        return items

    def _ingest(self, ledger: Store, config: Config, items: list[_Stable], report: PassReport,
                progress: Callable[[int, int, str], None] | None) -> set[tuple[str, str]]:
        dirty: set[tuple[str, str]] = set()
        to_parse: list[_Stable] = []
        this_pass: dict[tuple[str, str], _Stable] = {}
        for item in items:
            previous = ledger.submissions.applied(item.sha, town=item.cand.town)
            first = this_pass.get((item.sha, item.cand.town))
            if previous is not None or first is not None:
                same_as = (TEXT["process.same_submission"].format(id=previous.id) if previous is not None
                           else TEXT["process.same_pass"].format(name=first.cand.path.name))
                with ledger.atomic():
                    ledger.submissions.add(sha256=item.sha, kind="village", status="duplicate",
                                           file_name=item.cand.path.name, received_at=_now(item.received),
                                           town=item.cand.town, villages=previous.villages if previous else (),
                                           archived_path=str(item.archived),
                                           message=TEXT["process.same_content"].format(same_as=same_as))
                if previous is not None:
                    for village in previous.villages:
                        dirty.add((previous.town or item.cand.town, village))
                report.files.append(FileOutcome(item.cand.path.name, item.cand.town, "duplicate",
                                                TEXT["process.duplicate"]))
                continue
            this_pass[(item.sha, item.cand.town)] = item
            to_parse.append(item)
        # a few files: their returned copies are written in this process, from the reading made here
        keep = len(to_parse) < POOL_THRESHOLD
        jobs = [(str(self.ws.root), str(it.archived), it.cand.town, it.cand.path.name, self.today(), keep)
                for it in to_parse]
        results = self.runner.map(parse_job, jobs, isolate=True)
        for n, (item, result) in enumerate(zip(to_parse, results), start=1):
            name = item.cand.path.name
            if progress:
                progress(n, len(to_parse), name)
            if isinstance(result, tuple) and result[0] == "payload":
                # villages in conflict with this one before it changes: their copies must drop a resolved conflict
                for village in {hp.village for hp in result[1].households if hp.village}:
                    for c in ledger.views.person_conflicts(town=item.cand.town, village=village):
                        dirty.add((c.other_town, c.other_village))
            if isinstance(result, tuple) and result[0] == "payload" and result[1].parsed is not None:
                self._readings[str(item.archived)] = result[1].parsed
            outcome = self._apply_one(ledger, config, item, result)
            report.files.append(outcome)
            if outcome.status == "applied":
                row = ledger.submissions.applied(item.sha, town=item.cand.town)
                for village in row.villages if row else ():
                    dirty.add((item.cand.town, village))
                dirty |= self._moved_between_towns(ledger, item)
            log.info(TEXT["process.log.file"], item.cand.town, name, outcome.status, outcome.message)
        # a person newly found in two villages: the other village's returned copy must say so too
        for town, village in list(dirty):
            for c in ledger.views.person_conflicts(town=town, village=village):
                dirty.add((c.other_town, c.other_village))
        return dirty

    def _moved_between_towns(self, ledger: Store, item: _Stable) -> set[tuple[str, str]]:
        """The same file applied earlier from another town's folder (dropped in the wrong folder, then moved):
        the households it put there are marked 已移出, the folder it is in now being the right one."""
        moved: set[tuple[str, str]] = set()
        at = _now()
        with ledger.atomic():
            for sub in ledger.submissions.applied_elsewhere(item.sha, item.cand.town):
                for hh in ledger.households.from_submission(sub.id):
                    ledger.households.mark_removed(hh.id, at=at)
                    ledger.events.record(household_id=hh.id, event="removed", level="系统", at=at,
                                         source_sha256=item.sha,
                                         comment=TEXT["process.moved_town"].format(town=item.cand.town))
                    moved.add((hh.town, hh.village))
        return moved

    def _apply_one(self, ledger: Store, config: Config, item: _Stable, result: Any) -> FileOutcome:
        name, town = item.cand.path.name, item.cand.town
        if isinstance(result, BaseException):
            if isinstance(result, BrokenProcessPool):
                result = unreadable_result(item.archived, UnreadableFile("FILE_READ_LIMIT", *render("FILE_READ_LIMIT")))
                return self._unreadable(ledger, item, result)
            return self._failed(ledger, item, result)
        kind, value = result
        if kind == "unreadable":
            return self._unreadable(ledger, item, value)
        payload: FilePayload = value
        try:
            applied = apply_village_file(ledger, payload, config, as_of=self.today(), received_at=item.received,
                                         archived_path=str(item.archived))
        except Exception as exc:  # noqa: BLE001 - the transaction rolled back; report and go on
            return self._failed(ledger, item, exc)
        issues = [*payload.issues, *applied.issues]
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = len(issues) - errors
        message = TEXT["process.applied"].format(households=len(payload.households), errors=errors, warnings=warnings)
        return FileOutcome(name, town, "applied", message, errors=errors, warnings=warnings,
                           households=len(payload.households))

    def _unreadable(self, ledger: Store, item: _Stable, result: CheckResult) -> FileOutcome:
        issue = result.issues[0]
        with ledger.atomic():
            sub = ledger.submissions.add(sha256=item.sha, kind="village", status="unreadable",
                                         file_name=item.cand.path.name, received_at=_now(item.received),
                                         town=item.cand.town, archived_path=str(item.archived), message=issue.message)
            ledger.submissions.add_issues(sub, [issue])
            ledger.submissions.set_counts(sub, errors=1, warnings=0)
        note = self.ws.town_feedback(item.cand.town) / f"{Path(item.cand.path.name).stem}_无法读取.txt"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(TEXT["process.unreadable_note"].format(name=item.cand.path.name, message=issue.message,
                                                               hint=issue.hint), encoding="utf-8-sig")
        return FileOutcome(item.cand.path.name, item.cand.town, "unreadable", issue.message, errors=1, feedback=note)

    def _failed(self, ledger: Store, item: _Stable, exc: BaseException) -> FileOutcome:
        log.error(TEXT["process.log.failed"], item.cand.path.name, exc)
        message = TEXT["process.failed"]
        with ledger.atomic():
            ledger.submissions.add(sha256=item.sha, kind="village", status="failed", file_name=item.cand.path.name,
                                   received_at=_now(item.received), town=item.cand.town,
                                   archived_path=str(item.archived),
                                   message=TEXT["process.failed_detail"].format(
                                       message=message, type=getattr(exc, "kind", type(exc).__name__), error=exc))
        return FileOutcome(item.cand.path.name, item.cand.town, "failed", message, errors=1)

    def _outputs(self, ledger: Store, config: Config, dirty: set[tuple[str, str]], report: PassReport, *,
                 first: set[tuple[str, str]], new_day: bool = False) -> None:
        """Returned copies (the villages whose files arrived first), notices, town workbooks, the master."""
        from .alerts import all_alerts, elimination_candidates
        from .writers.master import write_master
        from .writers.notice import notice_villages, write_notice
        from .writers.town import write_town_workbook

        jobs, subs = [], []
        for town, village in sorted(dirty, key=lambda tv: (tv not in first, tv)):
            sub = ledger.submissions.latest_for_village(town, village)
            if sub is None or not sub.archived_path:
                continue
            keep = LEDGER_CODES - {"PERSON_OTHER_VILLAGE"}
            extra = [i for i in ledger.submissions.issues_of(sub.id) if i.code in keep]
            extra += conflict_issues(ledger, town=town, village=village)
            out = self.ws.town_feedback(town) / f"{Path(sub.file_name).stem}_反馈.xlsx"
            jobs.append((str(self.ws.root), sub.archived_path, str(out), town, sub.file_name,
                         sub.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                         statuses(ledger, config, town=town, village=village, as_of=self.today()), extra,
                         self.today(), self._readings.pop(sub.archived_path, None)))
            subs.append(sub.id)
        placed_all = self.runner.map(feedback_job, jobs)
        at = _now()
        for sub_id, placed in zip(subs, placed_all):
            if isinstance(placed, BaseException):
                log.error(TEXT["process.log.feedback_failed"], sub_id, placed)
                continue
            report.outputs.append(placed)
            with ledger.atomic():
                ledger.submissions.set_feedback(sub_id, self.ws.key(placed.path))
                ledger.outputs.remember(self.ws.key(placed.path), sha256_of(placed.path), "feedback", at=at)
        for outcome in report.files:
            for placed in report.outputs:
                if placed.path.parent == self.ws.town_feedback(outcome.town) and \
                        placed.path.name.startswith(Path(outcome.name).stem + "_反馈") and outcome.feedback is None:
                    outcome.feedback = placed.path
        # notice lists change with a village's data, and with the date (a notice starts or ends)
        for town, village in sorted(dirty | (notice_villages(self.ws, ledger, self.today()) if new_day else set())):
            placed = write_notice(self.ws, ledger, config, town, village, as_of=self.today())
            if placed is not None:
                report.outputs.append(placed)
        alerts = all_alerts(ledger, config, self.today())  # once for the district, shared by all towns
        eliminations = elimination_candidates(ledger, config, ledger.households.list(states=["帮扶中"], on_file=True),
                                              self.today())
        for town in config.settings.towns:
            notes = pending_notes(ledger, level=TOWN, town=town)
            placed = write_town_workbook(self.ws, ledger, config, town, as_of=self.today(), notes=notes,
                                         only_if=self._unchanged(ledger), alerts=alerts, eliminations=eliminations)
            self._place(ledger, report, placed, "town")
            mark_notes_shown(ledger, level=TOWN, town=town)
        notes = pending_notes(ledger, level=DISTRICT, town=None)
        placed = write_master(self.ws, ledger, config, as_of=self.today(), notes=notes, only_if=self._unchanged(ledger),
                              alerts=alerts)
        self._place(ledger, report, placed, "master")
        mark_notes_shown(ledger, level=DISTRICT, town=None)

    def _unchanged(self, ledger: Store) -> Callable[[Path], bool]:
        """A decision workbook may be replaced only if it is what we wrote or last read."""
        return lambda target: ledger.outputs.sha_of(self.ws.key(target)) == self._sha(target, target.stat())

    def _place(self, ledger: Store, report: PassReport, placed: Placed, kind: str) -> None:
        report.outputs.append(placed)
        with ledger.atomic():
            ledger.outputs.remember(self.ws.key(placed.path), self._sha(placed.path, placed.path.stat()), kind,
                                    at=_now())
        if placed.locked:
            self._drop_stale_side_files(ledger, placed)

    def _drop_stale_side_files(self, ledger: Store, placed: Placed) -> None:
        """Earlier “(更新于…)” copies of the same workbook that nobody edited are superseded by this one;
        an edited one is kept (its decisions are read like any other)."""
        stem = placed.path.name.split("(更新于", 1)[0]
        for other in placed.path.parent.glob(f"{stem}(更新于*).xlsx"):
            if other == placed.path:
                continue
            key = self.ws.key(other)
            if ledger.outputs.sha_of(key) == self._sha(other, other.stat()):
                other.unlink(missing_ok=True)
                with ledger.atomic():
                    ledger.outputs.forget(key)


def _now(at: dt.datetime | None = None) -> dt.datetime:
    return (at or dt.datetime.now()).replace(microsecond=0)


def _remove_if_unchanged(cand: Candidate) -> None:
    """Take a processed file out of the inbox — unless it was saved again meanwhile (then the next pass
    takes the new version)."""
    path = cand.path
    try:
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) != (cand.size, cand.mtime_ns):
            log.info(TEXT["process.log.saved_again"], path.name)
            return
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # locked on Windows: the next pass sees the same content and only re-issues
        log.warning(TEXT["process.log.not_removed"], path.name, exc)

