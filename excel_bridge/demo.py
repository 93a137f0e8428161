"""Synthetic but realistic village ledgers (seedable): valid IDs, names, families, incomes near the line,
measures, reviews, and a few deliberate mistakes of the kinds clerks really make.

Tests, the committed example workbook, `excel-bridge demo` and the benchmark all use this generator.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .demo_names import SURNAMES, Village
from .demo_names import person_name as _name
from .errors import WorkspaceError
from .idcard import birth_date, check_char, make_id
from .messages import TEXT
from .schema import GUARANTEE_KEYS

GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组")
VILLAGE_NAMES = ("新塘", "石塘", "龙岗", "大坑", "上洞", "下洞", "水口", "黄坑", "塘角", "长坝", "东坑", "西岭",
                 "南华", "北坑", "莲塘", "凤来", "松山", "安山", "富民", "和平", "双桥", "白石", "甘棠", "竹山")
RESPONSIBLE = ("镇农业办", "镇社会事务办", "区人社局", "区民政局", "区医保局", "村委会", "帮扶单位")
FUND_SOURCES = ("财政衔接资金", "行业部门资金", "社会帮扶资金")


def _measure_money(head_id: str, kind: str, start: dt.date, as_of: dt.date) -> dict[str, object]:
    """A measure's project, money and 落实情况, from a generator of its own (the village's stream of households is
    the same as before measures carried money)."""
    rng = random.Random(f"{head_id}:{kind}")
    progress = rng.choice(("计划", "实施中", "已完成"))
    done = min(start + dt.timedelta(days=rng.randint(30, 180)), as_of) if progress == "已完成" else None
    funds = rng.choice((0, 500, 1000, 2000, 3000, 5000)) if kind not in ("公益岗位",) else 6000
    return {"project": f"{start.year}年{kind}项目" if funds else None, "funds": funds or None,
            "fund_source": rng.choice(FUND_SOURCES) if funds else None, "progress": progress,
            "done_date": done}
MEASURE_TEXT = {
    "产业帮扶": "发放鸡苗200只并提供养殖技术指导", "就业帮扶": "推荐到工业园区务工", "技能培训": "参加电工技能培训",
    "小额信贷": "申请5万元扶贫小额信贷", "公益岗位": "安排村保洁公益岗位", "健康帮扶": "落实大病医疗救助",
    "教育帮扶": "落实教育生活补助", "住房安全保障": "实施危房改造", "饮水安全保障": "接通自来水管网",
    "低保": "纳入农村低保", "特困供养": "纳入特困人员供养", "临时救助": "发放临时救助金", "社会帮扶": "社会爱心捐赠",
}
MISTAKES = ("id_as_number", "id_checksum", "size_mismatch", "sex_mismatch", "bad_choice", "income_mismatch",
            "objection_without_result", "edu_both", "disability_no_grade", "orphan_member", "two_heads",
            "negative_money")


class IdPool:
    """Hands out unique valid IDs across a whole synthetic district.

    Villages generated in separate processes stay disjoint by taking `share` of `shares` slices of the
    sequence numbers (a real district has no two people with one ID; random ones would clash)."""

    def __init__(self, region: str, *, share: int = 0, shares: int = 1) -> None:
        self.region = region
        self.used: set[str] = set()
        self.slots = [j for j in range(500) if j % shares == share % shares]

    def new(self, rng: random.Random, birth: dt.date, sex: str) -> str:
        """A fresh ID for someone born on `birth` — or a day later when that day's numbers are taken
        (the caller reads the birth date back from the ID)."""
        for shift in range(366):
            day = birth + dt.timedelta(days=shift)
            slots = list(self.slots)
            rng.shuffle(slots)
            for slot in slots:
                pid = make_id(self.region, day, 2 * slot + (1 if sex == "男" else 0))  # odd = male (GB 11643)
                if pid not in self.used:
                    self.used.add(pid)
                    return pid
        raise ValueError("no ID left near this birth date")


def _birth(rng: random.Random, age: int, as_of: dt.date) -> dt.date:
    year = as_of.year - age
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _education(rng: random.Random, age: int) -> tuple[str | None, str | None]:
    """(文化程度, 在校生状况): exactly one of them filled."""
    if age < 3:
        return None, "学龄前儿童"
    if age < 6:
        return None, "学前教育"
    if age < 12:
        return None, "小学"
    if age < 15:
        return None, "初中"
    if age < 18:
        return None, rng.choice(["高中", "中职"])
    if age < 22 and rng.random() < 0.4:
        return None, rng.choice(["高职高专", "本科及以上"])
    if age > 65:
        return rng.choice(["文盲或半文盲", "小学", "小学", "初中"]), None
    return rng.choice(["小学", "初中", "初中", "高中", "大专"]), None


def _labour(rng: random.Random, age: int, health: str, student: bool) -> str:
    if student or age < 16:
        return "无劳动力"
    if "患有大病" in health or age > 75:
        return rng.choice(["丧失劳动力", "弱劳动力或半劳动力"])
    if age > 60 or health != "健康":
        return rng.choice(["弱劳动力或半劳动力", "普通劳动力"])
    return rng.choice(["普通劳动力", "普通劳动力", "普通劳动力", "技能劳动力"])


def _members(rng: random.Random, ids: IdPool, head_id_holder: list[str], size: int, as_of: dt.date) -> list[dict]:
    surname = rng.choice(SURNAMES)
    head_age = rng.randint(30, 78)
    head_sex = "男" if rng.random() < 0.8 else "女"
    people: list[tuple[str, int, str]] = [("户主", head_age, head_sex)]
    if size >= 2:
        people.append(("配偶", max(22, head_age + rng.randint(-5, 3)), "女" if head_sex == "男" else "男"))
    for _ in range(size - len(people)):
        if head_age > 60 and rng.random() < 0.5:
            rel, age = rng.choice(["之孙子", "之孙女"]), rng.randint(1, 16)
        elif head_age < 45 and rng.random() < 0.3:
            rel, age = rng.choice(["之父", "之母"]), head_age + rng.randint(22, 32)
        else:
            rel, age = rng.choice(["之子", "之女"]), max(0, head_age - rng.randint(22, 32))
        sex = "男" if rel in ("之子", "之孙子", "之父") else "女"
        people.append((rel, age, sex))
    rows = []
    for rel, age, sex in people:
        pid = ids.new(rng, _birth(rng, age, as_of), sex)
        birth = birth_date(pid)
        if rel == "户主":
            head_id_holder.append(pid)
        edu, school = _education(rng, age)
        roll = rng.random()
        health = "健康" if roll < 0.78 else ("长期慢性病" if roll < 0.9 else ("患有大病" if roll < 0.95 else "残疾"))
        dis_type = dis_grade = None
        if health == "残疾":
            dis_type = rng.choice(["肢体", "视力", "听力", "智力", "精神"])
            dis_grade = rng.choice(["一级", "二级", "三级", "四级"])
        labour = _labour(rng, age, health, school is not None)
        rows.append({
            "name": _name(rng, surname if rel not in ("配偶", "之儿媳") else None),
            "person_id": pid, "relation": rel, "sex": sex, "birth_date": birth,
            "education": edu, "schooling": school, "health": health,
            "disability_type": dis_type, "disability_grade": dis_grade, "labour": labour,
            "work_months": rng.randint(3, 12) if labour in ("普通劳动力", "技能劳动力") else 0,
            "medical_insurance": "是" if rng.random() > 0.005 else "否",
            "dibao": "是" if labour in ("丧失劳动力",) and rng.random() < 0.5 else "否",
            "tekun": "否", "disabled_care": "否",
        })
    for row in rows:
        row["head_id"] = head_id_holder[-1]
    return rows


def generate_village(rng: random.Random, config: Config, ids: IdPool, *, town: str, village: str,
                     households: int, as_of: dt.date, mistakes: int = 0) -> Village:
    """One village's four sheets as rows keyed by schema keys, with `mistakes` deliberate errors."""
    year = config.settings.income_year
    line = float(config.rules.line_for(year)) if config.rules.has_line(year) else 9600.0
    hh_rows, member_rows, measure_rows, review_rows = [], [], [], []
    for _i in range(households):
        size = rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 18, 22, 26, 16, 10])[0]
        holder: list[str] = []
        members = _members(rng, ids, holder, size, as_of)
        head_id = holder[-1]
        poor = rng.random() < 0.3
        per_capita = max(1500.0, rng.gauss(line * 1.35, line * 0.35))
        total = per_capita * size
        wage = round(total * rng.uniform(0.3, 0.7), -1)
        business = round(total * rng.uniform(0.05, 0.3), -1)
        prop = round(rng.choice([0, 0, 0, 300, 600, 1200]), 2)
        cost = round(business * rng.uniform(0.1, 0.4), -1)
        transfer = round(max(0.0, total - wage - business - prop + cost), 2)
        actual = round((wage + business + prop + transfer - cost) / size, 2)
        prev = round(actual * rng.uniform(0.9, 1.2), 2) if rng.random() < 0.8 else None
        if rng.random() < 0.05 and prev:
            prev = round(actual / rng.uniform(0.5, 0.68), 2)  # a sharp drop this year
        sick = any(m["health"] in ("患有大病", "长期慢性病") for m in members)
        medical = round(rng.uniform(1000, 20000), 2) if sick and rng.random() < 0.3 else 0
        guarantees = {k: "是" for k in GUARANTEE_KEYS}
        if rng.random() < 0.04:
            guarantees[rng.choice(["housing_secure", "water_secure", "medical_secure"])] = "否"
        risks = []
        if sick:
            risks.append("因病因残")
        if actual < line and rng.random() < 0.5:
            risks.append(rng.choice(["就业不稳定减收", "产业失败", "因灾因意外事故"]))
        if guarantees["housing_secure"] == "否":
            risks.append("住房不安全")
        if guarantees["water_secure"] == "否":
            risks.append("饮水不安全")
        if "就业不稳定减收" in risks and not any(m["labour"] in ("普通劳动力", "技能劳动力") for m in members):
            risks.remove("就业不稳定减收")
        identified = None
        if actual < line and rng.random() < 0.6:
            identified = as_of - dt.timedelta(days=rng.randint(60, 600))
        head = members[0]
        hh_rows.append({
            "household_no": f"4402050{rng.randint(10000000, 99999999)}" if identified or poor else None,
            "town": town, "village": village, "group": rng.choice(GROUPS), "head_name": head["name"],
            "head_id": head_id, "phone": f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}",
            "household_type": "脱贫户" if poor else "普通农户", "size": size,
            "lead_source": rng.choice(["入户走访", "入户走访", "农户自主申报", "部门筛查预警", "信访信息"]),
            "income_year": year, "wage_income": wage, "business_income": business, "property_income": prop,
            "transfer_income": transfer, "business_cost": cost,
            "per_capita_income": actual if rng.random() < 0.7 else None,
            "prev_per_capita_income": prev, "medical_expense": medical,
            "other_rigid_expense": round(rng.choice([0, 0, 0, 0, 0, 0, 1500, 3000]), 2),
            **guarantees,
            "main_risk": risks[0] if risks else None,
            "other_risk_1": risks[1] if len(risks) > 1 else None,
            "other_risk_2": risks[2] if len(risks) > 2 else None,
            "consent": "是" if rng.random() > 0.03 else "否",
            "contact_person": _name(rng) if identified else None,
            "contact_phone": f"13{rng.randint(100000000, 999999999)}" if identified else None,
            "identified_date": identified, "note": None,
        })
        member_rows.extend(members)
        if identified:
            able = any(m["labour"] in ("普通劳动力", "技能劳动力") for m in members)
            kinds = ["产业帮扶", "就业帮扶", "公益岗位", "小额信贷"] if able else ["低保", "临时救助"]
            chosen = {rng.choice(kinds)}
            if "因病因残" in risks:
                chosen.add("健康帮扶")
            if "住房不安全" in risks:
                chosen.add("住房安全保障")
            if "饮水不安全" in risks:
                chosen.add("饮水安全保障")
            for kind in sorted(chosen):
                start = identified + dt.timedelta(days=rng.randint(5, 60))
                measure_rows.append({"head_id": head_id, "category": kind, "content": MEASURE_TEXT.get(kind, kind),
                                     "start_date": start, "responsible": rng.choice(RESPONSIBLE),
                                     **_measure_money(head_id, kind, start, as_of)})
        if actual < line and not identified:
            review_day = as_of - dt.timedelta(days=rng.randint(2, 30))  # some notices are still running
            start = review_day + dt.timedelta(days=1)
            review_rows.append({"head_id": head_id, "matter": "纳入监测", "review_date": review_day,
                                "review_result": "通过", "notice_start": start,
                                "notice_end": start + dt.timedelta(days=rng.choice([3, 4, 4, 5])),
                                "objection": "无", "objection_result": None})
    rows = {"household": hh_rows, "member": member_rows, "measure": measure_rows, "review": review_rows}
    applied = inject_mistakes(rng, rows, mistakes)
    return Village(town=town, name=village, rows=rows, mistakes=applied)


