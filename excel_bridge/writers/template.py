"""The village workbook (村级监测台账): instructions, the four sheets, dropdowns, formats, hidden meta.

The same writer makes the blank template, the committed example and every demo village file, so what
the tests and benchmark read is exactly what clerks receive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..config import Config
from ..errors import UsageError
from ..internals import xf_index
from ..messages import TEXT, os_problem
from ..read import META_SHEET
from ..schema import SHEET_KINDS, ColumnSpec, SheetSpec
from .common import (
    DATE_FORMAT,
    HEADER_FILL,
    LIST_SHEET,
    MAX_INPUT_ROWS,
    SYSTEM_FILL,
    TO_FILL,
    Placed,
    fit_width,
    meta_rows,
    place_atomically,
)
from .prefilled_cells import CellStyles, rows_xml, splice_rows
from .printing import PageLayout, apply_xlsxwriter, plan_page
from .village_inputs import column_check, column_note, number_format, xlsxwriter_validation

TEMPLATE_KIND = "excel_bridge.village"
FREEZE_COLUMNS = {"household": 5, "member": 2}  # keep 户编号…户主姓名 / 户主身份证号、姓名 in view

INSTRUCTIONS = [
    "1. 本台账一村一份，包含“户信息”“家庭成员”“帮扶措施”“评议公示”四张表，请不要改动工作表名称和表头。",
    "2. 户信息每户一行；家庭成员每人一行（包括户主本人，“与户主关系”选“户主”）；帮扶措施每项措施一行；评议公示每次评议一行。",
    "3. 四张表都用“户主身份证号”关联到同一户，请确保与“户信息”中一致。",
    "4. 身份证号、户编号、电话列已设为文本格式，请直接输入完整号码；若从其他表格粘贴，请选择“只粘贴数值/文本”，避免变成科学计数法。",
    "5. 带下拉箭头的列请从下拉列表中选择；日期请按 2021-08-11 的格式填写；金额单位为元，只填数字。",
    "6. 表头为红色的列必须填写，黑色的列可以不填。选中表头可以看到该列的填写说明。",
    "7. 人均纯收入可以不填，系统会按（四项收入−生产经营性支出）÷家庭人口数自动计算。",
    "8. 保存后放入镇里的共享文件夹，几分钟内会收到“反馈”文件：有问题的格子标成红色（错误）或黄色（提示），批注中写明原因和改法。",
    "9. 反馈文件最右侧的灰色列（校验结果、研判结论、流程状态等）由系统填写，请不要修改；可以直接在反馈文件上改正后再次提交。",
    "10. 家庭成员有变动时：离开本户的成员（死亡、婚嫁迁出、分户）不要删除其行，在“减少原因”中选择原因并填写“变动日期”，"
    "这一行不再计入家庭人口数，系统记录后下次提交时可以删去；新增的成员（出生、婚嫁迁入）照常添加一行，选择“增加原因”并填写“变动日期”。",
]


@dataclass(frozen=True)
class SheetExtras:
    """What a pre-filled workbook adds to one sheet: the cells left for the clerk to fill (marked with the to-fill
    colour; what to fill is said once per column, in a comment on its header), and protected columns at the right
    that the system fills (shown, ignored on intake)."""

    marks: AbstractSet[tuple[int, str]] = frozenset()  # (row index, column key) of each cell to fill
    notes: Mapping[str, str] = field(default_factory=dict)  # column key → the comment on its header
    system: Sequence[tuple[str, float, Sequence[Any]]] = ()  # (header, width, one value per row)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook, *, unlocked: bool = False) -> None:
        self.wb = wb
        base: dict[str, Any] = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
        head = dict(base)
        if unlocked:  # a protected sheet: every input cell stays editable, only headers and system columns are not
            base["locked"] = False
        self.header = wb.add_format({**head, "bold": True, "bg_color": "#" + HEADER_FILL, "border": 1,
                                     "text_wrap": True, "align": "center"})
        self.header_required = wb.add_format({**head, "bold": True, "bg_color": "#" + HEADER_FILL, "border": 1,
                                              "text_wrap": True, "align": "center", "font_color": "#C00000"})
        self.text = wb.add_format({**base, "num_format": "@"})
        self.plain = wb.add_format(base)
        self.date = wb.add_format({**base, "num_format": DATE_FORMAT})
        self.money = wb.add_format({**base, "num_format": "0.00"})
        self.integer = wb.add_format({**base, "num_format": "0"})
        self.title = wb.add_format({**base, "bold": True, "font_size": 16})
        self.wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.bold = wb.add_format({**base, "bold": True})
        self.base = base
        self.system_header = wb.add_format({**head, "bold": True, "bg_color": "#" + SYSTEM_FILL, "border": 1,
                                            "text_wrap": True, "align": "center"})
        self.system = wb.add_format({**head, "bg_color": "#" + SYSTEM_FILL, "text_wrap": True})
        self._to_fill: dict[str, Any] = {}

    def to_fill(self, col: ColumnSpec) -> Any:
        """A cell left for the clerk: the column's number format on the to-fill colour."""
        nf = number_format(col) or ""
        if nf not in self._to_fill:
            extra = {"num_format": nf} if nf else {}
            self._to_fill[nf] = self.wb.add_format({**self.base, **extra, "bg_color": "#" + TO_FILL})
        return self._to_fill[nf]

    def for_column(self, col: ColumnSpec) -> Any:
        return {"@": self.text, DATE_FORMAT: self.date, "0.00": self.money, "0": self.integer}.get(
            number_format(col), self.plain)


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: _Formats, col: ColumnSpec) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        ws.write_string(r, c, "是" if value else "否", fmt.text)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, value if isinstance(value, dt.datetime) else
                          dt.datetime(value.year, value.month, value.day), fmt.date)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt.for_column(col) if col.type not in ("id", "phone", "text") else fmt.plain)
    else:
        ws.write_string(r, c, str(value), fmt.for_column(col))


