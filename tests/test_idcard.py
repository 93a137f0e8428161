"""ID numbers (GB 11643-1999) and phone numbers: properties over generated IDs plus exact examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from excel_bridge.idcard import (
    IdProblem,
    birth_date,
    check_char,
    id_problem,
    is_valid_id,
    is_valid_phone,
    make_id,
    mask_id,
    normalize_any_id,
    normalize_id,
    normalize_phone,
    sex,
    upgrade_first_generation,
)

HEAD = "440205197003050115"    # 1970-03-05, sequence 011 (odd → 男), check character 5
WOMAN = "440205195001200440"   # 1950-01-20, sequence 044 (even → 女), check character 0
X_END = "44020519900404009X"   # 1990-04-04, sequence 009, check character X

FULLWIDTH = {ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789X"}

regions = st.from_regex(r"[0-9]{6}", fullmatch=True)
births = st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2099, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def ids(draw: st.DrawFn) -> str:
    return make_id(draw(regions), draw(births), draw(sequences))


# --- known values -------------------------------------------------------------------------------------

def test_known_ids():
    assert make_id("440205", dt.date(1970, 3, 5), 11) == HEAD
    assert make_id("440205", dt.date(1950, 1, 20), 44) == WOMAN
    assert make_id("440205", dt.date(1990, 4, 4), 9) == X_END
    assert check_char("44020519900404009") == "X"
    assert check_char("44020519700305011") == "5"
    for good in (HEAD, WOMAN, X_END):
        assert id_problem(good) is None
        assert is_valid_id(good)


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_char_is_the_weighted_sum_of_the_standard(first17):
    """check_char sums the bytes in C; the standard's formula, digit by digit, must give the same character."""
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    assert check_char(first17) == "10X98765432"[total % 11]


def test_known_problems():
    assert id_problem("440205197003050114") == IdProblem("ID_CHECKSUM", "5")
    assert id_problem("44020519900404009x") == IdProblem("ID_FORMAT")   # lower x is only accepted after normalize_id
    assert id_problem("44020519700305011").code == "ID_FORMAT"          # 17 characters
    assert id_problem("4402051970030501155").code == "ID_FORMAT"        # 19 characters
    assert id_problem("4402051970030501X5").code == "ID_FORMAT"         # X not last
    assert id_problem("440205197002300115").code == "ID_BIRTH"          # 30 February
    assert id_problem("440205187003050115").code == "ID_BIRTH"          # 1870: before 1880
    assert id_problem("440205197013050115").code == "ID_BIRTH"          # month 13
    assert id_problem(HEAD, today=dt.date(1970, 3, 4)).code == "ID_BIRTH"  # born after "today"
    assert id_problem(HEAD, today=dt.date(1970, 3, 5)) is None
    assert not is_valid_id("")
    assert not is_valid_id("身份证号")


# --- properties ---------------------------------------------------------------------------------------

@given(regions, births, sequences)
def test_make_id_always_valid(region, birth, seq):
    pid = make_id(region, birth, seq)
    assert len(pid) == 18
    assert pid[:6] == region
    assert pid[14:17] == f"{seq:03d}"
    assert id_problem(pid) is None
    assert is_valid_id(pid)
    assert birth_date(pid) == birth
    assert sex(pid) == ("男" if seq % 2 else "女")
    assert normalize_id(pid) == pid


