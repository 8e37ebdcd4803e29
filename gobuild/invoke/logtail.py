"""The part of an invocation's log that its result keeps: the last lines, within a bound.

Every line goes to the log sink as it comes; a result (and `invoke --json`) keeps only the last
TAIL_LINES lines and at most TAIL_CHARS characters of them, so a function that prints gigabytes costs
gobuild no more memory than one that prints a page. When lines were dropped, the kept ones
start with a line that says how many.
"""

from __future__ import annotations

from collections import deque

TAIL_LINES = 1000
TAIL_CHARS = 1024 * 1024  # characters of text, newlines not counted
# A longer line reaches the sink and the tail in pieces of this size (CloudWatch's event limit).
MAX_LINE_BYTES = 256 * 1024


def dropped_marker(lines: int, size: int) -> str:
    """The first kept line when earlier ones were dropped."""
    noun = "line" if lines == 1 else "lines"
    return (f"[gobuild] {lines} earlier log {noun} ({size} characters) not kept here: a result keeps "
            f"the last {TAIL_LINES} lines and at most {TAIL_CHARS} characters of an invocation's log")


class LogTail:
    """The last lines of a log: at most `max_lines` of them and `max_chars` characters in all."""

    def __init__(self, *, max_lines: int = TAIL_LINES, max_chars: int = TAIL_CHARS) -> None:
        self.max_lines = max_lines
        self.max_chars = max_chars
        self._lines: deque[str] = deque()
        self._size = 0
        self.dropped_lines = 0
        self.dropped_chars = 0

    def add(self, line: str) -> None:
        """Keeps `line` (cut to max_chars characters), dropping the oldest lines past the bounds."""
        line = line[: self.max_chars]
        self._lines.append(line)
        self._size += len(line)
        while len(self._lines) > self.max_lines or self._size > self.max_chars:
            old = self._lines.popleft()
            self._size -= len(old)
            self.dropped_lines += 1
            self.dropped_chars += len(old)

    def lines(self) -> tuple[str, ...]:
        """The kept lines, oldest first, after a marker line if any were dropped."""
        if not self.dropped_lines:
            return tuple(self._lines)
        return (dropped_marker(self.dropped_lines, self.dropped_chars), *self._lines)
