"""What clerks type → clean values: dates, numbers, years, headers, text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import to_excel

from excel_bridge.normalize import clean_text, halfwidth, is_blank, norm_header, parse_date, parse_number, parse_year

AUG11 = dt.date(2021, 8, 11)


# --- dates --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    dt.date(2021, 8, 11),
    dt.datetime(2021, 8, 11),
    dt.datetime(2021, 8, 11, 15, 30),
    44419,                       # the Excel serial of 2021-08-11 in a cell not formatted as a date
    44419.0,
    44419.75,                    # a serial with a time of day
    20210811,                    # 20210811 typed as a number
    20210811.0,
    "2021-08-11",
    "2021-8-11",
    "2021/8/11",
    "2021/08/11",
    "2021.8.11",
    "20210811",
    "2021年8月11日",
    "2021年08月11日",
    "2021年8月11",
    "２０２１－０８－１１",        # full-width digits and dash
    "２０２１年８月１１日",
    "2021／8／11",
    " 2021-08-11 ",
    "2021-08-11 00:00:00",
    "2021-08-11 09:30",
    "2021-08-11T09:30:00",
])
def test_parse_date_accepts(value):
    assert parse_date(value) == AUG11


@pytest.mark.parametrize("value", [
    None, "", "   ", "无", "2021-02-30", "2021-13-01", "2021-00-10", "2021/8/32", "20211301", "2021年8月",
    "2021-08", "21-08-11", "11/08/2021", "2021--08-11", "2021-08-11x", "44419", True, False,
    0, -5, float("nan"), float("inf"), 200000, 20211301, 20210230, "二〇二一年八月十一日",
])
def test_parse_date_rejects(value):
    assert parse_date(value) is None


def test_parse_date_serial_edges():
    assert parse_date(1) == dt.date(1900, 1, 1)     # Excel's serial 1
    assert parse_date(59) == dt.date(1900, 2, 28)
    assert parse_date(61) == dt.date(1900, 3, 1)    # after the phantom 1900-02-29 (serial 60) Excel counts on
    assert parse_date(199999) == dt.date(2447, 7, 29)
    assert parse_date(2958465) is None              # not a serial (< 200000) and not a YYYYMMDD number


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 12, 31)))
def test_parse_date_round_trips_every_written_form(day):
    serial = int(to_excel(day))
    assert parse_date(serial) == day
    assert parse_date(float(serial)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}/{day.month}/{day.day}") == day
    assert parse_date(f"{day.year}.{day.month}.{day.day}") == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(day.strftime("%Y%m%d")) == day
    assert parse_date(int(day.strftime("%Y%m%d"))) == day
    assert parse_date(dt.datetime(day.year, day.month, day.day, 8)) == day
    assert parse_date(halfwidth(day.isoformat()).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-"})) == day


# --- numbers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (12000, 12000.0),
    (12000.5, 12000.5),
    (0, 0.0),
    (-3, -3.0),
    ("12,000.5", 12000.5),
    ("12000", 12000.0),
    ("３０００", 3000.0),
    ("１２，０００．５", 12000.5),
    ("100元", 100.0),
    ("100 元", 100.0),
    ("100.00元", 100.0),
    (" 3 000 ", 3000.0),
    ("-3", -3.0),
    ("+3", 3.0),
    (".5", 0.5),
    ("1.", 1.0),
    ("0", 0.0),
])
def test_parse_number(value, expected):
    result = parse_number(value)
    assert result == expected
    assert isinstance(result, float)


@pytest.mark.parametrize("value", [
    None, "", " ", "无", "一万", "1万", "¥100", "100元元", "1e5", "1.2.3", "12-000", "--3", True, False,
    float("nan"), float("inf"), float("-inf"), "nan", "inf",
])
def test_parse_number_rejects(value):
    assert parse_number(value) is None


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_number_thousands_separators(n):
    assert parse_number(f"{n:,}") == float(n)
    assert parse_number(f"{n:,}元") == float(n)
    assert parse_number(halfwidth(str(n)).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})) == float(n)


@pytest.mark.parametrize("value, expected", [
    (2021, 2021), (2021.0, 2021), ("2021", 2021), ("2021年", 2021), ("２０２１", 2021), (dt.date(2021, 5, 1), 2021),
    ("21", None), ("2021.5", None), ("1899", None), ("2201", None), ("", None), ("二〇二一", None), (True, None),
])
def test_parse_year(value, expected):
    assert parse_year(value) == expected


# --- headers and text ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written, canonical", [
    ("务工时间(月)", "务工时间（月）"),
    ("务工时间 ( 月 )", "务工时间（月）"),
    ("务工时间（月）", "务工时间(月)"),
    (" 户主姓名 ", "户主姓名"),
    ("户主 姓名", "户主姓名"),
    ("户主\n姓名", "户主姓名"),
    ("户主\u3000姓名", "户主姓名"),
    ("*户主姓名", "户主姓名"),
    ("＊户主姓名", "户主姓名"),
    ("户主姓名*", "户主姓名"),
    ("户主姓名：", "户主姓名"),
    ("其他风险１", "其他风险1"),
])
def test_norm_header_matches_variants(written, canonical):
    assert norm_header(written) == norm_header(canonical)


def test_norm_header_values():
    assert norm_header("务工时间（月）") == "务工时间(月)"
    assert norm_header(" *户主 姓名：") == "户主姓名"
    assert norm_header(None) == ""
    assert norm_header(2021) == "2021"
    assert norm_header("户主姓名") != norm_header("户主身份证号")


@pytest.mark.parametrize("value, expected", [
    (None, ""), ("", ""), ("  陈伟  ", "陈伟"), ("陈\u3000伟", "陈 伟"), ("a  \n b", "a b"), ("ＡＢＣ１２３", "ABC123"),
    (3.0, "3"), (3.5, "3.5"), (13800138000.0, "13800138000"), (7, "7"), (True, "是"), (False, "否"),
    (dt.date(2021, 8, 11), "2021-08-11"), (dt.datetime(2021, 8, 11), "2021-08-11"),
    (dt.datetime(2021, 8, 11, 9, 30), "2021-08-11 09:30:00"),
])
def test_clean_text(value, expected):
    assert clean_text(value) == expected


def test_is_blank():
    assert is_blank(None) and is_blank("") and is_blank("  ") and is_blank("\u3000") and is_blank("\n")
    assert not is_blank(0) and not is_blank(0.0) and not is_blank(False) and not is_blank("0")


def test_only_ascii_digits_make_a_number_or_a_date():
    """Issue 18.2: other scripts' digits (Arabic-Indic, superscript) are no number or date in a workbook; full-width
    digits, typed with a Chinese input method, are made half-width first."""
    assert parse_number("١٢٣") is None and parse_number("²") is None and parse_number("12³") is None
    assert parse_number("１２,０００") == 12000.0
    assert parse_date("٢٠٢١-١٢-٢٠") is None and parse_date("２０２１-１２-２０") == dt.date(2021, 12, 20)
    assert parse_date("٢٠٢١年١٢月٢٠日") is None
