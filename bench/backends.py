"""PostgreSQL's cold pass against SQLite's, in the same run: pairs of cold passes on the same inputs, one on each
backend back to back, which of the two goes first alternating from pair to pair. A measurement, never a test. Run:

    python bench/backends.py [--pairs 7] [--villages 20 --households 250 --seed 2021] [--keep DIR]
                             [--database postgresql+psycopg://eb:eb@localhost:5432/eb_test]

(default --database: EB_TEST_POSTGRES). Each cold pass is bench/district.py's: a fresh workspace (its own SQLite
file, or a fresh schema on the server, dropped at the end) with every village in the inbox, one `process` pass in
a fresh subprocess, timed inside it. On a machine whose speed moves from minute to minute (this one: the same
SQLite pass 3.9–5.8 s within ten minutes), one pair says little; the figure is the median of the pairs' ratios,
quoted with the ratio of the two medians. The server shares the machine's cores with the pass (its CPU is part of
PostgreSQL's cost here, as on a district PC that runs both). Before each pass the machine is let go quiet (nine
tenths of its CPU idle over half a second, at most 60 s: the server's autovacuum and checkpoint after the pass before
run on the server's time, not on the next pass's). Linux (it reads /proc/stat).
Prints one line a pair, then as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import district  # noqa: E402 - bench/district.py: the same inputs, workspaces and cold-pass driver


def cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)


def quiet(limit: float = 60.0) -> float:
    """Wait until nine tenths of the machine's CPU stayed idle for half a second; the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        idle0, total0 = cpu_times()
        time.sleep(0.5)
        idle1, total1 = cpu_times()
        if total1 > total0 and (idle1 - idle0) / (total1 - total0) >= 0.9:
            break
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--villages", type=int, default=20)
    parser.add_argument("--households", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", type=Path, default=None, help="keep inputs here (and reuse them)")
    parser.add_argument("--database", default=os.environ.get("EB_TEST_POSTGRES"), metavar="URL")
    args = parser.parse_args()
    if not args.database:
        raise SystemExit("--database: a PostgreSQL URL is needed (or EB_TEST_POSTGRES)")
    base = args.keep or Path(tempfile.gettempdir()) / "excel-bridge-bench"
    base.mkdir(parents=True, exist_ok=True)
    plan = district.plan_district(args.villages, args.seed)
    files = district.make_inputs(base / f"inputs-{args.villages}x{args.households}-{args.seed}", plan,
                                 args.households, args.seed)
    seconds: dict[str, list[float]] = {"postgresql": [], "sqlite": []}
    ratios = []
    with district.Ledgers(args.database) as server, district.Ledgers(None) as embedded:
        for pair in range(args.pairs):
            order = (server, embedded) if pair % 2 == 0 else (embedded, server)
            took = {}
            for ledgers in order:
                quiet()
                run = district.cold(base, f"backends-{ledgers.backend}", plan, files, ledgers)
                if run["applied"] != len(files):
                    raise SystemExit(f"{ledgers.backend}: {run['applied']} of {len(files)} files applied")
                took[ledgers.backend] = run["seconds"]
                seconds[ledgers.backend].append(run["seconds"])
            ratios.append(took["postgresql"] / took["sqlite"])
            print(f"pair {pair + 1} ({order[0].backend} first): postgresql {took['postgresql']:.2f} s, "
                  f"sqlite {took['sqlite']:.2f} s, ratio {ratios[-1]:.2f}", flush=True)
    pg, sq = statistics.median(seconds["postgresql"]), statistics.median(seconds["sqlite"])
    print(json.dumps({"villages": args.villages, "households": args.households, "pairs": args.pairs,
                      "ratio_median": round(statistics.median(ratios), 2), "ratio_of_medians": round(pg / sq, 2),
                      "postgresql_s": round(pg, 2), "sqlite_s": round(sq, 2),
                      "ratios": [round(r, 2) for r in ratios]}))


if __name__ == "__main__":
    main()
