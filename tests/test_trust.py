"""Intake a district can trust (issue 11) and the intake side of issue 12: one bad file never stops the
district, a village cannot decide for its town, one pass at a time, paths that do not depend on where the
command runs, outputs that fail alone and are retried, links refused, long and odd names, no formula from a
file's text, no leftovers — each through real files and real passes (subprocesses where it is about them).

Split by topic so the files run in parallel (issue 23): here 1–3 (untrusted bytes, a village's decision,
per-village copies); 4–5 and the crash test in test_trust_passes.py; 6–12 and the intake side of issue 12 in
test_trust_outputs.py; what they share in tests/trust_helpers.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_B,
    TOWN_SHEET,
    all_cell_text,
    base_rows,
    calamine_records,
    decide,
    drop,
    ledger_row,
    submissions_of,
    write_village,
)
from trust_helpers import TOWN, lead_rows

pytestmark = pytest.mark.backends


# --- 1. no untrusted byte is parsed in the main process; a worker that dies blames only its file ---

def _huge_meta(path: Path) -> Path:
    """A village file with one cell at XFD1048576 in its hidden 系统信息 sheet (calamine would build a grid of
    17 billion cells for it)."""
    wb = openpyxl.load_workbook(path)
    wb["系统信息"]["XFD1048576"] = "x"
    wb.save(path)
    return path


def test_a_file_with_a_cell_at_xfd1048576_is_reported_and_the_district_goes_on(ws, tmp_path, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    _huge_meta(write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config, town="大塘镇", village="新村"))
    proc = run_cli("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat(), timeout=300)
    assert proc.returncode == 0, proc.stderr  # not 134 (SIGABRT in the main process)
    lines = proc.stdout.splitlines()
    assert "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条" in lines
    [bad] = [line for line in lines if line.startswith("大塘镇/新村.xlsx：无法读取。")]
    assert "数据区域过大" in bad or "超出了时间或内存限制" in bad, bad
    assert not (ws.town_inbox("大塘镇") / "新村.xlsx").exists()  # taken: archived and reported, not stuck
    assert {s["status"] for s in submissions_of(ws)} == {"applied", "unreadable"}
    assert ws.master_path.exists()


def test_a_town_workbook_saved_with_a_cell_at_xfd1048576_is_reported_not_fatal(ws, proc, config):
    drop(ws, config, lead_rows())
    proc.run_pass(wait=0.05)
    book = ws.town_review_path(TOWN)
    wb = openpyxl.load_workbook(book)
    wb["待镇审核"]["XFD1048576"] = "同意"  # typed far out by the town
    wb.save(book)
    report = proc.run_pass(wait=0.05)
    [outcome] = [o for o in report.files if o.name == book.name]
    assert outcome.status == "decisions"
    assert outcome.message.startswith(f"{book.name}：") and "其中的决定没有生效" in outcome.message
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


def test_the_main_process_never_opens_a_dropped_workbook(ws, config):
    """Run a pass in a fresh interpreter where calamine raises if it is asked to open anything: every
    reading happens in worker processes (which import their own calamine)."""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    code = f"""
import python_calamine as pc
def refuse(*a, **k):
    raise AssertionError("calamine opened a file in the main process")
pc.CalamineWorkbook.from_path = staticmethod(refuse)
pc.CalamineWorkbook.from_filelike = staticmethod(refuse)
import datetime as dt
from pathlib import Path
from excel_bridge.pipeline import Processor
from excel_bridge.workspace import Workspace
with Processor(Workspace.open(Path({str(ws.root)!r})), as_of=dt.date(2021, 12, 20), workers=1) as p:
    report = p.run_pass(wait=0.05)
print([(o.name, o.status) for o in report.files])
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[('石塘村.xlsx', 'applied')]"


# --- 2. a village cannot make its town's decision ---

def test_a_town_workbook_dropped_by_a_village_decides_nothing(ws, proc, config):
    drop(ws, config, lead_rows())
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    # a village copies the town workbook (the row token included), chooses 同意 and drops it where villages drop
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "我们自己同意", "村干部",
           save_to=ws.town_inbox(TOWN) / "马坝镇_镇级核查表.xlsx")
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("马坝镇_镇级核查表.xlsx", "refused")]
    assert "其中的决定不会生效" in report.files[0].message
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    # the town's own drop folder is where such a file counts
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查",
           save_to=ws.town_drop(TOWN) / "马坝镇_镇级核查表.xlsx")
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_B).state == "待区认定"


def test_with_an_approver_list_only_those_named_decide(ws, proc, config):
    text = ws.settings_path.read_text(encoding="utf-8")
    ws.settings_path.write_text(text.replace("# approvers: {马坝镇: [王核查, 张核查], 区级: [李审核]}",
                                             "approvers: {马坝镇: [王核查]}"), encoding="utf-8")
    drop(ws, config, lead_rows())
    proc.run_pass(wait=0.05)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "情况属实", "赵某")
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    assert "核查人“赵某”不在区级设置登记的审核人名单中" in " ".join(all_cell_text(ws.town_review_path(TOWN)))
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查")
    proc.run_pass(wait=0.05)
    assert ledger_row(ws, HEAD_B).state == "待区认定"


# --- 3. returned copies are per village ---

def test_two_villages_saving_the_same_file_name_each_get_their_own_copy(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村" / "监测台账.xlsx", config)
    other = base_rows()
    for hh in other["household"]:
        hh["head_name"] = "另一户"
    write_village(ws.town_inbox(TOWN) / "新塘村" / "监测台账.xlsx", config,
                  {**other, "household": [dict(h, head_id=h["head_id"]) for h in other["household"]]},
                  village="新塘村")
    report = proc.run_pass(wait=0.05)
    assert sorted(o.status for o in report.files) == ["applied", "applied"]
    mine, theirs = (ws.returned_copy_path(TOWN, v, "监测台账.xlsx") for v in ("石塘村", "新塘村"))
    assert mine != theirs and mine.exists() and theirs.exists()
    assert {r["村"] for r in calamine_records(mine, "户信息")} == {"石塘村"}
    assert {r["村"] for r in calamine_records(theirs, "户信息")} == {"新塘村"}
