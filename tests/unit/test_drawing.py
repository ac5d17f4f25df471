"""A learner's own digit: a drawing prepared as MNIST's digits were, and a finished network run on it in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devtools.local_servers import SHARED_MNIST
from nnexplore import activations, train
from nnexplore.config import RunConfig
from nnexplore.data import Dataset, read_idx
from nnexplore.drawing import BOX, CENTRE, INK, SIDE, forward, prepare
from nnexplore.model import MLP, build_model
from nnexplore.runs.store import estimate_bytes
from nnexplore.snapshots import final_weights, model_view

PAD = 280  # a drawing pad's side in pixels: ten times MNIST's field
TRAIN = 8000  # the first 8,000 test digits train the network; the rest are "drawn"
DRAWN = 400  # held-out digits drawn on the pad


# --------------------------------------------------------------------------- helpers


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((image * rows).sum() / total), float((image * cols).sum() / total)


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the box around every pixel with any ink."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def draw_on_pad(digit: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit as a learner might draw it: blown up ``scale`` times, anywhere on the pad."""
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    big = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))
    pad = np.zeros((PAD, PAD), dtype=np.float32)
    top = rng.integers(0, PAD - big.shape[0] + 1)
    left = rng.integers(0, PAD - big.shape[1] + 1)
    pad[top : top + big.shape[0], left : left + big.shape[1]] = big
    return pad


def accuracy(weights, images: np.ndarray, labels: np.ndarray, cfg: RunConfig) -> float:
    _, outputs = forward(
        weights, images.reshape(len(images), -1), cfg.hidden_activation, cfg.output_activation
    )
    return float((outputs.argmax(axis=1) == labels).mean())


# --------------------------------------------------------------------------- real digits


