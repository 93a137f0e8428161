"""The watcher: the real `excel-bridge watch` on a temporary folder end to end (native events and --poll),
Ctrl-C, and the Watcher object in-process (a pass that raises, debouncing, rescans). Every wait is bounded, and
none is a quiet window that a slow machine could overrun: "nothing more happens" is known from the watcher
(idle, no district job) and from markers sent through its own observer (_settled)."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from factory import AS_OF, calamine_records, lone_household, person, wait_until, write_village
from watchdog.events import FileSystemEvent, FileSystemEventHandler

from excel_bridge.errors import ConfigError
from excel_bridge.pipeline import Processor
from excel_bridge.settings import DistrictSettings
from excel_bridge.watch import NEWS, Watcher, watched_folders
from excel_bridge.workspace import Workspace

TOWN = "马坝镇"
# hang guards, never speed bounds (issue 23): a loaded machine (several suites on 2 cores) still gets there
START_TIMEOUT = 180
FILE_TIMEOUT = 180
STOP_TIMEOUT = 120
HEAD_Y = person(dt.date(1975, 8, 8), 81)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.init(tmp_path / "ws", DistrictSettings(poll_seconds=0.5))


def _sigint_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class WatchProcess:
    """`excel-bridge watch` in a subprocess; stdout/stderr go to files so reading never blocks."""

    def __init__(self, root: Path, logs: Path, *extra: str) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.out_path, self.err_path = logs / "stdout.txt", logs / "stderr.txt"
        self._out, self._err = open(self.out_path, "wb"), open(self.err_path, "wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.started = dt.datetime.now().time().replace(microsecond=0)
        # started with SIGINT ignored, as a script's background job is: Ctrl-C must stop it all the same
        self.proc = subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", "watch", str(root), "--as-of",
                                      AS_OF.isoformat(), "--workers", "1", *extra],
                                     stdout=self._out, stderr=self._err, env=env, preexec_fn=_sigint_ignored)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[str]:
        """stdout's lines without their time of day, after checking every line starts with it (HH:MM:SS,
        between the watcher's start and now)."""
        out = []
        now = dt.datetime.now().time().replace(microsecond=0)
        for line in self.stdout.splitlines():
            stamp, sep, text = line.partition(" ")
            assert sep and re.fullmatch(r"\d\d:\d\d:\d\d", stamp), line
            if self.started <= now:  # (a run across midnight only checks the shape)
                assert self.started <= dt.time.fromisoformat(stamp) <= now, (line, self.started, now)
            out.append(text)
        return out

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._out.close()
        self._err.close()


def _processed(ws: Workspace, town: str, name: str) -> bool:
    stem = Path(name).stem
    copy = ws.returned_copy_path(town, stem if stem.endswith("村") else "石塘村", name)
    return copy.exists() and ws.master_path.exists() and not (ws.town_inbox(town) / name).exists()


def _master_rows(ws: Workspace) -> int | None:
    """The master's 监测户台账 rows, or None while it is not there yet."""
    try:
        return len(calamine_records(ws.master_path, "监测户台账"))
    except Exception:  # noqa: BLE001 - not written yet
        return None


def _write_y(ws: Workspace, config) -> None:
    hh, m = lone_household(HEAD_Y, "张三", wage_income=40000)
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": []}, town="大塘镇", village="新村")


def _file_lines(lines: list[str], town: str, name: str) -> list[str]:
    return [line for line in lines if line.startswith(f"{town}/{name}：")]


