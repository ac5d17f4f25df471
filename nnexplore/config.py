"""RunConfig: every choice a run can make, in one table.

The dataclass below *is* the table. Each field carries its label, group, limits
and a beginner-friendly help text in its metadata; validation, the sidebar
widgets, the CLI flags and the URL query string are all generated from it, so a
new option is added here and nowhere else (the TensorFlow Playground idea).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from nnexplore import activations, own_points
from nnexplore.problems import OWN, PROBLEMS, n_outputs, n_train, recipe_problem

DATASETS = tuple(PROBLEMS)
HIDDEN_ACTIVATIONS = tuple(a.name for a in activations.HIDDEN)  # the rows of nnexplore.activations
OUTPUT_ACTIVATIONS = tuple(a.name for a in activations.OUTPUT)
LOSSES = ("mse", "cross_entropy", "binary_cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "adam")
INITS = ("default", "xavier", "he", "normal")
DEVICES = ("auto", "cpu", "cuda")

MAX_LAYERS = 8
MAX_UNITS = 1024
# Records fall at least this many training steps apart (nnexplore.training.schedule): a record
# (held-out forward pass, probes, reading the numbers) costs about as much as a training step
# of a tiny network, and one every 2 steps ran train() at half a plain loop's speed.
MIN_STEPS_PER_RECORD = 10


def setting(
    default: Any,
    label: str,
    group: str,
    help: str,
    *,
    choices: tuple[str, ...] | None = None,
    names: dict[str, str] | None = None,
    low: float | None = None,
    high: float | None = None,
    log: bool = False,
    own_widget: bool = False,
    default_note: str = "",
) -> Any:
    """Declare one row of the settings table (a dataclass field with metadata).

    ``names`` maps a choice to how it reads on screen ("relu" → "ReLU"); the URL and
    the CLI keep the choice itself. A choice without a name is shown as it is.
    ``own_widget``: the sidebar draws no generic control for it; a widget of its own edits
    it (the points: nnexplore.ui.point_pad). ``default_note``: what a link's bad value is
    replaced with, in words, where the default's text says nothing to a reader (a code).
    """
    meta = {
        "label": label,
        "group": group,
        "help": help,
        "choices": choices,
        "names": names or {},
        "low": low,
        "high": high,
        "log": log,
        "own_widget": own_widget,
        "default_note": default_note,
    }
    return field(default=default, metadata=meta)


MORE = "More settings"
#: The sidebar's groups, in order. The last is folded: drawn only once its switch is on, since
#: every widget costs the learner's browser on every Playground (nineteen cost about 0.8 s of a
#: slow core, devtools.browser_cost), and a beginner rarely needs these six.
GROUPS = ("Data", "Network", "Output and loss", "Training", MORE)


@dataclass(frozen=True)
class RunConfig:
    """One experiment: what to train, on what, and how. Invalid values raise ValueError.

    The defaults are a classification's. A regression (sine, surface) names its recipe, since
    cross-entropy and a softmax output cannot train one (nnexplore.problems.recipe_problem):
    ``RunConfig(dataset="sine", output_activation="none", loss="mse")``, or
    ``RunConfig(**with_recipe({"dataset": "sine"}))``, as a link or the command line does.
    """

    dataset: str = setting(
        "moons",
        "Dataset",
        "Data",
        "What the network learns. moons to blobs are 2-D points to sort into classes (fast, and you "
        "can see the decision regions); Your own points are the points you place on a plane by "
        "clicking, in up to 4 classes; sine and surface are regressions: the network learns a "
        "number, the height of a curve at x or of a surface at (x, y), and you see its fit; mnist "
        "is 28×28 pictures of handwritten digits (10 classes). Picking a dataset of the other kind "
        "puts that kind's usual output and loss in their boxes.",
        choices=DATASETS,
        names={OWN: "Your own points"},
    )
    n_samples: int = setting(
        1000,
        "Points (toy data)",
        "Data",
        "How many points the toy problem has; 80% are used for training, 20% for testing. Not "
        "used for your own points: those are exactly the points you place.",
        low=100,
        high=20000,
    )
    points: str = setting(
        own_points.STARTER_TEXT,
        "Your own points",
        "Data",
        f"The points you place on the plane, for the dataset 'Your own points': up to "
        f"{own_points.MAX_POINTS}, in classes 0 to {own_points.MAX_CLASSES - 1}. Every "
        f"{own_points.TEST_EVERY}th point you place is kept for testing, the rest are trained on. "
        f"The link keeps them, {own_points.CHARS_PER_POINT} characters a point.",
        own_widget=True,
        default_note="The starter points were used instead.",
    )
    noise: float = setting(
        0.1,
        "Noise (toy data)",
        "Data",
        "How much the toy points are blurred: 0 is clean, 1 is very noisy and the classes overlap "
        "(for sine and surface: how far the targets scatter around the curve). Your own points are "
        "each moved a little at random (0 keeps them where you placed them).",
        low=0.0,
        high=1.0,
    )
    train_size: int = setting(
        10000,
        "Training images (MNIST)",
        "Data",
        "How many of MNIST's 60,000 training images to use. Fewer trains faster; more gives the "
        "network more handwriting to learn from. The 10,000 test images are always used for testing.",
        low=1000,
        high=60000,
    )
    hidden: tuple[int, ...] = setting(
        (16, 16),
        "Hidden layers",
        "Network",
        f"Width of each hidden layer, input side first, separated by commas: '32,16' is two layers. "
        f"Empty means no hidden layer (logistic regression). Up to {MAX_LAYERS} layers of 1 to "
        f"{MAX_UNITS} units.",
    )
    hidden_activation: str = setting(
        "relu",
        "Hidden activation",
        "Network",
        "The function applied after each hidden layer. ReLU is the usual choice; sigmoid, tanh and "
        "softmax squash their input and can make gradients vanish; linear means no activation "
        "(the whole network is then just one linear map).",
        choices=HIDDEN_ACTIVATIONS,
        names=activations.screen_names(activations.HIDDEN),
    )
    output_activation: str = setting(
        "softmax",
        "Output activation",
        "Output and loss",
        "What turns the last layer's numbers into the outputs. softmax gives probabilities that sum "
        "to 1; sigmoid squeezes each output into (0, 1) on its own; none leaves raw numbers, which "
        "can be negative or above 1: the usual choice for a regression, whose targets are numbers.",
        choices=OUTPUT_ACTIVATIONS,
        names=activations.screen_names(activations.OUTPUT),
    )
    loss: str = setting(
        "cross_entropy",
        "Loss",
        "Output and loss",
        "How wrong the outputs are. cross_entropy is −Σ t·log(o), the negative log-likelihood of "
        "the right answers: it punishes a confident wrong answer hard, and its log needs outputs "
        "above 0 (a softmax or sigmoid output). mse is the squared error Σ (o − t)², fine on raw "
        "outputs too, and the loss of a regression (sine, surface), where the targets are numbers. "
        "binary_cross_entropy treats each output as its own yes/no probability, "
        "−Σ [t·log(o) + (1 − t)·log(1 − o)]: the usual partner of a sigmoid output.",
        choices=LOSSES,
    )
    optimizer: str = setting(
        "adam",
        "Optimizer",
        "Training",
        "How the weights are updated from the gradient. sgd takes a plain step downhill; momentum "
        "(0.9) keeps some speed from earlier steps; adam adapts the step size per weight.",
        choices=OPTIMIZERS,
    )
    lr: float = setting(
        0.01,
        "Learning rate",
        "Training",
        "Size of each update step. Too small learns slowly; too large jumps around or blows up.",
        low=1e-5,
        high=10.0,
        log=True,
    )
    batch_size: int = setting(
        32,
        "Batch size",
        "Training",
        "How many examples are averaged for each update step.",
        low=1,
        high=4096,
    )
    epochs: int = setting(
        20,
        "Epochs",
        "Training",
        "How many times the network sees the whole training set.",
        low=1,
        high=50,
    )
    init: str = setting(
        "default",
        "Weight initialisation",
        MORE,
        "How the weights start. default is PyTorch's: each weight evenly between ±1/√(inputs of "
        "its layer). he suits ReLU: its weights spread about 2.5 times wider, enough that a deep "
        "ReLU network's gradient keeps its size from layer to layer, which with the default it "
        "does not. xavier suits sigmoid and tanh. normal draws every weight from a normal "
        "distribution with the std below.",
        choices=INITS,
    )
    init_std: float = setting(
        0.1,
        "Init std (normal)",
        MORE,
        "Standard deviation of the starting weights when the initialisation is 'normal'.",
        low=1e-4,
        high=10.0,
        log=True,
    )
    weight_decay: float = setting(
        0.0,
        "Weight decay",
        MORE,
        "Pulls every weight a little towards zero at each step (L2 regularisation). 0 turns it off.",
        low=0.0,
        high=1.0,
    )
    seed: int = setting(
        0,
        "Seed",
        MORE,
        "Fixes the random start (data, weights, batch order). The same seed gives the same run.",
        low=0,
        high=2**31 - 1,
    )
    device: str = setting(
        "auto",
        "Device",
        MORE,
        "Where to train: auto uses a CUDA GPU when there is one, else the CPU.",
        choices=DEVICES,
    )
    records_per_epoch: int = setting(
        10,
        "Records per epoch",
        MORE,
        f"How many times per epoch the charts get a new point, but at most one every "
        f"{MIN_STEPS_PER_RECORD} training steps: a small data set in big batches has few steps per "
        "epoch and gets fewer points.",
        low=1,
        high=100,
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check(f, getattr(self, f.name)))
        problem = combination_problem(self)
        if problem:
            raise ValueError(problem)

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict (hidden as a list)."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def to_query_params(self) -> dict[str, str]:
        """Every field as a string, keyed by field name: the shareable URL form."""
        return {f.name: format_value(f, getattr(self, f.name)) for f in FIELDS}

    @classmethod
    def from_query_params(cls, params: Any) -> tuple[RunConfig, list[str]]:
        """Parse user-supplied strings. Never raises: bad or unknown keys become problems in words.

        `params` is a mapping of str -> str or list[str] (repeated keys: the last one wins).
        """
        problems: list[str] = []
        values: dict[str, Any] = {}
        known = {f.name: f for f in FIELDS}
        for key in list(params.keys()):
            raw = params[key]
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            if key not in known:
                problems.append(f"Ignored unknown setting {_quote(key)}.")
                continue
            try:
                values[key] = _check(known[key], parse_value(known[key], str(raw)))
            except ValueError as err:
                problems.append(f"{err} {default_note(known[key])}")
        try:
            return cls(**with_recipe(values)), problems
        except ValueError as err:  # every field is fine, but together they make an impossible run
            return cls(), [*problems, f"{err} The default settings were used instead."]


# Limits on the work of one run, so the largest allowed run ends within about two minutes on
# one core of a shared server. Measured with one torch thread on a busy core: 1.7e9 to 5.7e9
# weight × example products per second for wide layers, 1,200 steps per second for tiny ones.
MAX_WEIGHT_EXAMPLES = 2e11
MAX_STEPS = 150_000
LIMIT_TEXT = (
    "Runs are capped at about two minutes on one core of a shared server: at most "
    f"{MAX_STEPS:,} update steps (training examples × epochs ÷ batch size) and "
    f"{MAX_WEIGHT_EXAMPLES / 1e9:,.0f} billion weight × example products."
)


def run_size(cfg: RunConfig) -> tuple[int, float]:
    """(optimizer steps, weight × example products) of a whole run: its training examples and
    its network's widths, from its dataset (nnexplore.problems: ``n_train``, ``n_outputs``)."""
    examples = n_train(cfg)
    widths = [PROBLEMS[cfg.dataset].inputs, *cfg.hidden, n_outputs(cfg)]
    weights = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    return math.ceil(examples / cfg.batch_size) * cfg.epochs, float(weights) * examples * cfg.epochs


