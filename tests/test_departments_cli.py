"""The department channel through the real CLI on the demo (issue 13, “Done when”): a department's list in the demo,
a town verifies a warning in its workbook, the household becomes a lead with the right channel, and the master's
部门比对 counts it — `excel-bridge demo` and `excel-bridge process` as subprocesses."""

from __future__ import annotations

import openpyxl
from cli_helpers import run_cli
from department_lists import warning_table
from factory import table_of


def test_the_department_channel_through_the_real_cli_on_the_demo(tmp_path):
    root = tmp_path / "demo"
    proc = run_cli("demo", root, "--villages", "1", "--households", "30", "--workers", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr
    for department in ("医保", "民政", "残联", "住建", "人社"):
        assert f"部门数据/{department}/" in proc.stdout and "：已比对。" in proc.stdout
    assert f"各村反馈文件和镇级核查表：{(root / '反馈').resolve()}（9 个镇）" in proc.stdout.splitlines()
    town, book = next((t, p) for t in ("马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇")
                      for p in [root / "反馈" / t / "镇级" / f"{t}_镇级核查表.xlsx"]
                      if any(r["户状态"] == "未纳入" for r in warning_table(p)))
    [row] = [r for r in warning_table(book) if r["户状态"] == "未纳入"][:1]
    wb = openpyxl.load_workbook(book)
    sheet = wb["部门预警"]
    cols = {c.value: c.column for c in sheet[2] if c.value}
    r = next(i for i in range(3, sheet.max_row + 1) if sheet.cell(i, cols["行令牌"]).value == row["行令牌"])
    for header, value in (("核实结论", "属实-建议纳入"), ("核实意见", "入户核实属实"), ("核实人", "王核查")):
        sheet.cell(r, cols[header]).value = value
    wb.save(book)
    proc = run_cli("process", root, "--workers", "1", "--wait", "0.05", timeout=600)
    assert proc.returncode == 0, proc.stderr
    same = [h for h in table_of(root / "区级" / "区级总台账.xlsx", "监测户台账", "流程状态")
            if (h["户主姓名"], h["村"]) == (row["户主姓名"], row["村"])]  # (a 未纳入 household has no 户编号 yet)
    assert [h["流程状态"] for h in same if "线索来源：部门筛查预警" in h["审核意见"]] == ["线索"]
    counts = [r for r in table_of(root / "区级" / "区级总台账.xlsx", "部门比对", "新增线索")
              if r["部门"] == row["部门"] and r["镇"] == town]
    assert counts[0]["新增线索"] == 1
