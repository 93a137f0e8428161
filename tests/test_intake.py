"""Intake: what in 收件箱/<镇>/ is processed, when (complete files only), what is ignored or noted, the
archive by SHA-256, duplicates, and the town taken from the folder. Real files and real passes."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    base_rows,
    calamine_records,
    dump_tables,
    member_count,
    submissions_of,
    village_rows,
    write,
    write_village,
)

from excel_bridge.check import check_file
from excel_bridge.intake import Candidate, Stability, is_lock_or_temp
from excel_bridge.workspace import INBOX_NOTE as NOTE_NAME
from excel_bridge.workspace import Workspace
from excel_bridge.writers.template import write_village_workbook

TOWN = "马坝镇"


pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


def _submissions(ws: Workspace) -> list[dict]:
    return submissions_of(ws)


def _households(ws: Workspace):
    with ws.open_store() as store:
        return store.households.list()


def _archived(ws: Workspace) -> list[Path]:
    return sorted(p for p in ws.archive.rglob("*") if p.is_file())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _note_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines()


# --- a file still being written is not read ---

def test_file_written_in_chunks_is_not_read_half_written(ws, proc, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    target = ws.town_inbox(TOWN) / "石塘村.xlsx"
    half = len(data) // 2
    target.write_bytes(data[:half])

    for _ in range(2):  # size unchanged over both polls, but the zip has no end record yet
        report = proc.run_pass(wait=0.05)
        assert report.files == []
        assert report.waiting == 1
        assert _submissions(ws) == []
        assert _archived(ws) == []
        assert _households(ws) == []
        assert target.read_bytes() == data[:half]

    with open(target, "ab") as fh:
        fh.write(data[half:])
    outcomes = []
    for _ in range(4):
        report = proc.run_pass(wait=0.05)
        outcomes += report.files
        if report.files:
            break
    assert [(o.name, o.status, o.households) for o in outcomes] == [("石塘村.xlsx", "applied", 2)]
    subs = _submissions(ws)
    assert [(s["status"], s["sha256"], s["households"], s["members"]) for s in subs] == [
        ("applied", _sha(data), 2, 4)]
    rows = _households(ws)
    assert sorted(r.head_id for r in rows) == sorted([HEAD_A, HEAD_B])
    assert member_count(ws) == 4
    assert [p.read_bytes() for p in _archived(ws)] == [data]
    assert not target.exists()


def test_truncated_zip_left_for_longer_than_the_grace_is_reported_not_kept_waiting(ws, proc, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    target = ws.town_inbox(TOWN) / "断了.xlsx"
    target.write_bytes(data[: len(data) // 2])
    old = time.time() - 3600
    os.utime(target, (old, old))
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("断了.xlsx", "unreadable")]
    assert report.waiting == 0
    note = ws.unreadable_note_path(TOWN, None, "断了.xlsx")
    assert note.exists()
    assert _note_lines(note)[0] == "文件：断了.xlsx"


def test_stability_needs_two_equal_observations_of_a_non_empty_file(tmp_path, config):
    path = write_village(tmp_path / "a.xlsx", config)
    st = path.stat()
    cand = Candidate(path, TOWN, st.st_size, st.st_mtime_ns)
    stab = Stability()
    assert stab.observe([cand]) == []
    assert stab.observe([cand]) == [cand]
    grown = Candidate(path, TOWN, st.st_size + 1, st.st_mtime_ns)
    assert stab.observe([grown]) == []
    assert stab.observe([grown]) == [grown]
    assert stab.observe([]) == []
    assert stab.observe([cand]) == []  # forgotten once it disappeared from a poll
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    e = Candidate(empty, TOWN, 0, empty.stat().st_mtime_ns)
    assert stab.observe([e]) == [] and stab.observe([e]) == []


# --- archive first; a duplicate applies once and re-issues the returned copy ---

def test_duplicate_drop_applies_once_and_reissues_the_returned_copy(ws, proc, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    inbox_file = ws.town_inbox(TOWN) / "石塘村.xlsx"
    inbox_file.write_bytes(data)
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied")]
    returned = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    assert returned.exists()
    archived = _archived(ws)
    assert [p.name for p in archived] == [f"{_sha(data)[:16]}_石塘村.xlsx"]
    assert archived[0].parent.parent == ws.archive
    assert archived[0].read_bytes() == data
    assert _submissions(ws)[0]["archived_path"] == ws.key(archived[0]) == archived[0].relative_to(ws.root).as_posix()
    assert not inbox_file.exists()
    before = dump_tables(ws)

    returned.unlink()
    inbox_file.write_bytes(data)
    report = proc.run_pass(wait=0.05)
    # the original's verdict and counts again, never "错误 0" by default
    assert [(o.name, o.status, o.message, o.households, o.errors) for o in report.files] == [
        ("石塘村.xlsx", "duplicate",
         "内容与本村最新入账的文件相同，不重复入账（该文件：2户，错误0处，提示0条），已重新发放反馈文件", 2, 0)]
    subs = _submissions(ws)
    assert [(s["id"], s["status"], s["sha256"], s["village"]) for s in subs] == [
        (1, "applied", _sha(data), "石塘村"), (2, "duplicate", _sha(data), "石塘村")]
    assert subs[1]["message"] == "与第1号提交内容相同"
    assert dump_tables(ws) == before  # nothing applied a second time
    assert len(_households(ws)) == 2
    assert returned.exists()  # re-issued
    assert [r["问题说明"] for r in calamine_records(returned, "问题清单")] == ["本文件未发现问题。"]
    assert _archived(ws) == archived
    assert not inbox_file.exists()

    # the same content under another name (a WeChat "(1)" copy) is still a duplicate
    (ws.town_inbox(TOWN) / "石塘村(1).xlsx").write_bytes(data)
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("石塘村(1).xlsx", "duplicate")]
    assert dump_tables(ws) == before


def test_same_bytes_twice_in_one_pass_apply_once(ws, proc, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(data)
    (ws.town_inbox(TOWN) / "石塘村(1).xlsx").write_bytes(data)
    report = proc.run_pass(wait=0.05)
    assert len(_households(ws)) == 2
    assert sorted(s["status"] for s in _submissions(ws)) == ["applied", "duplicate"]
    assert sorted(o.status for o in report.files) == ["applied", "duplicate"]


# --- what is ignored, what is noted ---

IGNORED = ("~$石塘村.xlsx", ".~lock.石塘村.xlsx#", ".hidden.xlsx", "石塘村.tmp", "石塘村.xlsx.crdownload",
           "石塘村.xlsx~", "石塘村.xlsx.part")


def test_lock_hidden_and_temporary_files_are_ignored_without_a_word(ws, proc, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    inbox = ws.town_inbox(TOWN)
    for name in IGNORED:
        (inbox / name).write_bytes(data)
    (inbox / ".sync").mkdir()
    (inbox / ".sync" / "石塘村.xlsx").write_bytes(data)
    for _ in range(2):
        report = proc.run_pass(wait=0.05)
        assert report.files == [] and report.waiting == 0
    assert _submissions(ws) == []
    assert _archived(ws) == []
    assert not (ws.inbox_note_path(TOWN)).exists()
    assert not (ws.inbox / NOTE_NAME).exists()
    assert not (ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")).exists()
    if ws.master_path.exists():  # a new day's regeneration, with nothing in it
        assert calamine_records(ws.master_path, "监测户台账") == []
    for name in IGNORED:
        assert (inbox / name).read_bytes() == data  # left alone
    assert all(is_lock_or_temp(n) for n in IGNORED)
    assert not is_lock_or_temp("石塘村.xlsx")


def test_non_spreadsheet_files_get_a_note_in_the_town_feedback_folder(ws, proc):
    inbox = ws.town_inbox(TOWN)
    (inbox / "说明.docx").write_bytes(b"PK\x03\x04 not really")
    (inbox / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    report = proc.run_pass(wait=0.05)
    assert report.files == [] and report.waiting == 0
    note = ws.inbox_note_path(TOWN)
    lines = _note_lines(note)
    assert lines[0].startswith("收件箱处理说明（")
    assert sorted(lines[1:]) == sorted(["“说明.docx”不是表格文件（xlsx/xls/ods 等），没有处理。",
                                        "“照片.jpg”不是表格文件（xlsx/xls/ods 等），没有处理。"])
    assert not (ws.inbox_note_path("大塘镇")).exists()
    assert _submissions(ws) == [] and _archived(ws) == []
    assert (inbox / "说明.docx").exists() and (inbox / "照片.jpg").exists()

    (inbox / "说明.docx").unlink()
    (inbox / "照片.jpg").unlink()
    proc.run_pass(wait=0.05)
    assert not note.exists()  # nothing left to explain


def test_files_in_the_inbox_root_or_an_unknown_town_folder_get_a_note_in_the_inbox(ws, proc, tmp_path, config):
    write_village(ws.inbox / "石塘村.xlsx", config)
    write_village(ws.inbox / "新丰镇" / "某村.xlsx", config)
    report = proc.run_pass(wait=0.05)
    assert report.files == []
    lines = _note_lines(ws.inbox / NOTE_NAME)
    assert lines[0].startswith("收件箱处理说明（")
    assert sorted(lines[1:]) == sorted(["“石塘村.xlsx”直接放在了收件箱里，请放到所属镇的文件夹中。",
                                        "文件夹“新丰镇”不是区里登记的镇，其中的文件不会处理。"])
    assert _submissions(ws) == []
    assert (ws.inbox / "石塘村.xlsx").exists()
    assert not any((ws.inbox_note_path(t)).exists() for t in ws.settings().towns)


@pytest.mark.all_towns
def test_a_file_in_a_subfolder_of_the_town_inbox_belongs_to_that_town(ws, proc, config):
    path = write_village(ws.town_inbox("枫湾镇") / "十二月" / "石塘村.xlsx", config, town="枫湾镇", village="龙岗村")
    report = proc.run_pass(wait=0.05)
    assert [(o.town, o.name, o.status, o.errors) for o in report.files] == [("枫湾镇", "石塘村.xlsx", "applied", 0)]
    assert {(r.town, r.village) for r in _households(ws)} == {("枫湾镇", "龙岗村")}
    assert ws.returned_copy_path("枫湾镇", "龙岗村", "石塘村.xlsx").exists()  # the village in the file: 龙岗村
    assert not path.exists()


# --- the town comes from the folder ---

def test_a_file_in_the_wrong_towns_folder_is_refused_whole_and_both_towns_are_told(ws, proc, config):
    """Issue 12.2: the 马坝镇 file in 收件箱/大塘镇/ was recorded under 大塘镇 (12 households in its master,
    review workbook and alerts). Now nothing of it is recorded under either town; both are told."""
    write(ws.town_inbox("大塘镇") / "石塘村.xlsx", config)  # 镇 column says 马坝镇
    report = proc.run_pass(wait=0.05)
    message = ("文件中的户属于马坝镇（户信息第 2、3 行“镇”一列），与所在的“大塘镇”文件夹不一致，整个文件没有入账")
    assert [(o.town, o.name, o.status, o.errors, o.message) for o in report.files] == [
        ("大塘镇", "石塘村.xlsx", "refused", 2, message)]
    with ws.open_store() as store:
        [sub] = store.submissions.all()
        assert (sub.town, sub.villages, sub.status, sub.errors, sub.message) == ("大塘镇", (), "refused", 2, message)
        assert [(i.code, i.row, i.value) for i in store.submissions.issues_of(sub.id)] == [
            ("TOWN_FOLDER", 2, "马坝镇"), ("TOWN_FOLDER", 3, "马坝镇")]
        assert store.households.list() == []
    assert member_count(ws) == 0
    assert calamine_records(ws.master_path, "监测户台账") == []
    assert not ws.returned_copy_path("大塘镇", "石塘村", "石塘村.xlsx").exists()
    here = ws.village_feedback("大塘镇", "石塘村") / "石塘村_未入账.txt"  # the file's name names the village
    assert here.read_text(encoding="utf-8-sig").splitlines() == [
        "文件：石塘村.xlsx", f"问题：{message}。",
        "改法：如果放错了文件夹，请放入“收件箱/马坝镇/”；如果镇名填错了，请改正“镇”一列后重新提交。"]
    there = ws.town_private("马坝镇") / "石塘村_放错镇.txt"
    assert there.read_text(encoding="utf-8-sig").strip() == (
        "文件“石塘村.xlsx”放在了大塘镇的收件箱里，但其中的户属于马坝镇，没有入账。请与大塘镇核实，把它放入“收件箱/马坝镇/”。")

    # dropped again: the same verdict and counts, never "错误 0"
    write(ws.town_inbox("大塘镇") / "石塘村.xlsx", config)
    again = proc.run_pass(wait=0.05)
    assert [(o.status, o.errors, o.message) for o in again.files] == [("refused", 2, message)]


def test_a_file_saved_again_while_the_pass_runs_is_not_lost(ws, proc, tmp_path, config):
    target = ws.town_inbox(TOWN) / "石塘村.xlsx"
    write_village(target, config)
    corrected_rows = base_rows()
    corrected_rows["household"][0]["wage_income"] = 45000
    corrected = write_village(tmp_path / "corrected.xlsx", config, corrected_rows).read_bytes()

    def clerk_saves_again(done: int, total: int, name: str) -> None:
        tmp = target.with_name("石塘村.xlsx.tmp")  # Excel saves beside the file and renames over it
        tmp.write_bytes(corrected)
        os.replace(tmp, target)

    report = proc.run_pass(wait=0.05, progress=clerk_saves_again)
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied")]
    for _ in range(3):
        if not proc.run_pass(wait=0.05).files:
            break
    assert _sha(corrected) in {s["sha256"] for s in _submissions(ws) if s["status"] == "applied"}
    a = next(r for r in _households(ws) if r.head_id == HEAD_A)
    assert a.data["wage_income"] == 45000


def test_a_file_moved_from_the_wrong_town_folder_to_the_right_one_is_applied_there(ws, proc, tmp_path, config):
    data = write(tmp_path / "src.xlsx", config).read_bytes()  # 镇 column: 马坝镇
    (ws.town_inbox("大塘镇") / "石塘村.xlsx").write_bytes(data)
    assert [(o.town, o.status) for o in proc.run_pass(wait=0.05).files] == [("大塘镇", "refused")]
    (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(data)
    report = proc.run_pass(wait=0.05)
    assert [(o.town, o.status) for o in report.files] == [(TOWN, "applied")]
    assert (ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")).exists()
    assert {r.town for r in _households(ws) if r.on_file} == {TOWN}


@pytest.mark.parametrize("typed", ["大塘", "大塘镇 ", "　大塘镇"])
def test_a_town_typed_short_or_with_spaces_agrees_with_its_folder(tmp_path, config, typed):
    rows = village_rows("大塘镇", "新村")
    for hh in rows["household"]:
        hh["town"] = typed
    path = write_village_workbook(tmp_path / "新村.xlsx", config, town="大塘镇", village="新村", rows=rows)
    result = check_file(path, config, as_of=AS_OF, expected_town="大塘镇")
    assert [i.code for i in result.issues if i.severity == "error"] == []
    wrong = check_file(path, config, as_of=AS_OF, expected_town="马坝镇")
    assert [(i.code, i.row) for i in wrong.issues if i.severity == "error"] == [("TOWN_FOLDER", 2), ("TOWN_FOLDER", 3)]


def test_two_versions_of_a_village_in_one_pass_the_newer_one_wins(ws, proc, tmp_path, config):
    newer_rows = base_rows()
    newer_rows["household"][0]["wage_income"] = 33000
    newer = write_village(ws.town_inbox(TOWN) / "石塘村（改）.xlsx", config, newer_rows)
    older = write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    now = time.time()
    os.utime(older, (now - 600, now - 600))
    os.utime(newer, (now - 60, now - 60))
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied"), ("石塘村（改）.xlsx", "applied")]
    a = next(r for r in _households(ws) if r.head_id == HEAD_A)
    assert a.data["wage_income"] == 33000
    assert (ws.returned_copy_path(TOWN, "石塘村", "石塘村（改）.xlsx")).exists()


def test_process_command_reports_a_file_still_being_copied(ws, tmp_path, config):
    data = write_village(tmp_path / "src.xlsx", config).read_bytes()
    (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(data[: len(data) // 3])
    proc = run_cli("process", ws.root, "--wait", "0.05", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["另有 1 个文件还在复制或保存中，下一轮再处理。", "收件箱里没有新文件。"]
    assert _submissions(ws) == [] and _archived(ws) == []
