"""A city's roll-up through the real CLI (issue 24): three districts — two in schemas of one PostgreSQL server, one
that sends its monthly 通报 workbook — processed by `excel-bridge process`, the third reported by `excel-bridge
report`; `excel-bridge city 市级设置.yaml` read by a role that may only read, while a district holds its pass lock
and an open write. Each district's numbers in 市级汇总 equal its own 统计 and 考核 (its master's sheets, written by
its own pass), the city's total is their sum, and 跨区重复 lists exactly the persons planted in two districts (found
by one query on the server, and by streaming when a ledger is named by its own URL)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml
from cli_helpers import run_cli
from factory import calamine_rows, district_on, drop_village, lone_household, person, rows_of_their_own

from excel_bridge.messages import TEXT
from excel_bridge.read import META_SHEET
from excel_bridge.report import bulletin_path
from excel_bridge.settings import DistrictSettings
from excel_bridge.workspace import Workspace

TWICE_HEAD = person(dt.date(1966, 6, 6), 61)    # head of a household in 曲江区 and in 武江区
TWICE_MEMBER = person(dt.date(1995, 9, 9), 72)  # a member in 曲江区, head in 武江区 (married out)
AS_OF = "2021-12-20"
LOW = dict(wage_income=5000, business_income=0, transfer_income=1000, business_cost=0)


def _rows(i: int, code: str, town: str, village: str, *, planted: list[tuple[str, str]]) -> dict:
    """Village i's own people, one household identified on import, and the planted persons (id, role)."""
    rows = rows_of_their_own(i)
    hh, m = lone_household(person(dt.date(1950 + i, 2, 2), 80 + i), "钱七", household_no=f"{code}001001{i:06d}",
                           identified_date=dt.date(2021, 6, 1), contact_person="孙监测", contact_phone="13900000000",
                           **LOW)
    rows["household"].append(hh)
    rows["member"].append(m)
    for pid, role in planted:
        if role == "head":
            h2, m2 = lone_household(pid, "周八", **LOW)
            rows["household"].append(h2)
            rows["member"].append(m2)
        else:  # a member of the village's first household
            head = rows["household"][0]["head_id"]
            rows["member"].append({**rows["member"][0], "head_id": head, "person_id": pid, "relation": "之女",
                                   "name": "吴九", "sex": "女", "birth_date": None})
            rows["household"][0]["size"] += 1
    for h in rows["household"]:
        h["town"], h["village"] = town, village
    return rows