@pytest.fixture(scope="module")
def mnist() -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST test set: (10000, 28, 28) uint8 digits and their labels."""
    if not SHARED_MNIST.exists():
        pytest.skip("../shared/mnist is not present")
    images = read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz").numpy()
    labels = read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").numpy()
    return images, labels


@pytest.fixture(scope="module")
def finished(mnist):
    """A real MNIST run through the project's own training loop, and the views its training
    process would send: the first (running) record's and the last (done) record's.

    784-128-10, one epoch on 8,000 digits in batches of 128: about 2 s on 2 cores, and 90% of
    the other 2,000 digits right."""
    images, labels = mnist
    x, y = torch.from_numpy(images.reshape(-1, 784)), torch.from_numpy(labels).long()
    dataset = Dataset(x[:TRAIN], y[:TRAIN], x[TRAIN:], y[TRAIN:], 10, "mnist test split")
    cfg = RunConfig(
        dataset="mnist", hidden=(128,), lr=1e-3, batch_size=128, epochs=1, records_per_epoch=2, device="cpu"
    )
    views: list[dict] = []

    def on_record(model, record):
        if not views or record["status"] != "running":
            views.append(model_view(model, dataset, cfg, record))

    records = list(train(cfg, dataset=dataset, on_record=on_record))
    assert records[-1]["status"] == "done"
    return cfg, views[0], views[-1]


def test_a_real_digit_drawn_anywhere_at_any_size_comes_back_as_itself(mnist):
    """MNIST's own digits, blown up 3 to 12 times and put anywhere on a 280 × 280 pad, come back
    close to the originals: preparing them repeats how the originals were made."""
    images, _ = mnist
    rng = np.random.default_rng(0)
    originals = images[TRAIN : TRAIN + DRAWN].astype(np.float32) / 255
    correlations = []
    for digit in originals:
        prepared = prepare(draw_on_pad(digit, rng.uniform(3, 12), rng))
        assert prepared.shape == (SIDE, SIDE) and prepared.dtype == np.float32
        correlations.append(np.corrcoef(prepared.ravel(), digit.ravel())[0, 1])
    correlations = np.array(correlations)
    # Measured: 98% over 0.8, median 0.99 (the rest are off by a pixel's placement or box edge).
    assert (correlations > 0.8).mean() > 0.9, np.sort(correlations)[:20]
    assert np.median(correlations) > 0.95


def test_a_finished_network_reads_redrawn_digits_about_as_well_as_the_originals(mnist, finished):
    """The finished run's weights (from its last view) in numpy read the digits redrawn on the
    pad about as often right as the originals; the pad read without preparing (the whole pad
    shrunk to 28 × 28) is read far worse, which is why the preparing is needed."""
    images, labels = mnist
    cfg, _, done = finished
    rng = np.random.default_rng(1)
    originals = images[TRAIN : TRAIN + DRAWN].astype(np.float32) / 255
    truth = labels[TRAIN : TRAIN + DRAWN]
    pads = [draw_on_pad(digit, rng.uniform(3, 12), rng) for digit in originals]
    redrawn = np.stack([prepare(pad) for pad in pads])
    shrunk = np.stack(
        [np.asarray(Image.fromarray(pad).resize((SIDE, SIDE), Image.Resampling.BOX)) for pad in pads]
    )
    original_acc = accuracy(done["weights"], originals, truth, cfg)
    assert original_acc > 0.85  # the network learned: the comparison means something
    assert accuracy(done["weights"], redrawn, truth, cfg) > original_acc - 0.10
    assert accuracy(done["weights"], shrunk, truth, cfg) < original_acc - 0.3


def test_a_finished_mnist_runs_view_holds_its_weights_and_a_running_one_does_not(finished):
    cfg, running, done = finished
    assert "weights" not in running
    shapes = [(w.shape, b.shape) for w, b in done["weights"]]
    assert shapes == [((128, 784), (128,)), ((10, 128), (10,))]
    assert all(w.dtype == np.float32 and b.dtype == np.float32 for w, b in done["weights"])
    # the finished-run store counts them: about 400 kB of floats more than the view without them
    weights_bytes = sum(w.nbytes + b.nbytes for w, b in done["weights"])
    assert weights_bytes == (784 * 128 + 128 + 128 * 10 + 10) * 4
    without = {name: value for name, value in done.items() if name != "weights"}
    assert estimate_bytes([], done) - estimate_bytes([], without) >= weights_bytes


# --------------------------------------------------------------------------- the view's weights, without real digits


def _digit_dataset() -> Dataset:
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (120, 784), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 10, (120,), generator=gen)
    return Dataset(images[:80], labels[:80], images[80:], labels[80:], num_classes=10, name="mnist")


@pytest.mark.parametrize("status", ["done", "stopped"])
def test_a_finished_views_weights_are_the_models_and_compute_its_outputs(status):
    dataset = _digit_dataset()
    cfg = RunConfig(dataset="mnist", hidden=(32, 16), hidden_activation="tanh")
    torch.manual_seed(0)
    model = build_model(cfg, 784, 10)
    view = model_view(model, dataset, cfg, {"step": 5, "status": status})
    assert [(w.shape, b.shape) for w, b in view["weights"]] == [
        (tuple(linear.weight.shape), tuple(linear.bias.shape)) for linear in model.linears
    ]
    x = dataset.x_test.float() / 255
    _, outputs = forward(view["weights"], x.numpy(), cfg.hidden_activation, cfg.output_activation)
    np.testing.assert_allclose(outputs, model.predict_proba(x).numpy(), rtol=1e-5, atol=1e-6)
    # copies: training on does not change what was sent
    with torch.no_grad():
        model.linears[0].weight.add_(1.0)
    assert not np.allclose(view["weights"][0][0], model.linears[0].weight.detach().numpy())


@pytest.mark.parametrize("frame", [False, True])
def test_a_running_views_and_its_frames_have_no_weights(frame):
    dataset = _digit_dataset()
    cfg = RunConfig(dataset="mnist")
    model = build_model(cfg, 784, 10)
    view = model_view(model, dataset, cfg, {"step": 1, "epoch": 0.1, "status": "running", "frame": frame})
    assert "weights" not in view and "weights" not in view.get("frame", {})


def test_a_finished_toy_runs_view_has_no_weights():
    from nnexplore.data import make_toy

    cfg = RunConfig(n_samples=200)
    dataset = make_toy("moons", n_samples=200, noise=cfg.noise, seed=0)
    model = build_model(cfg, dataset.n_features, dataset.num_classes)
    assert "weights" not in model_view(model, dataset, cfg, {"step": 3, "status": "done"})


# --------------------------------------------------------------------------- forward against torch


@pytest.mark.parametrize("hidden", [a.name for a in activations.HIDDEN])
@pytest.mark.parametrize("output", [a.name for a in activations.OUTPUT])
def test_forward_is_what_the_torch_model_computes(hidden, output):
    """Every hidden × output activation of the table: numpy logits and outputs equal the MLP's."""
    torch.manual_seed(0)
    model = MLP(784, (64, 32), 10, hidden, output)
    # Inputs in [0, 1] as training scales them, with weights 3 × their start so that the units
    # reach the bends and the flat ends of their activations (sigmoid, tanh, GELU's dip).
    with torch.no_grad():
        for linear in model.linears:
            linear.weight.mul_(3)
    x = torch.rand(50, 784, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = model(x)
        outputs = model.activate(logits)
    np_logits, np_outputs = forward(final_weights(model), x.numpy(), hidden, output)
    assert np_logits.dtype == np.float32 and np_outputs.dtype == np.float32
    np.testing.assert_allclose(np_logits, logits.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np_outputs, outputs.numpy(), rtol=1e-4, atol=1e-5)


def test_forward_without_hidden_layers_is_one_layer():
    torch.manual_seed(0)
    model = MLP(784, (), 10, "relu", "softmax")
    x = torch.rand(5, 784)
    logits, outputs = forward(final_weights(model), x.numpy(), "relu", "softmax")
    np.testing.assert_allclose(logits, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs.sum(axis=1), 1, rtol=1e-6)


def test_forward_names_an_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        forward(
            [(np.zeros((10, 784), np.float32), np.zeros(10, np.float32))],
            np.zeros((1, 784)),
            "swish",
            "softmax",
        )


@pytest.mark.parametrize("row", activations.ROWS, ids=lambda a: a.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_activations_numpy_function_is_its_torch_function(row, dtype):
    """Across a wide range, at 0 and at huge values: the same numbers, the same dtype, and no
    overflow (a softmax or sigmoid computed naively overflows at z = ±1000)."""
    z = np.concatenate([np.linspace(-1000, 1000, 2001), np.linspace(-8, 8, 1601), [0.0, -0.0, 1e30, -1e30]])
    z = z.astype(dtype).reshape(-1, 2)  # softmax over pairs of units
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = row.np_f(z)
    assert got.dtype == dtype and got.shape == z.shape
    np.testing.assert_allclose(got, row.f(torch.from_numpy(z)).numpy(), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- prepare's rule


def test_an_empty_or_faint_drawing_is_none():
    assert prepare(np.zeros((PAD, PAD))) is None
    assert prepare(np.full((112, 112), INK * 0.9)) is None  # only paper's faint specks
    assert prepare(np.full((20, 20), -1.0)) is None  # clipped to paper


def test_a_drawing_is_a_2d_array():
    with pytest.raises(ValueError, match="2-D"):
        prepare(np.zeros((PAD, PAD, 4)))


def _assert_is_centred_mnist_digit(prepared: np.ndarray) -> None:
    assert prepared.shape == (SIDE, SIDE) and prepared.dtype == np.float32
    assert prepared.min() >= 0 and prepared.max() <= 1
    row, col = centre_of_mass(prepared)
    assert abs(row - CENTRE) <= 0.5 + 1e-4 and abs(col - CENTRE) <= 0.5 + 1e-4, (
        row,
        col,
    )  # to float rounding
    assert max(ink_box(prepared)) == BOX


@pytest.mark.parametrize("where", [(0, 0), (140, 140), (279, 3), (57, 279)])
def test_a_single_dot_becomes_a_centred_square(where):
    pad = np.zeros((PAD, PAD))
    pad[where] = 1.0
    prepared = prepare(pad)
    _assert_is_centred_mnist_digit(prepared)
    assert ink_box(prepared) == (BOX, BOX)


@pytest.mark.parametrize(
    ("rows", "cols"),
    [
        (slice(100, 101), slice(10, 250)),  # a horizontal line, 1 px thin
        (slice(0, 280), slice(279, 280)),  # a vertical line along the pad's edge
        (slice(30, 33), slice(5, 60)),  # a short dash
    ],
)
def test_a_straight_line_stays_a_line_20_px_long(rows, cols):
    pad = np.zeros((PAD, PAD))
    pad[rows, cols] = 1.0
    prepared = prepare(pad)
    _assert_is_centred_mnist_digit(prepared)
    assert min(ink_box(prepared)) in (1, 2)  # its thickness, at least 1 px
    assert prepared.max() > 0.5  # still ink, not a faint smear


def test_a_diagonal_line_fills_a_20_px_square():
    pad = np.eye(200, dtype=np.float32)
    prepared = prepare(pad)
    _assert_is_centred_mnist_digit(prepared)
    assert ink_box(prepared) == (BOX, BOX)


@settings(max_examples=150, deadline=None)
@given(
    pad=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    box=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    ink=st.floats(0.1, 1.0),
)
def test_any_rectangle_of_ink_becomes_a_centred_box_with_its_longer_side_20_px(pad, box, ink):
    """A rectangle of ink anywhere, of any size (a dot to the whole pad), in a pad of any shape."""
    height, width = pad
    top, left = int(box[0] * (height - 1)), int(box[1] * (width - 1))
    bottom = top + 1 + int(box[2] * (height - top - 1))
    right = left + 1 + int(box[3] * (width - left - 1))
    drawing = np.zeros(pad)
    drawing[top:bottom, left:right] = ink
    prepared = prepare(drawing)
    _assert_is_centred_mnist_digit(prepared)
    # its shape kept: the shorter side is the longer side's share of 20 px, at least 1 px
    h, w = bottom - top, right - left
    short = max(1, round(min(h, w) * BOX / max(h, w)))
    assert sorted(ink_box(prepared)) == [short, BOX]
    assert np.allclose(prepared[prepared > 0], ink, atol=1e-5)  # a uniform box stays uniform


@settings(max_examples=100, deadline=None)
@given(
    dots=st.lists(st.tuples(st.integers(0, 111), st.integers(0, 111), st.floats(0, 1)), max_size=12),
)
def test_any_scatter_of_ink_is_none_or_a_digit_in_the_field(dots):
    """Stray dots anywhere on a 112 × 112 pad: never a crash; None exactly when none is ink."""
    drawing = np.zeros((112, 112))
    for row, col, value in dots:
        drawing[row, col] = value
    prepared = prepare(drawing)
    if not (drawing > INK).any():
        assert prepared is None
        return
    assert prepared.shape == (SIDE, SIDE) and prepared.min() >= 0 and prepared.max() <= 1
    assert max(ink_box(prepared)) == BOX
