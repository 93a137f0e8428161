"""The watcher: notices files (watchdog native events, or polling for SMB/network shares where native
events never arrive), debounces bursts, rescans periodically as a safety net, and calls
`Processor.run_pass`. It never processes anything itself; a pass that raises is logged and the
watcher goes on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .messages import TEXT
from .process import PassReport, Processor
from .workspace import FEEDBACK, Workspace

log = logging.getLogger(__name__)


class _Wake(FileSystemEventHandler):
    def __init__(self, poke: Callable[[], None]) -> None:
        self.poke = poke

    def on_any_event(self, event: FileSystemEvent) -> None:
        name = str(event.src_path).replace("\\", "/").rsplit("/", 1)[-1]
        if name.startswith(".~eb-") or event.event_type in ("opened", "closed_no_write"):
            return  # our own temporary files, and reads, are not news
        self.poke()


class Watcher:
    """Runs passes when something changes, when files are still settling, and every `rescan` seconds."""

    def __init__(self, ws: Workspace, processor: Processor, *, poll: bool = False, debounce: float = 1.0,
                 rescan: float | None = None, poll_interval: float | None = None,
                 on_report: Callable[[PassReport], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        settings = ws.settings()
        self.ws = ws
        self.processor = processor
        self.poll = poll
        self.debounce = debounce
        self.rescan = rescan if rescan is not None else settings.rescan_seconds
        self.poll_interval = poll_interval if poll_interval is not None else settings.poll_seconds
        self.on_report = on_report or (lambda report: None)
        self.on_error = on_error or (lambda exc: None)
        self._cond = threading.Condition()
        self._dirty_at: float | None = None
        self._stop = threading.Event()
        self.passes = 0

    def poke(self) -> None:
        with self._cond:
            self._dirty_at = time.monotonic()
            self._cond.notify_all()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def _observer(self):
        observer = PollingObserver(timeout=self.poll_interval) if self.poll else Observer()
        handler = _Wake(self.poke)
        for folder in (self.ws.inbox, self.ws.root / FEEDBACK, self.ws.district_dir):
            folder.mkdir(parents=True, exist_ok=True)
            observer.schedule(handler, str(folder), recursive=True)
        return observer

    def _pass(self) -> PassReport | None:
        try:
            report = self.processor.run_pass()
        except Exception as exc:  # noqa: BLE001 - a pass that raises never stops the watcher
            log.exception(TEXT["watch.log.pass_failed"])
            self.on_error(exc)
            return None
        self.passes += 1
        self.on_report(report)
        return report

    def run(self) -> None:
        """Block until stop() (or Ctrl-C in the caller); process what is already there first."""
        observer = self._observer()
        observer.start()
        try:
            report = self._pass()
            last_pass = time.monotonic()
            settle = bool(report and report.waiting)
            while not self._stop.is_set():
                with self._cond:
                    timeout = self.poll_interval if settle else max(0.0, self.rescan - (time.monotonic() - last_pass))
                    if self._dirty_at is None:
                        self._cond.wait(timeout=timeout)
                    # debounce: one Excel save fires several events; wait until they stop
                    while self._dirty_at is not None and not self._stop.is_set():
                        quiet = time.monotonic() - self._dirty_at
                        if quiet >= self.debounce:
                            break
                        self._cond.wait(timeout=self.debounce - quiet)
                    self._dirty_at = None
                if self._stop.is_set():
                    break
                report = self._pass()
                last_pass = time.monotonic()
                settle = bool(report and report.waiting)
        finally:
            observer.stop()
            observer.join(timeout=5)