def inject_mistakes(rng: random.Random, rows: dict[str, list[dict]], count: int,
                    kinds: Iterable[str] = MISTAKES) -> list[str]:
    """Introduce `count` realistic mistakes in place; returns which ones."""
    done: list[str] = []
    pool = list(kinds)
    rng.shuffle(pool)
    hh, members, reviews = rows["household"], rows["member"], rows["review"]
    for kind in pool[:count]:
        if not hh:
            break
        target = rng.choice(hh)
        own = [m for m in members if m["head_id"] == target["head_id"]]
        others = [m for m in members if m["relation"] != "户主" and isinstance(m["person_id"], str)
                  and m["person_id"][17] != "X"]
        if kind == "id_as_number":
            if not others:
                continue
            m = rng.choice(others)
            m["person_id"] = float(m["person_id"])  # what Excel does to an ID typed into a number cell
        elif kind == "id_checksum":
            if not others:
                continue
            m = rng.choice(others)
            pid = m["person_id"]
            m["person_id"] = pid[:15] + str((int(pid[15]) + 1) % 10) + pid[16:]
        elif kind == "size_mismatch":
            target["size"] = target["size"] + 1
        elif kind == "sex_mismatch":
            m = own[0]
            m["sex"] = "女" if m["sex"] == "男" else "男"
        elif kind == "bad_choice":
            target["household_type"] = "一般户"
        elif kind == "income_mismatch":
            target["per_capita_income"] = round(target["wage_income"] / target["size"], 2) + 500
        elif kind == "objection_without_result":
            if not reviews:
                continue
            r = rng.choice(reviews)
            r["objection"], r["objection_result"] = "有", None
        elif kind == "edu_both":
            m = own[0]
            m["education"], m["schooling"] = "初中", "高中"
        elif kind == "disability_no_grade":
            m = own[-1]
            m["health"], m["disability_type"], m["disability_grade"] = "残疾", "肢体", None
        elif kind == "orphan_member":
            m = dict(own[-1])
            pid = m["head_id"]
            m["head_id"] = pid[:14] + "9" + pid[15:17]
            m["head_id"] += check_char(m["head_id"])
            m["person_id"] = m["head_id"]
            m["relation"] = "户主"
            members.append(m)
        elif kind == "two_heads":
            if len(own) < 2:
                continue
            own[1]["relation"] = "户主"
        elif kind == "negative_money":
            target["business_cost"] = -abs(target["business_cost"] or 100)
        done.append(kind)
    return done


