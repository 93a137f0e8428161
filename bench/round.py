"""Benchmark: `excel-bridge round` (issue 22) next to the floor of writing the same workbooks with XlsxWriter alone.

A measurement, not a test. Run:  python bench/round.py [--villages 10] [--households 50] [--runs 3] [--database URL]
(the full district of the issue: --villages 200 --households 250)

It builds a ledger of V villages × H households (≈3.5 members each, one measure in three, the demo's generator),
inserted through the store (building it is not timed), then, run by run, interleaved:

  round (in-process)      yearly_round.start_round() for a new income year: one read of the ledger
                          (store.views.village_ledgers) and every village's pre-filled workbook written and placed
                          atomically (the template's formats, dropdowns, 填表说明, marked cells and one comment on
                          the header of each column with marked cells, protection)
  floor: XlsxWriter       the same cells (the rows the round writes, computed beforehand, not timed) written by
                          XlsxWriter alone into four plain sheets per village, one workbook per village, no formats,
                          no validation, no comments (bench/xlsx_floor.py)

and prints the medians, then as the last line one JSON object with every figure in seconds and the ratio
round/floor (the issue's target: ≤ 1.5). Figures taken on a shared, loaded machine are only indicative.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from xlsx_floor import floor_cells, write_floor  # noqa: E402

from excel_bridge.demo import IdPool, generate_village  # noqa: E402
from excel_bridge.settings import DistrictSettings  # noqa: E402
from excel_bridge.workflow import ASSISTING, NOT_INCLUDED  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402
from excel_bridge.writers.prefilled import PrefillPlan  # noqa: E402
from excel_bridge.yearly_round import start_round  # noqa: E402

AS_OF = dt.date(2021, 12, 20)
TOWNS = ["马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇"]


def build(root: Path, villages: int, households: int, database: str | None, seed: int) -> Workspace:
    per_town: dict[str, list[str]] = {t: [] for t in TOWNS}
    for i in range(villages):
        per_town[TOWNS[i % len(TOWNS)]].append(f"第{i + 1}村")
    Workspace.init(root, DistrictSettings(database=database, towns=per_town))
    ws = Workspace.open(root)
    rules = root / "rules" / "monitoring_line.yaml"
    later = "".join(f"\n  {year}: 9900" for year in range(2022, 2032))  # a new income year for each run
    rules.write_text(rules.read_text(encoding="utf-8").replace("  2021: 9600", "  2021: 9600" + later, 1),
                     encoding="utf-8")
    config = ws.config()
    rng = random.Random(seed)
    ids = IdPool(config.settings.district_code)
    at = dt.datetime(2021, 12, 1, 9, 0)
    with ws.open_store() as store:
        for town, names in per_town.items():
            for name in names:
                v = generate_village(rng, config, ids, town=town, village=name, households=households, as_of=AS_OF)
                with store.atomic():
                    rows = [{"head_id": h["head_id"], "head_name": h["head_name"], "town": town, "village": name,
                             "state": ASSISTING if k % 5 == 0 else NOT_INCLUDED, "household_no": f"NO{town}{name}{k}",
                             "provisional": False, "lead_date": None, "identified_date": None,
                             "submission_id": None, "row": k + 2,
                             "data": {**h, "_per_capita_income": 12000.0}, "assessment": {}, "errors": 0,
                             "warnings": 0, "at": at} for k, h in enumerate(v.rows["household"])]
                    made = store.households.create_rows(rows)
                    by_head = {r.head_id: r.id for r in made}
                    children: dict[int, tuple[list, list, list]] = {r.id: ([], [], []) for r in made}
                    for n, kind in enumerate(("member", "measure", "review")):
                        for rec in v.rows[kind]:
                            hid = by_head.get(rec["head_id"])
                            if hid is not None:
                                children[hid][n].append(rec)
                    store.households.replace_children_of(town=town, village=name, children=[
                        (hid, *kids) for hid, kids in children.items()])
    return ws


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--villages", type=int, default=10)
    ap.add_argument("--households", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--database", default=None)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="eb-bench-round-"))
    try:
        t0 = time.perf_counter()
        ws = build(base / "ws", args.villages, args.households, args.database, args.seed)
        built = time.perf_counter() - t0
        config = ws.config()
        plan = PrefillPlan(purpose="2022年回头看", year=2022)
        with ws.open_store() as store:
            ledgers = store.views.village_ledgers()
        cells = floor_cells(config, ledgers, plan)
        households = sum(len(h) for h in ledgers.values())
        members = sum(len(hh.members) for h in ledgers.values() for hh in h)
        times: dict[str, list[float]] = {"round": [], "floor_xlsxwriter": []}
        for run in range(args.runs):
            shutil.rmtree(ws.root / "反馈", ignore_errors=True)
            with ws.open_store() as store:
                t = time.perf_counter()
                result = start_round(ws, store, config, 2022 + run)  # a new year each run: every workbook written
                times["round"].append(time.perf_counter() - t)
            assert len(result.done.written) == args.villages, len(result.done.written)
            out = base / f"floor{run}"
            out.mkdir()
            t = time.perf_counter()
            write_floor(out, cells)
            times["floor_xlsxwriter"].append(time.perf_counter() - t)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"villages {args.villages} × households {args.households}: {households} households, {members} members "
              f"(ledger built in {built:.1f} s; {platform.python_version()}, {platform.machine()})")
        for k, v in med.items():
            print(f"  {k:<18} {v:8.2f} s   (runs: {', '.join(f'{x:.2f}' for x in times[k])})")
        print(f"  round / floor      {med['round'] / med['floor_xlsxwriter']:8.2f} ×")
        print(json.dumps({"villages": args.villages, "households": households, "members": members,
                          **{k: round(v, 3) for k, v in med.items()},
                          "ratio_round_floor": round(med["round"] / med["floor_xlsxwriter"], 2)}))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
