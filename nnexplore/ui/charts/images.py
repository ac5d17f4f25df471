"""Pictures of a plane sent as one PNG each, not as thousands of marks.

A 60 × 60 decision grid drawn as rect marks is 3,600 items the browser's Vega
builds, encodes (one interpreted expression per channel per item) and paints on
every draw; it was a finished Playground's largest browser cost. Coloured here
in numpy and sent as one PNG data URL, it is one image mark: a few kilobytes,
and another moment of training is another image.

Pure functions, no state, no streamlit.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def grid_image(x: np.ndarray, y: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values at the points of a regular grid as an image (rows, columns), top row = largest y.

    Grid points with no value are NaN. Extra leading axes of ``values`` are kept:
    ``values`` of shape (n,) gives (rows, columns); (n, k) gives (rows, columns, k).
    """
    xs, col = np.unique(np.asarray(x, dtype=float), return_inverse=True)
    ys, row = np.unique(np.asarray(y, dtype=float), return_inverse=True)
    values = np.asarray(values, dtype=float)
    image = np.full((len(ys), len(xs), *values.shape[1:]), np.nan)
    image[len(ys) - 1 - row, col] = values
    return image


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """ "#rrggbb" as three bytes."""
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def png_url(pixels: np.ndarray, scale_up: int = 1) -> str:
    """RGB or RGBA bytes (rows, columns, 3 or 4) as a PNG data URL.

    ``scale_up`` repeats each pixel into a square of that side, so that a browser
    stretching a small image keeps its cells sharp (a browser smooths what it scales).
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if scale_up > 1:
        pixels = pixels.repeat(scale_up, axis=0).repeat(scale_up, axis=1)
    rows, columns, channels = pixels.shape
    # each pixel as one 32-bit number: np.unique over rows of bytes sorts 20 times slower
    rgba = pixels if channels == 4 else np.dstack([pixels, np.zeros((rows, columns, 1), np.uint8)])
    packed, index = np.unique(np.ascontiguousarray(rgba).view(np.uint32).reshape(-1), return_inverse=True)
    colours = packed.view(np.uint8).reshape(-1, 4)
    if len(colours) <= 256:
        # A palette image: a decision map has a few dozen colours (classes × opacity steps), and
        # as a palette PNG it is about a fifth of its RGBA size (a timeline sends 30 of them).
        return palette_png_url(index.reshape(rows, columns), colours if channels == 4 else colours[:, :3])
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA" if channels == 4 else "RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def palette_png_url(index: np.ndarray, palette: np.ndarray) -> str:
    """A picture of colour numbers (rows, columns) and its colours (up to 256, RGB or RGBA) as a PNG
    data URL: for pictures whose colours are known beforehand, so no pixel is looked at twice."""
    image = Image.fromarray(np.ascontiguousarray(index, dtype=np.uint8), "P")
    palette = np.asarray(palette, dtype=np.uint8)
    image.putpalette(palette[:, :3].tobytes())
    extra = {"transparency": palette[:, 3].tobytes()} if palette.shape[1] == 4 else {}
    buf = io.BytesIO()
    image.save(buf, format="PNG", **extra)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_pixels(url: str) -> np.ndarray:
    """The bytes of a PNG data URL, RGB or RGBA (the inverse of ``png_url``; for tests and checks)."""
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    return np.asarray(image)
