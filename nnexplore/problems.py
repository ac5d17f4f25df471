"""The datasets a run can learn, in one table: what goes into the network and what it must tell apart.

Read by the settings (nnexplore.config), the data loaders (nnexplore.data) and
the dashboard's picture of the network. Importing it needs no torch: the
dashboard server reads it, and never imports torch for the Playground.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One dataset: ``inputs`` numbers per example, ``classes`` answers to choose from."""

    name: str
    inputs: int
    classes: int
    description: str

    @property
    def is_toy(self) -> bool:
        """A 2-D toy problem (generated from a seed, drawn as points on a plane)."""
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
        # Up to 4 classes; a run's own number is its points' (nnexplore.config.n_classes).
        Problem(OWN, 2, 4, "Your own points, placed by clicking a plane (nnexplore.own_points)."),
        Problem("mnist", 28 * 28, 10, "Handwritten digits 0 to 9, as 28 × 28 pixel pictures."),
    )
}
