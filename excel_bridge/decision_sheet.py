"""The decision sheets (待镇审核 in a town's 镇级核查表, 待区审核 in the 区级总台账): their names, decision
headers, choices and hidden row token, spelled once for the writers that make them and the reader that
takes the decisions back.

A row token "<household id>-<version>-<mac>" names the household and the state and version it was
written for; the mac (HMAC-SHA256 with the ledger's secret) makes a token typed or altered by hand invalid.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import NamedTuple

from .store import HouseholdRow, Store
from .workflow import DISTRICT, TOWN, TRANSITIONS


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
# what each level may choose (the dropdown): the actions the state machine gives that level
CHOICES = {level: tuple(dict.fromkeys(action for (_, action, lv) in TRANSITIONS if lv == level))
           for level in (TOWN, DISTRICT)}
ANY_CHOICE = frozenset(a for choices in CHOICES.values() for a in choices)

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


def ledger_secret(store: Store) -> str:
    return store.meta.get(_SECRET_KEY) or ""


def row_token(store: Store, hh: HouseholdRow) -> str:
    """The token of a household's decision row as the household is now."""
    return make_token(ledger_secret(store), hh.id, hh.state, hh.version)
