"""The OOXML cell helpers (excel_bridge/ooxml/cells.py) give what openpyxl gives for every column and for the days
around both epochs and the 1900 system's leap-day gap, so patching a workbook no longer needs openpyxl loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, to_excel

from excel_bridge.ooxml import cells


def test_every_column_letter_and_index_is_openpyxls():
    for index in range(1, cells.MAX_COLUMN + 1):
        letters = cells.column_letter(index)
        assert letters == get_column_letter(index)
        assert cells.column_index(letters) == column_index_from_string(letters) == index
        assert cells.column_index(letters.lower()) == index
    assert (cells.column_letter(1), cells.column_letter(16384), cells.column_index("XFD")) == ("A", "XFD", 16384)


@pytest.mark.parametrize("bad", [0, -1, cells.MAX_COLUMN + 1])
def test_a_column_index_out_of_range_is_refused(bad):
    with pytest.raises(ValueError):
        cells.column_letter(bad)


@pytest.mark.parametrize("bad", ["", "AAAA", "A1", "Ａ", "é"])
def test_a_column_name_that_is_none_is_refused(bad):
    with pytest.raises(ValueError):
        cells.column_index(bad)


def test_date_serials_are_openpyxls_on_both_epochs():
    assert (cells.WINDOWS_EPOCH, cells.MAC_EPOCH) == (WINDOWS_EPOCH, MAC_EPOCH)
    days = [dt.date(1899, 12, 31) + dt.timedelta(days=n) for n in range(0, 120)]  # 1900-03-01 and the gap
    days += [dt.date(1904, 1, 1) + dt.timedelta(days=n) for n in range(0, 40)]
    days += [dt.date(1960, 5, 3), dt.date(2021, 12, 20), dt.date(2026, 12, 5), dt.date(9999, 12, 31)]
    for day in days:
        for epoch in (WINDOWS_EPOCH, MAC_EPOCH):
            assert cells.date_serial(day, epoch) == to_excel(day, epoch), (day, epoch)
    assert cells.date_serial(dt.date(2021, 12, 20)) == 44550
    assert cells.date_serial(dt.date(1900, 3, 1)) == 61 and cells.date_serial(dt.date(1900, 2, 28)) == 59
