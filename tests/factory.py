"""Small, explicit village workbooks for tests, written through the project's own template writer."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from excel_bridge.config import Config
from excel_bridge.idcard import make_id
from excel_bridge.writers.template import write_village_workbook

AS_OF = dt.date(2021, 12, 20)

HEAD_A = make_id("440205", dt.date(1970, 3, 5), 11)     # male
WIFE_A = make_id("440205", dt.date(1972, 6, 1), 22)     # female
SON_A = make_id("440205", dt.date(2008, 9, 9), 33)      # male, a pupil
HEAD_B = make_id("440205", dt.date(1950, 1, 20), 44)    # female, lives alone


def household(head_id: str = HEAD_A, **over: Any) -> dict[str, Any]:
    row = {
        "household_no": None, "town": "马坝镇", "village": "石塘村", "group": "一组", "head_name": "陈伟",
        "head_id": head_id, "phone": "13800138000", "household_type": "普通农户", "size": 3,
        "lead_source": "入户走访", "income_year": 2021, "wage_income": 30000, "business_income": 6000,
        "property_income": 0, "transfer_income": 3000, "business_cost": 3000, "per_capita_income": None,
        "prev_per_capita_income": None, "medical_expense": 0, "other_rigid_expense": 0,
        "food_clothing": "是", "education_secure": "是", "medical_secure": "是", "housing_secure": "是",
        "water_secure": "是", "main_risk": None, "other_risk_1": None, "other_risk_2": None, "consent": "是",
        "contact_person": None, "contact_phone": None, "identified_date": None, "note": None,
    }
    row.update(over)
    return row


def member(head_id: str, person_id: str, relation: str, **over: Any) -> dict[str, Any]:
    row = {
        "head_id": head_id, "name": "陈伟", "person_id": person_id, "relation": relation, "sex": None,
        "birth_date": None, "education": "初中", "schooling": None, "health": "健康", "disability_type": None,
        "disability_grade": None, "labour": "普通劳动力", "work_months": 10, "medical_insurance": "是",
        "dibao": "否", "tekun": "否", "disabled_care": "否",
    }
    row.update(over)
    return row


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """Two valid households: A (3 people, income 12000/person) and B (an old woman alone, income 8000)."""
    return copy.deepcopy({
        "household": [
            household(HEAD_A),
            household(HEAD_B, head_name="李秀英", size=1, household_type="脱贫户", wage_income=0,
                      business_income=2000, transfer_income=6500, business_cost=500, phone="0751-6669428"),
        ],
        "member": [
            member(HEAD_A, HEAD_A, "户主", name="陈伟", sex="男", birth_date=dt.date(1970, 3, 5)),
            member(HEAD_A, WIFE_A, "配偶", name="黄丽", sex="女"),
            member(HEAD_A, SON_A, "之子", name="陈强", education=None, schooling="初中", labour="无劳动力",
                   work_months=0),
            member(HEAD_B, HEAD_B, "户主", name="李秀英", sex="女", labour="弱劳动力或半劳动力", work_months=0),
        ],
        "measure": [],
        "review": [],
    })


def write(path: Path, config: Config, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    write_village_workbook(path, config, town="马坝镇", village="石塘村", rows=rows or base_rows(),
                           created=dt.datetime(2021, 12, 20))
    return path
