"""The master's big sheets, streamed as row XML (fastsheet.RowSpool): each kind of value as its cell XML, text
escaped only where it must be; and WrappedHeights (their row heights, each text's lines counted once) gives
exactly what wrapped_height gives, row by row, whether a text is met for the first time or again, and once it
remembers no more texts."""

from __future__ import annotations

import datetime as dt

from excel_bridge.writers.common import WrappedHeights, wrapped_height
from excel_bridge.writers.fastsheet import RowSpool

WIDTHS = {1: 10, 3: 5, 4: 30}
ROWS = [
    ["陈伟", "文盲或半文盲", None, "长期慢性病、残疾", "普通劳动力"],
    ["陈伟", "文盲或半文盲", None, "健康", None],
    ["x", "", "", "多重、智力、肢体、精神", "第一行\n第二行\n第三行"],
    ["x", 12345678901234, 1, dt.date(2021, 1, 1), 3.5],
    ["x", "短"],  # shorter than the widest wrapped column
    [],
    ["x", "之儿媳", 0, "健康", "弱劳动力或半劳动力" * 4],
]


def test_the_same_heights_as_wrapped_height_first_time_and_again():
    heights = WrappedHeights(WIDTHS)
    expected = [wrapped_height(row, WIDTHS) for row in ROWS]
    assert [heights(row) for row in ROWS] == expected
    assert [heights(row) for row in ROWS] == expected  # remembered
    assert expected[0] == 14 * 5 + 3 and expected[1] == 14 * 2 + 3 and expected[5] is None


def test_it_stops_remembering_at_its_limit_and_still_counts_right():
    heights = WrappedHeights(WIDTHS, remember=2)
    rows = [["", f"文本{i}" * (i % 5 + 1)] for i in range(50)]
    assert [heights(row) for row in rows] == [wrapped_height(row, WIDTHS) for row in rows]
    assert len(heights.lines) == 2


def test_each_kind_of_value_as_its_cell_xml(tmp_path):
    spool = RowSpool([0, 7, 7, 3, 3, 0, 0, 5], wraps={1: 4}, directory=tmp_path)
    spool.add_rows([["a&b<c>d", "x\x01y\x0bz", True, 3, 2.5, None, "", dt.date(2021, 1, 1)], ["陈伟", "\t\n"]])
    spool.close()
    assert spool.count == 2 and spool.next_row == 4
    assert spool.path.read_text(encoding="utf-8") == (
        '<row r="2" ht="31" customHeight="1">'  # 'xyz' is two lines in a column 4 wide
        '<c r="A2" t="inlineStr"><is><t>a&amp;b&lt;c&gt;d</t></is></c>'
        '<c r="B2" s="7" t="inlineStr"><is><t>xyz</t></is></c>'
        '<c r="C2" s="7" t="inlineStr"><is><t>是</t></is></c>'
        '<c r="D2" s="3"><v>3</v></c>'
        '<c r="E2" s="3"><v>2.5</v></c>'
        '<c r="H2" s="5" t="inlineStr"><is><t>2021-01-01</t></is></c>'
        '</row>'
        '<row r="3" ht="31" customHeight="1">'  # and so is a tab, a line break
        '<c r="A3" t="inlineStr"><is><t>陈伟</t></is></c>'
        '<c r="B3" s="7" t="inlineStr"><is><t>\t\n</t></is></c>'
        '</row>')
    spool.discard()
