"""The datasets a run can learn, in one table: what goes into the network and what comes out.

Read by the settings (nnexplore.config), the data loaders (nnexplore.data), the views a page can
show (nnexplore.views) and the dashboard's picture of the network. Importing it needs no torch:
the dashboard server reads it, and never imports torch for the Playground.

Two kinds of problem. A *classification* (``classes`` ≥ 2) asks which of a few classes an example
belongs to: the network has one output per class, and the largest one is its answer. A
*regression* (``classes`` = 0: no classes to choose from) asks for a number, such as the height
of a curve at x: the network has one output, and the output itself is the answer. Each kind has
its usual recipe (``RECIPES``): probabilities and cross-entropy for a class, raw outputs and
squared error for a number.

The functions after the table read a run's settings against it: the classes a config's data has
and the outputs its network has (your own points, ``OWN``, have the classes placed, not the
row's 4), how many examples it trains on, whether it can start, and whether its output and loss
can train its dataset's kind (``recipe_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnexplore import own_points

CLASSIFICATION = "classification"
REGRESSION = "regression"

#: Each kind's usual output activation and loss: what a new run of that kind starts from.
#: A class is a choice, so a softmax turns the outputs into probabilities and cross-entropy
#: scores them; a number can be anything, so the output is left raw and squared error measures
#: how far it is from the target.
RECIPES: dict[str, tuple[str, str]] = {
    CLASSIFICATION: ("softmax", "cross_entropy"),
    REGRESSION: ("none", "mse"),
}


@dataclass(frozen=True)
class Problem:
    """One dataset: ``inputs`` numbers per example, ``classes`` answers to choose from (0: a
    regression, whose answer is a number, not a class)."""

    name: str
    inputs: int
    classes: int
    description: str

    @property
    def is_regression(self) -> bool:
        """The answer is a number (``classes`` = 0), not one of a few classes."""
        return self.classes == 0

    @property
    def kind(self) -> str:
        """CLASSIFICATION or REGRESSION: what the problem asks for."""
        return REGRESSION if self.is_regression else CLASSIFICATION

    @property
    def outputs(self) -> int:
        """The network's output units: one per class, or one number for a regression."""
        return self.classes or 1

    @property
    def recipe(self) -> tuple[str, str]:
        """(output activation, loss) a run of this problem starts from (RECIPES)."""
        return RECIPES[self.kind]

    @property
    def is_toy(self) -> bool:
        """A toy problem: one or two inputs, generated from a seed (nnexplore.data.toy), or your
        own points (``OWN``), placed by hand."""
        return self.inputs <= 2

    @property
    def on_plane(self) -> bool:
        """Two inputs: each example is a point on a plane, where a picture can show the whole
        input space (decision regions, a fitted surface, hidden units)."""
        return self.inputs == 2


#: The dataset a learner places by hand: its points are a setting (nnexplore.own_points), not
#: generated, and its number of classes is theirs, up to the row's 4.
OWN = "own"

PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem("moons", 2, 2, "Two interleaving half circles."),
        Problem("circles", 2, 2, "A small circle inside a larger one."),
        Problem("xor", 2, 2, "Four quadrants: opposite corners share a class (XOR)."),
        Problem("spiral", 2, 2, "Two spiral arms wound around each other."),
        Problem("spiral3", 2, 3, "Three spiral arms wound around each other."),
        Problem("blobs", 2, 4, "Four Gaussian blobs, one per class."),
        # Up to 4 classes; a run's own number is its points' (``n_classes``).
        Problem(OWN, 2, 4, "Your own points, placed by clicking a plane (nnexplore.own_points)."),
        Problem("sine", 1, 0, "A regression: y = sin(x) plus noise, for x from −3 to 3."),
        Problem("surface", 2, 0, "A regression: z = sin(x)·cos(y) plus noise, over the square from −3 to 3."),
        Problem("mnist", 28 * 28, 10, "Handwritten digits 0 to 9, as 28 × 28 pixel pictures."),
    )
}


def is_regression(dataset: str) -> bool:
    """Whether the dataset of this name is a regression (False for a name not in the table)."""
    problem = PROBLEMS.get(dataset)
    return problem is not None and problem.is_regression


# --- What a run's settings get from its dataset: read by nnexplore.config and the pages. A config
# is any object with the RunConfig fields used (the sidebar's values, a RunConfig). ---


def n_classes(cfg: Any) -> int:
    """The classes a config's data has: the dataset's row of the table (0: a regression,
    whose answer is a number), or for your own points one per class up to the highest used (at
    least 2). What chance is (1 / classes) reads this; the network's width reads ``n_outputs``."""
    if cfg.dataset == OWN:
        return own_points.n_classes(own_points.parse(cfg.points)[0])
    return PROBLEMS[cfg.dataset].classes


def n_outputs(cfg: Any) -> int:
    """The output units of a config's network: one per class (``n_classes``), or one number for
    a regression (the rule of ``Problem.outputs``)."""
    return n_classes(cfg) or 1


def n_train(cfg: Any) -> int:
    """How many examples a config's run trains on (the toy problems keep 80% of their points)."""
    if cfg.dataset == "mnist":
        return cfg.train_size
    if cfg.dataset == OWN:
        return len(own_points.split(own_points.parse(cfg.points)[0])[0])
    return int(cfg.n_samples * 0.8)


def start_problem(cfg: Any) -> str:
    """'' when a run of ``cfg`` can start, else why not, in plain words.

    Every setting is valid, but your own points may still be too few to learn from (the plane
    is empty while a learner places them, and the link keeps that too): Train waits.
    """
    if cfg.dataset == OWN:
        return own_points.cannot_train(own_points.parse(cfg.points)[0])
    return ""


#: What each loss that needs classes is called in the sentence that refuses it for a regression.
_CLASS_LOSSES = {
    "cross_entropy": "cross-entropy scores the probability given to the right class",
    "binary_cross_entropy": "binary cross-entropy scores a yes/no probability for each class",
}


def recipe_problem(cfg: Any) -> str:
    """'' when the output activation and the loss make sense for the dataset, else why not and
    what to use, in plain words.

    A regression's target is a number (sin x, between −1 and 1), not a class: a loss that scores
    the probability of a class has no class to score, and a softmax output (each output over the
    total of all of them) is exactly 1 when there is one output, whatever the input. Neither can
    train, so such a run is refused before it starts. A sigmoid output is allowed: it trains, and
    its fit shows why a number squeezed into (0, 1) cannot reach a target outside it.
    """
    problem = PROBLEMS.get(cfg.dataset)
    if problem is None or not problem.is_regression:
        return ""
    wrong = []
    if cfg.loss in _CLASS_LOSSES:
        wrong.append(f"{_CLASS_LOSSES[cfg.loss]}, but there is no class here")
    if cfg.output_activation == "softmax":
        wrong.append(
            "a softmax output divides each output by the total of all outputs, so its one output is always 1"
        )
    if not wrong:
        return ""
    output, loss = problem.recipe
    why = "; and ".join(wrong)
    return (
        f"{cfg.dataset} is a regression: the network must output a number, not pick a class. "
        f"{why[0].upper()}{why[1:]}. Use its usual recipe: output activation "
        f"{output} (raw outputs) and the {loss} loss (squared error); a sigmoid output is allowed "
        "too, to see what it cannot reach."
    )
