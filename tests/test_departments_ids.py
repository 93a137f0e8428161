"""The ID column of a department list: the vectorised check gives exactly idcard.id_problem's verdict for every
cell, 15-digit first-generation IDs are converted, and a number cell is reported, never matched by guess."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from excel_bridge.departments.ids import IdProblemAt, normalize_ids
from excel_bridge.idcard import id_problem, make_id, normalize_any_id

HEAD = "440205197003050115"
X_END = "44020519900404009X"
WOMAN = "440205195001200440"


def test_clean_ids_pass_and_every_kind_of_problem_is_named():
    cells = [HEAD, X_END, "44020519900404009x", " ４４０２０５１９７００３０５０１１５ ", "440205500120044",
             None, "", "   ", 440205197003050115.0, 4402051970030501, "4.40205E+17", '="440205197003050115"',
             "'440205195001200440", "440205197003050114", "440205197002300115", "44020519700305011", "身份证号",
             dt.date(2021, 1, 1), "440205701305111"]
    col = normalize_ids(cells)
    assert col.ids == [HEAD, X_END, X_END, HEAD, WOMAN, None, None, None, None, None, None, HEAD, WOMAN, None, None,
                       None, None, None, None]
    assert col.blank == [False] * 5 + [True] * 3 + [False] * 11
    assert col.problems == {
        8: IdProblemAt("DEPT_ID_AS_NUMBER", "440205197003050000"),  # Excel keeps 15 significant digits
        9: IdProblemAt("DEPT_ID_AS_NUMBER", "4402051970030500"),  # shown as Excel shows it, too
        10: IdProblemAt("DEPT_ID_AS_NUMBER", "4.40205E+17"),
        13: IdProblemAt("DEPT_ID_CHECKSUM", "440205197003050114", "5"),
        14: IdProblemAt("DEPT_ID_BIRTH", "440205197002300115"),
        15: IdProblemAt("DEPT_ID_FORMAT", "44020519700305011"),
        16: IdProblemAt("DEPT_ID_FORMAT", "身份证号"),
        17: IdProblemAt("DEPT_ID_FORMAT", "2021-01-01"),
        18: IdProblemAt("DEPT_ID_BIRTH", "440205701305111"),  # a 15-digit ID with month 13
    }


_CHARS = st.sampled_from(list("0123456789Xx ") + ["４", "Ｘ", "\u3000"])


@st.composite
def id_like(draw):
    """Mostly real IDs, some with one character changed, some random strings of ID characters."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return make_id(draw(st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)),
                       draw(st.dates(dt.date(1880, 1, 1), dt.date(2030, 12, 31))), draw(st.integers(0, 999)))
    if kind == 1:
        pid = make_id("440205", draw(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31))), draw(st.integers(0, 999)))
        pos = draw(st.integers(0, 17))
        return pid[:pos] + draw(_CHARS) + pid[pos + 1:]
    if kind == 2:
        return "".join(draw(st.lists(_CHARS, min_size=14, max_size=20)))
    return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=18, max_size=18)))


@settings(max_examples=300)
@given(st.lists(id_like(), min_size=1, max_size=40))
def test_the_vectorised_check_agrees_with_id_problem_on_every_cell(cells):
    col = normalize_ids(cells)
    for i, cell in enumerate(cells):
        expected = normalize_any_id(cell)
        if not expected:
            assert col.blank[i] and col.ids[i] is None
        elif id_problem(expected) is None:
            assert col.ids[i] == expected, cell
        else:
            assert col.ids[i] is None and col.problems[i].code == "DEPT_" + id_problem(expected).code, cell
