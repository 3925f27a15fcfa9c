"""A figure of fixed panels that draws its frame once and its data on every frame, as PNG bytes.

An explorer redraws its figure on every slider move, and matplotlib draws text glyph by
glyph: titles, tick labels and legends can cost more than the data. So a ``PanelFigure``
splits each panel into its **frame**, everything drawn before ``seal()`` (titles, axes,
legends, reference lines), and its **data**, everything drawn after. ``png()`` paints a
cached picture of the frame and draws only the data on top; ``clear()`` removes the data
before the next frame is drawn. An Axes' own title or axes that do change from frame to
frame are named in its ``Panel(changes=...)`` and are redrawn every time.

The rules a panel's drawing must keep: after ``seal()``, only add artists, never change the
frame; and nothing added may cross a frame artist that is drawn above it (a legend, a label,
a tick line). Spines are redrawn with the data, so data may touch them. A test of every
explorer compares ``png()`` with ``full_png()`` (the slow, full redraw) after every move, so
a broken rule shows as a difference in pixels.

Examples:
    >>> panels = PanelFigure((4.0, 3.0), [Panel((0.1, 0.1, 0.8, 0.8))])
    >>> (ax,) = panels.axes
    >>> _ = ax.set_title("fixed"), ax.set_xlim(0, 1), ax.set_ylim(0, 1)
    >>> panels.seal()
    >>> _ = ax.plot([0.2, 0.8], [0.3, 0.7])
    >>> panels.png() == panels.full_png()
    True
    >>> panels.clear()
    >>> len(ax.lines)
    0
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.transforms import BboxBase
from numpy.typing import NDArray

__all__ = ["Panel", "PanelFigure", "png_bytes"]

CHANGING_PARTS = ("title", "xaxis", "yaxis")
"""An Axes' own parts that a panel may redraw on every frame."""


@dataclass(frozen=True)
class Panel:
    """Where a panel's Axes sits and which of its own parts change from frame to frame.

    ``rect`` is (left, bottom, width, height) in fractions of the figure: fixed positions,
    because a layout engine would measure every label on every frame.
    """

    rect: tuple[float, float, float, float]
    changes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.changes) - set(CHANGING_PARTS))
        if unknown:
            raise ValueError(f"changes must be among {CHANGING_PARTS}, got {unknown}")


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(rgba: NDArray[np.uint8]) -> bytes:
    """PNG file of an RGBA image (height x width x 4 bytes), compressed fast (zlib level 1).

    Every row is stored as its difference from the row above (PNG filter "Up"): a plot's
    rows mostly repeat, so that gives long runs of zeros, which zlib compresses quickly.
    Together that is about three times faster than Pillow, which tries five filters per row.
    An opaque image (every alpha 255, as a figure on a white background) is stored as RGB:
    a quarter fewer bytes to compress, send and decode.

    Examples:
        >>> png_bytes(np.zeros((2, 3, 4), dtype=np.uint8))[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = np.asarray(rgba)
    if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise ValueError(f"rgba must be a height x width x 4 array of uint8, got {image.shape} {image.dtype}")
    opaque = bool(image[:, :, 3].min() == 255)
    channels, color_type = (3, 2) if opaque else (4, 6)  # PNG colour types: 2 RGB, 6 RGBA
    height, width = image.shape[:2]
    pixels = image[:, :, :channels]  # a view: the differences below are taken from it with no copy
    rows = np.empty((height, 1 + channels * width), dtype=np.uint8)
    rows[:, 0] = 2  # filter type "Up"
    out = rows[:, 1:].reshape(height, width, channels)  # each row's bytes after its filter type, as pixels
    out[0] = pixels[0]  # the row above the first one counts as zeros
    np.subtract(pixels[1:], pixels[:-1], out=out[1:])  # uint8 arithmetic wraps, as PNG expects
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)  # 8 bits per channel, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows.data, 1))
        + _png_chunk(b"IEND", b"")
    )


class _AggCanvas(Protocol):
    """The methods of matplotlib's Agg canvas used here (matplotlib leaves them unannotated)."""

    def draw(self) -> None: ...
    def get_renderer(self) -> RendererAgg: ...
    def copy_from_bbox(self, bbox: BboxBase) -> Any: ...
    def restore_region(self, region: Any) -> None: ...
    def buffer_rgba(self) -> memoryview: ...


def _added_artists(ax: Axes) -> list[Any]:
    """Everything drawn on ``ax`` by plotting calls (not the Axes' own title, axes and spines)."""
    legend = ax.get_legend()
    return [
        *ax.lines,
        *ax.collections,
        *ax.patches,
        *ax.texts,
        *ax.images,
        *ax.artists,
        *ax.tables,
        *([legend] if legend is not None else []),
    ]


class PanelFigure:
    """A figure of fixed panels (its own Agg canvas, never pyplot) that redraws only its data."""

    def __init__(self, figsize: tuple[float, float], panels: Sequence[Panel], dpi: float = 80) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self._canvas: _AggCanvas = FigureCanvasAgg(self.figure)
        self.panels = tuple(panels)
        self.axes: list[Axes] = [self.figure.add_axes(panel.rect) for panel in self.panels]
        self._frame: set[int] = set()
        self._kept: list[Any] = []  # the frame's artists, so their ids stay theirs
        self._background: Any = None
        self._sealed = False

    def seal(self) -> None:
        """Everything drawn so far is the frame: drawn once, into the cached background."""
        kept: list[Any] = []
        for ax, panel in zip(self.axes, self.panels, strict=True):
            # Spines are cheap and border the data: redrawn with it, they stay on top as in a full draw.
            changing = {id(getattr(ax, part)) for part in panel.changes} | {id(spine) for spine in ax.spines.values()}
            kept += [child for child in ax.get_children() if id(child) not in changing]
            kept += [container for container in ax.containers]
        self._kept = kept
        self._frame = {id(artist) for artist in kept}
        self._background = None
        self._sealed = True

    def clear(self) -> None:
        """Removes every artist drawn since ``seal()``: the data of the last frame."""
        for ax in self.axes:
            for container in list(ax.containers):  # first: removing one removes its patches too
                if id(container) not in self._frame:
                    container.remove()
            for artist in _added_artists(ax):
                if id(artist) not in self._frame:
                    artist.remove()

    def _changing(self, ax: Axes) -> list[Artist]:
        children = [child for child in ax.get_children() if id(child) not in self._frame and child.get_visible()]
        return sorted(children, key=lambda child: child.get_zorder())

    def png(self) -> bytes:
        """PNG of the figure as it is now: the cached frame, with the data drawn on top."""
        if not self._sealed:
            return self.full_png()
        if self._background is None:
            changing = [part for ax in self.axes for part in self._changing(ax)]
            for part in changing:
                part.set_visible(False)
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            for part in changing:
                part.set_visible(True)
        renderer = self._canvas.get_renderer()
        self._canvas.restore_region(self._background)
        for ax in self.axes:
            ax.apply_aspect()
            for part in self._changing(ax):
                part.draw(renderer)
        return png_bytes(np.asarray(self._canvas.buffer_rgba()))

    def full_png(self) -> bytes:
        """PNG of the figure drawn in full, the slow way (tests compare it with ``png``)."""
        self._canvas.draw()
        return png_bytes(np.asarray(self._canvas.buffer_rgba()))
