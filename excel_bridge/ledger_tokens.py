"""The row tokens of this ledger's decision rows: decision_sheet's one token mechanism, made with the ledger's
secret over what each row is decided on — for the writers that write the rows and the readers that check the
decisions typed into them (decision_sheet itself knows no ledger).

A household row is decided on the household as its village filed it (every value of its row, its members,
measures and reviews, without where they stood in the file), with the rules' assessment and the opinion it
carries: a new file changing any of it (工资性收入, 联系电话, 备注, a member) makes the older rows stale, a file
sent again unchanged does not. A department warning's row is decided on the department's fact about the person
(the household's own state is checked live when the verdict is applied).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .decision_sheet import Token, issued_for, make_entry_token, make_token, make_warning_token, shown_digest
from .follow_up import CHANGED_ON

if TYPE_CHECKING:  # a worker reading files loads no SQLAlchemy
    from .store import EntryDue, HouseholdRow, Store, WarningRow

SECRET_KEY = "token_secret"  # the ledger's meta entry holding the secret, made with the ledger (store.migrations)
_POSITIONS = ("_sheet", "_row")  # where a record stood in the file: moving rows changes nothing decided


def ledger_secret(store: Store) -> str:
    return store.meta.get(SECRET_KEY) or ""


def household_facts(hh: HouseholdRow, children: tuple[list, list, list]) -> dict[str, Any]:
    """What a household's decision row is decided on (JSON-able); the day its row last changed (follow_up) is the
    system's note about the row, not the row."""
    members, measures, reviews = children
    return {"household": [hh.household_no, hh.head_id, hh.head_name, hh.town, hh.village, hh.on_file],
            "data": {k: v for k, v in hh.data.items() if k != CHANGED_ON}, "assessment": hh.assessment,
            "opinion": hh.opinion,
            "members": _records(members), "measures": _records(measures), "reviews": _records(reviews)}


def _records(records: Iterable[dict[str, Any]]) -> list[str]:
    """Records without their positions in the file, in an order of their own (rows moved are no change)."""
    return sorted(json.dumps({k: v for k, v in r.items() if k not in _POSITIONS}, sort_keys=True, default=str,
                             ensure_ascii=False) for r in records)


def household_digests(store: Store, rows: Sequence[HouseholdRow]) -> dict[int, str]:
    """household id → the digest of what its decision row is decided on, as the ledger has it now."""
    with store.snapshot():  # the secret and the children in one connection and transaction
        secret = ledger_secret(store)
        children = store.households.children(hh.id for hh in rows)
    return {hh.id: shown_digest(secret, household_facts(hh, children[hh.id])) for hh in rows}


def row_tokens(store: Store, rows: Sequence[HouseholdRow]) -> dict[int, str]:
    """household id → the token of its decision row as the household is now."""
    secret = ledger_secret(store)
    digests = household_digests(store, rows)
    return {hh.id: make_token(secret, hh.id, hh.state, hh.version, digests[hh.id]) for hh in rows}


def row_token(store: Store, hh: HouseholdRow) -> str:
    return row_tokens(store, [hh])[hh.id]


def token_ever_valid(store: Store, hh: HouseholdRow, token: Token) -> bool:
    """A token the system once issued for this household (in some state it has been in, at that version)."""
    secret = ledger_secret(store)
    return any(issued_for(secret, token, s) for s in {hh.state} | store.events.states_seen(hh.id))


def current(store: Store, hh: HouseholdRow, token: Token) -> bool:
    """Whether the row the token came from showed the household as the ledger has it now."""
    return token.digest == household_digests(store, [hh])[hh.id]


def warning_facts(w: WarningRow) -> list[Any]:
    """What a 部门预警 row is verified on: the department's fact about the person."""
    return [w.household_id, w.village, w.department, w.rule_id, w.person_id, w.name, w.fact, w.risk_type,
            w.guarantee, w.received_date, w.deadline]


def warning_digest(store: Store, w: WarningRow) -> str:
    return shown_digest(ledger_secret(store), warning_facts(w))


def warning_token(store: Store, w: WarningRow) -> str:
    return make_warning_token(ledger_secret(store), w.id, w.revision, w.town, warning_digest(store, w))


def entry_facts(e: EntryDue) -> list[Any]:
    """What a 省系统录入 row is answered on: the household as the row shows it, and the decision to enter."""
    return [e.household_id, e.village, e.household_no, e.head_name, e.head_id, e.decided_into, e.decided_on]


def entry_digest(store: Store, e: EntryDue) -> str:
    return shown_digest(ledger_secret(store), entry_facts(e))


def entry_token(store: Store, e: EntryDue) -> str:
    return make_entry_token(ledger_secret(store), e.household_id, e.decision_id, e.town, entry_digest(store, e))
