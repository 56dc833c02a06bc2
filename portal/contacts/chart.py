"""A small server-rendered SVG bar chart (no script, no inline style)."""

from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 70
BAR_SPACE = 300


@dataclass
class Bar:
    label: str
    count: int
    y: int
    width: int


@dataclass
class Chart:
    bars: list[Bar]
    height: int
    width: int = LABEL_WIDTH + BAR_SPACE + 60
    label_width: int = LABEL_WIDTH


def bar_chart(counts: list) -> Chart | None:
    """Bars of open problems per building; None when there is nothing to draw."""
    if not counts:
        return None
    top = max(count for _building, count in counts) or 1
    bars = [
        Bar(
            building.code,
            count,
            index * (BAR_HEIGHT + GAP),
            round(BAR_SPACE * count / top),
        )
        for index, (building, count) in enumerate(counts)
    ]
    return Chart(bars, len(bars) * (BAR_HEIGHT + GAP))
