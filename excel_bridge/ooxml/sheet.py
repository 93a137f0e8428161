"""One worksheet of an opened package: cells and their styles, values, columns, protection and comments,
edited in the sheet's own XML so everything else in it (merged cells, validation, drawings) stays."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Collection, Iterator

from lxml import etree

from .cells import WINDOWS_EPOCH, date_serial
from .comments import Comment
from .markup import (
    SHEET_ORDER,
    XML_SPACE,
    Unsupported,
    cell_ref,
    clean_text,
    insert_ordered,
    parse,
    q,
    rels_part,
    serialize,
    split_ref,
)

DEFAULT_WIDTH = "9.140625"  # Excel's width of a column nobody sized
_V, _IS, _T = q("v"), q("is"), q("t")  # a value's tags, made once (a returned copy writes thousands)


class Sheet:
    """One worksheet's XML, with rows indexed at once and each row's cells indexed when first touched."""

    def __init__(self, name: str, part: str, data: bytes, *, epoch: dt.datetime = WINDOWS_EPOCH) -> None:
        self.name = name
        self.part = part
        self.epoch = epoch  # the workbook's date system: 1900 (Windows) or 1904 (old Mac files)
        self.root = parse(data, part=part)
        self._data = self.root.find(q("sheetData"))
        if self._data is None:
            raise Unsupported("no sheetData")
        self._rows: dict[int, etree._Element] = {}
        self._row_cells: dict[int, dict[int, etree._Element]] = {}
        self._c = q("c")
        row_tag = q("row")
        for row in self._data:
            if row.tag != row_tag:
                continue
            r = row.get("r")
            if r is None:
                raise Unsupported("row without r")
            self._rows[int(r)] = row
        self._col_styles: dict[int, int] | None = None
        self.comments: dict[tuple[int, int], Comment] = {}  # as loaded; change through set/delete_comment
        self.comments_changed = False

    @property
    def rels_part(self) -> str:
        """Where this sheet's relationships (comments, drawings, links) are stored."""
        return rels_part(self.part)

    # --- cells ---
    def _cells_of(self, row: int) -> dict[int, etree._Element]:
        cells = self._row_cells.get(row)
        if cells is None:
            cells = {}
            row_el = self._rows.get(row)
            for c in row_el if row_el is not None else ():
                if c.tag != self._c:
                    continue
                ref = c.get("r")
                if ref is None:
                    raise Unsupported("cell without r")
                cells[split_ref(ref)[1]] = c
            self._row_cells[row] = cells
        return cells

    def _cell(self, row: int, col: int) -> etree._Element:
        """The cell element, created (in row and column order) when it does not exist yet."""
        cells = self._cells_of(row)
        c = cells.get(col)
        if c is not None:
            return c
        row_el = self._rows.get(row)
        if row_el is None:
            row_el = etree.Element(q("row"), r=str(row))
            later = [r for r in self._rows if r > row]
            if later:
                self._rows[min(later)].addprevious(row_el)
            else:
                self._data.append(row_el)
            self._rows[row] = row_el
        c = etree.Element(self._c, r=cell_ref(row, col))
        if cells and col < max(cells):
            cells[min(n for n in cells if n > col)].addprevious(c)
        else:
            row_el.append(c)  # the common case: a new column at the right end
        if row_el.get("spans"):  # spans is an optimisation hint; a stale one is worse than none
            del row_el.attrib["spans"]
        cells[col] = c
        return c

    def cell_styles(self) -> Iterator[tuple[int, int, int]]:
        """(row, col, style index) of every cell that exists, row by row."""
        for r in sorted(self._rows):
            for c, el in list(self._cells_of(r).items()):
                yield r, c, int(el.get("s", "0"))

    def restyle(self, new_style: Callable[[int], int], *, skip_columns: Collection[int] = ()) -> None:
        """Every cell that exists, outside `skip_columns`, takes the style new_style(its style): one walk over
        the cells (a village's 户信息 has thousands), each style worked out once."""
        memo: dict[str, str] = {}
        for row in self._rows:
            for col, el in self._cells_of(row).items():
                if col in skip_columns:
                    continue
                old = el.get("s", "0")
                new = memo.get(old)
                if new is None:
                    new = memo[old] = str(new_style(int(old)))
                el.set("s", new)

    def style_of(self, row: int, col: int) -> int:
        """The style a cell shows: its own, else its row's, else its column's."""
        c = self._cells_of(row).get(col)
        if c is not None and c.get("s"):
            return int(c.get("s"))
        row_el = self._rows.get(row)
        if row_el is not None and row_el.get("customFormat") == "1" and row_el.get("s"):
            return int(row_el.get("s"))
        return self.col_styles().get(col, 0)

    def set_style(self, row: int, col: int, xf: int) -> None:
        self._cell(row, col).set("s", str(xf))

    def set_value(self, row: int, col: int, value: object, xf: int | None = None) -> None:
        """Write a value (text inline, numbers, dates as serials in the workbook's date system); None empties."""
        c = self._cell(row, col)
        for child in list(c):
            c.remove(child)
        c.attrib.pop("t", None)
        if xf is not None:
            c.set("s", str(xf))
        if value is None or value == "":
            return
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            etree.SubElement(c, _V).text = str(date_serial(value, self.epoch))
        elif isinstance(value, (int, float)):
            etree.SubElement(c, _V).text = repr(value) if isinstance(value, float) else str(value)
        else:
            c.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(c, _IS), _T)
            t.text = clean_text(str(value))
            if t.text != t.text.strip() or "\n" in t.text:
                t.set(XML_SPACE, "preserve")

    def clear(self, row: int, col: int) -> None:
        """Empty a cell's value, keeping its style."""
        c = self._cells_of(row).get(col)
        if c is not None:
            for child in list(c):
                c.remove(child)
            c.attrib.pop("t", None)

    # --- columns ---
    def col_styles(self) -> dict[int, int]:
        """Column number → the style empty cells of that column take."""
        if self._col_styles is None:
            styles: dict[int, int] = {}
            cols = self.root.find(q("cols"))
            for col in cols if cols is not None else ():
                for n in range(int(col.get("min")), int(col.get("max")) + 1):
                    styles[n] = int(col.get("style", "0"))
            self._col_styles = styles
        return self._col_styles

    def set_columns(self, widths: dict[int, float], styles: dict[int, int]) -> None:
        """Widths (for the given columns) and default styles (for new rows), never overlapping ranges."""
        cols = self.root.find(q("cols"))
        if cols is None:
            cols = etree.Element(q("cols"))
            insert_ordered(self.root, cols, SHEET_ORDER)
        singles: dict[int, etree._Element] = {}
        for col in list(cols):
            lo, hi = int(col.get("min")), int(col.get("max"))
            cols.remove(col)
            for n in range(lo, hi + 1):
                one = copy.deepcopy(col)
                one.set("min", str(n))
                one.set("max", str(n))
                singles[n] = one
        for n in sorted(set(widths) | set(styles)):
            one = singles.get(n)
            if one is None:
                one = etree.Element(q("col"), min=str(n), max=str(n), width=DEFAULT_WIDTH)
                singles[n] = one
            if n in widths:
                one.set("width", f"{widths[n]:.2f}")
                one.set("customWidth", "1")
            if n in styles:
                one.set("style", str(styles[n]))
        for n in sorted(singles):
            cols.append(singles[n])
        self._col_styles = {n: int(c.get("style", "0")) for n, c in singles.items()}

    def column_widths(self, last: int) -> list[float]:
        """Widths (character units) of columns 1…last as they print: a hidden column takes none, a column
        nobody sized the sheet's default."""
        fmt = self.root.find(q("sheetFormatPr"))
        default = float(fmt.get("defaultColWidth") or (float(fmt.get("baseColWidth") or 8) + 1.14)) \
            if fmt is not None else float(DEFAULT_WIDTH)
        widths = {n: default for n in range(1, last + 1)}
        cols = self.root.find(q("cols"))
        for col in cols if cols is not None else ():
            for n in range(int(col.get("min")), min(int(col.get("max")), last) + 1):
                hidden = col.get("hidden") in ("1", "true")
                widths[n] = 0.0 if hidden else float(col.get("width") or default)
        return [widths[n] for n in range(1, last + 1)]

    def last_row(self) -> int:
        return max(self._rows, default=1)

    def grow_row(self, row: int, height: float) -> None:
        """At least `height` points tall (a row the clerk made taller stays so)."""
        row_el = self._rows.get(row)
        if row_el is None:
            self._cell(row, 1)
            row_el = self._rows[row]
        if float(row_el.get("ht") or 0) < height:
            row_el.set("ht", f"{height:.1f}")
            row_el.set("customHeight", "1")

    # --- printing ---
    def set_page_setup(self, *, landscape: bool, pages_wide: int, across_first: bool, gridlines: bool,
                       margins: dict[str, float], header: str, footer: str) -> None:
        """A4, fitted to `pages_wide` pages across and as many down as needed; replaces the sheet's own."""
        props = self.root.find(q("sheetPr"))
        if props is None:
            props = etree.Element(q("sheetPr"))
            insert_ordered(self.root, props, SHEET_ORDER)
        fit = props.find(q("pageSetUpPr"))
        if fit is None:
            fit = etree.Element(q("pageSetUpPr"))
            # CT_SheetPr: tabColor, outlinePr, pageSetUpPr — the last of them
            props.append(fit)
        fit.set("fitToPage", "1")
        for tag in ("printOptions", "pageMargins", "pageSetup", "headerFooter"):
            old = self.root.find(q(tag))
            if old is not None:
                self.root.remove(old)
        if gridlines:
            insert_ordered(self.root, etree.Element(q("printOptions"), gridLines="1"), SHEET_ORDER)
        insert_ordered(self.root, etree.Element(q("pageMargins"), **{k: str(v) for k, v in margins.items()},
                                                header="0.3", footer="0.3"), SHEET_ORDER)
        setup = etree.Element(q("pageSetup"), paperSize="9", fitToWidth=str(pages_wide), fitToHeight="0",
                              orientation="landscape" if landscape else "portrait")
        if across_first:
            setup.set("pageOrder", "overThenDown")
        insert_ordered(self.root, setup, SHEET_ORDER)
        hf = etree.Element(q("headerFooter"))
        etree.SubElement(hf, q("oddHeader")).text = header
        etree.SubElement(hf, q("oddFooter")).text = footer
        insert_ordered(self.root, hf, SHEET_ORDER)

    # --- protection and views ---
    def protect(self) -> None:
        """Sheet protection without a password; formatting, inserting rows, sorting and filtering stay allowed."""
        old = self.root.find(q("sheetProtection"))
        if old is not None:
            self.root.remove(old)
        prot = etree.Element(q("sheetProtection"), sheet="1", objects="1", scenarios="1", formatCells="0",
                             formatColumns="0", formatRows="0", insertRows="0", sort="0", autoFilter="0")
        insert_ordered(self.root, prot, SHEET_ORDER)

    def deselect(self) -> None:
        """Not a selected tab (another sheet is the one the workbook opens on). The views are the children of
        the worksheet's sheetViews (CT_SheetViews), looked up there: a walk of the whole part was a walk of every
        cell (~2 ms a sheet of a 250-household village, three sheets a returned copy)."""
        views = self.root.find(q("sheetViews"))
        for view in views.findall(q("sheetView")) if views is not None else ():
            view.attrib.pop("tabSelected", None)

    # --- comments ---
    def comment(self, row: int, col: int) -> Comment | None:
        return self.comments.get((row, col))

    def set_comment(self, row: int, col: int, comment: Comment) -> None:
        self.comments[(row, col)] = comment
        self.comments_changed = True

    def delete_comment(self, row: int, col: int) -> None:
        if self.comments.pop((row, col), None) is not None:
            self.comments_changed = True

    # --- saving ---
    def _update_dimension(self) -> None:
        if not self._rows:
            return
        max_row = max(self._rows)
        max_col = 0
        for row_el in self._rows.values():  # cells are in column order: the last one is the right-most
            for c in reversed(row_el):
                if c.tag == self._c:
                    max_col = max(max_col, split_ref(c.get("r"))[1])
                    break
        if max_col == 0:
            return
        dim = self.root.find(q("dimension"))
        if dim is None:
            dim = etree.Element(q("dimension"))
            insert_ordered(self.root, dim, SHEET_ORDER)
        dim.set("ref", f"A1:{cell_ref(max_row, max_col)}")

    def data(self) -> bytes:
        self._update_dimension()
        return serialize(self.root)
