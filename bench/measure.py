"""Run one command and write its wall time and peak memory as JSON: `measure.py OUT.json LOG -- CMD...`.

Linux hands a child the peak RSS of the process that forked it (exec records the old address
space's high-water mark), so a child forked straight from the benchmark would report the
benchmark's own memory. This small launcher is forked instead and forks the command itself:
the command starts from a ~10 MB parent, and its peak RSS is its own.

The command may hand work to helper processes (the importer parses in a second one), so the
memory of the whole process tree is also sampled every 0.1 s: the sum of each process's PSS
(proportional set size, so pages shared after a fork are not counted twice).
"""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        found.append(parent)
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return found


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.most_processes = pid, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            pids = descendants(self.pid)
            self.most_processes = max(self.most_processes, len(pids))
            self.peak_kb = max(self.peak_kb, sum(pss_kb(pid) for pid in pids))


def main() -> None:
    out_path, log_path, separator, *command = sys.argv[1:]
    assert separator == "--" and command, __doc__
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    result = {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "tree_peak_pss_mb": sampler.peak_kb / 1024,
        "most_processes": sampler.most_processes,
        "returncode": os.waitstatus_to_exitcode(status),
        "user_seconds": usage.ru_utime,
        "system_seconds": usage.ru_stime,
    }
    with open(out_path, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
