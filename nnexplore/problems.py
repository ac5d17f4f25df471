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
"""

from __future__ import annotations

from dataclasses import dataclass

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
        """A toy problem: generated from a seed, one or two inputs (nnexplore.data.toy)."""
        return self.inputs <= 2

    @property
    def on_plane(self) -> bool:
        """Two inputs: each example is a point on a plane, where a picture can show the whole
        input space (decision regions, a fitted surface, hidden units)."""
        return self.inputs == 2


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem("moons", 2, 2, "Two interleaving half circles."),
        Problem("circles", 2, 2, "A small circle inside a larger one."),
        Problem("xor", 2, 2, "Four quadrants: opposite corners share a class (XOR)."),
        Problem("spiral", 2, 2, "Two spiral arms wound around each other."),
        Problem("spiral3", 2, 3, "Three spiral arms wound around each other."),
        Problem("blobs", 2, 4, "Four Gaussian blobs, one per class."),
        Problem("sine", 1, 0, "A regression: y = sin(x) plus noise, for x from −3 to 3."),
        Problem("surface", 2, 0, "A regression: z = sin(x)·cos(y) plus noise, over the square from −3 to 3."),
        Problem("mnist", 28 * 28, 10, "Handwritten digits 0 to 9, as 28 × 28 pixel pictures."),
    )
}


def is_regression(dataset: str) -> bool:
    """Whether the dataset of this name is a regression (False for a name not in the table)."""
    problem = PROBLEMS.get(dataset)
    return problem is not None and problem.is_regression
