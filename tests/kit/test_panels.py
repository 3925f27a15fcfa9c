"""The panel figure: a frame drawn once, data drawn on top, the same pixels as a full redraw."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.lines import Line2D
from PIL import Image

from helpers.panels import Panel, PanelFigure, png_bytes


def test_png_bytes_round_trips_the_pixels() -> None:
    rgba = np.random.default_rng(42).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(rgba)))
    assert decoded.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(decoded), rgba)


def test_png_bytes_stores_an_opaque_image_as_rgb_with_the_same_pixels() -> None:
    rgba = np.random.default_rng(7).integers(0, 256, size=(6, 9, 4), dtype=np.uint8)
    rgba[:, :, 3] = 255
    decoded = Image.open(io.BytesIO(png_bytes(rgba)))
    assert decoded.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(decoded.convert("RGBA")), rgba)


def test_png_bytes_rejects_an_image_that_is_not_rgba() -> None:
    with pytest.raises(ValueError, match=r"got \(2, 2, 3\) uint8"):
        png_bytes(np.zeros((2, 2, 3), dtype=np.uint8))


def _figure(changes: tuple[str, ...] = ()) -> PanelFigure:
    panels = PanelFigure((4.0, 3.0), [Panel((0.15, 0.15, 0.8, 0.7), changes=changes)])
    (ax,) = panels.axes
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_title("frame")
    ax.legend(handles=[Line2D([], [], label="data")], loc="upper right")
    return panels


def test_the_frame_is_drawn_once_and_the_data_on_top_as_a_full_redraw_would() -> None:
    panels = _figure()
    panels.seal()
    (ax,) = panels.axes
    for step in range(3):
        panels.clear()
        ax.plot([1, 8], [2 + step, 3 + step], color="C1")
        ax.bar([2, 5], [1 + step, 4], width=1.0, bottom=0)  # bars touch the bottom spine
        assert panels.png() == panels.full_png()


def test_clear_removes_only_what_was_drawn_after_seal() -> None:
    panels = _figure()
    (ax,) = panels.axes
    frame_line = ax.axhline(5, color="grey")
    frame_text = ax.text(0.5, 0.5, "frame")
    panels.seal()
    ax.plot([1, 2], [1, 2])
    ax.text(1, 1, "data")
    ax.bar([3], [4])
    panels.clear()
    assert list(ax.lines) == [frame_line]
    assert list(ax.texts) == [frame_text]
    assert list(ax.patches) == []
    assert list(ax.containers) == []
    assert ax.get_title() == "frame"
    assert ax.get_legend() is not None


def test_a_title_that_changes_is_redrawn_when_the_panel_says_so() -> None:
    for changes, same in (((), False), (("title",), True)):
        panels = _figure(changes)
        panels.seal()
        panels.png()
        panels.axes[0].set_title("changed")
        assert (panels.png() == panels.full_png()) is same


def test_a_panel_names_only_parts_it_can_redraw() -> None:
    with pytest.raises(ValueError, match=r"changes must be among \('title', 'xaxis', 'yaxis'\), got \['legend'\]"):
        Panel((0, 0, 1, 1), changes=("legend",))


def test_before_seal_every_picture_is_a_full_redraw() -> None:
    panels = _figure()
    assert panels.png() == panels.full_png()
