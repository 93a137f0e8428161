"""Benchmark: how long `check` takes to refuse each hostile or foreign spreadsheet (the corpus of odd real-world
files) and a village workbook with one stray value in its last row (A1048576).

A measurement, not a test: the tests assert the code each file ends in (tests/test_corpus.py, tests/test_read.py),
never the seconds, so a loaded machine cannot fail them. Run:  python bench/hostile.py [--corpus DIR] [--runs 3]

Prints one line per file (median of N in-process check_file() runs, slowest first), then as the last line one
JSON object: the slowest file, its seconds, the stray-row village's seconds and how many files took over the
budget the tests used to assert (5 s each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from excel_bridge.check import check_file  # noqa: E402
from excel_bridge.config import Config, load_config  # noqa: E402
from excel_bridge.demo import IdPool, generate_village  # noqa: E402
from excel_bridge.writers.template import write_village_workbook  # noqa: E402

AS_OF = dt.date(2021, 12, 20)
BUDGET_SECONDS = 5.0
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS = SHARED_CORPUS if SHARED_CORPUS.is_dir() else ROOT / "tests" / "corpus"


def stray_row_village(path: Path, config: Config) -> Path:
    """A small village written through the template writer, then "x" typed in 户信息!A1048576."""
    import openpyxl

    village = generate_village(random.Random(2021), config, IdPool(config.settings.district_code), town="马坝镇",
                               village="石塘村", households=5, as_of=AS_OF)
    write_village_workbook(path, config, town="马坝镇", village="石塘村", rows=village.rows,
                           created=dt.datetime(2021, 12, 20, 9, 0, 0))
    wb = openpyxl.load_workbook(path)
    wb[config.schemas["household"].sheet]["A1048576"] = "x"
    wb.save(path)
    return path


def seconds(path: Path, config: Config, runs: int) -> tuple[float, str]:
    """Median wall time of check_file() on a file, and the code of its first issue."""
    times, code = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        result = check_file(path, config, as_of=AS_OF)
        times.append(time.perf_counter() - start)
        code = result.issues[0].code if result.issues else ""
    return statistics.median(times), code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        files = sorted(p for p in args.corpus.iterdir() if p.is_file())
        stray = stray_row_village(Path(tmp) / "stray_row.xlsx", config)
        figures = {p.name: seconds(p, config, args.runs) for p in [*files, stray]}
    for name, (s, code) in sorted(figures.items(), key=lambda kv: -kv[1][0]):
        print(f"{s:8.3f} s  {code:22s} {name}")
    slowest = max(figures, key=lambda n: figures[n][0])
    print(json.dumps({"files": len(figures), "slowest": slowest, "slowest_s": round(figures[slowest][0], 3),
                      "stray_row_s": round(figures[stray.name][0], 3),
                      "over_budget": sum(1 for s, _ in figures.values() if s > BUDGET_SECONDS)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
