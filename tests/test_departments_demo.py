"""The demo lists of five departments for a district made by the demo generator: reading them and applying the
rules finds exactly what each list planted — the warnings, the people outside the ledger, the malformed rows."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from conftest import needs_soffice
from xlsx_helpers import soffice_convert

from excel_bridge.demo import IdPool, generate_village
from excel_bridge.departments import Area, evaluate, load_departments, read_list
from excel_bridge.departments.demo_lists import people_frame, write_demo_lists

AS_OF = dt.date(2021, 12, 20)


@pytest.fixture(scope="module")
def district(config):
    rng = random.Random(11)
    ids = IdPool(config.settings.district_code)
    villages = [generate_village(rng, config, ids, town=town, village=village, households=50, as_of=AS_OF, mistakes=2)
                for town in ("马坝镇", "大塘镇", "枫湾镇") for village in ("石塘村", "新塘村")]
    return people_frame(villages)


@pytest.fixture(scope="module")
def planted(district, tmp_path_factory):
    return write_demo_lists(tmp_path_factory.mktemp("lists") / "部门数据", district, as_of=AS_OF, seed=5)


@pytest.fixture(scope="module")
def depts():
    return load_departments()


def test_five_departments_in_their_own_shapes(planted):
    assert [(p.department, p.path.parent.name, p.path.suffix) for p in planted] == [
        ("医保", "医保", ".xlsx"), ("民政", "民政", ".csv"), ("残联", "残联", ".xlsx"), ("住建", "住建", ".xlsx"),
        ("人社", "人社", ".csv")]
    civil = planted[1].path.read_bytes()
    civil.decode("gbk")  # GBK, as a Chinese Windows system saves “CSV”
    with pytest.raises(UnicodeDecodeError):
        civil.decode("utf-8")
    assert planted[4].path.read_bytes().startswith(b"\xef\xbb\xbf")
    for plan in planted:
        assert plan.warnings and plan.unmatched and plan.quiet, plan.department
    assert sum(len(p.problems) for p in planted) >= 6


@pytest.mark.parametrize("index", range(5))
def test_each_list_yields_exactly_what_it_planted(planted, district, depts, config, index):
    plan = planted[index]
    dept = depts.by_folder(plan.path.parent.name)
    dlist = read_list(plan.path, dept)
    assert dlist.usable, dlist.note
    assert {i.row: i.code for i in dlist.issues} == plan.problems
    result = evaluate(dlist, district, received=AS_OF, area=Area.of(config.settings, depts))
    warned: dict[str, set[str]] = {}
    for w in result.warnings:
        warned.setdefault(w.person_id, set()).add(w.rule_id)
    assert warned == plan.warnings
    assert not plan.quiet & set(warned)
    assert {u.person_id: set(u.rule_ids) for u in result.unmatched} == plan.unmatched
    towns = dict(zip(district["person_id"], district["town"], strict=True))
    assert all(w.town == towns[w.person_id] for w in result.warnings)
    assert result.counts.matched == len(plan.warnings) + len(plan.quiet)


def test_the_places_of_the_people_outside_the_ledger(planted, district, depts, config):
    area = Area.of(config.settings, depts)
    places = {}
    for plan in planted:
        dlist = read_list(plan.path, depts.by_folder(plan.department))
        for u in evaluate(dlist, district, received=AS_OF, area=area).unmatched:
            places[(plan.department, u.person_id[:6])] = (u.basis, u.town)
    assert places[("医保", "440205")] == ("district", None)
    assert places[("医保", "440221")] == ("district", None)  # 曲江县's code before 2004
    assert places[("医保", "440222")] == ("outside", None)
    assert places[("民政", "440205")] == ("list", "马坝镇")  # the list's own 乡镇 column
    assert places[("住建", "440221")] == ("district", None)


@needs_soffice
def test_a_demo_list_converted_to_xls_by_libreoffice_reads_the_same(planted, depts, tmp_path, lo_profile):
    plan = planted[2]  # 残联: merged two-level header, full-width digits, a lower-case x
    xls = read_list(soffice_convert(plan.path, "xls", tmp_path, lo_profile), depts.department("残联"))
    xlsx = read_list(plan.path, depts.department("残联"))
    assert xls.format == "xls" and xls.fingerprint == xlsx.fingerprint
    assert {i.row: i.code for i in xls.issues} == plan.problems


def test_the_demo_district_drops_five_lists_that_its_ledger_matches(tmp_path):
    """`excel-bridge demo`'s district: one list for each of 医保, 民政, 残联, 住建, 人社 in 部门数据/<部门>/, naming people of
    its villages; a pass takes each (archived, then out of the folder), applies it and routes warnings to the towns'
    workbooks."""
    from department_lists import warning_table

    from excel_bridge.demo import build_demo
    from excel_bridge.departments.apply import department_files
    from excel_bridge.pipeline import Processor
    from excel_bridge.workspace import Workspace

    demo = build_demo(tmp_path / "demo", villages=1, households=30, towns=3, mistakes=1, as_of=AS_OF)
    ws = Workspace.open(demo.root)
    assert [p.relative_to(ws.departments).parts[0] for p in demo.lists] == ["医保", "民政", "残联", "住建", "人社"]
    assert department_files(ws) == sorted(demo.lists)
    cfg = ws.config()
    with Processor(ws, as_of=AS_OF, workers=1) as proc:
        proc.run_pass(wait=0.05, background=False)
    assert department_files(ws) == [] and not any(p.exists() for p in demo.lists)
    with ws.open_store() as store:
        lists = store.departments.lists()
    assert sorted((r.department, r.status) for r in lists) == sorted(
        (d, "applied") for d in ("医保", "民政", "残联", "住建", "人社"))
    assert all(r.warnings > 0 and r.unmatched > 0 for r in lists), [(r.department, r.warnings, r.unmatched) for r in lists]
    assert all((ws.root / r.archived_path).is_file() for r in lists)
    towns = list(cfg.settings.towns)
    routed = {t: {r["部门"] for r in warning_table(ws.town_review_path(t))} for t in towns}
    assert set().union(*routed.values()) == {"医保", "民政", "残联", "住建", "人社"}
    assert sum(r.warnings for r in lists) == sum(len(warning_table(ws.town_review_path(t))) for t in towns)
