"""A small horizontal bar chart as inline SVG (no chart library)."""

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 170
BAR_WIDTH = 300


def bars(lines: list[tuple[str, str, int]], title: str = "Outcomes") -> Markup:
    """SVG bars for (key, label, count) lines, scaled to the largest count."""
    top = max((count for _, _, count in lines), default=0) or 1
    height = ROW * len(lines) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (key, label, count) in enumerate(lines):
        y = 5 + index * ROW
        length = round(BAR_WIDTH * count / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="bar bar-{escape(key)}" x="{LABEL_WIDTH}" y="{y + 3}" '
            f'width="{length}" height="{ROW - 8}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
