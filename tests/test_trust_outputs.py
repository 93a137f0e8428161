"""Intake a district can trust (issue 11) and the intake side of issue 12 (split from test_trust.py, issue 23):
outputs that fail alone and are retried, links refused, long and odd names, no formula from a file's text, no
leftovers, decisions and their workbook in one transaction, older and corrected files sent again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import openpyxl
import pytest
from cli_helpers import run_cli, unwritable_dir
from factory import (
    AS_OF,
    HEAD_B,
    TOWN_SHEET,
    base_rows,
    calamine_records,
    decide,
    drop,
    ledger_row,
    table_of,
    write,
    write_village,
)
from trust_helpers import TOWN, lead_rows

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


# --- 6. write failures: each output alone, said in Chinese, retried ---

def test_a_folder_in_the_masters_place_and_a_read_only_village_folder(ws, proc, config):
    ws.master_path.mkdir(parents=True)  # a folder where the master goes
    with unwritable_dir(ws.village_feedback(TOWN, "石塘村")):
        write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
        write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config, town="大塘镇", village="新村")
        report = proc.run_pass(wait=0.05)
        assert sorted(o.status for o in report.files) == ["applied", "applied"]
        assert any(p.startswith("马坝镇石塘村的反馈文件（石塘村.xlsx）：") for p in report.problems), report.problems
        assert any(p.startswith("区级总台账：") for p in report.problems), report.problems
        assert ws.returned_copy_path("大塘镇", "新村", "新村.xlsx").exists()  # the others are written
        assert ws.town_review_path("大塘镇").exists()
    ws.master_path.rmdir()
    again = proc.run_pass(wait=0.05)  # nothing new arrived: what failed is written now
    assert again.files == [] and again.problems == []
    assert ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx").exists()
    assert ws.master_path.is_file()


# --- 7. links are refused, never followed ---

def test_links_in_the_inbox_are_refused_with_a_note(ws, proc, tmp_path, config):
    elsewhere = write_village(tmp_path / "别处" / "别村.xlsx", config)
    (ws.town_inbox(TOWN) / "链接.xlsx").symlink_to(elsewhere)
    (ws.town_inbox(TOWN) / "系统文件.xlsx").symlink_to("/etc/passwd")
    (ws.town_inbox(TOWN) / "整个文件夹").symlink_to(elsewhere.parent, target_is_directory=True)
    report = proc.run_pass(wait=0.05)
    assert report.files == []
    assert sorted(report.skipped) == sorted(
        f"“{name}”是一个快捷方式（链接），系统不会顺着它去读别处的文件：请把文件本身放进来。"
        for name in ("整个文件夹", "系统文件.xlsx", "链接.xlsx"))
    assert list(ws.archive.rglob("*.xlsx")) == []
    assert "链接.xlsx" in ws.inbox_note_path(TOWN).read_text(encoding="utf-8-sig")


# --- 8. long names, and names that would forge report lines ---

def test_an_eighty_character_name_is_taken_and_a_newline_in_a_name_forges_nothing(ws, tmp_path, config):
    long_name = ("石塘村二〇二一年十二月份防止返贫动态监测对象信息采集登记台账" * 3)[:80] + ".xlsx"
    assert len(long_name.encode()) == 245  # fits the disk; the archive's "<hash>_" in front of it would not
    write_village(ws.town_inbox(TOWN) / long_name, config)
    rows = base_rows()
    rows["household"] = [rows["household"][1]]
    rows["member"] = [m for m in rows["member"] if m["head_id"] == HEAD_B]
    write_village(ws.town_inbox("大塘镇") / "新村\n马坝镇／石塘村.xlsx：已入账.xlsx", config, rows, town="大塘镇",
                  village="新村")
    proc = run_cli("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"马坝镇/{long_name}：已入账。2户，错误0处，提示0条" in lines
    assert "大塘镇/新村?马坝镇／石塘村.xlsx：已入账.xlsx：已入账。1户，错误0处，提示0条" in lines
    assert not any(line.startswith("马坝镇／") for line in lines)
    assert not any(list(ws.town_inbox(t).glob("*.xlsx")) for t in (TOWN, "大塘镇"))
    copies = list(ws.village_feedback(TOWN, "石塘村").glob("*_反馈.xlsx"))
    assert len(copies) == 1 and len(copies[0].name.encode()) <= 200


# --- 10. no text from a file becomes a formula ---

def test_text_starting_with_equals_stays_text_on_the_openpyxl_path(ws, proc, tmp_path, config):
    rows = base_rows()
    rows["household"][0]["household_type"] = '=HYPERLINK("http://example.invalid","点我")'
    src = write(tmp_path / "x.xlsx", config, rows)
    target = ws.town_inbox(TOWN) / "=HYPERLINK(1).xlsm"  # an .xlsm goes through openpyxl
    shutil.copy2(src, target)
    report = proc.run_pass(wait=0.05)
    assert [o.status for o in report.files] == ["applied"]
    copy = ws.returned_copy_path(TOWN, "石塘村", target.name)
    wb = openpyxl.load_workbook(copy)
    cells = [c for ws_ in wb.worksheets for row in ws_.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells), [(c.coordinate, c.data_type) for c in cells]
    receipt = {r[0]: r[1] for r in wb["回执"].iter_rows(values_only=True)}
    assert receipt["收到文件"] == "=HYPERLINK(1).xlsm"


# --- 11. no leftovers with personal data ---

def test_leftovers_of_a_killed_pass_are_removed_at_the_start_of_the_next(ws, proc, config):
    ws.temp_dir.mkdir(parents=True, exist_ok=True)
    spool = ws.temp_dir / "eb-rows-abc.xml"
    spool.write_text("<row><c><is><t>440205197003051118</t></is></c></row>", encoding="utf-8")
    temp = ws.town_private(TOWN) / ".~eb-zz.xlsx"
    temp.parent.mkdir(parents=True, exist_ok=True)
    temp.write_bytes(b"half a workbook")
    proc.run_pass(wait=0.05)
    assert not spool.exists() and not temp.exists()


def test_the_masters_row_spools_live_in_the_workspace(ws, proc, config, monkeypatch, tmp_path):
    """Nothing of a pass goes to the shared temp folder (TMPDIR pointed at an empty folder we watch)."""
    shared = tmp_path / "共享临时"
    shared.mkdir()
    monkeypatch.setenv("TMPDIR", str(shared))
    code = f"""
