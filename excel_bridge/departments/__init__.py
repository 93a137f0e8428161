"""Department screening (部门筛查预警, plan 四(三), 七(一)(二)): department lists in, warnings out, data
shared back. Reading, rules, matching and reconciling need no ledger (below); three modules take them into the
ledger and the workbooks, and are what the processing pass calls, one line each:

    apply.apply_department_file(store, ws, config, path, received=…, as_of=…) → DeptOutcome (.line to print)
        a file from apply.department_files(ws): archived, applied once, reconciled, persisted, 反馈/部门/ note
    verdicts.read_department_decisions(path) / apply_department_decisions(store, rows, town=…, sha256=…,
        file_name=…, config=…, today=…): the town's 部门预警 read back beside its household decisions
    share_back.monthly_exports(store, ws, config, as_of): the monthly share-back into 区级/部门共享/

The pure interface those build on, in the order they are used:

    config = load_departments(ws.root / "rules")          # rules/departments.yaml (workspace copy, else bundled)
    dept, note = department_of(path, ws.departments, config)  # by its folder 部门数据/<部门>/; else a note
                                                           #   (DEPT_FOLDER_UNKNOWN) and nothing changes
    dlist = read_list(path, dept)
        # → DepartmentList: rows (pandas: sheet, row, person_id, id_text, name, town, one column per fact),
        #   issues (one Issue per bad row: DEPT_ID_AS_NUMBER / _FORMAT / _BIRTH / _CHECKSUM / _BLANK …),
        #   fingerprint (content hash: the same list dropped twice, or re-saved, or exported as csv instead of
        #   xlsx, has the same one — apply a list once), sha256 (file bytes, for the archive), and
        #   note: when set, the list cannot be used at all (unreadable, no ID column, a required fact
        #   missing, wrong folder) — rows is empty, nothing may change; explain(dlist) is the text for
        #   反馈/部门/<部门>_说明.txt.
    result = evaluate(dlist, ledger_people, received=day, area=Area.of(settings, config))
        # ledger_people: a DataFrame of the ledger's members, columns model.LEDGER_COLUMNS (person_id,
        #   household, town, village, household_type, state, on_file, dibao, tekun, disability_type,
        #   disability_grade) — the store feeds it, e.g. with one query; ledger_frame() conforms it.
        # → Evaluation: warnings (DepartmentWarning: department, rule id, person, name, risk type, the fact
        #   sentence, household, town, village, received, deadline), unmatched (未在台账中的人员 a rule would warn
        #   about, with the town where it can be known), counts, by_town (the 部门比对 figures of this list).
    changes = reconcile(open_warnings, result.warnings, department=dept.name, listed=dlist.listed,
                        verified=verified_outcomes)
        # → Changes: new (open them), kept (stay open), withdrawn (close as 部门已撤销), already_verified.
        #   Pure: the store persists it. Only open warnings go in, so a verified outcome is never closed.
    write_share_export(path, ShareData(...))               # the workbook pushed to 民政 (plan 七(二))

Demo lists for a demo district: demo_lists.write_demo_lists(folder, demo_lists.people_frame(villages), …).
"""

from __future__ import annotations

import importlib
from typing import Any

# what each name of the package comes from: imported when first asked for, so that a worker reading a town's
# 部门预警 (verdicts) or a village file does not load pandas with the package. No module is named like a name
# it exports (evaluation.evaluate, not evaluate.evaluate): importing a module sets the package attribute of its name
_EXPORTS = {
    "Department": "config", "DepartmentsConfig": "config", "load_departments": "config",
    "Area": "evaluation", "evaluate": "evaluation",
    "explain": "explanation",
    "LEDGER_COLUMNS": "model", "Counts": "model", "DepartmentList": "model", "DepartmentWarning": "model",
    "Evaluation": "model", "Unmatched": "model", "ledger_frame": "model",
    "department_of": "reading", "read_list": "reading",
    "WITHDRAWN": "reconciliation", "Changes": "reconciliation", "Verified": "reconciliation",
    "Withdrawal": "reconciliation", "reconcile": "reconciliation",
    "ShareData": "share", "ShareHousehold": "share", "ShareMeasure": "share", "ShareMember": "share",
    "write_share_export": "share",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
