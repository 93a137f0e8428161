"""Benchmark: a 医保 list of 200,000 people read, judged and applied against a whole district's ledger (50,000
households in a real store), its warnings routed to the towns — next to the floor of reading the same file with
python-calamine alone, measured in the same run.

A measurement, not a test. Run:  python bench/department_list.py [--people 200000] [--villages 200]
[--households 250] [--runs 3] [--seed 2021]

It builds the district with the demo generator (200 villages × 250 households ≈ 177,000 members) into a
SQLite ledger through the store's own commands, writes one 医保 export the way the department's system would
(title rows, its own headers, 合计 and 制表人 lines; three quarters of the people in the ledger, the rest not;
amounts mostly small, a few per cent above the thresholds; a few malformed IDs) and next month's export of
the same department (5 % of the people gone, 10 % of the amounts changed), then times the median of N runs
of each, every run interleaved with the others:

  floor: calamine      CalamineWorkbook.from_path(F).get_sheet_by_name(S).to_python()
  read_list            excel_bridge.departments.read_list(F, 医保)
  ledger_people        store.departments.ledger_people(): the ledger's side of the match (one query)
  evaluate             evaluate(list, ledger people): matching, rules, sentences, 未在台账中的人员
  apply                apply_department_file(F) on a fresh copy of the ledger: hash, archive, read, match,
                       reconcile, persist the warnings routed to their towns and the people in no household, note
  apply next month     apply_department_file(F2) after F: reconciled against F's open warnings
  town sheets          the 部门预警 sheet of every town's workbook written from the ledger

and prints a table, then as the last line one JSON object with every figure in seconds and the ratios to the
calamine floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from collections import defaultdict
import json
import math
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import python_calamine as pc  # noqa: E402
import xlsxwriter  # noqa: E402

from excel_bridge.config import load_config  # noqa: E402
from excel_bridge.demo import IdPool, generate_village, village_names  # noqa: E402
from excel_bridge.departments import Area, evaluate, load_departments, read_list  # noqa: E402
from excel_bridge.departments.apply import apply_department_file  # noqa: E402
from excel_bridge.idcard import make_id  # noqa: E402
from excel_bridge.settings import DistrictSettings  # noqa: E402
from excel_bridge.store import Store  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402
from excel_bridge.writers.department_sheets import write_department_sheet  # noqa: E402
from excel_bridge.writers.tables import new_workbook  # noqa: E402

AS_OF = dt.date(2021, 12, 20)
SHEET = "推送名单"


def build_villages(config, *, villages: int, households: int, seed: int):
    rng = random.Random(seed)
    towns = list(DistrictSettings().towns)
    ids = IdPool(config.settings.district_code)
    made = []
    names = village_names(rng, math.ceil(villages / len(towns)))
    for n in range(villages):
        made.append(generate_village(rng, config, ids, town=towns[n % len(towns)], village=names[n // len(towns)],
                                     households=households, as_of=AS_OF))
    return made


def build_ledger(path: Path, made) -> int:
    """The villages' households and members into a ledger through the store's commands (identified households
    帮扶中, the others 未纳入); returns the number of households."""
    at = dt.datetime.combine(AS_OF, dt.time(9))
    count = 0
    with Store.open(path) as store, store.atomic():
        for v in made:
            members = defaultdict(list)
            for m in v.rows["member"]:
                members[m["head_id"]].append(m)
            for h in v.rows["household"]:
                hid = store.households.create(
                    household_no=h["household_no"], provisional=False, head_id=h["head_id"], head_name=h["head_name"],
                    town=v.town, village=v.name, state="帮扶中" if h["identified_date"] else "未纳入", lead_date=None,
                    identified_date=h["identified_date"], submission_id=None, row=None, data=h, assessment={},
                    errors=0, warnings=0, at=at)
                store.households.replace_children(hid, town=v.town, village=v.name, members=members[h["head_id"]],
                                                  measures=[], reviews=[])
                count += 1
    return count


def write_list(path: Path, people, *, size: int, seed: int, next_month: bool = False) -> dict[str, int]:
    """The 医保 export; with `next_month`, the same department a month later: 5 % of its people gone and 10 % of
    the amounts changed (the rest of the list as it was)."""
    rng = random.Random(seed)
    later = random.Random(seed + 1)
    known = list(people["person_id"])
    rng.shuffle(known)
    listed = known[: min(len(known), size * 3 // 4)]
    taken = set(known)
    while len(listed) < size:
        region = "440222" if rng.random() < 0.05 else "440205"
        birth = dt.date(rng.randint(1935, 2020), rng.randint(1, 12), rng.randint(1, 28))
        pid = make_id(region, birth, rng.randint(0, 999))
        if pid not in taken:
            taken.add(pid)
            listed.append(pid)
    rng.shuffle(listed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet(SHEET)
    ws.write_string(0, 0, "韶关市曲江区医疗保障局")
    ws.write_string(1, 0, f"{AS_OF.year}年参保人员合规自付医疗费用统计表")
    ws.write_string(2, 0, f"统计截止日期：{AS_OF:%Y年%m月%d日}　　单位：元")
    ws.write_row(3, 0, ["序号", "所属镇街", "姓名", "性别", "公民身份号码", "参保类别", "统计年度", "医疗总费用", "基金支付",
                        "政策范围内个人自付"])
    malformed = 0
    n = 0
    for pid in listed:
        amount = round(min(200000.0, rng.lognormvariate(math.log(900), 1.3)), 2)  # median ≈ 900 元
        if next_month:
            roll = later.random()
            if roll < 0.05:
                continue
            if roll < 0.15:
                amount = round(min(200000.0, later.lognormvariate(math.log(900), 1.3)), 2)
        n += 1
        r = 3 + n
        ws.write_number(r, 0, n)
        ws.write_string(r, 1, "马坝镇")
        ws.write_string(r, 2, "陈伟")
        ws.write_string(r, 3, "男" if int(pid[16]) % 2 else "女")
        if n % 2000 == 0 and pid[-1] != "X":
            ws.write_number(r, 4, float(pid))  # an ID stored as a number
            malformed += 1
        else:
            ws.write_string(r, 4, pid)
        ws.write_string(r, 5, "城乡居民")
        ws.write_number(r, 6, AS_OF.year)
        ws.write_number(r, 7, round(amount * 2.5, 2))
        ws.write_number(r, 8, round(amount * 1.5, 2))
        ws.write_number(r, 9, amount)
    ws.write_string(4 + n, 0, "合计")
    ws.write_string(6 + n, 0, "制表人：李敏　　审核人：张强")
    wb.close()
    return {"rows": n, "in_ledger": min(len(known), size * 3 // 4), "malformed": malformed}


def fresh_workspace(base: Path, ledger: Path, run: int) -> Workspace:
    """A workspace of its own for one run, its ledger a copy of the built one (nothing applied yet)."""
    root = base / f"run{run}"
    ws = Workspace.init(root)
    for suffix in ("", "-wal", "-shm"):
        Path(str(ws.ledger_path) + suffix).unlink(missing_ok=True)
    shutil.copy2(ledger, ws.ledger_path)
    return ws


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--villages", type=int, default=200)
    parser.add_argument("--households", type=int, default=250)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    config = load_config()
    depts = load_departments()
    dept = depts.department("医保")
    area = Area.of(config.settings, depts)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        made = build_villages(config, villages=args.villages, households=args.households, seed=args.seed)
        generated = time.perf_counter() - start
        base = tmp / "ledger.sqlite"
        start = time.perf_counter()
        households = build_ledger(base, made)
        stored = time.perf_counter() - start
        del made
        with Store.open(base) as store:
            people = store.departments.ledger_people()
        path, later = tmp / "医保推送名单.xlsx", tmp / "医保推送名单（次月）.xlsx"
        shape = write_list(path, people, size=args.people, seed=args.seed)
        write_list(later, people, size=args.people, seed=args.seed, next_month=True)
        size_mb = path.stat().st_size / 1048576

        def floor():
            return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()

        times: dict[str, list[float]] = defaultdict(list)
        for run in range(args.runs):  # interleaved: a busy moment on a shared machine hits every figure alike
            times["floor"].append(timed(floor)[0])
            seconds, dlist = timed(lambda: read_list(path, dept))
            times["read_list"].append(seconds)
            with Store.open(base) as store:
                seconds, people = timed(store.departments.ledger_people)
            times["ledger_people"].append(seconds)
            seconds, result = timed(lambda: evaluate(dlist, people, received=AS_OF, area=area))
            times["evaluate"].append(seconds)
            ws = fresh_workspace(tmp, base, run)
            dropped = ws.departments / "医保" / path.name
            dropped.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dropped)
            shutil.copy2(later, ws.departments / "医保" / later.name)
            with ws.open_store() as store:
                received = dt.datetime.combine(AS_OF, dt.time(10))
                seconds, first = timed(lambda: apply_department_file(store, ws, config, dropped, received=received,
                                                                     as_of=AS_OF, departments=depts))
                times["apply"].append(seconds)
                month = AS_OF + dt.timedelta(days=30)
                seconds, second = timed(lambda: apply_department_file(
                    store, ws, config, ws.departments / "医保" / later.name, received=received + dt.timedelta(days=30),
                    as_of=month, departments=depts))
                times["apply_next"].append(seconds)

                def sheets():
                    for town in config.settings.towns:
                        wb, fmt = new_workbook(str(tmp / f"{town}.xlsx"))
                        write_department_sheet(wb, fmt, store, config, town, as_of=month)
                        wb.close()
                    return store.departments.count_where(status="待核实")

                seconds, routed = timed(sheets)
                times["town_sheets"].append(seconds)
            shutil.rmtree(ws.root)
    m = {k: statistics.median(v) for k, v in times.items()}
    figures = {
        "households": households, "people_in_ledger": len(people), "ledger_generated_s": round(generated, 1),
        "ledger_stored_s": round(stored, 1), "list_rows": shape["rows"], "list_mb": round(size_mb, 1),
        "floor_calamine_s": round(m["floor"], 3), "read_list_s": round(m["read_list"], 3),
        "read_over_floor": round(m["read_list"] / m["floor"], 2), "ledger_people_s": round(m["ledger_people"], 3),
        "evaluate_s": round(m["evaluate"], 3), "apply_s": round(m["apply"], 3),
        "apply_over_floor": round(m["apply"] / m["floor"], 2), "apply_next_month_s": round(m["apply_next"], 3),
        "apply_next_over_floor": round(m["apply_next"] / m["floor"], 2), "town_sheets_s": round(m["town_sheets"], 3),
        "row_issues": len(dlist.issues), "warnings": result.counts.warnings, "matched": result.counts.matched,
        "unmatched": result.counts.unmatched, "next_month": {"new": second.new, "kept": second.kept,
                                                             "withdrawn": second.withdrawn},
        "open_after_next_month": routed, "first_new": first.new, "runs": args.runs,
        "all_runs_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "python": platform.python_version(), "cpus": __import__("os").cpu_count(),
    }
    print(f"医保 list: {shape['rows']:,} rows ({size_mb:.1f} MB); ledger: {households:,} households, "
          f"{len(people):,} people (median of {args.runs})")
    print(f"{'floor: calamine to_python':34}{m['floor']:8.3f} s")
    print(f"{'read_list':34}{m['read_list']:8.3f} s   ({m['read_list'] / m['floor']:.2f} × floor)")
    print(f"{'ledger_people (store)':34}{m['ledger_people']:8.3f} s")
    print(f"{'evaluate (match + rules)':34}{m['evaluate']:8.3f} s   ({result.counts.warnings:,} warnings, "
          f"{result.counts.unmatched:,} not in the ledger)")
    print(f"{'apply_department_file':34}{m['apply']:8.3f} s   ({m['apply'] / m['floor']:.2f} × floor; "
          f"{first.new:,} warnings routed)")
    print(f"{'apply next month (reconcile)':34}{m['apply_next']:8.3f} s   ({m['apply_next'] / m['floor']:.2f} × floor; "
          f"{second.new:,} new, {second.kept:,} kept, {second.withdrawn:,} withdrawn)")
    print(f"{'town sheets (部门预警, all towns)':32}{m['town_sheets']:8.3f} s   ({routed:,} open warnings)")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
