"""The watcher: notices files (watchdog native events, or polling for SMB/network shares where native
events never arrive), debounces bursts, rescans periodically as a safety net, and calls
`Processor.run_pass`. It never processes anything itself; a pass that raises is logged and the
watcher goes on. The district's workbooks are written in the background: when they are done, the
watcher hears of it and reports it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    PatternMatchingEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .errors import BridgeError, ConfigError
from .heap import IdleCollector
from .messages import TEXT
from .pipeline import PassReport, Processor
from .workspace import FEEDBACK, INBOX_NOTE, NOTE_SUFFIXES, SHARE, Workspace
from .writers.common import SPOOL_PREFIX, TEMP_PREFIX

log = logging.getLogger(__name__)

# What is no news: our own temporaries, Office lock files, editors' swap files, our notes. ("**/" makes a
# pattern match the file's name at any depth, whether watchdog matches whole paths or only their ends.)
IGNORED = [f"**/{TEMP_PREFIX}*", "**/~$*", "**/.~lock*", "**/*.tmp", "**/*.swp", f"**/{SPOOL_PREFIX}*", f"**/{INBOX_NOTE}",
           *(f"**/*{suffix}.txt" for suffix in NOTE_SUFFIXES), f"**/{SHARE}", f"**/{SHARE}/*"]
# What is news: a file created, saved, moved or deleted, a folder created or moved in (not reads, not a
# folder's "modified" that every file in it causes).
NEWS = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileDeletedEvent, DirCreatedEvent, DirMovedEvent]


def watched_folders(ws: Workspace) -> list[tuple[Path, bool]]:
    """(folder, recursive) of what the watcher listens to. 区级 holds the master at its top; what is written
    under it (部门共享) is no news."""
    return [(ws.inbox, True), (ws.root / FEEDBACK, True), (ws.district_dir, False), (ws.departments, True)]


class _Wake(PatternMatchingEventHandler):
    def __init__(self, poke: Callable[[], None]) -> None:
        super().__init__(ignore_patterns=IGNORED, ignore_directories=False, case_sensitive=False)
        self.poke = poke

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == "moved" and f"/{TEMP_PREFIX}" in str(event.src_path).replace("\\", "/"):
            return  # one of our own workbooks taking its name
        self.poke()


class Watcher:
    """Runs passes when something changes, when files are still settling, and every `rescan` seconds."""

    def __init__(self, ws: Workspace, processor: Processor, *, poll: bool = False, debounce: float = 0.3,
                 settle: float = 0.3, rescan: float | None = None, poll_interval: float | None = None,
                 on_report: Callable[[PassReport], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        settings = ws.settings()
        self.ws = ws
        self.processor = processor
        self.poll = poll
        self.debounce = debounce
        self.settle = settle  # the two looks at a new file that tell it is complete, this far apart
        self.rescan = rescan if rescan is not None else settings.rescan_seconds
        self.poll_interval = poll_interval if poll_interval is not None else settings.poll_seconds
        self.on_report = on_report or (lambda report: None)
        self.on_error = on_error or (lambda exc: None)
        self._cond = threading.Condition()
        self._dirty_at: float | None = None
        self._stop = threading.Event()
        self.idle = threading.Event()  # set while it waits with nothing to do: no news, nothing settling
        self.collector = IdleCollector()
        self.passes = 0
        self.config_problem: str | None = None  # the settings/rules error said last (said once, until it changes)
        processor.district.on_done = self.poke_background

    def poke(self) -> None:
        with self._cond:
            self._dirty_at = time.monotonic()
            self.idle.clear()
            self._cond.notify_all()

    def poke_background(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def _observer(self):
        observer = PollingObserver(timeout=self.poll_interval) if self.poll else Observer()
        handler = _Wake(self.poke)
        for folder, recursive in watched_folders(self.ws):
            folder.mkdir(parents=True, exist_ok=True)
            observer.schedule(handler, str(folder), recursive=recursive, event_filter=NEWS)
        return observer

    def _pass(self) -> PassReport | None:
        try:
            report = self.processor.run_pass(wait=self.settle, background=True)
        except ConfigError as exc:  # the district's settings or rules broke: said once, looked at again soon
            if str(exc) != self.config_problem:
                self.config_problem = str(exc)
                self.on_error(exc)
            return None
        except Exception as exc:  # noqa: BLE001 - a pass that raises never stops the watcher
            if not isinstance(exc, BridgeError):  # ours (a lost ledger connection…) is Chinese: on_error says it
                log.exception(TEXT["watch.log.pass_failed"])
            self.on_error(exc)
            return None
        self.passes += 1
        self.config_problem = None
        self.on_report(report)
        return report

    def _background(self) -> None:
        try:
            report = self.processor.poll()
        except Exception as exc:  # noqa: BLE001
            log.exception(TEXT["watch.log.pass_failed"])
            self.on_error(exc)
            return
        if report is not None:
            self.on_report(report)

    def _again_soon(self, report: PassReport | None) -> bool:
        """Look again within seconds: files still settling, or settings the district is fixing (their folder is
        not watched)."""
        return _look_again(report) or self.config_problem is not None

    def run(self) -> None:
        """Block until stop() (or Ctrl-C in the caller); process what is already there first."""
        observer = self._observer()
        observer.start()
        try:
            report = self._pass()
            last_pass = time.monotonic()
            settle = self._again_soon(report)
            while not self._stop.is_set():
                if not settle and self._dirty_at is None:  # nothing to do: the cycles the passes left go now (heap)
                    self.collector.idle()
                with self._cond:
                    timeout = self.poll_interval if settle else max(0.0, self.rescan - (time.monotonic() - last_pass))
                    if self._dirty_at is None and not self._stop.is_set():  # (a stop() meanwhile: not waited for)
                        if not settle:
                            self.idle.set()
                        self._cond.wait(timeout=timeout)
                        self.idle.clear()
                    # debounce: one Excel save fires several events; wait until they stop
                    while self._dirty_at is not None and not self._stop.is_set():
                        quiet = time.monotonic() - self._dirty_at
                        if quiet >= self.debounce:
                            break
                        self._cond.wait(timeout=self.debounce - quiet)
                    woken = self._dirty_at is not None
                    self._dirty_at = None
                if self._stop.is_set():
                    break
                self._background()
                if not woken and not settle and time.monotonic() - last_pass < self.rescan:
                    continue  # only the background writer finished
                report = self._pass()
                last_pass = time.monotonic()
                settle = self._again_soon(report)
        finally:
            observer.stop()
            observer.join(timeout=5)


def _look_again(report: PassReport | None) -> bool:
    """Whether the next pass is due soon rather than at the next rescan: files still being copied, or decision
    workbooks saved while the district's workbooks were being rewritten (looked at when the writer finishes:
    its end wakes the watcher, and another program's writer is polled for)."""
    return bool(report and (report.waiting or report.deferred))
