"""The decision sheets (待镇审核 in a town's 镇级核查表, 待区审核 in the 区级总台账, and the town's 部门预警):
their names, decision headers, choices and hidden row token, spelled once for the writers that make them and
the readers that take the decisions back.

A household row token "<household id>-<version>-<mac>" names the household and the state and version it was
written for; the mac (HMAC-SHA256 with the ledger's secret) makes a token typed or altered by hand invalid.
A department warning's token "W<warning id>-<revision>-<mac>" starts with a letter, so neither reader takes
the other's token, and its mac is over a different message.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import NamedTuple

from .store import HouseholdRow, Store, WarningRow
from .store.departments import OPEN as WARNING_OPEN
from .store.departments import WITHDRAWN as WARNING_WITHDRAWN
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
# what a warning's status can be: open (待核实), one of the choices, or withdrawn by a newer list (部门已撤销)
WARNING_STATUSES = (WARNING_OPEN, *DEPT_CHOICES, WARNING_WITHDRAWN)
OVERDUE = "已超期"

_SECRET_KEY = "token_secret"  # the ledger's meta entry holding the secret, made with the ledger
_MAC_LENGTH = 16


@dataclass(frozen=True)
class Token:
    """A row token read back from a saved decision sheet."""

    household_id: int
    version: int
    mac: str


def make_token(secret: str, household_id: int, state: str, version: int) -> str:
    """The token written in a decision row: valid only for this household in this state and version."""
    return f"{household_id}-{version}-{_mac(secret, household_id, state, version)}"


def parse_token(text: str) -> Token | None:
    """The token in a cell, or None when it is not one (emptied, typed by hand, cut short)."""
    parts = text.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return Token(int(parts[0]), int(parts[1]), parts[2])


def issued_for(secret: str, token: Token, state: str) -> bool:
    """Whether the system issued this token for its household in `state` (at the token's version)."""
    return hmac.compare_digest(_mac(secret, token.household_id, state, token.version).encode(), token.mac.encode())


def _mac(secret: str, household_id: int, state: str, version: int) -> str:
    msg = f"{household_id}:{state}:{version}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:_MAC_LENGTH]


@dataclass(frozen=True)
class WarningToken:
    """A department warning's row token read back from a saved 部门预警 sheet."""

    warning_id: int
    revision: int
    mac: str


def make_warning_token(secret: str, warning_id: int, revision: int, town: str) -> str:
    """The token of a 部门预警 row: valid only for this warning, at this revision, in this town's workbook."""
    return f"W{warning_id}-{revision}-{_warning_mac(secret, warning_id, revision, town)}"


def parse_warning_token(text: str) -> WarningToken | None:
    """The warning token in a cell, or None (a household's token, emptied, typed by hand, cut short)."""
    parts = text.split("-")
    if len(parts) != 3 or not parts[0].startswith("W") or not parts[0][1:].isdigit() or not parts[1].isdigit():
        return None
    return WarningToken(int(parts[0][1:]), int(parts[1]), parts[2])


def warning_issued_for(secret: str, token: WarningToken, town: str) -> bool:
    """Whether the system wrote this token into `town`'s workbook (at the token's revision)."""
    expected = _warning_mac(secret, token.warning_id, token.revision, town)
    return hmac.compare_digest(expected.encode(), token.mac.encode())


def _warning_mac(secret: str, warning_id: int, revision: int, town: str) -> str:
    msg = f"dept-warning:{warning_id}:{revision}:{town}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:_MAC_LENGTH]


def warning_token(store: Store, w: WarningRow) -> str:
    return make_warning_token(ledger_secret(store), w.id, w.revision, w.town)


def ledger_secret(store: Store) -> str:
    return store.meta.get(_SECRET_KEY) or ""


def row_token(store: Store, hh: HouseholdRow) -> str:
    """The token of a household's decision row as the household is now."""
    return make_token(ledger_secret(store), hh.id, hh.state, hh.version)
