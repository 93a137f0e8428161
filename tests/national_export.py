"""Real national-system exports for the tests and the bench: the person-level list (全国防返贫监测信息系统, the 32
columns of DOMAIN.md, two title rows above the header), the wider export (致贫/返贫风险1…5, assistance columns,
dates as YYYYMM), as xlsx (XlsxWriter), .xls (LibreOffice converts the xlsx) and csv (UTF-8 with BOM, as the
system saves it). Values look like the system's: IDs with valid check digits, 户编号 of 14 digits, 之子 / 中职一年级."""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from excel_bridge.idcard import make_id

HEADERS_32 = ["序号", "数据日期", "县(市、区、旗)", "乡(镇)", "行政村", "自然村", "户编号", "人编号", "姓名", "证件号码", "人数",
              "与户主关系", "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工时间（月）", "是否参加大病保险",
              "致贫原因1", "危房户", "是否解决安全饮用水", "人均纯收入", "户联系电话", "人联系电话", "首次识别时间",
              "人员识别时间", "户类型", "易返贫致贫户(监测对象)类型", "风险是否消除", "风险识别时间", "风险消除时间"]
WIDE_EXTRA = ["致贫/返贫风险2", "致贫/返贫风险3", "致贫/返贫风险4", "致贫/返贫风险5", "风险消除方式", "就业帮扶", "公益性岗位",
              "健康帮扶", "教育帮扶", "住房安全保障", "饮水安全保障", "搬迁", "享受低保政策情况", "享受特困供养政策情况",
              "整户无劳动能力兜底保障户"]
TITLE = "全国防返贫监测信息系统 监测对象名单"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


@dataclass
class Person:
    name: str
    person_id: str
    relation: str
    education: str = ""
    schooling: str = ""
    health: str = "健康"
    labour: str = "普通劳动力"
    work_months: int | str = ""
    insured: str = "是"
    dibao: str = "否"
    tekun: str = "否"


@dataclass
class NationalHousehold:
    number: str
    town: str
    village: str
    group: str
    persons: list[Person]
    household_type: str = "脱贫户"
    category: str = ""  # 易返贫致贫户(监测对象)类型: filled = identified
    eliminated: str = ""  # 风险是否消除
    identified: str = ""  # 风险识别时间 (as the export writes it)
    eliminated_on: str = ""  # 风险消除时间
    risks: list[str] = field(default_factory=list)
    income: float = 12000.0
    phone: str = "13800138000"
    dangerous_house: str = "否"
    water: str = "是"
    measures: list[str] = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.persons[0]


def person_id(birth: dt.date, seq: int, region: str = "440205") -> str:
    return make_id(region, birth, seq % 1000)


def household(number: str, town: str, village: str, *, seed: int, size: int = 3, **over: Any) -> NationalHousehold:
    """A household of `size` persons: head, spouse, then children (a pupil in 中职一年级)."""
    rnd = random.Random(seed)
    surname = SURNAMES[seed % len(SURNAMES)]
    base = 1950 + seed % 30
    persons = [Person(surname + rnd.choice(GIVEN) + rnd.choice(GIVEN), person_id(dt.date(base, 3, 5), 2 * seed + 1),
                      "户主", education="初中", work_months=10)]
    if size >= 2:
        persons.append(Person(rnd.choice(SURNAMES) + rnd.choice(GIVEN), person_id(dt.date(base + 2, 6, 1), 2 * seed),
                              "配偶", education="小学", health="长期慢性病", labour="弱劳动力"))
    for k in range(2, size):
        persons.append(Person(surname + rnd.choice(GIVEN), person_id(dt.date(2006 + k, 9, 9), (7 * seed + k) % 1000),
                              "之子" if k % 2 else "之女", schooling="中职一年级" if k == 2 else "小学三年级",
                              labour="无劳动力"))
    hh = NationalHousehold(number, town, village, "一组", persons)
    for k, v in over.items():
        setattr(hh, k, v)
    return hh


def national_number(town_code: int, village_code: int, n: int) -> str:
    """A 14-digit national 户编号 (区划 6 + 镇 2 + 村 2 + 4)."""
    return f"440205{town_code:02d}{village_code:02d}{n:04d}"


