"""The cycle collector kept off the paths people wait on (excel_bridge.heap, issue 23): a pass's collections look
only at what the pass made, a worker never walks what its fork server loaded, an idle watcher collects the rest."""

from __future__ import annotations

import gc
import weakref

import pytest
from factory import write_village

from excel_bridge.heap import IdleCollector, young_only

TOWN = "马坝镇"


class Node:
    """An object in a cycle with itself: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector_off():
    """Automatic collections off: what is freed below is freed by the collections the test makes."""
    assert gc.get_freeze_count() == 0
    gc.disable()
    yield
    gc.enable()
    gc.unfreeze()


def test_within_young_only_a_collection_frees_the_new_cycles_and_keeps_the_old_ones(collector_off):
    old = Node()
    old_ref = weakref.ref(old)
    with young_only():
        assert gc.get_freeze_count() > 0
        new = Node()
        new_ref = weakref.ref(new)
        del old, new
        gc.collect()
        assert new_ref() is None  # made within: collected
        assert old_ref() is not None  # alive before: not even looked at
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None  # after: collected like anything else


def test_a_pass_runs_with_what_was_alive_before_it_frozen(ws, proc, config, collector_off):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    seen: list[int] = []
    request = proc.district.request

    def noted(*args, **kwargs):  # (asked for in the middle of the pass)
        seen.append(gc.get_freeze_count())
        request(*args, **kwargs)

    proc.district.request = noted
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied")]
    assert len(seen) == 1 and seen[0] > 10_000  # the interpreter's modules, the program's, the session's
    assert gc.get_freeze_count() == 0


def test_a_worker_never_walks_what_it_inherited(runner):
    # eval: a builtin, so the job pickles by name and runs as any job does, in the session's worker
    assert runner.submit(eval, "__import__('gc').get_freeze_count()").result(timeout=120) > 1_000


def test_the_idle_collector_collects_at_most_every_so_often(collector_off):
    collector = IdleCollector(every=3600)
    node = Node()
    ref = weakref.ref(node)
    del node
    assert collector.idle() is False and ref() is not None  # collected less than an hour ago (at its start)
    collector.every = 0
    assert collector.idle() is True and ref() is None
