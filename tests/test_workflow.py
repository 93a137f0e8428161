"""The state machine of docs/domain.md (“States and who moves them”), unit-level on a real ledger (SQLite and
PostgreSQL).

Part 1 drives `workflow.transition` directly: every allowed move works and leaves one audit event
(when, from → to, level, person, source SHA-256, comment); every other (state, action, level) is
refused with a message naming the household (village + head), its state and the attempted move.

Part 2 drives the village step through the real intake path without processes: a workbook written by
the template writer → `check_file` → `payload_from` → `apply_village_file` on a ledger file, with the
clock (received_at / decision time) under the test's control.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import postgres_schema
from factory import AS_OF, HEAD_A, HEAD_B, base_rows, review, write

from excel_bridge.check import check_file
from excel_bridge.decisions import DecisionRow, apply_decisions
from excel_bridge.errors import BridgeError, StoreError, TransitionRefused
from excel_bridge.ingest import apply_village_file, payload_from
from excel_bridge.ledger_tokens import row_token
from excel_bridge.review_checks import notice_days
from excel_bridge.store import HouseholdRow, Store
from excel_bridge.workflow import (
    ASSISTING,
    DECIDER,
    DISTRICT,
    DISTRICT_APPROVE,
    DISTRICT_CONFIRM,
    DISTRICT_REDUCE,
    ELIMINATED,
    LEAD,
    NOT_INCLUDED,
    PREVIOUS,
    REMOVED,
    STATES,
    SYSTEM,
    TOWN,
    TOWN_ACCEPT,
    TOWN_CHECK,
    TOWN_REDUCE,
    TRANSITIONS,
    VILLAGE,
    allowed_actions,
    check_move,
    transition,
)

AT = dt.datetime(2021, 12, 20, 9, 30, 0)
DECIDED = dt.date(2021, 12, 18)
SHA = "ab" * 32
LEVELS = (VILLAGE, TOWN, DISTRICT, SYSTEM)
ACTIONS = ("评议公示通过", "同意", "退回", "不予认定", "风险消除评议公示通过", "研判建议纳入", "研判不再建议纳入",
           "部门预警核实纳入", "不予纳入", "申报自然减少", "重新列入台账", "研判不建议纳入")

# docs/domain.md's diagram, written out: (from, action, level) → to.
DOMAIN_TABLE = {
    ("线索", "评议公示通过", "村"): "待镇核查",
    ("待镇核查", "同意", "镇"): "待区认定",
    ("待镇核查", "退回", "镇"): "线索",
    ("待区认定", "同意", "区"): "帮扶中",
    ("待区认定", "退回", "区"): "线索",
    ("待区认定", "不予认定", "区"): "未纳入",
    ("帮扶中", "风险消除评议公示通过", "村"): "待镇验收",
    ("待镇验收", "同意", "镇"): "待区审批",
    ("待镇验收", "退回", "镇"): "帮扶中",
    ("待区审批", "同意", "区"): "风险已消除",
    ("待区审批", "退回", "区"): "帮扶中",
    ("未纳入", "研判建议纳入", "系统"): "线索",
    ("风险已消除", "研判建议纳入", "系统"): "线索",
    ("线索", "研判不再建议纳入", "系统"): "未纳入",
    # DOMAIN “Department lists”: a confirmed warning for a household not under monitoring becomes a 线索
    ("未纳入", "部门预警核实纳入", "镇"): "线索",
    ("风险已消除", "部门预警核实纳入", "镇"): "线索",
    # rules advise, people decide: a lead from 自主申报/部门/信访 the rules do not propose stays, marked; the town
    # may close it at its 核查
    ("线索", "研判不建议纳入", "系统"): "线索",
    ("待镇核查", "不予纳入", "镇"): "未纳入",
    # 自然减少: from any monitored state the village's 减少原因 sends it to the town, then the district; a 退回
    # goes back to where it was; only the district's 同意 makes it 已移出
    **{(s, "申报自然减少", "村"): "待镇核减" for s in ("线索", "待镇核查", "待区认定", "帮扶中", "待镇验收", "待区审批")},
    ("待镇核减", "同意", "镇"): "待区核减",
    ("待镇核减", "退回", "镇"): PREVIOUS,
    ("待区核减", "同意", "区"): "已移出",
    ("待区核减", "退回", "区"): PREVIOUS,
    ("已移出", "重新列入台账", "系统"): "未纳入",
}


# --- a real ledger with households put straight into a state ---------------------------------------

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def _ledgers(tmp_path_factory) -> Iterator[Callable[[str | None], Store]]:
    """Part 1's ledgers, one per backend, opened once for the module (built anew for each of its ~1,100 tests,
    they were most of its time)."""
    with contextlib.ExitStack() as stack:
        opened: dict[str, Store] = {}

        def open_for(backend: str | None) -> Store:
            key = "sqlite" if backend is None else "postgresql"
            if key not in opened:
                target = (tmp_path_factory.mktemp("ledger") / "ledger.sqlite" if backend is None
                          else stack.enter_context(postgres_schema()))
                opened[key] = stack.enter_context(Store.open(target))
            return opened[key]

        yield open_for


@pytest.fixture
def ledger(backend, _ledgers) -> Store:
    """A real ledger on the test's backend, shared by part 1's tests: each puts households of its own into it
    and looks only at them (their rows and their events), so what the others left there changes nothing."""
    return _ledgers(backend)


def put(ledger: Store, state: str, *, name: str | None = "李秀英", no: str | None = "LS440205000009",
        head_id: str = HEAD_B, version: int = 3, opinion: str = "旧意见", identified: dt.date | None = None,
        lead: dt.date | None = dt.date(2021, 11, 1)) -> HouseholdRow:
    """A household put straight into a state (as a later stage of its story would leave it)."""
    with ledger.atomic():
        hid = ledger.households.create(
            household_no=no, provisional=True, head_id=head_id, head_name=name, town="马坝镇", village="石塘村",
            state=state, lead_date=lead, identified_date=identified, submission_id=None, row=None,
            data={"group": "一组"}, assessment={"proposed": True}, errors=0, warnings=0,
            at=dt.datetime(2021, 11, 1, 8))
        ledger.households.set_state(hid, state=state, version=version, at=dt.datetime(2021, 11, 1, 8),
                                    opinion=opinion)
    row = ledger.households.get(hid)
    assert row is not None
    return row


def events(ledger: Store, hid: int) -> list:
    return ledger.events.of(hid)


# --- the table itself ----------------------------------------------------------------------------

def test_transition_table_is_exactly_the_domain_diagram():
    assert TRANSITIONS == DOMAIN_TABLE
    assert set(STATES) == {"线索", "待镇核查", "待区认定", "帮扶中", "待镇验收", "待区审批", "风险已消除", "未纳入",
                           "待镇核减", "待区核减"}


def test_each_waiting_state_is_decided_by_one_level():
    assert DECIDER == {TOWN_CHECK: TOWN, TOWN_ACCEPT: TOWN, DISTRICT_CONFIRM: DISTRICT, DISTRICT_APPROVE: DISTRICT,
                       TOWN_REDUCE: TOWN, DISTRICT_REDUCE: DISTRICT}
    # and that level can both agree and return there; only the district can refuse (不予认定), and only 认定
    for state, level in DECIDER.items():
        assert {"同意", "退回"} <= set(allowed_actions(state, level))
    assert [s for s in STATES if "不予认定" in allowed_actions(s, DISTRICT)] == [DISTRICT_CONFIRM]
    assert allowed_actions(TOWN_CHECK, DISTRICT) == [] and allowed_actions(DISTRICT_CONFIRM, TOWN) == []


# --- every allowed move ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(TRANSITIONS), ids=lambda k: f"{k[0]}-{k[1]}-{k[2]}")
def test_allowed_transition_moves_and_records_one_event(ledger, key):
    state, action, level = key
    identified = dt.date(2021, 1, 5) if state in (ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE, ELIMINATED) else None
    hh = put(ledger, state, identified=identified)
    deciding = level in (TOWN, DISTRICT)
    with ledger.atomic():
        to = transition(ledger.moves, hh, action, level, at=AT, person="王核查" if deciding else None,
                        source_sha256=SHA, comment="入户核实", decided_on=DECIDED if deciding else None)
    # a 退回 of 自然减少 goes back to the state the household was reported from (none recorded here: 帮扶中)
    assert to == (ASSISTING if TRANSITIONS[key] == PREVIOUS else TRANSITIONS[key])
    after = ledger.households.get(hh.id)
    assert after.on_file is (to != REMOVED)
    assert (after.state, after.version, after.updated_at) == (to, 4, AT)
    [event] = events(ledger, hh.id)
    assert (event.at, event.event, event.action, event.from_state, event.to_state, event.level, event.person,
            event.source_sha256, event.comment, event.effective_date) == (
        AT, "transition", action, state, to, level, "王核查" if deciding else None, SHA, "入户核实",
        DECIDED if deciding else AT.date())
    # what the household row shows afterwards
    if action == "退回":
        assert after.opinion == f"{level}级退回：入户核实"
    elif deciding:
        assert after.opinion == f"{level}级{action}：入户核实"
    elif level == VILLAGE:
        assert after.opinion == ""
    if (state, to) == (DISTRICT_CONFIRM, ASSISTING):
        assert after.identified_date == DECIDED  # 识别纳入日期 = the decision date typed
    else:
        assert after.identified_date == (None if state == NOT_INCLUDED else identified)
    assert after.eliminated_date == (DECIDED if to == ELIMINATED else None)
    if to == LEAD and state in (NOT_INCLUDED, ELIMINATED):
        # a new lead: from the system's own move dated that day; from the town's (a verified department warning)
        # dated the day the town typed
        assert after.lead_date == (DECIDED if deciding else AT.date())
    else:
        assert after.lead_date == dt.date(2021, 11, 1)


def test_return_without_comment_is_recorded_as_unexplained(ledger):
    hh = put(ledger, TOWN_CHECK)
    with ledger.atomic():
        transition(ledger.moves, hh, "退回", TOWN, at=AT)
    assert ledger.households.get(hh.id).opinion == "镇级退回：未写明原因"
    assert (events(ledger, hh.id)[0].action, events(ledger, hh.id)[0].comment) == ("退回", None)


def test_both_chains_walk_through_in_order_with_one_event_each(ledger):
    hh = put(ledger, LEAD, version=1)
    chain = [("评议公示通过", VILLAGE), ("同意", TOWN), ("同意", DISTRICT), ("风险消除评议公示通过", VILLAGE),
             ("同意", TOWN), ("同意", DISTRICT)]
    seen = [LEAD]
    for action, level in chain:
        with ledger.atomic():
            seen.append(transition(ledger.moves, ledger.households.get(hh.id), action, level, at=AT,
                                   decided_on=dt.date(2021, 12, 1) if level == DISTRICT and len(seen) == 3 else None))
    assert seen == ["线索", "待镇核查", "待区认定", "帮扶中", "待镇验收", "待区审批", "风险已消除"]
    final = ledger.households.get(hh.id)
    assert (final.version, final.identified_date, final.eliminated_date) == (7, dt.date(2021, 12, 1), AT.date())
    assert [(e.from_state, e.to_state, e.level) for e in events(ledger, hh.id)] == list(
        zip(seen, seen[1:], [lv for _, lv in chain], strict=False))



def test_transition_many_writes_what_transition_one_by_one_writes_in_two_statements(ledger):
    """Every allowed move, once through `transition` a household at a time and once for as many households through
    `plan_move` + `transition_many`: the same rows (state, version, opinion, dates, category, on file) and the same
    events, the batch's events in the order its moves were given; the batch is one UPDATE per set of fields the
    moves set and one INSERT (PostgreSQL: COPY) of events, whatever the number of households."""
    from sqlalchemy import event as sa_event

    from excel_bridge.workflow import plan_move, transition_many

    def row_and_events(hid: int) -> tuple:
        r = ledger.households.get(hid)
        return ((r.state, r.version, r.opinion, r.lead_date, r.identified_date, r.eliminated_date, r.category,
                 r.on_file, r.updated_at),
                [(e.at, e.event, e.action, e.from_state, e.to_state, e.level, e.person, e.source_sha256, e.comment,
                  e.effective_date) for e in events(ledger, hid)])

    keys = sorted(TRANSITIONS)
    identified = {k: dt.date(2021, 1, 5) if k[0] in (ASSISTING, TOWN_ACCEPT, DISTRICT_APPROVE, ELIMINATED) else None
                  for k in keys}
    one_by_one = {k: put(ledger, k[0], identified=identified[k]) for k in keys}
    batched = {k: put(ledger, k[0], identified=identified[k]) for k in keys}

    def how(level: str) -> dict:
        deciding = level in (TOWN, DISTRICT)
        return dict(at=AT, person="王核查" if deciding else None, source_sha256=SHA, comment="入户核实",
                    decided_on=DECIDED if deciding else None)

    with ledger.atomic():
        for (_, action, level), hh in one_by_one.items():
            transition(ledger.moves, hh, action, level, **how(level))
    with ledger.atomic():
        moves = [plan_move(ledger.moves, hh, action, level, **how(level)) for (_, action, level), hh in batched.items()]
    sent: list[str] = []
    listen = (ledger.db.engine, "before_cursor_execute",
              lambda _c, _cur, statement, *_: sent.append(statement.split()[0].upper()))
    sa_event.listen(*listen)
    try:
        with ledger.atomic():
            transition_many(ledger.moves, moves)
    finally:
        sa_event.remove(*listen)

    assert [m.to for m in moves] == [ASSISTING if TRANSITIONS[k] == PREVIOUS else TRANSITIONS[k] for k in keys]
    for k in keys:
        assert row_and_events(batched[k].id) == row_and_events(one_by_one[k].id), k
    field_sets = {frozenset(m.state) for m in moves}
    assert sent.count("UPDATE") == len(field_sets) < len(moves)
    events_sent = "COPY" if ledger.dialect == "postgresql" else "INSERT"  # the events: COPY on PostgreSQL
    assert sent.count(events_sent) == 1 and sent.count("INSERT") + sent.count("COPY") == 1
    ids = [e.id for m in moves for e in events(ledger, m.household_id)]
    assert ids == sorted(ids)  # the events in the order the moves were given

# --- every move that is not allowed ---------------------------------------------------------------

REFUSED = [k for k in itertools.product((*STATES, REMOVED), ACTIONS, LEVELS) if k not in TRANSITIONS]


def test_refused_moves_cover_everything_else():
    # 11 states × 12 actions × 4 levels − 29
    assert len(REFUSED) == (len(STATES) + 1) * len(ACTIONS) * len(LEVELS) - len(TRANSITIONS) == 499


@pytest.mark.parametrize("key", REFUSED, ids=lambda k: f"{k[0]}-{k[1]}-{k[2]}")
def test_disallowed_move_is_refused_naming_household_state_and_move(ledger, key):
    state, action, level = key
    hh = put(ledger, state)
    allowed = [a for (s, a, lv) in DOMAIN_TABLE if s == state and lv == level]
    expected = (f"石塘村李秀英户当前状态为“{state}”，{level}级不能执行“{action}”"
                + (f"（{level}级此时可选：{'、'.join(allowed)}）" if allowed else ""))
    with pytest.raises(TransitionRefused) as info:
        with ledger.atomic():
            transition(ledger.moves, hh, action, level, at=AT, person="王核查", source_sha256=SHA, comment="理由")
    assert str(info.value) == expected
    after = ledger.households.get(hh.id)
    assert (after.state, after.version, after.opinion) == (state, 3, "旧意见")
    assert events(ledger, hh.id) == []


@pytest.mark.parametrize("state, action, level, message", [
    (TOWN_CHECK, "不予认定", TOWN,
     "石塘村李秀英户当前状态为“待镇核查”，镇级不能执行“不予认定”（镇级此时可选：同意、退回、不予纳入）"),
    (TOWN_CHECK, "同意", DISTRICT, "石塘村李秀英户当前状态为“待镇核查”，区级不能执行“同意”"),
    (DISTRICT_CONFIRM, "同意", TOWN, "石塘村李秀英户当前状态为“待区认定”，镇级不能执行“同意”"),
    (DISTRICT_APPROVE, "不予认定", DISTRICT,
     "石塘村李秀英户当前状态为“待区审批”，区级不能执行“不予认定”（区级此时可选：同意、退回）"),
    (ASSISTING, "同意", DISTRICT, "石塘村李秀英户当前状态为“帮扶中”，区级不能执行“同意”"),
    (LEAD, "同意", TOWN, "石塘村李秀英户当前状态为“线索”，镇级不能执行“同意”"),
    (ELIMINATED, "退回", DISTRICT, "石塘村李秀英户当前状态为“风险已消除”，区级不能执行“退回”"),
    (NOT_INCLUDED, "评议公示通过", VILLAGE, "石塘村李秀英户当前状态为“未纳入”，村级不能执行“评议公示通过”"),
])
def test_refusal_messages_read_as_written(ledger, state, action, level, message):
    with pytest.raises(TransitionRefused, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        check_move(put(ledger, state), action, level)


def test_refusal_is_a_user_facing_error():
    assert issubclass(TransitionRefused, BridgeError)


def test_refusal_names_the_household_number_or_id_tail_when_no_head_name(ledger):
    with pytest.raises(TransitionRefused, match="^石塘村LS440205000009户当前状态为“线索”"):
        check_move(put(ledger, LEAD, name=None), "同意", TOWN)
    with pytest.raises(TransitionRefused, match=f"^石塘村{HEAD_B[-4:]}户当前状态为“线索”"):
        check_move(put(ledger, LEAD, name=None, no=None), "同意", TOWN)


def test_a_move_rolled_back_with_its_transaction_leaves_no_event(ledger):
    hh = put(ledger, TOWN_CHECK)
    with pytest.raises(RuntimeError):
        with ledger.atomic():
            transition(ledger.moves, hh, "同意", TOWN, at=AT, person="王核查")
            raise RuntimeError("the rest of the workbook failed")
    assert ledger.households.get(hh.id).state == TOWN_CHECK
    assert events(ledger, hh.id) == []


def test_the_audit_log_cannot_be_rewritten(ledger):
    hh = put(ledger, TOWN_CHECK)
    with ledger.atomic():
        transition(ledger.moves, hh, "同意", TOWN, at=AT, person="王核查", source_sha256=SHA)
    with pytest.raises(StoreError, match="append-only"):
        with ledger.atomic() as conn:
            conn.exec_driver_sql("UPDATE events SET person='别人'")
    with pytest.raises(StoreError, match="append-only"):
        with ledger.atomic() as conn:
            conn.exec_driver_sql("DELETE FROM events")
    assert events(ledger, hh.id)[0].person == "王核查"


# --- the village step, through the real intake path ----------------------------------------------

class Village:
    """A ledger fed village files the way a pass feeds it (minus processes and outputs)."""

    def __init__(self, tmp_path: Path, config, ledger: Store) -> None:
        self.tmp, self.config, self.n = tmp_path, config, 0
        self.ledger = ledger

    def submit(self, rows: dict, *, as_of: dt.date = AS_OF, at: dt.datetime = dt.datetime(2021, 12, 20, 10)):
        self.n += 1
        path = write(self.tmp / f"石塘村_{self.n}.xlsx", self.config, rows)
        result = check_file(path, self.config, as_of=as_of, expected_town="马坝镇")
        payload = payload_from(result, "马坝镇")
        applied = apply_village_file(self.ledger, payload, self.config, as_of=as_of, received_at=at,
                                     archived_path=str(path))
        return payload, applied

    def row(self, head_id: str = HEAD_B) -> HouseholdRow:
        [row] = self.ledger.households.find(head_id)
        return row

    def transitions(self, head_id: str = HEAD_B) -> list:
        return [e for e in self.ledger.events.of(self.row(head_id).id) if e.event == "transition"]

    def decide(self, decision: str, comment: str, *, level: str = TOWN, now: dt.datetime):
        hh = self.row()
        d = DecisionRow(row=3, decision=decision, comment=comment, person="王核查", date=now.date(),
                        token=row_token(self.ledger, hh), name=hh.head_name or "")
        return apply_decisions(self.ledger, [d], level=level, town="马坝镇" if level == TOWN else None,
                               sha256="cd" * 32, file_name="马坝镇_镇级核查表.xlsx", now=now)


@pytest.fixture
def village(tmp_path, config, store):
    return Village(tmp_path, config, store)  # (a copy of a built ledger: the fixture closes it)


def lead_rows(**review_over) -> dict:
    """Household B (income 8000 < 9600: a lead) with one 纳入监测 review; A (12000) is not proposed."""
    rows = base_rows()
    rows["review"] = [review(HEAD_B, **review_over)]
    return rows


def codes(applied) -> list[tuple]:
    return [(i.code, i.severity, i.sheet, i.row, i.column, i.value) for i in applied.issues]


def test_notice_days_are_counted_inclusive():
    assert notice_days(dt.date(2021, 11, 2), dt.date(2021, 11, 6)) == 5
    assert notice_days(dt.date(2021, 11, 2), dt.date(2021, 11, 2)) == 1
    assert notice_days(dt.date(2021, 12, 30), dt.date(2022, 1, 3)) == 5


def test_passed_review_with_five_day_notice_sends_the_lead_to_the_town(village):
    payload, applied = village.submit(lead_rows())  # 公示 2021-11-02 … 11-06: exactly 5 days, inclusive
    assert codes(applied) == []
    assert village.row(HEAD_A).state == NOT_INCLUDED
    b = village.row()
    assert (b.state, b.version, b.lead_date, b.household_no, b.provisional) == (
        TOWN_CHECK, 2, dt.date(2021, 12, 20), "LS440205000001", True)
    [event] = village.transitions()
    assert (event.from_state, event.to_state, event.level, event.person, event.source_sha256, event.action,
            event.comment) == ("线索", "待镇核查", "村", None, payload.sha256, "评议公示通过",
                               "民主评议2021-11-01通过，公示2021-11-02至2021-11-06")


def test_notice_of_four_days_is_an_error_on_the_review_row(village):
    """Found by checking the file (the same in `check`), so it is an issue of the file, not of applying it."""
    payload, applied = village.submit(lead_rows(notice_end=dt.date(2021, 11, 5)))
    assert codes(payload) == [("NOTICE_TOO_SHORT", "error", "评议公示", 2, "公示结束日期", "4")]
    assert codes(applied) == []
    assert payload.issues[0].message == "公示只有 4 天，少于规定的 5 天（含首尾两天）。"
    assert payload.issues[0].hint == "请重新公示满 5 天后再提交。"
    assert village.row().state == LEAD and village.transitions() == []


@pytest.mark.parametrize("start, end", [
    (dt.date(2021, 12, 16), dt.date(2021, 12, 20)),   # its last day is today: still running
    (dt.date(2021, 12, 18), dt.date(2021, 12, 24)),   # running
    (dt.date(2021, 12, 22), dt.date(2021, 12, 28)),   # not started yet
], ids=["ends-today", "running", "not-started"])
def test_notice_not_yet_ended_waits_without_an_issue(village, start, end):
    _, applied = village.submit(lead_rows(review_date=start - dt.timedelta(days=1), notice_start=start,
                                          notice_end=end))
    assert codes(applied) == []
    assert village.row().state == LEAD and village.transitions() == []


def test_notice_that_ended_yesterday_counts(village):
    village.submit(lead_rows(review_date=dt.date(2021, 12, 14), notice_start=dt.date(2021, 12, 15),
                             notice_end=dt.date(2021, 12, 19)))
    assert village.row().state == TOWN_CHECK


def test_consent_not_signed_is_an_error_on_the_household_row(village):
    rows = lead_rows()
    rows["household"][1]["consent"] = "否"
    payload, applied = village.submit(rows)
    assert codes(payload) == [("CONSENT_MISSING", "error", "户信息", 3, "承诺授权", "否")]
    assert codes(applied) == []
    assert payload.issues[0].message == "本户已通过评议公示，但“承诺授权”不是“是”，不能报镇里核查。"
    assert village.row().state == LEAD


@pytest.mark.parametrize("over, moves", [
    ({"objection": "有", "objection_result": "异议不成立"}, True),
    ({"objection": "有", "objection_result": "异议成立"}, False),
    ({"review_result": "不通过"}, False),
    ({"matter": "风险消除"}, False),  # a lead is not eliminated; only 纳入监测 reviews move it
], ids=["objection-rejected", "objection-upheld", "review-failed", "wrong-matter"])
def test_review_outcomes(village, over, moves):
    _, applied = village.submit(lead_rows(**over))
    assert codes(applied) == []
    assert village.row().state == (TOWN_CHECK if moves else LEAD)


def test_the_latest_review_is_the_one_that_counts(village):
    rows = lead_rows(review_result="不通过")
    rows["review"].append(review(HEAD_B, review_date=dt.date(2021, 11, 20), notice_start=dt.date(2021, 11, 21),
                                 notice_end=dt.date(2021, 11, 25)))
    village.submit(rows)
    assert village.row().state == TOWN_CHECK
    assert village.transitions()[0].comment == "民主评议2021-11-20通过，公示2021-11-21至2021-11-25"


def test_a_household_with_its_own_errors_is_not_sent_to_the_town(village):
    rows = lead_rows()
    rows["member"][3]["sex"] = "男"  # 李秀英's ID says 女: an error of hers that leaves the verdict known
    payload, applied = village.submit(rows)
    assert [i.code for i in payload.issues if i.severity == "error"] == ["SEX_MISMATCH"]
    assert codes(applied) == []
    assert village.row().state == LEAD


def test_a_wrong_size_leaves_a_new_household_unjudged_until_the_file_is_fixed(village):
    """Revised docs/domain.md: a size that disagrees with the members listed makes every per-person figure unknown,
    so B is 无法研判 — registered 未纳入 (no lead, no clock, no number) — and the fixed file moves it on."""
    rows = lead_rows()
    rows["household"][1]["size"] = 2  # 家庭成员 has one row for B: SIZE_MISMATCH
    payload, applied = village.submit(rows)
    assert [i.code for i in payload.issues if i.severity == "error"] == ["SIZE_MISMATCH"]
    b = village.row()
    assert (b.state, b.lead_date, b.household_no, b.assessment["proposed"]) == (NOT_INCLUDED, None, None, None)
    assert b.assessment["unknown_inputs"] == ["家庭人口数"]
    assert village.transitions() == []
    village.submit(lead_rows(), at=dt.datetime(2021, 12, 20, 11))
    assert [(e.action, e.comment) for e in village.transitions()] == [
        ("研判建议纳入", None), ("评议公示通过", "民主评议2021-11-01通过，公示2021-11-02至2021-11-06")]
    assert village.row().state == TOWN_CHECK


def test_no_advancing_decision_on_a_household_its_latest_file_leaves_unjudged(village):
    """Bad input (issue 9): a household whose inputs are invalid does not move until fixed — the town's 同意
    is refused with the reason; 退回 (send it back to be fixed) still works."""
    village.submit(lead_rows())
    assert village.row().state == TOWN_CHECK
    rows = lead_rows()
    rows["household"][1]["size"] = 2  # SIZE_MISMATCH: 无法研判
    village.submit(rows, at=dt.datetime(2021, 12, 20, 11))
    assert (village.row().state, village.row().assessment["proposed"]) == (TOWN_CHECK, None)
    result = village.decide("同意", "", now=dt.datetime(2021, 12, 20, 15))
    assert (result.applied, result.refused) == (0, [
        "李秀英户（户编号LS440205000001）：石塘村李秀英户最新提交的台账中本户填写有误，无法研判，“同意”未生效；请退回村里改正，或等改正后的台账到达后再决定"])
    assert village.row().state == TOWN_CHECK
    result = village.decide("退回", "家庭人口数与成员不符，请改正", now=dt.datetime(2021, 12, 20, 16))
    assert (result.applied, village.row().state) == (1, LEAD)


def test_configured_notice_length_is_used(tmp_path, ws, store):
    (ws.root / "rules" / "workflow.yaml").write_text(
        "notice_min_days: 7\nidentification_deadline_days: 15\n", encoding="utf-8")
    config = ws.config()
    assert config.rules.workflow.notice_min_days == 7
    v = Village(tmp_path, config, store)
    payload, _ = v.submit(lead_rows())  # 5 days: now too short
    assert codes(payload) == [("NOTICE_TOO_SHORT", "error", "评议公示", 2, "公示结束日期", "5")]
    assert payload.issues[0].message == "公示只有 5 天，少于规定的 7 天（含首尾两天）。"
    assert v.row().state == LEAD
    v.submit(lead_rows(notice_end=dt.date(2021, 11, 8)))  # 7 days
    assert v.row().state == TOWN_CHECK


def test_returned_lead_needs_a_review_held_after_the_return(village):
    village.submit(lead_rows())
    result = village.decide("退回", "收入核算有误，请重新核实", now=dt.datetime(2021, 12, 8, 15))
    assert (result.applied, result.refused) == (1, [])
    b = village.row()
    assert (b.state, b.opinion) == (LEAD, "镇级退回：收入核算有误，请重新核实")
    # the same (old) review in the next file does not send it again
    rows = lead_rows()
    rows["household"][0]["note"] = "补充了备注"
    _, applied = village.submit(rows, at=dt.datetime(2021, 12, 10, 9))
    assert codes(applied) == [] and village.row().state == LEAD
    # a new review after the return does
    rows["review"].append(review(HEAD_B, review_date=dt.date(2021, 12, 9), notice_start=dt.date(2021, 12, 10),
                                 notice_end=dt.date(2021, 12, 14)))
    village.submit(rows, at=dt.datetime(2021, 12, 20, 9))
    b = village.row()
    assert (b.state, b.opinion) == (TOWN_CHECK, "")
    assert [(e.from_state, e.to_state, e.level) for e in village.transitions()] == [
        ("线索", "待镇核查", "村"), ("待镇核查", "线索", "镇"), ("线索", "待镇核查", "村")]


def test_refused_household_is_not_resent_by_its_old_review(village):
    village.submit(lead_rows())
    village.decide("同意", "属实", now=dt.datetime(2021, 12, 8, 9))
    result = village.decide("不予认定", "家庭有稳定务工收入", level=DISTRICT, now=dt.datetime(2021, 12, 9, 9))
    assert result.applied == 1 and village.row().state == NOT_INCLUDED
    rows = lead_rows()
    rows["household"][0]["note"] = "补充了备注"  # the village's next file, B's data and review unchanged
    village.submit(rows, at=dt.datetime(2021, 12, 12, 9))
    assert village.row().state not in (LEAD, TOWN_CHECK)


def test_village_file_cannot_import_a_typed_identification_date_without_a_number(village):
    rows = base_rows()
    rows["household"][1]["identified_date"] = dt.date(2021, 3, 1)
    _, applied = village.submit(rows)
    assert codes(applied) == [("IMPORT_NEEDS_NUMBER", "warning", "户信息", 3, "识别纳入日期", "2021-03-01")]
    b = village.row()
    assert (b.state, b.identified_date) == (LEAD, None)


def test_household_with_a_national_number_and_date_is_imported_as_assisted(village):
    rows = base_rows()
    rows["household"][1].update(household_no="44020500000002", identified_date=dt.date(2021, 3, 1),
                                contact_person="王帮扶", contact_phone="13711112222")
    _, applied = village.submit(rows)
    assert codes(applied) == []
    b = village.row()
    assert (b.state, b.identified_date, b.household_no, b.provisional) == (
        ASSISTING, dt.date(2021, 3, 1), "44020500000002", False)
    assert village.transitions() == []
    [created] = village.ledger.events.of(b.id)
    assert (created.event, created.to_state, created.level, created.comment) == (
        "created", "帮扶中", "系统", "按台账中的识别纳入日期导入")
