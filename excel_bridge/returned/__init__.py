"""The returned copy (反馈): the clerk's own workbook, values untouched, with every problem marked in its
cell, the system columns on 户信息 (protected), a 问题清单 sheet linking to each cell, and a 回执.

plan.py decides what the copy adds; via_xml.py (a plain .xlsx, through ooxml) and via_openpyxl.py (every
other format, and the fallback) apply it; write.py chooses between them and places the file.
"""

from .plan import ISSUES_SHEET, MARK, RECEIPT_SHEET, Plan, Status, plan_copy
from .write import default_output, write_returned_copy

__all__ = ["ISSUES_SHEET", "MARK", "RECEIPT_SHEET", "Plan", "Status", "default_output", "plan_copy",
           "write_returned_copy"]
