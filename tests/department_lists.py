"""Department lists for tests, written the way departments' systems write them: XlsxWriter workbooks and
delimited text in the encodings Chinese offices produce."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import xlsxwriter


def write_xlsx(path, rows, *, sheet="Sheet1", numbers_as_numbers=True):
    """Rows as given: str → text cell, float/int → number cell, None → nothing, date → a date cell."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheets = rows if isinstance(rows, dict) else {sheet: rows}
    for name, content in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(content):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value is not None:
                    ws.write_string(r, c, value)
    wb.close()
    return path


def write_csv(path, rows, *, encoding="utf-8", bom=False, delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


# --- the department channel on a workspace (apply, the town's 部门预警, the master) -------------------------

MEDICAL_HEADER = ["序号", "姓名", "参保人身份证号", "统计年度", "合规自付医疗费用"]


def medical_list(path, people, *, year=2021, title="曲江区医疗保障局 合规自付医疗费用推送名单"):
    """A 医保 list as its system exports it: a title row, its own headers, one row per (name, ID cell, amount);
    an ID cell may be a str (written as text) or a float (an ID Excel stored as a number)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [[title], MEDICAL_HEADER]
    rows += [[n, name, pid, year, amount] for n, (name, pid, amount) in enumerate(people, start=1)]
    return write_xlsx(path, rows, sheet="推送名单")


DEPT_SHEET = "部门预警"


def warning_table(path):
    """The 部门预警 rows of a town workbook as header → value (the header row is the one with 行令牌)."""
    from factory import table_of

    return table_of(path, DEPT_SHEET, "行令牌")


def decide_warning(path, name, decision, comment=None, person=None, date=None, *, save_to=None, token=None):
    """Choose a 核实结论 on the 部门预警 row of person `name`, as town staff would in Excel (openpyxl), and save
    (in place or to `save_to`); `token` replaces the row's hidden token (a row copied or typed by hand)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[DEPT_SHEET]
    header = next(r for r in range(1, 11) if "行令牌" in [c.value for c in ws[r]])
    cols = {c.value: c.column for c in ws[header] if c.value}
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, cols["姓名"]).value == name:
            for h, v in zip(("核实结论", "核实意见", "核实人", "核实日期"), (decision, comment, person, date), strict=True):
                cell = ws.cell(r, cols[h])
                cell.value = v
                if isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
            if token is not None:
                ws.cell(r, cols["行令牌"]).value = token
            break
    else:
        raise AssertionError(f"{path.name}/{DEPT_SHEET}: no row for {name}")
    out = save_to or path
    wb.save(out)
    return out


def town_book(ws, town="马坝镇"):
    return ws.town_review_path(town)


def apply_list(ws, cfg, path, *, at, as_of):
    """A list taken the way a pass takes it (departments.apply.apply_department_file)."""
    from excel_bridge.departments.apply import apply_department_file

    with ws.open_store() as store:
        return apply_department_file(store, ws, cfg, path, received=at, as_of=as_of)


def verify_book(ws, cfg, path, *, town="马坝镇", today):
    """What a pass does with a saved town workbook's 部门预警, beside its household decisions."""
    import datetime as dt
    import hashlib

    from excel_bridge.departments.verdicts import apply_department_decisions, read_department_decisions

    rows = read_department_decisions(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with ws.open_store() as store, store.atomic():
        result = apply_department_decisions(store, rows, town=town, sha256=sha, file_name=path.name, config=cfg,
                                            today=today)
        store.outputs.remember(ws.key(path), sha, "read", at=dt.datetime.now().replace(microsecond=0))  # as a pass
    return result