def _write_rows(ws: Any, spec: SheetSpec, fmt: _Formats, rows: Sequence[Mapping[str, Any]]) -> None:
    """The rows' cells, as _write_value writes them; a text or a number (nearly every cell) without its checks,
    each column's formats looked up once."""
    columns = [(c, col, col.key, fmt.for_column(col),
                fmt.plain if col.type in ("id", "phone", "text") else fmt.for_column(col))
               for c, col in enumerate(spec.columns)]
    write_string, write_number = ws.write_string, ws.write_number
    for r, row in enumerate(rows, start=1):
        get = row.get
        for c, col, key, text_format, number_format_ in columns:
            value = get(key)
            kind = type(value)
            if kind is str:
                if value:
                    write_string(r, c, value, text_format)
            elif kind is int or kind is float:
                write_number(r, c, value, number_format_)
            elif value is not None:
                _write_value(ws, r, c, value, fmt, col)


class _Lists:
    """Dropdown values live on one hidden sheet, so lists longer than Excel's 255-character inline limit work.

    References are handed out first; the sheet is written last so it sits after the data sheets.
    """

    def __init__(self) -> None:
        self.refs: dict[tuple[str, ...], str] = {}

    def ref(self, values: Sequence[str]) -> str:
        key = tuple(values)
        if key not in self.refs:
            letter = xl_col_to_name(len(self.refs))
            self.refs[key] = f"='{LIST_SHEET}'!${letter}$1:${letter}${len(key)}"
        return self.refs[key]

    def write(self, wb: xlsxwriter.Workbook) -> None:
        ws = wb.add_worksheet(LIST_SHEET)
        for c, values in enumerate(self.refs):
            for r, v in enumerate(values):
                ws.write_string(r, c, v)
        ws.hide()


def _validation(col: ColumnSpec, allowed: Sequence[str] | None, lists: _Lists) -> dict[str, Any] | None:
    check = column_check(col, allowed)
    if check is None:
        return None
    return xlsxwriter_validation(check, lists.ref(check.choices) if check.choices else None)


