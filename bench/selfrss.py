"""Runs the gobuild CLI in this process, then writes its own peak RSS (KiB) to argv[1]."""

import resource
import sys

report = sys.argv[1]
sys.argv = ["gobuild", *sys.argv[2:]]
try:
    from gobuild.cli import main

    main()
finally:
    with open(report, "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
