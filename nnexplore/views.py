"""The views of a group of runs: each chart (or row of per-run pictures) a page can show, once.

A finished card with every chart drawn was a wall of 14 to 19 charts, the answer to its
question somewhere in the middle, and each chart cost the learner's browser time to draw.
So a page draws first the few views that answer its question (a card's ``headline``, the
Playground's PLAYGROUND_HEADLINE) and offers every other view it can show under "More views",
built and sent only once the learner picks it.

A view's ``title`` is the heading it has on the page, and the name a card's "look for" bullet
gives it in bold (nnexplore.experiments). ``needs`` says when a view has anything to show, so
that a view with nothing to show is never offered:

* ``""``: always;
* ``"hidden"``: some run has a hidden layer (units, and a first layer for the gradient to reach);
* ``"classes"`` / ``"regression"``: some run sorts examples into classes / predicts a number
  (nnexplore.problems: accuracy and who gets pushed need classes; R² and the fit need numbers);
* ``"toy"``: some run sorts the points of a 2-D toy problem into classes (decision regions);
* ``"plane"``: some run's input is a point on a plane (two inputs: its hidden units can be drawn
  over it);
* ``"mnist"``: some run learns MNIST;
* ``"extra:<name>"``: the card has that extra panel (nnexplore.experiments.EXTRAS).

Nothing here imports streamlit or torch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from nnexplore.problems import PROBLEMS


@dataclass(frozen=True)
class View:
    """One view: its name (in code and links), its title (on the page), when it has anything to show,
    and how many charts it draws (``per_run``: that many for each pictured run)."""

    name: str
    title: str
    needs: str = ""
    charts: int = 1
    per_run: bool = False


CHART_ACCURACY = "Accuracy"
CHART_R2 = "R² (1 is a perfect fit)"
CHART_LOSS = "Loss"
CHART_OUTSIDE = "Outside [0, 1]"
CHART_UNITS = "Weak, off and dead units"
CHART_GRADIENT = "Gradient flow"
CHART_REACH = "How much reaches the first layer"
CHART_LAYERS = "Gradient by layer"
CHART_REGIONS = "Decision regions"
CHART_FIT = "Fit to the data"
CHART_DIGITS = "Test digits"
CHART_PUSHES = "Who gets pushed"
CHART_HIDDEN_UNITS = "Hidden units"
CHART_OUTPUT_GRADIENT = "Output-layer gradient"
CHART_GRADIENT_CHECK = "Gradient check"
CHART_LANDSCAPE = "Loss landscape"
CHART_DRAWING = "Your drawing"

#: Every view, in the order a page draws them (the headline first, then the ones picked).
VIEWS: tuple[View, ...] = (
    View("accuracy", CHART_ACCURACY, needs="classes"),
    View("r2", CHART_R2, needs="regression"),
    View("loss", CHART_LOSS),
    View("outside", CHART_OUTSIDE, charts=2),
    View("units", CHART_UNITS, needs="hidden"),
    View("gradient_flow", CHART_GRADIENT, per_run=True),
    View("reach", CHART_REACH, needs="hidden"),
    View("layers", CHART_LAYERS, needs="hidden", charts=2, per_run=True),
    View("regions", CHART_REGIONS, needs="toy", per_run=True),
    View("fit", CHART_FIT, needs="regression", per_run=True),
    View("digits", CHART_DIGITS, needs="mnist", charts=2, per_run=True),
    View("drawing", CHART_DRAWING, needs="mnist"),
    View("pushes", CHART_PUSHES, needs="classes", charts=2),
    View("hidden_units", CHART_HIDDEN_UNITS, needs="hidden plane"),
    View("output_gradient", CHART_OUTPUT_GRADIENT, needs="extra:gradient_check", charts=2),
    View("gradient_check", CHART_GRADIENT_CHECK, needs="extra:gradient_check"),
    View("landscape", CHART_LANDSCAPE, needs="extra:loss_landscape", charts=4),
)
BY_NAME: dict[str, View] = {view.name: view for view in VIEWS}
CHARTS: tuple[str, ...] = tuple(view.title for view in VIEWS)

#: What the Playground shows first: how well each run does (accuracy, or a regression's R²), what
#: each network draws (its decision regions, its fit, its guesses at digits), and (MNIST) what each
#: finished network makes of a digit the learner draws.
PLAYGROUND_HEADLINE: tuple[str, ...] = ("accuracy", "r2", "regions", "fit", "digits", "drawing")


def _problems(datasets: Iterable[str]) -> list:
    return [PROBLEMS[name] for name in datasets if name in PROBLEMS]


#: What each dataset need asks of some run's problem (nnexplore.problems.Problem).
_DATA_NEEDS = {
    "classes": lambda p: not p.is_regression,
    "regression": lambda p: p.is_regression,
    "toy": lambda p: p.on_plane and not p.is_regression,
    "plane": lambda p: p.on_plane,
    "mnist": lambda p: p.name == "mnist",
}


def available(view: View, datasets: Collection[str], hidden: bool, extra: str = "") -> bool:
    """Whether ``view`` has anything to show for runs on ``datasets`` (``hidden``: some run has a
    hidden layer) on a card with the extra panel ``extra`` ("" on the Playground)."""
    problems = _problems(datasets)
    for need in view.needs.split():
        if need == "hidden" and not hidden:
            return False
        if need in _DATA_NEEDS and not any(_DATA_NEEDS[need](p) for p in problems):
            return False
        if need.startswith("extra:") and need.removeprefix("extra:") != extra:
            return False
    return True


def offered(datasets: Collection[str], hidden: bool, extra: str = "") -> tuple[str, ...]:
    """The names of the views that have anything to show, in page order."""
    return tuple(view.name for view in VIEWS if available(view, datasets, hidden, extra))
