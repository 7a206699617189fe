"""Small bar charts drawn on the server as SVG, with the same numbers as plain data.

A chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says what it
shows in words; the template puts the same numbers beside it as a visually-hidden table, so
a screen reader gets exact figures and nobody depends on colour or shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from app.i18n import _, ngettext

# Drawn for a card about 500 px wide, so 14 px text stays about 14 px on a laptop.
WIDTH = 500
LABEL_WIDTH = 210
VALUE_WIDTH = 55
ROW = 28
BAR = 18
LABEL_CHARS = 28


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    rows: list[tuple[str, int]]
    svg: str  # already escaped markup
    total: int


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def describe(*, title: str, rows: Sequence[tuple[str, int]], unit: str) -> str:
    """The chart in one or two sentences."""
    total = sum(n for _label, n in rows)
    answers = unit == "answers"
    if total == 0:
        if answers:
            return _("%(title)s: no answers yet.", title=title)
        return _("%(title)s: no contributions yet.", title=title)
    top = max(n for _label, n in rows)
    leaders = [label for label, n in rows if n == top]
    most = leaders[0]
    for label in leaders[1:3]:
        most = _("%(first)s and %(second)s", first=most, second=label)
    if len(leaders) > 3:
        most = _("%(names)s and others", names=most)
    if answers:
        return ngettext(
            "%(title)s: %(num)s answer in all. Most: %(most)s, with %(top)s.",
            "%(title)s: %(num)s answers in all. Most: %(most)s, with %(top)s.",
            total,
            title=title,
            most=most,
            top=top,
        )
    return ngettext(
        "%(title)s: %(num)s contribution in all. Most: %(most)s, with %(top)s.",
        "%(title)s: %(num)s contributions in all. Most: %(most)s, with %(top)s.",
        total,
        title=title,
        most=most,
        top=top,
    )


def bar_chart(
    *, chart_id: str, title: str, rows: Sequence[tuple[str, int]], unit: str = "contributions"
) -> Chart:
    """A horizontal bar chart: one row per label, bars scaled to the largest value."""
    rows = list(rows)
    top = max((n for _, n in rows), default=0)
    height = max(ROW, ROW * len(rows)) + 10
    bar_space = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    description = describe(title=title, rows=rows, unit=unit)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * ROW
        length = 0 if top == 0 else round(bar_space * value / top)
        if value and length < 2:
            length = 2  # a small count is still visible
        mid = y + ROW / 2
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{mid:g}" '
            f'text-anchor="end" dominant-baseline="middle">{escape(_short(label))}</text>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y + (ROW - BAR) / 2:g}" '
            f'width="{length}" height="{BAR}" rx="3"></rect>'
        )
        parts.append(
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6}" y="{mid:g}" '
            f'dominant-baseline="middle">{value}</text>'
        )
    parts.append("</svg>")
    return Chart(
        chart_id=chart_id,
        title=title,
        description=description,
        rows=rows,
        svg="".join(parts),
        total=sum(n for _, n in rows),
    )
