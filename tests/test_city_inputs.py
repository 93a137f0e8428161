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
