"""How a pre-filled village workbook (预填台账) says what it is: the keys of its hidden 系统信息 sheet.

The writer (writers/prefilled.py) records which households it pre-filled, each as a short digest of its
户主身份证号; validate.py reads them back, so a required cell left empty in a household we pre-filled is
"still to fill" (one hint per household, PREFILL_TO_FILL), not an error per cell. A household the clerk
adds is checked like in any village file. Domain code: no store, no writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

PREFILL_KEY = "预填"           # what the pre-filling was for: "2022年回头看" / "台账预填"
PREFILL_YEAR_KEY = "预填收入年度"  # the income year the workbook asks for (empty when none was set)
PREFILL_HOUSEHOLDS_KEY = "预填户"  # the pre-filled households' digests, space-separated
DIGEST_CHARS = 10


def household_digest(head_id: str) -> str:
    """A short, stable digest of a 户主身份证号 (the hidden sheet does not list the IDs themselves)."""
    return hashlib.sha256(head_id.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def prefill_meta(purpose: str, year: int | None, head_ids: Iterable[str]) -> dict[str, str]:
    """The hidden sheet's rows that mark a workbook as pre-filled."""
    return {PREFILL_KEY: purpose, PREFILL_YEAR_KEY: "" if year is None else str(year),
            PREFILL_HOUSEHOLDS_KEY: " ".join(household_digest(h) for h in head_ids)}


def prefilled_households(meta: Mapping[str, str]) -> frozenset[str]:
    """The digests of the households a pre-filled workbook was written with (empty for any other file)."""
    if not meta.get(PREFILL_KEY):
        return frozenset()
    return frozenset(meta.get(PREFILL_HOUSEHOLDS_KEY, "").split())
