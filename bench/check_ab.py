"""Benchmark: `excel-bridge check` as a clerk runs it, two (or more) checkouts of the program side by side.

A measurement, not a test. Run:
    python bench/check_ab.py OLD_TREE NEW_TREE [--runs 15] [--households 1000] [--spawn] [--out]

This machine's speed moves by a third from one minute to the next, so a figure measured once, or a before measured
an hour before its after, says little. Here the trees take turns, run by run: each round runs
`python -m excel_bridge.cli check F --as-of 2021-12-20` once with each tree first on PYTHONPATH (each run a new
process, in a folder with no workspace, as a clerk who drops the file on the desktop), and the medians of the rounds
are compared. The village is bench/check_village.py's (seeded, 1,000 households by default), written once by the
current checkout. Each tree's package is compiled to bytecode first (`compileall`), so neither pays for compiling.

--spawn  every run under a `sitecustomize.py` that makes multiprocessing spawn its children and refuses `resource`
         and `fcntl`, as on Windows (tests/test_windows.py's)
--out    `check F --out O`: the returned copy written too

Prints one line per tree (median, the spread) and, last, one JSON object with every run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_village import AS_OF, make_village  # noqa: E402

SPAWN_SITE = '''
import multiprocessing, sys
class NoPosix:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("resource", "fcntl"):
            raise ImportError(f"No module named {name!r}", name=name)
        return None
for name in ("resource", "fcntl"):
    sys.modules.pop(name, None)
sys.meta_path.insert(0, NoPosix())
multiprocessing.set_start_method("spawn", force=True)
'''


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs="+", type=Path, help="checkouts whose excel_bridge/ is run (first on PYTHONPATH)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--households", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--spawn", action="store_true")
    ap.add_argument("--out", action="store_true")
    args = ap.parse_args(argv)
    trees = [t.resolve() for t in args.trees]
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "excel_bridge")], check=True)
    with tempfile.TemporaryDirectory(prefix="eb-check-ab-") as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "石塘村.xlsx"
        make_village(src, args.households, args.seed, mistakes=12)
        site = tmp / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SPAWN_SITE, encoding="utf-8")
        extra = ["--out", str(tmp / "反馈.xlsx")] if args.out else []
        runs: dict[str, list[float]] = {str(t): [] for t in trees}
        for _ in range(args.runs):
            for tree in trees:
                path = [str(site)] if args.spawn else []
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(tree)])}
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", str(src), "--as-of",
                                       AS_OF.isoformat(), *extra], capture_output=True, text=True, env=env, cwd=tmp,
                                      timeout=600)
                runs[str(tree)].append(round(time.perf_counter() - started, 4))
                assert proc.returncode == 1, proc.stdout + proc.stderr  # the village has its mistakes
    for tree, times in runs.items():
        print(f"{tree:40} median {statistics.median(times):.3f} s  (min {min(times):.3f}, max {max(times):.3f})")
    print(json.dumps({"households": args.households, "spawn": args.spawn, "out": args.out, "runs": args.runs,
                      "median_s": {t: round(statistics.median(v), 4) for t, v in runs.items()}, "runs_s": runs},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
