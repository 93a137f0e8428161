"""The master's 帮扶措施 and 帮扶措施统计 (plan 五(一)(二), 六(二)): every measure of the ledger with its household
(place, 户编号, 户主, 户主身份证号, state), its columns as schemas/measure.yaml has them (a column the district adds
shows too) and the department its 责任单位 is (departments/units.py); then the counts by 责任单位, by department and
by town — households, measures, money, and how many of them are 已完成 — of the households on file. One read of the
measures, streamed like the other big sheets; the counts are taken as the rows stream by."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..departments.config import Department, DepartmentsConfig, load_departments
from ..departments.units import UnitMap, unit_key
from ..errors import ConfigError
from ..messages import TEXT
from ..schema import ColumnSpec
from ..store import MeasureRow, Store
from ..workflow import REMOVED
from .printing import PageLayout, apply_xlsxwriter
from .tables import Col, Formats, schema_col, schema_value, write_table

MEASURES_SHEET = "帮扶措施"
COUNTS_SHEET = "帮扶措施统计"
DONE = "已完成"
PLACE = [Col("镇", 8), Col("村", 9), Col("户编号", 16, "id"), Col("户主姓名", 8), Col("户主身份证号", 19, "id"),
         Col("流程状态", 8), Col("在册", 4)]
IDENTITY = 4  # 镇 … 户主姓名 stay in view and print on every page across
DEPARTMENT = Col("对应部门", 8)
SECOND = 20  # the counts' second column (对应部门 / 部门全称 / 村数): wide enough for 区人力资源和社会保障局
COUNT_COLUMNS = [Col("户数", 6, "int"), Col("措施数", 6, "int"), Col("资金（元）", 12, "money"),
                 Col("已完成措施数", 7, "int"), Col("已完成资金（元）", 12, "money")]


def measure_spec_columns(config: Config) -> list[ColumnSpec]:
    """measure.yaml's columns but 户主身份证号 (the household's own columns say whose it is)."""
    return [c for c in config.schemas.measure.columns if c.key != "head_id"]


def measure_columns(config: Config) -> list[Col]:
    """PLACE, measure.yaml's columns (a date as a date where a cell is written as one), 对应部门."""
    return [*PLACE, *(Col(c.header, 11, "date") if c.type == "date" else schema_col(c, config.schemas)
                      for c in measure_spec_columns(config)), DEPARTMENT]


@dataclass
class Tally:
    """Households, measures, money and the 已完成 ones of a group (a 责任单位, a department, a town)."""

    households: set[str] = field(default_factory=set)
    measures: int = 0
    money: float = 0.0
    done: int = 0
    done_money: float = 0.0

    def add(self, household: str, money: float, done: bool) -> None:
        self.households.add(household)
        self.measures += 1
        self.money += money
        if done:
            self.done += 1
            self.done_money += money

    def cells(self) -> list[object]:
        return [len(self.households), self.measures, round(self.money, 2), self.done, round(self.done_money, 2)]


@dataclass
class MeasureCounts:
    by_unit: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    unit_department: dict[str, str | None] = field(default_factory=dict)
    by_department: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_town: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    total: Tally = field(default_factory=Tally)


def unit_map(config: Config, departments: Mapping[str, Department]) -> UnitMap:
    """责任单位 → department, knowing the district's own place names that may stand before one (曲江区, 马坝镇)."""
    settings = config.settings
    return UnitMap(departments, [settings.district, *settings.towns])


def measure_cells(config: Config, units: UnitMap, counts: MeasureCounts,
                  rows: Iterable[MeasureRow]) -> Iterator[list[object]]:
    """One 帮扶措施 row per stored measure; counts the measures of households on file into `counts`."""
    specs = [(c, c.key) for c in measure_spec_columns(config)]
    for r in rows:
        d = r.data
        unit = d.get("responsible")
        department = units.department_of(unit)
        if r.on_file:
            money = d.get("funds")
            amount = float(money) if isinstance(money, (int, float)) and not isinstance(money, bool) else 0.0
            done = d.get("progress") == DONE
            household = f"{r.town}\t{r.village}\t{r.head_id}"
            name = unit_key(unit) and str(unit).strip() or TEXT["measures.no_unit"]
            counts.by_unit[name].add(household, amount, done)
            counts.unit_department.setdefault(name, department)
            if department is not None:
                counts.by_department[department].add(household, amount, done)
            counts.by_town[r.town].add(household, amount, done)
            counts.total.add(household, amount, done)
        yield [r.town, r.village, r.household_no, r.head_name, r.head_id, r.state, "在册" if r.on_file else REMOVED,
               *(schema_value(c, d.get(key)) for c, key in specs), department]


def write_measure_counts(wb, fmt: Formats, config: Config, departments: Mapping[str, Department],
                         counts: MeasureCounts) -> None:
    """帮扶措施统计: by 责任单位 (with its department), by department, by town; each with its 合计 row."""
    sheet = wb.add_worksheet(COUNTS_SHEET)
    total_row = ["合计", None, *counts.total.cells()]
    tables: list[tuple[str, list[Col], list[list[object]]]] = [
        (TEXT["measures.by_unit"], [Col("责任单位", 22, "wrap"), Col(DEPARTMENT.header, SECOND)],
         [[name, counts.unit_department.get(name), *t.cells()] for name, t in sorted(
             counts.by_unit.items(), key=lambda kv: (-kv[1].measures, kv[0]))] + [total_row]),
        (TEXT["measures.by_department"], [Col("部门", 22, "wrap"), Col("部门全称", SECOND)],
         [[name, departments[name].title, *counts.by_department[name].cells()]
          for name in departments if name in counts.by_department]),
        (TEXT["measures.by_town"], [Col("镇", 22, "wrap"), Col("村数", SECOND, "int")],
         [[town, len({h.split("\t")[1] for h in counts.by_town[town].households}), *counts.by_town[town].cells()]
          for town in config.settings.towns if town in counts.by_town] + [total_row]),
    ]
    last = 1 + len(COUNT_COLUMNS)
    sheet.set_row(0, 24)
    sheet.merge_range(0, 0, 0, last, TEXT["measures.counts_title"].format(district=config.settings.district),
                      fmt.title)
    sheet.set_row(1, 44)
    sheet.merge_range(1, 0, 1, last, TEXT["measures.counts_note"], fmt.note)
    r = 3
    for title, first, rows in tables:
        sheet.write_string(r, 0, title, fmt.bold)
        n = write_table(sheet, fmt, [*first, *COUNT_COLUMNS], rows, first_row=r + 1, freeze=False,
                        autofilter=False, header_lines=2)
        r += n + 3
    apply_xlsxwriter(sheet, PageLayout(landscape=False, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, max(r - 2, 0), last), across_first=False,
                                       gridlines=False))


def department_config(root: Path) -> DepartmentsConfig | None:
    """The workspace's rules/departments.yaml (None when it cannot be read: 对应部门 is then left empty; the
    department lists say what is wrong with it)."""
    try:
        return load_departments(root / "rules")
    except ConfigError:
        return None


def write_measures(wb, fmt: Formats, store: Store, config: Config, root: Path, big_sheet) -> None:
    """Both sheets; `big_sheet(name, columns, rows, identity)` streams the rows as the master's big sheets are."""
    loaded = department_config(root)
    departments = loaded.departments if loaded is not None else {}
    counts = MeasureCounts()
    units = unit_map(config, departments)
    big_sheet(MEASURES_SHEET, measure_columns(config),
              measure_cells(config, units, counts, store.views.master_measures()), IDENTITY)
    write_measure_counts(wb, fmt, config, departments, counts)
