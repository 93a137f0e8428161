"""Several districts on one PostgreSQL server (issue 24): each workspace names the server and its own schema in
区级设置.yaml (`database:` plus `schema:`); `init` of a new district makes its schema; every pass runs in it, the
pass lock is the schema's, and nothing of one district is seen through another's workspace. Real CLI runs."""

from __future__ import annotations

import datetime as dt

from cli_helpers import run_cli
from factory import district_on, drop_village, person, rows_of_their_own

from excel_bridge.messages import TEXT
from excel_bridge.settings import DistrictSettings, dump_settings

AS_OF = "2021-12-20"


def test_two_districts_in_two_schemas_of_one_server(tmp_path, server):
    from sqlalchemy import text

    a_schema, b_schema = server.name("qujiang"), server.name("wujiang")
    a = district_on(server, tmp_path / "曲江区", "曲江区", "440205", "马坝镇", "石塘村", schema=a_schema)
    b = district_on(server, tmp_path / "武江区", "武江区", "440203", "龙归镇", "龙归村", schema=b_schema)
    with server.engine.connect() as conn:  # init made each schema, and the ledger's tables in it, none elsewhere
        tables = {(s, n) for s, n in conn.execute(text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = 'households'"))}
    assert (a_schema, "households") in tables and (b_schema, "households") in tables
    assert ("public", "households") not in tables

    rows_a, rows_b = rows_of_their_own(1), rows_of_their_own(2)
    drop_village(a, "马坝镇", "石塘村", rows_a)
    drop_village(b, "龙归镇", "龙归村", rows_b)
    for ws in (a, b):
        done = run_cli("process", ws.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")
        assert done.returncode == 0, done.stderr
    with server.engine.connect() as conn:
        counted = {s: conn.execute(text(f"SELECT town, count(*) FROM {s}.households GROUP BY town")).all()
                   for s in (a_schema, b_schema)}
    assert counted == {a_schema: [("马坝镇", 2)], b_schema: [("龙归镇", 2)]}

    head_a, head_b = rows_a["household"][0]["head_id"], rows_b["household"][0]["head_id"]
    assert run_cli("history", head_a, "--workspace", a.root).returncode == 0
    assert run_cli("history", head_b, "--workspace", b.root).returncode == 0
    assert run_cli("history", head_a, "--workspace", b.root).returncode == 1  # not B's: not seen through B
    assert run_cli("history", head_b, "--workspace", a.root).returncode == 1


def test_the_pass_lock_is_the_districts_own(tmp_path, server):
    a = district_on(server, tmp_path / "曲江区", "曲江区", "440205", "马坝镇", "石塘村", schema=server.name())
    b = district_on(server, tmp_path / "武江区", "武江区", "440203", "龙归镇", "龙归村", schema=server.name())
    drop_village(b, "龙归镇", "龙归村", rows_of_their_own(3))
    drop_village(a, "马坝镇", "石塘村", rows_of_their_own(4))
    with a.open_store() as store, store.pass_lock(wait=False, on_wait=lambda _: None):
        other = run_cli("process", b.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")  # another district: not held up by A's pass
        same = run_cli("process", a.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")   # A itself: another program holds its ledger
    assert other.returncode == 0, other.stderr
    assert same.returncode == 5, same.stdout + same.stderr


def test_a_schema_not_made_or_without_a_server_is_said(tmp_path, server):
    ws = district_on(server, tmp_path / "曲江区", "曲江区", "440205", "马坝镇", "石塘村", schema=server.name())
    missing = server.name()
    text = ws.settings_path.read_text(encoding="utf-8")
    schema_line = next(line for line in text.splitlines() if line.startswith("schema:"))
    ws.settings_path.write_text(text.replace(schema_line, f"schema: {missing}"), encoding="utf-8")
    done = run_cli("process", ws.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")
    assert done.returncode == 3
    assert f"上还没有本区的模式 {missing}" in done.stderr
    with server.engine.connect() as conn:  # a pass never makes a schema: only init does
        from sqlalchemy import text as sql

        assert conn.execute(sql("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": missing}).first() is None

    database_line = next(line for line in text.splitlines() if line.startswith("database:"))
    ws.settings_path.write_text(text.replace(database_line, ""), encoding="utf-8")
    done = run_cli("process", ws.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1")
    assert done.returncode == 3
    assert "schema 只能与 database: postgresql+psycopg://… 一起用" in done.stderr


def test_a_schema_name_that_needs_quoting_is_refused(tmp_path):
    settings = tmp_path / "设置.yaml"
    settings.write_text(dump_settings(DistrictSettings(towns={"马坝镇": []})).replace(
        "# schema: nanxiong", "schema: Nan-Xiong"), encoding="utf-8")
    done = run_cli("init", tmp_path / "ws", "--from", settings)
    assert done.returncode == 3
    assert TEXT["settings.schema_name"] in done.stderr
    assert not (tmp_path / "ws").exists()


def test_people_of_one_district_are_not_the_others(tmp_path, server):
    """The same person in both districts is two ledgers' facts: each district sees its own household only."""
    shared = person(dt.date(1975, 4, 4), 17)
    a = district_on(server, tmp_path / "曲江区", "曲江区", "440205", "马坝镇", "石塘村", schema=server.name())
    b = district_on(server, tmp_path / "武江区", "武江区", "440203", "龙归镇", "龙归村", schema=server.name())
    for i, (ws, town, village) in enumerate(((a, "马坝镇", "石塘村"), (b, "龙归镇", "龙归村"))):
        rows = rows_of_their_own(5 + i)
        old = rows["household"][0]["head_id"]
        rows["household"][0]["head_id"] = shared
        for m in rows["member"]:
            m["head_id"] = shared if m["head_id"] == old else m["head_id"]
            m["person_id"] = shared if m["person_id"] == old else m["person_id"]
        drop_village(ws, town, village, rows)
        assert run_cli("process", ws.root, "--as-of", AS_OF, "--wait", "0.05", "--workers", "1").returncode == 0
    for ws, town in ((a, "马坝镇"), (b, "龙归镇")):
        with ws.open_store() as store:
            places = {(h.town, h.village) for h in store.views.counted_households()}
        assert {p[0] for p in places} == {town}
