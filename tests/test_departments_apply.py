"""A department list taken into the ledger the way a pass takes it (departments.apply.apply_department_file): a
real village file processed by a real Processor first, then real list files dropped into 部门数据/<部门>/ —
archived, matched by normalised ID, applied once, reconciled with the open warnings (部门已撤销; a verified
outcome never touched), persisted, and explained in 反馈/部门/<部门>_说明.txt. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from department_lists import medical_list, write_csv, write_xlsx
from factory import AS_OF, HEAD_A, HEAD_B, OTHER_ID, SON_A, WIFE_A, X_ID, base_rows, drop

from excel_bridge.decision_sheet import CONFIRMED_MONITORED, WARNING_OPEN, WARNING_WITHDRAWN
from excel_bridge.departments.apply import apply_department_file, department_files
from excel_bridge.departments.reconciliation import WITHDRAWN
from excel_bridge.idcard import make_id

pytestmark = pytest.mark.backends

RECEIVED = dt.datetime(2021, 12, 20, 9, 30)
DEADLINE = AS_OF + dt.timedelta(days=15)
STRANGER = make_id("440205", dt.date(1981, 3, 3), 123)
FACT = "2021年合规自付医疗费用 {:,} 元"


@pytest.fixture
def cfg(ws):
    return ws.config()


def ledger_of(ws, cfg, proc, rows=None):
    """The village file processed by a pass: A (陈伟, 普通农户, not proposed → 未纳入) and B (李秀英, 脱贫户 → 线索)."""
    drop(ws, cfg, rows or base_rows())
    report = proc.run_pass(wait=0.05)
    assert [f.status for f in report.files] == ["applied"]
    return ws


def apply(ws, cfg, path, *, at=RECEIVED, as_of=AS_OF):
    with ws.open_store() as store:
        return apply_department_file(store, ws, cfg, path, received=at, as_of=as_of)


def heads(ws) -> dict[int, str]:
    with ws.open_store() as store:
        return {h.id: h.head_id for h in store.households.list()}


def warnings(ws) -> list[tuple]:
    """(rule, person, household head, town, village, fact, status, deadline) of every warning, in order."""
    by_id = heads(ws)
    with ws.open_store() as store:
        return [(w.rule_id, w.person_id, by_id[w.household_id], w.town, w.village, w.fact, w.status, w.deadline)
                for w in store.departments.all_warnings()]


def lists(ws) -> list[tuple]:
    with ws.open_store() as store:
        return [(lst.department, lst.file_name, lst.status) for lst in store.departments.lists()]


def test_a_list_is_archived_matched_judged_and_routed_to_the_households_town(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    path = medical_list(ws.departments / "医保" / "医保推送名单.xlsx", [
        ("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000.5), ("陈强", SON_A, 300), ("路人", STRANGER, 30000)])
    outcome = apply(ws, cfg, path)
    assert outcome.line == ("部门数据/医保/医保推送名单.xlsx：已比对。名单 4 行，有效身份证号 4 人，其中 3 人在台账中；"
                            "新增预警 2 条，仍待核实 0 条，部门已撤销 0 条；未在台账中的人员 1 人")
    assert (outcome.status, outcome.new, outcome.kept, outcome.withdrawn, outcome.unmatched) == ("applied", 2, 0, 0, 1)
    assert warnings(ws) == [
        ("D-YB-POOR", HEAD_B, HEAD_B, "马坝镇", "石塘村", "2021年合规自付医疗费用 6,000.50 元", WARNING_OPEN, DEADLINE),
        ("D-YB-OTHER", WIFE_A, HEAD_A, "马坝镇", "石塘村", FACT.format(25000), WARNING_OPEN, DEADLINE),
    ]
    [archived] = list(ws.archive.glob("*/*_医保推送名单.xlsx"))
    assert archived.read_bytes() == path.read_bytes()
    with ws.open_store() as store:
        [lst] = store.departments.lists()
        assert (lst.department, lst.status, lst.row_count, lst.people, lst.invalid, lst.matched, lst.warnings,
                lst.unmatched, lst.received_at, lst.received_date, lst.archived_path, lst.note_path) == (
            "医保", "applied", 4, 4, 0, 3, 2, 1, RECEIVED, AS_OF, ws.key(archived), "反馈/部门/医保_说明.txt")
        assert lst.by_town["马坝镇"] == {"matched": 3, "warnings": 2}
        [person] = store.departments.unmatched([lst.id])
        assert (person.person_id, person.name, person.rule_ids, person.town, person.place, person.basis) == (
            STRANGER, "路人", ("D-YB-OTHER",), None, "本区（镇不详，身份证地址码 440205）", "district")
    note = (ws.department_feedback / "医保_说明.txt").read_text(encoding="utf-8-sig")
    assert note.splitlines()[1:] == ["文件：医保推送名单.xlsx", "已读取 4 行，身份证号有效的 4 人；0 行无法比对。"]


def test_ids_are_matched_after_the_village_files_normalisation_and_a_number_is_never_guessed(ws, cfg, proc):
    rows = base_rows()  # B's head gets an ID ending in X: the list writes it with a lower-case x
    rows["household"][1]["head_id"] = X_ID
    rows["member"][3].update(head_id=X_ID, person_id=X_ID, sex=None)
    ledger_of(ws, cfg, proc, rows)
    full_width = SON_A.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    first_generation = WIFE_A[:6] + WIFE_A[8:17]  # 黄丽, born 1972: her 15-digit first-generation number
    path = medical_list(ws.departments / "医保" / "名单.xlsx", [
        ("陈强", f" {full_width} ", 21000), ("黄丽", first_generation, 22000), ("李秀英", X_ID.lower(), 5200),
        ("陈伟", float(HEAD_A), 90000)])
    outcome = apply(ws, cfg, path)
    assert [(rule, person) for rule, person, *_ in warnings(ws)] == [
        ("D-YB-POOR", X_ID), ("D-YB-OTHER", WIFE_A), ("D-YB-OTHER", SON_A)]
    assert outcome.line.endswith("新增预警 3 条，仍待核实 0 条，部门已撤销 0 条；未在台账中的人员 0 人；"
                                 "1 行有问题未能比对，见 反馈/部门/医保_说明.txt")
    note = (ws.department_feedback / "医保_说明.txt").read_text(encoding="utf-8-sig").splitlines()
    assert note[2] == "已读取 4 行，身份证号有效的 3 人；1 行无法比对。"
    assert note[3] == "“推送名单”表第 6 行：身份证号被存成了数字，后几位已经丢失（显示为“440205********0000”），这一行无法比对。"
    assert HEAD_A not in "".join(note) and not any(HEAD_A == w[1] for w in warnings(ws))  # never matched by guess


def test_the_same_list_dropped_twice_or_resaved_as_csv_is_applied_once(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    people = [("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000)]
    first = apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月.xlsx", people))
    before = warnings(ws)
    again = apply(ws, cfg, ws.departments / "医保" / "十二月.xlsx", at=RECEIVED + dt.timedelta(hours=1))
    csv = write_csv(ws.departments / "医保" / "十二月（另存）.csv",
                    [["曲江区医疗保障局 合规自付医疗费用推送名单"], ["序号", "姓名", "参保人身份证号", "统计年度", "合规自付医疗费用"],
                     ["1", "黄丽", WIFE_A, "2021", "25000"], ["2", "李秀英", HEAD_B, "2021", "6000.00"]],
                    encoding="gbk")
    resaved = apply(ws, cfg, csv, at=RECEIVED + dt.timedelta(hours=2))
    assert (first.status, again.status, resaved.status) == ("applied", "duplicate", "duplicate")
    assert again.line == ("部门数据/医保/十二月.xlsx：重复名单。与 2021-12-20 09:30 收到的“十二月.xlsx”内容相同，"
                          "已比对过，本次不再重复处理")
    assert resaved.message == again.message
    assert warnings(ws) == before and len(before) == 2
    assert lists(ws) == [("医保", "十二月.xlsx", "applied"), ("医保", "十二月.xlsx", "duplicate"),
                         ("医保", "十二月（另存）.csv", "duplicate")]


def test_a_newer_list_withdraws_open_warnings_and_never_touches_a_verified_outcome(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    apply(ws, cfg, medical_list(ws.departments / "医保" / "十一月.xlsx",
                                [("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000), ("陈伟", HEAD_A, 21000)]))
    with ws.open_store() as store:  # the town verified 李秀英's warning (the workbook path: test_departments_town)
        [b] = [w for w in store.departments.all_warnings() if w.person_id == HEAD_B]
        with store.atomic():
            store.departments.verify(b.id, status=CONFIRMED_MONITORED, comment="已在监测", person="王核查",
                                     day=AS_OF, source_sha256="f" * 64, lead_created=False, at=RECEIVED)
    # December: 黄丽 no longer listed, 陈伟 still listed but below the line now, 李秀英 no longer listed
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月.xlsx",
                                          [("陈伟", HEAD_A, 8000), ("路人", STRANGER, 30000)]),
                    at=RECEIVED + dt.timedelta(days=30), as_of=AS_OF + dt.timedelta(days=30))
    assert (outcome.new, outcome.kept, outcome.withdrawn) == (0, 0, 2)
    assert [(person, status) for _, person, _, _, _, _, status, _ in warnings(ws)] == [
        (HEAD_B, CONFIRMED_MONITORED), (WIFE_A, WITHDRAWN), (HEAD_A, WITHDRAWN)]
    with ws.open_store() as store:
        reasons = {w.person_id: w.closed_reason for w in store.departments.all_warnings()}
        verified = [w for w in store.departments.all_warnings() if w.person_id == HEAD_B][0]
    assert reasons == {HEAD_B: None, WIFE_A: "not_listed", HEAD_A: "no_longer_holds"}
    assert (verified.comment, verified.verified_by, verified.verified_date) == ("已在监测", "王核查", AS_OF)
    assert WARNING_WITHDRAWN == WITHDRAWN
    # January: 李秀英 again with the very fact the town verified — not raised again; a larger amount is
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "一月.xlsx", [("李秀英", HEAD_B, 6000)]),
                    at=RECEIVED + dt.timedelta(days=60), as_of=AS_OF + dt.timedelta(days=60))
    assert outcome.new == 0 and outcome.message.endswith("；另有 1 条与镇里已核实过的情况相同，不再重复预警")
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "二月.xlsx", [("李秀英", HEAD_B, 9000)]),
                    at=RECEIVED + dt.timedelta(days=90), as_of=AS_OF + dt.timedelta(days=90))
    assert outcome.new == 1
    assert warnings(ws)[-1][5:] == (FACT.format(9000), WARNING_OPEN, AS_OF + dt.timedelta(days=105))


def test_a_kept_warning_keeps_its_deadline_and_a_changed_fact_is_a_new_revision(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    apply(ws, cfg, medical_list(ws.departments / "医保" / "十一月.xlsx", [("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000)]))
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月.xlsx",
                                          [("黄丽", WIFE_A, 31000), ("李秀英", HEAD_B, 6000), ("路人", STRANGER, 100)]),
                    at=RECEIVED + dt.timedelta(days=10), as_of=AS_OF + dt.timedelta(days=10))
    assert (outcome.new, outcome.kept, outcome.withdrawn) == (0, 2, 0)
    with ws.open_store() as store:
        changed, same = sorted(store.departments.all_warnings(), key=lambda w: w.person_id != WIFE_A)
        lists_ = store.departments.lists()
    assert (changed.fact, changed.deadline, changed.revision, changed.status, changed.list_id, changed.last_list_id) == (
        FACT.format(31000), DEADLINE, 2, WARNING_OPEN, lists_[0].id, lists_[1].id)
    assert (same.fact, same.deadline, same.revision, same.status, same.list_id, same.last_list_id) == (
        FACT.format(6000), DEADLINE, 1, WARNING_OPEN, lists_[0].id, lists_[1].id)


UNUSED_NOTE = "医保_未使用名单_说明.txt"


@pytest.mark.parametrize("people,message", [
    ([], "医保名单中只有表头，没有人员，这份名单没有使用：该部门此前的预警保持不变，台账没有任何改动。"),
    ([("黄丽", float(WIFE_A), 25000), ("李秀英", HEAD_B[:10], 6000)],
     "医保名单的 2 行都没有可以比对的身份证号，这份名单没有使用：该部门此前的预警保持不变，台账没有任何改动。"),
], ids=["header_only", "every_id_unreadable"])
def test_a_list_with_no_usable_row_changes_nothing_and_keeps_the_note_of_the_list_used(ws, cfg, proc, people,
                                                                                        message):
    ledger_of(ws, cfg, proc)
    used = apply(ws, cfg, medical_list(ws.departments / "医保" / "十一月.xlsx", [("黄丽", WIFE_A, 25000)]))
    before, used_note = warnings(ws), (ws.department_feedback / "医保_说明.txt").read_bytes()
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月.xlsx", people),
                    at=RECEIVED + dt.timedelta(days=30), as_of=AS_OF + dt.timedelta(days=30))
    assert outcome.status == "refused" and (outcome.new, outcome.kept, outcome.withdrawn) == (0, 0, 0)
    assert outcome.line == f"部门数据/医保/十二月.xlsx：未使用。{message}（说明见 反馈/部门/{UNUSED_NOTE}）"
    assert warnings(ws) == before and [w[6] for w in before] == [WARNING_OPEN]  # 黄丽's warning is still open
    with ws.open_store() as store:
        assert store.departments.latest_list("医保").id == used.list_id
    assert lists(ws) == [("医保", "十一月.xlsx", "applied"), ("医保", "十二月.xlsx", "refused")]
    assert (ws.department_feedback / "医保_说明.txt").read_bytes() == used_note  # the used list's note, untouched
    note = (ws.department_feedback / UNUSED_NOTE).read_text(encoding="utf-8-sig").splitlines()
    assert note[1:3] == ["文件：十二月.xlsx", "问题：" + message]
    assert note[4] == "台账仍按 2021-12-20 09:30 收到的“十一月.xlsx”比对，该名单的说明见 反馈/部门/医保_说明.txt。"
    if people:  # each row says why its ID cannot be compared
        assert note[5].startswith("“推送名单”表第 3 行：身份证号被存成了数字")
        assert note[7] == "“推送名单”表第 4 行：身份证号“4402051950”格式不对（应为 18 位，或 15 位老号码），这一行无法比对。"
    apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月补.xlsx", [("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000)]),
          at=RECEIVED + dt.timedelta(days=31), as_of=AS_OF + dt.timedelta(days=31))
    assert not (ws.department_feedback / UNUSED_NOTE).exists()  # it was about an older file than the one now used
    assert (ws.department_feedback / "医保_说明.txt").read_text(encoding="utf-8-sig").splitlines()[1] == "文件：十二月补.xlsx"


def test_a_first_list_not_used_says_no_list_has_been_used_yet(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    outcome = apply(ws, cfg, medical_list(ws.departments / "医保" / "十二月.xlsx", []))
    assert outcome.status == "refused" and warnings(ws) == []
    note = (ws.department_feedback / UNUSED_NOTE).read_text(encoding="utf-8-sig").splitlines()
    assert note[4:] == ["该部门还没有一份名单被使用过。"]
    assert not (ws.department_feedback / "医保_说明.txt").exists()


def test_a_list_without_an_id_column_gets_a_note_and_changes_nothing(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    apply(ws, cfg, medical_list(ws.departments / "医保" / "十一月.xlsx", [("黄丽", WIFE_A, 25000)]))
    before = warnings(ws)
    path = write_xlsx(ws.departments / "医保" / "汇总表.xlsx", [["姓名", "参保类别", "合规自付医疗费用"],
                                                                  ["黄丽", "城乡居民", 26000]])
    outcome = apply(ws, cfg, path, at=RECEIVED + dt.timedelta(days=1))
    assert outcome.status == "refused"
    assert outcome.line == ("部门数据/医保/汇总表.xlsx：未使用。医保名单中没有找到身份证号列（表头应含“参保人身份证号、参保人身份证号码、"
                            "参保人员身份证号码、社会保障号码”等；文件中的表头是“姓名、参保类别、合规自付医疗费用”），本名单没有比对，"
                            "台账没有任何改动。（说明见 反馈/部门/医保_未使用名单_说明.txt）")
    raw = (ws.department_feedback / "医保_未使用名单_说明.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == 5  # Notepad on the district's Windows machines
    note = raw.decode("utf-8-sig")
    assert note.splitlines()[1:4] == [
        "文件：汇总表.xlsx", "问题：" + outcome.message.removesuffix("（说明见 反馈/部门/医保_未使用名单_说明.txt）"),
        "改法：请部门导出时保留身份证号列和表头行；如果表头是别的叫法，请区乡村振兴局在 rules/departments.yaml 的 "
        "id_headers 中加上它。"]
    assert warnings(ws) == before  # the open warning of 黄丽 is still open: the unusable list withdrew nothing
    with ws.open_store() as store:
        assert store.departments.latest_list("医保").file_name == "十一月.xlsx"
    assert lists(ws)[-1] == ("医保", "汇总表.xlsx", "refused")


def test_a_list_in_a_folder_no_department_has_gets_a_note_and_changes_nothing(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    wrong = medical_list(ws.departments / "财政" / "名单.xlsx", [("黄丽", WIFE_A, 25000)])
    loose = medical_list(ws.departments / "名单.xlsx", [("黄丽", WIFE_A, 25000)])
    assert department_files(ws) == [loose, wrong]
    outcomes = [apply(ws, cfg, wrong), apply(ws, cfg, loose)]
    assert [o.status for o in outcomes] == ["refused", "refused"]
    assert outcomes[0].line.startswith("部门数据/未识别部门/名单.xlsx：未使用。“财政”不在已配置的部门文件夹中，没有处理。")
    note = (ws.department_feedback / "财政_说明.txt").read_text(encoding="utf-8-sig").splitlines()
    assert note[1:3] == ["文件：名单.xlsx", "问题：“财政”不在已配置的部门文件夹中，没有处理。"]
    assert note[3].startswith("改法：请把名单放到对应部门的文件夹中（部门数据/医保/、部门数据/民政/、")
    assert (ws.department_feedback / "未识别部门_说明.txt").exists()
    assert warnings(ws) == []
    assert lists(ws) == [(None, "名单.xlsx", "refused"), (None, "名单.xlsx", "refused")]


def test_notes_and_terminal_lines_never_show_a_full_id(ws, cfg, proc):
    ledger_of(ws, cfg, proc)
    bad = OTHER_ID[:17] + ("0" if OTHER_ID[17] != "0" else "1")
    path = medical_list(ws.departments / "医保" / "名单.xlsx", [("某人", bad, 25000), ("黄丽", WIFE_A, 25000)])
    outcome = apply(ws, cfg, path)
    note = (ws.department_feedback / "医保_说明.txt").read_text(encoding="utf-8-sig")
    assert f"身份证号“{bad[:6]}********{bad[-4:]}”的最后一位校验码不对" in note
    assert re.findall(r"[0-9]{15,}", note + outcome.line) == []


def test_department_files_skips_lock_hidden_and_temporary_files(ws):
    folder = ws.departments / "民政"
    folder.mkdir(parents=True, exist_ok=True)  # init makes every configured department's folder
    for name in ("花名册.csv", "~$花名册.xlsx", ".~lock.花名册.xlsx#", "花名册.xlsx.tmp", "下载中.crdownload"):
        (folder / name).write_bytes(b"x")
    (folder / "十二月").mkdir()
    (folder / "十二月" / "低保.xls").write_bytes(b"x")
    assert [p.relative_to(ws.departments).as_posix() for p in department_files(ws)] == [
        "民政/十二月/低保.xls", "民政/花名册.csv"]
    shutil.rmtree(ws.departments)
    assert department_files(ws) == []
