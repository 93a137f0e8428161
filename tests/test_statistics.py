"""The district's numbers (issue 20): a ledger with households in every state, moved through the real workflow on
SQLite and PostgreSQL, and every count of statistics.py asserted by hand — 监测对象 户/人 by town × 认定类别 (fixed at
the district's 同意, never replaced by the rules' later view), 风险已消除, 在途, by 风险类型, by 线索来源, month by
month."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from excel_bridge.statistics import (
    CHANNEL,
    ELIMINATED_KEY,
    MONITORED,
    MONTHLY,
    RISK,
    UNDER_WAY_KEY,
    compute,
    read_facts,
    scope_of,
)
from excel_bridge.town_checks import NO_FILE, check_scope, read_check_facts, town_checks
from excel_bridge.workflow import ASSISTING, DISTRICT, LEAD, NOT_INCLUDED, REDUCE, TOWN, VILLAGE, transition

pytestmark = pytest.mark.backends

AS_OF = dt.date(2021, 12, 20)
MABA, DATANG = "马坝镇", "大塘镇"
IDENTIFY = (("评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT))
ELIMINATE = (("风险消除评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT))
NATURAL = ((REDUCE, VILLAGE), ("同意", TOWN), ("同意", DISTRICT))


def _household(store, n: int, town: str, *, members: int, state: str = LEAD, lead: dt.date | None = None,
               household_type: str = "普通农户", category: str | None = None, risks: tuple[str, ...] = (),
               channel: str | None = None, identified: dt.date | None = None, proposed: bool = True,
               contact: str | None = None, measures: int = 0, village: str = "一村") -> int:
    """A household created as the ledger creates one (its 'created' event on `lead`, or on AS_OF for an import)."""
    at = dt.datetime.combine(lead or AS_OF, dt.time(9))
    data: dict[str, Any] = {"household_type": household_type, "size": members, "lead_source": channel,
                            "contact_person": contact}
    assessment = {"proposed": proposed, "category": category, "risk_types": list(risks)}
    with store.atomic():
        [row] = store.households.create_rows([dict(
            head_id=f"4402051970010100{n:02d}", head_name=f"户主{n}", town=town, village=village, state=state,
            household_no=f"H{n:03d}", provisional=False, lead_date=lead if state == LEAD else None,
            identified_date=identified, submission_id=None, row=n, data=data, assessment=assessment, errors=0,
            warnings=0, at=at, category=category if state == ASSISTING else None)])  # an import: its category too
        hid = row.id
        store.events.record(household_id=hid, event="created", to_state=state, level="系统", at=at,
                            effective_date=lead or AS_OF)
        store.households.replace_children(
            hid, town=town, village=village, reviews=[], measures=[{"category": "就业帮扶"}] * measures,
            members=[{"person_id": f"P{n:02d}{i}", "name": f"成员{n}-{i}"} for i in range(members)])
    return hid


def _walk(store, hid: int, steps, days: tuple[dt.date, ...]) -> None:
    for (action, level), day in zip(steps, days, strict=True):
        with store.atomic():
            transition(store.moves, store.households.get(hid), action, level,
                       at=dt.datetime.combine(day, dt.time(10)), decided_on=day, person="张三")


def _ledger(store) -> dict[str, int]:
    """Eleven households in every state, two towns (see the counts below)."""
    d = dt.date
    h = {}
    h["h1"] = _household(store, 1, MABA, members=3, lead=d(2021, 10, 5), household_type="脱贫户",
                         category="脱贫不稳定户", risks=("因病因残", "住房不安全"), channel="入户走访",
                         contact="王五", measures=2)
    _walk(store, h["h1"], IDENTIFY, (d(2021, 10, 6), d(2021, 10, 10), d(2021, 10, 15)))
    h["h2"] = _household(store, 2, MABA, members=2, lead=d(2021, 11, 10), category="边缘易致贫户",
                         risks=("因病因残",), channel="农户自主申报")
    _walk(store, h["h2"], IDENTIFY, (d(2021, 11, 12), d(2021, 11, 15), d(2021, 11, 20)))
    with store.atomic():  # its income rose after: the rules no longer suggest a category
        row = store.households.get(h["h2"])
        store.households.update_from_file(
            row.id, household_no=row.household_no, provisional=False, head_id=row.head_id, head_name=row.head_name,
            submission_id=None, row=2, data=row.data, errors=0, warnings=0, identified_date=row.identified_date,
            assessment={"proposed": False, "category": None, "risk_types": ["因病因残"]},
            at=dt.datetime(2021, 12, 1, 9))
    h["h3"] = _household(store, 3, MABA, members=4, lead=d(2021, 5, 20), category="突发严重困难户",
                         channel="部门筛查预警")
    _walk(store, h["h3"], IDENTIFY, (d(2021, 5, 25), d(2021, 5, 28), d(2021, 6, 1)))
    _walk(store, h["h3"], ELIMINATE[:1], (d(2021, 12, 10),))
    h["h4"] = _household(store, 4, MABA, members=1, lead=d(2021, 1, 10), category="边缘易致贫户", channel="入户走访")
    _walk(store, h["h4"], IDENTIFY, (d(2021, 1, 15), d(2021, 1, 20), d(2021, 2, 1)))
    _walk(store, h["h4"], ELIMINATE, (d(2021, 12, 1), d(2021, 12, 5), d(2021, 12, 10)))
    h["h5"] = _household(store, 5, MABA, members=2, lead=d(2021, 12, 1), channel="信访信息")
    h["h6"] = _household(store, 6, MABA, members=5, lead=d(2021, 12, 2), category="边缘易致贫户")
    _walk(store, h["h6"], IDENTIFY[:2], (d(2021, 12, 5), d(2021, 12, 8)))
    h["h7"] = _household(store, 7, MABA, members=3, state=NOT_INCLUDED, proposed=False, channel="入户走访")
    h["h8"] = _household(store, 8, MABA, members=2, lead=d(2021, 2, 10), category="边缘易致贫户", channel="入户走访")
    _walk(store, h["h8"], IDENTIFY, (d(2021, 2, 15), d(2021, 2, 20), d(2021, 3, 1)))
    _walk(store, h["h8"], NATURAL, (d(2021, 12, 1), d(2021, 12, 3), d(2021, 12, 5)))
    h["h9"] = _household(store, 9, DATANG, members=3, state=ASSISTING, identified=d(2020, 8, 1),
                         household_type="脱贫户", category="脱贫不稳定户", risks=("就业不稳定减收", "因病因残"))
    _walk(store, h["h9"], ELIMINATE[:2], (d(2021, 12, 1), d(2021, 12, 6)))
    h["h10"] = _household(store, 10, DATANG, members=1, lead=d(2021, 12, 3), channel="入户走访")
    _walk(store, h["h10"], IDENTIFY[:1], (d(2021, 12, 4),))
    h["h11"] = _household(store, 11, DATANG, members=2, lead=d(2021, 8, 15), category="边缘易致贫户", channel="其他")
    _walk(store, h["h11"], IDENTIFY, (d(2021, 8, 16), d(2021, 8, 20), d(2021, 9, 1)))
    _walk(store, h["h11"], NATURAL[:1], (d(2021, 12, 15),))
    return h


def test_category_is_fixed_at_the_districts_agreement_and_never_replaced_by_the_rules(store):
    h = _ledger(store)
    h2 = store.households.get(h["h2"])
    assert (h2.state, h2.category, h2.assessment["category"]) == ("帮扶中", "边缘易致贫户", None)
    assert store.households.get(h["h1"]).category == "脱贫不稳定户"
    assert store.households.get(h["h6"]).category is None  # 待区认定: not identified yet
    assert store.households.get(h["h5"]).category is None


def test_every_count_by_hand(store, config):
    _ledger(store)
    stats = compute(read_facts(store), as_of=AS_OF, **scope_of(config))
    monitored = stats.table(MONITORED)
    assert monitored.row(MABA) == {
        "镇": MABA, "脱贫不稳定户（户）": 1, "脱贫不稳定户（人）": 3, "边缘易致贫户（户）": 1, "边缘易致贫户（人）": 2,
        "突发严重困难户（户）": 1, "突发严重困难户（人）": 4, "合计（户）": 3, "合计（人）": 9}
    assert monitored.row(DATANG)["脱贫不稳定户（户）"] == 1 and monitored.row(DATANG)["合计（人）"] == 3
    assert monitored.row("全区") == {
        "镇": "全区", "脱贫不稳定户（户）": 2, "脱贫不稳定户（人）": 6, "边缘易致贫户（户）": 1, "边缘易致贫户（人）": 2,
        "突发严重困难户（户）": 1, "突发严重困难户（人）": 4, "合计（户）": 4, "合计（人）": 12}
    assert monitored.row("枫湾镇")["合计（户）"] == 0
    assert stats.monitored == (4, 12)
    assert stats.by_category == {"脱贫不稳定户": 2, "边缘易致贫户": 1, "突发严重困难户": 1}
    eliminated = stats.table(ELIMINATED_KEY)
    assert eliminated.row(MABA) == {"镇": MABA, "户数": 1, "人数": 1}
    assert eliminated.row("全区") == {"镇": "全区", "户数": 1, "人数": 1}
    under_way = stats.table(UNDER_WAY_KEY)
    assert under_way.header[1:] == ("线索（户）", "线索（人）", "待镇核查（户）", "待镇核查（人）", "待区认定（户）",
                                    "待区认定（人）", "待镇核减（户）", "待镇核减（人）", "待区核减（户）", "待区核减（人）",
                                    "合计（户）", "合计（人）")
    assert tuple(under_way.row(MABA).values())[1:] == (1, 2, 0, 0, 1, 5, 0, 0, 0, 0, 2, 7)
    assert tuple(under_way.row(DATANG).values())[1:] == (0, 0, 1, 1, 0, 0, 1, 2, 0, 0, 2, 3)
    risk = stats.table(RISK)
    assert risk.row("因病因残") == {"风险类型": "因病因残", "户数": 3, "人数": 8}
    assert risk.row("住房不安全")["户数"] == 1 and risk.row("就业不稳定减收")["人数"] == 3
    assert risk.row("未标注风险类型") == {"风险类型": "未标注风险类型", "户数": 1, "人数": 4}
    assert risk.row("监测对象户数（每户只计一次）") == {"风险类型": "监测对象户数（每户只计一次）", "户数": 4, "人数": 12}
    assert stats.by_risk["因病因残"] == 3 and sum(stats.by_risk.values()) == 5  # more than 4: a household per type
    channel = stats.table(CHANNEL)
    assert channel.row(MABA) == {"镇": MABA, "入户走访": 2, "农户自主申报": 1, "部门筛查预警": 1, "信访信息": 1, "其他": 0,
                                 "未填写": 1, "合计": 6}
    assert channel.row(DATANG) == {"镇": DATANG, "入户走访": 1, "农户自主申报": 0, "部门筛查预警": 0, "信访信息": 0,
                                   "其他": 1, "未填写": 1, "合计": 3}
    assert channel.row("全区")["合计"] == 9
    monthly = stats.table(MONTHLY)
    assert monthly.header == ("月份", "收到线索", "认定纳入", "风险消除", "自然减少")
    assert [r[0] for r in monthly.rows] == [f"2021年{m}月" for m in range(1, 13)] + ["本年度合计"]
    by_month = {r[0]: r[1:] for r in monthly.rows}
    assert by_month["2021年1月"] == (1, 0, 0, 0)
    assert by_month["2021年2月"] == (1, 1, 0, 0)
    assert by_month["2021年3月"] == (0, 1, 0, 0)
    assert by_month["2021年5月"] == (1, 0, 0, 0)
    assert by_month["2021年6月"] == (0, 1, 0, 0)
    assert by_month["2021年8月"] == (1, 0, 0, 0)
    assert by_month["2021年9月"] == (0, 1, 0, 0)
    assert by_month["2021年10月"] == (1, 1, 0, 0)
    assert by_month["2021年11月"] == (1, 1, 0, 0)
    assert by_month["2021年12月"] == (3, 0, 1, 1)
    assert by_month["本年度合计"] == (9, 6, 1, 1)


def test_the_households_that_count_nothing_stay_in_the_ledger_and_every_number_and_kaohe_stays(store, config):
    """The city's roll-up reads only the households that can count (COUNTING_ONLY): 未纳入 with no date and no counted
    move are left in the ledger; every table and 考核 (counts and lists, a village whose only household is left out
    included) equal the full read's."""
    h = _ledger(store)
    idle = _household(store, 12, DATANG, members=4, state=NOT_INCLUDED, proposed=False, village="二村")
    full, lean = read_facts(store), read_facts(store, counting_only=True)
    assert {x.id for x in full.households} - {x.id for x in lean.households} == {h["h7"], idle}
    assert idle not in lean.members and lean.members[h["h1"]] == 3
    assert (DATANG, "二村") in lean.places and (MABA, "一村") in lean.places
    assert compute(lean, as_of=AS_OF, **scope_of(config)) == compute(full, as_of=AS_OF, **scope_of(config))
    extra = read_check_facts(store, AS_OF)
    both = [town_checks(f, extra, as_of=AS_OF, **check_scope(config)) for f in (full, lean)]
    assert both[0] == both[1]
    assert (NO_FILE, DATANG, "二村") in {(i.kind, i.town, i.village) for i in both[1].items}


