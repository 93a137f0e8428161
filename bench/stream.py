"""Stream benchmark: a running `excel-bridge watch` over a whole district, one village file dropped every few
seconds — how long each drop waits for its returned copy, and how far the district master lags behind.

A measurement, never a test. Run:

    python bench/stream.py [--villages 200 --households 250] [--seconds 120 --interval 2] [--seed 2021]
                           [--keep DIR] [--database URL] [--settle 300]

1. The district (the inputs of bench/district.py, made once per size and seed and reused) is ingested into a
   fresh workspace by `excel-bridge process` (a subprocess), so the ledger and every output exist.
2. The drops are made before the clock starts: for drop k, a village's file re-saved (openpyxl, as a clerk's
   program re-saves it) with 工资性收入 of its first household set to 12345 + k — new content, never a
   duplicate. Villages are taken in a seeded shuffle (cycled when there are more drops than villages).
3. `excel-bridge watch` is started as a real subprocess; once it has said it is watching and the workspace is
   quiet, one drop lands every --interval seconds for --seconds: written beside the inbox, then renamed into
   收件箱/<镇>/ under the village's file name (a save over the clerk's earlier file), so it lands at once.
4. A monitor thread polls every 50 ms:
   - each drop's returned copy, found by name (<file stem>_反馈*.xlsx) anywhere under 反馈/<镇>/, so it is found
     wherever the pipeline places it; a new or changed copy counts only when its 回执 carries the drop's
     SHA-256. Turnaround = the copy's mtime − the moment the drop landed.
   - the master (区级/区级总台账*.xlsx): every version written is kept (hard link) with its mtime.
   After the last drop it waits (at most --settle seconds) until every drop has its copy and the newest master
   shows every drop applied, then stops the watcher (SIGTERM).
5. The master's lag, precisely: for drop k, the mtime of the first master version whose 提交记录 lists the
   drop's SHA-256 as applied (已入账), minus the moment drop k landed. Such a version was generated from a
   ledger in which drop k had been applied (提交记录 is read from the ledger when the master is built), which
   the 总览 更新时间 (a time of day) cannot prove. stream_master_lag_s is the largest over the drops.

Prints one line per drop, a summary, and as its last line one JSON object: stream_p95_s (nearest rank, over
every drop; null if any drop never got its copy), stream_median_s, stream_max_s, stream_master_lag_s (null if
any drop never reached the master), stream_master_lag_median_s, and the run's parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from district import AS_OF, ROOT, Ledgers, _tree_rss, fresh_workspace, make_inputs, plan_district  # noqa: E402

POLL = 0.05
WAGE_HEADER = "工资性收入"


@dataclass
class Drop:
    k: int
    town: str
    name: str  # the village file's name, also the name it lands under
    source: Path  # the prepared, edited file
    sha256: str
    landed: float | None = None  # time.time() right after the rename into the inbox
    baseline: dict[Path, tuple[int, int]] = field(default_factory=dict)  # returned copies before it landed
    copy_written: float | None = None  # mtime of its returned copy
    copy_path: Path | None = None
    master_at: float | None = None  # mtime of the first master version showing it applied

    @property
    def turnaround(self) -> float | None:
        return None if self.copy_written is None or self.landed is None else self.copy_written - self.landed

    @property
    def master_lag(self) -> float | None:
        return None if self.master_at is None or self.landed is None else self.master_at - self.landed


# --- the drops ------------------------------------------------------------------------------------------

def _edit(job: tuple[str, str, int]) -> str:
    """Re-save one village file with its first household's 工资性收入 changed (run in a worker process)."""
    import openpyxl

    src, out, k = job
    wb = openpyxl.load_workbook(src)
    sheet = wb["户信息"]
    column = next(c.column for c in sheet[1] if c.value == WAGE_HEADER)
    sheet.cell(row=2, column=column).value = 12345 + k
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return hashlib.sha256(Path(out).read_bytes()).hexdigest()


