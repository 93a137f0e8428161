"""The decision sheets' names, headers, choices and row tokens (excel_bridge.decision_sheet)."""

from __future__ import annotations

from excel_bridge.decision_sheet import (
    ANY_CHOICE,
    CHOICES,
    COLUMNS,
    SHEETS,
    TOKEN_HEADER,
    WARNING,
    WARNING_OPEN,
    WARNING_WITHDRAWN,
    Token,
    issued_for,
    make_token,
    make_warning_token,
    parse_token,
    parse_warning_token,
    shown_digest,
    warning_issued_for,
)
from excel_bridge.ledger_tokens import ledger_secret
from excel_bridge.store import Store
from excel_bridge.store.departments import OPEN, WITHDRAWN
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
    digest = shown_digest(SECRET, {"wage": 16650})
    text = make_token(SECRET, 42, "待镇核查", 3, digest)
    assert text.startswith(f"42-3-{digest}-") and len(text) == len("42-3-") + 8 + 1 + 16
    token = parse_token(text)
    assert token == Token(42, 3, text.split("-")[3], digest)
    assert issued_for(SECRET, token, "待镇核查")
    assert not issued_for(SECRET, token, "待区认定")
    assert not issued_for("another-secret", token, "待镇核查")
    assert not issued_for(SECRET, Token(42, 4, token.mac, digest), "待镇核查")
    assert not issued_for(SECRET, Token(43, 3, token.mac, digest), "待镇核查")
    assert not issued_for(SECRET, Token(42, 3, token.mac[:-1] + "同", digest), "待镇核查")  # typed over: no error
    # another digest (the row showed other values) is another token: the mac covers it
    assert not issued_for(SECRET, Token(42, 3, token.mac, shown_digest(SECRET, {"wage": 80000})), "待镇核查")


def test_the_digest_is_of_the_values_shown_and_keyed():
    assert shown_digest(SECRET, {"a": 1, "b": "x"}) == shown_digest(SECRET, {"b": "x", "a": 1})
    assert shown_digest(SECRET, {"a": 1}) != shown_digest(SECRET, {"a": 2})
    assert shown_digest(SECRET, {"a": 1}) != shown_digest("another-secret", {"a": 1})


def test_a_token_written_before_rows_carried_a_digest_is_still_known_as_ours():
    """"<id>-<version>-<mac>" (before the digest): recognised as the system's, with no digest (so never current)."""
    import hashlib
    import hmac

    old = "42-3-" + hmac.new(SECRET.encode(), "42:待镇核查:3".encode(), hashlib.sha256).hexdigest()[:16]
    token = parse_token(old)
    assert token is not None and token.digest == "" and issued_for(SECRET, token, "待镇核查")
    assert make_token(SECRET, 42, "待镇核查", 3) == old


def test_one_mechanism_for_both_kinds_and_neither_takes_the_others():
    household = make_token(SECRET, 7, "待镇核查", 2, "0123abcd")
    warning = make_warning_token(SECRET, 7, 2, "马坝镇", "0123abcd")
    assert warning.startswith("W7-2-0123abcd-")
    assert parse_warning_token(household) is None and parse_token(warning) is None
    w = parse_warning_token(warning)
    assert (w.warning_id, w.revision, w.digest, w.kind) == (7, 2, "0123abcd", WARNING)
    assert warning_issued_for(SECRET, w, "马坝镇") and not warning_issued_for(SECRET, w, "大塘镇")
    assert (WARNING_OPEN, WARNING_WITHDRAWN) == (OPEN, WITHDRAWN)  # the words the ledger stores


def test_what_is_not_a_token():
    mac = "0123456789abcdef"
    for text in ("", "42", "42-3", "42-3-ab-cd", "x-3-ab", "42-y-ab", "-3-ab", f"42-3-{mac}x", f"W42-3-{mac}",
                 # Unicode digits pass str.isdigit() and then int() fails (or means something else): no token
                 f"²-1-{mac}", f"４２-3-{mac}", f"42-٣-{mac}", f"4²-1-{mac}", f"42-3-{mac[:-1]}同",
                 "９" * 30 + f"-1-{mac}", f"9999999999-1-{mac}", f"1-9999999999-{mac}"):
        assert parse_token(text) is None, text
    for text in (f"W²-1-{mac}", f"W４-1-{mac}", f"W4-１-{mac}", f"42-3-{mac}"):
        assert parse_warning_token(text) is None, text
    assert parse_token(f" 42-3-{mac} ") == Token(42, 3, mac)


def test_the_secret_is_the_ledgers_own(tmp_path):
    """Each ledger has its own secret: a token from one district's workbook is no token in another's."""
    with Store.open(tmp_path / "a.sqlite") as a, Store.open(tmp_path / "b.sqlite") as b:
        sa, sb = ledger_secret(a), ledger_secret(b)
        assert len(sa) == len(sb) == 32 and sa != sb
        token = parse_token(make_token(sa, 7, "待区认定", 2, "0123abcd"))
        assert issued_for(sa, token, "待区认定") and not issued_for(sb, token, "待区认定")
