"""A district workbook someone has open in LibreOffice, WPS or Excel (an office lock file beside it) is
never replaced: the pass writes the new one beside it as “(更新于HHMMSS)” and says so, naming the lock file;
without a lock file it is replaced in place. The lock files themselves are never read as workbooks."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factory import AS_OF, calamine_records, lone_household, person, village_rows, wait_until, write_village

from excel_bridge.pipeline import Processor
from excel_bridge.writers.common import office_lock, office_lock_names

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

TOWN = "马坝镇"
HEAD_Z = person(dt.date(1968, 4, 4), 71)
HEAD_W = person(dt.date(1966, 1, 1), 73)
MASTER = "区级总台账.xlsx"
REVIEW = "马坝镇_镇级核查表.xlsx"
# lock file name for a workbook name, per program (Excel's owner file may drop the first two characters)
KINDS = {
    "libreoffice": lambda name: f".~lock.{name}#",
    "excel": lambda name: f"~${name}",
    "excel_long_name": lambda name: f"~${name[2:]}",
    "wps_linux": lambda name: f".~{name}",
}
LOCK_BYTES = b"\x07Someone" + b" " * 47 + b"\x07\x00S\x00o\x00m\x00e\x00o\x00n\x00e\x00"  # an owner file's look


def _side(name: str) -> re.Pattern[str]:
    stem, suffix = name.rsplit(".", 1)
    return re.compile(rf"^{re.escape(stem)}\(更新于\d{{6}}\)\.{suffix}$")


def _pass(ws, runner):
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        return processor.run_pass(wait=0.05)


def _drop_second_village(ws, config) -> None:
    hh, m = lone_household(HEAD_Z, "赵六", wage_income=3000)
    write_village(ws.town_inbox(TOWN) / "新村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": []}, town=TOWN, village="新村")


@pytest.fixture
def district(ws, config, runner):
    """A workspace after one pass: the master and 马坝镇's review workbook exist."""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    report = _pass(ws, runner)
    assert [(f.name, f.status) for f in report.files] == [("石塘村.xlsx", "applied")]
    assert ws.master_path.is_file() and ws.town_review_path(TOWN).is_file()
    return ws


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_master_and_town_workbook_open_elsewhere_are_written_beside(district, config, runner, kind):
    ws = district
    targets = [ws.master_path, ws.town_review_path(TOWN)]
    before = {t: t.read_bytes() for t in targets}
    locks = [t.with_name(KINDS[kind](t.name)) for t in targets]
    for lock in locks:
        lock.write_bytes(LOCK_BYTES)
    _drop_second_village(ws, config)
    report = _pass(ws, runner)
    assert [(f.name, f.status) for f in report.files] == [("新村.xlsx", "applied")]  # a lock file is never read
    for target, lock in zip(targets, locks, strict=True):
        [placed] = [o for o in report.outputs if o.path.parent == target.parent and o.path.suffix == ".xlsx"]
        assert placed.locked and placed.lock == lock, (kind, placed)
        assert _side(target.name).match(placed.path.name), placed.path.name
        assert target.read_bytes() == before[target]  # the open workbook is untouched
        assert lock.read_bytes() == LOCK_BYTES  # and so is its lock file
    # what the side copies hold is the new pass: the new village is in both
    master_side = next(o.path for o in report.outputs if o.path.parent == ws.district_dir)
    assert HEAD_Z in {r["户主身份证号"] for r in calamine_records(master_side, "监测户台账")}
    assert HEAD_Z not in {r["户主身份证号"] for r in calamine_records(ws.master_path, "监测户台账")}
    town_side = next(o.path for o in report.outputs if o.path.parent == ws.town_private(TOWN)
                     and o.path.suffix == ".xlsx")
    villages = {r["村"] for r in calamine_records(town_side, "村级提交情况", header_row=_header_row(town_side))}
    assert "新村" in villages
    assert list(ws.root.rglob(".~eb-*")) == []


def _header_row(path: Path) -> int:
    """The row of 村级提交情况 whose first cell is 村 (the sheet may have a title above its table)."""
    import python_calamine as pc

    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("村级提交情况").to_python()
    return next(i for i, row in enumerate(rows) if row and row[0] == "村")


