"""Who gets pushed: the snapshot's numbers against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnexplore.config import RunConfig
from nnexplore.data import make_toy
from nnexplore.model import build_model
from nnexplore.snapshots import BATCH, PUSHES, first_examples, model_view, output_gradient, pushes

# 1,500 points leave 300 test points: more than PUSHES, so the view's cut is exercised.
BLOBS = RunConfig(dataset="blobs", n_samples=1500, hidden=(), init="normal", init_std=2.0)


def _blobs_model(output: str, loss: str):
    cfg = BLOBS.replace(output_activation=output, loss=loss)
    dataset = make_toy("blobs", n_samples=cfg.n_samples, noise=cfg.noise, seed=0)
    torch.manual_seed(0)
    return cfg, dataset, build_model(cfg, dataset.n_features, dataset.num_classes)


def _by_hand(logits: np.ndarray, labels: np.ndarray, output: str, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Right-class output and |∂L_example/∂z_right| from the textbook formulas, in float64."""
    z = logits.astype(np.float64)
    rows = np.arange(len(labels))
    t = np.eye(z.shape[1])[labels]
    if output == "softmax":
        o = np.exp(z - z.max(axis=1, keepdims=True))
        o /= o.sum(axis=1, keepdims=True)
    else:
        o = 1 / (1 + np.exp(-z))
    p = o[rows, labels]
    if loss == "cross_entropy":
        push = 1 - p  # softmax + CE: ∂L/∂z_k = o_k − t_k, and t = 1 for the right class
    elif output == "sigmoid":
        push = np.abs(2 * (p - 1) * p * (1 - p))  # each unit alone: 2(o − t)·o·(1 − o)
    else:
        # softmax + squared error: Σ_i 2(o_i − t_i)·o_i·(δ_ir − o_r), r the right class
        delta = (np.arange(z.shape[1])[None, :] == labels[:, None]).astype(float)
        push = np.abs((2 * (o - t) * o * (delta - p[:, None])).sum(axis=1))
    return p, push


@pytest.mark.parametrize(
    ("output", "loss"), [("softmax", "cross_entropy"), ("softmax", "mse"), ("sigmoid", "mse")]
)
def test_pushes_match_the_formulas(output: str, loss: str) -> None:
    cfg, dataset, model = _blobs_model(output, loss)
    gradient = output_gradient(model, dataset, cfg, n=PUSHES)
    table = pushes(gradient, cfg.output_activation)
    assert len(table["p_right"]) == len(table["push"]) == PUSHES
    p, push = _by_hand(gradient["logits"], gradient["labels"], output, loss)
    np.testing.assert_allclose(table["p_right"], p, rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["push"], push, rtol=0, atol=1e-6)
    if loss == "cross_entropy":
        # exactly the error: output_gradient scales the batch-mean gradient back by the batch size
        np.testing.assert_allclose(table["push"], 1 - table["p_right"], rtol=0, atol=2e-7)


def test_model_view_carries_pushes_and_keeps_the_gradient_check_batch() -> None:
    cfg, dataset, model = _blobs_model("softmax", "cross_entropy")
    view = model_view(model, dataset, cfg, {"step": 3, "status": "running"})
    assert {len(column) for column in view["pushes"].values()} == {PUSHES}
    alone = output_gradient(model, dataset, cfg, n=BATCH)
    assert view["logits"].shape == (BATCH, dataset.num_classes)
    np.testing.assert_array_equal(view["labels"], alone["labels"])
    np.testing.assert_array_equal(view["logits"], alone["logits"])
    np.testing.assert_allclose(view["out_grad"], alone["out_grad"], rtol=0, atol=1e-7)
    # the cut keeps rows whole: the first n examples' k outputs each
    cut = first_examples(output_gradient(model, dataset, cfg, n=PUSHES), 5)
    assert cut["out_grad"].shape == (5 * dataset.num_classes,)


def test_a_small_test_set_gives_one_row_per_test_example() -> None:
    cfg = RunConfig(dataset="moons", n_samples=200, hidden=(4,))
    dataset = make_toy("moons", n_samples=200, noise=cfg.noise, seed=0)
    model = build_model(cfg, 2, 2)
    view = model_view(model, dataset, cfg, {"step": 0, "status": "running"})
    assert len(view["pushes"]["push"]) == len(dataset.x_test) < PUSHES