def test_a_towns_figures_are_the_districts_row_for_it(store, config):
    _ledger(store)
    facts = read_facts(store)
    district = compute(facts, as_of=AS_OF, **scope_of(config))
    mine = compute(facts, as_of=AS_OF, town=DATANG, **scope_of(config))
    assert mine.scope == DATANG
    assert [r[0] for r in mine.table(MONITORED).rows] == [DATANG]
    assert mine.table(MONITORED).row(DATANG) == district.table(MONITORED).row(DATANG)
    assert mine.table(UNDER_WAY_KEY).row(DATANG) == district.table(UNDER_WAY_KEY).row(DATANG)
    assert mine.monitored == (1, 3)
    assert {r[0]: r[1:] for r in mine.table(MONTHLY).rows}["2021年12月"] == (1, 0, 0, 0)
    assert mine.table(RISK).row("因病因残")["户数"] == 1


def test_kaohe_counts_and_lists_by_town(store, config):
    """考核: leads past the 15 days (h5 19 days, h6 18, h10 17), identifications this cycle that took longer (h4 22
    days, h11 17; h8 19 but off file; h1, h2, h3 within), the village with no file this cycle, the 帮扶中 household
    without 监测联系人 and without a measure (h2; h1 has both)."""
    from excel_bridge.town_checks import (
        LATE,
        NO_CONTACT,
        NO_FILE,
        NO_MEASURE,
        OVERDUE,
        WARNINGS,
        check_scope,
        not_entered_kind,
        read_check_facts,
        town_checks,
    )

    h = _ledger(store)
    checks = town_checks(read_facts(store), read_check_facts(store, AS_OF), as_of=AS_OF, **check_scope(config))
    # the district's 同意 not entered into the provincial system over 10 days later: h1, h2 and h3 (identified, h3
    # now 待镇验收), h11 (now 待镇核减); not h4 (eliminated 10 days ago), h8 (off file), h9 (imported)
    entry = not_entered_kind(10)
    assert checks.table.row(MABA) == {"镇": MABA, OVERDUE: 2, LATE: 1, WARNINGS: 0, NO_FILE: 1, NO_CONTACT: 1,
                                      NO_MEASURE: 1, entry: 3, "合计": 9}
    assert checks.table.row(DATANG) == {"镇": DATANG, OVERDUE: 1, LATE: 1, WARNINGS: 0, NO_FILE: 1, NO_CONTACT: 0,
                                        NO_MEASURE: 0, entry: 1, "合计": 4}
    assert checks.table.row("全区")["合计"] == 13
    numbers = {store.households.get(v).household_no: k for k, v in h.items()}
    assert [(i.kind, numbers.get(i.household_no, i.village)) for i in checks.of(MABA)] == [
        (OVERDUE, "h5"), (OVERDUE, "h6"), (LATE, "h4"), (NO_FILE, "一村"), (NO_CONTACT, "h2"), (NO_MEASURE, "h2"),
        (entry, "h1"), (entry, "h2"), (entry, "h3")]
    [h3] = [i for i in checks.of(MABA) if i.kind == entry and numbers.get(i.household_no) == "h3"]
    assert h3.detail == ("2021-06-01区级决定纳入监测，已202天仍未录入省系统（期限10天）：请录入后在镇级核查表“省系统录入”表中"
                         "填写已录入和国家户编号")
    [overdue] = [i for i in checks.of(DATANG) if i.kind == OVERDUE]
    assert overdue.detail.startswith("2021-12-03成为线索，已17天仍未认定（期限15天，目前待镇核查）")
    mine = checks.for_town(DATANG)
    assert [r[0] for r in mine.table.rows] == [DATANG] and len(mine.items) == 4
    [late] = [i for i in mine.items if i.kind == LATE]
    assert late.detail.startswith("2021-08-15成为线索，2021-09-01才认定纳入，用时17天（期限15天）")