def village_names(rng: random.Random, count: int) -> list[str]:
    names = list(VILLAGE_NAMES)
    rng.shuffle(names)
    out = [n + "村" for n in names[:count]]
    i = 0
    while len(out) < count:
        out.append(f"{VILLAGE_NAMES[i % len(VILLAGE_NAMES)]}{i // len(VILLAGE_NAMES) + 2}村")
        i += 1
    return out


EXAMPLE_TOWN, EXAMPLE_VILLAGE = "马坝镇", "石塘村"
EXAMPLE_AS_OF = dt.date(2021, 12, 20)
TEMPLATE_FILE = "村级监测台账模板.xlsx"
EXAMPLE_FILE = "示例_马坝镇石塘村监测台账.xlsx"


def write_examples(directory: Path, config: Config) -> list[Path]:
    """The committed workbooks/: the blank template and a filled example village with a few mistakes."""
    from .writers.template import write_village_workbook

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = dt.datetime(2021, 12, 20, 9, 0, 0)
    blank = write_village_workbook(directory / TEMPLATE_FILE, config, created=created)
    rng = random.Random(20211220)
    village = generate_village(rng, config, IdPool(config.settings.district_code), town=EXAMPLE_TOWN,
                               village=EXAMPLE_VILLAGE, households=12, as_of=EXAMPLE_AS_OF, mistakes=0)
    inject_mistakes(rng, village.rows, 5, kinds=("id_as_number", "size_mismatch", "bad_choice",
                                                  "income_mismatch", "edu_both"))
    example = write_village_workbook(directory / EXAMPLE_FILE, config, town=EXAMPLE_TOWN, village=EXAMPLE_VILLAGE,
                                     rows=village.rows, created=created)
    return [blank, example]


