"""Benchmark: the national system's person-level export of a whole district imported (excel-bridge import: archive,
read in a worker, one transaction, note, every village's pre-filled 村级监测台账 written) into a fresh SQLite
ledger — next to the floors of reading the same file with python-calamine alone and of writing the same village
workbooks' cells with XlsxWriter alone (bench/xlsx_floor.py), measured in the same run (issue 21's Bench).

A measurement, not a test. Run:  python bench/national_import.py [--households 2000] [--villages 20] [--runs 3]
(the issue's full district: --households 50000 --villages 200, about 175,000 persons).

The export is written by tests/national_export.py (the 32 columns, two title rows, one row per person, IDs as
text); 30 % of the households identified, a third of those eliminated, the rest 脱贫户 not monitored. Each run
imports into a fresh workspace (the workers, one per core as `excel-bridge import` starts them, started once:
the export read in one, the villages' workbooks in all); then, not part of the import's time, the pre-filled
workbooks are written again on their own (prefill.write_prefilled in the same workers, as the import calls it)
next to the XlsxWriter floor. Prints a table, then as the last line one JSON object with every
figure in seconds and the ratios to the floors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import python_calamine as pc  # noqa: E402
from national_export import district, unique_ids, write_xlsx  # noqa: E402
from xlsx_floor import floor_cells, write_floor  # noqa: E402

from excel_bridge.messages import TEXT  # noqa: E402
from excel_bridge.pipeline.national_import import import_file  # noqa: E402
from excel_bridge.prefill import write_prefilled  # noqa: E402
from excel_bridge.runner import Runner  # noqa: E402
from excel_bridge.settings import DistrictSettings  # noqa: E402
from excel_bridge.workflow import REMOVED  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402
from excel_bridge.writers.prefilled import PrefillPlan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--villages", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="eb_national_"))
    per_town = max(1, args.villages // 9)
    towns = {t: [f"第{v + 1}村" for v in range(per_town)] for t in DistrictSettings().towns}
    villages = sum(len(v) for v in towns.values())
    per_village = max(1, args.households // villages)
    households = unique_ids(district(towns, per_village, seed=args.seed))
    path = write_xlsx(tmp / "监测对象名单.xlsx", households)
    persons = sum(len(h.persons) for h in households)
    floor, whole, floor_xlsx, prefill = [], [], [], []
    written = 0
    runner = Runner(DistrictSettings().workers or None)
    runner.warm()
    try:
        for run in range(args.runs):
            started = time.perf_counter()
            book = pc.CalamineWorkbook.from_path(str(path))
            book.get_sheet_by_name(book.sheet_names[0]).to_python()
            floor.append(time.perf_counter() - started)
            Workspace.init(tmp / f"ws{run}", DistrictSettings(towns=towns))
            ws = Workspace.open(tmp / f"ws{run}")
            started = time.perf_counter()
            with ws.open_store() as store:
                result = import_file(ws, store, path, runner=runner, now=dt.datetime(2021, 12, 20, 9, 30))
            whole.append(time.perf_counter() - started)
            assert result.created == len(households), (result.created, len(households))
            written = len(result.prefilled)
            with ws.open_store() as store:
                config = ws.config()
                ledgers = store.views.village_ledgers(left_out=(REMOVED,))
                cells = floor_cells(config, ledgers, PrefillPlan(purpose=TEXT["prefill.purpose_import"]))
                assert len(cells) == written, (len(cells), written)
                (tmp / f"floor{run}").mkdir()
                started = time.perf_counter()
                write_floor(tmp / f"floor{run}", cells)
                floor_xlsx.append(time.perf_counter() - started)
                started = time.perf_counter()
                write_prefilled(ws, store, config, now=dt.datetime(2021, 12, 20, 9, 30), runner=runner)
                prefill.append(time.perf_counter() - started)
    finally:
        runner.close()
    f, w = statistics.median(floor), statistics.median(whole)
    x, p = statistics.median(floor_xlsx), statistics.median(prefill)
    print(f"{len(households)} households, {persons} persons, {villages} villages, {path.stat().st_size / 1e6:.1f} MB;"
          f" {platform.python_version()} on {platform.machine()}, median of {args.runs}")
    print(f"  floor: calamine read              {f:8.2f} s")
    print(f"  floor: XlsxWriter, {written:>4} workbooks  {x:8.2f} s")
    print(f"  excel-bridge import               {w:8.2f} s   ({w / (f + x):.1f} × the floors together)")
    print(f"  pre-filled workbooks, again alone {p:8.2f} s   ({p / x:.1f} × the XlsxWriter floor)")
    print(json.dumps({"households": len(households), "persons": persons, "workbooks": written,
                      "floor_calamine": round(f, 3), "floor_xlsxwriter": round(x, 3), "import": round(w, 3),
                      "prefill": round(p, 3), "ratio": round(w / (f + x), 2), "ratio_prefill": round(p / x, 2)}))

if __name__ == "__main__":
    main()
