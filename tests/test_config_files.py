"""The district's own YAML files: a mistake in one is a Chinese message naming the file, the line or the
entry — never a traceback and never English parser output — and `excel-bridge` exits 3 with it."""

from __future__ import annotations

import shutil

import pytest
from cli_helpers import run_cli

from excel_bridge.config import bundled_dir, load_config
from excel_bridge.errors import ConfigError
from excel_bridge.ruleset import load_rules
from excel_bridge.schema import load_schemas
from excel_bridge.settings import load_settings
from excel_bridge.workspace import Workspace


def test_a_syntax_error_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "区级设置.yaml"
    path.write_text("district: 曲江区\ntowns:\n  马坝镇: [石塘村\n  大塘镇: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    text = str(exc.value)
    assert text.startswith(f"设置文件 {path} 格式错误（第4行第")
    assert text.endswith("请检查冒号、缩进（用空格，不用 Tab）和括号是否成对")


def test_a_wrong_value_names_the_entry_in_chinese(tmp_path):
    path = tmp_path / "区级设置.yaml"
    path.write_text("district: 曲江区\ndistrict_code: '440205'\ntowns: {马坝镇: []}\nincome_year: 今年\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert str(exc.value) == f"设置文件 {path} 有误：“income_year”应填整数"


def test_a_missing_file_and_a_file_not_in_utf8(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_settings(tmp_path / "没有.yaml")
    assert str(exc.value) == f"找不到设置文件 {tmp_path / '没有.yaml'}"
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("district: 曲江区\n".encode("gbk"))
    with pytest.raises(ConfigError) as exc:
        load_settings(gbk)
    assert str(exc.value) == f"设置文件 {gbk} 不是 UTF-8 编码，请用记事本“另存为”UTF-8 后再试"


def test_a_rules_file_with_a_wrong_number_names_the_entry(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_dir("rules"), rules)
    path = rules / "workflow.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("notice_min_days:", "notice_min_days: 五天 #", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_rules(rules)
    assert str(exc.value).startswith(f"规则文件 {rules} 有误：“workflow.notice_min_days”")


def test_a_schema_list_that_does_not_exist(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(bundled_dir("schemas"), schemas)
    path = schemas / "household.yaml"
    text = path.read_text(encoding="utf-8")
    name = next(line.split(":", 1)[1].strip() for line in text.splitlines() if "allowed_from:" in line)
    path.write_text(text.replace(f"allowed_from: {name}", "allowed_from: 不存在的清单", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_schemas(schemas)
    assert "引用的清单 不存在的清单 在 lists.yaml 中不存在" in str(exc.value)
    assert str(exc.value).startswith(f"{path}：列“")


def test_the_cli_prints_the_message_and_exits_3(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ws.settings_path.write_text("district: [曲江区\n", encoding="utf-8")
    proc = run_cli("process", ws.root)
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"错误：设置文件 {ws.settings_path} 格式错误（第")
    assert "Traceback" not in proc.stderr and "expected" not in proc.stderr


def test_the_bundled_files_load():
    assert load_config().rules.line_for(2021) == 9600