DEMO_MARKER = ".excel_bridge_demo"


@dataclass
class DemoDistrict:
    root: Path
    files: list[Path]
    households: int
    mistakes: int
    lists: list[Path] = field(default_factory=list)  # department lists dropped into 部门数据/<部门>/


def build_demo(root: Path, *, villages: int = 3, households: int = 40, seed: int = 2021, mistakes: int = 3,
               as_of: dt.date | None = None, towns: int | None = None) -> DemoDistrict:
    """A synthetic district in a fresh workspace: every town, `villages` villages each, files in the inbox, and
    one list each from 医保, 民政, 残联, 住建 and 人社 in 部门数据/ naming people of those villages (and others)."""
    from .departments.demo_lists import people_frame, write_demo_lists
    from .settings import DistrictSettings
    from .workspace import Workspace
    from .writers.template import write_village_workbook

    as_of = as_of or dt.date.today()
    root = Path(root)
    marker = root / DEMO_MARKER
    if root.exists() and any(root.iterdir()):
        if not marker.exists():
            raise WorkspaceError(TEXT["demo.not_demo_dir"].format(path=root))
        shutil.rmtree(root)
    rng = random.Random(seed)
    base = DistrictSettings()
    town_names = list(base.towns)[: towns or None]
    plan = {town: village_names(rng, villages) for town in town_names}
    ws = Workspace.init(root, DistrictSettings(towns=plan))
    marker.write_text("excel_bridge demo district: safe to delete\n", encoding="utf-8")
    config = ws.config()
    ids = IdPool(config.settings.district_code)
    files, total, wrong, made = [], 0, 0, []
    for town, names in plan.items():
        for name in names:
            village = generate_village(rng, config, ids, town=town, village=name, households=households,
                                       as_of=as_of, mistakes=mistakes)
            path = ws.town_inbox(town) / f"{town}{name}监测台账.xlsx"
            write_village_workbook(path, config, town=town, village=name, rows=village.rows)
            files.append(path)
            total += len(village.rows["household"])
            wrong += len(village.mistakes)
            made.append(village)
    planted = write_demo_lists(ws.departments, people_frame(made), as_of=as_of, seed=seed,
                               per_case=max(1, min(4, villages * households // 40)))
    return DemoDistrict(root=ws.root, files=files, households=total, mistakes=wrong,
                        lists=[p.path for p in planted])
