"""City benchmark (issue 24): N districts × H households on one PostgreSQL server, each district in its own schema.

A measurement, never a test. Run:

    python bench/city.py --database postgresql+psycopg://eb:eb@localhost:5432/eb_test
                         [--districts 3 --households 2000] [--village-size 250] [--seed 2021] [--keep DIR]
    python bench/city.py --reuse DIR [--repeat 3] [--drop]

The issue's size is `--districts 10 --households 50000` (each district the full district bench's size).
`--keep DIR` keeps the workspaces in DIR and their schemas on the server, and writes DIR/bench.json (the server,
the schemas, the planted IDs, the loads); `--reuse DIR` then measures the roll-up and the match again on that city
without loading anything (the load figures are the kept ones), `--repeat N` times, and `--drop` drops its schemas and
DIR at the end. So a city is loaded once and measured as often as wanted.

Inputs: each district's villages made by excel_bridge.demo (the generator `excel-bridge demo` uses, no deliberate
mistakes), every district with ID numbers of its own address code; then 1 % of the people of district d (members who
are not the head, every 100th) are replaced by people of district d-1 (its every 100th, offset by 50: never a person
planted elsewhere), the whole member row copied — a person registered in two districts.
Figures:
  load        per district: `excel-bridge init` (makes its schema) and a cold `excel-bridge process` of its whole
              inbox (returned copies, town workbooks, master), each a subprocess; the first district's is the
              single-district cold pass on this server (the others load beside districts already there)
  rollup      `excel-bridge city 市级设置.yaml` as a subprocess (every district's numbers and 考核, the city's,
              跨区重复, 市级汇总.xlsx written), wall time and peak RSS of its process tree (sampled, like
              bench/district.py; the server's own memory is not in it)
  match       the cross-district match alone, in this process: one query over every schema (people_in_several),
              and the same by streaming each ledger in ID order and merging; each checked against the planted
              people: all found, none invented
Prints a table, then as its last line one JSON object with every figure (with --repeat, each run's roll-up and match
figures and the median). The schemas are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from district import _tree_rss  # noqa: E402  (bench/district.py: RSS of a process tree from /proc)

AS_OF = dt.date(2026, 11, 1)
CITY = "韶关市"
EVERY = 100  # one person in EVERY registered twice
KEPT = "bench.json"  # in --keep DIR: what --reuse needs


def region(d: int) -> str:
    return f"4402{d + 10:02d}"


def district_name(d: int) -> str:
    return f"第{d + 1}区"


def _village_rows(root: str, d: int, town: str, village: str, households: int, seed: int, index: int) -> dict:
    from excel_bridge.demo import IdPool, generate_village
    from excel_bridge.workspace import Workspace

    config = Workspace(Path(root)).config()
    rng = random.Random(seed * 100_003 + index)
    ids = IdPool(region(d), share=index, shares=500)
    return generate_village(rng, config, ids, town=town, village=village, households=households, as_of=AS_OF,
                            mistakes=0).rows


def _others(rows: dict) -> list[dict]:
    return [m for m in rows["member"] if m["relation"] != "户主"]


def _make_village(job: tuple[str, str | None, int, str, str, int, int, int, str]) -> list[str]:
    """One village of district d written into its inbox; returns the IDs planted in it (copied from district d-1)."""
    from excel_bridge.workspace import Workspace
    from excel_bridge.writers.template import write_village_workbook

    root, previous_root, d, town, village, households, seed, index, out = job
    rows = _village_rows(root, d, town, village, households, seed, index)
    planted = []
    if previous_root is not None:  # the same village index of the district before: its people, every 100th (+50)
        before = _others(_village_rows(previous_root, d - 1, town, village, households, seed, index))
        mine = _others(rows)
        for k in range(0, len(mine), EVERY):
            source = k + EVERY // 2
            if source >= len(before):
                break
            keep = {"head_id": mine[k]["head_id"], "relation": mine[k]["relation"]}
            mine[k].clear()
            mine[k].update({**before[source], **keep})
            planted.append(before[source]["person_id"])
    write_village_workbook(Path(out), Workspace(Path(root)).config(), town=town, village=village, rows=rows,
                           created=dt.datetime(2026, 11, 1))
    return planted


def run_sampled(args: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """A command, its wall seconds and the peak RSS (MiB) of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    result = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[2:4])} failed ({proc.returncode}):\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return result, wall, peak / 1048576


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "excel_bridge.cli", *map(str, args)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", help="the PostgreSQL server (its database)")
    parser.add_argument("--districts", type=int, default=3)
    parser.add_argument("--households", type=int, default=2000, help="per district")
    parser.add_argument("--village-size", type=int, default=250, help="households per village")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the workspaces here and their schemas on the server (DIR/bench.json)")
    parser.add_argument("--reuse", type=Path, default=None, metavar="DIR",
                        help="measure the roll-up and match again on a city kept by --keep DIR (no load)")
    parser.add_argument("--repeat", type=int, default=1, help="measure the roll-up and the match this many times")
    parser.add_argument("--drop", action="store_true", help="with --reuse: drop its schemas and DIR at the end")
    args = parser.parse_args()
    if args.reuse is not None:
        reuse(args)
        return
    if args.database is None:
        parser.error("--database is required (unless --reuse)")
    from sqlalchemy import create_engine

    tag = uuid.uuid4().hex[:8]
    schemas = [f"eb_city_{tag}_{d}" for d in range(args.districts)]
    try:
        run(args, schemas)
    finally:
        if args.keep is None:
            shutil.rmtree(Path(tempfile.gettempdir()) / f"eb-city-bench-{tag}", ignore_errors=True)
            _drop(create_engine(args.database), schemas)


