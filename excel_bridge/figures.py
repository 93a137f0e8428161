"""A household's money figures, exact: amounts as Decimal, per-person quotients as Fraction.

Nothing is rounded before a comparison (28,799.99 / 3 = 9,599.99666… is below 9,600); rounding is for
display only. A per-person figure is unknown (None) whenever the household size is — invalid, or not
the number of members listed — so no household is ever judged on a wrong size.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import idcard
from .model import NOT_YET, Household, Record

INCOME_KEYS = ("wage_income", "business_income", "property_income", "transfer_income")
RIGID_KEYS = ("medical_expense", "other_rigid_expense")
SIZE_KEYS = ("size",)
NET_KEYS = (*INCOME_KEYS, "business_cost")


def amount(value: Any) -> Decimal | None:
    """A stored number as the exact decimal the clerk's cell shows (floats keep their shortest repr)."""
    if type(value) is float:  # the common case, first
        return Decimal(str(value))
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def known_size(hh: Household) -> int | None:
    """家庭人口数 when it is valid and agrees with the members listed (validate marks it invalid otherwise)."""
    size = hh.get("size")
    return size if size and "size" not in hh.invalid else None


def net_income(hh: Household) -> Decimal | None:
    """The four incomes minus 生产经营性支出, for the whole household; None if any is missing or invalid."""
    if not hh.ok(*NET_KEYS):
        return None
    cells = list(map(hh.values.get, NET_KEYS))
    if None in cells:  # asked of the cells, not of the Decimals: Decimal == None is a slow comparison
        return None
    parts = [part for part in map(amount, cells) if part is not None]
    if len(parts) < len(cells):  # a yes/no cell where an amount belongs (never left by validation)
        return None
    *incomes, cost = parts
    return sum(incomes, Decimal(0)) - cost


def computed_per_capita(hh: Household) -> Fraction | None:
    """人均纯收入 computed from the incomes: (four incomes − 生产经营性支出) / size; computed once per household
    (its cells do not change once validated)."""
    cached = hh.computed_per_capita
    if cached is NOT_YET:
        cached = hh.computed_per_capita = _computed_per_capita(hh)
    return cached


def _computed_per_capita(hh: Household) -> Fraction | None:
    size = known_size(hh)
    net = None if size is None else net_income(hh)
    if net is None or size is None:
        return None
    if type(size) is not int:
        return Fraction(net) / size
    numerator, denominator = net.as_integer_ratio()
    return Fraction(numerator, denominator * size)  # = Fraction(net) / size, normalised once


def apart_by_more(a: Decimal, b: Fraction, tolerance: Fraction) -> bool:
    """|a − b| > tolerance, exactly, in integers (Fraction arithmetic is several times slower)."""
    an, ad = a.as_integer_ratio()
    bn, bd = b.numerator, b.denominator  # denominators are positive
    return abs(an * bd - bn * ad) * tolerance.denominator > tolerance.numerator * ad * bd


def per_capita(hh: Household) -> Fraction | None:
    """人均纯收入: computed from the incomes when they are all there, else the filled value — and unknown
    when the size is (a filled figure was divided by that same wrong size). Computed once per household."""
    cached = hh.per_capita
    if cached is NOT_YET:
        cached = hh.per_capita = _per_capita(hh)
    return cached


def _per_capita(hh: Household) -> Fraction | None:
    if known_size(hh) is None:
        return None
    computed = computed_per_capita(hh)
    if computed is not None:
        return computed
    filled = amount(hh.get("per_capita_income"))
    return None if filled is None or not hh.ok("per_capita_income") else Fraction(filled)


def rigid_total(hh: Household) -> Decimal | None:
    """合规自付医疗支出 + 其他刚性支出 (blank = 0); None if either is invalid."""
    if not hh.ok(*RIGID_KEYS):
        return None
    return sum((amount(hh.get(k)) or Decimal(0) for k in RIGID_KEYS), Decimal(0))


def line(hh: Household) -> Fraction | None:
    return None if hh.line is None else _exact_line(hh.line)


@functools.lru_cache(maxsize=64)  # one line per income year: every household of a file shares it
def _exact_line(value: float) -> Fraction | None:
    exact = amount(value)
    return None if exact is None else Fraction(exact)


def shown(value: Fraction | Decimal | None) -> float | None:
    """A figure for JSON, the ledger and workbooks (their number type); never compared again."""
    return None if value is None else float(value)


def birth_of(member: Record) -> dt.date | None:
    """From the ID number when it is valid, else the 出生日期 column."""
    pid = member.get("person_id")
    born = idcard.birth_date(pid) if isinstance(pid, str) and "person_id" not in member.invalid else None
    if born is None and "birth_date" not in member.invalid:
        born = member.get("birth_date") if isinstance(member.get("birth_date"), dt.date) else None
    return born


def age_of(member: Record, as_of: dt.date) -> int | None:
    """Full years on `as_of` (a birthday on that day counts); None when the birth date is unknown."""
    born = birth_of(member)
    if born is None:
        return None
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
