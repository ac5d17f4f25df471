"""Toy problems, generated in torch from a seed: 2-D classifications and small regressions.

Each classification generator draws clean points for every class (roughly within [-1, 1]),
then adds Gaussian noise whose standard deviation is ``noise`` times the
problem's scale: about the distance between neighbouring classes (1 for moons,
circles and blobs, less for XOR and for the tightly wound spirals). So on every
problem ``noise=0`` is the clean shape, 0.1 a little fuzz, and 1 a mess. A local
``torch.Generator`` makes each dataset a pure function of its arguments: the
global RNG (which model initialisation uses) is never touched, so the same
teacher link shows the same points to every learner.

The regressions (``sine``, ``surface``) draw x evenly from [−3, 3] (one or two inputs) and
give each point the target of a smooth function plus Gaussian noise of std ``noise``. They are
left in their own units, not standardised: x from −3 to 3 already has about the spread a network
starts well from (std √3), and a target that runs from −1 to 1 is what the lesson is about (a
sigmoid output, squeezed into (0, 1), cannot reach its negative half).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from nnexplore import own_points
from nnexplore.data.dataset import Dataset
from nnexplore.problems import OWN, PROBLEMS

#: The generated toy rows of nnexplore.problems: name → (classes, description); 0 classes: a
#: regression. Your own points (``OWN``) are a toy problem too, but placed by hand: ``make_own``
#: builds them.
TOY_PROBLEMS: dict[str, tuple[int, str]] = {
    name: (p.classes, p.description) for name, p in PROBLEMS.items() if p.is_toy and name != OWN
}

TRAIN_FRACTION = 0.8
MIN_SAMPLES = 20

# A sampler gets (number of points, class index, generator) and returns clean
# (n, 2) float32 points of that class.
_Sampler = Callable[[int, int, torch.Generator], torch.Tensor]


def _uniform(n: int, gen: torch.Generator, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen)


def _moons(n: int, label: int, gen: torch.Generator) -> torch.Tensor:
    t = _uniform(n, gen, 0.0, math.pi)
    if label == 0:
        return torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    return torch.stack([1.0 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)


def _circles(n: int, label: int, gen: torch.Generator) -> torch.Tensor:
    t = _uniform(n, gen, 0.0, 2 * math.pi)
    radius = 1.0 if label == 0 else 0.5
    return radius * torch.stack([torch.cos(t), torch.sin(t)], dim=1)


def _xor(n: int, label: int, gen: torch.Generator) -> torch.Tensor:
    # Keep a thin margin off the axes so noise=0 is cleanly separable.
    mag = _uniform(2 * n, gen, 0.05, 1.0).reshape(n, 2)
    sx = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    # Class 0: same signs (x*y > 0); class 1: opposite signs.
    sy = sx if label == 0 else -sx
    return mag * torch.stack([sx, sy], dim=1)


def _spiral_sampler(arms: int) -> _Sampler:
    def sample(n: int, label: int, gen: torch.Generator) -> torch.Tensor:
        r = _uniform(n, gen, 0.05, 1.0)
        t = 1.75 * 2 * math.pi * r + label * 2 * math.pi / arms
        return r.unsqueeze(1) * torch.stack([torch.cos(t), torch.sin(t)], dim=1)

    return sample


_BLOB_CENTRES = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
_BLOB_SPREAD = 0.25  # the blob's own width; noise comes on top of it


def _blobs(n: int, label: int, gen: torch.Generator) -> torch.Tensor:
    return _BLOB_CENTRES[label] + _BLOB_SPREAD * torch.randn(n, 2, generator=gen)


# Noise std per unit of ``noise``: spiral arms lie 0.29 (2 arms) or 0.19
# (3 arms) apart, so the same noise setting blurs every problem about as much.
NOISE_SCALE: dict[str, float] = {
    "moons": 1.0,
    "circles": 1.0,
    "xor": 0.5,
    "spiral": 0.3,
    "spiral3": 0.2,
    "blobs": 1.0,
    # Your own points: noise 1 moves a point by 0.5 (an eighth of the 4-unit plane) on average,
    # about the gap a learner leaves between two classes, so 1 makes them overlap as elsewhere.
    OWN: 0.5,
}

_SAMPLERS: dict[str, _Sampler] = {
    "moons": _moons,
    "circles": _circles,
    "xor": _xor,
    "spiral": _spiral_sampler(2),
    "spiral3": _spiral_sampler(3),
    "blobs": _blobs,
}


#: The regressions' x range: each input evenly from −X_RANGE to X_RANGE.
X_RANGE = 3.0


def _sine(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(x[:, 0])


def _surface(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(x[:, 0]) * torch.cos(x[:, 1])


#: Each regression's clean target, from its inputs (n, inputs) to (n,): between −1 and 1.
_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"sine": _sine, "surface": _surface}


def make_toy(name: str, n_samples: int = 1000, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Generate a toy problem: same arguments, identical tensors.

    A regression is made by ``_make_regression``. For a classification: classes are balanced (sizes differ by at most one), and each class is split
    80/20 on its own so train and test keep the balance. Features are
    standardised with the *train* mean and standard deviation, as one would do
    with real data (the test set must not leak into preprocessing).
    """
    if name not in TOY_PROBLEMS:
        known = ", ".join(TOY_PROBLEMS)
        more = f" Your own points ({OWN!r}) are built by make_own." if name == OWN else ""
        raise ValueError(f"Unknown toy problem {name!r}. Choose one of: {known}.{more}")
    if n_samples < MIN_SAMPLES:
        raise ValueError(f"n_samples must be at least {MIN_SAMPLES}, got {n_samples}.")
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"noise must be a number >= 0, got {noise}.")
    if name in _FUNCTIONS:
        return _make_regression(name, n_samples, noise, seed)

    num_classes = TOY_PROBLEMS[name][0]
    sampler = _SAMPLERS[name]
    gen = torch.Generator().manual_seed(int(seed))

    train_x, train_y, test_x, test_y = [], [], [], []
    base, extra = divmod(n_samples, num_classes)
    for label in range(num_classes):
        n = base + (1 if label < extra else 0)
        points = sampler(n, label, gen).float()
        points = points + noise * NOISE_SCALE[name] * torch.randn(n, 2, generator=gen)
        n_train = round(TRAIN_FRACTION * n)
        labels = torch.full((n,), label, dtype=torch.int64)
        train_x.append(points[:n_train])
        train_y.append(labels[:n_train])
        test_x.append(points[n_train:])
        test_y.append(labels[n_train:])

    x_train, y_train = _shuffled(torch.cat(train_x), torch.cat(train_y), gen)
    x_test, y_test = _shuffled(torch.cat(test_x), torch.cat(test_y), gen)

    mean = x_train.mean(dim=0)
    std = x_train.std(dim=0).clamp_min(1e-8)
    return Dataset(
        x_train=((x_train - mean) / std).contiguous(),
        y_train=y_train,
        x_test=((x_test - mean) / std).contiguous(),
        y_test=y_test,
        num_classes=num_classes,
        name=name,
    )


