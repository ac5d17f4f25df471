"""Snapshots of a model computed in the training process: plain column tables, no pandas there."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from nnexplore.config import RunConfig
from nnexplore.data import Dataset, make_toy
from nnexplore.model import build_model
from nnexplore.moments import frame_of
from nnexplore.snapshots import (
    CURVE_POINTS,
    DIGITS,
    GRID,
    MAX_UNITS,
    UNIT_GRID,
    data_points,
    decision_grid,
    model_view,
    unit_grids,
)


def _same_length_columns(table: dict) -> int:
    lengths = {len(column) for column in table.values()}
    assert len(lengths) == 1, {name: len(c) for name, c in table.items()}
    return lengths.pop()


def test_toy_view_has_a_decision_grid_and_the_points_fit_a_frame():
    cfg = RunConfig(n_samples=300)
    dataset = make_toy("moons", n_samples=300, noise=cfg.noise, seed=0)
    model = build_model(cfg, dataset.n_features, dataset.num_classes)
    view = model_view(model, dataset, cfg, {"step": 7, "status": "running"})
    assert view["step"] == 7
    assert _same_length_columns(view["grid"]) == GRID * GRID
    assert set(np.unique(view["grid"]["cls"])) <= {0, 1}
    assert ((view["grid"]["confidence"] >= 0) & (view["grid"]["confidence"] <= 1)).all()
    points = pd.DataFrame(data_points(dataset, max_points=100))
    assert len(points) == 100 and set(points["split"]) == {"train", "test"}
    assert "digits" not in view and "confusion" not in view
    assert view["units"]["layers"] == ["hidden 1", "hidden 2"] and view["units"]["widths"] == [16, 16]


def test_digit_view_has_digits_and_a_confusion_matrix_only_at_the_end():
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (200, 784), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 10, (200,), generator=gen)
    dataset = Dataset(images[:150], labels[:150], images[150:], labels[150:], num_classes=10, name="mnist")
    cfg = RunConfig(dataset="mnist")
    model = build_model(cfg, 784, 10)
    running = model_view(model, dataset, cfg, {"step": 1, "status": "running"})
    assert _same_length_columns(running["digits"]) == DIGITS
    assert running["digits"]["pixels"][0].shape == (784,)
    assert "confusion" not in running and "grid" not in running and "units" not in running
    done = model_view(model, dataset, cfg, {"step": 2, "status": "done"})
    confusion = pd.DataFrame(done["confusion"])
    assert len(confusion) == 100 and confusion["count"].sum() == 50  # every test image counted once
    # a moment of the timeline keeps its matrix in its frame; the live view still has none
    moment = model_view(model, dataset, cfg, {"step": 1, "epoch": 0.1, "status": "running", "frame": True})
    assert "confusion" not in moment and moment["frame"]["confusion"].sum() == 50
    assert list(moment["frame"]["confusion"]) == list(confusion["count"])  # the same model, the same counts


def test_the_training_processes_do_not_load_pandas_or_streamlit():
    """The forkserver's preload is what every training process inherits: keep it lean."""
    code = "import sys, nnexplore.runs.forkserver_preload; print(sorted(m for m in ('pandas', 'streamlit', 'altair') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("activation", ["relu", "softmax", "sigmoid", "tanh"])