def _tables_from(rows: list[list], first: str, stop: str | None = None) -> list[list]:
    """The rows of a sheet from the table titled `first` up to (not including) the one whose title starts `stop`."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    end = next((i for i, r in enumerate(rows) if i > start and stop and isinstance(r[0], str) and r[0].startswith(
        stop)), len(rows))
    out = [[v for v in r if v != ""] for r in rows[start:end]]
    while out and not out[-1]:
        out.pop()
    return out


def _total_row(rows: list[list], title: str, label: str) -> list:
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    return next([v for v in r if v != ""] for r in rows[start:] if r and r[0] == label)


def test_three_districts_roll_up_through_the_cli(tmp_path, server):
    from sqlalchemy import text

    qj, wj = server.name("qujiang"), server.name("wujiang")
    a = district_on(server, tmp_path / "曲江区", "曲江区", "440205", "马坝镇", "石塘村", schema=qj)
    b = district_on(server, tmp_path / "武江区", "武江区", "440203", "龙归镇", "龙归村", schema=wj)
    c_root = tmp_path / "浈江区"
    Workspace.init(c_root, DistrictSettings(district="浈江区", district_code="440204", supervision_phone="",
                                            policy_document="", towns={"花坪镇": ["花坪村"]}))
    c = Workspace.open(c_root)
    drop_village(a, "马坝镇", "石塘村", _rows(1, "440205", "马坝镇", "石塘村",
                                           planted=[(TWICE_HEAD, "head"), (TWICE_MEMBER, "member")]))
    drop_village(b, "龙归镇", "龙归村", _rows(2, "440203", "龙归镇", "龙归村",
                                           planted=[(TWICE_HEAD, "head"), (TWICE_MEMBER, "head")]))
    drop_village(c, "花坪镇", "花坪村", _rows(3, "440204", "花坪镇", "花坪村", planted=[]))
    for ws in (a, b, c):
        done = run_cli("process", ws.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")
        assert done.returncode == 0, done.stderr
    done = run_cli("report", c.root, "--month", "2021-12", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr

    city_dir = tmp_path / "韶关市"
    (city_dir / "收件箱").mkdir(parents=True)
    bulletin = bulletin_path(c, "浈江区", 2021, 12)
    shutil.copy2(bulletin, city_dir / "收件箱" / bulletin.name)
    _tampered(bulletin, city_dir / "收件箱" / "改过的通报.xlsx")

    reader = server.role()  # the city's role: it may only read the districts' schemas
    with server.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {reader} LOGIN PASSWORD 'pw'"))
        for schema in (qj, wj):
            conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {reader}"))
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}"))
    from sqlalchemy.engine import make_url

    reader_url = make_url(server.url).set(username=reader, password="pw").render_as_string(hide_password=False)
    settings = city_dir / "市级设置.yaml"
    settings.write_text(yaml.safe_dump({"city": "韶关市", "server": reader_url, "districts": [
        {"name": "曲江区", "schema": qj}, {"name": "武江区", "schema": wj}, {"name": "浈江区", "bulletin": True}]},
        allow_unicode=True), encoding="utf-8")

    with a.open_store() as store, store.pass_lock(wait=False, on_wait=lambda _: None), store.atomic() as conn:
        conn.execute(text("UPDATE households SET version = version + 1"))  # a pass's write, not yet committed
        done = run_cli("city", settings, "--month", "2021-12", "--as-of", AS_OF)
    assert done.returncode == 0, done.stdout + done.stderr
    assert TEXT["city.done_duplicates"].format(people=2, how=TEXT["city.how_one_query"]) in done.stdout
    assert TEXT["city.bulletin_damaged"] in done.stdout
    summary = city_dir / "市级汇总.xlsx"
    assert summary.is_file()

    monitored, checks_title = TEXT["stats.title.monitored"], TEXT["checks.title"].split("（")[0]
    for ws, name in ((a, "曲江区"), (b, "武江区"), (c, "浈江区")):
        own = calamine_rows(ws.master_path, "统计")
        mine = calamine_rows(summary, name)
        assert _tables_from(mine, monitored, checks_title) == _tables_from(own, monitored)
        own_checks = _total_row(calamine_rows(ws.master_path, "考核"), next(
            r[0] for r in calamine_rows(ws.master_path, "考核") if r and str(r[0]).startswith(checks_title)), "全区")
        assert _total_row(calamine_rows(summary, "考核"), TEXT["city.checks_title"], name)[1:] == own_checks[1:]

    totals = calamine_rows(summary, "全市合计")
    by_district = {n: _total_row(calamine_rows(Workspace.open(tmp_path / n).master_path, "统计"), monitored, "全区")
                   for n in ("曲江区", "武江区", "浈江区")}
    for n, row in by_district.items():
        assert _total_row(totals, monitored.replace("按镇", "按区"), n)[1:] == row[1:]
    city_row = _total_row(totals, monitored.replace("按镇", "按区"), "全市")
    assert city_row[1:] == [sum(r[i] for r in by_district.values()) for i in range(1, len(city_row))]
    assert city_row[-2] > 0

    dup = calamine_rows(summary, "跨区重复")
    listed = [r for r in dup[4:] if r and r[0]]
    assert sorted((r[0], r[2]) for r in listed) == sorted(
        (pid, d) for pid in (TWICE_HEAD, TWICE_MEMBER) for d in ("曲江区", "武江区"))
    states = {(r[0], r[2]): (r[3], r[4], r[7]) for r in listed}
    assert states[(TWICE_MEMBER, "曲江区")][:2] == ("马坝镇", "石塘村")
    assert states[(TWICE_MEMBER, "武江区")][:2] == ("龙归镇", "龙归村")
    assert all(s[2] for s in states.values())

    # the same ledgers named by their own URLs (not schemas of the city's server): matched by streaming, same people
    streamed = city_dir / "市级设置_分别连接.yaml"
    streamed.write_text(yaml.safe_dump({"city": "韶关市", "districts": [
        {"name": "曲江区", "database": a.database()}, {"name": "武江区", "database": b.database()},
        {"name": "浈江区", "database": str(c.ledger_path)}]}, allow_unicode=True), encoding="utf-8")
    done = run_cli("city", streamed, "--month", "2021-12", "--as-of", AS_OF)
    assert done.returncode == 0, done.stdout + done.stderr
    assert TEXT["city.done_duplicates"].format(people=2, how=TEXT["city.how_streamed"]) in done.stdout
    again = calamine_rows(city_dir / "市级汇总.xlsx", "跨区重复")
    assert [r for r in again[4:] if r and r[0]] == listed
    assert _tables_from(calamine_rows(city_dir / "市级汇总.xlsx", "浈江区"), monitored, checks_title) == \
        _tables_from(calamine_rows(c.master_path, "统计"), monitored)


def _tampered(source: Path, target: Path) -> None:
    """A copy of the 通报 whose hidden numbers someone changed by hand (one count in the JSON)."""
    import openpyxl

    wb = openpyxl.load_workbook(source)
    meta = wb[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "数据1":
            row[1].value = row[1].value.replace('"合计（户）"', '"合计（户） "', 1)
    wb.save(target)


def _ledger_with(url: str, people: dict[str, list[str]], off_file: set[str]) -> None:
    """A ledger in a new schema: household → its members' IDs; the households in `off_file` 已移出 (off file)."""
    from excel_bridge.store import Store

    at = dt.datetime(2021, 12, 1, 9)
    with Store.open(url) as store, store.atomic():
        for n, (name, ids) in enumerate(people.items()):
            [row] = store.households.create_rows([dict(
                head_id=ids[0], head_name=name, town="马坝镇", village="一村", state="帮扶中", household_no=name,
                provisional=False, lead_date=None, identified_date=None, submission_id=None, row=n + 1, data={},
                assessment={}, errors=0, warnings=0, at=at, category=None)])
            store.households.replace_children(row.id, town="马坝镇", village="一村", reviews=[], measures=[],
                                              members=[{"person_id": pid, "name": f"成员{pid}"} for pid in ids])
            if name in off_file:
                store.households.mark_removed(row.id, at=at)