def test_without_a_lock_file_both_are_replaced_in_place(district, config, runner):
    ws = district
    targets = [ws.master_path, ws.town_review_path(TOWN)]
    before = {t: t.read_bytes() for t in targets}
    # a lock file of another workbook, and ours with another name, change nothing
    (ws.district_dir / "~$其他台账.xlsx").write_bytes(LOCK_BYTES)
    (ws.town_private(TOWN) / ".~lock.其他.xlsx#").write_bytes(LOCK_BYTES)
    _drop_second_village(ws, config)
    report = _pass(ws, runner)
    for target in targets:
        [placed] = [o for o in report.outputs if o.path.parent == target.parent and o.path.suffix == ".xlsx"]
        assert placed.path == target and not placed.locked and placed.lock is None
        assert target.read_bytes() != before[target]
    assert HEAD_Z in {r["户主身份证号"] for r in calamine_records(ws.master_path, "监测户台账")}
    assert not [p for p in ws.district_dir.iterdir() if "更新于" in p.name]
    assert not [p for p in ws.town_private(TOWN).iterdir() if "更新于" in p.name]


def test_the_lock_is_named_on_the_terminal_and_in_the_log(district, config):
    ws = district
    lock = ws.master_path.with_name(f".~lock.{MASTER}#")
    lock.write_text("张三,zhangsan-pc,zhangsan,05.12.2026 09:30,file:///home/zhangsan/.config/libreoffice/4;\n",
                    encoding="utf-8")
    before = ws.master_path.read_bytes()
    _drop_second_village(ws, config)
    proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "-v", "process", str(ws.root), "--wait", "0.05",
                           "--as-of", AS_OF.isoformat(), "--workers", "1"], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "另存为" in line]
    assert len(lines) == 1, proc.stdout
    said = re.fullmatch(r"原文件正被打开（旁边有锁文件 (.+)：有人在 Excel、WPS 或 LibreOffice 中打开了它），新版本已另存为："
                        r"(.+)。关闭原文件后，下次更新会写回原文件；若确实没有人打开，删除这个锁文件即可", lines[0])
    assert said is not None, lines[0]
    assert said.group(1) == lock.name
    side = Path(said.group(2))
    assert side.parent == ws.district_dir and _side(MASTER).match(side.name) and side.is_file()
    assert ws.master_path.read_bytes() == before
    assert f"{MASTER} 旁边有锁文件 {lock.name}（正在 Excel、WPS 或 LibreOffice 中打开），新版本已另存为 {side.name}" \
        in proc.stderr


def test_a_lock_file_once_the_workbook_is_closed_lets_the_next_write_replace_it(district, config, runner):
    ws = district
    lock = ws.master_path.with_name(f"~${MASTER}")
    lock.write_bytes(LOCK_BYTES)
    _drop_second_village(ws, config)
    first = _pass(ws, runner)
    assert [o.locked for o in first.outputs if o.path.parent == ws.district_dir] == [True]
    lock.unlink()  # closed
    hh, m = lone_household(HEAD_W, "李四", wage_income=2000)
    write_village(ws.town_inbox(TOWN) / "又一村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": []}, town=TOWN, village="又一村")
    again = _pass(ws, runner)
    [placed] = [o for o in again.outputs if o.path.parent == ws.district_dir]
    assert placed.path == ws.master_path and not placed.locked
    heads = {r["户主身份证号"] for r in calamine_records(ws.master_path, "监测户台账")}
    assert {HEAD_Z, HEAD_W} <= heads


def test_lock_names_cover_each_program(tmp_path):
    assert office_lock_names("区级总台账.xlsx") == [".~lock.区级总台账.xlsx#", "~$区级总台账.xlsx", "~$级总台账.xlsx",
                                                  "~$总台账.xlsx", ".~区级总台账.xlsx"]
    target = tmp_path / "马坝镇_镇级核查表.xlsx"
    target.write_bytes(b"PK")
    assert office_lock(target) is None
    (tmp_path / "~$镇_镇级核查表.xlsx").mkdir()  # a folder by that name is no lock
    assert office_lock(target) is None
    (tmp_path / "~$镇_镇级核查表.xlsx").rmdir()
    (tmp_path / "~$镇_镇级核查表.xlsx").write_bytes(LOCK_BYTES)
    assert office_lock(target) == tmp_path / "~$镇_镇级核查表.xlsx"


