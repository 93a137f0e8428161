"""Reading department lists in the shapes departments export: title rows, their own headers, footers, GBK and
UTF-8 text, an .xls made by LibreOffice, an HTML table saved as .xls — and the notes for lists that cannot be
used (no ID column, a required column missing, a wrong folder, an unreadable file)."""

from __future__ import annotations

import codecs
import datetime as dt
import shutil

import numpy as np
import pytest
from conftest import needs_soffice
from department_lists import write_csv, write_xlsx
from xlsx_helpers import soffice_convert

from excel_bridge.departments import explain, load_departments, read_list
from excel_bridge.idcard import make_id

A = make_id("440205", dt.date(1970, 3, 5), 11)
B = make_id("440205", dt.date(1950, 1, 20), 44)
C = make_id("440205", dt.date(1985, 7, 1), 101)
D = make_id("440205", dt.date(1962, 11, 30), 202)


@pytest.fixture(scope="module")
def depts():
    return load_departments()


MEDICAL = [
    ["韶关市曲江区医疗保障局"],
    ["2021年1-11月参保人员合规自付医疗费用统计表"],
    ["统计截止日期：2021年11月30日", None, None, None, "单位：元"],
    ["序号", "所属镇街", "姓名", "公民身份号码", "统计年度", "政策范围内个人自付(元)"],
    [1, "马坝镇", "陈伟", A, 2021, 23400],
    [2, "大塘镇", "李秀英", B, 2021, 6000.5],
    [3, "马坝镇", "黄丽", 440205197206010222.0, 2021, 30000],
    [4, None, "张强", None, 2021, 25000],
    [None, None, None, None, None, None],
    [5, "枫湾镇", "王芳", C, "2021年", "18,000.00"],
    [6, "枫湾镇", "刘敏", D, 2021, "不详"],
    ["序号", "所属镇街", "姓名", "公民身份号码", "统计年度", "政策范围内个人自付(元)"],  # the header repeated on page 2
    [7, "马坝镇", "赵军", "440205700305111", 2021, 21000],
    ["合计", None, None, None, None, 123400.5],
    ["制表人：李敏　　审核人：张强"],
]


def test_an_xlsx_with_title_rows_aliases_a_repeated_header_and_footers(tmp_path, depts):
    path = write_xlsx(tmp_path / "医保推送名单.xlsx", MEDICAL)
    dlist = read_list(path, depts.department("医保"))
    assert dlist.usable and dlist.format == "xlsx"
    assert dlist.header_rows == {"Sheet1": 4}
    assert dlist.columns == {"person_id": "公民身份号码", "name": "姓名", "town": "所属镇街", "年度": "统计年度",
                             "金额": "政策范围内个人自付(元)"}
    rows = dlist.rows
    assert rows["row"].tolist() == [5, 6, 7, 8, 10, 11, 13]
    assert rows["person_id"].tolist() == [A, B, None, None, C, D, "440205197003051118"]
    assert rows["name"].tolist() == ["陈伟", "李秀英", "黄丽", "张强", "王芳", "刘敏", "赵军"]
    assert rows["town"].tolist() == ["马坝镇", "大塘镇", "马坝镇", None, "枫湾镇", "枫湾镇", "马坝镇"]
    assert rows["金额"].tolist()[:5] == [23400.0, 6000.5, 30000.0, 25000.0, 18000.0]
    assert np.isnan(rows["金额"].tolist()[5]) and rows["金额"].tolist()[6] == 21000.0
    assert rows["年度"].tolist() == [2021.0] * 7
    assert [(i.code, i.sheet, i.row, i.column, i.value) for i in dlist.issues] == [
        ("DEPT_ID_AS_NUMBER", "Sheet1", 7, "公民身份号码", "440205197206010000"),
        ("DEPT_ID_BLANK", "Sheet1", 8, "公民身份号码", None),
        ("DEPT_FACT_INVALID", "Sheet1", 11, "政策范围内个人自付(元)", "不详"),
    ]
    assert [i.severity for i in dlist.issues] == ["error", "error", "warning"]
    assert dlist.issues[1].message == "这一行没有身份证号（姓名“张强”），无法比对。"
    assert dlist.issues[2].message == "“政策范围内个人自付(元)”填的是“不详”，不是有效的金额，这一项没有用于预警判断。"
    assert dlist.listed == {A, B, C, D, "440205197003051118"}


