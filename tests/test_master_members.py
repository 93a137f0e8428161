"""The master's 家庭成员 row by row, every column: each value as the ledger holds it, a multiple choice (健康状况,
残疾类别) joined by its separator, 在册 last (the row is made by one converter per column, decided once). Real
pass, the real master read back. Both backends."""

from __future__ import annotations

import pytest
from factory import AS_OF, HEAD_A, HEAD_B, SON_A, base_rows, calamine_records, drop

from excel_bridge.writers.master import member_columns

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


def test_every_member_cell_of_the_master(ws, runner):
    from excel_bridge.pipeline import Processor

    cfg = ws.config()
    rows = base_rows()
    rows["member"][2].update(health="长期慢性病、残疾", disability_type="多重、智力、肢体", disability_grade="二级")
    drop(ws, cfg, rows)
    with Processor(ws, as_of=AS_OF, runner=runner) as proc:
        report = proc.run_pass(wait=0.05)
    assert [o.status for o in report.files] == ["applied"]

    sheet = calamine_records(ws.master_path, "家庭成员")
    assert list(sheet[0]) == [c.header for c in member_columns(cfg)]
    son = next(m for m in sheet if m["身份证号"] == SON_A)
    assert (son["健康状况"], son["残疾类别"], son["残疾等级"]) == ("长期慢性病、残疾", "多重、智力、肢体", "二级")
    assert (son["镇"], son["村"], son["户主身份证号"], son["姓名"], son["与户主关系"], son["在校生状况"], son["文化程度"],
            son["劳动技能"], son["务工时间（月）"], son["在册"]) == (
        "马坝镇", "石塘村", HEAD_A, "陈强", "之子", "初中", "", "无劳动力", 0, "在册")
    assert [(m["身份证号"], m["健康状况"], m["残疾类别"]) for m in sheet] == [
        (m["person_id"], m["health"], m["disability_type"] or "") for m in rows["member"]]
    assert {m["户主身份证号"] for m in sheet} == {HEAD_A, HEAD_B}
