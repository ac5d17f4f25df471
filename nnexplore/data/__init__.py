"""Datasets: 2-D toy problems generated in torch, and MNIST.

``load_dataset(cfg)`` is the one entry point the trainer and the dashboard use;
it reads only the data fields of the config, so any object with those
attributes works (a RunConfig, a SimpleNamespace in a notebook).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from nnexplore.data.dataset import Dataset
from nnexplore.data.idx import read_idx
from nnexplore.data.mnist import (
    ALL_FILES,
    TEST_FILES,
    MnistUnavailable,
    Progress,
    fetch_mnist,
    load_mnist,
    mnist_is_cached,
)
from nnexplore.data.toy import TOY_PROBLEMS, make_own, make_toy
from nnexplore.problems import OWN

__all__ = [
    "ALL_FILES",
    "TEST_FILES",
    "TOY_PROBLEMS",
    "Dataset",
    "MnistUnavailable",
    "fetch_mnist",
    "load_dataset",
    "load_mnist",
    "make_own",
    "make_toy",
    "mnist_is_cached",
    "read_idx",
]


@lru_cache(maxsize=32)
def _cached_toy(name: str, n_samples: int, noise: float, seed: int) -> Dataset:
    # Toy datasets are small but every rerun of the page asks for them; one
    # shared copy per distinct setting is enough.
    return make_toy(name, n_samples=n_samples, noise=noise, seed=seed)


@lru_cache(maxsize=32)
def _cached_own(points: str, noise: float, seed: int) -> Dataset:
    return make_own(points, noise=noise, seed=seed)


def load_dataset(cfg: Any, progress: Progress | None = None) -> Dataset:
    """The dataset a config asks for: ``cfg.dataset`` picks it, ``cfg.n_samples``,
    ``cfg.noise`` and ``cfg.seed`` shape toy problems, ``cfg.points`` are your own points
    (``noise`` and ``seed`` jitter them), ``cfg.train_size`` caps MNIST's training set.
    MNIST may raise MnistUnavailable (offline)."""
    name = cfg.dataset
    if name == "mnist":
        return load_mnist(train_size=getattr(cfg, "train_size", None), progress=progress)
    if name == OWN:
        return _cached_own(str(cfg.points), float(cfg.noise), int(cfg.seed))
    if name in TOY_PROBLEMS:
        return _cached_toy(name, int(cfg.n_samples), float(cfg.noise), int(cfg.seed))
    known = ", ".join([*TOY_PROBLEMS, OWN, "mnist"])
    raise ValueError(f"Unknown dataset {name!r}. Choose one of: {known}.")
