"""The crash test anyone can repeat: a demo district processed once without interruption, and a copy of it
whose `excel-bridge process` is killed with SIGKILL (kill -9) at random moments, then run once more to the
end. The two ledgers must say the same: every file applied exactly once, the same households in the same
states with the same numbers, the same audit log, and every village's returned copy and the master written.
Then a second round, the same in both copies: every town decides every row of its 镇级核查表 (同意 and 退回 in
turn) and verifies every 部门预警 row, saved in place; the killed copy is killed again while it reads them.

    python bench/crash.py WORKDIR [--kills 5] [--seed 1] [--villages 3] [--households 40] [--database URL]

Prints what it does and, as its last line, "同一结果：…" (exit 0) or what differs (exit 1). POSIX (SIGKILL).
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from excel_bridge.demo import build_demo  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402

AS_OF = "2021-12-20"


def process(root: Path, *, timeout: float | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", "process", str(root), "--wait", "0.05",
                             "--as-of", AS_OF, "--workers", "2"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def run_to_end(root: Path) -> float:
    start = time.perf_counter()
    for _ in range(5):  # until the inbox is empty (a pass takes what is complete; the next, the rest)
        proc = process(root)
        _, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"process failed ({proc.returncode}): {err}")
        if not any(p.is_file() for p in (root / "收件箱").rglob("*.xls*")):
            break
    return time.perf_counter() - start


def decide_everything(root: Path) -> int:
    """Every town decides every row waiting for it and verifies every department warning, as town staff would in
    Excel (openpyxl), saved in place; the same choices in either copy (rows in the same order). Returns the rows."""
    import datetime as dt

    import openpyxl

    from excel_bridge.decision_sheet import COLUMNS, DEPT_COLUMNS, DEPT_SHEET, SHEETS, TOKEN_HEADER
    from excel_bridge.workflow import TOWN

    day = dt.date.fromisoformat(AS_OF)
    decided = 0
    for book in sorted((root / "反馈").glob("*/镇级/*_镇级核查表.xlsx")):
        wb = openpyxl.load_workbook(book)
        for sheet, columns, choices in ((SHEETS[TOWN], COLUMNS[TOWN], ("同意", "退回")),
                                        (DEPT_SHEET, DEPT_COLUMNS, ("不属实", "属实-建议纳入"))):
            if sheet not in wb.sheetnames:
                continue
            ws = wb[sheet]
            header = next((r for r in range(1, 11) if TOKEN_HEADER in [c.value for c in ws[r]]), None)
            if header is None:
                continue
            cols = {c.value: c.column for c in ws[header] if c.value}
            for n, r in enumerate(range(header + 1, ws.max_row + 1)):
                if not ws.cell(r, cols[TOKEN_HEADER]).value:
                    continue
                for h, v in zip(columns, (choices[n % 2], "核实无误" if n % 2 == 0 else "请补充材料", "张三", day)):
                    ws.cell(r, cols[h]).value = v
                ws.cell(r, cols[columns[3]]).number_format = "yyyy-mm-dd"
                decided += 1
        wb.save(book)
    return decided


def kill_at_random(root: Path, rng: random.Random, kills: int, seconds: float, start: int = 1) -> None:
    import os

    for n in range(start, start + kills):
        delay = rng.uniform(0.3, max(0.6, seconds))
        proc = process(root)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the pass, its workers and its background writer
            proc.wait()
            print(f"第 {n} 次：{delay:.2f} 秒时 kill -9")
        else:
            print(f"第 {n} 次：{delay:.2f} 秒前已结束（退出码 {proc.returncode}）")


def state(root: Path) -> dict[str, object]:
    """What the ledger says, without what legitimately differs between the runs (times, row ids)."""
    ws = Workspace.open(root)
    with ws.open_store() as store:
        subs = store.submissions.all()
        applied = sorted((s.sha256, s.town, s.villages, s.households, s.errors, s.warnings) for s in subs
                         if s.status == "applied")
        households = sorted((h.town, h.village, h.head_id, h.state, h.on_file, h.household_no, h.provisional,
                             h.version, h.opinion) for h in store.households.list())
        villages = {s.sha256 for s in subs if s.kind == "village"}
        # a town's saved workbook differs between the copies by its row tokens (each ledger has its own secret)
        events = sorted((h.head_id, e.event, e.action, e.from_state, e.to_state, e.level, e.person,
                         e.source_sha256 if e.source_sha256 in villages or not e.source_sha256 else "镇级核查表")
                        for h in store.households.list() for e in store.events.of(h.id))
        warnings = sorted((w.department, w.rule_id, w.person_id, w.town, w.status, w.revision)
                          for w in store.departments.all_warnings())
        copies = sorted(s.feedback_path or "" for s in subs if s.status == "applied")
        written = [bool(s.feedback_path) and ws.path_of(s.feedback_path).exists() for s in subs if s.status == "applied"]
    return {"applied": applied, "households": households, "events": events, "warnings": warnings, "copies": copies,
            "all copies written": all(written), "master": ws.master_path.exists()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--villages", type=int, default=3)
    parser.add_argument("--households", type=int, default=40)
    parser.add_argument("--database", default=None, help="the killed run's ledger on this database (URL)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    clean, killed = args.workdir / "不中断", args.workdir / "被中断"
    for folder in (clean, killed):
        if folder.exists():
            shutil.rmtree(folder)
    import datetime as dt

    build_demo(clean, villages=args.villages, households=args.households, seed=args.seed,
               as_of=dt.date.fromisoformat(AS_OF))
    shutil.copytree(clean, killed)
    if args.database:
        settings = killed / "区级设置.yaml"
        settings.write_text(settings.read_text(encoding="utf-8") + f"\ndatabase: {args.database}\n", encoding="utf-8")
    seconds = run_to_end(clean)
    print(f"不中断：用时 {seconds:.1f} 秒")
    kill_at_random(killed, rng, args.kills, seconds)
    print(f"再处理到底：用时 {run_to_end(killed):.1f} 秒")
    a, b = state(clean), state(killed)
    if a == b:  # the second round starts from the same ledger: the towns decide in both copies alike
        rows = decide_everything(clean)
        if decide_everything(killed) != rows:
            print("不同：两份镇级核查表的待决定行数不同")
            return 1
        seconds = run_to_end(clean)
        print(f"镇级决定 {rows} 行（同意/退回、部门预警核实）；不中断：用时 {seconds:.1f} 秒")
        kill_at_random(killed, rng, args.kills, seconds, start=args.kills + 1)
        print(f"再处理到底：用时 {run_to_end(killed):.1f} 秒")
        a, b = state(clean), state(killed)
    differs = [key for key in a if a[key] != b[key]]
    if differs:
        for key in differs:
            print(f"不同：{key}\n  不中断：{a[key]}\n  被中断：{b[key]}")
        return 1
    print(f"同一结果：{len(a['applied'])} 个文件各入账一次，{len(a['households'])} 户状态相同，"
          f"{len(a['events'])} 条变更记录相同，{len(a['warnings'])} 条部门预警相同，反馈文件和区级总台账都已写出")
    return 0


if __name__ == "__main__":
    sys.exit(main())
