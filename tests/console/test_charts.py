"""The inline SVG charts: accessible, escaped, scaled, and empty when there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.console import charts

SVG = "{http://www.w3.org/2000/svg}"


def _points(svg: str) -> list[list[tuple[float, float]]]:
    root = ET.fromstring(svg)
    return [
        [tuple(float(n) for n in pair.split(",")) for pair in line.get("points", "").split()]
        for line in root.iter(f"{SVG}polyline")
    ]


def test_sparkline_is_an_accessible_image_saying_the_trend_in_words():
    svg = charts.sparkline([80, 85, 92], label="Compliance of Contoso, %")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Compliance of Contoso, %: 3 points, from 80 to 92"
    assert root.find(f"{SVG}title").text == "Compliance of Contoso, %: 3 points, from 80 to 92"


def test_sparkline_escapes_the_label():
    svg = charts.sparkline([1, 2], label='<script>alert("x")</script> & co')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg
    ET.fromstring(svg)  # still well-formed


def test_nothing_to_draw_gives_no_markup():
    assert charts.sparkline([], label="x") == ""
    assert charts.sparkline([None, None], label="x") == ""


def test_a_gap_breaks_the_line_into_two_segments():
    segments = _points(charts.sparkline([1, 2, None, 3, 4], label="x"))
    assert [len(s) for s in segments] == [2, 2]


def test_higher_values_are_drawn_higher_and_a_fixed_scale_clamps():
    svg = charts.sparkline([0, 50, 100, 250], label="x", lower=0, upper=100, height=24)
    (line,) = _points(svg)
    ys = [y for _, y in line]
    assert ys[0] > ys[1] > ys[2]  # SVG y grows downwards
    assert ys[2] == ys[3] == 2.0  # 250 is clamped to the top (the padding)
    assert ys[0] == 22.0


def test_the_last_point_is_marked():
    svg = charts.sparkline([3, 1, 2], label="x", width=100)
    circle = ET.fromstring(svg).find(f"{SVG}circle")
    assert circle is not None and float(circle.get("cx")) == 98.0


def test_a_single_point_is_a_dot_without_a_line():
    svg = charts.sparkline([7], label="Drift")
    assert _points(svg) == []
    assert "Drift: 1 point, 7" in svg


def test_only_the_newest_points_are_drawn():
    svg = charts.sparkline(list(range(charts.MAX_POINTS + 10)), label="x")
    (line,) = _points(svg)
    assert len(line) == charts.MAX_POINTS
    assert f"from 10 to {charts.MAX_POINTS + 9}" in svg


@given(
    st.lists(st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)), max_size=80),
    st.integers(min_value=4, max_value=400),
    st.integers(min_value=4, max_value=200),
)
def test_every_point_stays_inside_the_box(values, width, height):
    svg = charts.sparkline(values, label="x", width=width, height=height)
    if not any(v is not None for v in values):
        assert svg == ""
        return
    for segment in _points(svg):
        for x, y in segment:
            assert -0.05 <= x <= width + 0.05 and -0.05 <= y <= height + 0.05
    assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
