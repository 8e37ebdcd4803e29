"""How results read as plain lines of text. Shared by the CLI's renderers and by the no-op fast
path, which prints the same lines without loading the CLI. No imports: it is loaded first.
"""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 zip', '2 zips', '0 zips'; `many` for irregular plurals."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def human_size(size: int) -> str:
    """1536 → '1.5 KB'; bytes below 1 KB are shown whole."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{size} B"


def result_line(task: str, ok: bool, detail: str = "", *, size: int | None = None,
                seconds: float | None = None) -> str:
    """One finished task: mark, task, detail, size and time."""
    extra = f"  {human_size(size)}" if size is not None else ""
    if seconds is not None:
        extra += f"  {seconds:.1f}s"
    return f"{'ok  ' if ok else 'FAIL'} {task:<28} {detail}{extra}"


def build_summary(*, zips: int, out_dir: str, go_version: str, built: int = 0, from_cache: int = 0,
                  up_to_date: int = 0, failed: int = 0) -> str:
    """The last line of `gobuild build`: how many zips, where, and how each came to be."""
    parts = [f"{built} built"] if built else []
    if from_cache:
        parts.append(f"{from_cache} from cache")
    if up_to_date:
        parts.append(f"{up_to_date} up to date")
    if failed:
        parts.append(f"{failed} failed")
    return f"{plural(zips, 'zip')} in {out_dir} ({', '.join(parts) or 'nothing to do'}; {go_version})"


def warning_line(message: str) -> str:
    return f"warning: {message}"
