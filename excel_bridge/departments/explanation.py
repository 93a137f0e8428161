"""The note a department's list earns (反馈/部门/<部门>_说明.txt): why it could not be used, or what was read
and which rows could not be compared — in Chinese, with the fix, and never a full ID number of a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..idcard import mask_id
from ..issues import Issue
from ..messages import TEXT
from .model import DepartmentList

MAX_LINES = 200


def explain(dlist: DepartmentList, *, now: dt.datetime | None = None, max_lines: int = MAX_LINES,
            extra: Sequence[str] = ()) -> str:
    """The note's text (CRLF line ends: it is opened in Notepad on the district's Windows machines); `extra`
    lines follow the problem of a list that was not used (which list the ledger still goes by)."""
    now = now or dt.datetime.now()
    dept = dlist.department
    lines = [TEXT["dept.note_title"].format(department=dept.name, stamp=f"{now:%Y-%m-%d %H:%M}"),
             TEXT["dept.note_file"].format(name=dlist.path.name)]
    if dlist.note is not None:
        lines += [TEXT["dept.note_problem"].format(message=dlist.note.message),
                  TEXT["dept.note_fix"].format(hint=dlist.note.hint), *extra]
    else:
        rows = dlist.rows
        invalid = int(rows["person_id"].isna().sum()) if len(rows) else 0
        lines.append(TEXT["dept.note_read"].format(rows=len(rows), people=len(dlist.listed), invalid=invalid))
    for issue in dlist.issues[:max_lines]:
        if issue.row is None:  # about the list as a whole
            lines.append(_private(issue))
        else:
            lines.append(TEXT["dept.note_issue"].format(where=_where(issue), message=_private(issue)))
        lines.append("  " + TEXT["dept.note_fix"].format(hint=issue.hint))
    if len(dlist.issues) > max_lines:
        lines.append(TEXT["dept.note_more"].format(n=len(dlist.issues) - max_lines))
    return "\r\n".join(lines) + "\r\n"


def _where(issue: Issue) -> str:
    if issue.sheet:
        return TEXT["dept.note_where_sheet"].format(sheet=issue.sheet, row=issue.row)
    return TEXT["dept.note_where_row"].format(row=issue.row)


def _private(issue: Issue) -> str:
    """The message with the ID it quotes masked: the note lies in a shared folder."""
    if issue.value and len(issue.value) >= 15 and issue.code.startswith("DEPT_ID"):
        return issue.message.replace(issue.value, mask_id(issue.value))
    return issue.message
