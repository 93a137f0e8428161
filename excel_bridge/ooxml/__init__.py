"""A small OOXML editor: open a plain .xlsx, edit cells, styles, columns, protection and comments, add
sheets, and save — every part it does not touch is kept byte for byte as the clerk's program wrote it.

This is what keeps a returned copy faithful (pictures, charts, form controls, WPS extensions survive,
which an openpyxl load/save would drop) and fast (no Python object per cell). Anything it does not edit
safely — an unusual layout, a macro workbook, a part with a DTD or beyond the XML parser's limits —
raises Unsupported, and the caller takes the openpyxl path instead.

    package = Package(data)
    sheet = package.sheet("户信息")
    sheet.set_style(2, 8, package.styles.xf(sheet.style_of(2, 8), Look(fill="FFC7CE")))
    sheet.set_comment(2, 8, Comment("…", "excel_bridge"))
    package.add_sheet(NewSheet("问题清单", rows=[[("序号", None)]]), 0)
    data = package.to_bytes()
"""

from .comments import Comment
from .markup import Unsupported, cell_ref, split_ref
from .newsheet import NewSheet
from .package import Package
from .sheet import Sheet
from .styles import Look, Styles

__all__ = ["Comment", "Look", "NewSheet", "Package", "Sheet", "Styles", "Unsupported", "cell_ref", "split_ref"]
