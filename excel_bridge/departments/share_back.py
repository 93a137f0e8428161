"""Sharing back (plan 七(二)): the monitored households, from the ledger, in the workbook write_share_export makes
for a department configured with share_back (民政) — on demand (`excel-bridge export 民政 [--since DATE]`) and
once a month into 区级/部门共享/. Only identified households (帮扶中 and the elimination steps): a lead is not
yet a 监测对象, and its people's data are not the department's to have."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from ..config import Config
from ..errors import UsageError
from ..messages import TEXT
from ..store import ShareRow, Store
from ..workflow import ASSISTING, DISTRICT_APPROVE, ELIMINATED, TOWN_ACCEPT
from ..workspace import Workspace
from ..writers.common import Placed
from .config import DepartmentsConfig, load_departments
from .share import ShareData, ShareHousehold, ShareMeasure, ShareMember, shared_member_columns, write_share_export

log = logging.getLogger(__name__)

SHARED_STATES = (ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE)
_MONTH_KEY = "share_month:{department}"  # the ledger's meta entry: the month last written into 区级/部门共享/


def share_data(store: Store, config: Config, department: str, *, until: dt.date,
               since: dt.date | None = None) -> ShareData:
    """The monitored households as the department receives them; with `since`, those whose state changed on or
    after it — households whose risk was eliminated in the period included, so the department learns of it."""
    states = SHARED_STATES + ((ELIMINATED,) if since is not None else ())
    rows = store.departments.share_rows(states=states, since=since)
    columns = shared_member_columns(config.schemas)
    keys = [spec.key for spec, _ in columns]
    return ShareData(district=config.settings.district, department=department, until=until, since=since,
                     households=[_household(r, keys) for r in rows], member_columns=columns)


def _household(r: ShareRow, member_keys: list[str]) -> ShareHousehold:
    h, a = r.household, r.household.assessment
    return ShareHousehold(
        town=h.town, village=h.village, household_no=h.household_no, head_name=h.head_name or "", head_id=h.head_id,
        household_type=h.data.get("household_type"), category=h.category or a.get("category"), state=h.state,
        identified_date=h.identified_date, risk_types=tuple(a.get("risk_types") or ()), changed=r.changed,
        members=tuple(ShareMember({key: m.get(key) for key in (*member_keys, "dibao", "tekun")}) for m in r.members),
        measures=tuple(ShareMeasure(category=m.get("category") or "", content=m.get("content"),
                                    start_date=m.get("start_date"), responsible=m.get("responsible"))
                       for m in r.measures))


def shared_department(ws: Workspace, department: str, *, departments: DepartmentsConfig | None = None) -> str:
    """The department's name if it is one the district shares back to; else a UsageError naming those it does."""
    departments = departments or load_departments(ws.root / "rules")
    allowed = departments.shared_with()
    if department not in allowed:
        raise UsageError(TEXT["share.no_department"].format(department=department,
                                                            choices="、".join(allowed) or "—"))
    return department


def export_share(store: Store, ws: Workspace, config: Config, department: str, *, as_of: dt.date,
                 since: dt.date | None = None, out: Path | None = None) -> tuple[Placed, ShareData]:
    """`excel-bridge export <部门>`: the workbook at `out` (default 区级/部门共享/<部门>_监测对象_<日期>.xlsx)."""
    shared_department(ws, department)
    if out is not None and Path(out).suffix.lower() != ".xlsx":
        raise UsageError(TEXT["share.not_xlsx"].format(path=out))
    target = Path(out) if out is not None else ws.share_dir / TEXT["share.file"].format(
        department=department, stamp=as_of.strftime("%Y%m%d"))
    data = share_data(store, config, department, until=as_of, since=since)
    return write_share_export(target, data), data


def monthly_exports(store: Store, ws: Workspace, config: Config, as_of: dt.date, *,
                    departments: DepartmentsConfig | None = None) -> list[Placed]:
    """Once a month, every share_back department's workbook of all monitored households into 区级/部门共享/
    (<部门>_监测对象_YYYY年MM月.xlsx). Called every pass: a month already written is not written again unless
    its file is gone."""
    departments = departments or load_departments(ws.root / "rules")
    month = f"{as_of:%Y-%m}"
    placed = []
    for department in departments.shared_with():
        target = ws.share_dir / TEXT["share.monthly_file"].format(department=department, year=as_of.year,
                                                                 month=as_of.month)
        key = _MONTH_KEY.format(department=department)
        if store.meta.get(key) == month and target.exists():
            continue
        data = share_data(store, config, department, until=as_of)
        result = write_share_export(target, data)
        with store.atomic():
            store.meta.set(key, month)
        log.info(TEXT["share.log.monthly"], department, ws.key(result.path), len(data.households))
        placed.append(result)
    return placed