def test_a_past_month_reads_its_last_pass_and_is_reported_as_kept(store, config):
    """The month's last pass kept its numbers (report_snapshots, made_by pass); a 通报 asked in the next month
    shows them, not the ledger as it is now, and from then on they are the month's report."""
    from excel_bridge.report import keep_pass_snapshot, make_bulletin

    h = _ledger(store)
    december = compute(read_facts(store), as_of=AS_OF, **scope_of(config))
    keep_pass_snapshot(store, AS_OF, december.tables)
    _walk(store, h["h6"], IDENTIFY[2:], (dt.date(2022, 1, 3),))  # 待区认定 → 帮扶中, in January
    january = dt.date(2022, 1, 5)
    bulletin = make_bulletin(store, config, year=2021, month=12, today=january)
    assert bulletin.as_of == AS_OF and bulletin.frozen_at is not None and bulletin.counted_late is None
    assert bulletin.tables == december.tables
    assert bulletin.table(MONITORED).row("全区")["合计（户）"] == 4  # h6 is counted in January, not here
    assert store.snapshots.of("2021-12").made_by == "report"
    keep_pass_snapshot(store, january, compute(read_facts(store), as_of=january, **scope_of(config)).tables)
    assert store.snapshots.of("2021-12").made_by == "report"  # a pass never touches another month
    now = make_bulletin(store, config, year=2022, month=1, today=january)
    assert now.table(MONITORED).row("全区")["合计（户）"] == 5 and now.frozen_at is None
