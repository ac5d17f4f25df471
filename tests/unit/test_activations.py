"""The activation table: each row's slope, largest slope and module agree with torch itself."""

from __future__ import annotations

import pytest
import torch

from nnexplore import activations as A
from nnexplore import config

# -8..8 in steps of 1e-4: every largest slope here sits well inside (GELU's at z = √2), and
# the step leaves the grid maximum within about 1e-9 of the true one near a smooth peak.
GRID = torch.linspace(-8.0, 8.0, 160_001, dtype=torch.float64)
ELEMENTWISE = [a.name for a in A.ROWS if a.elementwise]


def _autograd_slope(row: A.Activation, z: torch.Tensor) -> torch.Tensor:
    zz = z.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(row.f(zz).sum(), zz)
    return grad


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_max_slope_is_the_numeric_maximum_of_the_slope(name: str) -> None:
    row = A.get(name)
    numeric = float(_autograd_slope(row, GRID).max())
    assert row.max_slope == pytest.approx(numeric, abs=1e-6), name


def test_gelu_largest_slope_is_at_root_two() -> None:
    # GELU''(z) = φ(z)(2 − z²): the slope peaks at z = √2 at about 1.1289, not 1.1468.
    slope = _autograd_slope(A.get("gelu"), GRID)
    assert float(GRID[slope.argmax()]) == pytest.approx(2**0.5, abs=1e-3)
    assert A.get("gelu").max_slope == pytest.approx(1.12890, abs=1e-5)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_slope_is_the_autograd_derivative(name: str) -> None:
    row = A.get(name)
    z = torch.linspace(-5, 5, 41, dtype=torch.float64)  # z = 0 included: the kinks as torch takes them
    torch.testing.assert_close(row.slope(z), _autograd_slope(row, z), atol=1e-12, rtol=0)


def test_softmax_slope_is_the_jacobian_diagonal() -> None:
    row = A.get("softmax")
    z = torch.tensor([[2.0, 1.0, 0.1], [20.0, 0.0, 0.0]], dtype=torch.float64)
    for vector, slope in zip(z, row.slope(z), strict=True):
        jacobian = torch.autograd.functional.jacobian(row.f, vector)
        torch.testing.assert_close(slope, jacobian.diagonal())
    # S_i (1 − S_i) is largest, 0.25, when S_i = ½
    assert float(row.slope(torch.tensor([[0.0, 0.0]])).max()) == pytest.approx(row.max_slope)


@pytest.mark.parametrize("name", [a.name for a in A.ROWS])
def test_module_computes_f(name: str) -> None:
    row = A.get(name)
    z = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    module = row.module()
    assert isinstance(module, torch.nn.Module)
    torch.testing.assert_close(module(z), row.f(z))


def test_config_choices_and_lists_come_from_the_table() -> None:
    assert config.HIDDEN_ACTIVATIONS == tuple(a.name for a in A.HIDDEN)
    assert config.OUTPUT_ACTIVATIONS == tuple(a.name for a in A.OUTPUT)
    assert config.HIDDEN_ACTIVATIONS[0] == "relu"  # the usual choice comes first in the picker
    assert set(config.OUTPUT_ACTIVATIONS) == {"none", "sigmoid", "softmax"}
    assert "softmax" not in [a.name for a in A.CURVES] and "none" not in [a.name for a in A.CURVES]
    names = {f.name: f.metadata["names"] for f in config.FIELDS}
    assert names["hidden_activation"]["relu"] == "ReLU"


def test_every_row_is_complete() -> None:
    assert len({a.name for a in A.ROWS}) == len(A.ROWS)
    for row in A.ROWS:
        assert row.hidden or row.output, row.name
        assert row.screen_name and row.short_name and row.latex_f and row.latex_slope, row.name
        assert row.color.startswith("#") and len(row.color) == 7, row.name
        assert A.get(row.name) is row
    assert len({a.color for a in A.CURVES}) == len(A.CURVES)  # each curve its own colour


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="relu"):
        A.get("swish")


@pytest.mark.parametrize("name", [a.name for a in A.ROWS])
def test_bounds_hold_and_are_approached(name: str) -> None:
    """Every output lies within the row's bounds, and each bound given is reached far out."""
    row = A.get(name)
    z = torch.linspace(-30.0, 30.0, 6001, dtype=torch.float64)
    # softmax of (z, 0): the first of two units, which takes all or none of the total far out
    out = row.f(torch.stack([z, torch.zeros_like(z)], dim=1))[:, 0] if not row.elementwise else row.f(z)
    low, high = row.bounds
    if low is not None:
        assert float(out.min()) >= low and float(out.min()) - low < 1e-9
    if high is not None:
        assert float(out.max()) <= high and high - float(out.max()) < 1e-9