def _shuffled(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix the classes so that any batch holds a mix of labels."""
    order = torch.randperm(len(y), generator=gen)
    return x[order], y[order]


def _make_regression(name: str, n_samples: int, noise: float, seed: int) -> Dataset:
    """A regression: x evenly in [−X_RANGE, X_RANGE] per input, target = the problem's function
    plus noise of std ``noise``, as float32 of shape (n, 1) (one output); the first 80% of the
    (random, so already mixed) points train, the rest test. Not standardised (module docstring)."""
    gen = torch.Generator().manual_seed(int(seed))
    inputs = PROBLEMS[name].inputs
    x = (2 * torch.rand(n_samples, inputs, generator=gen) - 1) * X_RANGE
    y = _FUNCTIONS[name](x) + noise * torch.randn(n_samples, generator=gen)
    y = y.float().unsqueeze(1)
    n_train = round(TRAIN_FRACTION * n_samples)
    return Dataset(
        x_train=x[:n_train].contiguous(),
        y_train=y[:n_train].contiguous(),
        x_test=x[n_train:].contiguous(),
        y_test=y[n_train:].contiguous(),
        num_classes=0,
        name=name,
    )


def make_own(points: str | Sequence[own_points.Point], noise: float = 0.1, seed: int = 0) -> Dataset:
    """Your own points as a dataset: same arguments, identical tensors.

    ``points`` is the link's text (nnexplore.own_points) or (x, y, class) triples. Every 5th
    point placed is a test point, the others are trained on (own_points.split): with a few
    dozen points a random split would change what is tested from one seed to the next.
    ``noise`` moves each point by a Gaussian step of ``noise`` × 0.5 plane units, drawn from
    the seed (0 keeps them where they were placed); the training points are then mixed, so
    that a batch holds several classes.

    The points are *not* standardised, unlike the generated problems: the plane is already
    on their scale (±2), and two runs on a set that grew by a point then show each point at the
    same place on their decision maps. ``num_classes`` is one per class up to the highest used
    (at least 2). ValueError in words for points that cannot be read or are too few to train on.
    """
    if isinstance(points, str):
        problem = own_points.fault(points)
        if problem:
            raise ValueError(f"Your own points cannot be read: {problem}")
        placed = own_points.decode(points)
    else:
        problem = own_points.check(points)
        if problem:
            raise ValueError(problem)
        placed = own_points.snap(points)  # on the link's levels: the same data as its link gives
    problem = own_points.cannot_train(placed)
    if problem:
        raise ValueError(problem)
    if not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"noise must be a number >= 0, got {noise}.")

    gen = torch.Generator().manual_seed(int(seed))
    x = torch.tensor([[px, py] for px, py, _ in placed], dtype=torch.float32)
    y = torch.tensor([c for _, _, c in placed], dtype=torch.int64)
    x = x + noise * NOISE_SCALE[OWN] * torch.randn(len(placed), 2, generator=gen)
    test = torch.tensor([own_points.is_test(i) for i in range(len(placed))])
    x_train, y_train = _shuffled(x[~test], y[~test], gen)
    return Dataset(
        x_train=x_train.contiguous(),
        y_train=y_train,
        x_test=x[test].contiguous(),
        y_test=y[test],
        num_classes=own_points.n_classes(placed),
        name=OWN,
    )
