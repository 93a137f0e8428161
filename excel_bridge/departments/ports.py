"""What departments/ uses of the village stages, and nothing more: archiving a dropped file and telling an
Office temporary (intake), reading a decision table of a workbook we wrote and naming its row's household (decisions), the next provisional
户编号 (ingest). departments/ imports those stages only through here, so a change to them that a department
list would feel shows in this one file (tests/test_imports.py holds it to that)."""

from __future__ import annotations

from ..decisions import DecisionRow, note_refused_row, read_table, row_who
from ..ingest import provisional_no
from ..intake import archive, is_lock_or_temp

__all__ = ["DecisionRow", "archive", "is_lock_or_temp", "note_refused_row", "provisional_no", "read_table",
           "row_who"]
