"""Toy problems: deterministic, balanced, split 80/20, standardised, noise matters; the regressions'
targets are their functions plus noise, and reach outside (0, 1)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from nnexplore.data import TOY_PROBLEMS, Dataset, load_dataset, make_toy
from nnexplore.problems import PROBLEMS

ALL_TOYS = list(TOY_PROBLEMS)
NAMES = [name for name in ALL_TOYS if not PROBLEMS[name].is_regression]  # the classifications
REGRESSIONS = [name for name in ALL_TOYS if PROBLEMS[name].is_regression]


def _knn_accuracy(ds: Dataset) -> float:
    """1-nearest-neighbour test accuracy: a model-free measure of class overlap."""
    nearest = torch.cdist(ds.x_test, ds.x_train).argmin(dim=1)
    return (ds.y_train[nearest] == ds.y_test).float().mean().item()


@pytest.mark.parametrize("name", ALL_TOYS)
def test_same_arguments_give_identical_tensors(name: str) -> None:
    a = make_toy(name, n_samples=300, noise=0.2, seed=7)
    b = make_toy(name, n_samples=300, noise=0.2, seed=7)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field)), field
    c = make_toy(name, n_samples=300, noise=0.2, seed=8)
    assert not torch.equal(a.x_train, c.x_train)


def test_global_rng_is_untouched() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make_toy("spiral", n_samples=200, seed=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_balance_and_split(name: str) -> None:
    n = 1001
    ds = make_toy(name, n_samples=n)
    k = TOY_PROBLEMS[name][0]
    assert ds.num_classes == k and ds.name == name and ds.n_features == 2
    assert ds.x_train.dtype == torch.float32 and ds.x_test.dtype == torch.float32
    assert ds.y_train.dtype == torch.int64 and ds.y_test.dtype == torch.int64
    assert ds.x_train.shape == (len(ds.y_train), 2) and ds.x_test.shape == (len(ds.y_test), 2)
    assert len(ds.y_train) + len(ds.y_test) == n
    assert abs(len(ds.y_train) - 0.8 * n) <= k
    counts = torch.bincount(torch.cat([ds.y_train, ds.y_test]), minlength=k)
    assert counts.max() - counts.min() <= 1
    train_counts = torch.bincount(ds.y_train, minlength=k)
    assert train_counts.max() - train_counts.min() <= 1
    assert torch.isfinite(ds.x_train).all() and torch.isfinite(ds.x_test).all()


def test_classes_are_mixed_in_train_order() -> None:
    ds = make_toy("moons", n_samples=1000)
    first_batch = ds.y_train[:32]
    assert 0 < first_batch.sum() < 32


@pytest.mark.parametrize("name", NAMES)
def test_standardised_with_train_statistics(name: str) -> None:
    ds = make_toy(name, n_samples=500, noise=0.3)
    assert torch.allclose(ds.x_train.mean(dim=0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(ds.x_train.std(dim=0), torch.ones(2), atol=1e-4)
    # The test split is transformed with the train statistics, so it is only close.
    assert ds.x_test.mean(dim=0).abs().max() < 0.5


@pytest.mark.parametrize("name", NAMES)
def test_noise_makes_the_problem_harder(name: str) -> None:
    clean = _knn_accuracy(make_toy(name, n_samples=600, noise=0.0, seed=3))
    noisy = _knn_accuracy(make_toy(name, n_samples=600, noise=1.0, seed=3))
    assert clean > 0.95
    assert noisy < clean - 0.15


def test_noise_zero_differs_from_noise_nonzero_with_same_seed() -> None:
    a = make_toy("circles", n_samples=200, noise=0.0)
    b = make_toy("circles", n_samples=200, noise=0.1)
    assert not torch.allclose(a.x_train, b.x_train)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "nope"}, "Unknown toy problem"),
        ({"name": "moons", "n_samples": 3}, "n_samples"),
        ({"name": "moons", "noise": -0.1}, "noise"),
        ({"name": "moons", "noise": float("nan")}, "noise"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_toy(**kwargs)


def test_load_dataset_dispatches_and_shares_toy_datasets() -> None:
    cfg = SimpleNamespace(dataset="spiral3", n_samples=300, noise=0.1, seed=2, train_size=100)
    first = load_dataset(cfg)
    assert first.num_classes == 3 and first.name == "spiral3"
    assert load_dataset(cfg) is first  # one shared copy per setting
    assert torch.equal(first.x_train, make_toy("spiral3", 300, 0.1, 2).x_train)
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset(SimpleNamespace(dataset="cifar", n_samples=300, noise=0.1, seed=0, train_size=1))


def test_the_table_has_a_curve_and_a_surface_to_fit() -> None:
    assert {"sine", "surface"} <= set(REGRESSIONS)
    assert (PROBLEMS["sine"].inputs, PROBLEMS["sine"].outputs) == (1, 1)
    assert (PROBLEMS["surface"].inputs, PROBLEMS["surface"].outputs) == (2, 1)
    assert PROBLEMS["surface"].on_plane and not PROBLEMS["sine"].on_plane
    assert all(PROBLEMS[name].recipe == ("none", "mse") for name in REGRESSIONS)
    assert PROBLEMS["moons"].recipe == ("softmax", "cross_entropy") and PROBLEMS["mnist"].outputs == 10


@pytest.mark.parametrize("name", REGRESSIONS)
def test_a_regression_is_its_function_plus_noise_split_80_20(name: str) -> None:
    n = 1001
    clean = make_toy(name, n_samples=n, noise=0.0, seed=4)
    inputs = PROBLEMS[name].inputs
    assert clean.is_regression and clean.num_classes == 0 and clean.n_outputs == 1
    assert clean.x_train.shape == (801, inputs) and clean.x_test.shape == (200, inputs)
    assert clean.y_train.shape == (801, 1) and clean.y_train.dtype == torch.float32
    x = torch.cat([clean.x_train, clean.x_test])
    y = torch.cat([clean.y_train, clean.y_test])[:, 0]
    assert x.min() >= -3 and x.max() <= 3 and x.min() < -2.9 and x.max() > 2.9  # not standardised
    expected = torch.sin(x[:, 0]) * (torch.cos(x[:, 1]) if inputs == 2 else 1)
    assert torch.allclose(y, expected, atol=1e-6)
    assert y.min() < -0.9 and y.max() > 0.9  # targets well outside (0, 1): a sigmoid cannot reach them
    noisy = make_toy(name, n_samples=n, noise=0.2, seed=4)
    assert torch.equal(noisy.x_train, clean.x_train)  # the same points, their targets blurred
    spread = (noisy.y_train - clean.y_train).std().item()
    assert 0.17 < spread < 0.23
