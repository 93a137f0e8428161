"""District benchmark: the product measured against floors measured in the same run, on the same files.

A measurement, never a test. Run:

    python bench/district.py [--villages 200 --households 250] [--repeat 9] [--seed 2021] [--keep DIR]
                             [--database postgresql+psycopg://eb:eb@localhost:5432/eb_test]

Inputs are village workbooks made by excel_bridge.demo (the same generator `excel-bridge demo` uses).
The ledger is each workspace's SQLite file; with --database URL it is on that PostgreSQL server instead, in a
schema made fresh for each workspace of the run (the workspace's 区级设置.yaml names it, so every subprocess
uses it) and dropped at the end. The server's own memory is not in the RSS figures (not our process tree).

Floors (single process, sequential — what the libraries cost at least):
  calamine      python-calamine reading every sheet of every input (to_python)
  xlsxwriter    a plain XlsxWriter workbook holding the same rows as the master's 监测户台账 and 家庭成员
  openpyxl      openpyxl load + save of every input unchanged (the unavoidable cost of a returned copy
                that keeps the clerk's layout)
Product (each in a fresh subprocess; RSS sampled over the whole process tree, workers included):
  cold          one `process` pass over the whole inbox: every village new — returned copies, town
                workbooks, master
  turnaround    one village re-dropped into the full district: from the start of the pass that takes the
                (settled) file to its returned copy being written; median of --repeat
  master        regenerating the master alone from the full ledger (its 统计 and 考核 computed in the time)
  report        the month's 通报 from the full ledger: numbers counted, kept, workbook written (no PDF)
  half          the cold run again at half the villages (how cost grows)
  stream        bench/stream.py on the same inputs (a running `watch`, one village dropped every 2 s for
                --stream-seconds; 0 leaves it out): its stream_* figures join this bench's JSON line
Prints a table, then as its last line one JSON object with every figure (`backend`: sqlite or postgresql).
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
import textwrap
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 1)


# --- inputs -----------------------------------------------------------------------------------------

def plan_district(villages: int, seed: int) -> dict[str, list[str]]:
    from excel_bridge.demo import village_names
    from excel_bridge.settings import QUJIANG_TOWNS

    rng = random.Random(seed)
    per_town = {t: 0 for t in QUJIANG_TOWNS}
    for i in range(villages):
        per_town[QUJIANG_TOWNS[i % len(QUJIANG_TOWNS)]] += 1
    return {t: village_names(rng, n) for t, n in per_town.items()}


def _make_village(args: tuple[str, str, int, int, int, str]) -> str:
    from excel_bridge.config import load_config
    from excel_bridge.demo import IdPool, generate_village
    from excel_bridge.writers.template import write_village_workbook

    town, village, households, seed, index, out = args
    config = load_config()
    rng = random.Random(seed * 100_003 + index)
    ids = IdPool("440205", share=index, shares=200)  # disjoint across villages, as real IDs are
    data = generate_village(rng, config, ids, town=town, village=village, households=households, as_of=AS_OF,
                            mistakes=3)
    write_village_workbook(Path(out), config, town=town, village=village, rows=data.rows,
                           created=dt.datetime(2026, 11, 1))
    return out


def make_inputs(directory: Path, plan: dict[str, list[str]], households: int, seed: int) -> list[tuple[str, Path]]:
    """(town, file) for every village; generated once per (size, seed) and reused."""
    jobs, files = [], []
    i = 0
    for town, villages in plan.items():
        for village in villages:
            path = directory / town / f"{town}{village}监测台账.xlsx"
            files.append((town, path))
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                jobs.append((town, village, households, seed, i, str(path)))
            i += 1
    if jobs:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(_make_village, jobs, chunksize=4))
    return files


# --- floors -------------------------------------------------------------------------------------------

def floor_calamine(files: list[Path]) -> float:
    import python_calamine as pc

    start = time.perf_counter()
    for f in files:
        book = pc.CalamineWorkbook.from_path(str(f))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return time.perf_counter() - start


def floor_openpyxl(files: list[Path], scratch: Path) -> float:
    import openpyxl

    start = time.perf_counter()
    for f in files:
        wb = openpyxl.load_workbook(f)
        wb.save(scratch / "copy.xlsx")
    return time.perf_counter() - start


def master_rows(root: Path) -> tuple[list[list[object]], list[list[object]]]:
    """The rows of the master's 监测户台账 and 家庭成员, materialised before timing the floor."""
    from excel_bridge.workspace import Workspace
    from excel_bridge.writers import master

    ws = Workspace.open(root)
    config = ws.config()
    titles = master.rule_titles(config)
    member_cells = master.member_cells(config.schemas.member)
    with ws.open_store() as store:
        households = [master.household_cells_row(r, titles) for r in store.views.master_households()]
        members = [member_cells(r) for r in store.views.master_members()]
    return households, members


