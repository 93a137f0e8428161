"""The interpreter's cycle collector kept off the paths people wait on (issue 23).

A full collection of CPython's cycle collector walks every object alive: in the main process of a watcher, its
modules, caches and connections, ~150,000 objects. One that fell inside a pass took ~90 ms of a clerk's
0.3–0.4 s turnaround (one re-drop in five, in the bench's 200-village workspace); in a 20-village cold pass the
full collections were 0.19 s. So a pass freezes what was alive before it (`gc.freeze`: the pass's collections
look only at what the pass made) and thaws it at its end, and a watcher collects fully while it is idle (nobody
waits then). A worker freezes what its fork server loaded before the worker was forked. Both calls are O(1):
they move the collector's lists, nothing is walked or copied. Plain CPython, every platform.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

IDLE_COLLECT_SECONDS = 60.0  # a watcher idle collects at most this often (a full collection: ~0.1 s of CPU)


@contextmanager
def young_only() -> Iterator[None]:
    """Within: only the objects made within are looked at by the cycle collector; after: all of them again."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_inherited() -> None:
    """In a worker just started: what it inherited (the code its fork server loaded) is never looked at again."""
    gc.freeze()


class IdleCollector:
    """A full collection when the program has nothing to do, at most every `every` seconds: the cycles the passes
    left go then, not inside a pass (a pass's own collections do not look at objects made before it)."""

    def __init__(self, every: float = IDLE_COLLECT_SECONDS) -> None:
        self.every = every
        self.last = time.monotonic()

    def idle(self) -> bool:
        """Called when idle: whether it collected."""
        if time.monotonic() - self.last < self.every:
            return False
        gc.collect()
        self.last = time.monotonic()
        return True
