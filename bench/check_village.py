"""Benchmark: how long `check` takes on a large village, next to what reading/writing the file costs at least
and next to frictionless validating the same file.

A measurement, not a test. Run:  python bench/check_village.py [--households 1000] [--runs 5] [--seed 2021]
(the frictionless floor needs the bench extra: pip install -e '.[bench]')

It generates one seeded village (≈3.5 members per household) through the template writer, then times the
median of N runs of each:

  check (in-process)           check_file(), each run a first check of the file: the per-value caches
                               (ID checks, birth dates, cleaned text) emptied before it, as in a fresh worker
  check, caches warm           check_file() again on the same file, caches kept (what the old figure measured)
  floor: frictionless          frictionless validating only 户信息 and 家庭成员 of the same file against a
                               Table Schema made from schemas/*.yaml with every check it can express (types,
                               required, enums, min/max, ID and phone patterns, 户主身份证号, 户编号 and 身份证号
                               unique, the foreign key 户主身份证号 → 户信息); timed interleaved with check
                               (in-process), run by run
  check (CLI)                  python -m excel_bridge.cli check F --as-of …
  check --out (in-process)     check_file() + write_returned_copy()
  check --out (CLI)            python -m excel_bridge.cli check F --out O --as-of …
  floor: calamine              python_calamine reading every sheet with to_python()
  floor: openpyxl              openpyxl load_workbook() + save() of the file unchanged
  floor: interpreter           python -c "import excel_bridge.cli" (start-up every CLI run pays)

and prints a table, then as the last line one JSON object with every figure in seconds and the ratios
check/calamine floor, check_out/openpyxl floor and frictionless/check (how many times faster check is; the
target is ≥ 5). It also asserts that reading never goes through openpyxl (a fresh interpreter that runs
check_file() must not have imported openpyxl), and that frictionless read every row and found the mistakes
it can see (an ID stored as a number, a member whose household is missing), so the floor is real work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from excel_bridge import idcard, normalize  # noqa: E402
from excel_bridge.check import check_file  # noqa: E402
from excel_bridge.config import Config, load_config  # noqa: E402
from excel_bridge.demo import IdPool, generate_village  # noqa: E402
from excel_bridge.schema import ColumnSpec  # noqa: E402
from excel_bridge.writers.template import write_village_workbook  # noqa: E402

AS_OF = dt.date(2021, 12, 20)

NO_OPENPYXL_PROBE = """
import sys, datetime as dt
from pathlib import Path
from excel_bridge.check import check_file
from excel_bridge.config import load_config
r = check_file(Path(sys.argv[1]), load_config(), as_of=dt.date(2021, 12, 20))
assert r.readable, r.issues[:1]
print(int('openpyxl' in sys.modules))
"""

CLI_IMPORT_PROBE = """
import sys
from excel_bridge import cli
code = cli.main(['check', sys.argv[1], '--as-of', '2021-12-20'])
sys.stdout.flush()
print('OPENPYXL_LOADED', int('openpyxl' in sys.modules), file=sys.stderr)
"""


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def forget_values() -> None:
    """Empty the caches keyed by cell values, so the next check_file() sees the file for the first time."""
    idcard.id_problem.cache_clear()
    idcard.birth_date.cache_clear()
    normalize._TEXT_CACHE.clear()


# --- the frictionless floor: a Table Schema of what frictionless can express, made from schemas/*.yaml ------

ID_PATTERN = "[0-9]{17}[0-9Xx]"  # the shape; GB 11643's check character and birth date it cannot express
PHONE_PATTERN = "1[3-9][0-9]{9}|(0[0-9]{2,3}-?)?[2-9][0-9]{6,7}(-[0-9]{1,6})?"


def table_field(col: ColumnSpec, config: Config) -> dict[str, object]:
    """One column as a Table Schema field: its type, required, and the constraint its type allows."""
    allowed = config.schemas.allowed(col) or ()
    field: dict[str, object] = {"name": col.header, "type": "string"}
    constraints: dict[str, object] = {"required": True} if col.required else {}
    if col.type == "id":
        constraints["pattern"] = ID_PATTERN
    elif col.type == "phone":
        constraints["pattern"] = PHONE_PATTERN
    elif col.type == "choice":
        constraints["enum"] = list(allowed)
    elif col.type == "town":
        constraints["enum"] = list(config.settings.towns)
    elif col.type == "multichoice":  # 健康、残疾: values joined by the separator
        one = "(" + "|".join(map(re.escape, allowed)) + ")"
        constraints["pattern"] = f"{one}({re.escape(col.separator or '、')}{one})*"
    elif col.type in ("integer", "year"):
        field["type"] = "integer"
        low, high = (col.min, col.max) if col.type == "integer" else (1900, 2200)
        if low is not None:
            constraints["minimum"] = int(low)
        if high is not None:
            constraints["maximum"] = int(high)
    elif col.type == "money":
        field["type"] = "number"
        constraints["minimum"] = 0
    elif col.type == "date":
        field["type"] = "date"
    if constraints:
        field["constraints"] = constraints
    return field


def table_schemas(config: Config) -> tuple[dict[str, object], dict[str, object]]:
    """(户信息, 家庭成员) Table Schemas: every field; 户主身份证号, 户编号 and 身份证号 unique; members → households."""
    hh_spec, mem_spec = config.schemas.household, config.schemas.member
    households = {"fields": [table_field(c, config) for c in hh_spec.columns]}
    members = {"fields": [table_field(c, config) for c in mem_spec.columns]}
    for schema, unique in ((households, {hh_spec.column("head_id").header, hh_spec.column("household_no").header}),
                           (members, {mem_spec.column("person_id").header})):
        for field in schema["fields"]:  # type: ignore[union-attr]
            if field["name"] in unique:
                field.setdefault("constraints", {})["unique"] = True
    members["foreignKeys"] = [{"fields": [mem_spec.column("head_id").header],
                               "reference": {"resource": "household", "fields": [hh_spec.column("head_id").header]}}]
    return households, members


def frictionless_validate(src: Path, config: Config) -> object:
    """frictionless validating the 户信息 and 家庭成员 sheets of `src` as one package (the foreign key needs both)."""
    from frictionless import Detector, Package, Resource, Schema, formats

    households, members = table_schemas(config)
    resources = [Resource(path=src.name, name=name, format="xlsx", control=formats.ExcelControl(sheet=sheet),
                          schema=Schema.from_descriptor(schema), detector=Detector(schema_sync=True))
                 for name, sheet, schema in (("household", config.schemas.household.sheet, households),
                                             ("member", config.schemas.member.sheet, members))]
    return Package(resources=resources, basepath=str(src.parent)).validate()


# what frictionless reports for each mistake the generator makes that its Table Schema can see
FRICTIONLESS_SEES = {"id_as_number": "type-error", "orphan_member": "foreign-key", "bad_choice": "constraint-error",
                     "negative_money": "constraint-error"}


def make_village(path: Path, households: int, seed: int, mistakes: int) -> tuple[dict[str, int], list[str]]:
    """(rows per sheet, the mistakes made) of one seeded village written through the template writer."""
    config = load_config()
    rng = random.Random(seed)
    village = generate_village(rng, config, IdPool(config.settings.district_code), town="马坝镇", village="石塘村",
                               households=households, as_of=AS_OF, mistakes=mistakes)
    write_village_workbook(path, config, town="马坝镇", village="石塘村", rows=village.rows,
                           created=dt.datetime(2021, 12, 20, 9, 0, 0))
    return {k: len(v) for k, v in village.rows.items()}, village.mistakes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--mistakes", type=int, default=12)
    args = ap.parse_args(argv)

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory(prefix="eb-bench-") as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "石塘村_1000户.xlsx"
        t0 = time.perf_counter()
        counts, mistakes = make_village(src, args.households, args.seed, args.mistakes)
        generate_s = time.perf_counter() - t0
        size_mb = src.stat().st_size / 1048576
        config = load_config()

        # --- the guard: reading never goes through openpyxl ---
        probe = subprocess.run([sys.executable, "-c", NO_OPENPYXL_PROBE, str(src)], capture_output=True, text=True,
                               env=env, timeout=600)
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.split()[0] == "0", "check_file() without --out imported openpyxl: reading must use calamine"
        cli_probe = subprocess.run([sys.executable, "-c", CLI_IMPORT_PROBE, str(src)], capture_output=True, text=True,
                                   env=env, timeout=600)
        cli_loads_openpyxl = "OPENPYXL_LOADED 1" in cli_probe.stderr

        result = check_file(src, config, as_of=AS_OF)
        assert result.readable
        issues = len(result.issues)

        # --- check against the frictionless floor, run by run (the ratio of two medians of one run) ---
        try:
            report = frictionless_validate(src, config)
        except ImportError:
            raise SystemExit("frictionless is not installed: pip install -e '.[bench]'") from None
        tasks = {t.name: t for t in report.tasks}  # type: ignore[attr-defined]
        assert tasks["household"].stats["rows"] == counts["household"], tasks["household"].stats
        assert tasks["member"].stats["rows"] == counts["member"], tasks["member"].stats
        seen = {e.type for t in report.tasks for e in t.errors}  # type: ignore[attr-defined]
        visible = {FRICTIONLESS_SEES[m] for m in mistakes if m in FRICTIONLESS_SEES}
        assert visible <= seen, f"frictionless missed mistakes it can see: made {mistakes}, it reported {seen}"
        frictionless_errors = sum(len(t.errors) for t in report.tasks)  # type: ignore[attr-defined]
        check_runs, warm_runs, frictionless_runs = [], [], []
        for _ in range(args.runs):
            # each timing starts from a collected heap, so none pays for the garbage of the one before
            forget_values()
            gc.collect()
            t0 = time.perf_counter()
            check_file(src, config, as_of=AS_OF)
            check_runs.append(time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            check_file(src, config, as_of=AS_OF)
            warm_runs.append(time.perf_counter() - t0)
            gc.collect()
            t0 = time.perf_counter()
            frictionless_validate(src, config)
            frictionless_runs.append(time.perf_counter() - t0)
        check_s, warm_s = statistics.median(check_runs), statistics.median(warm_runs)
        frictionless_s = statistics.median(frictionless_runs)

        # --- the work ---

        from excel_bridge.returned import write_returned_copy

        out = tmp / "out_反馈.xlsx"
        check_out_s, check_out_runs = median_time(
            lambda: write_returned_copy(check_file(src, config, as_of=AS_OF), out, config), args.runs)
        write_only_s, _ = median_time(lambda: write_returned_copy(result, out, config), args.runs)

        def cli(*extra: str) -> None:
            proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", str(src), "--as-of",
                                   AS_OF.isoformat(), *extra], capture_output=True, text=True, env=env, timeout=600)
            assert proc.returncode in (0, 1), proc.stdout + proc.stderr

        cli_check_s, cli_check_runs = median_time(lambda: cli(), args.runs)
        cli_out = tmp / "cli_反馈.xlsx"
        cli_check_out_s, cli_check_out_runs = median_time(lambda: cli("--out", str(cli_out)), args.runs)
        assert cli_out.exists()

        def startup() -> None:
            subprocess.run([sys.executable, "-c", "import excel_bridge.cli"], check=True, env=env, timeout=120)

        startup_s, _ = median_time(startup, args.runs)

        # --- the floors ---
        import openpyxl
        import python_calamine as pc

        def calamine_all() -> int:
            book = pc.CalamineWorkbook.from_path(str(src))
            return sum(len(book.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in book.sheet_names)

        calamine_s, _ = median_time(calamine_all, args.runs)
        resaved = tmp / "resaved.xlsx"

        def openpyxl_roundtrip() -> None:
            openpyxl.load_workbook(src).save(resaved)

        openpyxl_s, _ = median_time(openpyxl_roundtrip, args.runs)

    figures = {
        "households": counts["household"], "members": counts["member"], "measures": counts["measure"],
        "reviews": counts["review"], "issues": issues, "file_mb": round(size_mb, 3), "runs": args.runs,
        "generate_and_write_s": round(generate_s, 4),
        "check_s": round(check_s, 4),
        "check_warm_s": round(warm_s, 4),
        "floor_frictionless_s": round(frictionless_s, 4),
        "frictionless_errors": frictionless_errors,
        "ratio_frictionless_to_check": round(frictionless_s / check_s, 2),
        "ratio_frictionless_to_check_warm": round(frictionless_s / warm_s, 2),
        "check_out_s": round(check_out_s, 4),
        "write_returned_copy_only_s": round(write_only_s, 4),
        "cli_check_s": round(cli_check_s, 4),
        "cli_check_out_s": round(cli_check_out_s, 4),
        "cli_startup_s": round(startup_s, 4),
        "floor_calamine_s": round(calamine_s, 4),
        "floor_openpyxl_load_save_s": round(openpyxl_s, 4),
        "ratio_check_to_calamine": round(check_s / calamine_s, 2),
        "ratio_check_out_to_openpyxl": round(check_out_s / openpyxl_s, 2),
        "ratio_cli_check_to_calamine": round(cli_check_s / calamine_s, 2),
        "ratio_cli_check_out_to_openpyxl": round(cli_check_out_s / openpyxl_s, 2),
        "read_imports_openpyxl": False,
        "cli_check_without_out_imports_openpyxl": cli_loads_openpyxl,
        "python": platform.python_version(),
        "runs_check_s": [round(t, 4) for t in check_runs],
        "runs_check_warm_s": [round(t, 4) for t in warm_runs],
        "runs_frictionless_s": [round(t, 4) for t in frictionless_runs],
        "runs_check_out_s": [round(t, 4) for t in check_out_runs],
        "runs_cli_check_s": [round(t, 4) for t in cli_check_runs],
        "runs_cli_check_out_s": [round(t, 4) for t in cli_check_out_runs],
    }
    rows = [
        ("village", f"{counts['household']} households, {counts['member']} members, {counts['measure']} measures, "
                    f"{counts['review']} reviews, {issues} issues, {size_mb:.2f} MB"),
        ("check (in-process)", f"{check_s:8.3f} s   = {check_s / calamine_s:5.2f} × calamine floor"),
        ("check, caches warm", f"{warm_s:8.3f} s   (frictionless = {frictionless_s / warm_s:5.2f} × this)"),
        ("floor: frictionless", f"{frictionless_s:8.3f} s   = {frictionless_s / check_s:5.2f} × check "
                                f"(target ≥ 5; {frictionless_errors} errors found)"),
        ("check (CLI)", f"{cli_check_s:8.3f} s   = {cli_check_s / calamine_s:5.2f} × calamine floor"),
        ("check --out (in-process)", f"{check_out_s:8.3f} s   = {check_out_s / openpyxl_s:5.2f} × openpyxl floor"),
        ("check --out (CLI)", f"{cli_check_out_s:8.3f} s   = {cli_check_out_s / openpyxl_s:5.2f} × openpyxl floor"),
        ("  of which write_returned_copy", f"{write_only_s:8.3f} s"),
        ("floor: calamine read all", f"{calamine_s:8.3f} s"),
        ("floor: openpyxl load+save", f"{openpyxl_s:8.3f} s"),
        ("floor: CLI interpreter start", f"{startup_s:8.3f} s"),
        ("reading imports openpyxl", "no (asserted)"),
        ("CLI check w/o --out imports openpyxl", "yes" if cli_loads_openpyxl else "no"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"median of {args.runs} runs, seed {args.seed}, Python {platform.python_version()}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