def floor_xlsxwriter(households: list[list[object]], members: list[list[object]], scratch: Path) -> float:
    import xlsxwriter

    from excel_bridge.config import load_config
    from excel_bridge.writers.master import HOUSEHOLD_COLUMNS, member_columns

    MEMBER_COLUMNS = member_columns(load_config())

    start = time.perf_counter()
    wb = xlsxwriter.Workbook(str(scratch / "plain.xlsx"), {"constant_memory": True})
    for name, cols, rows in (("监测户台账", HOUSEHOLD_COLUMNS, households), ("家庭成员", MEMBER_COLUMNS, members)):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [c.header for c in cols])
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, row)
    wb.close()
    return time.perf_counter() - start


# --- the product, in subprocesses with the whole process tree's RSS sampled ----------------------------

DRIVER = textwrap.dedent("""
    import datetime as dt, json, sys, time
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from excel_bridge.pipeline import Processor
    from excel_bridge.workspace import Workspace
    mode, root = sys.argv[1], Path(sys.argv[2])
    as_of = dt.date.fromisoformat({as_of!r})
    ws = Workspace.open(root)
    out = {{}}
    if mode == "cold":
        with Processor(ws, as_of=as_of) as p:
            p.stability.seen = {{}}
            p.run_pass(wait=0)  # first observation
            t = time.perf_counter()
            report = p.run_pass(wait=0)
            out["seconds"] = time.perf_counter() - t
            out["files"] = len(report.files)
            out["applied"] = sum(1 for f in report.files if f.status == "applied")
    elif mode == "turnaround":
        import shutil
        sources = [Path(s) for s in sys.argv[3:]]
        times = []
        with Processor(ws, as_of=as_of) as p:
            p.warm()  # as the watcher does at its start
            for i, src in enumerate(sources):
                town = src.parent.name
                target = ws.town_inbox(town) / src.name
                shutil.copy(src, target)
                p.run_pass(wait=0)          # the file is seen (first observation)
                village = src.stem[len(town):].removesuffix("监测台账")  # inputs are <镇><村>监测台账.xlsx
                feedback = ws.returned_copy_path(town, village, src.name)
                before = feedback.stat().st_mtime if feedback.exists() else 0
                start = time.time()
                report = p.run_pass(wait=0)  # settled: taken, applied, returned copy written
                assert feedback.stat().st_mtime > before, "no returned copy"
                times.append(feedback.stat().st_mtime - start)
                out.setdefault("pass_seconds", []).append(report.seconds)
        out["turnaround"] = times
    elif mode == "master":
        from excel_bridge.alerts import all_alerts
        from excel_bridge.history import recent_changes
        from excel_bridge.statistics import CountedHousehold, compute, read_facts, scope_of
        from excel_bridge.town_checks import check_scope, read_check_facts, town_checks
        from excel_bridge.writers.master import write_master
        with ws.open_store() as store:
            config = ws.config()
            t = time.perf_counter()  # what the pipeline hands the writer is computed in the time, as in a pass:
            counted: list[CountedHousehold] = []  # the households streamed once, for the alerts and the numbers

            def households():
                for h in store.households.each():
                    counted.append(CountedHousehold.of_row(h))
                    yield h

            alerts = all_alerts(store, config, as_of, rows=households())
            facts = read_facts(store, counted)
            write_master(ws, store, config, as_of=as_of, alerts=alerts, changes=recent_changes(store),
                         statistics=compute(facts, as_of=as_of, **scope_of(config)),
                         checks=town_checks(facts, read_check_facts(store, as_of), as_of=as_of,
                                            **check_scope(config)))
            out["seconds"] = time.perf_counter() - t
    elif mode == "report":
        from excel_bridge.report import bulletin_path, make_bulletin
        from excel_bridge.writers.bulletin import write_bulletin
        with ws.open_store() as store:
            config = ws.config()
            t = time.perf_counter()  # the month's numbers counted and the 通报 written (its PDF is LibreOffice's time)
            b = make_bulletin(store, config, year=as_of.year, month=as_of.month, today=as_of)
            write_bulletin(bulletin_path(ws, b.district, b.year, b.month), b)
            out["seconds"] = time.perf_counter() - t
    print(json.dumps(out))
""")


