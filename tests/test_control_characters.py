"""A control character in a cell (Excel stores a NUL as `_x0000_`) is white space to us: PostgreSQL refuses NUL
in text, and a file or a decision workbook holding one must not fail pass after pass."""

from __future__ import annotations

import pytest
from factory import HEAD_A, base_rows, drop, ledger_row

from excel_bridge.normalize import clean_text, plain_text
from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


@pytest.mark.parametrize("raw, expected", [("李\x00秀英", "李 秀英"), ("\x00\x07备注\x1b", "备注"), ("a\x7fb", "a b")])
def test_control_characters_are_white_space(raw, expected):
    assert clean_text(raw) == expected
    assert plain_text(raw) == expected


def test_a_village_file_with_a_nul_in_its_cells_is_applied(ws, config, runner):
    from factory import AS_OF

    rows = base_rows()
    rows["household"][0]["note"] = "低保\x00待审"
    rows["household"][0]["group"] = "一组\x00"
    path = drop(ws, config, rows)
    with Processor(ws, as_of=AS_OF, runner=runner) as proc:
        report = proc.run_pass(wait=0.05)
    outcome = next(f for f in report.files if f.name == path.name)
    assert outcome.status == "applied", outcome.message
    hh = ledger_row(ws, HEAD_A)
    assert "\x00" not in repr(hh.data)
    assert hh.data.get("note") == "低保 待审"
