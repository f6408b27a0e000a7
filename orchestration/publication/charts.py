"""Inline SVG charts for the monthly report.

The report must open offline from a release folder, so its charts are plain SVG written into the page rather than
a charting library loaded at view time. The SVG is built with ElementTree, which escapes every unit name and label
it is given: a name that contains markup is shown as text, never run. The charts know nothing of the index: the
report hands them labels already formatted (Vietnamese decimal comma), colours and fractions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

FONT = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
TEXT_COLOUR = "#1f2933"
MUTED_COLOUR = "#616e7c"
POSITIVE_COLOUR = "#1b7837"
NEGATIVE_COLOUR = "#c0392b"
# Sequential scale of the heat map, from an empty group to a group at its maximum.
HEAT_LOW = (247, 251, 255)
HEAT_HIGH = (8, 81, 156)
LABEL_CHARS = 34


@dataclass(frozen=True)
class Bar:
    """One unit's bar: its length is value / scale_max; value_label is what the reader sees."""

    label: str
    value: float
    value_label: str
    colour: str
    tooltip: str = ""


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str


@dataclass(frozen=True)
class HeatCell:
    """fraction is 0..1 of the column's maximum, or None when there is nothing to show (drawn blank)."""

    fraction: float | None
    text: str
    tooltip: str = ""


@dataclass(frozen=True)
class HeatRow:
    label: str
    cells: Sequence[HeatCell]


@dataclass(frozen=True)
class HeatSection:
    title: str
    rows: Sequence[HeatRow]


@dataclass(frozen=True)
class HeatColumn:
    label: str
    tooltip: str = ""


@dataclass(frozen=True)
class SignedBar:
    """A bar of a diverging chart: right of the axis for a positive value, left for a negative one."""

    label: str
    value: float
    value_label: str
    tooltip: str = ""


def ranking_bars(
    bars: Sequence[Bar], *, scale_max: float, legend: Sequence[LegendEntry], title: str, chart_id: str
) -> Markup:
    """Horizontal bars in the given order (the ranking's listing order), one row per unit, with a colour legend."""
    label_width, plot_width, value_width = 250, 470, 60
    row_height, top = 18, 34
    width = label_width + plot_width + value_width
    height = top + row_height * len(bars) + 8
    svg = _svg(width, height, title, chart_id)
    _legend(svg, legend, x=label_width, y=14)
    scale = plot_width / scale_max if scale_max > 0 else 0.0
    for index, bar in enumerate(bars):
        y = top + index * row_height
        group = _element(svg, "g")
        if bar.tooltip:
            _element(group, "title", text=bar.tooltip)
        _row_label(group, bar.label, x=label_width - 6, y=y + row_height / 2)
        length = max(0.0, min(bar.value, scale_max)) * scale
        _element(group, "rect", x=label_width, y=y + 2, width=length, height=row_height - 4, fill=bar.colour)
        _text(group, bar.value_label, x=label_width + length + 4, y=y + row_height / 2, anchor="start")
    return _markup(svg)


def group_heatmap(
    columns: Sequence[HeatColumn], sections: Sequence[HeatSection], *, title: str, chart_id: str
) -> Markup:
    """A table of coloured cells: rows are units (in sections), columns are groups, colour is the fraction."""
    label_width, cell_width, row_height, header = 250, 84, 18, 24
    width = label_width + cell_width * len(columns)
    section_rows = sum(1 + len(section.rows) for section in sections)
    height = header + row_height * section_rows + 4
    svg = _svg(width, height, title, chart_id)
    for index, column in enumerate(columns):
        group = _element(svg, "g")
        if column.tooltip:
            _element(group, "title", text=column.tooltip)
        _text(group, column.label, x=label_width + (index + 0.5) * cell_width, y=header / 2, anchor="middle",
              weight="600")
    y = header
    for section in sections:
        _text(svg, section.title, x=4, y=y + row_height / 2, anchor="start", weight="600")
        y += row_height
        for row in section.rows:
            _row_label(svg, row.label, x=label_width - 6, y=y + row_height / 2)
            for index, cell in enumerate(row.cells):
                group = _element(svg, "g")
                if cell.tooltip:
                    _element(group, "title", text=cell.tooltip)
                fill = "#ffffff" if cell.fraction is None else _heat_colour(cell.fraction)
                _element(group, "rect", x=label_width + index * cell_width + 1, y=y + 1, width=cell_width - 2,
                         height=row_height - 2, fill=fill, stroke="#d9e2ec")
                colour = "#ffffff" if cell.fraction is not None and cell.fraction > 0.55 else TEXT_COLOUR
                _text(group, cell.text, x=label_width + (index + 0.5) * cell_width, y=y + row_height / 2,
                      anchor="middle", colour=colour)
            y += row_height
    return _markup(svg)