def with_recipe(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the output activation and the loss its dataset's kind starts from
    (nnexplore.problems.RECIPES) where they are not given.

    The table's defaults (softmax, cross-entropy) are a classification's; a regression's targets
    are numbers, so a link or a command line that names ``dataset=sine`` and no loss means raw
    outputs and squared error. Settings given are kept as they are (an impossible pair is then
    refused in words by ``combination_problem``).
    """
    problem = PROBLEMS.get(settings.get("dataset", RunConfig.dataset))
    if problem is None:
        return dict(settings)
    output, loss = problem.recipe
    return {"output_activation": output, "loss": loss, **settings}


def combination_problem(cfg: Any) -> str:
    """'' when the settings make a possible run together, else the first reason why not, in words:
    a recipe that makes no sense for the dataset (nnexplore.problems.recipe_problem), or too big a run
    (``size_problem``). Each setting has passed its own check before."""
    return recipe_problem(cfg) or size_problem(cfg)


def size_problem(cfg: RunConfig) -> str:
    """'' when the run fits the limits, else what to change, in plain words."""
    steps, work = run_size(cfg)
    if steps > MAX_STEPS:
        return (
            f"This run would take {steps:,} update steps, more than the {MAX_STEPS:,} a shared "
            "server allows (about two minutes). Use a larger batch size, fewer epochs or less data."
        )
    if work > MAX_WEIGHT_EXAMPLES:
        return (
            f"This network is too big for this much training on a shared server: "
            f"{work / 1e9:,.0f} billion weight × example products, over the limit of "
            f"{MAX_WEIGHT_EXAMPLES / 1e9:,.0f} billion (about two minutes). Use fewer or narrower "
            "layers, fewer epochs, or fewer training images."
        )
    return ""


FIELDS: tuple[dataclasses.Field, ...] = dataclasses.fields(RunConfig)


def _quote(text: str, limit: int = 40) -> str:
    """Show user text safely and briefly in a message."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def default_note(f: dataclasses.Field) -> str:
    """What a link's bad value of this setting is replaced with, in words."""
    return f.metadata["default_note"] or f"The default {format_value(f, f.default)} was used."


def field_kind(f: dataclasses.Field) -> str:
    """'choice', 'int', 'float', 'layers' or 'points': decides the widget, the parser and the
    CLI type."""
    if f.metadata["choices"]:
        return "choice"
    if f.name == "hidden":
        return "layers"
    if f.name == "points":
        return "points"
    return {"int": "int", "float": "float"}[f.type if isinstance(f.type, str) else f.type.__name__]


def allowed_text(f: dataclasses.Field) -> str:
    """What a field accepts, in words."""
    m = f.metadata
    kind = field_kind(f)
    if kind == "choice":
        return "one of " + ", ".join(m["choices"])
    if kind == "layers":
        return (
            f"comma-separated layer widths, up to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units "
            "(empty for none)"
        )
    if kind == "points":
        return (
            f"up to {own_points.MAX_POINTS} points, {own_points.CHARS_PER_POINT} characters each "
            "(letters, digits, - and _), as the pad writes them"
        )
    noun = "a whole number" if kind == "int" else "a number"
    return f"{noun} from {m['low']:g} to {m['high']:g}"


def parse_value(f: dataclasses.Field, raw: str) -> Any:
    """Turn a string (URL, CLI) into the field's type; ValueError in plain words."""
    kind = field_kind(f)
    text = raw.strip()
    try:
        if kind == "layers":
            if text.lower() in ("", "none", "[]", "()"):
                return ()
            return tuple(int(part) for part in text.strip("[]()").split(",") if part.strip())
        if kind == "int":
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "float":
            return float(text)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{f.metadata['label']} ({f.name}) got {_quote(raw)}, which is not {allowed_text(f)}."
        ) from None
    return text


def format_value(f: dataclasses.Field, value: Any) -> str:
    """The string form of a value, readable back by parse_value."""
    if field_kind(f) == "layers":
        return ",".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _check(f: dataclasses.Field, value: Any) -> Any:
    """Validate and normalise one value; raise ValueError naming the field, the value and the rule."""
    m = f.metadata
    kind = field_kind(f)

    def fail() -> ValueError:
        return ValueError(f"{m['label']} ({f.name}) got {_quote(value)}, but it must be {allowed_text(f)}.")

    if kind == "choice":
        if not isinstance(value, str) or value not in m["choices"]:
            raise fail()
        return value
    if kind == "layers":
        if isinstance(value, str):
            value = parse_value(f, value)
        try:
            layers = tuple(value)
        except TypeError:
            raise fail() from None
        if len(layers) > MAX_LAYERS or not all(
            isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= MAX_UNITS for w in layers
        ):
            raise fail()
        return layers
    if kind == "points":
        problem = own_points.fault(value)
        if problem:
            raise ValueError(f"{m['label']} ({f.name}) got {_quote(value)}. {problem}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail()
    if kind == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise fail()
            value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise fail()
    if not m["low"] <= value <= m["high"]:
        raise fail()
    return value
