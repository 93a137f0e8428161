"""The typed records of a village workbook (a row, a household with its rows): one home for the types that
validate builds and figures, the rules, the checks and ingest read, so none of them imports another for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_YET: Any = object()  # a Household's figure not computed yet (validate, the rules and the checks share it)


@dataclass
class Record:
    """One row of a monitoring sheet with typed values (None where blank or invalid)."""

    kind: str
    sheet: str
    row: int
    values: dict[str, Any]
    invalid: set[str] = field(default_factory=set)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def ok(self, *keys: str) -> bool:
        """True when none of these inputs is invalid (blank optional inputs are fine)."""
        return self.invalid.isdisjoint(keys)


@dataclass
class Household(Record):
    members: list[Record] = field(default_factory=list)
    measures: list[Record] = field(default_factory=list)
    departed: list[Record] = field(default_factory=list)  # 家庭成员 rows with a 减少原因: gone, not counted
    reviews: list[Record] = field(default_factory=list)
    duplicate: bool = False  # a second row with the same 户主身份证号: not linked to members
    computed_income: float | None = None  # shown only: the rules use figures.per_capita, exact
    per_capita_income: float | None = None  # shown only; None when the size is invalid or disagrees
    line: float | None = None
    # the exact figures (figures.computed_per_capita, figures.per_capita), computed once when first asked for
    computed_per_capita: Any = field(default=NOT_YET, repr=False, compare=False)
    per_capita: Any = field(default=NOT_YET, repr=False, compare=False)

    @property
    def head_id(self) -> str | None:
        return self.values.get("head_id")