def test_unit_grids_are_each_units_output_computed_by_hand(activation):
    """Layer by layer by hand: the first MAX_UNITS units of a wider layer, softmax over the whole layer."""
    dataset = make_toy("circles", n_samples=200, noise=0.1, seed=1)
    torch.manual_seed(0)
    model = build_model(RunConfig(hidden=(MAX_UNITS + 8, 3), hidden_activation=activation), 2, 2)
    units = unit_grids(model, dataset)
    grid = decision_grid(model, dataset, n=UNIT_GRID)
    np.testing.assert_array_equal(units["x"], grid["x"])  # the decision regions' plane
    np.testing.assert_array_equal(units["y"], grid["y"])
    assert units["widths"] == [MAX_UNITS + 8, 3]
    f = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}.get(
        activation, lambda z: torch.softmax(z, dim=1)
    )
    with torch.no_grad():
        h = torch.from_numpy(np.stack([units["x"], units["y"]], axis=1))
        for layer, values in zip(model.linears[:2], units["values"], strict=True):
            h = f(h @ layer.weight.T + layer.bias)
            assert values.dtype == np.float16  # half the bytes; 0 stays exactly 0
            np.testing.assert_allclose(values, h[:, :MAX_UNITS].T.numpy(), rtol=1e-3, atol=1e-4)
            assert ((values == 0) == (h[:, :MAX_UNITS].T.numpy() == 0)).all()
    assert units["values"][0].shape == (MAX_UNITS, UNIT_GRID**2)
    assert units["values"][1].shape == (3, UNIT_GRID**2)


def test_a_net_without_hidden_layers_has_no_unit_grids():
    dataset = make_toy("moons", n_samples=100, noise=0.1, seed=0)
    model = build_model(RunConfig(hidden=()), 2, 2)
    units = unit_grids(model, dataset)
    assert units["layers"] == [] and units["widths"] == [] and units["values"] == []


def _regression(name: str, output: str = "none"):
    cfg = RunConfig(dataset=name, output_activation=output, loss="mse", hidden=(8,), n_samples=300)
    dataset = make_toy(name, n_samples=300, noise=0.1, seed=0)
    model = build_model(cfg, dataset.n_features, dataset.n_outputs)
    return cfg, dataset, model


def test_a_sine_view_has_the_fitted_curve_over_the_data_and_no_classes():
    cfg, dataset, model = _regression("sine")
    view = model_view(model, dataset, cfg, {"step": 3, "epoch": 0.5, "status": "running", "frame": True})
    curve = view["curve"]
    assert _same_length_columns(curve) == CURVE_POINTS and np.all(np.diff(curve["x"]) > 0)
    x = torch.cat([dataset.x_train, dataset.x_test])[:, 0]
    assert curve["x"][0] == pytest.approx(float(x.min()) - 0.5) and curve["x"][-1] == pytest.approx(
        float(x.max()) + 0.5
    )
    by_hand = model(torch.from_numpy(curve["x"]).float().unsqueeze(1)).detach().numpy()[:, 0]
    assert np.allclose(curve["prediction"], by_hand, atol=1e-6)  # raw outputs: the number itself
    points = view["points"]
    assert set(points) == {"x", "y", "split"} and _same_length_columns(points) == 300
    targets = torch.cat([dataset.y_train, dataset.y_test])[:, 0].numpy()
    assert np.allclose(np.sort(points["y"]), np.sort(targets))  # y: the targets, up the plot
    assert not {"grid", "pushes", "logits", "units", "digits"} & set(view)  # no classes, no plane
    frame = view["frame"]
    assert set(frame) == {"step", "epoch", "curve"} and frame["curve"]["prediction"].dtype == np.float16


def test_a_surface_view_has_the_fitted_surface_its_points_targets_and_hidden_units():
    cfg, dataset, model = _regression("surface", output="sigmoid")
    view = model_view(model, dataset, cfg, {"step": 3, "epoch": 0.5, "status": "done", "frame": True})
    surface = view["surface"]
    assert _same_length_columns(surface) == GRID * GRID
    points = torch.from_numpy(np.column_stack([surface["x"], surface["y"]])).float()
    by_hand = torch.sigmoid(model(points)).detach().numpy()[:, 0]
    assert np.allclose(surface["prediction"], by_hand, atol=1e-6)
    assert ((surface["prediction"] > 0) & (surface["prediction"] < 1)).all()  # a sigmoid's, always
    assert set(view["points"]) == {"x", "y", "target", "split"}
    assert view["units"]["widths"] == [8] and "grid" not in view and "pushes" not in view
    assert set(view["frame"]) == {"step", "epoch", "surface", "units"}
    assert len(frame_of(view)["surface"]["prediction"]) == GRID * GRID