import datetime as dt, tempfile
from pathlib import Path
tempfile.tempdir = None
from excel_bridge.pipeline import Processor
from excel_bridge.workspace import Workspace
with Processor(Workspace.open(Path({str(ws.root)!r})), as_of=dt.date(2021, 12, 20), workers=1) as p:
    p.run_pass(wait=0.05, force_outputs=True)
"""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TMPDIR": str(shared)})
    assert run.returncode == 0, run.stderr
    assert list(shared.rglob("eb-rows-*")) == []


# --- 12. a crash between applying decisions and remembering the workbook loses nothing ---

def test_decisions_and_read_this_version_are_one_transaction(ws, proc, config):
    drop(ws, config, lead_rows())
    proc.run_pass(wait=0.05)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查")
    with ws.open_store() as store, store.atomic() as conn:  # remembering the workbook fails (a full disk, say)
        if store.dialect == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON outputs WHEN NEW.kind = 'read'"
                                 " BEGIN SELECT RAISE(ABORT, 'boom'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                                 " RAISE EXCEPTION 'boom'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON outputs FOR EACH ROW"
                                 " WHEN (NEW.kind = 'read') EXECUTE FUNCTION boom()")
    report = proc.run_pass(wait=0.05)  # the workbook fails alone, the pass goes on
    assert [(o.status, o.message.startswith("读取审核决定时出错：")) for o in report.files] == [("failed", True)]
    assert "boom" in report.files[0].message
    assert ledger_row(ws, HEAD_B).state == "待镇核查"  # not applied: nothing was half done
    with ws.open_store() as store, store.atomic() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom" if store.dialect == "sqlite" else "DROP TRIGGER boom ON outputs")
    report = proc.run_pass(wait=0.05)
    assert [(o.status, o.message) for o in report.files] == [("decisions", "1 项决定生效")]
    assert ledger_row(ws, HEAD_B).state == "待区认定"


# --- issue 12 (intake side) ---

def test_an_older_file_sent_again_restores_the_village(ws, proc, tmp_path, config):
    """12.1: X, then Y (one household deleted: 已移出), then X again restores it; the copy is X's."""
    x = write_village(tmp_path / "x.xlsx", config).read_bytes()
    rows = base_rows()
    rows["household"] = [rows["household"][0]]
    rows["member"] = [m for m in rows["member"] if m["head_id"] != HEAD_B]
    y = write_village(tmp_path / "y.xlsx", config, rows).read_bytes()
    for data, expected in ((x, "applied"), (y, "applied"), (x, "applied")):
        (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(data)
        assert [o.status for o in proc.run_pass(wait=0.05).files] == [expected]
    assert ledger_row(ws, HEAD_B).on_file
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    assert len(table_of(copy, "户信息", "流程状态")) == 2
    (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(x)  # the latest content again: a duplicate now
    assert [o.status for o in proc.run_pass(wait=0.05).files] == ["duplicate"]


def test_a_corrected_returned_copy_dropped_again_replaces_the_copy_in_place(ws, proc, config):
    """12.4: no …_反馈_反馈.xlsx beside the old copy."""
    rows = base_rows()
    rows["household"][0]["size"] = 4  # one error
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, rows)
    proc.run_pass(wait=0.05)
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    wb = openpyxl.load_workbook(copy)
    header = [c.value for c in wb["户信息"][1]]
    wb["户信息"].cell(2, header.index("家庭人口数") + 1).value = 3  # the clerk fixes it in the returned copy
    fixed = ws.town_inbox(TOWN) / copy.name
    wb.save(fixed)
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status, o.errors) for o in report.files] == [("石塘村_反馈.xlsx", "applied", 0)]
    assert sorted(p.name for p in copy.parent.glob("*.xlsx")) == ["石塘村_反馈.xlsx"]
    assert [r["问题说明"] for r in calamine_records(copy, "问题清单")] == ["本文件未发现问题。"]


