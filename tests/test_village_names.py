"""A village name not listed for its town (青云材 for 青云村) is an error on the row naming the closest listed
village; nothing of that household is recorded; the returned copy goes where the village can read it, and the
terminal line of `excel-bridge process` says where (issue 18, item 10). Real workbooks, real passes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import AS_OF, HEAD_A, HEAD_B, all_cell_text, calamine_records, submissions_of, village_rows, workspace_on

from excel_bridge.writers.template import write_village_workbook

TOWN = "马坝镇"
TOWNS = {TOWN: ["石塘村", "青云村"], "大塘镇": []}

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


def _workbook(path: Path, config, *, meta_village: str, villages: list[str]) -> Path:
    """A village workbook whose hidden sheet names `meta_village` and whose two 户信息 rows say `villages`."""
    rows = village_rows(TOWN, villages[0])
    for hh, village in zip(rows["household"], villages, strict=True):
        hh["village"] = village
    path.parent.mkdir(parents=True, exist_ok=True)
    write_village_workbook(path, config, town=TOWN, village=meta_village, rows=rows, created=dt.datetime(2021, 12, 20))
    return path


def _process(root: Path):
    return run_cli("process", root, "--wait", "0.05", "--as-of", AS_OF.isoformat(), "--workers", "1")


def _households(ws) -> list[tuple[str, str, str]]:
    with ws.open_store() as store:
        return sorted((h.village, h.head_id, h.state) for h in store.households.list(town=TOWN))


def test_a_mistyped_village_records_nothing_and_its_copy_goes_to_the_village(tmp_path, backend, config):
    ws = workspace_on(tmp_path / "ws", backend, towns=TOWNS)
    _workbook(ws.town_inbox(TOWN) / "青云村.xlsx", config, meta_village="青云村", villages=["青云材", "青云材"])
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    copy = ws.returned_copy_path(TOWN, "青云村", "青云村.xlsx")
    assert copy == ws.root / "反馈" / TOWN / "青云村" / "青云村_反馈.xlsx"
    assert proc.stdout.splitlines()[0] == (
        "马坝镇/青云村.xlsx：已入账。2户，错误2处，提示0条；其中2户的村名不在本镇登记的村名单中，没有入账"
        "（反馈文件：反馈/马坝镇/青云村/青云村_反馈.xlsx）")
    assert _households(ws) == []  # no village 青云材, no household
    assert [(s["villages"], s["errors"]) for s in submissions_of(ws)] == [(("青云村",), 2)]
    assert copy.is_file()
    assert not (ws.town_feedback(TOWN) / "青云材").exists()
    assert [p.name for p in ws.town_private(TOWN).iterdir() if "反馈" in p.name] == []
    problems = [(r["严重程度"], r["工作表"], r["行号"], r["列名"], r["填写内容"])
                for r in calamine_records(copy, "问题清单")]
    assert problems == [("错误", "户信息", 2, "村", "青云材"), ("错误", "户信息", 3, "村", "青云材")]
    text = "\n".join(all_cell_text(copy))
    assert "“青云材”不在马坝镇登记的村名单中，本户没有入账。" in text
    assert "是不是“青云村”？请改为“青云村”。" in text


def test_one_mistyped_row_among_good_ones_leaves_only_that_household_out(tmp_path, backend, config):
    ws = workspace_on(tmp_path / "ws", backend, towns=TOWNS)
    _workbook(ws.town_inbox(TOWN) / "石塘村" / "台账.xlsx", config, meta_village="石塘村",
              villages=["石塘村", "石糖村"])
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    assert _households(ws) == [("石塘村", HEAD_A, "未纳入")]
    assert HEAD_B not in str(_households(ws))
    assert proc.stdout.splitlines()[0] == (
        "马坝镇/台账.xlsx：已入账。2户，错误1处，提示0条；其中1户的村名不在本镇登记的村名单中，没有入账"
        "（反馈文件：反馈/马坝镇/石塘村/台账_反馈.xlsx）")
    assert ws.returned_copy_path(TOWN, "石塘村", "台账.xlsx").is_file()


def test_a_file_from_the_villages_own_folder_goes_back_there_without_a_hidden_sheet(tmp_path, backend, config):
    """A workbook that is not our template (no hidden sheet): the inbox sub-folder it came from names its village."""
    ws = workspace_on(tmp_path / "ws", backend, towns=TOWNS)
    src = _workbook(tmp_path / "aside.xlsx", config, meta_village="青云村", villages=["青云材", "青云材"])
    from openpyxl import load_workbook

    wb = load_workbook(src)
    del wb["系统信息"]
    target = ws.town_inbox(TOWN) / "青云村" / "报表.xlsx"
    target.parent.mkdir(parents=True)
    wb.save(target)
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    assert _households(ws) == []
    assert ws.returned_copy_path(TOWN, "青云村", "报表.xlsx").is_file()
    assert "（反馈文件：反馈/马坝镇/青云村/报表_反馈.xlsx）" in proc.stdout.splitlines()[0]


def test_a_file_of_two_villages_goes_back_to_the_village_it_came_from(tmp_path, backend, config):
    """Two listed villages in one file, dropped in 石塘村's own inbox folder: its copy goes to 石塘村, never
    to the town's 镇级 folder; both villages are recorded."""
    ws = workspace_on(tmp_path / "ws", backend, towns=TOWNS)
    _workbook(ws.town_inbox(TOWN) / "石塘村" / "两村.xlsx", config, meta_village="石塘村",
              villages=["石塘村", "青云村"])
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    assert _households(ws) == [("石塘村", HEAD_A, "未纳入"), ("青云村", HEAD_B, "线索")]  # B: proposed
    assert proc.stdout.splitlines()[0] == ("马坝镇/两村.xlsx：已入账。2户，错误0处，提示0条"
                                           "（反馈文件：反馈/马坝镇/石塘村/两村_反馈.xlsx）")
    assert ws.returned_copy_path(TOWN, "石塘村", "两村.xlsx").is_file()
    assert [p.name for p in ws.town_private(TOWN).iterdir() if "反馈" in p.name] == []
