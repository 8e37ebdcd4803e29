"""`gobuild diff A B`: why two builds of a function differ, from the zips alone (no Go needed).

    compare(a, b, s3=S3Options(...))  → DiffResult: every artifact A and B name, compared
    explain_zips(old, new, ...)       → the differences of two zips, most decisive first
    gosym                             → the Go function tables of stripped binaries, diffed

Modules: inputs (what an argument names), fetch (S3), archive (zip level), goinfo (Go build
information and recorded settings), code (function-level explanation), explain (one pair),
compare (the whole run), model (the results).
"""

from gobuild.diff.compare import compare
from gobuild.diff.explain import explain_zips
from gobuild.diff.fetch import S3Options
from gobuild.diff.model import ArtifactDiff, Difference, DiffInputError, DiffResult, Origin

__all__ = [
    "ArtifactDiff", "DiffInputError", "DiffResult", "Difference", "Origin", "S3Options", "compare", "explain_zips",
]  # fmt: skip