def diverging_bars(bars: Sequence[SignedBar], *, title: str, chart_id: str) -> Markup:
    """Bars either side of a zero axis, scaled to the largest absolute value; gains in green, losses in red."""
    label_width, half_width, row_height, top = 250, 230, 20, 8
    width = label_width + 2 * half_width + 20
    height = top + row_height * len(bars) + 8
    svg = _svg(width, height, title, chart_id)
    axis = label_width + half_width + 10
    largest = max((abs(bar.value) for bar in bars), default=0.0)
    # Leave room beside the longest bar for its value label.
    scale = (half_width - 50) / largest if largest > 0 else 0.0
    for index, bar in enumerate(bars):
        y = top + index * row_height
        group = _element(svg, "g")
        if bar.tooltip:
            _element(group, "title", text=bar.tooltip)
        _row_label(group, bar.label, x=label_width - 6, y=y + row_height / 2)
        length = abs(bar.value) * scale
        if bar.value >= 0:
            _element(group, "rect", x=axis, y=y + 3, width=length, height=row_height - 6, fill=POSITIVE_COLOUR)
            _text(group, bar.value_label, x=axis + length + 4, y=y + row_height / 2, anchor="start")
        else:
            _element(group, "rect", x=axis - length, y=y + 3, width=length, height=row_height - 6,
                     fill=NEGATIVE_COLOUR)
            _text(group, bar.value_label, x=axis - length - 4, y=y + row_height / 2, anchor="end")
    _element(svg, "line", x1=axis, x2=axis, y1=top - 4, y2=height - 4, stroke=MUTED_COLOUR)
    return _markup(svg)


def _svg(width: float, height: float, title: str, chart_id: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "viewBox": f"0 0 {_number(width)} {_number(height)}",
            "width": _number(width),
            "height": _number(height),
            "role": "img",
            "aria-label": title,
            "data-chart": chart_id,
            "class": "chart",
            "font-family": FONT,
            "font-size": "12",
        },
    )
    _element(svg, "title", text=title)
    return svg


def _legend(svg: ET.Element, entries: Sequence[LegendEntry], *, x: float, y: float) -> None:
    for entry in entries:
        _element(svg, "rect", x=x, y=y - 6, width=12, height=12, fill=entry.colour)
        _text(svg, entry.label, x=x + 16, y=y, anchor="start")
        x += 24 + 7.5 * len(entry.label)


def _row_label(parent: ET.Element, label: str, *, x: float, y: float) -> None:
    shown = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
    _text(parent, shown, x=x, y=y, anchor="end")


def _text(
    parent: ET.Element,
    text: str,
    *,
    x: float,
    y: float,
    anchor: str,
    colour: str = TEXT_COLOUR,
    weight: str | None = None,
) -> ET.Element:
    attributes = {"x": x, "y": y, "text-anchor": anchor, "dominant-baseline": "central", "fill": colour}
    if weight:
        attributes["font-weight"] = weight
    return _element(parent, "text", text=text, **attributes)


def _element(parent: ET.Element, tag: str, *, text: str | None = None, **attributes: object) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {name.replace("_", "-"): _attribute(value) for name, value in attributes.items()}
    )
    if text is not None:
        element.text = text
    return element


def _attribute(value: object) -> str:
    return _number(value) if isinstance(value, int | float) else str(value)


def _number(value: float) -> str:
    """Coordinates with one decimal and no trailing zeros, so that the SVG stays small and stable."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _heat_colour(fraction: float) -> str:
    fraction = max(0.0, min(1.0, fraction))
    red, green, blue = (round(low + (high - low) * fraction) for low, high in zip(HEAT_LOW, HEAT_HIGH, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _markup(svg: ET.Element) -> Markup:
    # ElementTree has escaped every text and attribute, so the serialised SVG is safe to place in the page as is.
    return Markup(ET.tostring(svg, encoding="unicode", short_empty_elements=True))