def prepare_drops(files: list[tuple[str, Path]], n: int, seed: int, scratch: Path) -> list[Drop]:
    order = list(files)
    random.Random(seed).shuffle(order)
    picks = [order[k % len(order)] for k in range(n)]
    jobs = [(str(path), str(scratch / "drops" / f"{k:03d}" / path.name), k) for k, (_, path) in enumerate(picks)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        hashes = list(pool.map(_edit, jobs))
    return [Drop(k=k, town=town, name=path.name, source=Path(jobs[k][1]), sha256=h)
            for k, ((town, path), h) in enumerate(zip(picks, hashes))]


# --- what the workspace shows -----------------------------------------------------------------------------

def returned_copies(feedback: Path, name: str) -> dict[Path, tuple[int, int]]:
    """Every returned copy of the file `name` under the town's feedback folder, wherever it is placed."""
    stem = Path(name).stem + "_反馈"
    out = {}
    for p in feedback.rglob(stem + "*.xlsx"):
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        out[p] = (st.st_mtime_ns, st.st_size)
    return out


def receipt_sha(path: Path) -> str | None:
    """The SHA-256 a returned copy's 回执 says it was made from."""
    import python_calamine as pc

    try:
        rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("回执").to_python()
    except Exception:  # noqa: BLE001 - replaced while being read, or not (yet) a returned copy
        return None
    for row in rows:
        if len(row) >= 2 and str(row[0]).startswith("文件指纹"):
            return str(row[1])
    return None


def applied_in_master(path: Path) -> set[str]:
    """The SHA-256 of every submission the master's 提交记录 lists as applied (已入账)."""
    import python_calamine as pc

    from excel_bridge.messages import status_word

    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("提交记录").to_python()
    header = [str(c) for c in rows[0]]
    sha, result = next(i for i, h in enumerate(header) if h.startswith("文件指纹")), header.index("结果")
    applied = status_word("applied")
    return {str(r[sha]) for r in rows[1:] if len(r) > max(sha, result) and r[result] == applied}


class Monitor(threading.Thread):
    """Polls the returned copies of the drops in flight and keeps every version of the master."""

    def __init__(self, root: Path, drops: list[Drop], scratch: Path, watch_pid: int) -> None:
        super().__init__(daemon=True)
        self.root, self.drops, self.watch_pid = root, drops, watch_pid
        self.masters_dir = scratch / "masters"
        self.masters_dir.mkdir(parents=True, exist_ok=True)
        self.masters: list[tuple[float, Path]] = []  # (mtime, hard link), in the order they appeared
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.peak_rss = 0
        self._seen_master: set[tuple[str, int]] = set()

    def run(self) -> None:
        last_rss = 0.0
        while not self.stop.is_set():
            self._masters()
            self._copies()
            if time.monotonic() - last_rss > 0.5:
                self.peak_rss = max(self.peak_rss, _tree_rss(self.watch_pid))
                last_rss = time.monotonic()
            time.sleep(POLL)

    def _masters(self) -> None:
        for p in self.root.joinpath("区级").glob("区级总台账*.xlsx"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            if (p.name, st.st_mtime_ns) in self._seen_master:
                continue
            link = self.masters_dir / f"{len(self.masters):03d}.xlsx"
            try:
                os.link(p, link)
            except FileNotFoundError:
                continue
            mtime = link.stat().st_mtime  # the version linked, even if a newer one replaced p meanwhile
            self._seen_master.add((p.name, st.st_mtime_ns))
            self._seen_master.add((p.name, link.stat().st_mtime_ns))
            with self.lock:
                self.masters.append((mtime, link))

    def _copies(self) -> None:
        with self.lock:
            pending = [d for d in self.drops if d.landed is not None and d.copy_written is None]
        for d in pending:
            for path, stamp in returned_copies(self.root / "反馈" / d.town, d.name).items():
                if d.baseline.get(path) == stamp:
                    continue
                if receipt_sha(path) == d.sha256:
                    d.copy_written, d.copy_path = path.stat().st_mtime, path
                    break
                d.baseline[path] = stamp  # another copy (an earlier drop's): not this one's

    def newest_master(self) -> Path | None:
        with self.lock:
            return self.masters[-1][1] if self.masters else None


# --- the run ------------------------------------------------------------------------------------------------

def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "excel_bridge.cli", *args]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def quiet(root: Path, seconds: float, limit: float) -> None:
    """Wait until nothing under 反馈/ and 区级/ has changed for `seconds` (at most `limit`)."""
    def state() -> list[tuple[str, int]]:
        return sorted((str(p), p.stat().st_mtime_ns) for d in ("反馈", "区级") for p in (root / d).rglob("*")
                      if p.is_file())

    end = time.monotonic() + limit
    last, since = state(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.5)
        now = state()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return


def start_watch(root: Path, log_path: Path) -> subprocess.Popen:
    from excel_bridge.messages import TEXT

    ready = TEXT["watch.start"].split("{", 1)[0].strip()
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - the subprocess writes it until stopped
    proc = subprocess.Popen(cli("watch", str(root), "--as-of", AS_OF.isoformat()), stdout=log,
                            stderr=subprocess.STDOUT, env=env(), text=True)
    end = time.monotonic() + 600
    while ready not in log_path.read_text(encoding="utf-8"):
        if proc.poll() is not None or time.monotonic() > end:
            raise SystemExit(f"watch did not start:\n{log_path.read_text(encoding='utf-8')[-3000:]}")
        time.sleep(0.2)
    return proc


def stop_watch(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the watcher stops after the pass in hand
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def land(drop: Drop, inbox: Path, staging: Path) -> None:
    """Put the drop into the inbox at once: copied beside it (same file system), then renamed over the name."""
    drop.baseline = returned_copies(inbox.parent.parent / "反馈" / drop.town, drop.name)
    temp = staging / f"{drop.k:03d}.xlsx"
    shutil.copyfile(drop.source, temp)
    os.replace(temp, inbox / drop.name)
    drop.landed = time.time()


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=200)
    parser.add_argument("--households", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long drops keep coming")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between two drops")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--settle", type=float, default=300.0,
                        help="after the last drop, wait at most this long for the copies and the master")
    parser.add_argument("--keep", type=Path, default=None, help="keep inputs, workspace and master versions here")
    parser.add_argument("--database", default=None, metavar="URL",
                        help="the ledger on this PostgreSQL server (a fresh schema, dropped after)")
    args = parser.parse_args()
    with Ledgers(args.database) as ledgers:  # PostgreSQL: the schemas made for the run are dropped after
        run(args, ledgers)


