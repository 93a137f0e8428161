"""What a city's roll-up takes in (issue 24): the numbers a 通报 carries in its hidden sheet, read back equal to its
tables and refused when they are not ours, of an older release or changed by hand; and 市级设置.yaml's mistakes said
in Chinese (exit 3) before anything is read."""

from __future__ import annotations

import datetime as dt

import openpyxl
import yaml
from cli_helpers import run_cli
from factory import write

from excel_bridge.bulletin_numbers import BulletinNumbers, Refused, read_bulletin_numbers
from excel_bridge.messages import TEXT
from excel_bridge.read import META_SHEET
from excel_bridge.report import make_bulletin
from excel_bridge.writers.bulletin import write_bulletin

TODAY = dt.date(2021, 12, 20)


def _bulletin(tmp_path, store, config):
    b = make_bulletin(store, config, year=2021, month=12, today=TODAY)
    return b, write_bulletin(tmp_path / "通报.xlsx", b).path


def test_the_hidden_numbers_are_the_bulletins_tables(tmp_path, store, config):
    b, path = _bulletin(tmp_path, store, config)
    got = read_bulletin_numbers(str(path))
    assert isinstance(got, BulletinNumbers)
    assert (got.district, got.month, got.as_of) == ("曲江区", "2021-12", "2021-12-20")
    assert got.tables == b.tables
    assert got.checks == b.checks and got.checks is not None and got.checks.key == "kaohe"


def test_a_bulletin_changed_by_hand_or_older_or_not_one_is_refused(tmp_path, store, config):
    _, path = _bulletin(tmp_path, store, config)
    for name, change, reason in (
            ("改数.xlsx", lambda meta, row: setattr(row[1], "value", row[1].value.replace("0", "1", 1))
             if row[0].value == "数据1" else None, TEXT["city.bulletin_damaged"]),
            ("旧版.xlsx", lambda meta, row: setattr(row[1], "value", "1") if row[0].value == "模板版本" else None,
             TEXT["city.bulletin_old"].format(version="1"))):
        wb = openpyxl.load_workbook(path)
        meta = wb[META_SHEET]
        for row in meta.iter_rows():
            change(meta, row)
        wb.save(tmp_path / name)
        assert read_bulletin_numbers(str(tmp_path / name)) == Refused(str(tmp_path / name), reason)
    village = write(tmp_path / "村.xlsx", config)
    assert read_bulletin_numbers(str(village)) == Refused(str(village), TEXT["city.not_bulletin"])


def test_city_settings_mistakes_are_said(tmp_path):
    settings = tmp_path / "市级设置.yaml"
    for districts, said in (
            ([{"name": "曲江区", "schema": "qujiang", "bulletin": True}], TEXT["city.district_source"].format(
                district="曲江区")),
            ([{"name": "曲江区", "bulletin": True}, {"name": "曲江区", "bulletin": True}],
             TEXT["city.district_twice"].format(names="曲江区")),
            ([{"name": "曲江区", "schema": "qujiang"}], TEXT["city.schema_without_server"])):
        settings.write_text(yaml.safe_dump({"city": "韶关市", "districts": districts}, allow_unicode=True),
                            encoding="utf-8")
        done = run_cli("city", settings)
        assert done.returncode == 3, done.stdout + done.stderr
        assert said in done.stderr
    assert not (tmp_path / "市级汇总.xlsx").exists()
    done = run_cli("city", tmp_path / "没有.yaml")
    assert done.returncode == 2
    assert TEXT["city.settings_missing"].format(path=tmp_path / "没有.yaml") in done.stderr


