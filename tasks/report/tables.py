"""The one table formatter (plain text and Markdown) and the number formats the tables use.

A table is a header and rows of already formatted cells; `align` says, per column, "l" (left)
or "r" (right), by default the first column left and the rest right (a label, then numbers).
The metrics table, the comparison, the costs and the bake-off all print through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GAP = "  "


def _aligns(header: Sequence[str], align: str | None) -> str:
    aligns = align if align is not None else "l" + "r" * (len(header) - 1)
    if len(aligns) != len(header) or set(aligns) - {"l", "r"}:
        raise ValueError(f"align needs one 'l' or 'r' per column ({len(header)}), got {align!r}")
    return aligns


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: str | None = None,
    rule: bool = True,
) -> list[str]:
    """Lines of a fixed-width table: columns two spaces apart, padded to their widest cell,
    a dashed rule under the header when `rule`; no trailing spaces."""
    aligns = _aligns(header, align)
    table = [list(header), *(list(row) for row in rows)]
    for row in table:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells, the header {len(header)}: {row!r}")
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for i, row in enumerate(table):
        cells = [
            cell.ljust(w) if a == "l" else cell.rjust(w)
            for cell, w, a in zip(row, widths, aligns, strict=True)
        ]
        lines.append(GAP.join(cells).rstrip())
        if i == 0 and rule:
            lines.append(GAP.join("-" * w for w in widths))
    return lines


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | None = None
) -> list[str]:
    """Lines of a Markdown (GFM) table; right-aligned columns get `---:`."""
    aligns = _aligns(header, align)
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" if a == "l" else "---:" for a in aligns) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def fmt_number(value: float | None, *, signed: bool = False) -> str:
    """A metric value: 4 decimals (with its sign when `signed`, for a delta), "-" for none."""
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def fmt_amount(value: Any) -> str:
    """A cost, count or duration: 4 significant digits for floats (tiny ones in e-notation),
    other values as they print, "-" for none."""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.2e}"
    return "-" if value is None else str(value)
