"""Resident ID numbers (GB 11643-1999) and phone numbers: normalise, check, mask. Pure functions."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass

from .normalize import halfwidth

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only: other scripts' digits are not IDs
_FIRST_GENERATION = re.compile(r"^[0-9]{15}$")


def normalize_id(text: str) -> str:
    """Half-width, no spaces anywhere, upper-case X: the form IDs are stored and compared in."""
    return re.sub(r"\s+", "", halfwidth(text)).upper()


def is_normal_shape(text: str) -> bool:
    """True when `text` is 17 ASCII digits and a digit or X: normalize_id would return it unchanged."""
    return _SHAPE.fullmatch(text) is not None  # fullmatch: "$" alone would let a trailing newline in


def upgrade_first_generation(normalized: str) -> str | None:
    """The 18-digit form of a first-generation 15-digit ID (6-digit address code, YYMMDD birth date,
    3-digit sequence, no check character): century 19 inserted, check character computed (GB 11643-1999
    appendix). None when `normalized` is not 15 ASCII digits. Departments' older systems still hold them."""
    if not _FIRST_GENERATION.match(normalized):
        return None
    first17 = f"{normalized[:6]}19{normalized[6:]}"
    return first17 + check_char(first17)


def normalize_any_id(text: str) -> str:
    """normalize_id, then a 15-digit first-generation ID converted to 18 digits (how a department's list is
    compared with the ledger; village files must already carry 18 digits)."""
    normalized = normalize_id(text)
    return upgrade_first_generation(normalized) or normalized


def check_char(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():  # every ID checked: the sum in C
        return CHECK_CHARS[(sum(map(operator.mul, first17.encode(), WEIGHTS)) - _ASCII_ZEROS) % 11]
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=False))  # any length: a wrong one fails later
    return CHECK_CHARS[total % 11]


_ASCII_ZEROS = ord("0") * sum(WEIGHTS)  # the bytes of ASCII digits are the digits plus ord("0")


@dataclass(frozen=True)
class IdProblem:
    code: str  # ID_FORMAT / ID_BIRTH / ID_CHECKSUM
    expected: str = ""


@functools.lru_cache(maxsize=65536)  # a head's ID is checked once per member row
def id_problem(normalized: str, *, today: dt.date | None = None) -> IdProblem | None:
    """Why an already-normalised ID is invalid, or None when it is valid."""
    if not _SHAPE.match(normalized):
        return IdProblem("ID_FORMAT")
    birth = birth_date(normalized)
    if birth is None or birth.year < 1880 or (today is not None and birth > today):
        return IdProblem("ID_BIRTH")
    expected = check_char(normalized[:17])
    if normalized[17] != expected:
        return IdProblem("ID_CHECKSUM", expected)
    return None


def is_valid_id(text: str) -> bool:
    return id_problem(normalize_id(text)) is None


@functools.lru_cache(maxsize=65536)  # asked for each person by the ID check, the member checks and the ages
def birth_date(normalized: str) -> dt.date | None:
    try:
        return dt.date(int(normalized[6:10]), int(normalized[10:12]), int(normalized[12:14]))
    except ValueError:
        return None


def sex(normalized: str) -> str:
    """男 for an odd sequence digit (17th character), 女 for even."""
    return "男" if int(normalized[16]) % 2 else "女"


def make_id(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID (used by the demo generator and tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def mask_id(normalized: str) -> str:
    """440205********1234: the form IDs take in public notices and logs."""
    if len(normalized) < 10:
        return "*" * len(normalized)
    return normalized[:6] + "*" * (len(normalized) - 10) + normalized[-4:]


_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^(0[0-9]{2,3})?[2-9][0-9]{6,7}(-[0-9]{1,6})?$")


def is_plain_mobile(text: str) -> bool:
    """An 11-digit mobile written plainly: valid, and normalize_phone would return it unchanged."""
    return _MOBILE.fullmatch(text) is not None


def normalize_phone(text: str) -> str:
    return re.sub(r"[\s()（）]+", "", halfwidth(text)).replace("—", "-").removeprefix("+86")


def is_valid_phone(text: str) -> bool:
    """An 11-digit mobile, or a landline with optional area code (0751-6669428, 6669428)."""
    phone = normalize_phone(text)
    if _MOBILE.match(phone):
        return True
    return bool(_LANDLINE.match(phone.replace("-", "", 1) if phone.startswith("0") else phone))