def test_a_district_sending_no_bulletin_is_said_and_left_out(tmp_path, store, config):
    """A city of one district that sends its 通报: none in the inbox → said, 市级汇总 still written (empty)."""
    settings = tmp_path / "市级设置.yaml"
    settings.write_text(yaml.safe_dump({"city": "韶关市", "districts": [{"name": "仁化县", "bulletin": True}]},
                                       allow_unicode=True), encoding="utf-8")
    done = run_cli("city", settings, "--month", "2021-12", "--as-of", "2021-12-20")
    assert done.returncode == 0, done.stdout + done.stderr
    assert TEXT["city.no_bulletin"].format(district="仁化县", year=2021, month=12, inbox=tmp_path / "收件箱") \
        in done.stdout
    assert (tmp_path / "市级汇总.xlsx").is_file()


def test_a_city_department_list_is_split_into_the_districts(tmp_path, config):
    """A city-level list: a person in 曲江区's ledger goes there whatever the ID's county code (moved from 武江区);
    the others by the ID's first six digits; a code no district has, and a broken ID, stay with the city, in its note."""
    from factory import drop_village, lone_household, person, write_plain

    from excel_bridge.idcard import make_id, mask_id
    from excel_bridge.settings import DistrictSettings
    from excel_bridge.workspace import Workspace

    moved = make_id("440203", dt.date(1970, 1, 1), 13)  # a 武江区 number, living in 曲江区
    in_a, in_b, nowhere = person(dt.date(1980, 2, 2), 15), make_id("440203", dt.date(1981, 3, 3), 17), \
        make_id("440299", dt.date(1982, 4, 4), 19)
    roots = {}
    for name, code, town in (("曲江区", "440205", "马坝镇"), ("武江区", "440203", "龙归镇")):
        Workspace.init(tmp_path / name, DistrictSettings(district=name, district_code=code, supervision_phone="",
                                                         policy_document="", towns={town: []}))
        roots[name] = Workspace.open(tmp_path / name)
    hh, m = lone_household(moved, "郑十")
    drop_village(roots["曲江区"], "马坝镇", "石塘村", {"household": [hh], "member": [m], "measure": [], "review": []})
    assert run_cli("process", roots["曲江区"].root, "--as-of", "2021-12-20", "--wait", "0.05", "--workers", "1").returncode == 0

    city = tmp_path / "韶关市"
    (city / "部门数据" / "医保").mkdir(parents=True)
    write_plain(city / "部门数据" / "医保" / "医保名单.xlsx", {"Sheet1": [
        ["韶关市医保局 2021年12月 大额医疗支出名单"], ["姓名", "公民身份证号码", "自付金额"],
        ["郑十", moved, 30000], ["甲", in_a, 25000], ["乙", in_b, 28000], ["丙", nowhere, 26000], ["丁", "123", 1]]})
    settings = city / "市级设置.yaml"
    settings.write_text(yaml.safe_dump({"city": "韶关市", "districts": [
        {"name": n, "database": str(ws.ledger_path), "code": c, "workspace": str(ws.root)}
        for (n, ws), c in zip(roots.items(), ("440205", "440203"), strict=True)]}, allow_unicode=True),
        encoding="utf-8")
    done = run_cli("city", settings, "--month", "2021-12", "--as-of", "2021-12-20")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "曲江区 2 行、武江区 1 行；未能分到区的 2 行" in done.stdout

    def ids(ws):
        from factory import calamine_rows

        rows = calamine_rows(ws.departments / "医保" / "医保名单（韶关市分拆）.xlsx", "名单")
        assert rows[0] == ["姓名", "公民身份证号码", "自付金额"]
        return [r[1] for r in rows[1:]]

    assert ids(roots["曲江区"]) == [moved, in_a]
    assert ids(roots["武江区"]) == [in_b]
    note = (city / "部门数据分拆" / "曲江区_医保_分拆说明.txt").read_text(encoding="utf-8")
    assert "分给曲江区 2 行（其中 1 人在本区台账的在册户中，1 人按身份证号前 6 位的区划代码）" in note
    left = (city / "部门数据分拆" / "韶关市_医保_分拆说明.txt").read_text(encoding="utf-8")
    assert f"第 6 行：{mask_id(nowhere)}" in left and f"第 7 行：{TEXT['city.split_no_id']}" in left
    assert nowhere not in left
