"""Write a returned copy: the Plan, applied by the XML editor to a plain .xlsx (fast, and keeps pictures,
charts and anything else the clerk's program wrote), or by openpyxl for .xls/.ods/.xlsb/.et/.xlsm and any
.xlsx the editor does not take — .xls/.ods coming back as .xlsx with the same sheets and values."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from ..check import CheckResult
from ..config import Config
from ..messages import TEXT
from ..ooxml import Unsupported
from ..writers.common import Placed, place_atomically
from .plan import Status, plan_copy
from .via_xml import patched_copy

log = logging.getLogger(__name__)

Via = Literal["xml", "openpyxl"]


def default_output(path: Path) -> Path:
    """Where `check --out` puts a file's returned copy when no name is given: beside it, <stem>_反馈.xlsx."""
    return Path(path).with_name(f"{Path(path).stem}_反馈.xlsx")


def write_returned_copy(result: CheckResult, out: Path, config: Config, *,
                        statuses: Mapping[str, Status] | None = None, receipt: Mapping[str, object] | None = None,
                        source: Path | None = None, via: Via = "xml") -> Placed:
    """Write the returned copy of a readable checked file; returns where it was placed.

    `statuses` None: the file is only checked (`check --out`), recorded nowhere. `source` is the file to copy
    from when it is not result.path (the archived original). `via="openpyxl"`
    skips the XML editor even for a plain .xlsx (what happens anyway to a file the editor does not take).
    """
    if result.parsed is None:
        raise ValueError("unreadable files have no returned copy; report the issue instead")
    plan = plan_copy(result, config, statuses, receipt or {})
    source = Path(source or result.path)
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        out = out.with_suffix(".xlsx")
    fmt = result.parsed.data.format
    if fmt == "xlsx" and via == "xml":
        try:
            data = patched_copy(source.read_bytes(), plan)
        except Unsupported as exc:
            log.info(TEXT["feedback.log.patch_unsupported"], source.name, exc)
        else:
            return place_atomically(out, lambda tmp: tmp.write_bytes(data))
    from .via_openpyxl import openpyxl_copy  # openpyxl (and numpy): only for a workbook the XML patch cannot take

    wb = openpyxl_copy(source, fmt, plan)
    return place_atomically(out, lambda tmp: wb.save(tmp))
