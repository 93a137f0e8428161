"""The district job (every town's 镇级核查表 and the master) in a small district, as the tests and a village-sized
district run it: CPU seconds of one job, by what changed since the job before.

  first       a fresh workspace's first job (no workbook in place: every town built)
  one town    after a pass that took one village file (that town built, the others run dry and kept)
  nothing     after a pass that took nothing (every town runs dry and is kept; the master is written)

Each kind is timed in this process (time.process_time: the job runs here, not in a worker), on a fresh workspace
per repeat made by the tests' own factory (tests/factory.py: nine towns, two households a village). Prints a
table, then one JSON line. Usage: python bench/district_job.py [--repeat 5]

`--engine N`: N jobs after one village file on one ledger, alternating a kept engine (what the district job does in
a worker, Store.open keep_engine) with a new one each job; the median CPU of each. Usage:
python bench/district_job.py --engine 30
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

FILES = [("马坝镇", "石塘村"), ("大塘镇", "新村"), ("马坝镇", "坪田村")]


def one_repeat(base: Path) -> dict[str, list[float]]:
    from factory import AS_OF, workspace_on, write_village

    from excel_bridge.pipeline import Processor
    from excel_bridge.pipeline.district import DistrictJob, district_job

    root = base / "ws"
    shutil.rmtree(root, ignore_errors=True)
    ws = workspace_on(root, None)
    config = ws.config()
    job = DistrictJob(str(root), ws.database(None), AS_OF)
    times: dict[str, list[float]] = {"first": [], "one town": [], "nothing": []}

    def timed(kind: str) -> None:
        started = time.process_time()
        district_job(job)
        times[kind].append(time.process_time() - started)

    def a_pass() -> None:
        with Processor(ws, as_of=AS_OF, workers=1) as p:
            p.district.request = lambda *a, **k: None  # the job is timed here, in this process
            p.run_pass(wait=0.01)

    a_pass()
    timed("first")
    for town, village in FILES:
        write_village(ws.town_inbox(town) / f"{village}.xlsx", config, town=town, village=village)
        a_pass()
        timed("one town")
    a_pass()
    timed("nothing")
    return times


def engine_ab(base: Path, jobs: int) -> dict[str, list[float]]:
    """Jobs on one ledger, alternately with the engine kept from the job before and with a new one."""
    from factory import AS_OF, workspace_on, write_village

    from excel_bridge.pipeline import Processor
    from excel_bridge.pipeline.district import DistrictJob, district_job
    from excel_bridge.store import Store

    ws = workspace_on(base / "ws", None)
    write_village(ws.town_inbox("马坝镇") / "石塘村.xlsx", ws.config(), town="马坝镇", village="石塘村")
    with Processor(ws, as_of=AS_OF, workers=1) as p:
        p.district.request = lambda *a, **k: None
        p.run_pass(wait=0.01)
    job = DistrictJob(str(ws.root), ws.database(None), AS_OF)
    opened = Store.open.__func__  # type: ignore[attr-defined]
    times: dict[str, list[float]] = {"kept engine": [], "new engine": []}
    try:
        district_job(job)  # the first job makes the engine either way
        for n in range(jobs):
            keep = n % 2 == 0
            Store.open = classmethod(lambda cls, *a, keep=keep, **k: opened(cls, *a, **{**k, "keep_engine": keep}))
            started = time.process_time()
            district_job(job)
            times["kept engine" if keep else "new engine"].append(time.process_time() - started)
    finally:
        Store.open = classmethod(opened)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engine", type=int, default=0, metavar="N", help="N jobs: kept engine against a new one")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="eb-district-job-"))
    if args.engine:
        try:
            runs = engine_ab(base, args.engine)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        medians = {kind: round(statistics.median(s), 4) for kind, s in runs.items()}
        for kind, s in runs.items():
            print(f"{kind:11s} {medians[kind]:.3f} s CPU, median of {len(s)}")
        print(json.dumps({"district_job_cpu_s": medians, "jobs": {k: len(v) for k, v in runs.items()}},
                         ensure_ascii=False))
        return
    try:
        runs: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for kind, seconds in one_repeat(base).items():
                runs.setdefault(kind, []).extend(seconds)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    medians = {kind: round(statistics.median(s), 4) for kind, s in runs.items()}
    for kind, s in runs.items():
        print(f"{kind:10s} {medians[kind]:.3f} s CPU, median of {len(s)}")
    print(json.dumps({"district_job_cpu_s": medians, "jobs": {k: len(v) for k, v in runs.items()}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
