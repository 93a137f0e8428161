"""The Issue value: one problem in the data, pointing at its cell, with Chinese text from the catalogue."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .messages import Severity, render, severity_of, show


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    severity: Severity
    sheet: str | None
    row: int | None  # the row number Excel shows
    column: str | None  # canonical header
    value: str | None
    message: str
    hint: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def make_issue(code: str, *, sheet: str | None = None, row: int | None = None, column: str | None = None,
               value: object = None, severity: Severity | None = None, **fields: object) -> Issue:
    """Build an Issue whose message and hint come from the catalogue."""
    shown = None if value is None else show(value)
    message, hint = render(code, sheet=sheet, row=row, column=column, value=shown, **fields)
    return Issue(code=code, severity=severity or severity_of(code), sheet=sheet, row=row, column=column,
                 value=shown, message=message, hint=hint)
