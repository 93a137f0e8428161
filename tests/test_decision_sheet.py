"""The decision sheets' names, headers, choices and row tokens (excel_bridge.decision_sheet)."""

from __future__ import annotations

from excel_bridge.decision_sheet import (ANY_CHOICE, CHOICES, COLUMNS, SHEETS, TOKEN_HEADER, Token, issued_for,
                                         ledger_secret, make_token, parse_token)
from excel_bridge.store import Store
from excel_bridge.workflow import DISTRICT, TOWN

SECRET = "feedfacefeedfacefeedfacefeedface"


def test_names_headers_and_choices():
    assert SHEETS == {TOWN: "待镇审核", DISTRICT: "待区审核"}
    assert tuple(COLUMNS[TOWN]) == ("核查结论", "核查意见", "核查人", "核查日期")
    assert tuple(COLUMNS[DISTRICT]) == ("区级结论", "审核意见", "审核人", "审核日期")
    assert (COLUMNS[TOWN].decision, COLUMNS[DISTRICT].person) == ("核查结论", "审核人")
    assert TOKEN_HEADER == "行令牌"
    # taken from the state machine: what each level may do to a household waiting for it
    assert CHOICES == {TOWN: ("同意", "退回", "不予纳入"), DISTRICT: ("同意", "退回", "不予认定")}
    assert ANY_CHOICE == {"同意", "退回", "不予认定", "不予纳入"}


def test_a_token_names_household_and_version_and_is_valid_only_for_its_state():
    text = make_token(SECRET, 42, "待镇核查", 3)
    assert text.startswith("42-3-") and len(text) == len("42-3-") + 16
    token = parse_token(text)
    assert token == Token(42, 3, text.split("-")[2])
    assert issued_for(SECRET, token, "待镇核查")
    assert not issued_for(SECRET, token, "待区认定")
    assert not issued_for("another-secret", token, "待镇核查")
    assert not issued_for(SECRET, Token(42, 4, token.mac), "待镇核查")
    assert not issued_for(SECRET, Token(43, 3, token.mac), "待镇核查")
    assert not issued_for(SECRET, Token(42, 3, token.mac[:-1] + "同"), "待镇核查")  # typed over: refused, no error


def test_what_is_not_a_token():
    for text in ("", "42", "42-3", "42-3-ab-cd", "x-3-ab", "42-y-ab", "-3-ab"):
        assert parse_token(text) is None, text


def test_the_secret_is_the_ledgers_own(tmp_path):
    """Each ledger has its own secret: a token from one district's workbook is no token in another's."""
    with Store.open(tmp_path / "a.sqlite") as a, Store.open(tmp_path / "b.sqlite") as b:
        sa, sb = ledger_secret(a), ledger_secret(b)
        assert len(sa) == len(sb) == 32 and sa != sb
        token = parse_token(make_token(sa, 7, "待区认定", 2))
        assert issued_for(sa, token, "待区认定") and not issued_for(sb, token, "待区认定")