def test_watch_native_events_end_to_end_and_ctrl_c(ws, tmp_path, config):
    # a file that raises while being applied (a real SQLite abort on one person) is reported and skipped
    with ws.open_store() as store, store.atomic() as conn:
        conn.exec_driver_sql(f"CREATE TRIGGER boom BEFORE INSERT ON members WHEN NEW.person_id = '{HEAD_Y}'"
                             " BEGIN SELECT RAISE(ABORT, 'boom'); END")
    watch = WatchProcess(ws.root, tmp_path / "logs")
    try:
        assert wait_until(lambda: "开始监视" in watch.stdout, START_TIMEOUT), (watch.stdout, watch.stderr)
        assert watch.lines()[0] == f"开始监视 {ws.inbox.resolve()}（系统文件通知），按 Ctrl-C 停止。"
        _write_y(ws, config)
        write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
        assert wait_until(lambda: _processed(ws, TOWN, "石塘村.xlsx"), FILE_TIMEOUT), (watch.stdout, watch.stderr)
        assert wait_until(lambda: not (ws.town_inbox("大塘镇") / "新村.xlsx").exists(), FILE_TIMEOUT), watch.stdout
        assert wait_until(lambda: _file_lines(watch.lines(), TOWN, "石塘村.xlsx")
                          and _file_lines(watch.lines(), "大塘镇", "新村.xlsx"), FILE_TIMEOUT), watch.stdout
        # the master is rewritten in the background: Ctrl-C once it shows the pass (a loaded machine is slower)
        assert wait_until(lambda: _master_rows(ws) == 2, FILE_TIMEOUT), watch.stdout
        assert watch.interrupt() == 0, watch.stderr
        lines = watch.lines()
        assert _file_lines(lines, TOWN, "石塘村.xlsx") == ["马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条"]
        assert _file_lines(lines, "大塘镇", "新村.xlsx") == [
            "大塘镇/新村.xlsx：处理出错。处理时出现程序错误，台账没有改动；原文件已归档，请联系区乡村振兴局"]
        assert lines[-1] == "已停止监视。"
        assert "Traceback" not in watch.stderr
    finally:
        watch.kill()
    with ws.open_store() as store:
        assert sorted((s.file_name, s.status) for s in store.submissions.all()) == [
            ("新村.xlsx", "failed"), ("石塘村.xlsx", "applied")]
        assert len(store.households.list()) == 2
    assert len(calamine_records(ws.master_path, "监测户台账")) == 2


def test_watch_poll_processes_what_is_there_at_start_and_what_comes_later(ws, tmp_path, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)  # already waiting before the watcher starts
    watch = WatchProcess(ws.root, tmp_path / "logs", "--poll")
    try:
        assert wait_until(lambda: "开始监视" in watch.stdout, START_TIMEOUT), (watch.stdout, watch.stderr)
        assert watch.lines()[0] == f"开始监视 {ws.inbox.resolve()}（轮询模式），按 Ctrl-C 停止。"
        assert wait_until(lambda: _processed(ws, TOWN, "石塘村.xlsx"), FILE_TIMEOUT), (watch.stdout, watch.stderr)

        _write_y(ws, config)
        assert wait_until(lambda: _processed(ws, "大塘镇", "新村.xlsx"), FILE_TIMEOUT), (watch.stdout, watch.stderr)
        assert wait_until(lambda: _file_lines(watch.lines(), "大塘镇", "新村.xlsx"), FILE_TIMEOUT), watch.stdout
        assert watch.interrupt() == 0, watch.stderr
        lines = watch.lines()
        assert _file_lines(lines, TOWN, "石塘村.xlsx") == ["马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条"]
        assert _file_lines(lines, "大塘镇", "新村.xlsx") == ["大塘镇/新村.xlsx：已入账。1户，错误0处，提示0条"]
        assert lines[-1] == "已停止监视。"
        assert "Traceback" not in watch.stderr
    finally:
        watch.kill()
    heads = {r["户主身份证号"] for r in calamine_records(ws.master_path, "监测户台账")}
    assert len(heads) == 3 and HEAD_Y in heads


# --- the Watcher object in-process ---

class _Heard(FileSystemEventHandler):
    """Every path the watcher's observer dispatched an event for (a second handler on the same watches)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: set[str] = set()

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.paths.add(os.path.normpath(str(event.src_path)))


class HeardWatcher(Watcher):
    """The real Watcher, its observer also telling `heard` what it dispatched. One observer thread dispatches
    each watch's events in order, to every handler of the watch: once `heard` has a path, the watcher has been
    told of everything that happened in that folder before it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heard = _Heard()

    def _observer(self):
        observer = super()._observer()
        for folder, recursive in watched_folders(self.ws):
            observer.schedule(self.heard, str(folder), recursive=recursive, event_filter=NEWS)
        return observer


