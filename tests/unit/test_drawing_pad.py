"""The drawing pad's message: what the browser sends is decoded, and junk of every kind is None."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from nnexplore.ui import drawing_pad
from nnexplore.ui.drawing_pad import INK_B64_CHARS, INK_BYTES, INK_SIZE, decode_ink


def _sent(ink: np.ndarray) -> str:
    """What the pad's JS sends for ``ink`` (uint8, row by row): base64 of the raw bytes."""
    return base64.b64encode(ink.astype(np.uint8).tobytes()).decode("ascii")


def test_the_message_is_about_17_kb():
    assert INK_BYTES == 12_544
    assert INK_B64_CHARS == len(_sent(np.zeros((INK_SIZE, INK_SIZE)))) == 16_728


def test_a_drawing_comes_back_as_the_same_ink_in_0_1():
    rng = np.random.default_rng(0)
    ink = rng.integers(0, 256, (INK_SIZE, INK_SIZE), dtype=np.uint8)
    ink[0, 0], ink[-1, -1] = 0, 255
    got = decode_ink(_sent(ink))
    assert got is not None
    assert got.shape == (INK_SIZE, INK_SIZE) and got.dtype == np.float32
    assert got.min() == 0.0 and got.max() == 1.0
    np.testing.assert_array_equal(np.rint(got * 255).astype(np.uint8), ink)
    assert not got.flags.writeable


def test_rows_stay_rows():
    ink = np.zeros((INK_SIZE, INK_SIZE), dtype=np.uint8)
    ink[10:100, 80:88] = 255  # a vertical stroke in the right half
    got = decode_ink(_sent(ink))
    rows, cols = np.flatnonzero(got.any(axis=1)), np.flatnonzero(got.any(axis=0))
    assert (rows[0], rows[-1], cols[0], cols[-1]) == (10, 99, 80, 87)


def test_an_empty_pad_and_clear_are_none():
    assert decode_ink("") is None
    assert decode_ink(_sent(np.zeros((INK_SIZE, INK_SIZE)))) is None


GOOD = _sent(np.full((INK_SIZE, INK_SIZE), 7))


@pytest.mark.parametrize(
    "junk",
    [
        None,
        0,
        1.5,
        True,
        [1, 2, 3],
        {"ink": GOOD},
        GOOD.encode("ascii"),  # bytes, not str
        GOOD[:-4],  # too short
        GOOD + "AAAA",  # too long
        _sent(np.zeros(INK_BYTES - 3)),  # a whole number of groups, too few bytes
        "!" * INK_B64_CHARS,  # not base64
        GOOD[:100] + " " + GOOD[101:],  # a character outside the alphabet
        GOOD[:100] + "é" + GOOD[101:],  # outside ASCII
        GOOD[:-2] + "A=",  # bad padding
        "=" * INK_B64_CHARS,
        "x" * 10_000_000,  # huge: rejected by its length
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else f"str{len(v)}",
)
def test_junk_from_the_browser_is_none_never_an_exception(junk):
    assert decode_ink(junk) is None


def test_the_component_is_inline_and_fetches_nothing():
    for text in (drawing_pad.HTML, drawing_pad.CSS, drawing_pad.JS):
        assert "http" not in text and "//cdn" not in text and "import " not in text
    assert "setPointerCapture" in drawing_pad.JS and "touch-action: none" in drawing_pad.CSS
