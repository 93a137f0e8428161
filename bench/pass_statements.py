"""The statements a cold pass sends to the ledger, counted in its main process: how many of each, and the time
spent inside them (client and server: a statement's round trip). A measurement, never a test. Run:

    python bench/pass_statements.py [--villages 20 --households 250 --seed 2021] [--keep DIR]
                                    [--database postgresql+psycopg://eb:eb@localhost:5432/eb_test] [--top 25]

The inputs are bench/district.py's (made there, or reused from --keep DIR); a fresh workspace gets them all and one
`process` pass runs in this process (its workers write the copies and the district's workbooks: their reads are not
counted here). COPY on PostgreSQL (store/bulk.py) is seen by the listener too, as one statement of many rows.
Prints a table of the statements by kind, then one JSON line with the totals.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = dt.date(2026, 11, 1)


def kind_of(statement: str) -> str:
    """A statement's shape: its first words with the literals, parameters and IN lists blurred."""
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"\(\s*(%\([^)]*\)s|\?|:\w+|\$\d+)(\s*,\s*(%\([^)]*\)s|\?|:\w+|\$\d+))*\s*\)", "(…)", text)
    text = re.sub(r"__\[POSTCOMPILE_\w+\]", "…", text)
    return text[:110]


class ServerCpu(threading.Thread):
    """CPU seconds the PostgreSQL backends of one database on this machine spend while it runs: their /proc
    counters sampled every 20 ms (a backend that ends between two samples loses at most its last 20 ms). Other
    databases of the server (another checkout's tests) are not counted; nothing runs here for SQLite."""

    def __init__(self, database: str | None) -> None:
        super().__init__(daemon=True)
        self.tag = f" {database} ".encode() if database else None
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.done = threading.Event()
        self.sample(start=True)

    def sample(self, *, start: bool = False) -> None:
        if self.tag is None:
            return
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if self.tag not in (proc / "cmdline").read_bytes().split(b"\0")[0] + b" ":
                    continue
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            pid = int(proc.name)
            self.first.setdefault(pid, ticks if start else 0)
            self.last[pid] = ticks

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.sample()

    def stop(self) -> float:
        self.done.set()
        self.join()
        self.sample()
        return sum(self.last[p] - self.first[p] for p in self.last) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def main() -> None:
    import district  # bench/district.py: the same inputs and workspaces

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=20)
    parser.add_argument("--households", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--database", default=None, metavar="URL")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    from sqlalchemy import event
    from sqlalchemy.engine import Engine, make_url

    from excel_bridge.pipeline import Processor
    from excel_bridge.workspace import Workspace

    base = args.keep or Path(tempfile.gettempdir()) / "excel-bridge-bench"
    base.mkdir(parents=True, exist_ok=True)
    plan = district.plan_district(args.villages, args.seed)
    files = district.make_inputs(base / f"inputs-{args.villages}x{args.households}-{args.seed}", plan,
                                 args.households, args.seed)
    counts: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()
    rows: collections.Counter[str] = collections.Counter()
    counting = False

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        took = time.perf_counter() - conn.info["started"].pop()
        if counting:
            kind = kind_of(statement)
            counts[kind] += 1
            seconds[kind] += took
            rows[kind] += len(parameters) if executemany else 1

    with district.Ledgers(args.database) as ledgers:
        root = district.fresh_workspace(base, "statements", plan, files, ledgers)
        ws = Workspace.open(root)
        with Processor(ws, as_of=AS_OF) as p:
            p.stability.seen = {}
            p.run_pass(wait=0)  # first observation
            counting = True
            server = ServerCpu(make_url(args.database).database if args.database else None)
            start, client = time.perf_counter(), own_cpu()
            server.start()
            report = p.run_pass(wait=0)
            wall, server_s = time.perf_counter() - start, server.stop()
            counting = False
        client = own_cpu() - client  # the workers' too, once they have ended (their start included)
    applied = sum(1 for f in report.files if f.status == "applied")
    print(f"{'statements':>10} {'rows':>8} {'seconds':>8}  kind")
    for kind, n in sorted(counts.items(), key=lambda kv: -seconds[kv[0]])[:args.top]:
        print(f"{n:>10} {rows[kind]:>8} {seconds[kind]:>8.3f}  {kind}")
    print(json.dumps({"backend": ledgers.backend, "villages": args.villages, "applied": applied,
                      "pass_s": round(wall, 2), "server_cpu_s": round(server_s, 2),
                      "client_cpu_s": round(client, 2), "statements": sum(counts.values()),
                      "statement_s": round(sum(seconds.values()), 3), "kinds": len(counts)}))


if __name__ == "__main__":
    main()