def _settled(watcher: HeardWatcher, *, timeout: float = FILE_TIMEOUT) -> int:
    """The watcher's pass count once nothing is left for it to do, known without waiting out a quiet window:
    it waits with no news and no district job, and a marker dropped into every folder it watches (a lock-file
    name, no news to it) has come back through its own observer — every change made before the markers has
    reached it — and it is still idle, with the same count."""
    district = watcher.processor.district
    deadline = time.monotonic() + timeout

    def idle() -> bool:
        return watcher.idle.is_set() and not district.futures and not district.wanted

    for round_ in range(1, 1000):
        assert wait_until(idle, max(deadline - time.monotonic(), 0)), f"never idle ({watcher.passes} passes)"
        passes = watcher.passes
        markers = [folder / f".~lock.settled{round_}#" for folder, _ in watched_folders(watcher.ws)]
        for marker in markers:
            marker.write_bytes(b"")
        assert wait_until(lambda markers=markers: all(os.path.normpath(str(m)) in watcher.heard.paths
                                                      for m in markers),
                          max(deadline - time.monotonic(), 0)), "the markers never came back"
        for marker in markers:
            marker.unlink()
        if idle() and watcher.passes == passes:
            return passes
    raise AssertionError(f"watcher never settled ({watcher.passes} passes)")


