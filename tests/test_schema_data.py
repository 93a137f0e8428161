"""Schemas are data: an allowed value, a list value, an alias or a column is added by editing YAML only."""

from __future__ import annotations

import shutil
from pathlib import Path

import python_calamine as pc
import yaml
from factory import AS_OF, HEAD_A, base_rows, check, write

from excel_bridge.check import check_file
from excel_bridge.config import bundled_dir, load_config
from excel_bridge.schema import load_schemas

NEW_SOURCE = "网格员排查"
NEW_RISK = "因学"


def schemas_copy(tmp_path: Path, *, grid_required: bool = False) -> Path:
    """A copy of schemas/ with, in YAML only: a new 线索来源 value and alias, a new risk type in lists.yaml,
    a new text column 网格员 and a new choice column 易返贫标记 on 户信息."""
    target = tmp_path / "schemas"
    shutil.copytree(bundled_dir("schemas"), target)
    path = target / "household.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for col in data["columns"]:
        if col["key"] == "lead_source":
            col["allowed"].append(NEW_SOURCE)
            col["aliases"] = ["信息来源"]
    data["columns"] += [
        {"key": "grid_worker", "header": "网格员", "type": "text", "required": grid_required},
        {"key": "fragile", "header": "易返贫标记", "type": "choice", "allowed": ["是", "否"], "required": False},
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    lists = target / "lists.yaml"
    raw = yaml.safe_load(lists.read_text(encoding="utf-8"))
    raw["risk_types"].append(NEW_RISK)
    lists.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return target


def new_rows():
    rows = base_rows()
    rows["household"][0].update(lead_source=NEW_SOURCE, grid_worker="张网格", fragile="是", main_risk=NEW_RISK)
    return rows


def test_load_schemas_sees_the_yaml_changes(tmp_path):
    schemas = load_schemas(schemas_copy(tmp_path))
    hh = schemas.household
    assert NEW_SOURCE in schemas.allowed(hh.column("lead_source"))
    assert NEW_RISK in schemas.allowed(hh.column("main_risk"))
    assert NEW_RISK in schemas.allowed(hh.column("other_risk_2"))
    col = hh.column("grid_worker")
    assert (col.header, col.type, col.required) == ("网格员", "text", False)
    assert [c.key for c in hh.columns][-2:] == ["grid_worker", "fragile"]


def test_workbook_with_new_value_and_column_passes(tmp_path):
    config = load_config(schemas_dir=schemas_copy(tmp_path))
    path = write(tmp_path / "v.xlsx", config, new_rows())
    header = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("户信息").to_python()[0]
    assert header[-2:] == ["网格员", "易返贫标记"]  # the template writer made the new columns
    r = check_file(path, config, as_of=AS_OF)
    assert r.issues == []
    hh = r.households[0]
    assert hh.head_id == HEAD_A
    assert hh.get("lead_source") == NEW_SOURCE
    assert hh.get("grid_worker") == "张网格"
    assert hh.get("fragile") == "是"
    assert r.assessments[0].risk_types == [NEW_RISK]


def test_same_workbook_fails_the_bundled_schemas(tmp_path):
    """Proves the acceptance above came from the edited YAML, not from leniency."""
    path = write(tmp_path / "v.xlsx", load_config(schemas_dir=schemas_copy(tmp_path)), new_rows())
    bundled = load_config()
    r = check_file(path, bundled, as_of=AS_OF)
    got = {(i.code, i.severity, i.sheet, i.row, i.column, i.value) for i in r.issues}
    assert got == {
        ("NOT_ALLOWED", "error", "户信息", 2, "线索来源", NEW_SOURCE),
        ("NOT_ALLOWED", "error", "户信息", 2, "主要风险", NEW_RISK),
        ("COLUMN_UNKNOWN", "warning", "户信息", 1, "网格员", "网格员"),
        ("COLUMN_UNKNOWN", "warning", "户信息", 1, "易返贫标记", "易返贫标记"),
    }


def test_new_choice_column_is_validated(tmp_path):
    config = load_config(schemas_dir=schemas_copy(tmp_path))
    rows = new_rows()
    rows["household"][0]["fragile"] = "也许"
    r = check(tmp_path, config, rows)
    assert [(i.code, i.row, i.column, i.value) for i in r.issues] == [("NOT_ALLOWED", 2, "易返贫标记", "也许")]
    assert "是、否" in r.issues[0].hint


def test_new_alias_reads_an_older_header(tmp_path):
    import openpyxl

    config = load_config(schemas_dir=schemas_copy(tmp_path))
    path = write(tmp_path / "v.xlsx", config, new_rows())
    wb = openpyxl.load_workbook(path)
    ws = wb["户信息"]
    cell = next(c for c in ws[1] if c.value == "线索来源")
    cell.value = "信息来源"
    wb.save(path)
    r = check_file(path, config, as_of=AS_OF)
    assert r.issues == []
    assert r.households[0].get("lead_source") == NEW_SOURCE


def test_new_required_column_is_missing_from_an_old_workbook(tmp_path):
    old = write(tmp_path / "old.xlsx", load_config(), base_rows())
    config = load_config(schemas_dir=schemas_copy(tmp_path, grid_required=True))
    r = check_file(old, config, as_of=AS_OF)
    assert [(i.code, i.severity, i.sheet, i.row, i.column) for i in r.issues] == \
        [("COLUMN_MISSING", "error", "户信息", 1, "网格员")]


def test_bundled_schemas_unchanged_by_the_copies(tmp_path):
    schemas_copy(tmp_path)
    bundled = load_schemas(bundled_dir("schemas"))
    assert NEW_SOURCE not in bundled.allowed(bundled.household.column("lead_source"))
    assert "grid_worker" not in {c.key for c in bundled.household.columns}
