"""How the parts of the .xlsx packages we assemble ourselves are compressed — a returned copy (ooxml), the
master's spliced sheets (writers.fastsheet), a pre-filled workbook's rows (writers.prefilled_cells): deflate at
level 1. It takes about a third of level 6's time for a file about a fifth larger (a 250-household returned copy
166 KB instead of 136 KB; the full district master's two big sheets, 250 MB of XML, 1.4 s instead of 3.5 s for
27.8 MB instead of 21.6 MB). Every program reads any level the same way."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

LEVEL = 1


@contextlib.contextmanager
def rewritten(xlsx: Path) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipFile]]:
    """The package at xlsx to read, and its replacement to write (deflated at LEVEL) beside it, which takes its
    place when the block ends (a block that fails leaves xlsx as it was, and no replacement beside it)."""
    out = xlsx.with_name(xlsx.name + ".splice")
    try:
        with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                           compresslevel=LEVEL) as zout:
            yield zin, zout
        os.replace(out, xlsx)
    finally:
        out.unlink(missing_ok=True)  # (replaced: gone already; failed: no half-written package left beside it)


def copy(zout: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    """A part read from another package written again under its own entry (name, date), deflated at LEVEL."""
    zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=LEVEL)


def part(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """The entry of a part streamed with `ZipFile.open(entry, "w")`, deflated at LEVEL (open() takes the level
    from the entry, not from the ZipFile)."""
    entry = zipfile.ZipInfo(name, date_time=date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry._compresslevel = LEVEL  # type: ignore[attr-defined]  # (named compress_level from Python 3.13 on)
    return entry
