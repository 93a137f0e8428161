"""The processing pipeline: one pass over a workspace, in stages (run.py), each a module of its own.

    run            Processor.run_pass: the stages in order, one pass at a time per workspace
    jobs           what goes to worker processes (reading files, writing returned copies) and comes back
    village_files  village files applied, refused or reported
    decision_files a town's or the district's saved decisions
    outputs        returned copies and 公示名单, as soon as their files are applied
    district       the town workbooks and the master, written in the background by one writer
    housekeeping   leftovers of a killed pass, an older workspace's layout, the inbox emptied
"""

from .context import FileOutcome, PassReport
from .run import Processor

__all__ = ["FileOutcome", "PassReport", "Processor"]
