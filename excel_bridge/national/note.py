"""What an import says, in Chinese: the lines the terminal prints (per town: households, persons, identified,
eliminated, rows not used and why) and the note under 反馈/导入/ (the same, then each conflict, each difference
with the villages' data and each value not recognised). ID numbers are masked everywhere (the reasons are made
masked; a last guard masks any 18-digit number left)."""

from __future__ import annotations

import datetime as dt
import re

from ..idcard import mask_id
from ..messages import TEXT
from .apply import ImportResult

MAX_LISTED = 500  # lines of each list in the note; the rest counted
_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def summary_lines(result: ImportResult) -> list[str]:
    """The terminal's lines: the file, then one line per town, then the totals."""
    export = result.export
    if result.status == "duplicate" or export is None:
        return [TEXT["import.duplicate"].format(name=result.file_name)]
    where = TEXT["import.where_sheet" if export.sheet else "import.where_text"].format(sheet=export.sheet,
                                                                                       row=export.header_row)
    lines = [TEXT["import.read"].format(name=result.file_name, where=where, persons=export.persons,
                                        households=len(export.households))]
    for town, c in sorted(result.towns.items()):
        why = "；".join(TEXT["import.reason_count"].format(reason=r, rows=n) for r, n in c.reasons.most_common(3))
        more = TEXT["import.reason_more"].format(n=len(c.reasons) - 3) if len(c.reasons) > 3 else ""
        lines.append(TEXT["import.town_line"].format(
            town=town, households=c.households, persons=c.persons, identified=c.identified, eliminated=c.eliminated,
            unused=c.unused, why=TEXT["import.town_why"].format(why=why + more) if c.unused else ""))
    lines.append(TEXT["import.totals"].format(created=result.created, updated=result.updated,
                                              unchanged=result.unchanged, conflicts=len(result.conflicts),
                                              differences=len(result.differences)))
    return [_masked(line) for line in lines]


def import_note(result: ImportResult, *, at: dt.datetime) -> str:
    export = result.export
    lines = [TEXT["import.note_title"].format(stamp=at.strftime("%Y-%m-%d %H:%M")), *summary_lines(result), ""]
    if export is not None and export.unused:
        lines.append(TEXT["import.note_unused"])
        lines += _listed([TEXT["import.note_row"].format(row=u.row, reason=u.reason) for u in export.unused])
        lines.append("")
    if result.conflicts:
        lines.append(TEXT["import.note_conflicts"])
        lines += _listed([TEXT["import.note_conflict"].format(town=c.town, village=c.village, number=c.number,
                                                              rows="、".join(str(r) for r in c.rows), reason=c.reason)
                          for c in result.conflicts])
        lines.append("")
    if result.differences:
        lines.append(TEXT["import.note_differences"])
        lines += _listed([TEXT["import.note_difference"].format(
            town=d.town, village=d.village, name=d.head_name or "", number=d.household_no or "", item=d.item,
            ledger=d.ledger or TEXT["import.blank"], national=d.national or TEXT["import.blank"])
            for d in result.differences])
        lines.append("")
    if export is not None and export.unknown_values:
        lines.append(TEXT["import.note_unknown"])
        lines += _listed([TEXT["import.note_unknown_value"].format(header=h, value=v, rows=n)
                          for (h, v), n in sorted(export.unknown_values.items())])
        lines.append("")
    if result.touched:
        lines.append(TEXT["import.note_villages"].format(n=len(result.touched)))
    return _masked("\n".join(lines)) + "\n"


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], TEXT["import.note_more"].format(n=len(lines) - MAX_LISTED)]


def _masked(text: str) -> str:
    return _ID.sub(lambda m: mask_id(m.group(0).upper()), text)