@pytest.mark.parametrize("encoding,bom,name", [("gbk", False, "GB18030"), ("utf-8", True, "UTF-8-BOM"),
                                               ("utf-8", False, "UTF-8"), ("gb18030", False, "GB18030")])
def test_a_csv_in_any_encoding_chinese_offices_produce(tmp_path, depts, encoding, bom, name):
    rows = [["曲江区城乡低保、特困供养人员花名册（2021年11月）"],
            ["序号", "乡镇(街道)", "成员姓名", "身份证号码", "保障类别", "保障状态", "审批日期", "停保日期", "月保障金"],
            ["1", "马坝镇", "陈伟", A, "农村低保", "正常", "2021-10-01", "", "450"],
            ["2", "大塘镇", "李秀英", B.lower(), "特困人员", "停发", "2019/5/1", "2021年11月3日", "1,100"],
            ["3", "", "黄丽", "4.40205E+17", "低保", "正常", "20211101", "", "450"],
            ["4", "枫湾镇", "王芳", C, "低保边缘", "正常", "", "", ""],
            ["共计 4 人"]]
    path = write_csv(tmp_path / "低保花名册.csv", rows, encoding=encoding, bom=bom)
    dlist = read_list(path, depts.department("民政"))
    assert dlist.usable and dlist.format == "csv" and dlist.encoding == name
    r = dlist.rows
    assert r["row"].tolist() == [3, 4, 5, 6]
    assert r["person_id"].tolist() == [A, B, None, C]
    assert r["类别"].tolist() == ["低保", "特困供养", "低保", None]
    assert r["状态"].tolist() == ["在保", "停保", "在保", "在保"]
    assert [None if d is None else str(d)[:10] for d in r["开始日期"].astype(object).where(r["开始日期"].notna(), None)] \
        == ["2021-10-01", "2019-05-01", "2021-11-01", None]
    assert str(r["结束日期"].iloc[1])[:10] == "2021-11-03"
    assert r["金额"].tolist()[:3] == [450.0, 1100.0, 450.0]
    assert [(i.code, i.sheet, i.row, i.value) for i in dlist.issues] == [
        ("DEPT_ID_AS_NUMBER", None, 5, "4.40205E+17"),
        ("DEPT_VALUE_UNKNOWN", None, 6, "低保边缘"),
    ]
    assert dlist.issues[1].message == "“保障类别”中的“低保边缘”不是可识别的值，这一项没有用于预警判断。"
    assert dlist.issues[1].hint.startswith("可识别的值：低保、特困供养、临时救助。")


def test_utf16_tab_separated_text_and_unknown_values_counted_once(tmp_path, depts):
    header = ["姓名", "身份证号", "人员状态", "变动日期"]
    rows = [header] + [["陈伟", A, "待审核", "2021-11-01"], ["李秀英", B, "待审核", "2021-11-02"],
                       ["黄丽", C, "登记失业", "2021-11-03"], ["王芳", D, "待审核", "2021-11-04"]]
    text = "\r\n".join("\t".join(r) for r in rows)
    path = tmp_path / "人社.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    dlist = read_list(path, depts.department("人社"))
    assert dlist.encoding == "UTF-16" and dlist.rows["状态"].tolist() == [None, None, "失业登记", None]
    (issue,) = dlist.issues
    assert (issue.code, issue.row, issue.value) == ("DEPT_VALUE_UNKNOWN", 2, "待审核")
    assert issue.message == "“人员状态”中的“待审核”不是可识别的值（共 3 行：第 2、3、5 行），这一项没有用于预警判断。"


def test_sheets_split_by_category_and_a_two_level_header(tmp_path, depts):
    header_top = ["序号", "姓名", "身份证号", "保障情况", None]
    header_low = [None, None, None, "审批日期", "月保障金"]
    path = write_xlsx(tmp_path / "民政.xlsx", {
        "填表说明": [["本表由区民政局导出，请勿修改"]],
        "农村低保对象": [header_top, header_low, [1, "陈伟", A, dt.date(2021, 10, 1), 450]],
        "特困人员": [header_top, header_low, [1, "李秀英", B, dt.date(2021, 9, 1), 1100]],
    })
    dlist = read_list(path, depts.department("民政"))
    assert dlist.usable and dlist.sheets == ("农村低保对象", "特困人员")
    assert dlist.header_rows == {"农村低保对象": 2, "特困人员": 2}
    r = dlist.rows
    assert r[["sheet", "row", "person_id", "类别"]].values.tolist() == [
        ["农村低保对象", 3, A, "低保"], ["特困人员", 3, B, "特困供养"]]
    assert r["金额"].tolist() == [450.0, 1100.0]