def rows_of(households: list[NationalHousehold], *, wide: bool = False, yyyymm: bool = False) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for hh in households:
        for p in hh.persons:
            identified = hh.identified.replace("-", "")[:6] if yyyymm and hh.identified else hh.identified
            eliminated = hh.eliminated_on.replace("-", "")[:6] if yyyymm and hh.eliminated_on else hh.eliminated_on
            row: list[Any] = [
                len(rows) + 1, "2021-12", "曲江区", hh.town, hh.village, hh.group, hh.number,
                hh.number + f"{hh.persons.index(p) + 1:02d}", p.name, p.person_id, len(hh.persons), p.relation, "汉族",
                p.education, p.schooling, p.health, p.labour, p.work_months, p.insured,
                hh.risks[0] if hh.risks else "", hh.dangerous_house, hh.water, hh.income, hh.phone, "",
                "2014-10", "2014-10", hh.household_type, hh.category, hh.eliminated, identified, eliminated]
            if wide:
                risks = hh.risks[1:5] + [""] * (4 - len(hh.risks[1:5]))
                assistance = ["是" if m in hh.measures else "否"
                              for m in ("就业帮扶", "公益性岗位", "健康帮扶", "教育帮扶", "住房安全保障", "饮水安全保障", "搬迁")]
                row += [*risks, "", *assistance, "享受" if p.dibao == "是" else "未享受",
                        "享受" if p.tekun == "是" else "未享受", "否"]
            rows.append(row)
    return rows


def headers(*, wide: bool = False) -> list[str]:
    return HEADERS_32 + (WIDE_EXTRA if wide else [])


def write_xlsx(path: Path, households: list[NationalHousehold], *, wide: bool = False, yyyymm: bool = False,
               title_rows: int = 2) -> Path:
    """The export as the system saves it: a title, a line with the date of the data, then the header; IDs and
    户编号 as text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Sheet1")
    r = 0
    if title_rows >= 1:
        sheet.write_string(r, 0, TITLE)
        r += 1
    if title_rows >= 2:
        sheet.write_string(r, 0, "导出时间：2021-12-20    数据截至：2021-12")
        r += 1
    for c, h in enumerate(headers(wide=wide)):
        sheet.write_string(r, c, h)
    for row in rows_of(households, wide=wide, yyyymm=yyyymm):
        r += 1
        for c, v in enumerate(row):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                sheet.write_number(r, c, v)
            elif v != "":
                sheet.write_string(r, c, str(v))
    book.close()
    return path


def write_csv(path: Path, households: list[NationalHousehold], *, wide: bool = False, yyyymm: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([TITLE])
        out.writerow(["导出时间：2021-12-20"])
        out.writerow(headers(wide=wide))
        out.writerows(rows_of(households, wide=wide, yyyymm=yyyymm))
    return path


def write_xls(path: Path, households: list[NationalHousehold], *, wide: bool = False) -> Path:
    """The xlsx converted by LibreOffice (the national system's own .xls)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("soffice is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        src = write_xlsx(Path(tmp) / (path.stem + ".xlsx"), households, wide=wide)
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "xls",
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=180)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / (path.stem + ".xls"), path)
    return path


def district(towns: dict[str, list[str]], per_village: int, *, seed: int = 1, identified_share: float = 0.3,
             eliminated_share: float = 0.1) -> list[NationalHousehold]:
    """A whole district's export: `per_village` households in each village; some identified (帮扶中), some of
    those eliminated, the rest 脱贫户 not monitored."""
    rnd = random.Random(seed)
    out = []
    n = 0
    for t, (town, villages) in enumerate(towns.items(), start=1):
        for v, village in enumerate(villages, start=1):
            for k in range(per_village):
                n += 1
                hh = household(national_number(t, v, k + 1), town, village, seed=n, size=1 + rnd.randrange(5))
                roll = rnd.random()
                if roll < identified_share:
                    hh.category = rnd.choice(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"])
                    hh.identified = f"2021-{1 + rnd.randrange(9):02d}"
                    hh.risks = [rnd.choice(["因病", "因残", "因学", "因意外事故", "因务工就业不稳"])]
                    if roll < eliminated_share:
                        hh.eliminated, hh.eliminated_on = "是", "2021-11"
                    else:
                        hh.eliminated = "否"
                out.append(hh)
    return out


def unique_ids(households: list[NationalHousehold]) -> list[NationalHousehold]:
    """Give every person of a generated district a distinct ID (the seed-based ones may meet at scale)."""
    seq = 0
    for hh in households:
        for p in hh.persons:
            seq += 1
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=seq // 1000)  # distinct (birth, sequence) for each
            p.person_id = make_id("440205", birth, seq % 1000)
    return households
