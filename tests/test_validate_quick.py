"""validate's quick paths (a column type's common case without _convert's call chain) give exactly what _convert
gives, and leave to it every value it would report."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from excel_bridge import validate as v
from excel_bridge.idcard import make_id
from excel_bridge.model import Record

VALID_ID = make_id("440205", dt.date(1980, 5, 17), 123)
VALUES = {
    "money": [0.0, -0.0, 1200.5, 0.1 + 0.2, 1e20, -1.0, math.nan, math.inf, -math.inf, 3, True, "1200", " 5 ", ""],
    "date": [dt.date(1980, 5, 17), dt.datetime(1980, 5, 17, 13, 5), dt.date(1899, 12, 31),
             dt.datetime(2201, 1, 1), "1980-05-17", 29000.0, "", None],
    "text": ["张三", "张 三", " 张三", "张三\t", "\u3000", "张三\u3000", "", "a\nb", 12.0, "ＡＢＣ"],
    "phone": ["13800138000", "138 0013 8000", "0751-6669428", "1380013800", "", 13800138000.0],
    "id": [VALID_ID, VALID_ID.lower(), VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), " " + VALID_ID,
           "440205198005171", float(VALID_ID[:15]), "44020519800231123X", ""],
}


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_a_quick_answer_is_convert_s_answer_and_never_for_a_reported_value(config, kind):
    # an optional column where there is one (a required one differs only for blanks, which _convert reports)
    col = min((c for s in config.schemas.sheets.values() for c in s.columns if c.type == kind),
              key=lambda c: c.required)
    conv = v._converters(next(s for s in config.schemas.sheets.values() if col in s.columns), config.schemas,
                         config)[col.key]
    quick = v._QUICK[kind]
    answered = 0
    for raw in VALUES[kind]:
        sink = v._Sink([])
        expected = v._convert(col, conv, v._NOTHING, raw, Record(kind="", sheet="", row=1, values={}), sink)
        got = quick(raw)
        if got is v._SLOW:
            continue
        answered += 1
        assert sink.issues == [] and expected is not v._INVALID, (kind, raw, sink.issues)
        assert got == expected and type(got) is type(expected), (kind, raw, got, expected)
        if isinstance(got, float):
            assert math.copysign(1, got) == math.copysign(1, expected)
    assert answered >= 1  # the common case is answered quickly