def _tree_rss(pid: int) -> int:
    """Resident set size (bytes) of a process and all its descendants, from /proc."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack.extend(int(x) for x in fh.read().split())
        except OSError:
            continue
    return total


def run_driver(mode: str, workspace: Path, *extra: str) -> tuple[dict, float, float]:
    """(driver's JSON, wall seconds, peak RSS MiB of the process tree)."""
    script = DRIVER.format(root=str(ROOT), as_of=AS_OF.isoformat())
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, mode, str(workspace), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    if proc.returncode != 0:
        raise SystemExit(f"driver {mode} failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), wall, peak / 1048576


class Ledgers:
    """Where each workspace's ledger goes: its own SQLite file, or a fresh schema on a PostgreSQL server
    (created here, named in the workspace's settings, dropped by close())."""

    def __init__(self, server: str | None) -> None:
        self.server = server
        self.schemas: list[str] = []
        self.engine = None
        if server:
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url

            if make_url(server).get_backend_name() != "postgresql":
                raise SystemExit(f"--database: a PostgreSQL URL is expected, not {server}")
            self.engine = create_engine(server)

    @property
    def backend(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def new(self) -> str | None:
        """None for SQLite, else the URL of a schema made for one workspace."""
        if self.engine is None:
            return None
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        schema = f"eb_bench_{uuid.uuid4().hex[:12]}"
        with self.engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        url = make_url(self.server).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        if self.engine is None:
            return
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        self.engine.dispose()

    def __enter__(self) -> "Ledgers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fresh_workspace(base: Path, name: str, plan: dict[str, list[str]], files: list[tuple[str, Path]],
                    ledgers: Ledgers) -> Path:
    from excel_bridge.settings import DistrictSettings
    from excel_bridge.workspace import Workspace

    root = base / name
    if root.exists():
        shutil.rmtree(root)
    ws = Workspace.init(root, DistrictSettings(towns=plan, database=ledgers.new()))
    for town, path in files:
        shutil.copy(path, ws.town_inbox(town) / path.name)
    return root


def cold(base: Path, name: str, plan: dict[str, list[str]], files: list[tuple[str, Path]], ledgers: Ledgers) -> dict:
    root = fresh_workspace(base, name, plan, files, ledgers)
    out, wall, rss = run_driver("cold", root)
    return {"root": root, "seconds": out["seconds"], "applied": out["applied"], "rss_mib": rss}


def edited_copies(files: list[tuple[str, Path]], n: int, scratch: Path) -> list[Path]:
    """n villages with one income changed (a new SHA-256, so each drop is real work)."""
    import openpyxl

    out = []
    for k, (town, path) in enumerate(files[:n]):
        wb = openpyxl.load_workbook(path)
        ws = wb["户信息"]
        ws.cell(row=2, column=12).value = 12345 + k  # 工资性收入 of the first household
        target = scratch / "edits" / town / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        wb.save(target)
        out.append(target)
    return out


def describe_url(url: str) -> str:
    from excel_bridge.store import database_url, describe

    return describe(database_url(url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=200)
    parser.add_argument("--households", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=9,  # 3 before issue 23's fourteenth round
                        help="single-village turnarounds (their median)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", type=Path, default=None, help="keep inputs and workspaces here")
    parser.add_argument("--database", default=None, metavar="URL",
                        help="the ledgers on this PostgreSQL server (a fresh schema per workspace, dropped after)")
    parser.add_argument("--stream-seconds", type=float, default=120.0,
                        help="run bench/stream.py this long on the same inputs after the rest (0: not at all)")
    args = parser.parse_args()
    with Ledgers(args.database) as ledgers:  # PostgreSQL: the schemas made for the run are dropped after
        run(args, ledgers)


def run(args: argparse.Namespace, ledgers: Ledgers) -> None:

    base = args.keep or Path(tempfile.gettempdir()) / "excel-bridge-bench"
    base.mkdir(parents=True, exist_ok=True)
    inputs = base / f"inputs-{args.villages}x{args.households}-{args.seed}"
    plan = plan_district(args.villages, args.seed)
    t = time.perf_counter()
    files = make_inputs(inputs, plan, args.households, args.seed)
    generate_s = time.perf_counter() - t
    paths = [p for _, p in files]
    scratch = base / "scratch"
    scratch.mkdir(exist_ok=True)

    full = cold(base, "full", plan, files, ledgers)
    # the product's other runs first, on the full ledger, before the floors fill memory and the page cache
    edits = edited_copies(files, args.repeat, scratch)
    turn_out, _, turn_rss = run_driver("turnaround", full["root"], *map(str, edits))
    master_out, _, master_rss = run_driver("master", full["root"])
    report_out, _, report_rss = run_driver("report", full["root"])
    households, members = master_rows(full["root"])
    floors = {
        "calamine_s": floor_calamine(paths),
        "xlsxwriter_s": floor_xlsxwriter(households, members, scratch),
        "openpyxl_s": floor_openpyxl(paths, scratch),
    }
    n_households, n_members = len(households), len(members)
    del households, members
    floors_sum = sum(floors.values())
    half_plan = plan_district(args.villages // 2, args.seed)
    half_files = make_inputs(base / f"inputs-{args.villages // 2}x{args.households}-{args.seed}", half_plan,
                             args.households, args.seed)
    half = cold(base, "half", half_plan, half_files, ledgers)

    turnaround = statistics.median(turn_out["turnaround"])
    figures = {
        "backend": ledgers.backend,
        "villages": args.villages, "households_per_village": args.households,
        "households": n_households, "members": n_members, "cpus": os.cpu_count(),
        "generate_inputs_s": round(generate_s, 2),
        "floor_calamine_s": round(floors["calamine_s"], 2),
        "floor_xlsxwriter_s": round(floors["xlsxwriter_s"], 2),
        "floor_openpyxl_s": round(floors["openpyxl_s"], 2),
        "floors_sum_s": round(floors_sum, 2),
        "cold_s": round(full["seconds"], 2), "cold_rss_mib": round(full["rss_mib"]),
        "cold_over_floors": round(full["seconds"] / floors_sum, 3),
        "half_cold_s": round(half["seconds"], 2), "half_rss_mib": round(half["rss_mib"]),
        "half_over_full": round(half["seconds"] / full["seconds"], 3),
        "turnaround_s": round(turnaround, 3), "turnaround_runs_s": [round(x, 3) for x in turn_out["turnaround"]],
        "turnaround_pass_s": [round(x, 2) for x in turn_out.get("pass_seconds", [])],
        "turnaround_rss_mib": round(turn_rss),
        "master_s": round(master_out["seconds"], 2), "master_rss_mib": round(master_rss),
        "report_s": round(report_out["seconds"], 2), "report_rss_mib": round(report_rss),
        "peak_rss_mib": round(max(full["rss_mib"], half["rss_mib"], turn_rss, master_rss, report_rss)),
    }
    rows = [
        ("inputs", f"{args.villages} villages × {args.households} households = {n_households} households, "
                   f"{n_members} members"),
        ("ledger", ledgers.backend if not args.database else f"postgresql ({describe_url(args.database)})"),
        ("floor: calamine read all", f"{figures['floor_calamine_s']:.1f} s"),
        ("floor: xlsxwriter master rows", f"{figures['floor_xlsxwriter_s']:.1f} s"),
        ("floor: openpyxl load+save all", f"{figures['floor_openpyxl_s']:.1f} s"),
        ("floors, sum", f"{floors_sum:.1f} s"),
        ("cold process (full)", f"{full['seconds']:.1f} s = {figures['cold_over_floors']:.2f} × floors, "
                                f"peak RSS {full['rss_mib']:.0f} MiB"),
        ("cold process (half)", f"{half['seconds']:.1f} s = {figures['half_over_full']:.2f} × full, "
                                f"peak RSS {half['rss_mib']:.0f} MiB"),
        ("single village turnaround", f"{turnaround:.2f} s median of {len(turn_out['turnaround'])}, "
                                      f"peak RSS {turn_rss:.0f} MiB"),
        ("master regeneration", f"{master_out['seconds']:.1f} s, peak RSS {master_rss:.0f} MiB"),
        ("monthly 通报 (report, no PDF)", f"{report_out['seconds']:.1f} s, peak RSS {report_rss:.0f} MiB"),
    ]
    if args.stream_seconds > 0:
        stream = run_stream(args, base)
        figures.update({k: v for k, v in stream.items() if k.startswith("stream_") or k == "watch_peak_rss_mib"})
        figures["peak_rss_mib"] = max(figures["peak_rss_mib"], stream.get("watch_peak_rss_mib") or 0)
        rows += [("stream: drop → returned copy", f"p95 {stream['stream_p95_s']} s, median {stream['stream_median_s']} s"),
                 ("stream: master behind a drop", f"max {stream['stream_master_lag_s']} s")]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print(json.dumps(figures, ensure_ascii=False))


def run_stream(args: argparse.Namespace, base: Path) -> dict:
    """bench/stream.py as a subprocess on this run's inputs (its own workspace, ingested cold); its JSON line."""
    cmd = [sys.executable, str(ROOT / "bench" / "stream.py"), "--villages", str(args.villages), "--households",
           str(args.households), "--seed", str(args.seed), "--seconds", str(args.stream_seconds), "--keep", str(base)]
    if args.database:
        cmd += ["--database", args.database]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench/stream.py failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    sys.stderr.write(proc.stdout)  # its table, for the record
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
