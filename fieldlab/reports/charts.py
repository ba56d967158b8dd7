"""Horizontal bar charts for counts with long labels (organisations, themes).

The vertical bars of `evaluations.charts` suit short labels (years, grades 1–10) and are reused for
those; names of organisations do not fit under a bar, so they stand left of a horizontal one. The
SVG is a picture with a title; the same numbers always stand in the table beside it.
"""

from dataclasses import dataclass, field

from fieldlab.evaluations.charts import format_number

# Labels get room for some 38 characters ("Alumni in totaal (eind 2026)", "Nederlandse
# Arbeidsinspectie"); a longer one is shortened with "…", and stands whole in the table beside it.
WIDTH = 560
ROW = 22
LABEL_WIDTH = 270
VALUE_WIDTH = 44
LABEL_CHARACTERS = 38


@dataclass
class HorizontalBar:
    label: str
    value_text: str
    y: float
    width: float


@dataclass
class HorizontalBarChart:
    bars: list[HorizontalBar] = field(default_factory=list)
    width: int = WIDTH
    height: int = ROW
    label_width: int = LABEL_WIDTH
    row: int = ROW


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[:LABEL_CHARACTERS - 1].rstrip() + "…"


def horizontal_bar_chart(items: list[tuple[str, float | None]], *, decimals: int = 0) -> HorizontalBarChart:
    """One bar per (label, value), scaled to the largest value; None draws no bar and a dash."""
    top = max((value or 0 for _label, value in items), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    chart = HorizontalBarChart(height=max(ROW, ROW * len(items)))
    for index, (label, value) in enumerate(items):
        chart.bars.append(HorizontalBar(
            label=_short(label), value_text="–" if value is None else format_number(value, decimals),
            y=index * ROW, width=round(plot * (value or 0) / top, 1)))
    return chart
