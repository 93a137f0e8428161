"""What users read, shown where they read it (issue 18, item 12): "refused" in Chinese on the terminal, in 提交记录
and in 村级提交情况; a two-village file's problems listed once in 问题汇总; an income year with no monitoring line
is the district's to fix (the clerk's copy and `check` say so, the district is told which year to add); `watch`
says each line once per pass and a broken 区级设置.yaml in Chinese, without a traceback, and goes on once fixed.
Real workbooks, real passes, the real CLI."""

from __future__ import annotations

import time

import openpyxl
import pytest
from cli_helpers import english_words, run_cli
from factory import AS_OF, HEAD_A, base_rows, calamine_records, wait_until, write_village
from test_watch import FILE_TIMEOUT, START_TIMEOUT, WatchProcess

from excel_bridge.settings import DistrictSettings
from excel_bridge.workspace import Workspace

TOWN = "马坝镇"
LINE_MISSING = "区里还没有设置2026年的监测线，暂时无法研判本户，请联系区乡村振兴局。"

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


def _process(root):
    return run_cli("process", root, "--wait", "0.05", "--as-of", AS_OF.isoformat(), "--workers", "1")


def test_a_refused_file_is_said_in_chinese_everywhere(ws, config):
    write_village(ws.town_inbox("大塘镇") / "石塘村.xlsx", config)  # its households say 马坝镇
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.splitlines()[0]
    assert line == ("大塘镇/石塘村.xlsx：未入账。文件中的户属于马坝镇（户信息第 2、3 行“镇”一列），"
                    "与所在的“大塘镇”文件夹不一致，整个文件没有入账")
    assert english_words(proc.stdout.replace(str(ws.root), "")) == set()  # "refused" was shown as it is
    assert [(r["文件"], r["结果"]) for r in calamine_records(ws.master_path, "提交记录")] == [("石塘村.xlsx", "未入账")]
    villages = calamine_records(ws.town_review_path("大塘镇"), "村级提交情况")
    assert [(r["最近提交文件"], r["处理结果"]) for r in villages] == [("石塘村.xlsx", "未入账")]


def test_a_two_village_files_problems_are_listed_once(ws, proc, config, tmp_path):
    rows = base_rows()
    rows["household"][0]["phone"] = "12"  # one warning on 石塘村's household
    path = write_village(tmp_path / "两村.xlsx", config, rows)
    book = openpyxl.load_workbook(path)
    book["户信息"].cell(3, _column(book["户信息"], "村")).value = "新塘村"  # the second household: another village
    book.save(ws.town_inbox(TOWN) / "两村.xlsx")
    report = proc.run_pass(wait=0.05)
    assert [(f.name, f.status, f.warnings) for f in report.files] == [("两村.xlsx", "applied", 1)]
    listed = [(r["文件"], r["村"], r["行"], r["代码"]) for r in calamine_records(ws.master_path, "问题汇总")
              if r["文件"] == "两村.xlsx"]
    assert listed == [("两村.xlsx", "新塘村、石塘村", 2, "PHONE_FORMAT")]


def _column(sheet, header: str) -> int:
    for row in sheet.iter_rows(min_row=1, max_row=5):
        for cell in row:
            if cell.value == header:
                return cell.column
    raise AssertionError(header)


def test_an_income_year_without_a_line_is_the_districts_to_fix(ws, config, tmp_path):
    rows = base_rows()
    rows["household"][0]["income_year"] = 2026
    village = write_village(tmp_path / "石塘村.xlsx", config, rows)
    checked = run_cli("check", village, "--as-of", "2026-12-20")  # beside it: the workspace of 曲江区 (ws/)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert f"  [提示] 户信息 第2行“收入年度”：{LINE_MISSING}" in checked.stdout.splitlines()
    assert "yaml" not in checked.stdout

    (ws.town_inbox(TOWN) / village.name).write_bytes(village.read_bytes())
    proc = run_cli("process", ws.root, "--wait", "0.05", "--as-of", "2026-12-20", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    # the district, on the terminal: which year to add, and where
    assert [line[9:] for line in proc.stderr.splitlines()] == [
        "注意 马坝镇/石塘村.xlsx：2026年还没有监测线，其中 1 户暂不能研判。请区乡村振兴局在 rules/monitoring_line.yaml "
        "的 lines 中增加2026年的监测线，村里重新提交后即可研判"]
    # the clerk, in the returned copy: the district's to fix, no YAML
    copy = ws.returned_copy_path(TOWN, "石塘村", village.name)
    problems = [(r["严重程度"], r["行号"], r["列名"], r["问题说明"]) for r in calamine_records(copy, "问题清单")]
    assert problems == [("提示", 2, "收入年度", LINE_MISSING)]
    assert all("yaml" not in str(v) for r in calamine_records(copy, "问题清单") for v in r.values())
    # the district, in the master's 问题汇总
    assert [(r["代码"], r["说明"]) for r in calamine_records(ws.master_path, "问题汇总")] == [
        ("LINE_UNCONFIGURED", LINE_MISSING)]


# --- watch (SQLite: the watcher's lines, not the ledger, are under test) ---

@pytest.fixture
def quick(tmp_path) -> Workspace:
    return Workspace.init(tmp_path / "ws", DistrictSettings(poll_seconds=0.5))


def test_watch_says_the_writing_line_once_and_a_broken_settings_file_in_chinese(quick, tmp_path, config):
    ws = quick
    watch = WatchProcess(ws.root, tmp_path / "logs")
    try:
        assert wait_until(lambda: "开始监视" in watch.stdout, START_TIMEOUT), (watch.stdout, watch.stderr)
        write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
        assert wait_until(lambda: "石塘村.xlsx：已入账" in watch.stdout and ws.master_path.exists(), FILE_TIMEOUT), \
            (watch.stdout, watch.stderr)
        time.sleep(3)  # the background writer finishes; nothing more is said
        lines = watch.lines()
        assert len(lines) == len(set(lines)), lines  # no line twice
        settings = ws.settings_path.read_text(encoding="utf-8")
        ws.settings_path.write_text(settings + "towns: [broken\n", encoding="utf-8")
        rows = base_rows()
        rows["household"] = rows["household"][:1]
        rows["member"] = [m for m in rows["member"] if m["head_id"] == HEAD_A]
        write_village(ws.town_inbox(TOWN) / "新版.xlsx", config, rows)
        assert wait_until(lambda: "设置或规则文件有误" in watch.stderr, FILE_TIMEOUT), (watch.stdout, watch.stderr)
        time.sleep(3)  # looked at again every poll: said once
        said = [line[9:] for line in watch.stderr.splitlines()]
        assert said == [f"设置或规则文件有误，暂停处理（继续监视）：设置文件 {ws.root}/区级设置.yaml 格式错误"
                        f"（第{settings.count(chr(10)) + 2}行第1列附近）：请检查冒号、缩进（用空格，不用 Tab）和括号是否成对。"
                        "改正并保存后会自动继续处理"], watch.stderr
        assert "Traceback" not in watch.stderr and watch.proc.poll() is None
        ws.settings_path.write_text(settings, encoding="utf-8")  # fixed: the waiting file is processed
        assert wait_until(lambda: "新版.xlsx：已入账" in watch.stdout, FILE_TIMEOUT), (watch.stdout, watch.stderr)
        assert watch.interrupt() == 0
    finally:
        watch.kill()