def _drop(engine: Any, schemas: list[str]) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def reuse(args: argparse.Namespace) -> None:
    """The roll-up and the match measured again on a kept city."""
    from sqlalchemy import create_engine

    kept = json.loads((args.reuse / KEPT).read_text(encoding="utf-8"))
    try:
        measure(kept, args.reuse / CITY / "市级设置.yaml", args.repeat)
    finally:
        if args.drop:
            _drop(create_engine(kept["database"]), kept["schemas"])
            shutil.rmtree(args.reuse, ignore_errors=True)


def run(args: argparse.Namespace, schemas: list[str]) -> None:
    from excel_bridge.settings import QUJIANG_TOWNS, DistrictSettings, dump_settings

    base = args.keep or Path(tempfile.gettempdir()) / f"eb-city-bench-{schemas[0].split('_')[2]}"
    base.mkdir(parents=True, exist_ok=True)
    villages = max(1, args.households // args.village_size)
    towns = QUJIANG_TOWNS[:3]
    plan = [(towns[i % len(towns)], f"村{i + 1:03d}") for i in range(villages)]
    roots = [base / district_name(d) for d in range(args.districts)]
    loads, planted = [], set()
    for d, root in enumerate(roots):
        if root.exists():
            shutil.rmtree(root)
        settings = base / f"{district_name(d)}_设置.yaml"
        settings.write_text(dump_settings(DistrictSettings(
            district=district_name(d), district_code=region(d), supervision_phone="", policy_document="",
            towns={t: sorted(v for tt, v in plan if tt == t) for t in towns}, database=args.database,
            ledger_schema=schemas[d])), encoding="utf-8")
        subprocess.run(cli("init", root, "--from", settings), check=True, capture_output=True)
        jobs = [(str(root), str(roots[d - 1]) if d else None, d, town, village, args.village_size, args.seed, i,
                 str(root / "收件箱" / town / f"{village}.xlsx")) for i, (town, village) in enumerate(plan)]
        t = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for ids in pool.map(_make_village, jobs):
                planted.update(ids)
        generate_s = time.perf_counter() - t
        _, wall, rss = run_sampled(cli("process", root, "--as-of", AS_OF.isoformat()))
        loads.append({"district": district_name(d), "generate_s": round(generate_s, 1), "load_s": round(wall, 1),
                      "load_rss_mib": round(rss)})
        print(f"loaded {district_name(d)}: {wall:.1f} s (inputs made in {generate_s:.1f} s)", file=sys.stderr)

    city_dir = base / CITY
    city_dir.mkdir(exist_ok=True)
    city_settings = city_dir / "市级设置.yaml"
    import yaml

    city_settings.write_text(yaml.safe_dump({"city": CITY, "server": args.database, "districts": [
        {"name": district_name(d), "schema": schemas[d]} for d in range(args.districts)]}, allow_unicode=True),
        encoding="utf-8")
    kept = {"database": args.database, "schemas": schemas, "districts": args.districts,
            "households_per_district": villages * args.village_size, "loads": loads, "planted": sorted(planted)}
    if args.keep is not None:
        (base / KEPT).write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")
    measure(kept, city_settings, args.repeat)


def measure(kept: dict[str, Any], city_settings: Path, repeat: int) -> None:
    """The roll-up (a subprocess) and the match both ways (in this process), `repeat` times; the table and the JSON."""
    from excel_bridge.store import PersonPlace, Store, in_several_streamed, people_in_several, with_schema

    database, schemas, loads = kept["database"], kept["schemas"], kept["loads"]
    planted = set(kept["planted"])
    runs = []
    for _ in range(max(1, repeat)):
        done, rollup_s, rollup_rss = run_sampled(cli("city", city_settings, "--as-of", AS_OF.isoformat()))
        t = time.perf_counter()
        found = people_in_several(database, {district_name(d): s for d, s in enumerate(schemas)})
        query_s = time.perf_counter() - t
        stores = [Store.open_read(with_schema(database, s)) for s in schemas]
        t = time.perf_counter()
        streamed: list[PersonPlace] = list(in_several_streamed(
            [st.people_by_id(district_name(d)) for d, st in enumerate(stores)]))
        stream_s = time.perf_counter() - t
        for st in stores:
            st.close()
        found_ids = {p.person_id for p in found}
        runs.append({"rollup_s": round(rollup_s, 2), "rollup_rss_mib": round(rollup_rss),
                     "match_query_s": round(query_s, 2), "match_stream_s": round(stream_s, 2),
                     "found": len(found_ids), "missed": len(planted - found_ids),
                     "invented": len(found_ids - planted), "streamed_same": streamed == found,
                     "rows_listed": len(found)})
        print(done.stdout.strip().splitlines()[-1], file=sys.stderr)
    cold = loads[0]["load_s"]
    figures = {
        "districts": kept["districts"], "households_per_district": kept["households_per_district"],
        "planted": len(planted), "loads": loads, "single_district_cold_s": cold,
        **{k: round(statistics.median(r[k] for r in runs), 2) for k in ("rollup_s", "rollup_rss_mib", "match_query_s",
                                                                         "match_stream_s")},
        **{k: runs[-1][k] for k in ("found", "missed", "invented", "rows_listed")},
        "all_found_none_invented": all(r["missed"] == 0 and r["invented"] == 0 and r["found"] == len(planted)
                                       for r in runs),
        "streamed_same": all(r["streamed_same"] for r in runs), "runs": runs,
    }
    print(f"{'what':<52}{'figure':>14}")
    for load in loads:
        print(f"{'load ' + load['district'] + ' (init + cold process)':<52}{load['load_s']:>12.1f} s"
              f"  ({load['load_s'] / cold:.2f} × the single-district cold pass)")
    for i, r in enumerate(runs, 1):
        print(f"{f'roll-up #{i}: excel-bridge city':<52}{r['rollup_s']:>12.2f} s")
        print(f"{f'roll-up #{i} peak RSS (process tree)':<52}{r['rollup_rss_mib']:>10.0f} MiB")
        print(f"{f'match #{i}: one query over every schema':<52}{r['match_query_s']:>12.2f} s")
        print(f"{f'match #{i}: streamed and merged':<52}{r['match_stream_s']:>12.2f} s")
    print(f"{'planted / found / missed / invented':<52}{len(planted):>5} / {figures['found']} / "
          f"{figures['missed']} / {figures['invented']}"
          f"  ({'all found, none invented' if figures['all_found_none_invented'] else 'NOT all found / some invented'})")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