def test_one_query_lists_an_id_only_where_it_is_on_file_in_two_districts(server):
    """The one query finds the IDs in two ledgers from the members' ID index alone, then keeps the people on file in
    households of two districts: X (A and B), Y (A and C; B's household 已移出 is not listed); W (A, and B off file)
    and Z (A alone) are not. The streamed match gives the same rows."""
    from sqlalchemy import text

    from excel_bridge.store import Store, in_several_streamed, people_in_several, with_schema

    schemas = {d: server.name("m") for d in ("A区", "B区", "C区")}
    with server.engine.begin() as conn:
        for schema in schemas.values():
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    _ledger_with(with_schema(server.url, schemas["A区"]), {"a1": ["1X", "2Y", "3W"], "a2": ["4Z"]}, set())
    _ledger_with(with_schema(server.url, schemas["B区"]), {"b1": ["1X"], "b2": ["2Y", "3W"]}, {"b2"})
    _ledger_with(with_schema(server.url, schemas["C区"]), {"c1": ["2Y"]}, set())
    found = people_in_several(server.url, schemas)
    assert [(p.person_id, p.district, p.household_no) for p in found] == [
        ("1X", "A区", "a1"), ("1X", "B区", "b1"), ("2Y", "A区", "a1"), ("2Y", "C区", "c1")]
    stores = [Store.open_read(with_schema(server.url, s)) for s in schemas.values()]
    try:
        assert list(in_several_streamed([s.people_by_id(d) for d, s in zip(schemas, stores, strict=True)])) == found
    finally:
        for s in stores:
            s.close()
