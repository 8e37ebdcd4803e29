"""Runs the gobuild CLI in this process, then writes its own peak RSS (KiB) to argv[1].

The peak is VmHWM from /proc/self/status: the high-water mark of this process's own memory
since its exec. getrusage's ru_maxrss is not used on Linux: it also counts the memory of the
process that forked this one (the kernel carries the pre-exec high-water mark over exec), so
a benchmark runner holding 300 MB would make a 30 MB gobuild look like 300 MB.
"""

import resource
import sys

report = sys.argv[1]
sys.argv = ["gobuild", *sys.argv[2:]]


def peak_kib() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


try:
    from gobuild.main import main

    main()
finally:
    with open(report, "w") as handle:
        handle.write(str(peak_kib()))
