"""Measurement helper: run a command and report its wall time and the CPU of its whole process tree.

    python bench/tree_cpu.py LABEL COMMAND [ARGS...]

`/usr/bin/time` counts only the processes its command waited for: a fork server's workers, LibreOffice's
daemon or anything orphaned escape it. Here this process becomes the tree's child subreaper (Linux's
PR_SET_CHILD_SUBREAPER), so every orphaned descendant is reparented to it and reaped, and RUSAGE_CHILDREN
then holds them all. The command's output is discarded; one line says `LABEL rc … wall … cpu …`.
Linux-only (prctl through ctypes), like the rest of bench/'s process tooling.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    label, command = argv[0], argv[1:]
    ctypes.CDLL("libc.so.6").prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    while True:  # the orphans still running: wait for each, so its CPU is counted
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{label} rc {proc.returncode} wall {wall:.2f} cpu {used.ru_utime + used.ru_stime:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
