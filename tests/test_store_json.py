"""The ledger's JSON records are decoded by store.tables.loads (orjson, json where orjson refuses), on SQLite and
PostgreSQL alike; without orjson the ledger reads the same with json. Real ledgers, a real subprocess."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from excel_bridge.store import tables as t

pytestmark = pytest.mark.backends
AT = dt.datetime(2026, 11, 2, 9, 30)
ROOT = Path(__file__).resolve().parent.parent


def _household(store, data: dict, assessment: dict) -> int:
    with store.atomic():
        return store.households.create(
            head_id="440205197001010011", head_name="张三", town="马坝镇", village="石塘村", state="线索",
            household_no=None, provisional=False, lead_date=None, identified_date=None, submission_id=None, row=2,
            data=data, assessment=assessment, errors=0, warnings=0, at=AT)


def test_the_ledger_decodes_its_records_with_the_stores_loads(store):
    assert store.db.engine.dialect._json_deserializer is t.loads
    data = {"head_name": "张三", "per_capita_income": 6543.21, "members": 4, "health": ["长期慢性病", "残疾"],
            "bank": "6228480402564890018", "note": "户主\u3000患病，“两不愁”已保障", "empty": None, "flag": True}
    hid = _household(store, data, {"category": "脱贫不稳定户", "risk_types": ["因病"], "proposed": True})
    row = store.households.get(hid)
    assert row.data == {**data, "health": ("长期慢性病", "残疾")}  # a multiple choice read back as a tuple
    assert row.assessment == {"category": "脱贫不稳定户", "risk_types": ["因病"], "proposed": True}
    assert [type(row.data[k]) for k in ("per_capita_income", "members", "flag")] == [float, int, bool]
    if store.db.dialect == "sqlite":  # (JSONB keeps its keys in an order of its own)
        assert list(row.data) == list(data)


def test_what_orjson_refuses_is_decoded_by_json():
    """json writes a float that is not finite as NaN/Infinity, which orjson does not read."""
    assert t.dumps({"x": float("nan"), "y": float("inf")}) == '{"x":NaN,"y":Infinity}'
    back = t.loads('{"x":NaN,"y":Infinity}')
    assert math.isnan(back["x"]) and back["y"] == math.inf
    assert t.loads(b'{"a":[1,2.5,"\xe5\x8f\xb7"]}') == {"a": [1, 2.5, "号"]}  # bytes, as psycopg hands them over
    with pytest.raises(json.JSONDecodeError):
        t.loads('{"a":')


def test_a_sqlite_ledger_gives_back_a_nan_it_was_given(store):
    """(PostgreSQL's JSONB has no NaN: the server refuses it; the program never stores one, a value that is not a
    finite number being read as none.)"""
    if store.db.dialect != "sqlite":
        pytest.skip("SQLite only: JSONB holds no NaN")
    hid = _household(store, {"income": float("nan"), "n": 2}, {})
    back = store.households.get(hid).data
    assert math.isnan(back["income"]) and back["n"] == 2


def test_without_orjson_the_ledger_reads_with_json(tmp_path):
    """A platform with no orjson wheel: the import is guarded, the same records come back."""
    script = textwrap.dedent(f"""
        import sys, datetime as dt
        sys.modules["orjson"] = None  # import orjson raises ImportError
        sys.path.insert(0, {str(ROOT)!r})
        from excel_bridge.store import Store, tables
        assert tables._orjson is None
        with Store.open({str(tmp_path / "ledger.sqlite")!r}) as store:
            with store.atomic():
                hid = store.households.create(
                    head_id="440205197001010011", head_name="张三", town="马坝镇", village="石塘村", state="线索",
                    household_no=None, provisional=False, lead_date=None, identified_date=None, submission_id=None,
                    row=2, data={{"n": 1, "x": float("nan"), "名": "张三"}}, assessment={{}}, errors=0, warnings=0,
                    at=dt.datetime(2026, 11, 2))
            row = store.households.get(hid)
            print(row.data["n"], row.data["名"], row.data["x"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "张三", "nan"]
