"""The processing pipeline: one pass over a workspace, in stages (run.py), each a module of its own.

    run            Processor.run_pass: the stages in order, one pass at a time per workspace
    jobs           what goes to worker processes (reading files, writing returned copies) and comes back
    village_files  village files applied, refused or reported
    decision_files a town's or the district's saved decisions
    outputs        returned copies and 公示名单, as soon as their files are applied
    district       the town workbooks and the master, written in the background by one writer
    housekeeping   leftovers of a killed pass, an older workspace's layout, the inbox emptied
"""

from __future__ import annotations

from typing import Any

from .context import FileOutcome, PassReport

__all__ = ["FileOutcome", "PassReport", "Processor"]


def __getattr__(name: str) -> Any:
    """Processor on first use: a worker importing pipeline.jobs does not load the whole pass (nor pandas)."""
    if name == "Processor":
        from .run import Processor

        return Processor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
