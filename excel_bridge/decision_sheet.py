"""The decision sheets (待镇审核 in a town's 镇级核查表, 待区审核 in the 区级总台账, and the town's 部门预警):
their names, decision headers, choices and hidden row token, spelled once for the writers that make them and
the readers that take the decisions back.

A row token, one mechanism for every decision sheet: "<household id>-<version>-<digest>-<mac>" names the
household and the state and version it was written for, and `digest` is a keyed digest of what the row is
decided on (the household as its village filed it: figures, members, phone, 备注, assessment, opinion), so a
village's new file that changes anything of it makes the token of every older copy stale; the mac
(HMAC-SHA256 with the ledger's secret) makes a token typed or altered by hand invalid. A department warning's
token "W<warning id>-<revision>-<digest>-<mac>" starts with a letter, so neither reader takes the other's.
The secret and the values are handed in by the caller (ledger_tokens.py): this module knows no ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from .workflow import DECIDER, DISTRICT, TOWN, TRANSITIONS


class DecisionColumns(NamedTuple):
    """The headers of a decision table's four columns, in the order they stand in the sheet."""

    decision: str
    comment: str
    person: str
    date: str


SHEETS = {TOWN: "待镇审核", DISTRICT: "待区审核"}
COLUMNS = {TOWN: DecisionColumns("核查结论", "核查意见", "核查人", "核查日期"),
           DISTRICT: DecisionColumns("区级结论", "审核意见", "审核人", "审核日期")}
TOKEN_HEADER = "行令牌"
# what each level may choose (the dropdown): the actions the state machine gives that level in the states it
# decides (a town's other moves, such as a verified department warning, come through their own sheet)
CHOICES = {level: tuple(dict.fromkeys(action for (state, action, lv) in TRANSITIONS
                                      if lv == level and DECIDER.get(state) == level))
           for level in (TOWN, DISTRICT)}
ANY_CHOICE = frozenset(a for choices in CHOICES.values() for a in choices)

# the town's 部门预警 sheet: one row per open department warning of the town's households
DEPT_SHEET = "部门预警"
DEPT_COLUMNS = DecisionColumns("核实结论", "核实意见", "核实人", "核实日期")
CONFIRMED_LEAD, CONFIRMED_MONITORED, NOT_TRUE = "属实-建议纳入", "属实-已在监测", "不属实"
DEPT_CHOICES = (CONFIRMED_LEAD, CONFIRMED_MONITORED, NOT_TRUE)
# what a warning's status can be: open (待核实), one of the choices, or withdrawn by a newer list (部门已撤销);
# the ledger stores these words (store.departments.OPEN / WITHDRAWN: a test holds them equal)
WARNING_OPEN, WARNING_WITHDRAWN = "待核实", "部门已撤销"
WARNING_STATUSES = (WARNING_OPEN, *DEPT_CHOICES, WARNING_WITHDRAWN)
OVERDUE = "已超期"

# the town's 省系统录入 sheet (DOMAIN.md "The provincial system"): one row per household the district decided
# (identified, or risk eliminated) that the town has not yet marked entered into the provincial system; its second
# column is the 国家户编号 the provincial system gave (it replaces a provisional LS… number everywhere)
ENTRY_SHEET = "省系统录入"
ENTRY_COLUMNS = DecisionColumns("录入结论", "国家户编号", "录入人", "录入日期")
ENTERED, NOT_YET_ENTERED = "已录入", "暂未录入"
ENTRY_CHOICES = (ENTERED, NOT_YET_ENTERED)

_MAC_LENGTH = 16
_DIGEST_LENGTH = 8
HOUSEHOLD, WARNING = "", "W"  # what a token's key names: a household, or (its letter first) a department warning
ENTRY = "P"  # …or a household's row of 省系统录入 (its version: the district decision it is to enter)
# strictly ASCII: "²-1-abc" or full-width digits are no token (str.isdigit() would take them, int() would not);
# at most 9 digits, so no number typed into a cell is too large for the ledger's integer ids
_TOKEN = re.compile(r"([WP]?)([0-9]{1,9})-([0-9]{1,9})(?:-([0-9a-f]{%d}))?-([0-9a-f]{%d})" % (_DIGEST_LENGTH,
                                                                                            _MAC_LENGTH))