def _write_sheet(wb: xlsxwriter.Workbook, spec: SheetSpec, config: Config, fmt: _Formats, lists: _Lists,
                 rows: Sequence[Mapping[str, Any]], extras: SheetExtras | None = None,
                 spliced: dict[str, tuple[str, int, int]] | None = None) -> None:
    """One data sheet. A pre-filled one (`extras`) has its rows made as XML (prefilled_cells) and put into
    `spliced` by part name, for write_village_workbook to splice in once XlsxWriter has written the rest."""
    ws = wb.add_worksheet(spec.sheet)
    schemas = config.schemas
    widths = [fit_width(col.header, col.width, [r.get(col.key) for r in rows[:200]]) for col in spec.columns]
    for c, col in enumerate(spec.columns):
        allowed = schemas.allowed(col) if col.type != "town" else tuple(config.settings.towns)
        ws.set_column(c, c, widths[c], fmt.for_column(col))
        ws.write_string(0, c, col.header, fmt.header_required if col.required else fmt.header)
        message = column_note(col, allowed)[:255]
        ws.data_validation(0, c, 0, c, {"validate": "any", "input_title": col.header[:32],
                                        "input_message": message})
        rule = _validation(col, allowed, lists)
        if rule is not None:
            ws.data_validation(1, c, MAX_INPUT_ROWS, c, rule)
    last_col = len(spec.columns) - 1
    if extras is None or spliced is None:
        _write_rows(ws, spec, fmt, rows)
        if extras is not None:
            last_col += _write_extras(ws, spec, fmt, extras, cells=True)
    else:
        last_col += _write_extras(ws, spec, fmt, extras, cells=False)
        spliced[f"xl/worksheets/sheet{ws.index + 1}.xml"] = (
            rows_xml(_cell_styles(spec, fmt), rows, extras.marks,
                     [(xf_index(fmt.system), values) for _, _, values in extras.system]),
            len(rows), last_col + 1)
    ws.set_row(0, 36)
    ws.freeze_panes(1, FREEZE_COLUMNS.get(spec.kind, 0))
    ws.autofilter(0, 0, max(len(rows), 1), last_col)
    # fitted to as many pages across as keep it legible, who-is-who repeated on each; a blank template prints
    # as a form with empty ruled rows to fill in by hand
    if extras is not None:  # the system columns print too
        widths += [width for _, width, _ in extras.system]
    apply_xlsxwriter(ws, plan_page(widths, last_row=len(rows) if rows else BLANK_FORM_ROWS, header=(0, 0),
                                   identity=FREEZE_COLUMNS.get(spec.kind, 0)))


BLANK_FORM_ROWS = 20  # ruled rows a blank template prints under each header


def _cell_styles(spec: SheetSpec, fmt: _Formats) -> list[CellStyles]:
    """Each column's style indexes, as _write_rows and _write_extras pick the formats."""
    return [CellStyles(col.key, text=xf_index(fmt.for_column(col)),
                       number=xf_index(fmt.plain if col.type in ("id", "phone", "text") else fmt.for_column(col)),
                       yes_no=xf_index(fmt.text), date=xf_index(fmt.date), to_fill=xf_index(fmt.to_fill(col)))
            for col in spec.columns]


def _write_extras(ws: Any, spec: SheetSpec, fmt: _Formats, extras: SheetExtras, *, cells: bool = True) -> int:
    """The marked cells and the system columns of a pre-filled sheet, which is then protected (headers and
    system columns locked; inserting and deleting rows, sorting and filtering allowed). Returns the number
    of system columns written. `cells` False: only the headers, their notes and the columns' formats (the
    rows' cells are spliced in, prefilled_cells)."""
    position = {col.key: (c, col) for c, col in enumerate(spec.columns)}
    to_fill = {key: (c, fmt.to_fill(col)) for key, (c, col) in position.items()}
    for r, key in extras.marks if cells else ():
        c, cell_format = to_fill[key]
        ws.write_blank(r + 1, c, None, cell_format)
    for key, note in extras.notes.items():
        ws.write_comment(0, position[key][0], note, {"x_scale": 1.8, "y_scale": 1.6})
    first = len(spec.columns)
    for i, (header, width, values) in enumerate(extras.system):
        ws.set_column(first + i, first + i, width, fmt.system)
        ws.write_string(0, first + i, header, fmt.system_header)
        for r, value in enumerate(values if cells else (), start=1):
            if value not in (None, ""):
                ws.write_string(r, first + i, str(value), fmt.system)
    ws.protect("", {"insert_rows": True, "delete_rows": True, "sort": True, "autofilter": True,
                    "format_columns": True, "format_rows": True})
    return len(extras.system)


