"""The benchmark's output: one table per section and a targets block, as plain text or Markdown.

A section's main table has one row per run, with ratios to the row named `floor` and, where the
section has them, to the matching warm go build and to the physical limit of the row's scenario
(bench/limit.py). Sections may add free-form tables (a time breakdown, the correctness table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.measure import Sample


@dataclass(frozen=True, kw_only=True)
class Target:
    """A goal from the issue and whether this run met it (None: not measured, see detail)."""

    name: str
    met: bool | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class Table:
    """A free-form table: a title, a header and rows of already formatted cells."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"title": self.title, "header": list(self.header), "rows": [list(r) for r in self.rows],
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Table:
        return cls(title=str(data["title"]), header=tuple(data["header"]),  # type: ignore[arg-type]
                   rows=tuple(tuple(r) for r in data["rows"]),  # type: ignore[attr-defined]
                   notes=tuple(data.get("notes") or ()))  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class Section:
    """One table: rows as ratios to the row named `floor`, and the lines that explain it."""

    name: str
    title: str
    rows: tuple[Sample, ...]
    floor: str  # label of the row every ratio divides by
    floor_name: str = "floor"
    warm_column: bool = False  # show "× warm go build" (the row's `warm` seconds)
    limit_column: bool = False  # show "limit s" and "× limit" (the row's `limit` seconds)
    notes: tuple[str, ...] = ()
    targets: tuple[Target, ...] = field(default=())
    output: tuple[str, ...] = ()  # another program's output, shown verbatim instead of a table
    tables: tuple[Table, ...] = ()  # shown after the main table

    def floor_seconds(self) -> float | None:
        return next((r.seconds for r in self.rows if r.label == self.floor), None)

    def row(self, label_start: str) -> Sample | None:
        return next((r for r in self.rows if r.label.startswith(label_start)), None)

    def as_json(self) -> dict[str, object]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("rows", "targets", "tables")}
        data["tables"] = [t.as_json() for t in self.tables]
        data["notes"] = list(self.notes)
        data["output"] = list(self.output)
        data["rows"] = [r.as_json() for r in self.rows]
        data["targets"] = [t.as_json() for t in self.targets]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Section:
        values = dict(data)
        values["rows"] = tuple(Sample.from_json(r) for r in values["rows"])  # type: ignore[attr-defined]
        values["targets"] = tuple(Target(**t) for t in values["targets"])  # type: ignore[attr-defined]
        values["notes"] = tuple(values["notes"])  # type: ignore[arg-type]
        values["output"] = tuple(values.get("output") or ())  # type: ignore[arg-type]
        values["tables"] = tuple(Table.from_json(t) for t in values.get("tables") or ())  # type: ignore[attr-defined]
        return cls(**values)  # type: ignore[arg-type]


def _cells(section: Section, row: Sample) -> list[str]:
    floor = section.floor_seconds()
    if row.seconds is None:
        cells = ["skipped", "-"]
    else:
        cells = [f"{row.seconds:.2f}", f"{row.seconds / floor:.2f}" if floor else "-"]
    if section.warm_column:
        cells.append(f"{row.seconds / row.warm:.2f}" if row.seconds is not None and row.warm else "-")
    if section.limit_column:
        cells.append(f"{row.limit:.2f}" if row.limit else "-")
        cells.append(f"{row.seconds / row.limit:.2f}" if row.seconds is not None and row.limit else "-")
    cells.append(f"{row.cpu:.1f}" if row.cpu is not None else "-")
    cells.append(f"{row.own_mb:.0f}" if row.own_mb is not None else "-")
    cells.append(f"{row.tree_mb:.0f}" if row.tree_mb is not None else "-")
    note = row.note
    if row.runs:
        spread = f"median of {len(row.runs)}: {min(row.runs):.2f}-{max(row.runs):.2f} s"
        note = f"{spread}; {note}" if note else spread
    if row.warm is not None:
        warm = f"warm go build {row.warm:.2f} s"
        note = f"{note}; {warm}" if note else warm
    return [row.label, *cells, note]


def _header(section: Section) -> list[str]:
    columns = ["run", "seconds", f"× {section.floor_name}"]
    if section.warm_column:
        columns.append("× warm go build")
    if section.limit_column:
        columns += ["limit s", "× limit"]
    return [*columns, "CPU s", "own MB", "tree MB", "note"]


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the middle ones right-aligned,
    the last (a note) left as it is."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for i, line in enumerate([header, *rows]):
        first = line[0].ljust(widths[0])
        numbers = "".join(cell.rjust(widths[j] + 2) for j, cell in enumerate(line[1:-1], start=1))
        out.append(f"{first}{numbers}  {line[-1]}".rstrip())
        if i == 0:
            out.append("-" * (sum(widths[:-1]) + 2 * (len(widths) - 1) + 4))
    return out


def text(sections: Sequence[Section], targets: Sequence[Target], preamble: Sequence[str]) -> str:
    """Plain text: aligned columns, a blank line between sections, then the targets block."""
    out = list(preamble)
    for section in sections:
        if section.output:
            out += ["", f"== {section.title}", *section.output, *[f"  {n}" for n in section.notes]]
            continue
        out += ["", f"== {section.title}"]
        if section.rows:
            out += _aligned(_header(section), [_cells(section, r) for r in section.rows])
        for table in section.tables:
            out += ["", f"-- {table.title}", *_aligned(table.header, table.rows), *[f"  {n}" for n in table.notes]]
        out += [f"  {n}" for n in section.notes]
    out += ["", "== targets", *_target_lines(targets)]
    return "\n".join(out)


def markdown(sections: Sequence[Section], targets: Sequence[Target], preamble: Sequence[str]) -> str:
    """The same tables as GitHub Markdown, for the README."""
    out = [f"_{line}_  " for line in preamble]
    for section in sections:
        if section.output:
            out += ["", f"#### {section.title}", "", "```", *section.output, "```", *[f"- {n}" for n in section.notes]]
            continue
        out += ["", f"#### {section.title}"]
        if section.rows:
            out += ["", *_markdown_table(_header(section), [_cells(section, r) for r in section.rows])]
        for table in section.tables:
            out += ["", f"_{table.title}_", "", *_markdown_table(table.header, table.rows)]
            if table.notes:
                out += ["", *[f"- {n}" for n in table.notes]]
        if section.notes:
            out.append("")
            out += [f"- {n}" for n in section.notes]
    out += ["", "#### Targets", "", "| target | result | numbers |", "|---|---|---|"]
    for t in targets:
        out.append(f"| {t.name} | {_verdict(t)} | {t.detail.replace('|', '/')} |")
    return "\n".join(out)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", *["---:"] * (len(header) - 2), "---"]) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return lines


def _verdict(target: Target) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[target.met]


def _target_lines(targets: Sequence[Target]) -> list[str]:
    width = max((len(t.name) for t in targets), default=0)
    return [f"{_verdict(t):<13}{t.name:<{width}}  {t.detail}" for t in targets]