def run(args: argparse.Namespace, ledgers: Ledgers) -> None:
    base = args.keep or Path(tempfile.gettempdir()) / "excel-bridge-bench"
    base.mkdir(parents=True, exist_ok=True)
    plan = plan_district(args.villages, args.seed)
    files = make_inputs(base / f"inputs-{args.villages}x{args.households}-{args.seed}", plan, args.households,
                        args.seed)
    scratch = base / "stream-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "staging").mkdir(parents=True)

    root = fresh_workspace(base, "stream", plan, files, ledgers)
    t = time.perf_counter()
    ingest = subprocess.run(cli("process", str(root), "--as-of", AS_OF.isoformat()), capture_output=True,
                            text=True, env=env())
    ingest_s = time.perf_counter() - t
    if ingest.returncode != 0:
        raise SystemExit(f"ingest failed:\n{ingest.stdout[-2000:]}\n{ingest.stderr[-2000:]}")

    n = max(1, int(args.seconds / args.interval))
    drops = prepare_drops(files, n, args.seed, scratch)

    proc = start_watch(root, scratch / "watch.log")
    monitor = Monitor(root, drops, scratch, proc.pid)
    try:
        quiet(root, 5.0, 300.0)  # the watcher's first pass (nothing new) and anything it rewrites
        monitor.start()
        start = time.monotonic()
        for d in drops:
            time.sleep(max(0.0, start + d.k * args.interval - time.monotonic()))
            with monitor.lock:
                land(d, root / "收件箱" / d.town, scratch / "staging")
        wanted = {d.sha256 for d in drops}
        end = time.monotonic() + args.settle
        checked: Path | None = None
        while time.monotonic() < end:
            newest = monitor.newest_master()
            copies_done = all(d.copy_written is not None for d in drops)
            if copies_done and newest is not None and newest != checked:
                checked = newest
                try:
                    if wanted <= applied_in_master(newest):
                        break
                except Exception:  # noqa: BLE001 - a version still being linked; look again
                    checked = None
            time.sleep(0.5)
    finally:
        monitor.stop.set()
        monitor.join(timeout=10)
        stop_watch(proc)

    # which master version first showed each drop applied
    first_drop = min(d.landed for d in drops if d.landed is not None)
    versions = sorted(monitor.masters)
    for mtime, path in versions:
        if mtime < first_drop:
            continue
        try:
            applied = applied_in_master(path)
        except Exception:  # noqa: BLE001 - an unreadable version counts as showing nothing
            continue
        for d in drops:
            if d.master_at is None and d.sha256 in applied:
                d.master_at = mtime

    turn = [d.turnaround for d in drops if d.turnaround is not None]
    lags = [d.master_lag for d in drops if d.master_lag is not None]
    missing_copies = sum(1 for d in drops if d.turnaround is None)
    missing_master = sum(1 for d in drops if d.master_lag is None)
    print(f"{'drop':>4}  {'at':>6}  {'town/village file':<26}  {'returned copy':>13}  {'master':>8}")
    for d in drops:
        at = (d.landed or first_drop) - first_drop
        copy = f"{d.turnaround:.2f} s" if d.turnaround is not None else "none"
        lag = f"{d.master_lag:.1f} s" if d.master_lag is not None else "none"
        print(f"{d.k:>4}  {at:>5.1f}s  {d.town + '/' + d.name[len(d.town):][:18]:<26}  {copy:>13}  {lag:>8}")
    masters_after = sum(1 for m, _ in versions if m >= first_drop)
    summary = [
        ("district", f"{args.villages} villages × {args.households} households, ledger {ledgers.backend}, "
                     f"ingested in {ingest_s:.1f} s"),
        ("drops", f"{len(drops)}, one every {args.interval:g} s for {args.seconds:g} s"),
        ("drop → returned copy", (f"median {statistics.median(turn):.2f} s, p95 {nearest_rank(turn, 0.95):.2f} s, "
                                  f"max {max(turn):.2f} s" if turn else "none") +
         (f", {missing_copies} never came" if missing_copies else "")),
        ("drop → master showing it", (f"median {statistics.median(lags):.1f} s, max {max(lags):.1f} s"
                                      if lags else "none") + (f", {missing_master} never" if missing_master else "")),
        ("master versions written", f"{masters_after} during the stream"),
        ("watch peak RSS", f"{monitor.peak_rss / 1048576:.0f} MiB (process tree)"),
    ]
    width = max(len(k) for k, _ in summary)
    for k, v in summary:
        print(f"{k:<{width}}  {v}")
    figures = {
        "backend": ledgers.backend, "villages": args.villages, "households_per_village": args.households,
        "seconds": args.seconds, "interval": args.interval, "drops": len(drops), "ingest_s": round(ingest_s, 1),
        "stream_p95_s": round(nearest_rank(turn, 0.95), 3) if turn and not missing_copies else None,
        "stream_median_s": round(statistics.median(turn), 3) if turn else None,
        "stream_max_s": round(max(turn), 3) if turn else None,
        "stream_missing_copies": missing_copies,
        "stream_master_lag_s": round(max(lags), 2) if lags and not missing_master else None,
        "stream_master_lag_median_s": round(statistics.median(lags), 2) if lags else None,
        "stream_missing_in_master": missing_master,
        "stream_master_versions": masters_after,
        "stream_runs_s": [None if d.turnaround is None else round(d.turnaround, 3) for d in drops],
        "stream_master_lags_s": [None if d.master_lag is None else round(d.master_lag, 2) for d in drops],
        "watch_peak_rss_mib": round(monitor.peak_rss / 1048576),
        "as_of": AS_OF.isoformat(), "finished": dt.datetime.now().isoformat(timespec="seconds"),
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
