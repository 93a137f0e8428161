"""The monthly 通报 through the real CLI (issue 20), on SQLite and PostgreSQL: a village file, the town's and the
district's decisions typed into the workbooks the system wrote, `excel-bridge process` and `excel-bridge report`;
every number of the 通报 recomputed from the ledger by plain SQL over its tables, the master's 统计 and the town's
本镇统计 showing the same; the month, once reported, the same when asked again after a correction, which the next
month's 通报 states."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    base_rows,
    calamine_rows,
    calamine_sheet_names,
    decide,
    drop,
    lone_household,
    measure,
    person,
    review,
    workspace_on,
)

pytestmark = pytest.mark.backends

T = dt.date(2021, 12, 20)
D = dt.timedelta
HEAD_C = person(dt.date(1960, 5, 5), 55)
HEAD_D = person(dt.date(1962, 7, 7), 71)
HEAD_E = person(dt.date(1958, 3, 3), 93)
IDENTIFIED = ("帮扶中", "待镇验收", "待区审批")
UNDER_WAY = ("线索", "待镇核查", "待区认定", "待镇核减", "待区核减")
CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")


def _village_rows() -> dict:
    """A (not proposed), B (脱贫户, reviewed), C (reviewed), D (a lead, no review), E (identified, imported)."""
    rows = base_rows()
    low = dict(wage_income=5000, business_income=0, transfer_income=1000, business_cost=0)
    c, cm = lone_household(HEAD_C, "王五", **low)
    d, dm = lone_household(HEAD_D, "赵六", **low)
    e, em = lone_household(HEAD_E, "钱七", household_no="440205001001000007", identified_date=dt.date(2021, 6, 1),
                           contact_person="孙监测", contact_phone="13900000000", **low)
    rows["household"] += [c, d, e]
    rows["member"] += [cm, dm, em]
    rows["measure"] = [measure(HEAD_E)]
    rows["review"] = [review(h, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))
                      for h in (HEAD_B, HEAD_C)]
    return rows


def _sql(ws, query: str, **params) -> list:
    from sqlalchemy import text

    with ws.open_store() as store:
        return [r._mapping for r in store.db.rows(text(query), params)]


def _ledger_numbers(ws, towns: list[str]) -> dict[str, dict[str, int]]:
    """The 通报's first table and 在途, recomputed by plain SQL over households and members."""
    people = ("LEFT JOIN (SELECT household_id, COUNT(*) AS n FROM members GROUP BY household_id) m"
              " ON m.household_id = h.id")
    monitored: Counter = Counter()
    for r in _sql(ws, f"SELECT h.town, h.category, COUNT(*) AS hh, COALESCE(SUM(m.n), 0) AS p FROM households h "
                      f"{people} WHERE h.on_file = :yes AND h.state IN ('帮扶中', '待镇验收', '待区审批')"
                      " GROUP BY h.town, h.category", yes=True):
        for label in (r["town"], "全区"):
            monitored[(label, f"{r['category']}（户）")] += r["hh"]
            monitored[(label, f"{r['category']}（人）")] += r["p"]
            monitored[(label, "合计（户）")] += r["hh"]
            monitored[(label, "合计（人）")] += r["p"]
    under_way: Counter = Counter()
    for r in _sql(ws, f"SELECT h.town, h.state, COUNT(*) AS hh, COALESCE(SUM(m.n), 0) AS p FROM households h "
                      f"{people} WHERE h.on_file = :yes AND h.state IN ('线索', '待镇核查', '待区认定', '待镇核减', "
                      "'待区核减') GROUP BY h.town, h.state", yes=True):
        for label in (r["town"], "全区"):
            under_way[(label, f"{r['state']}（户）")] += r["hh"]
            under_way[(label, f"{r['state']}（人）")] += r["p"]
            under_way[(label, "合计（户）")] += r["hh"]
            under_way[(label, "合计（人）")] += r["p"]
    out = {}
    for label in [*towns, "全区"]:
        out[label] = {f"{c}（{u}）": monitored[(label, f"{c}（{u}）")] for c in CATEGORIES for u in "户人"}
        out[label] |= {k: monitored[(label, k)] for k in ("合计（户）", "合计（人）")}
        out[("在途", label)] = {f"{s}（{u}）": under_way[(label, f"{s}（{u}）")] for s in UNDER_WAY for u in "户人"}
        out[("在途", label)] |= {k: under_way[(label, k)] for k in ("合计（户）", "合计（人）")}
    return out


