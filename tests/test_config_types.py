"""The settings, schemas and rules are plain dataclasses that pydantic validates when a file is read
(excel_bridge/config_types.py): what a file may say, and the Chinese errors, are those of the pydantic
models they replaced."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from pydantic import ValidationError

from excel_bridge.config import load_config
from excel_bridge.config_files import invalid
from excel_bridge.config_types import validated
from excel_bridge.ruleset import DropRule, MonitoringLine, RuleSet
from excel_bridge.schema import ColumnSpec
from excel_bridge.settings import DistrictSettings, dump_settings, load_settings

RAW = {"district": "南雄市", "district_code": 440282, "towns": {"乌迳镇": None}}


def problems(cls, raw) -> str:
    with pytest.raises(ValidationError) as exc:
        validated(cls, raw)
    return str(invalid("F.yaml", "设置", exc.value))


def test_a_file_names_the_ledger_schema_by_its_key_or_by_the_field_name():
    assert validated(DistrictSettings, {**RAW, "schema": " nanxiong "}).ledger_schema == "nanxiong"
    assert validated(DistrictSettings, {**RAW, "ledger_schema": "nanxiong"}).ledger_schema == "nanxiong"


def test_the_fields_own_checks_run_before_and_after_the_type():
    s = validated(DistrictSettings, RAW)  # before: a number is the text meant, a town's empty list is []
    assert (s.district_code, s.towns) == ("440282", {"乌迳镇": []})
    assert problems(DistrictSettings, {**RAW, "district_code": "44028"}) == (  # after: six digits
        "设置文件 F.yaml 有误：“district_code”区划代码应为 6 位数字（本区户籍身份证号的前 6 位，如曲江区为 440205）")
    assert problems(DistrictSettings, {**RAW, "schema": "Nan Xiong"}).startswith("设置文件 F.yaml 有误：“schema”")


def test_an_unknown_key_or_a_wrong_shape_is_said_in_chinese_with_its_place():
    assert problems(DistrictSettings, {**RAW, "distrct": "x"}) == (
        "设置文件 F.yaml 有误：“distrct”不认识此项（名字写错了？）")
    assert problems(DropRule, {"clause": "二", "title": "t", "drop_ratio": 1}) == (
        "设置文件 F.yaml 有误：“drop_ratio”数值太大")
    assert problems(MonitoringLine, {"floor": 9060, "lines": {}}) == (
        "设置文件 F.yaml 有误：“lines”lines 中至少要有一个年份的监测线")
    assert problems(RuleSet, {"line": [], "rules": {}, "workflow": {}}).startswith(
        "设置文件 F.yaml 有误：“line”应是“名字: 值”的形式")
    assert problems(ColumnSpec, {"key": "k", "header": "选项", "type": "choice"}) == (
        "设置文件 F.yaml 有误：“（整个文件）”列“选项”是选择类型，但没有 allowed 或 allowed_from")


def test_settings_written_and_read_back_are_equal_with_the_schema_key(tmp_path):
    settings = validated(DistrictSettings, {**RAW, "database": "postgresql+psycopg://u@h/d", "schema": "nanxiong"})
    text = dump_settings(settings)
    assert "\nschema: nanxiong\n" in text and "ledger_schema" not in text
    path = tmp_path / "区级设置.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_settings(path) == settings


def test_a_config_pickles_to_the_same_values():
    config = load_config()
    again = pickle.loads(pickle.dumps(config))
    assert again == config
    assert again.rules.rules.drop.drop_ratio == Decimal("0.3")
    assert again.schemas.member.header_lookup["身份证号"] == "person_id"
