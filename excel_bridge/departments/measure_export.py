"""`excel-bridge export <部门>` for a department that is given its measures (plan 五(一)(二), 七(二)): the measures of
the households on file whose 责任单位 is that department (departments/units.py: 区医保局, 医保局 … are 医保) — each
with its household, money and 落实情况 —, the counts by town, and a note. A name that is no configured department
but a 责任单位 typed in the ledger (村委会, 某帮扶企业) gives the measures of exactly that unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import UsageError
from ..messages import TEXT
from ..store import Store
from ..workspace import Workspace
from ..writers.common import Placed, meta_rows, place_atomically
from ..writers.master_measures import (
    COUNT_COLUMNS,
    IDENTITY,
    MEASURES_SHEET,
    MeasureCounts,
    measure_cells,
    measure_columns,
    unit_map,
)
from ..writers.printing import PageLayout, apply_xlsxwriter
from ..writers.tables import Col, new_workbook, print_table, write_meta, write_table
from .config import DepartmentsConfig, load_departments
from .units import unit_key

MEASURE_EXPORT_KIND = "excel_bridge.department_measures"
HEADER_ROW = 3  # 0-based: title, scope, privacy line, then the header


@dataclass
class MeasureExport:
    department: str  # the department's key (医保), or the 责任单位 as typed
    units: list[str]  # what counts as it, for the scope line
    rows: list[list[object]] = field(default_factory=list)
    counts: MeasureCounts = field(default_factory=MeasureCounts)

    @property
    def households(self) -> int:
        return len(self.counts.total.households)

    @property
    def measures(self) -> int:
        return self.counts.total.measures

    @property
    def money(self) -> str:
        return f"{self.counts.total.money:,.2f}"

    @property
    def done(self) -> int:
        return self.counts.total.done


def measure_export(store: Store, config: Config, departments: DepartmentsConfig, name: str) -> MeasureExport:
    """The measures of households on file that are `name`'s: a department (by its key or any of its names), else
    a 责任单位 exactly as typed; a UsageError when it is neither."""
    units = unit_map(config, departments.departments)
    department = name if name in departments.departments else units.department_of(name)
    wanted = unit_key(name)

    def ours(unit: object) -> bool:
        return units.department_of(unit) == department if department is not None else unit_key(unit) == wanted

    export = MeasureExport(department=department or name.strip(),
                           units=_unit_names(departments, department) if department else [name.strip()])
    rows = (r for r in store.views.master_measures() if r.on_file and ours(r.data.get("responsible")))
    export.rows = list(measure_cells(config, units, export.counts, rows))
    if department is None and not export.rows:
        raise UsageError(TEXT["measures.no_department"].format(department=name,
                                                               choices="、".join(departments.departments)))
    return export


def _unit_names(departments: DepartmentsConfig, department: str) -> list[str]:
    d = departments.departments[department]
    return list(dict.fromkeys([department, d.title, *d.folder_aliases, *d.unit_aliases]))


def export_measures(store: Store, ws: Workspace, config: Config, name: str, *, as_of: dt.date,
                    out: Path | None = None) -> tuple[Placed, MeasureExport]:
    """The workbook at `out` (default 区级/部门共享/<部门>_帮扶措施_<日期>.xlsx)."""
    if out is not None and Path(out).suffix.lower() != ".xlsx":
        raise UsageError(TEXT["share.not_xlsx"].format(path=out))
    export = measure_export(store, config, load_departments(ws.root / "rules"), name)
    target = Path(out) if out is not None else ws.share_dir / TEXT["measures.export_file"].format(
        department=export.department, stamp=as_of.strftime("%Y%m%d"))
    placed = place_atomically(target, lambda tmp: _write(tmp, config, export, as_of))
    return placed, export


def _write(tmp: Path, config: Config, export: MeasureExport, as_of: dt.date) -> None:
    wb, fmt = new_workbook(str(tmp))
    district = config.settings.district
    lines = [TEXT["measures.export_title"].format(district=district, department=export.department),
             TEXT["measures.export_scope"].format(until=as_of.isoformat(), department=export.department,
                                                  units="、".join(export.units)),
             TEXT["measures.export_privacy"].format(department=export.department)]
    sheet = wb.add_worksheet(MEASURES_SHEET)
    for r, line in enumerate(lines):
        sheet.write_string(r, 0, line, fmt.title if r == 0 else fmt.plain)
    sheet.set_row(0, 24)
    columns = measure_columns(config)
    n = write_table(sheet, fmt, columns, export.rows, first_row=HEADER_ROW, identity=IDENTITY, header_lines=2)
    print_table(sheet, columns, header_row=HEADER_ROW, last_row=HEADER_ROW + n, identity=IDENTITY, header_lines=2)
    sheet = wb.add_worksheet("按镇汇总")
    sheet.write_string(0, 0, lines[0], fmt.title)
    sheet.write_string(1, 0, TEXT["measures.export_counts"].format(
        households=export.households, measures=export.measures, money=export.money, done=export.done), fmt.plain)
    counts = export.counts
    rows = [[town, *counts.by_town[town].cells()] for town in config.settings.towns if town in counts.by_town]
    rows.append(["合计", *counts.total.cells()])
    n = write_table(sheet, fmt, [Col("镇", 12), *COUNT_COLUMNS], rows, first_row=HEADER_ROW, header_lines=2)
    apply_xlsxwriter(sheet, PageLayout(landscape=False, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, HEADER_ROW + n, len(COUNT_COLUMNS)), across_first=False,
                                       gridlines=True))
    write_meta(wb, meta_rows(MEASURE_EXPORT_KIND, "1", 区=district, 部门=export.department,
                             截止日期=as_of.isoformat()))
    wb.close()