@pytest.mark.parametrize("department,header,cells", [
    ("医保", ["参保人姓名", "公民身份号码", "参保地", "个人负担(元)"], ["陈伟", A, "马坝镇", 23400]),
    ("医保", ["姓名", "身份证号码", "结算年度", "政策范围内自付金额"], ["陈伟", A, 2021, 23400]),
    ("民政", ["保障对象", "身份证号码", "所属乡镇(街道)", "保障对象类别", "享受状态", "享受起始日期", "月保障金额(元)"],
     ["陈伟", A, "马坝镇", "农村低保", "正常", "2021-10-01", 450]),
    ("残联", ["持证人", "身份证号", "残疾类别名称", "残疾等级名称", "残疾人证号码", "户籍地址"],
     ["陈伟", A, "肢体残疾", "一级", "44020519700305001141", "曲江区马坝镇石塘村"]),
    ("人社", ["劳动者姓名", "公民身份号码", "就业失业状态", "登记时间"], ["陈伟", A, "登记失业", "2021-11-01"]),
    ("住建", ["户主姓名", "户主身份证号", "房屋鉴定等级", "评定时间", "家庭住址"], ["陈伟", A, "C级", "2021-11-01", "马坝镇"]),
    ("水务", ["户主", "户主身份证号码", "饮水安全问题"], ["陈伟", A, "水质不达标"]),
    ("教育", ["学生姓名", "学生身份证号", "就读学段", "失学辍学原因"], ["陈强", A, "初中", "厌学"]),
    ("应急", ["受灾户主", "受灾户主身份证号", "因灾损失", "灾害种类", "受灾时间"], ["陈伟", A, 12000, "洪涝", "2021-06-01"]),
    ("金融", ["借款人名称", "借款人证件号码", "当前逾期天数", "逾期本金"], ["陈伟", A, 120, 30000]),
    ("卫健", ["患者", "患者证件号码", "专项救治病种"], ["陈伟", A, "尿毒症"]),
])
def test_each_default_department_reads_the_words_its_exports_use(tmp_path, depts, department, header, cells):
    dlist = read_list(write_xlsx(tmp_path / "名单.xlsx", [["导出名单"], header, cells]), depts.department(department))
    assert dlist.usable and dlist.issues == ()
    assert sorted(dlist.columns.values()) == sorted(header)  # every column recognised, none left over
    assert dlist.rows["person_id"].tolist() == [A] and dlist.rows["name"].tolist() == [cells[0]]


def test_a_list_without_an_id_column_gets_a_note_and_no_rows(tmp_path, depts):
    path = write_xlsx(tmp_path / "医保.xlsx", [["姓名", "证件类型", "合规自付医疗费用"], ["陈伟", "居民身份证", 23000]])
    dlist = read_list(path, depts.department("医保"))
    assert not dlist.usable and len(dlist.rows) == 0 and dlist.fingerprint == ""
    assert dlist.note.code == "DEPT_NO_ID_COLUMN"
    assert dlist.note.message == ("医保名单中没有找到身份证号列（表头应含“参保人身份证号、参保人身份证号码、参保人员身份证号码、"
                                  "社会保障号码”等；文件中的表头是“姓名、证件类型、合规自付医疗费用”），本名单没有比对，台账没有任何改动。")
    note = explain(dlist, now=dt.datetime(2021, 12, 1, 9, 30))
    assert note == ("医保名单说明（2021-12-01 09:30）\r\n文件：医保.xlsx\r\n问题：" + dlist.note.message + "\r\n改法："
                    + dlist.note.hint + "\r\n")