def _tables(path: Path, sheet: str) -> list[dict[str, dict[str, object]]]:
    """Every table of a sheet the numbers were drawn on: label → {header: value}, in order (a table starts at a row
    whose first cell is 镇, 风险类型 or 月份 and ends at an empty first cell)."""
    rows = calamine_rows(path, sheet)
    out, i = [], 0
    while i < len(rows):
        if rows[i] and rows[i][0] in ("镇", "风险类型", "月份"):
            header = [h for h in rows[i] if h != ""]
            table, i = {}, i + 1
            while i < len(rows) and rows[i] and rows[i][0] not in ("", None):
                table[rows[i][0]] = {h: (int(v) if isinstance(v, float) else v)
                                     for h, v in zip(header, rows[i][:len(header)], strict=True)}
                i += 1
            out.append(table)
        i += 1
    return out


def _report(ws, *args) -> tuple[Path, str]:
    proc = run_cli("report", ws.root, *args, timeout=400)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.split("：", 1)[1].split("（数据截至", 1)[0]), proc.stdout


def _process(ws, as_of: dt.date) -> None:
    proc = run_cli("process", ws.root, "--as-of", as_of.isoformat(), "--workers", "1", "--wait", "0.05", timeout=400)
    assert proc.returncode == 0, proc.stderr


