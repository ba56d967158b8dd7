"""Server-rendered line charts for the progress picture: plain numbers in, SVG coordinates out.

No chart library and no script: the template draws an `<svg role="img">` with a title and a
description, and puts the same numbers in a table beside it for screen readers and for print.
"""

from dataclasses import dataclass

from fieldlab.boards.models import CHALLENGE_DAYS

WIDTH = 480
HEIGHT = 220
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 32


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class LineChart:
    points: str
    dots: list[tuple[float, float]]
    target_y: float | None
    baseline_y: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def line_chart(points: list[tuple[int, float]], *, target: float | None = None,
               baseline: float | None = None) -> LineChart:
    """Days 1..100 across, values up; the target (and baseline) as horizontal lines."""
    values = [value for _, value in points] + [v for v in (target, baseline) if v is not None]
    low = min([0.0, *values])
    high = max([1.0, *values])
    if high == low:
        high = low + 1
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return round(LEFT + (max(day, 1) - 1) / (CHALLENGE_DAYS - 1) * plot_width, 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_height, 1)

    coordinates = [(x(day), y(value)) for day, value in points]
    return LineChart(
        points=" ".join(f"{cx},{cy}" for cx, cy in coordinates),
        dots=coordinates if len(coordinates) <= 30 else [],
        target_y=y(target) if target is not None else None,
        baseline_y=y(baseline) if baseline is not None else None,
        x_ticks=[Tick(x(day), str(day)) for day in (1, 25, 50, 75, 100)],
        y_ticks=[Tick(y(value), _number(round(value, 2))) for value in (low, (low + high) / 2, high)],
    )
