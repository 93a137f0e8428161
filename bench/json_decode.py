"""The ledger's JSON records decoded by json.loads against store.tables.loads (orjson), on every record of a real
ledger: a household's values and assessment, a member's row, each measure and review, as the district job reads
them. A measurement, never a test. Run:

    python bench/json_decode.py [LEDGER] [--repeat 5]

LEDGER: a SQLite ledger; by default the one of bench/district.py's full district
(/tmp/excel-bridge-bench/full/系统/ledger.sqlite, made by a run of it). Prints one JSON line: the records, their mean
size, each decoder's median seconds and the ratio.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = [("households", "data"), ("households", "assessment"), ("members", "data"), ("measures", "data"),
           ("reviews", "data")]


def main() -> None:
    from excel_bridge.store.tables import _orjson, loads

    parser = argparse.ArgumentParser()
    parser.add_argument("ledger", nargs="?", default="/tmp/excel-bridge-bench/full/系统/ledger.sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not Path(args.ledger).is_file():
        raise SystemExit(f"no ledger at {args.ledger}: run bench/district.py first, or name one")
    conn = sqlite3.connect(f"file:{args.ledger}?mode=ro", uri=True)
    texts = [text for table, column in COLUMNS
             for (text,) in conn.execute(f"SELECT {column} FROM {table}") if text is not None]  # noqa: S608
    conn.close()
    seconds: dict[str, list[float]] = {"json": [], "loads": []}
    for _ in range(args.repeat):  # alternating, so a slow spell of the machine falls on both
        for name, decode in (("json", json.loads), ("loads", loads)):
            start = time.perf_counter()
            for text in texts:
                decode(text)
            seconds[name].append(time.perf_counter() - start)
    assert all(json.loads(text) == loads(text) for text in texts), "the decoders disagree"
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(json.dumps({"records": len(texts), "mean_bytes": round(sum(map(len, texts)) / len(texts)),
                      "orjson": _orjson is not None, "json_s": round(medians["json"], 3),
                      "loads_s": round(medians["loads"], 3), "ratio": round(medians["loads"] / medians["json"], 3),
                      "runs": {k: [round(v, 3) for v in vs] for k, vs in seconds.items()}}))


if __name__ == "__main__":
    main()
