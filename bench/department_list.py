"""Benchmark: reading a 医保 list of 200,000 people and judging it against a whole district's ledger people,
next to the floor of reading the same file with python-calamine alone.

A measurement, not a test. Run:  python bench/department_list.py [--people 200000] [--villages 200]
[--households 250] [--runs 3] [--seed 2021]

It builds the district's people with the demo generator (200 villages × 250 households ≈ 177,000 members),
writes one 医保 export the way the department's system would (title rows, its own headers, 合计 and 制表人
lines; three quarters of the people in the ledger, the rest not; amounts mostly small, a few per cent above
the thresholds; a few malformed IDs), then times the median of N runs of each:

  floor: calamine      CalamineWorkbook.from_path(F).get_sheet_by_name(S).to_python()
  read_list            excel_bridge.departments.read_list(F, 医保)   (runs interleaved with the floor's)
  evaluate             evaluate(list, ledger people): matching, rules, sentences, 未在台账中的人员

and prints a table, then as the last line one JSON object with every figure in seconds and the ratio
read_list / calamine floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from excel_bridge.departments.demo_lists import people_frame  # noqa: E402
from excel_bridge.idcard import make_id  # noqa: E402
from excel_bridge.settings import DistrictSettings  # noqa: E402

AS_OF = dt.date(2021, 12, 20)
SHEET = "推送名单"


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build_people(config, *, villages: int, households: int, seed: int):
    rng = random.Random(seed)
    towns = list(DistrictSettings().towns)
    ids = IdPool(config.settings.district_code)
    made = []
    names = village_names(rng, math.ceil(villages / len(towns)))
    for n in range(villages):
        made.append(generate_village(rng, config, ids, town=towns[n % len(towns)], village=names[n // len(towns)],
                                     households=households, as_of=AS_OF))
    return people_frame(made)


def write_list(path: Path, people, *, size: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
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
    for n, pid in enumerate(listed, start=1):
        r = 3 + n
        amount = round(min(200000.0, rng.lognormvariate(math.log(900), 1.3)), 2)  # median ≈ 900 元
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
    ws.write_string(4 + len(listed), 0, "合计")
    ws.write_string(6 + len(listed), 0, "制表人：李敏　　审核人：张强")
    wb.close()
    return {"rows": len(listed), "in_ledger": min(len(known), size * 3 // 4), "malformed": malformed}


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
    start = time.perf_counter()
    people = build_people(config, villages=args.villages, households=args.households, seed=args.seed)
    built = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "医保推送名单.xlsx"
        shape = write_list(path, people, size=args.people, seed=args.seed)
        size_mb = path.stat().st_size / 1048576

        def floor():
            return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()

        floors, reads = [], []
        for _ in range(args.runs):  # interleaved, so a busy moment on a shared machine hits both alike
            floors.append(median_time(floor, 1)[0])
            seconds, dlist = median_time(lambda: read_list(path, dept), 1)
            reads.append(seconds)
        floor_s, read_s = statistics.median(floors), statistics.median(reads)
        area = Area.of(config.settings, depts)
        eval_s, result = median_time(lambda: evaluate(dlist, people, received=AS_OF, area=area), args.runs)
    figures = {
        "people_in_ledger": len(people), "ledger_built_s": round(built, 1), "list_rows": shape["rows"],
        "list_mb": round(size_mb, 1), "floor_calamine_s": round(floor_s, 3), "read_list_s": round(read_s, 3),
        "read_over_floor": round(read_s / floor_s, 2), "evaluate_s": round(eval_s, 3),
        "read_and_evaluate_s": round(read_s + eval_s, 3), "row_issues": len(dlist.issues),
        "warnings": result.counts.warnings, "matched": result.counts.matched, "unmatched": result.counts.unmatched,
        "runs": args.runs, "python": platform.python_version(), "cpus": __import__("os").cpu_count(),
    }
    print(f"医保 list: {shape['rows']:,} rows ({size_mb:.1f} MB), ledger people: {len(people):,}")
    print(f"{'floor: calamine to_python':32}{floor_s:8.3f} s")
    print(f"{'read_list':32}{read_s:8.3f} s   ({read_s / floor_s:.2f} × floor)")
    print(f"{'evaluate (match + rules)':32}{eval_s:8.3f} s   ({result.counts.warnings:,} warnings, "
          f"{result.counts.unmatched:,} not in the ledger)")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
