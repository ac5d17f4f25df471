"""A learner's own digit: a drawing read the way MNIST's digits were prepared, and a network run on it.

MNIST's digits were made from black-and-white scans in two steps (LeCun, Bottou, Bengio &
Haffner 1998, and the MNIST page): each digit's bounding box was scaled, keeping its aspect
ratio, so that its longer side is 20 pixels, with anti-aliasing (hence the grey edges); then
it was placed in a 28 × 28 field so that its centre of mass sits at the field's centre. A
network trained on MNIST has only ever seen digits of that size and in that place: the same
digit drawn small in a corner of a pad is, pixel by pixel, a different input altogether, so
``prepare`` puts a drawing through the same two steps before a network reads it.

``forward`` runs a finished run's network (its weights from
nnexplore.snapshots.final_weights) in numpy, with the activation functions of the one table,
nnexplore.activations: the dashboard server never imports torch (about 1 s of a one-core box
and 150 MB, tests/unit/test_imports.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from nnexplore import activations

SIDE = 28  # MNIST's field, 28 × 28 pixels
BOX = 20  # the longer side of a digit's bounding box in that field
# The centre of mass goes to pixel (14, 14), counting rows and columns from 0 at the top
# left. Measured on the 10,000 MNIST test digits: the centre of mass has mean (13.99, 14.01)
# and every digit's lies within half a pixel of 14 (1st–99th percentiles 13.51–14.49) in both
# directions, so the digits were moved by whole pixels to put it there.
CENTRE = 14
# Ink fainter than this is paper: a pad's faint anti-aliased edges and stray specks do not
# stretch the bounding box. 0.05 is about 13/255: MNIST's own bounding boxes are the same at
# 0 and at this threshold (the longer side is 20 px in 9,997 of the 10,000 test digits at both).
INK = 0.05


#: A drawing whose ink spans less than this share of the pad both ways is a dot or a speck, not a
#: digit: scaled up to 20 px, it would be a square blob that any network reads as something.
#: A "1" is tall and thin, so one side long enough is a digit. 0.1 of a 112 px pad is 11 px,
#: about a fingertip's touch on a phone's 280 px pad.
SMALLEST = 0.1


def is_dot(ink: np.ndarray) -> bool:
    """Whether a drawing's ink (above ``INK``) fits in a box under SMALLEST of the pad both ways."""
    drawing = np.nan_to_num(np.asarray(ink, dtype=np.float32)) > INK
    rows, cols = np.flatnonzero(drawing.any(axis=1)), np.flatnonzero(drawing.any(axis=0))
    if len(rows) == 0:
        return False
    tall, wide = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    return bool(tall < SMALLEST * drawing.shape[0] and wide < SMALLEST * drawing.shape[1])


def prepare(ink: np.ndarray) -> np.ndarray | None:
    """A drawing as an MNIST digit: a 28 × 28 float array in [0, 1], or None when nothing is drawn.

    ``ink`` is a 2-D array of ink from 0 (paper) to 1 (full ink), of any size (a pad of
    280 × 280 or 112 × 112, say); values outside [0, 1] are clipped. The rule is MNIST's own:

    1. The bounding box of the ink (pixels above ``INK``) is cut out; None when there is none.
    2. It is scaled, keeping its aspect ratio, so that its longer side is 20 px; the shorter
       side keeps at least 1 px, so a straight line stays a line and a single dot becomes a
       20 × 20 square. The scaling averages the areas each new pixel covers (PIL's BOX
       filter): this is anti-aliasing, a pixel half covered by ink gets 0.5, as MNIST's grey
       edges came about; and it never overshoots (an average of values in [0, 1] stays there).
    3. It is put in the 28 × 28 field, moved by whole pixels so that its centre of mass lies
       within half a pixel of (14, 14), as MNIST's digits lie. The digit is kept whole: should
       the centre of mass lie so far to one side of the box that the box would stick out of
       the field (never with MNIST's digits, whose centre is at most about 4 px from their
       box's), the digit stops at the edge instead.
    """
    drawing = np.nan_to_num(np.asarray(ink, dtype=np.float32))
    if drawing.ndim != 2:
        raise ValueError(f"A drawing is a 2-D array of ink, not an array of shape {drawing.shape}.")
    drawing = np.clip(drawing, 0, 1)
    rows, cols = np.flatnonzero((drawing > INK).any(axis=1)), np.flatnonzero((drawing > INK).any(axis=0))
    if len(rows) == 0:
        return None
    digit = drawing[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = digit.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL counts (width, height)
    small = np.asarray(Image.fromarray(digit, mode="F").resize(size, Image.Resampling.BOX))
    small = np.clip(small, 0, 1)  # float rounding of the averages only: they lie in [0, 1]
    # Where the centre of mass must go, less where it is in the scaled box: the box's top left
    # corner in the field, to the nearest whole pixel, and within the field.
    total = small.sum()
    centre_row = (small.sum(axis=1) @ np.arange(small.shape[0])) / total
    centre_col = (small.sum(axis=0) @ np.arange(small.shape[1])) / total
    top = int(np.clip(round(CENTRE - centre_row), 0, SIDE - small.shape[0]))
    left = int(np.clip(round(CENTRE - centre_col), 0, SIDE - small.shape[1]))
    field = np.zeros((SIDE, SIDE), dtype=np.float32)
    field[top : top + small.shape[0], left : left + small.shape[1]] = small
    return field


def forward(
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    x: np.ndarray,
    hidden_activation: str,
    output_activation: str,
) -> tuple[np.ndarray, np.ndarray]:
    """A network's logits and outputs for inputs ``x``, in numpy: what nnexplore.model.MLP computes.

    ``weights`` are the layers' (W, b), input side first, W of shape (out, in) as torch's
    ``nn.Linear`` stores it (nnexplore.snapshots.final_weights). ``x`` is (n, 784) for MNIST,
    pixels scaled to [0, 1] as in training (nnexplore.training.features divides by 255), so
    ``prepare(...).reshape(1, -1)`` is one. Each layer computes z = x Wᵀ + b; every layer but
    the last is followed by the hidden activation; the last layer's z are the logits, and the
    outputs are the output activation of the logits (softmax: probabilities that sum to 1).
    Both activations are read from nnexplore.activations (their numpy ``np_f``), the table
    the model itself is built from.
    """
    hidden = activations.get(hidden_activation).np_f
    output = activations.get(output_activation).np_f
    z = np.asarray(x, dtype=np.float32)
    for i, (w, b) in enumerate(weights):
        if i:  # after every layer but the last: the hidden activation
            z = hidden(z)
        z = z @ np.asarray(w, dtype=np.float32).T + np.asarray(b, dtype=np.float32)
    return z, output(z)