def _write_instructions(wb: xlsxwriter.Workbook, config: Config, fmt: _Formats, town: str | None,
                        village: str | None, *, prefilled: bool = False) -> None:
    ws = wb.add_worksheet("填表说明")
    settings = config.settings
    place = "".join(x for x in (settings.district, town, village) if x)
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 90)
    ws.write_string(0, 0, f"{place}防止返贫动态监测村级台账", fmt.title)
    basis = TEXT["template.basis_number"].format(number=settings.policy_document) if settings.policy_document \
        else TEXT["template.basis"]
    ws.write_string(1, 0, basis, fmt.plain)
    r = 3
    for line in INSTRUCTIONS:
        ws.merge_range(r, 0, r, 2, line, fmt.wrap)
        ws.set_row(r, 32)
        r += 1
    years = "、".join(f"{y}年 {v:g} 元" for y, v in sorted(config.rules.line.lines.items()))
    within = TEXT["template.line_inclusive" if config.rules.line.line_inclusive else "template.line_exclusive"]
    ws.merge_range(r, 0, r, 2, TEXT["template.line"].format(years=years, within=within), fmt.wrap)
    if prefilled:
        r += 1
        ws.merge_range(r, 0, r, 2, TEXT["prefill.instruction"], fmt.wrap)
        ws.set_row(r, 48)
    r += 2
    for kind in SHEET_KINDS:
        spec = config.schemas[kind]
        ws.write_string(r, 0, spec.sheet, fmt.bold)
        ws.write_string(r, 1, "是否必填", fmt.bold)
        ws.write_string(r, 2, "填写要求", fmt.bold)
        r += 1
        for col in spec.columns:
            allowed = config.schemas.allowed(col) if col.type != "town" else tuple(settings.towns)
            ws.write_string(r, 0, col.header, fmt.plain)
            ws.write_string(r, 1, "必填" if col.required else "选填", fmt.plain)
            ws.write_string(r, 2, column_note(col, allowed), fmt.wrap)
            r += 1
        r += 1
    # a document, read upright: one page wide, as many long as it takes
    apply_xlsxwriter(ws, PageLayout(landscape=False, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                    area=(0, 0, r, 2), across_first=False, gridlines=False))
    ws.activate()


def write_village_workbook(path: Path, config: Config, *, town: str | None = None, village: str | None = None,
                           rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                           created: dt.datetime | None = None, extras: Mapping[str, SheetExtras] | None = None,
                           more_meta: Mapping[str, str] | None = None) -> Path:
    """Write the village template (blank, or filled with rows per sheet kind keyed by schema keys). A pre-filled
    workbook (writers/prefilled.py) also hands `extras` per sheet kind (its sheets are then protected) and
    more rows for the hidden sheet in `more_meta`."""
    rows = rows or {}
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": True})  # no temporary files
    wb.set_properties({"title": "村级防止返贫监测台账", "author": "excel_bridge",
                       "created": created or dt.datetime.now()})
    fmt = _Formats(wb, unlocked=extras is not None)
    _write_instructions(wb, config, fmt, town, village, prefilled=extras is not None)
    lists = _Lists()
    spliced: dict[str, tuple[str, int, int]] = {}  # a pre-filled workbook's rows, made as XML
    for kind in SHEET_KINDS:
        _write_sheet(wb, config.schemas[kind], config, fmt, lists, rows.get(kind, ()),
                     None if extras is None else extras.get(kind, SheetExtras()), spliced)
    lists.write(wb)
    meta = wb.add_worksheet(META_SHEET)
    settings = config.settings
    for r, (k, v) in enumerate(meta_rows(TEMPLATE_KIND, config.schemas.version, 区=settings.district,
                                         区划代码=settings.district_code, 镇=town, 村=village, **(more_meta or {}))):
        meta.write_string(r, 0, k)
        meta.write_string(r, 1, v)
    meta.hide()
    wb.close()
    if spliced:
        splice_rows(path, spliced)
    return path


TEMPLATE_NAME = "村级监测台账模板.xlsx"


def write_template(path: Path, config: Config, *, town: str | None = None, village: str | None = None,
                   force: bool = False) -> Placed:
    """The blank template where a user asked for it: never over an existing file unless `force` (it may be a
    filled ledger), only under an .xlsx name (the bytes are xlsx), missing folders made. UsageError (nothing
    written) otherwise; the file appears whole or not at all."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(TEXT["template.is_folder"].format(path=path, suggest=path / TEMPLATE_NAME))
    if path.suffix.lower() != ".xlsx":
        stem = path.stem if path.suffix else path.name
        suggest = path.with_name(f"{stem}.xlsx")
        key = "template.suffix" if path.suffix else "template.no_suffix"
        raise UsageError(TEXT[key].format(name=path.name, suffix=path.suffix, suggest=suggest))
    if path.exists() and not force:
        raise UsageError(TEXT["template.exists"].format(path=path))
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(TEXT["template.folder_failed"].format(folder=folder, reason=os_problem(exc))) from exc
    try:
        return place_atomically(path, lambda tmp: write_village_workbook(tmp, config, town=town, village=village))
    except OSError as exc:
        raise UsageError(TEXT["template.cannot_write"].format(folder=folder, reason=os_problem(exc))) from exc