class Running:
    """A Watcher running in a thread; stop() is bounded."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.watcher.run()
        except BaseException as exc:  # noqa: BLE001 - surfaced by stop()
            self.failure.append(exc)

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=STOP_TIMEOUT)
        assert not self.thread.is_alive(), "watcher did not stop"
        assert self.failure == []


def test_a_pass_that_raises_is_reported_and_the_watcher_goes_on(ws, config):
    errors: list[BaseException] = []
    reports = []
    good = ws.settings_path.read_text(encoding="utf-8")
    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        watcher = Watcher(ws, processor, debounce=0.2, rescan=300, poll_interval=0.3,
                          on_report=reports.append, on_error=errors.append)
        ws.settings_path.write_text("district: [这不是合法的 YAML\n", encoding="utf-8")
        running = Running(watcher)
        try:
            assert wait_until(lambda: errors, FILE_TIMEOUT)
            assert isinstance(errors[0], ConfigError)
            assert "格式错误" in str(errors[0])
            assert running.thread.is_alive()
            assert watcher.passes == 0

            ws.settings_path.write_text(good, encoding="utf-8")
            write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
            assert wait_until(lambda: _processed(ws, TOWN, "石塘村.xlsx"), FILE_TIMEOUT)
        finally:
            running.stop()
    outcomes = [(o.name, o.status) for r in reports for o in r.files]
    assert outcomes == [("石塘村.xlsx", "applied")]
    assert len(errors) == 1


def test_a_burst_of_events_is_debounced_into_one_pass(ws):
    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        watcher = HeardWatcher(ws, processor, debounce=0.6, rescan=300, poll_interval=0.3)
        running = Running(watcher)
        try:
            assert wait_until(lambda: watcher.passes >= 1, FILE_TIMEOUT)
            start = _settled(watcher)  # the first pass's own outputs may cause one follow-up pass
            # an Excel save: several files and events, all within the debounce window however slow the machine
            # (the window is held open until the watcher has heard the whole burst, then set back)
            watcher.debounce = 3600
            for i in range(6):
                (ws.town_inbox(TOWN) / f"草稿{i}.docx").write_bytes(b"draft")  # (Office lock files are no news)
            last = ws.town_inbox(TOWN) / "草稿5.docx"
            assert wait_until(lambda: os.path.normpath(str(last)) in watcher.heard.paths, FILE_TIMEOUT)
            assert watcher.passes == start  # heard, and still waiting for the burst to end
            watcher.debounce = 0.6
            watcher.poke_background()  # (the wake-up that makes it look at the window again)
            assert _settled(watcher) == start + 1  # one pass for the burst, and none after it
        finally:
            running.stop()


def test_the_watcher_rescans_periodically_without_events(ws):
    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        watcher = Watcher(ws, processor, debounce=0.2, rescan=0.5, poll_interval=0.3)
        running = Running(watcher)
        try:
            assert wait_until(lambda: watcher.passes >= 3, FILE_TIMEOUT)
        finally:
            running.stop()


def test_an_idle_watcher_collects_the_cycles_its_passes_left(ws):
    """A pass's collections do not look at what was alive before it (excel_bridge.heap): the watcher collects fully
    once idle (at most every minute; here every time). Automatic collections are off: only its collection frees."""
    import gc
    import weakref

    class Node:
        def __init__(self) -> None:
            self.me = self

    gc.disable()
    try:
        with Processor(ws, as_of=AS_OF, workers=1) as processor:
            watcher = Watcher(ws, processor, debounce=0.2, rescan=300, poll_interval=0.3)
            watcher.collector.every = 3600
            running = Running(watcher)
            try:
                assert wait_until(lambda: watcher.passes >= 1 and watcher.idle.is_set(), FILE_TIMEOUT)
                node = Node()
                gone = weakref.ref(node)
                del node
                watcher.collector.every = 0
                watcher.poke()  # a pass, then idle again: collected then
                assert wait_until(lambda: gone() is None, FILE_TIMEOUT)
                assert watcher.passes >= 2
            finally:
                running.stop()
    finally:
        gc.enable()


def test_a_watcher_stopped_while_it_collects_stops_without_waiting_for_its_next_rescan(ws):
    """stop() while the watcher is busy outside its wait (here: its idle collection) is not lost: it does not go on
    to wait for the next rescan (300 s here) before it sees it."""
    from excel_bridge.heap import IdleCollector

    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        watcher = Watcher(ws, processor, debounce=0.2, rescan=300, poll_interval=0.3)

        class StoppedMeanwhile(IdleCollector):
            def idle(self) -> bool:
                district = watcher.processor.district
                if watcher._dirty_at is None and not district.futures and not district.wanted:  # nothing would wake it
                    watcher.stop()  # as Ctrl-C would, from another thread, while this one collects
                return super().idle()

        watcher.collector = StoppedMeanwhile(every=0)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        thread.join(30)
        assert not thread.is_alive()


def test_an_idle_watcher_with_a_note_does_not_keep_running_passes(ws):
    (ws.town_inbox(TOWN) / "说明.docx").write_bytes(b"not a spreadsheet")
    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        watcher = HeardWatcher(ws, processor, debounce=0.2, rescan=300, poll_interval=0.3)
        running = Running(watcher)
        try:
            assert wait_until(lambda: watcher.passes >= 1, FILE_TIMEOUT)
            assert wait_until(lambda: ws.inbox_note_path(TOWN).exists(), FILE_TIMEOUT)
            # it settles (a note that woke it would keep it running passes), after at most one follow-up pass
            assert _settled(watcher) <= 2
        finally:
            running.stop()


def test_a_decision_saved_while_the_workbooks_are_rewritten_is_read_when_they_are_done(ws, config):
    """A town saves its 镇级核查表 while the district's workbooks are being rewritten (their lock held): the pass
    its save wakes leaves it alone, and the watcher looks again as soon as the writer is done — not at the next
    rescan (minutes away here)."""
    from factory import HEAD_B, base_rows, decide, drop, ledger_row, review
    from filelock import FileLock

    from excel_bridge.pipeline.district import writer_running

    today = dt.date.today()
    rows = base_rows()  # 李秀英 (8000 元/人) with a passed 纳入监测 review whose notice has ended
    rows["review"] = [review(HEAD_B, review_date=today - dt.timedelta(days=20),
                             notice_start=today - dt.timedelta(days=19), notice_end=today - dt.timedelta(days=15))]
    drop(ws, config, rows)
    with Processor(ws, as_of=today, workers=1) as processor:
        processor.run_pass(wait=0.05)
        assert ledger_row(ws, HEAD_B).state == "待镇核查"
        watcher = HeardWatcher(ws, processor, debounce=0.2, rescan=600, poll_interval=0.5)
        running = Running(watcher)
        try:
            assert wait_until(lambda: watcher.passes >= 1, FILE_TIMEOUT)
            start = _settled(watcher)
            writing = FileLock(str(ws.outputs_lock_path))
            writing.acquire()  # the district's writer at work (another program's, or the watcher's own)
            try:
                assert writer_running(ws)
                decide(ws.town_review_path(TOWN), "待镇审核", "李秀英", "同意", "属实", "王核查", today)
                assert wait_until(lambda: watcher.passes > start, FILE_TIMEOUT)  # the save woke a pass: it waited
                assert ledger_row(ws, HEAD_B).state == "待镇核查"
            finally:
                writing.release()
            assert wait_until(lambda: ledger_row(ws, HEAD_B).state == "待区认定", FILE_TIMEOUT)
        finally:
            running.stop()
