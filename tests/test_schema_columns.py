"""The member columns of the district's tables come from schemas/member.yaml: a column a district adds to its
workspace copy shows in the master's 家庭成员 and, marked `shared: true`, in the workbook pushed to 民政 —
with no code changed (issue 19: one home for each fact). Real pass, real workbooks read back. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from factory import AS_OF, HEAD_B, base_rows, calamine_records, drop, table_of

from excel_bridge.config import load_config
from excel_bridge.departments.share_back import export_share
from excel_bridge.writers.master import member_columns

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

NEW_COLUMN = """  - key: bank_card
    header: 惠民惠农一卡通账号
    type: text
    required: false
    shared: true
    width: 22
"""


def test_the_bundled_member_columns_in_the_master_and_the_share(config):
    """Every column of the bundled member.yaml in the master, in its order, but those marked `master: false` (what
    a file says only about a member's change); only the shared ones pushed."""
    headers = [c.header for c in config.schemas.member.columns if c.master]
    assert [c.header for c in config.schemas.member.columns if not c.master] == ["减少原因", "增加原因", "变动日期"]
    assert [c.header for c in member_columns(config)] == ["镇", "村", "户编号", *headers, "在册"]
    assert [c.header for c in config.schemas.member.columns if c.shared] == ["姓名", "身份证号", "与户主关系",
                                                                             "享受低保", "特困供养"]
    assert load_config().schemas.member.columns == config.schemas.member.columns


def test_a_column_added_to_member_yaml_shows_in_the_master_and_the_share(ws, runner):
    from excel_bridge.pipeline import Processor

    schema = ws.root / "schemas" / "member.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + NEW_COLUMN, encoding="utf-8")
    cfg = ws.config()
    rows = base_rows()
    rows["household"][1].update(household_no="44020512345678", identified_date=dt.date(2021, 6, 1))
    rows["member"][3]["bank_card"] = "6228480000001234"
    drop(ws, cfg, rows)
    with Processor(ws, as_of=AS_OF, runner=runner) as proc:
        report = proc.run_pass(wait=0.05)
    assert [o.status for o in report.files] == ["applied"]

    members = {m["身份证号"]: m for m in calamine_records(ws.master_path, "家庭成员")}
    assert members[HEAD_B]["惠民惠农一卡通账号"] == "6228480000001234"
    assert list(members[HEAD_B])[-2:] == ["惠民惠农一卡通账号", "在册"]

    with ws.open_store() as store:
        placed, _ = export_share(store, ws, cfg, "民政", as_of=AS_OF, out=ws.root / "给民政.xlsx")
    [person] = table_of(placed.path, "家庭成员", "身份证号")
    assert (person["姓名"], person["身份证号"], person["惠民惠农一卡通账号"]) == ("李秀英", HEAD_B, "6228480000001234")
    assert "健康状况" not in person and "劳动技能" not in person  # not shared: not the department's to have
