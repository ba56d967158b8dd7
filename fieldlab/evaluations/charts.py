"""Server-rendered SVG bar charts: geometry here, markup in evaluations/_bar_chart.html.

No chart library and no script: the SVG is a picture (role="img" with a title) and the same
numbers always stand in a table beside it for screen readers and for copying.
"""

from dataclasses import dataclass, field

WIDTH = 400
HEIGHT = 220
TOP = 24
BOTTOM = 28
LEFT = 8
RIGHT = 8


@dataclass
class Bar:
    label: str
    value: float
    value_text: str
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass
class BarChart:
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM


def format_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",") if decimals else str(int(round(value)))


def bar_chart(items: list[tuple[str, float | None]], *, maximum: float | None = None,
              decimals: int = 0) -> BarChart:
    """Vertical bars for (label, value) pairs, scaled to `maximum` (default: the largest value).
    A value of None (not shown, e.g. too few respondents) draws no bar and a dash."""
    chart = BarChart()
    if not items:
        return chart
    top_value = maximum or max((value or 0 for _label, value in items), default=0) or 1
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(items)
    bar_width = slot * 0.7
    for index, (label, value) in enumerate(items):
        height = plot_height * (value / top_value) if value else 0
        chart.bars.append(Bar(
            label=label, value=value or 0, value_text="–" if value is None else format_number(value, decimals),
            x=round(LEFT + index * slot + (slot - bar_width) / 2, 1), y=round(chart.baseline - height, 1),
            width=round(bar_width, 1), height=round(height, 1),
        ))
    return chart
