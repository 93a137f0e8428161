"""reconcile: a newer list from a department against that department's open warnings — which warnings are
new, which stay open, which the department has withdrawn (部门已撤销) — as a pure function the store applies.
A verified outcome is never an input to be closed: only open warnings can be withdrawn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .model import DepartmentWarning

WITHDRAWN = "部门已撤销"
NOT_LISTED = "not_listed"  # the newer list no longer names the person
NO_LONGER_HOLDS = "no_longer_holds"  # still named, but the rule no longer fires (e.g. an amount corrected)


@dataclass(frozen=True)
class Verified:
    """A warning the town has verified (属实… / 不属实): its key and the fact it verified."""

    key: tuple[str, str, str]
    fact: str


@dataclass(frozen=True)
class Withdrawal:
    warning: DepartmentWarning
    reason: str  # NOT_LISTED / NO_LONGER_HOLDS; the outcome recorded is WITHDRAWN either way


@dataclass(frozen=True)
class Changes:
    new: tuple[DepartmentWarning, ...]  # open these (deadline from this list)
    kept: tuple[tuple[DepartmentWarning, DepartmentWarning], ...]  # (open one, as the new list says it now)
    withdrawn: tuple[Withdrawal, ...]  # close these as 部门已撤销
    already_verified: tuple[DepartmentWarning, ...]  # the town already verified exactly this fact: not raised again


def reconcile(open_warnings: Iterable[DepartmentWarning], new_warnings: Iterable[DepartmentWarning], *,
              department: str, listed: Iterable[str], verified: Iterable[Verified] = ()) -> Changes:
    """Compare one department's open warnings with the warnings of its newer list. `listed` is every valid
    ID the newer list names (DepartmentList.listed), so a person still named but no longer warned about is
    told apart from one dropped from the list. A kept warning keeps its original deadline; when a person has
    moved household, the kept pair carries the new routing. A new warning whose exact fact the town already
    verified is not raised again; a changed fact (a larger amount, a new benefit) is."""
    opens, news = list(open_warnings), list(new_warnings)
    for w in (*opens, *news):
        if w.department != department:
            raise ValueError(f"a warning of {w.department} passed to the reconciliation of {department}")
    still_listed = set(listed)
    done = {v.key: v.fact for v in verified}
    open_by_key: dict[tuple[str, str, str], list[DepartmentWarning]] = defaultdict(list)
    for w in opens:
        open_by_key[w.key].append(w)
    new_by_key: dict[tuple[str, str, str], list[DepartmentWarning]] = defaultdict(list)
    for w in news:
        new_by_key[w.key].append(w)
    new: list[DepartmentWarning] = []
    repeated: list[DepartmentWarning] = []
    kept, withdrawn = [], []
    for key in dict.fromkeys([*open_by_key, *new_by_key]):
        before, after = list(open_by_key.get(key, ())), list(new_by_key.get(key, ()))
        for w in list(after):  # the same household first (a person in two households has two warnings)
            same = next((o for o in before if o.household == w.household), None)
            if same is not None:
                kept.append((same, w))
                before.remove(same)
                after.remove(w)
        while before and after:  # moved to another household since: still the same warning
            kept.append((before.pop(0), after.pop(0)))
        for w in after:
            (repeated if done.get(key) == w.fact else new).append(w)
        for o in before:
            withdrawn.append(Withdrawal(o, NO_LONGER_HOLDS if o.person_id in still_listed else NOT_LISTED))
    return Changes(new=tuple(new), kept=tuple(kept), withdrawn=tuple(withdrawn), already_verified=tuple(repeated))
