"""Department lists for a demo district, in the shapes departments really export: 医保 as an .xlsx under title
rows with a 合计 row and a signature line, 民政 as a GBK .csv, 残联 with a two-level merged header, 住建 plain,
人社 as a UTF-8 .csv with a BOM. Each mixes people who should be warned about, people who should not,
people in no household of the ledger and a few malformed rows — and returns what it planted, so a test
can compare what the reader and the rules find with what was put there."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter

from ..demo_names import Village
from ..demo_names import person_name as _name
from ..idcard import birth_date, make_id
from ..workflow import ASSISTING, LEAD
from .model import ledger_frame

OUTSIDE_CODE = "440222"  # 始兴县: a neighbouring county
OLD_DISTRICT_CODE = "440221"  # 曲江县 before 2004: still this district


@dataclass
class Planted:
    """What one demo list contains, by construction."""

    department: str
    path: Path
    warnings: dict[str, set[str]] = field(default_factory=dict)  # person in the ledger → rule ids
    unmatched: dict[str, set[str]] = field(default_factory=dict)  # person not in the ledger → rule ids
    quiet: set[str] = field(default_factory=set)  # in the ledger, listed, no rule fires
    problems: dict[int, str] = field(default_factory=dict)  # row (Excel row / text line) → issue code


def people_frame(villages: Iterable[Village]) -> pd.DataFrame:
    """The ledger's people of demo villages as evaluate() takes them (household key = head's ID; a household
    identified before is 帮扶中, any other 线索 — a demo has no decisions yet)."""
    records = []
    for village in villages:
        households = {h["head_id"]: h for h in village.rows["household"]}
        for m in village.rows["member"]:
            h = households.get(m["head_id"])
            if h is None or not isinstance(m["person_id"], str):
                continue
            records.append({"person_id": m["person_id"], "household": h["head_id"], "town": village.town,
                            "village": village.name, "household_type": h["household_type"],
                            "state": ASSISTING if h["identified_date"] else LEAD, "on_file": True,
                            "dibao": m["dibao"], "tekun": m["tekun"], "disability_type": m["disability_type"],
                            "disability_grade": m["disability_grade"]})
    return ledger_frame(records).drop_duplicates("person_id", keep=False)  # demo mistakes may repeat a person


class _Picker:
    """Draws people from the ledger without using anyone twice in one list, and makes IDs of people who are
    in no household of it."""

    def __init__(self, people: pd.DataFrame, rng: random.Random) -> None:
        self.people = people
        self.rng = rng
        self.used: set[str] = set()
        self.known = set(people["person_id"])

    def take(self, n: int, where: pd.Series | None = None) -> list[dict]:
        pool = self.people if where is None else self.people[where]
        pool = pool[~pool["person_id"].isin(self.used)]
        chosen = pool.sample(n=min(n, len(pool)), random_state=self.rng.randrange(1 << 30)).to_dict("records")
        self.used.update(p["person_id"] for p in chosen)
        return chosen

    def stranger(self, region: str = "440205", *, born_before: int = 2004, digits_only: bool = False) -> str:
        """An ID number nobody in the ledger has; `digits_only`: one whose check digit is not X."""
        while True:
            birth = dt.date(self.rng.randint(1940, born_before - 1), self.rng.randint(1, 12), self.rng.randint(1, 28))
            pid = make_id(region, birth, self.rng.randint(0, 999))
            if digits_only and not pid.isdigit():
                continue
            if pid not in self.known and pid not in self.used:
                self.used.add(pid)
                return pid


def _bad_checksum(pid: str) -> str:
    return pid[:17] + ("0" if pid[17] != "0" else "1")


def _old_form(pid: str) -> str:
    """The first-generation 15-digit form of an ID of someone born in the 1900s."""
    return pid[:6] + pid[8:17]


def write_demo_lists(folder: Path, people: pd.DataFrame, *, as_of: dt.date, seed: int = 2021,
                     per_case: int = 4) -> list[Planted]:
    """One list each for 医保, 民政, 残联, 住建, 人社 under folder/<部门>/; `per_case` people per kind of case."""
    rng = random.Random(seed)
    folder = Path(folder)
    writers = (_medical, _civil, _disability, _housing, _labour)
    return [write(folder, _Picker(people, rng), rng, as_of, per_case) for write in writers]


def _workbook(path: Path) -> xlsxwriter.Workbook:
    path.parent.mkdir(parents=True, exist_ok=True)
    return xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})


def _medical(folder: Path, pick: _Picker, rng: random.Random, as_of: dt.date, k: int) -> Planted:
    path = folder / "医保" / f"曲江区{as_of.year}年医疗费用预警推送名单.xlsx"
    plan = Planted("医保", path)
    poor = pick.people["household_type"] == "脱贫户"
    born_1900s = pick.people["person_id"].str[6:8] == "19"
    rows: list[tuple[object, float, str | None, str]] = []  # (ID cell, amount, what it is, the person's ID)
    for p in pick.take(k, poor):
        rows.append((p["person_id"], round(rng.uniform(5000, 16000), 2), "D-YB-POOR", p["person_id"]))
    for p in pick.take(k, ~poor):
        rows.append((p["person_id"], round(rng.uniform(20000, 45000), 2), "D-YB-OTHER", p["person_id"]))
    for p in pick.take(k, poor):
        rows.append((p["person_id"], round(rng.uniform(300, 4999), 2), None, p["person_id"]))
    for p in pick.take(k, ~poor):
        rows.append((p["person_id"], round(rng.uniform(5000, 19999), 2), None, p["person_id"]))
    for p in pick.take(1, ~poor & born_1900s):  # an older system's first-generation number
        rows.append((_old_form(p["person_id"]), 26800.0, "D-YB-OTHER", p["person_id"]))
    for code in ("440205", OLD_DISTRICT_CODE, OUTSIDE_CODE):
        stranger = pick.stranger(code)
        rows.append((stranger, round(rng.uniform(21000, 30000), 2), "stranger", stranger))
    stranger = pick.stranger()
    rows.append((stranger, 1200.0, "stranger-quiet", stranger))
    rows.append((float(pick.stranger(digits_only=True)), 23000.0, "DEPT_ID_AS_NUMBER", ""))
    rows.append((_bad_checksum(pick.stranger()), 31000.0, "DEPT_ID_CHECKSUM", ""))
    rows.append((None, 28000.0, "DEPT_ID_BLANK", ""))
    rng.shuffle(rows)
    wb = _workbook(path)
    ws = wb.add_worksheet("推送名单")
    bold = wb.add_format({"bold": True, "align": "center", "font_size": 14})
    text = wb.add_format({"num_format": "@"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.merge_range(0, 0, 0, 9, "韶关市曲江区医疗保障局", bold)
    ws.merge_range(1, 0, 1, 9, f"{as_of.year}年1-{as_of.month}月城乡居民医保参保人员合规自付医疗费用统计表", bold)
    ws.write_string(2, 0, f"统计截止日期：{as_of:%Y年%m月%d日}　　　　单位：元")
    ws.write_row(3, 0, ["序号", "所属镇街", "姓名", "性别", "公民身份号码", "参保类别", "统计年度", "医疗总费用",
                        "基金支付", "政策范围内个人自付"])
    total = 0.0
    for n, (pid, amount, expect, person) in enumerate(rows, start=1):
        r = 3 + n
        ws.write_number(r, 0, n)
        ws.write_string(r, 2, _name(rng))
        if isinstance(pid, float):
            ws.write_number(r, 4, pid)  # what a number-formatted ID column holds: digits already lost
        elif pid is not None:
            ws.write_string(r, 4, pid, text)
        ws.write_string(r, 5, "城乡居民")
        ws.write_number(r, 6, as_of.year)
        ws.write_number(r, 7, round(amount * 2.6, 2), money)
        ws.write_number(r, 8, round(amount * 1.6, 2), money)
        ws.write_number(r, 9, amount, money)
        total += amount
        if expect and expect.startswith("DEPT_"):
            plan.problems[r + 1] = expect
        elif expect == "stranger":
            plan.unmatched[person] = {"D-YB-OTHER"}
        elif expect is None:
            plan.quiet.add(person)
        elif expect != "stranger-quiet":
            plan.warnings[person] = {expect}
    last = 3 + len(rows)
    ws.write_row(last + 1, 0, ["合计", "", "", "", "", "", "", "", ""])
    ws.write_number(last + 1, 9, round(total, 2), money)
    ws.write_string(last + 3, 0, f"制表人：李敏　　审核人：张强　　制表日期：{as_of:%Y-%m-%d}")
    wb.close()
    return plan


def _civil(folder: Path, pick: _Picker, rng: random.Random, as_of: dt.date, k: int) -> Planted:
    path = folder / "民政" / f"曲江区低保特困人员花名册{as_of:%Y%m}.csv"
    plan = Planted("民政", path)
    people = pick.people
    no_benefit = (people["dibao"] != "是") & (people["tekun"] != "是")
    lines: list[list[str]] = []

    def add(p_id: str, category: str, status: str, start: dt.date | None, end: dt.date | None, amount: str,
            town: str = "", village: str = "") -> int:
        lines.append(["", town, village, _name(pick.rng), _name(pick.rng), p_id, "户主", category, status,
                      start.isoformat() if start else "", end.isoformat() if end else "", amount])
        return len(lines) + 2  # title line, header line, then the rows

    for p in pick.take(k, no_benefit):
        plan.warnings[p["person_id"]] = {"D-MZ-GRANTED"}
        add(p["person_id"], "农村低保", "正常", as_of - dt.timedelta(days=rng.randint(20, 200)), None, "450",
            p["town"], p["village"])
    for p in pick.take(k, people["dibao"] == "是"):
        plan.warnings[p["person_id"]] = {"D-MZ-STOPPED"}
        stop = as_of - dt.timedelta(days=rng.randint(5, 60))
        add(p["person_id"], "农村低保", "停保", stop - dt.timedelta(days=400), stop, "0", p["town"], p["village"])
    for p in pick.take(k, people["dibao"] == "是"):
        plan.quiet.add(p["person_id"])
        add(p["person_id"], "低保", "正常", as_of - dt.timedelta(days=500), None, "450", p["town"], p["village"])
    for p in pick.take(k, no_benefit):
        plan.warnings[p["person_id"]] = {"D-MZ-TEMP"}
        add(p["person_id"], "临时救助", "", as_of - dt.timedelta(days=rng.randint(3, 80)), None, "3000")
    for p in pick.take(k, no_benefit):
        plan.quiet.add(p["person_id"])
        add(p["person_id"], "临时救助", "", as_of - dt.timedelta(days=rng.randint(120, 300)), None, "2000")
    town = next(iter(people["town"]), "")
    outsider = pick.stranger()
    plan.unmatched[outsider] = {"D-MZ-GRANTED"}
    add(outsider, "特困供养", "正常", as_of - dt.timedelta(days=30), None, "1100", town)
    plan.problems[add("4.40205E+17", "农村低保", "正常", as_of, None, "450")] = "DEPT_ID_AS_NUMBER"
    plan.problems[add(pick.stranger()[:16], "农村低保", "正常", as_of, None, "450")] = "DEPT_ID_FORMAT"
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow([f"曲江区城乡低保、特困供养人员花名册（{as_of.year}年{as_of.month}月）"])
    out.writerow(["序号", "乡镇(街道)", "村(社区)", "户主姓名", "成员姓名", "身份证号码", "与户主关系", "保障类别", "保障状态",
                  "审批日期", "停保日期", "月保障金"])
    for n, line in enumerate(lines, start=1):
        out.writerow([str(n), *line[1:]])
    out.writerow([f"共计 {len(lines)} 人"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("gbk"))  # what a Chinese Windows system saves as “CSV”
    return plan


def _disability(folder: Path, pick: _Picker, rng: random.Random, as_of: dt.date, k: int) -> Planted:
    path = folder / "残联" / f"持证残疾人名单{as_of:%Y%m}.xlsx"
    plan = Planted("残联", path)
    people = pick.people
    none = people["disability_type"].isna()
    rows: list[tuple[str, str, str, str | None]] = []
    for p in pick.take(k, none):
        rows.append((p["person_id"], rng.choice(["肢体残疾", "视力残疾", "听力残疾"]), rng.choice(["一级", "2级"]),
                     "D-CL-DISABILITY"))
    for p in pick.take(k, none):
        rows.append((p["person_id"], rng.choice(["精神残疾", "智力"]), rng.choice(["三级", "4"]), "D-CL-DISABILITY"))
    for p in pick.take(k, none):
        rows.append((p["person_id"], "肢体残疾", rng.choice(["三级", "四级"]), None))  # mild, not 精神/智力
    recorded = people["disability_grade"].isin(["一级", "二级"]) & people["disability_type"].notna()
    for p in pick.take(k, recorded):
        rows.append((p["person_id"], p["disability_type"] + "残疾", p["disability_grade"], None))  # already on file
    ending_x = people["person_id"].str.endswith("X") & none
    for p in pick.take(1, ending_x):
        rows.append((p["person_id"][:-1] + "x", "肢体残疾", "一级", "D-CL-DISABILITY"))  # lower-case x
    for p in pick.take(1, none & ~ending_x):
        full = p["person_id"].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        rows.append((full, "精神残疾", "二级", "D-CL-DISABILITY"))  # full-width digits, as some systems export
    outsider = pick.stranger(OUTSIDE_CODE)
    rows.append((outsider, "智力残疾", "一级", "stranger"))
    bad_birth = pick.stranger()
    rows.append((bad_birth[:10] + "13" + bad_birth[12:], "肢体残疾", "一级", "DEPT_ID_BIRTH"))
    rng.shuffle(rows)
    wb = _workbook(path)
    ws = wb.add_worksheet("持证残疾人")
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    text = wb.add_format({"num_format": "@"})
    ws.merge_range(0, 0, 0, 6, f"曲江区持证残疾人名单（截至{as_of:%Y年%m月}）", head)
    for c, title in enumerate(["序号", "姓名", "身份证号"]):
        ws.merge_range(1, c, 2, c, title, head)
    ws.merge_range(1, 3, 1, 4, "残疾情况", head)
    ws.write_string(2, 3, "残疾类别", head)
    ws.write_string(2, 4, "残疾等级", head)
    ws.merge_range(1, 5, 2, 5, "残疾人证号", head)
    ws.merge_range(1, 6, 2, 6, "所属镇", head)
    for n, (pid, kind, grade, expect) in enumerate(rows, start=1):
        r = 2 + n
        ws.write_row(r, 0, [n, _name(rng)])
        ws.write_string(r, 2, pid, text)
        ws.write_row(r, 3, [kind, grade])
        ws.write_string(r, 5, (pid + "14")[:20], text)
        normalized = pid.translate({ord(c) + 0xFEE0: ord(c) for c in "0123456789"}).upper()
        if expect == "DEPT_ID_BIRTH":
            plan.problems[r + 1] = expect
        elif expect == "stranger":
            plan.unmatched[normalized] = {"D-CL-DISABILITY"}
        elif expect is None:
            plan.quiet.add(normalized)
        else:
            plan.warnings[normalized] = {expect}
    wb.close()
    return plan


def _housing(folder: Path, pick: _Picker, rng: random.Random, as_of: dt.date, k: int) -> Planted:
    path = folder / "住建" / "农村危房鉴定结果.xlsx"
    plan = Planted("住建", path)
    rows: list[tuple[dict | None, str, str | None]] = []
    for p in pick.take(k):
        rows.append((p, rng.choice(["C级", "D", "C级危房", "d级"]), "D-ZJ-DANGER"))
    for p in pick.take(k):
        rows.append((p, rng.choice(["A级", "B", "B级"]), None))
    rows.append((None, "D级", "stranger"))
    rng.shuffle(rows)
    wb = _workbook(path)
    ws = wb.add_worksheet("鉴定结果")
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["镇", "村", "户主", "户主身份证号", "房屋结构", "鉴定等级", "鉴定日期"])
    for n, (owner, grade, expect) in enumerate(rows, start=1):
        pid = owner["person_id"] if owner else pick.stranger(OLD_DISTRICT_CODE)
        ws.write_row(n, 0, [owner["town"] if owner else "", owner["village"] if owner else "", _name(rng)])
        ws.write_string(n, 3, pid, text)
        ws.write_row(n, 4, [rng.choice(["砖木", "土木", "砖混"]), grade])
        ws.write_datetime(n, 6, dt.datetime.combine(as_of - dt.timedelta(days=rng.randint(10, 90)), dt.time()), date)
        if expect == "stranger":
            plan.unmatched[pid] = {"D-ZJ-DANGER"}
        elif expect is None:
            plan.quiet.add(pid)
        else:
            plan.warnings[pid] = {expect}
    wb.close()
    return plan


def _labour(folder: Path, pick: _Picker, rng: random.Random, as_of: dt.date, k: int) -> Planted:
    path = folder / "人社" / f"失业登记和就业变动{as_of:%Y%m}.csv"
    plan = Planted("人社", path)
    adults = pick.people["person_id"].map(lambda p: (as_of - b).days // 365 if (b := birth_date(p)) else 0)
    working_age = (adults >= 18) & (adults <= 60)
    lines = [["姓名", "身份证号", "性别", "人员状态", "变动日期", "经办机构"]]

    def add(pid: str, status: str) -> int:
        lines.append([_name(rng), pid, "", status, (as_of - dt.timedelta(days=rng.randint(1, 60))).isoformat(),
                      "区公共就业服务中心"])
        return len(lines)

    for p in pick.take(k, working_age):
        plan.warnings[p["person_id"]] = {"D-RS-JOBLESS"}
        add(p["person_id"], rng.choice(["登记失业", "失业登记", "解除劳动合同", "就业登记注销"]))
    for p in pick.take(k, working_age):
        plan.quiet.add(p["person_id"])
        add(p["person_id"], rng.choice(["就业登记", "灵活就业"]))
    outsider = pick.stranger(OUTSIDE_CODE)
    plan.unmatched[outsider] = {"D-RS-JOBLESS"}
    add(outsider, "登记失业")
    plan.problems[add(pick.stranger()[:17], "登记失业")] = "DEPT_ID_FORMAT"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    path.write_bytes(codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8"))
    return plan