@dataclass(frozen=True)
class Token:
    """A row token read back from a saved decision sheet: whose row (`key`, a household's id, or a department
    warning's with `kind` WARNING), at which version, over which shown values (`digest`; "" in a token written
    before rows carried one), and its mac."""

    key: int
    version: int
    mac: str
    digest: str = ""
    kind: str = HOUSEHOLD

    @property
    def household_id(self) -> int:
        return self.key

    @property
    def warning_id(self) -> int:
        return self.key

    @property
    def revision(self) -> int:
        return self.version


def shown_digest(secret: str, values: object) -> str:
    """A short keyed digest of what a decision row is decided on (JSON-able values: dates and numbers as text),
    folded into the row's token so that any change to them makes the token of an older copy stale."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(secret.encode(), b"shown:" + text.encode(), hashlib.sha256).hexdigest()[:_DIGEST_LENGTH]


def make_token(secret: str, household_id: int, state: str, version: int, digest: str = "") -> str:
    """The token written in a decision row: valid only for this household in this state and version, showing
    the values whose digest is `digest`."""
    return _issue(secret, HOUSEHOLD, household_id, version, state, digest)


def parse_token(text: str) -> Token | None:
    """The household token in a cell, or None when it is not one (emptied, typed by hand, cut short, a warning's)."""
    return _parse(text, HOUSEHOLD)


def issued_for(secret: str, token: Token, state: str) -> bool:
    """Whether the system issued this token for its household in `state` (at the token's version and digest)."""
    return _valid(secret, token, state)


def make_warning_token(secret: str, warning_id: int, revision: int, town: str, digest: str = "") -> str:
    """The token of a 部门预警 row: valid only for this warning, at this revision, in this town's workbook."""
    return _issue(secret, WARNING, warning_id, revision, town, digest)


def parse_warning_token(text: str) -> Token | None:
    """The warning token in a cell, or None (a household's token, emptied, typed by hand, cut short)."""
    return _parse(text, WARNING)


def warning_issued_for(secret: str, token: Token, town: str) -> bool:
    """Whether the system wrote this token into `town`'s workbook (at the token's revision and digest)."""
    return _valid(secret, token, town)


def make_entry_token(secret: str, household_id: int, decision_id: int, town: str, digest: str = "") -> str:
    """The token of a 省系统录入 row: valid only for this household and this district decision (its event id), in
    this town's workbook, showing the values whose digest is `digest`."""
    return _issue(secret, ENTRY, household_id, decision_id, town, digest)


def parse_entry_token(text: str) -> Token | None:
    """The 省系统录入 token in a cell, or None (another sheet's token, emptied, typed by hand, cut short)."""
    return _parse(text, ENTRY)


def entry_issued_for(secret: str, token: Token, town: str) -> bool:
    """Whether the system wrote this token into `town`'s workbook (at the token's decision and digest)."""
    return _valid(secret, token, town)


# --- the one implementation of every kind ---

def _issue(secret: str, kind: str, key: int, version: int, scope: str, digest: str) -> str:
    mac = _mac(secret, kind, key, version, scope, digest)
    return "-".join([f"{kind}{key}", str(version), *([digest] if digest else []), mac])


def _parse(text: str, kind: str) -> Token | None:
    m = _TOKEN.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None or m.group(1) != kind:
        return None
    return Token(int(m.group(2)), int(m.group(3)), m.group(5), m.group(4) or "", kind)


def _valid(secret: str, token: Token, scope: str) -> bool:
    expected = _mac(secret, token.kind, token.key, token.version, scope, token.digest)
    return hmac.compare_digest(expected.encode(), token.mac.encode())


def _mac(secret: str, kind: str, key: int, version: int, scope: str, digest: str) -> str:
    # the messages of the tokens written before rows carried a digest, kept: such a token is still known as the
    # system's own (and then refused as stale, its digest not the row's)
    msg = (f"{key}:{scope}:{version}" if kind == HOUSEHOLD else f"dept-warning:{key}:{version}:{scope}"
           if kind == WARNING else f"provincial-entry:{key}:{version}:{scope}")
    if digest:
        msg += f":{digest}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()[:_MAC_LENGTH]