def test_a_missing_fact_lists_the_headers_found_and_the_key_to_add_never_another_department(tmp_path, depts):
    path = write_xlsx(tmp_path / "残疾人.xlsx", [["序号", "姓名", "身份证号", "残疾类别", "残疾等级"],
                                                [1, "陈伟", A, "肢体", "一级"]])
    dlist = read_list(path, depts.department("医保"))
    assert dlist.note.code == "DEPT_FACT_MISSING"
    assert dlist.note.message == ("医保名单中没有找到“金额”列（表头应含“合规自付医疗费用、合规自付费用、合规自付金额、政策范围内个人自付”等；"
                                  "文件中的表头是“序号、姓名、身份证号、残疾类别、残疾等级”），"
                                  "无法判断是否需要预警，本名单没有比对，台账没有任何改动。")
    assert dlist.note.hint == ("没有认出的表头是“残疾类别、残疾等级”：如果其中一列就是“金额”，请区乡村振兴局把这一列的表头加到 "
                               "rules/departments.yaml 中“医保”下 facts → 金额 → headers 的列表里，下一轮即可识别；"
                               "如果名单里确实没有这一列，请部门导出时保留它后重新放入。")
    assert "残联" not in dlist.note.message + dlist.note.hint


@pytest.mark.parametrize("name,content,code", [
    ("空.xlsx", b"", "FILE_EMPTY"),
    ("坏.xlsx", b"PK\x03\x04 this is not a zip", "FILE_CORRUPT"),
    ("名单.pdf", b"%PDF-1.4", "DEPT_FILE_FORMAT"),
    ("乱码.csv", bytes([0x81, 0x30, 0x81]) + b"\xff\xfe\xfd" * 3, "DEPT_TEXT_ENCODING"),
])
def test_an_unreadable_file_is_a_note_not_an_exception(tmp_path, depts, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    dlist = read_list(path, depts.department("水务"))
    assert not dlist.usable and dlist.note.code == code and len(dlist.rows) == 0


def test_an_html_table_saved_as_xls(tmp_path, depts):
    html = (f"<html><head><meta charset='utf-8'></head><body><table><tr><td colspan=3>饮水不安全户名单</td></tr>"
            f"<tr><th>户主姓名</th><th>户主身份证号</th><th>存在问题</th></tr>"
            f"<tr><td>陈伟</td><td>{A}</td><td>水量不足</td></tr></table></body></html>")
    path = tmp_path / "饮水.xls"
    path.write_text(html, encoding="utf-8")
    dlist = read_list(path, depts.department("水务"))
    assert dlist.format == "html" and dlist.rows[["row", "person_id", "name", "问题"]].values.tolist() == [
        [3, A, "陈伟", "水量不足"]]


def test_a_list_with_only_its_header_is_not_used_and_says_so(tmp_path, depts):
    path = write_csv(tmp_path / "金融.csv", [["借款人姓名", "借款人身份证号", "逾期天数"]], encoding="gbk")
    dlist = read_list(path, depts.department("金融"))
    assert not dlist.usable and len(dlist.rows) == 0 and dlist.note.code == "DEPT_EMPTY" and dlist.issues == ()
    assert dlist.note.message == ("金融名单中只有表头，没有人员，这份名单没有使用：该部门此前的预警保持不变，台账没有任何改动。")


def test_a_list_whose_every_id_is_unreadable_is_not_used_and_lists_each_row(tmp_path, depts):
    path = write_xlsx(tmp_path / "金融.xlsx", [["借款人姓名", "借款人身份证号", "逾期天数"],
                                              ["陈伟", 440205197003050011.0, 120], ["李秀英", "4402051950", 95]])
    dlist = read_list(path, depts.department("金融"))
    assert not dlist.usable and dlist.note.code == "DEPT_NO_VALID_ID" and len(dlist.rows) == 0
    assert dlist.note.message == ("金融名单的 2 行都没有可以比对的身份证号，这份名单没有使用：该部门此前的预警保持不变，"
                                  "台账没有任何改动。")
    assert [(i.code, i.row) for i in dlist.issues] == [("DEPT_ID_AS_NUMBER", 2), ("DEPT_ID_FORMAT", 3)]
    note = explain(dlist, now=dt.datetime(2021, 12, 1, 9, 30)).split("\r\n")
    assert note[2] == "问题：" + dlist.note.message
    assert note[4].startswith("“Sheet1”表第 2 行：身份证号被存成了数字") and note[6].startswith(
        "“Sheet1”表第 3 行：身份证号“4402051950”格式不对")


def test_the_fingerprint_ignores_order_format_and_title_rows_but_not_content(tmp_path, depts):
    dept = depts.department("医保")
    head = ["姓名", "身份证号", "合规自付医疗费用"]
    body = [["陈伟", A, 23400.0], ["李秀英", B, 6000.5], ["黄丽", C, 100.0]]
    xlsx = read_list(write_xlsx(tmp_path / "a.xlsx", [["标题"], head, *body]), dept)
    shuffled = read_list(write_xlsx(tmp_path / "b.xlsx", [head, body[2], body[0], body[1]]), dept)
    as_csv = read_list(write_csv(tmp_path / "c.csv", [head, ["陈伟", A, "23,400.00"], ["李秀英", B, "6000.5"],
                                                       ["黄丽", C, "100"]], encoding="gbk"), dept)
    changed = read_list(write_xlsx(tmp_path / "d.xlsx", [head, body[0], body[1], ["黄丽", C, 101.0]]), dept)
    assert len(xlsx.fingerprint) == 64
    assert xlsx.fingerprint == shuffled.fingerprint == as_csv.fingerprint
    assert changed.fingerprint != xlsx.fingerprint
    assert xlsx.sha256 != shuffled.sha256
    other = read_list(tmp_path / "a.xlsx", depts.department("卫健"))  # the same file as another department's list
    assert other.fingerprint != xlsx.fingerprint


@needs_soffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_an_xls_or_ods_made_by_libreoffice_reads_like_the_xlsx(tmp_path, depts, fmt, lo_profile):
    source = write_xlsx(tmp_path / "医保推送名单.xlsx", MEDICAL)
    out = tmp_path / fmt
    xls = read_list(soffice_convert(source, fmt, out, lo_profile), depts.department("医保"))
    xlsx = read_list(source, depts.department("医保"))
    assert xls.format == fmt
    assert xls.rows["person_id"].tolist() == xlsx.rows["person_id"].tolist()
    assert [(i.code, i.row) for i in xls.issues] == [(i.code, i.row) for i in xlsx.issues]
    assert xls.fingerprint == xlsx.fingerprint


def test_a_workbook_dropped_with_a_csv_name_is_read_as_what_it_is(tmp_path, depts):
    source = write_xlsx(tmp_path / "x.xlsx", [["户主姓名", "户主身份证号"], ["陈伟", A]])
    path = tmp_path / "饮水.csv"
    shutil.copy(source, path)
    dlist = read_list(path, depts.department("水务"))
    assert dlist.format == "xlsx" and dlist.rows["person_id"].tolist() == [A]


def test_the_note_of_a_usable_list_masks_the_ids_it_quotes(tmp_path, depts):
    path = write_xlsx(tmp_path / "医保推送名单.xlsx", MEDICAL)
    text = explain(read_list(path, depts.department("医保")), now=dt.datetime(2021, 12, 1, 9, 30))
    lines = text.split("\r\n")
    assert lines[2] == "已读取 7 行，身份证号有效的 5 人；2 行无法比对。"
    assert lines[3] == "“Sheet1”表第 7 行：身份证号被存成了数字，后几位已经丢失（显示为“440205********0000”），这一行无法比对。"
    assert "440205197206010000" not in text


def test_the_department_is_the_folder_and_a_foreign_folder_gets_a_note(tmp_path, depts):
    from excel_bridge.departments import department_of

    root = tmp_path / "部门数据"
    dept, note = department_of(root / "残联" / "2021" / "名单.xlsx", root, depts)
    assert dept.name == "残联" and note is None
    dept, note = department_of(root / "财政" / "名单.xlsx", root, depts)
    assert dept is None and note.code == "DEPT_FOLDER_UNKNOWN"
    assert note.message == "“财政”不在已配置的部门文件夹中，没有处理。"
    assert note.hint.startswith("请把名单放到对应部门的文件夹中（部门数据/医保/、部门数据/民政/、部门数据/残联/、")
    dept, note = department_of(root / "名单.xlsx", root, depts)
    assert dept is None and note.message == "“名单.xlsx”不在已配置的部门文件夹中，没有处理。"


def test_binary_junk_under_a_workbook_name_and_utf16_without_a_bom(tmp_path, depts):
    junk = tmp_path / "名单.xls"
    junk.write_bytes(bytes(range(256)) * 40)
    dlist = read_list(junk, depts.department("水务"))
    assert dlist.note.code == "FILE_CORRUPT"
    text = tmp_path / "名单.txt"
    text.write_bytes("户主姓名\t户主身份证号\r\n陈伟\t".encode("utf-16-le") + A.encode("utf-16-le"))
    dlist = read_list(text, depts.department("水务"))
    assert dlist.encoding == "UTF-16" and dlist.rows["person_id"].tolist() == [A]