def test_an_empty_template_dropped_as_a_village_file_is_refused_and_the_copy_kept(ws, proc, tmp_path, config):
    """12.11"""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    proc.run_pass(wait=0.05)
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    kept = copy.read_bytes()
    blank = write(tmp_path / "blank.xlsx", config, {"household": [], "member": [], "measure": [], "review": []})
    shutil.copy2(blank, ws.town_inbox(TOWN) / "石塘村.xlsx")
    report = proc.run_pass(wait=0.05)
    assert [(o.status, o.message) for o in report.files] == [
        ("refused", "文件中没有任何一户（可能是空白模板），没有入账；本村原有的反馈文件保持不变")]
    assert copy.read_bytes() == kept
    assert len([h for h in (ledger_row(ws, HEAD_B),) if h.on_file]) == 1
    note = ws.village_feedback(TOWN, "石塘村") / "石塘村_未入账.txt"
    assert "空白模板" in note.read_text(encoding="utf-8-sig")


def test_what_process_skipped_is_said_on_the_terminal_every_pass(ws, config):
    """12.10: a workbook in an unregistered town folder, one in the inbox root and a .jpg."""
    (ws.inbox / "新设镇").mkdir()
    write_village(ws.inbox / "新设镇" / "某村.xlsx", config)
    write_village(ws.inbox / "散落.xlsx", config)
    (ws.town_inbox(TOWN) / "照片.jpg").write_bytes(b"\xff\xd8jpeg")
    for _ in range(2):
        proc = run_cli("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat())
        assert proc.returncode == 0, proc.stderr
        assert sorted(proc.stdout.splitlines()) == sorted([
            "没有处理：“散落.xlsx”直接放在了收件箱里，请放到所属镇的文件夹中。",
            "没有处理：文件夹“新设镇”不是区里登记的镇，其中的文件不会处理。",
            "没有处理：“照片.jpg”不是表格文件（xlsx/xls/ods 等），没有处理。"])