@given(ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_detected(pid, pos, delta):
    new_digit = str((int(pid[pos]) + delta) % 10)
    changed = pid[:pos] + new_digit + pid[pos + 1:]
    assert changed != pid
    problem = id_problem(changed)
    assert problem is not None
    birth = birth_date(changed)
    if birth is None or birth.year < 1880:
        assert problem.code == "ID_BIRTH"
    else:
        assert problem.code == "ID_CHECKSUM"
        assert problem.expected == check_char(changed[:17])
        assert problem.expected != pid[17]


@given(ids(), st.integers(min_value=0, max_value=15))
def test_adjacent_transposition_is_detected(pid, pos):
    a, b = pid[pos], pid[pos + 1]
    if a == b:
        return
    swapped = pid[:pos] + b + a + pid[pos + 2:]
    problem = id_problem(swapped)
    assert problem is not None
    assert problem.code in ("ID_CHECKSUM", "ID_BIRTH")


@given(ids(), st.data())
def test_normalize_id_undoes_what_clerks_type(pid, data):
    """Lower-case x, full-width characters and white space anywhere all normalise to the stored form."""
    out = []
    for ch in pid:
        out.append(data.draw(st.sampled_from(["", " ", "\u3000", "\t", "\u00a0"])))
        form = data.draw(st.sampled_from(["plain", "full", "lower"]))
        if form == "full":
            ch = chr(ord(ch) + 0xFEE0)
        elif form == "lower":
            ch = ch.lower()
        out.append(ch)
    out.append(data.draw(st.sampled_from(["", "  ", "\u3000"])))
    typed = "".join(out)
    assert normalize_id(typed) == pid
    assert is_valid_id(typed)


def test_normalize_id_examples():
    assert normalize_id("44020519900404009x") == X_END
    assert normalize_id(HEAD.translate(FULLWIDTH)) == HEAD
    assert normalize_id("４４０２０５１９９００４０４００９ｘ") == X_END
    assert normalize_id("  440205 19700305 0115  ") == HEAD
    assert normalize_id("\u3000440205197003050115\u3000") == HEAD
    assert is_valid_id("４４０２０５１９７００３０５０１１５")


@given(regions, births, sequences)
def test_sex_follows_the_17th_digit(region, birth, seq):
    pid = make_id(region, birth, seq)
    assert sex(pid) == ("男" if int(pid[16]) % 2 == 1 else "女")


def test_sex_and_birth_examples():
    assert sex(HEAD) == "男"
    assert sex(WOMAN) == "女"
    assert sex(X_END) == "男"
    assert birth_date(HEAD) == dt.date(1970, 3, 5)
    assert birth_date(WOMAN) == dt.date(1950, 1, 20)
    assert birth_date("440205200002290011") == dt.date(2000, 2, 29)
    assert birth_date("440205190002290011") is None  # 1900 was not a leap year
    assert birth_date("440205197002300115") is None


ARABIC_INDIC = {ord(ch): 0x0660 + int(ch) for ch in "0123456789"}  # ٠١٢٣٤٥٦٧٨٩


def test_an_accepted_id_is_always_plain_ascii():
    typed = X_END.translate(ARABIC_INDIC)  # "٤٤٠٢٠٥١٩٩٠٠٤٠٤٠٠٩X": looks like digits, is not ASCII
    assert typed != X_END
    normalized = normalize_id(typed)
    # Either normalise such digits to ASCII (then it is X_END) or reject the ID; never store it as typed.
    assert normalized == X_END or id_problem(normalized) is not None


def test_mask_id():
    assert mask_id("440205197003051234") == "440205********1234"
    assert mask_id(X_END) == "440205********009X"
    assert mask_id("123") == "***"


@given(ids())
def test_mask_id_keeps_only_region_and_last_four(pid):
    masked = mask_id(pid)
    assert len(masked) == 18
    assert masked[:6] == pid[:6]
    assert masked[6:14] == "*" * 8
    assert masked[14:] == pid[14:]


# --- phones -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phone", [
    "13800138000", "19912345678", " 138 0013 8000 ", "+86 13800138000", "１３８００１３８０００",
    "0751-6669428", "07516669428", "0751 6669428", "(0751)6669428", "（0751）6669428", "0751—6669428",
    "6669428", "020-87654321", "0751-6669428-801",
])
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", [
    "", "无", "电话", "12345", "1380013800", "138001380001", "12800138000", "0751-666942", "1669428",
    "0000000", "95588", "abc13800138000",
])
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)


def test_normalize_phone():
    assert normalize_phone("+86 138 0013 8000") == "13800138000"
    assert normalize_phone("(0751)6669428") == "07516669428"
    assert normalize_phone("0751—6669428") == "0751-6669428"
    assert normalize_phone("０７５１－６６６９４２８") == "0751-6669428"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_11_digit_mobile_is_valid(mobile):
    assert is_valid_phone(mobile)
    assert normalize_phone(mobile) == mobile
    assert not is_valid_phone(mobile + "0")
    assert not is_valid_phone(mobile[:-1])


# --- first-generation 15-digit IDs (department lists) -------------------------------------------------

def test_a_15_digit_id_gains_the_century_and_a_check_character():
    assert upgrade_first_generation("440205700305111") == "440205197003051118"
    assert id_problem("440205197003051118") is None
    assert upgrade_first_generation("440205500120044") == WOMAN  # the same woman's old and new numbers
    assert normalize_any_id(" ４４０２０５５００１２００４４ ") == WOMAN
    assert normalize_any_id("44020519900404009x") == X_END  # 18 digits: only normalised


def test_only_15_ascii_digits_are_upgraded():
    for text in ("", "44020570030511", "4402057003051111", "44020570030511X", "44020570030511x",
                 "٤٤٠٢٠٥٧٠٠٣٠٥١١١", HEAD):
        assert upgrade_first_generation(text) is None
    assert upgrade_first_generation("440205701305111") == "44020519701305111" + check_char("44020519701305111")
    assert id_problem(upgrade_first_generation("440205701305111")).code == "ID_BIRTH"  # month 13 stays invalid


@given(regions, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), sequences)
def test_upgrading_the_old_form_of_an_id_gives_the_id_back(region, birth, seq):
    pid = make_id(region, birth, seq)
    old = pid[:6] + pid[8:17]  # what the first-generation card carried: no century, no check character
    assert len(old) == 15
    assert upgrade_first_generation(old) == pid
    assert normalize_any_id(old) == pid
