"""A department list's ID column, all rows at once: the verdicts of a village file (idcard.normalize_id and
id_problem; a 15-digit first-generation ID converted first), with the common case — a clean 18-character
ID — checked by numpy, so a 200,000-row list costs milliseconds instead of a second of per-cell Python."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..idcard import CHECK_CHARS, WEIGHTS, id_problem, normalize_id, upgrade_first_generation
from ..normalize import clean_text
from ..validate import excel_shows

_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECK = np.array([ord(c) for c in CHECK_CHARS], dtype=np.uint32)
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
# what Excel (or a CSV saved by it) shows for a long number: 4.40205E+17, 4.40205197003050E17
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$")
_EXCEL_TEXT = re.compile(r'^="(.*)"$')  # ="440205…": how some systems force Excel to keep a number as text

# idcard's problem codes → the department list's own (their fix is a new export, not a clerk's edit)
DEPT_CODES = {"ID_FORMAT": "DEPT_ID_FORMAT", "ID_BIRTH": "DEPT_ID_BIRTH", "ID_CHECKSUM": "DEPT_ID_CHECKSUM"}


@dataclass(frozen=True)
class IdProblemAt:
    code: str  # DEPT_ID_AS_NUMBER / DEPT_ID_FORMAT / DEPT_ID_BIRTH / DEPT_ID_CHECKSUM
    shown: str  # the cell as the department's file shows it
    expected: str = ""


@dataclass(frozen=True)
class IdColumn:
    ids: list[str | None]  # the normalised 18-digit ID of each row; None when blank or invalid
    blank: list[bool]
    problems: dict[int, IdProblemAt]  # row index → why its ID cannot be used


def normalize_ids(values: Sequence[object]) -> IdColumn:
    """Normalise and check every cell of an ID column. A number cell has lost digits: reported, never
    guessed at (a 15-digit number too: its leading zeros or X could not be told)."""
    n = len(values)
    ids: list[str | None] = [None] * n
    blank = [False] * n
    problems: dict[int, IdProblemAt] = {}
    fast = [(i, v) for i, v in enumerate(values) if type(v) is str and len(v) == 18]
    if fast:
        good = _valid_18(np.array([v for _, v in fast], dtype="<U18"))
        for (i, v), ok in zip(fast, good.tolist(), strict=True):
            if ok:
                ids[i] = v  # ASCII digits (and X): already normalised
    for i, value in enumerate(values):
        if ids[i] is not None:
            continue
        if value is None or (type(value) is str and not value.strip()):
            blank[i] = True
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            problems[i] = IdProblemAt("DEPT_ID_AS_NUMBER", excel_shows(value))
            continue
        pid, problem = check_one(value)
        if problem is None:
            ids[i] = pid
        elif problem.code == "":
            blank[i] = True
        else:
            problems[i] = problem
    return IdColumn(ids=ids, blank=blank, problems=problems)


def check_one(value: object) -> tuple[str | None, IdProblemAt | None]:
    """One cell the fast path did not accept: (normalised ID, None) or (None, its problem). A problem with
    an empty code means the cell holds nothing once normalised."""
    shown = clean_text(value)
    if not isinstance(value, str):
        return None, IdProblemAt("DEPT_ID_FORMAT", shown)
    text = normalize_id(value)
    if text.startswith("'"):
        text = text[1:]
    wrapped = _EXCEL_TEXT.match(text)
    if wrapped:
        text = wrapped.group(1)
    if not text:
        return None, IdProblemAt("", shown)
    if _SCIENTIFIC.match(text):
        return None, IdProblemAt("DEPT_ID_AS_NUMBER", shown)
    pid = upgrade_first_generation(text) or text
    problem = id_problem(pid)
    if problem is not None:
        return None, IdProblemAt(DEPT_CODES[problem.code], shown, problem.expected)
    return pid, None


def _valid_18(arr: np.ndarray) -> np.ndarray:
    """For 18-character strings: True where id_problem would say None (shape, birth date, check character)."""
    codes = arr.view(np.uint32).reshape(-1, 18)
    body, last = codes[:, :17], codes[:, 17]
    shape = ((body >= 48) & (body <= 57)).all(axis=1) & (((last >= 48) & (last <= 57)) | (last == ord("X")))
    digits = body.astype(np.int64) - 48
    check = _CHECK[(digits @ _WEIGHTS) % 11] == last
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    birth = (year >= 1880) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return shape & check & birth