def test_lock_files_holding_workbook_bytes_are_never_read(district, config, runner):
    """Lock files beside the workbooks saved in place and in the inbox (here even holding a workbook's bytes)
    are not decisions, not village files, not archived."""
    ws = district
    data = ws.master_path.read_bytes()
    town_data = ws.town_review_path(TOWN).read_bytes()
    for name in office_lock_names(MASTER):
        (ws.district_dir / name).write_bytes(data)
    for name in office_lock_names(REVIEW):
        (ws.town_private(TOWN) / name).write_bytes(town_data)
    village = write_village(ws.root / "_staging" / "石塘村2.xlsx", config).read_bytes()
    for name in office_lock_names("石塘村2.xlsx"):
        (ws.town_inbox(TOWN) / name).write_bytes(village)
    archived = sorted(p.name for p in ws.archive.rglob("*") if p.is_file())
    for _ in range(2):
        report = _pass(ws, runner)
        assert report.files == [] and report.waiting == 0
    assert sorted(p.name for p in ws.archive.rglob("*") if p.is_file()) == archived
    shutil.rmtree(ws.root / "_staging")


def test_a_returned_copy_open_at_the_village_is_neither_replaced_nor_removed(district, config, runner):
    """The village's returned copy open in WPS when its village sends a new version: the new copy goes beside
    it, and the open one is not taken away as superseded; once closed, the next copy replaces both."""
    ws = district
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    assert copy.is_file()
    before = copy.read_bytes()
    lock = copy.with_name(f"~${copy.name}")
    lock.write_bytes(LOCK_BYTES)
    rows = village_rows()
    rows["household"][0]["note"] = "第二版"
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, rows)
    report = _pass(ws, runner)
    assert [(f.name, f.status) for f in report.files] == [("石塘村.xlsx", "applied")]
    [placed] = [o for o in report.outputs if o.path.parent == copy.parent and "_反馈" in o.path.name]
    assert placed.locked and placed.lock == lock and _side(copy.name).match(placed.path.name)
    assert copy.read_bytes() == before  # still there, untouched
    lock.unlink()
    rows["household"][0]["note"] = "第三版"
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, rows)
    again = _pass(ws, runner)
    [placed] = [o for o in again.outputs if o.path.parent == copy.parent and "_反馈" in o.path.name]
    assert placed.path == copy and not placed.locked
    assert sorted(p.name for p in copy.parent.glob("*_反馈*.xlsx")) == [copy.name]  # the side copy went


def _next_second() -> None:
    """Until the clock shows the next second (side copies are named to the second): a condition, not a sleep."""
    now = dt.datetime.now().replace(microsecond=0)
    assert wait_until(lambda: dt.datetime.now().replace(microsecond=0) > now, 10, interval=0.02)


def test_an_open_side_copy_is_not_removed_as_superseded(district, config, runner):
    """The master open, its “(更新于…)” copy opened too: the next side copy leaves the open one in place (an
    unopened earlier one goes, as before)."""
    ws = district
    (ws.district_dir / f".~lock.{MASTER}#").write_bytes(LOCK_BYTES)
    _drop_second_village(ws, config)
    first = next(o.path for o in _pass(ws, runner).outputs if o.path.parent == ws.district_dir)
    side_lock = first.with_name(f".~lock.{first.name}#")
    side_lock.write_bytes(LOCK_BYTES)
    opened = first.read_bytes()
    hh, m = lone_household(HEAD_W, "李四", wage_income=2000)
    write_village(ws.town_inbox(TOWN) / "又一村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": []}, town=TOWN, village="又一村")
    _next_second()  # the side copies are named to the second
    second = next(o.path for o in _pass(ws, runner).outputs if o.path.parent == ws.district_dir)
    assert second != first and _side(MASTER).match(second.name)
    assert first.read_bytes() == opened
    side_lock.unlink()
    hh, m = lone_household(person(dt.date(1960, 2, 2), 75), "王五", wage_income=2000)
    write_village(ws.town_inbox(TOWN) / "三村.xlsx", config,
                  {"household": [hh], "member": [m], "measure": [], "review": []}, town=TOWN, village="三村")
    _next_second()
    third = next(o.path for o in _pass(ws, runner).outputs if o.path.parent == ws.district_dir)
    assert sorted(p.name for p in ws.district_dir.glob("区级总台账(更新于*).xlsx")) == [third.name]