def test_a_months_bulletin_through_the_cli_equals_the_ledger_and_stays_as_reported(tmp_path, backend):
    ws = workspace_on(tmp_path / "ws", backend)
    drop(ws, ws.config(), _village_rows())
    _process(ws, T)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "入户核实属实", "王核查", T)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "王五", "同意", "入户核实属实", "王核查", T)
    _process(ws, T)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意认定", "区审核", T)
    _process(ws, T)
    states = {r["head_id"]: (r["state"], r["category"]) for r in _sql(ws, "SELECT head_id, state, category FROM households")}
    assert states == {HEAD_A: ("未纳入", None), HEAD_B: ("帮扶中", "脱贫不稳定户"), HEAD_C: ("待区认定", None),
                      HEAD_D: ("线索", None), HEAD_E: ("帮扶中", "边缘易致贫户")}

    path, said = _report(ws, "--month", "2021-12", "--as-of", T.isoformat())
    assert path == ws.district_dir / "通报" / "曲江区防止返贫动态监测帮扶情况通报（2021年12月）.xlsx"
    assert "监测对象2户2人" in said
    if shutil.which("soffice"):
        assert path.with_suffix(".pdf").is_file()
    towns = list(ws.settings().towns)
    expected = _ledger_numbers(ws, towns)
    sheets = calamine_sheet_names(path)
    assert sheets[:8] == ["通报", "表1", "表2", "表3", "表4", "表5", "表6", "表7"]
    [first] = _tables(path, "通报")
    [monitored] = _tables(path, "表1")
    assert first == monitored
    for label in [*towns, "全区"]:
        assert {k: v for k, v in monitored[label].items() if k != "镇"} == expected[label], label
    [under_way] = _tables(path, "表3")
    for label in [*towns, "全区"]:
        assert {k: v for k, v in under_way[label].items() if k != "镇"} == expected[("在途", label)], label
    [risk] = _tables(path, "表4")
    assert risk["监测对象户数（每户只计一次）"]["户数"] == expected["全区"]["合计（户）"] == 2
    [channel] = _tables(path, "表5")
    on_chain = _sql(ws, "SELECT COUNT(*) AS n FROM households WHERE on_file = :yes AND state != '未纳入'", yes=True)
    assert channel["全区"]["合计"] == on_chain[0]["n"] == 4
    [received] = _tables(path, "表6")  # the leads register: leads received this year, by town and channel
    this_year = _sql(ws, "SELECT COUNT(*) AS n FROM households WHERE on_file = :yes AND lead_date >= :a"
                         " AND lead_date <= :b", yes=True, a=dt.date(2021, 1, 1), b=T)
    assert received["全区"]["合计"] == this_year[0]["n"]
    [monthly] = _tables(path, "表7")
    leads = _sql(ws, "SELECT COUNT(*) AS n FROM events WHERE to_state = '线索' AND event = 'created'"
                     " AND effective_date >= :a AND effective_date <= :b", a=dt.date(2021, 12, 1), b=T)
    agreed = _sql(ws, "SELECT COUNT(*) AS n FROM events WHERE from_state = '待区认定' AND to_state = '帮扶中'"
                      " AND effective_date >= :a AND effective_date <= :b", a=dt.date(2021, 12, 1), b=T)
    assert monthly["2021年12月"] == {"月份": "2021年12月", "收到线索": leads[0]["n"], "认定纳入": agreed[0]["n"],
                                   "风险消除": 0, "自然减少": 0}
    assert (leads[0]["n"], agreed[0]["n"]) == (3, 1)
    assert monthly["2021年6月"]["认定纳入"] == 1  # 钱七, imported with its 识别纳入日期
    # the master's 统计 and the town's 本镇统计: the same numbers
    master = _tables(ws.master_path, "统计")
    assert master[0]["全区"] == monitored["全区"] and master[2]["全区"] == under_way["全区"]
    town = _tables(ws.town_review_path(TOWN), "本镇统计")
    assert town[0][TOWN] == monitored[TOWN] and [k for k in town[0] if k in (*towns, "全区")] == [TOWN]
    first_report = {s: _tables(path, s) for s in sheets[1:7]}
    november, _ = _report(ws, "--month", "2021-11", "--as-of", T.isoformat())  # no pass, no report kept it
    assert any(str(r[0]).startswith("2021年11月结束时台账中没有留存当月的数字") for r in calamine_rows(november, "通报")
               if r)
    assert not any(str(r[0]).startswith("2021年12月结束时") for r in calamine_rows(path, "通报") if r)

    # a correction after the month was reported: the district agrees to 王五 on 2021-12-28, processed in January
    decide(ws.master_path, MASTER_SHEET, "王五", "同意", "同意认定", "区审核", dt.date(2021, 12, 28))
    january = dt.date(2022, 1, 5)
    _process(ws, january)
    assert _sql(ws, "SELECT state FROM households WHERE head_id = :h", h=HEAD_C)[0]["state"] == "帮扶中"
    again, said = _report(ws, "--month", "2021-12", "--as-of", january.isoformat())
    assert again == path and "首次通报时的数字" in said
    assert {s: _tables(again, s) for s in sheets[1:7]} == first_report  # as reported, not as the ledger is now
    next_month, said = _report(ws, "--month", "2022-01", "--as-of", january.isoformat())
    assert "监测对象3户3人" in said
    words = [r[0] for r in calamine_rows(next_month, "通报") if r and isinstance(r[0], str)]
    assert "更正说明：上月通报后，2021年12月的数字有更正（认定纳入由1户改为2户），已计入本期。" in words
    assert _tables(next_month, "表1")[0]["全区"]["合计（户）"] == 3


def test_a_month_written_wrong_or_not_begun_is_told_in_chinese(tmp_path):
    ws = workspace_on(tmp_path / "ws", None)
    wrong = run_cli("report", ws.root, "--month", "2021/12", timeout=60)
    assert wrong.returncode != 0 and "月份应写成 2021-12 这样的年-月，写的是“2021/12”" in wrong.stderr
    future = run_cli("report", ws.root, "--month", "2022-02", "--as-of", "2022-01-05", timeout=60)
    assert future.returncode != 0 and "2022年2月还没有开始，不能通报" in future.stderr
    assert not (ws.district_dir / "通报").exists()
