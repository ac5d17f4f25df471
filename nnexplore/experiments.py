"""The guided experiments: each learner question as a few runs side by side, plus text.

An experiment is data, not code: a handful of RunConfigs to train together, the
charts to look at, and the maths that explains what the charts show. The pages
render it; the tests (tests/unit/test_experiments.py) train every experiment at its
default seed and check that the claim its text makes really shows up.

Rules for the text, so that it stays true for every learner:
- no numbers that come from a run ("look how far apart the lines are", never
  "ReLU reaches 97%"); the charts show the learner's own numbers;
- every "look for" bullet starts with the bold name of a chart in CHARTS, so
  the page can link a bullet to its chart;
- every term a beginner may not know is explained in the same sentence.

Nothing here imports streamlit.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from nnexplore import views
from nnexplore.config import MAX_LAYERS, RunConfig
from nnexplore.views import (
    CHARTS,
)

# Extra panels an experiment may ask the page to show under its charts ("depth": a depth slider).
EXTRAS: tuple[str, ...] = ("", "loss_landscape", "gradient_check", "depth")

_BULLET_CHART = re.compile(r"^\*\*(.+?)\*\*")


def chart_of(bullet: str) -> str | None:
    """The chart a "look for" bullet points at (its leading bold words), or None."""
    match = _BULLET_CHART.match(bullet)
    if match and match.group(1) in CHARTS:
        return match.group(1)
    return None


@dataclass(frozen=True)
class Prediction:
    """What a card asks before its first run: a question, 2 or 3 answers in plain words, and
    ``right``, the index of the answer the card's own runs show at their default seed (a test in
    tests/unit/test_experiments.py checks it on the trained runs, one per card)."""

    question: str
    answers: tuple[str, ...]
    right: int

    @property
    def answer(self) -> str:
        """The answer the card's own runs show."""
        return self.answers[self.right]


@dataclass(frozen=True)
class Experiment:
    """One guided experiment: the question, the runs that answer it, and how to read them.

    runs      (label, config) pairs trained side by side; 2 to 4, labels distinct.
    look_for  markdown bullets, each starting with a chart name in bold (see chart_of).
    why       (plain text, LaTeX formula or "") pairs: markdown, then st.latex when given.
    try_next  (label, config) pairs the page offers to open in the Playground.
    extra     "" or the name of an extra panel: "loss_landscape", "gradient_check", "depth".
    headline  the 2 to 4 views (nnexplore.views) that answer the question, drawn first; every other
              view the runs can show is offered under "More views", built only when picked.
    depths    depth choices for a depth slider (number of hidden layers); empty for none.
    prediction  what the card asks the learner to expect before its first run (None: nothing).
    """

    slug: str
    title: str
    question: str
    runs: tuple[tuple[str, RunConfig], ...]
    look_for: tuple[str, ...]
    why: tuple[tuple[str, str], ...]
    try_next: tuple[tuple[str, RunConfig], ...] = ()
    extra: str = ""
    depths: tuple[int, ...] = ()
    headline: tuple[str, ...] = ("accuracy", "loss")
    prediction: Prediction | None = None

    def __post_init__(self) -> None:
        if not 2 <= len(self.runs) <= 4:
            raise ValueError(f"Experiment {self.slug!r} needs 2 to 4 runs, not {len(self.runs)}.")
        labels = [label for label, _ in self.runs]
        if len(set(labels)) != len(labels):
            raise ValueError(f"Experiment {self.slug!r} has two runs with the same label.")
        if self.extra not in EXTRAS:
            raise ValueError(f"Experiment {self.slug!r}: unknown extra panel {self.extra!r}.")
        if not 2 <= len(self.headline) <= 4:
            raise ValueError(f"Experiment {self.slug!r} needs 2 to 4 headline views.")
        offered = self.offered
        if wrong := [v for v in self.headline if v not in offered]:
            raise ValueError(f"Experiment {self.slug!r}: headline views with nothing to show: {wrong}.")
        if any(not 1 <= d <= MAX_LAYERS for d in self.depths):
            raise ValueError(f"Experiment {self.slug!r}: depths must lie between 1 and {MAX_LAYERS}.")
        if (guess := self.prediction) is not None:
            answers = [a.strip() for a in guess.answers]
            if not guess.question.strip().endswith("?"):
                raise ValueError(f"Experiment {self.slug!r}: its prediction must ask a question.")
            if not 2 <= len(answers) <= 3 or not all(answers) or len(set(answers)) != len(answers):
                raise ValueError(f"Experiment {self.slug!r}: a prediction needs 2 or 3 different answers.")
            if isinstance(guess.right, bool) or guess.right not in range(len(answers)):
                raise ValueError(
                    f"Experiment {self.slug!r}: its prediction's right answer is not one of its answers."
                )

    @property
    def offered(self) -> tuple[str, ...]:
        """Every view its runs can show (nnexplore.views.offered), the headline's included."""
        datasets = {cfg.dataset for _, cfg in self.runs}
        return views.offered(datasets, any(cfg.hidden for _, cfg in self.runs), self.extra)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.runs)

    @property
    def configs(self) -> tuple[RunConfig, ...]:
        return tuple(cfg for _, cfg in self.runs)

    @property
    def dataset(self) -> str:
        """The dataset of the first run (runs of one kind share theirs: a card may set a regression
        beside a classification, nnexplore.problems)."""
        return self.runs[0][1].dataset

    @property
    def depth(self) -> int:
        """Number of hidden layers of the first run (what a depth slider starts at)."""
        return len(self.runs[0][1].hidden)

    def with_depth(self, n: int) -> Experiment:
        """A copy whose runs have ``n`` hidden layers, each as wide as the run's first hidden layer.

        Raises ValueError (in words) when ``n`` is not a whole number from 1 to MAX_LAYERS.
        """
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_LAYERS:
            raise ValueError(f"The depth must be a whole number of hidden layers from 1 to {MAX_LAYERS}.")
        runs = tuple(
            (label, cfg.replace(hidden=(cfg.hidden[0] if cfg.hidden else DEPTH_WIDTH,) * n))
            for label, cfg in self.runs
        )
        return dataclasses.replace(self, runs=runs)


DEPTH_WIDTH = 32  # units per hidden layer in the depth experiment


# ---------------------------------------------------------------------------
# 1. Softmax in the hidden layers, raw outputs
# ---------------------------------------------------------------------------

# Plain momentum SGD, so that the size of a gradient is the size of the step it
# causes: Adam would rescale every weight's step and hide the tiny gradients
# that softmax layers pass back (that is one of the "try next" runs).
_MOONS = RunConfig(
    dataset="moons",
    n_samples=1000,
    noise=0.1,
    hidden=(32, 32),
    optimizer="momentum",
    lr=0.1,
    batch_size=32,
    epochs=20,
    seed=0,
)
_USUAL = dict(hidden_activation="relu", output_activation="softmax", loss="cross_entropy")
_RELU_RAW = dict(hidden_activation="relu", output_activation="none", loss="mse")
_SOFTMAX_RAW = dict(hidden_activation="softmax", output_activation="none", loss="mse")
_SIGMOID_RAW = dict(hidden_activation="sigmoid", output_activation="none", loss="mse")

# Hui and Belkin (2021), "Evaluation of neural architectures trained with square loss vs
# cross-entropy in classification tasks" (ICLR): squared error on the raw outputs, no softmax.
HUI_BELKIN = (
    "Hui and Belkin (2021) trained many standard networks with squared error on raw outputs, "
    "with no softmax, and found them about as accurate as with cross-entropy on a range of "
    "language, speech and image benchmarks (cross-entropy kept a slight edge on images); for "
    "tasks with many classes they rescaled the loss."
)

SOFTMAX_HIDDEN = Experiment(
    slug="softmax-hidden",
    title="Softmax in the hidden layers, nothing on the output?",
    question=(
        "Most networks use ReLU in the hidden layers and a softmax (or sigmoid) at the output. "
        "Would softmax in the hidden layers, raw numbers at the output and the squared error as "
        "the loss work just as well?"
    ),
    runs=(
        ("ReLU → softmax, cross-entropy", _MOONS.replace(**_USUAL)),
        ("ReLU → nothing, squared error", _MOONS.replace(**_RELU_RAW)),
        ("softmax → nothing, squared error", _MOONS.replace(**_SOFTMAX_RAW)),
        ("sigmoid → nothing, squared error", _MOONS.replace(**_SIGMOID_RAW)),
    ),
    look_for=(
        "**Accuracy**: all four start from the same random weights and see the points in the same "
        "order. The first two differ only at the output, the last three only in the hidden layers. "
        "Both ReLU runs are near the top within the first few epochs: raw outputs with squared "
        "error are not what fails. The softmax run sits at 50%, what guessing gives on two classes, for most "
        "of the run, and climbs only late, ending below the ReLU runs; the sigmoid run climbs early "
        "but levels off below them too.",
        "**Loss**: the softmax run's loss stays flat for most of the run, a *plateau*, near 0.5: "
        "the squared error of answering 0.5 for each moon at every point (see *Why*).",
        "**Outside [0, 1]**: a softmax output always lies between 0 and 1. Raw outputs have no such "
        "limit: count how many of the three raw runs' outputs fall below 0 or above 1. A value like "
        "−0.2 or 1.3 is a score, not a probability.",
        "**Gradient flow**: one panel per run, one line per layer, all on the same scale. In each "
        "panel, compare the first hidden layer's line with the output layer's.",
        "**How much reaches the first layer**: the first hidden layer's gradient divided by the "
        "output layer's, one line per run, on a log scale (from 1 to 0.1 to 0.01, each step down is "
        "ten times weaker). Softmax and sigmoid layers shrink the gradient on its way back, so "
        "their lines stay below both ReLU lines and mostly below the dotted line at 1, where the "
        "first layer would get as strong a signal as the output layer. The ReLU lines rise to "
        "about 1 or above.",
        "**Weak, off and dead units**: a unit's value is *weak* when its slope is under a quarter of "
        "its activation's largest slope, so it passes back less than a quarter of the gradient it "
        "could. Almost every softmax value is weak from the first record on: 32 units sharing a "
        "total of 1 sit near 1/32 each, far from ½, where a softmax unit's slope is largest. The "
        "sigmoid run starts with none and gains some as its units saturate. ReLU's values are never "
        "weak, only *off* (input below 0, slope 0); a unit that is off for every test example is "
        "*dead* and gets no gradient from any of them. Count the dead units of the two ReLU runs.",
        "**Decision regions**: where each network draws the line between the two moons.",
        "**Hidden units**: each small square is one *unit* (one of the numbers a hidden layer "
        "computes), showing its output over the same plane as the decision regions: dark where it "
        "is low, bright where it is high. Pick the softmax run early on: every square of its second "
        "layer is titled *flat*, its units near 1/32 at every point, so the output layer receives "
        "almost the same 32 numbers wherever the point lies. Squares stop being flat before its "
        "accuracy leaves 50%. Then pick a ReLU run: a square that is dark all over is a dead unit.",
    ),
    why=(
        (
            "A softmax layer turns its inputs z into numbers S between 0 and 1 that add up to 1. "
            "How much output S_i moves when input z_j moves is",
            r"\frac{\partial S_i}{\partial z_j} = S_i\,(\delta_{ij} - S_j)",
        ),
        (
            "where δ_ij is 1 when i = j and 0 otherwise. No entry is ever larger than 1/4 in size. "
            "With 32 units sharing a total of 1 the S_i are small, and so are the entries; when one "
            "unit takes almost all of the total they are close to 0. Training sends the gradient "
            "backwards through this matrix at every softmax layer, so the first layer receives only "
            "a sliver of it. Sigmoid does the same through its slope:",
            r"\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) \le \tfrac{1}{4}",
        ),
        (
            "That explains the plateau. At the start the second softmax layer's 32 units sit near "
            "1/32 at every point, so the output layer sees almost the same inputs everywhere and can "
            "only give every point the same answer. The best single answer is 0.5 for each moon, "
            "and its squared error is",
            r"\bigl(\tfrac{1}{2} - 1\bigr)^2 + \bigl(\tfrac{1}{2} - 0\bigr)^2 = \tfrac{1}{2}",
        ),
        (
            "Only the sliver of gradient that gets through the softmax layers can pull those units "
            "apart. Once some of them differ from point to point, the output layer has something to "
            "tell the moons apart with, and the accuracy climbs, late.",
            "",
        ),
        (
            "ReLU lets the gradient through unchanged where its input is positive and blocks it where "
            "the input is negative. That is why it trains deep networks well, and also why a unit "
            "that is negative for every example stops learning:",
            r"\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z < 0 \end{cases}",
        ),
        (
            "The ReLU run with raw outputs answers the question's other half: with ReLU hidden "
            "layers, raw outputs and squared error learn the moons as well as a softmax with "
            f"cross-entropy. {HUI_BELKIN} What raw outputs give up is the meaning: nothing keeps "
            "them inside [0, 1] or makes them add up to 1, so they are scores, not probabilities. "
            "A softmax output always is one:",
            r"o_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
        ),
    ),
    try_next=(
        (
            "Softmax hidden layers with Adam (it rescales every weight's step, hiding small gradients)",
            _MOONS.replace(**_SOFTMAX_RAW, optimizer="adam", lr=0.01),
        ),
        ("Softmax hidden layers on the spiral", _MOONS.replace(**_SOFTMAX_RAW, dataset="spiral")),
        (
            "Softmax hidden layers, but a softmax output and cross-entropy",
            _MOONS.replace(hidden_activation="softmax", output_activation="softmax", loss="cross_entropy"),
        ),
    ),
    headline=("accuracy", "reach", "regions"),
    prediction=Prediction(
        "Which of the four networks will have the hardest time learning the two moons?",
        (
            "ReLU with raw outputs: without a softmax at the output, squared error cannot learn",
            "Softmax in the hidden layers: it sits at 50%, what guessing gives, for most of the run",
            "None: all four learn the moons about as fast",
        ),
        right=1,
    ),
)


# ---------------------------------------------------------------------------
# 2. When are raw outputs right? A regression beside a classification
# ---------------------------------------------------------------------------

# The sine wave's targets run from −1 to 1, so half of them lie below 0, where a sigmoid output can
# never go. Adam with its usual step, two ReLU layers: the raw run fits the curve within a few
# epochs, so what the sigmoid run misses is its output, not the training.
_SINE = RunConfig(
    dataset="sine",
    n_samples=1000,
    noise=0.1,
    hidden=(32, 32),
    hidden_activation="relu",
    output_activation="none",
    loss="mse",
    optimizer="adam",
    lr=0.01,
    batch_size=32,
    epochs=20,
    seed=0,
)
_MOONS_CLASSES = _SINE.replace(dataset="moons", output_activation="softmax", loss="cross_entropy")

RAW_OUTPUTS = Experiment(
    slug="raw-outputs",
    title="When are raw outputs right? A regression beside a classification",
    question=(
        "Softmax and sigmoid turn a network's outputs into numbers between 0 and 1. When should "
        "the outputs be left raw, as the last layer computes them, with no activation at all?"
    ),
    runs=(
        ("sine: raw outputs, squared error", _SINE),
        ("sine: sigmoid output, squared error", _SINE.replace(output_activation="sigmoid")),
        ("moons: softmax, cross-entropy", _MOONS_CLASSES),
    ),
    look_for=(
        "**Fit to the data**: the first two networks learn a *regression*: for each x they must "
        "answer a number, the height of the wavy curve the grey dots follow (y = sin x, plus a "
        "little noise). The line is each network's answer at every x. The raw line follows the "
        "dots over the hump above 0 and down through the dip below 0. The sigmoid line follows the "
        "hump, but where the dots dip below 0 it lies flat just above the dotted line at 0, its "
        "floor: it cannot go lower.",
        "**R² (1 is a perfect fit)**: a regression's score, since a number is never exactly right "
        "and there is no accuracy to count. 1 is a perfect fit; 0, the dotted line, is what "
        "answering the average target everywhere scores. The raw run climbs close to 1; the "
        "sigmoid run stops about halfway, however long it trains.",
        "**Outside [0, 1]**: count how often each sine network answers below 0. The raw run does "
        "for about half the test points, as the targets do; the sigmoid run never does.",
        "**Accuracy**: the third network learns a *classification*: for each point, which of the "
        "two moons it belongs to. Its answer is a class, so it has an accuracy, and it climbs near "
        "the top. The sine runs draw no line here: they have no classes to be right about.",
    ),
    why=(
        (
            "A regression asks for a number, and a number can be anything: −0.8, 0 or 1.3. So the "
            "output is left *raw*: the network's answer ŷ is the number z its last layer computes, "
            "with nothing after it. Squared error then measures how far ŷ is from the target y, "
            "and its slope pushes ŷ straight towards y, as far as it needs to go, up or down:",
            r"\hat y = z,\qquad L = (\hat y - y)^2,\qquad \frac{\partial L}{\partial \hat y} = 2\,(\hat y - y)",
        ),
        (
            "A sigmoid output squeezes z into a number between 0 and 1, whatever z is. That is "
            "what a probability needs, but a target of −0.8 is out of its reach: the closest it "
            "can get is just above 0. So on the half of the curve below 0 the sigmoid network "
            "answers about 0, and each of its errors there is about as large as the target itself:",
            r"\sigma(z) = \frac{1}{1 + e^{-z}} \in (0, 1)",
        ),
        (
            "R² compares a network's squared errors with the spread of the targets around their "
            "average ȳ. The sine's targets lie as much below 0 as above it, so the dip holds about "
            "half of their spread. The sigmoid misses that half and fits the other, which is why "
            "its R² stops about halfway:",
            r"R^2 = 1 - \frac{\sum_i (\hat y_i - y_i)^2}{\sum_i (y_i - \bar y)^2}",
        ),
        (
            "Squared error is the natural partner of a raw output, as cross-entropy is the partner "
            "of a softmax (see the *Why is there a log in the loss?* card). If the target is the "
            "answer plus noise that follows a bell curve (a normal distribution) of spread σ, the "
            "target's negative log-likelihood (minus the log of how likely the network's answer "
            "makes that target) is the squared error, scaled, plus a constant that does not depend "
            "on the network:",
            r"-\log p(y \mid \hat y) = \frac{(\hat y - y)^2}{2\sigma^2} + \log\bigl(\sigma\sqrt{2\pi}\bigr)",
        ),
        (
            "A classification asks for a class, one of a few answers. Its network has one output per "
            "class, and a softmax turns them into probabilities that add up to 1, which "
            "cross-entropy scores. Raw outputs can classify too (the *softmax in the hidden layers* "
            "card trains one with squared error), but their numbers are scores, not probabilities. "
            "So: raw outputs when the answer is a number, a softmax (or sigmoid) when it is a class "
            "or a probability.",
            r"o_k = \frac{e^{z_k}}{\sum_j e^{z_j}},\qquad \sum_k o_k = 1",
        ),
    ),
    try_next=(
        ("The surface z = sin x · cos y, raw outputs", _SINE.replace(dataset="surface")),
        (
            "The surface with a sigmoid output (look for the blue, below-0 parts of the fit)",
            _SINE.replace(dataset="surface", output_activation="sigmoid"),
        ),
        (
            "The sine with linear hidden layers (the whole network is one straight line)",
            _SINE.replace(hidden_activation="linear"),
        ),
    ),
    headline=("fit", "r2", "accuracy"),
    prediction=Prediction(
        "Both sine networks train with squared error. Which of them will follow the curve where "
        "it dips below 0?",
        (
            "Both: squared error pulls every answer towards its target",
            "Only the one with raw outputs: a sigmoid's answers cannot go below 0",
            "Only the one with a sigmoid: it keeps its answers in a safe range",
        ),
        right=1,
    ),
)


# ---------------------------------------------------------------------------
# 3. Why the log in the loss
# ---------------------------------------------------------------------------

# No hidden layer: this is logistic regression for four classes, the model the
# loss landscape panel draws in one dimension. Large random starting weights
# make many first answers confidently wrong, which is where the two losses
# differ; plain SGD makes the step as large as the gradient.
_BLOBS_LR = RunConfig(
    dataset="blobs",
    n_samples=1000,
    noise=0.1,
    hidden=(),
    output_activation="softmax",
    optimizer="sgd",
    lr=0.1,
    batch_size=32,
    epochs=20,
    init="normal",
    init_std=2.0,
    seed=0,
)

WHY_LOG = Experiment(
    slug="why-log",
    title="Why is there a log in the loss?",
    question=(
        "The softmax already gives a probability for each class. Why train with cross-entropy, "
        "which takes the log of the probability of the right class, instead of the squared "
        "difference between the probabilities and the targets?"
    ),
    runs=(
        ("softmax + cross-entropy", _BLOBS_LR.replace(loss="cross_entropy")),
        ("softmax + squared error", _BLOBS_LR.replace(loss="mse")),
        ("raw outputs + cross-entropy", _BLOBS_LR.replace(loss="cross_entropy", output_activation="none")),
    ),
    look_for=(
        "**Accuracy**: the runs start from exactly the same weights and see the examples in the same "
        "order. The first two differ only in the loss: count the steps each line needs to reach "
        "the top. The third differs from the first only in having no softmax: it draws no line, "
        "because it stopped at its first record. Its status line, in red, says why.",
        "**Gradient flow**: the size of the output layer's gradient. While the answers are "
        "confidently wrong, compare how hard the first two losses push.",
        "**Who gets pushed**: each dot is one test point (one the network never trains on). The "
        "further left, the smaller the probability the network gives the right class: the far "
        "left holds the confidently wrong answers. The height is how hard the loss pushes the "
        "right class's score z (its number before the softmax) up. While the runs train, compare "
        "the first two colours on the far left; by the end most dots have moved to the right, where "
        "both losses push gently.",
        "**Decision regions**: how the borders between the four blobs move into place.",
    ),
    why=(
        (
            "Where the log comes from: cross-entropy is the *negative log-likelihood* of the labels. "
            "The network gives example i's right class y_i the probability o_{i,y_i}; the chance it "
            "gives all n labels at once is the product of these. Training makes that chance as "
            "large as it can, and the log turns the product into a sum with one term per example, "
            "which a batch can estimate by its mean (a product of hundreds of numbers below 1 "
            "would round to 0 in the computer):",
            r"-\log \prod_{i=1}^{n} o_{i,y_i} \;=\; \sum_{i=1}^{n} -\log o_{i,y_i}"
            r" \;=\; \sum_{i=1}^{n} L_{\mathrm{CE}}(i)",
        ),
        (
            "The first two runs start from large random weights, so many first answers are "
            "confidently wrong: close to 0 for the right class. Call z the numbers before the "
            "softmax, o the outputs and t the target (1 for the right class, 0 for the others). "
            "With cross-entropy the log undoes the exponential inside the softmax, and the "
            "gradient is just the error:",
            r"\begin{gathered}L = -\sum_k t_k \log o_k\\ \frac{\partial L}{\partial z_k} = o_k - t_k\end{gathered}",
        ),
        (
            "Squared error keeps the slope of the squashing function as an extra factor. It is "
            "easiest to see for one sigmoid output o = σ(z):",
            r"\frac{\partial (o - t)^2}{\partial z} = 2\,(o - t)\;o\,(1 - o)",
        ),
        (
            "The factor o(1 − o) is close to 0 whenever o is close to 0 or 1, including when it is "
            "close to the wrong one. So a confidently wrong answer gets a strong push from "
            "cross-entropy and almost none from squared error.",
            "",
        ),
        (
            "With a softmax the slope is the matrix o_i(δ_ij − o_j) (δ_ij is 1 when i = j, else 0), "
            "and it is just as small when one output takes almost all of the total, right or wrong:",
            r"\frac{\partial}{\partial z_j} \sum_i (o_i - t_i)^2 = \sum_i 2\,(o_i - t_i)\;o_i\,(\delta_{ij} - o_j)",
        ),
        (
            "The same shows in the shape of the loss. For a sigmoid of z = wx + b, cross-entropy is "
            "convex in w and b together, not only along w: its matrix of second derivatives (the "
            "Hessian) is the sigmoid's slope times a matrix that never bends downward in any "
            "direction (⪰ 0), so any point where the slope is 0 is a lowest point:",
            r"\nabla^2_{(w,\,b)}\, L_{\mathrm{CE}} = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)"
            r"\begin{pmatrix} x^2 & x \\ x & 1 \end{pmatrix} \succeq 0",
        ),
        (
            "This card's own model, softmax with cross-entropy and no hidden layer (softmax "
            "regression), is convex in all its weights too: for an input x̃ = (x, 1) its Hessian is "
            "(diag(o) − ooᵀ) ⊗ x̃x̃ᵀ ⪰ 0. Squared error of a sigmoid is not convex: it has flat "
            "plateaus where the gradient is almost 0 although the loss is high. The loss landscape "
            "panel below draws both.",
            "",
        ),
        (
            "The log also needs what it is given to be a probability: log o exists only for o > 0. "
            "The third run takes the log of raw outputs, and at its very first step some of them are "
            '0 or negative: the loss becomes NaN ("not a number"). A NaN loss no longer tells better '
            "weights from worse, so the run stops at its first record, and its status line says why: "
            '"diverged. The loss became NaN '
            'at step 1: cross-entropy takes log(output), and … outputs were ≤ 0." Even positive raw '
            "outputs would not do: −log o keeps falling as o grows, so the right class's output "
            "would be pushed up forever. The softmax keeps every output above 0 and the total at 1:",
            r"o_k = \frac{e^{z_k}}{\sum_j e^{z_j}} > 0,\quad \sum_k o_k = 1",
        ),
    ),
    try_next=(
        (
            "Squared error from small starting weights (the default)",
            _BLOBS_LR.replace(loss="mse", init="default"),
        ),
        (
            "Sigmoid outputs with binary cross-entropy (its log cancels the sigmoid's slope too)",
            _BLOBS_LR.replace(output_activation="sigmoid", loss="binary_cross_entropy"),
        ),
        (
            "Squared error with two hidden layers, on three spiral arms",
            _BLOBS_LR.replace(
                dataset="spiral3", hidden=(32, 32), loss="mse", init="default", optimizer="adam", lr=0.01
            ),
        ),
    ),
    extra="loss_landscape",
    headline=("pushes", "accuracy"),
    prediction=Prediction(
        "The first two runs differ only in the loss. Which will reach 90% accuracy in fewer steps?",
        (
            "softmax + cross-entropy, in far fewer steps",
            "softmax + squared error, in far fewer steps",
            "Both in about as many steps",
        ),
        right=0,
    ),
)


# ---------------------------------------------------------------------------
# 4. Same gradient? Four output recipes on MNIST
# ---------------------------------------------------------------------------

_MNIST = RunConfig(
    dataset="mnist",
    train_size=10000,
    hidden=(128,),
    hidden_activation="relu",
    optimizer="sgd",
    lr=0.1,
    batch_size=32,
    epochs=3,
    seed=0,
)

MNIST_GRADIENT = Experiment(
    slug="mnist-gradient",
    title="Same gradient? Softmax + cross-entropy, sigmoid + squared error and their matched pairs on MNIST",
    question=(
        "People say that softmax with cross-entropy and sigmoid with squared error both give the "
        "gradient 'target minus output' at the last layer. If so, what does the first recipe gain?"
    ),
    runs=(
        ("softmax + cross-entropy", _MNIST.replace(output_activation="softmax", loss="cross_entropy")),
        (
            "sigmoid + binary cross-entropy",
            _MNIST.replace(output_activation="sigmoid", loss="binary_cross_entropy"),
        ),
        ("raw outputs + squared error", _MNIST.replace(output_activation="none", loss="mse")),
        ("sigmoid + squared error", _MNIST.replace(output_activation="sigmoid", loss="mse")),
    ),
    look_for=(
        "**Accuracy**: same network, same starting weights, same images in the same order; only the "
        "output recipe differs. The three recipes whose gradient is the plain error (o − t, or "
        "twice it) climb fastest and end close together; sigmoid + squared error starts slowest "
        "and is still behind at the end.",
        "**Who gets pushed**: each dot is one test digit, placed left to right by the output the "
        "network gives the right digit (far left: confidently wrong) and bottom to top by how hard "
        "the loss pushes that digit's score z (its number before the activation) up. At the first "
        "picture, on the far left, the two o − t recipes push with almost the whole error (near 1) "
        "and sigmoid + squared error's dots lie low. Raw outputs are not probabilities: that run's "
        "outputs below 0 or above 1 are drawn at the edge, and its push is twice the error.",
        "**Outside [0, 1]**: softmax and sigmoid keep every output between 0 and 1; raw outputs do "
        "not: count how many of that run's outputs leave it.",
        "**Gradient flow**: the gradient that reaches each layer. The output layer's push is what "
        "the recipes compute differently.",
        "**Test digits**: the digits each network gets wrong, and how sure it was.",
    ),
    why=(
        (
            "Call z the output layer's numbers before the activation, o the outputs and t the target "
            "(1 for the right digit, 0 for the nine others). Every recipe's gradient at z comes from "
            "one line of the chain rule: the loss's slope in each output times that output's slope "
            "in z (with a sigmoid or raw outputs, o_k depends on z_k alone, so only k = j counts):",
            r"\frac{\partial L}{\partial z_j} = \sum_k \frac{\partial L}{\partial o_k}\cdot\frac{\partial o_k}{\partial z_j}",
        ),
        (
            "Softmax + cross-entropy: the log's 1/o cancels the softmax's slope, and what is left is "
            "exactly the error. Sigmoid + binary cross-entropy does the same for each output on its "
            "own: its slope in o is (o − t)/(o(1 − o)), and the sigmoid's slope o(1 − o) cancels the "
            "denominator. The same formula, each with its own o:",
            r"\begin{gathered}\text{softmax + CE, sigmoid + BCE:}\\ \frac{\partial L}{\partial z_k} = o_k - t_k"
            r"\end{gathered}",
        ),
        (
            "Raw outputs + squared error: there is no activation, o = z, so there is no slope to "
            "cancel, and the gradient is twice the error:",
            r"\text{raw outputs + squared error:}\quad \frac{\partial L}{\partial z_k} = 2\,(o_k - t_k)",
        ),
        (
            "Sigmoid + squared error: the loss's slope in o is 2(o − t), which cancels nothing, so "
            "the sigmoid's slope stays in as an extra factor:",
            r"\text{sigmoid + squared error:}\quad \frac{\partial L}{\partial z_k} = 2\,(o_k - t_k)\;o_k\,(1 - o_k)",
        ),
        (
            "That slope is never more than 1/4 and is nearly 0 when o is near 0 or 1. So when the "
            "network is confidently wrong, say o = 0.01 for the right digit, the two o − t recipes "
            "push with almost the whole error (0.99) and sigmoid + squared error about 50 times "
            "less (2 × 0.99 × 0.01 × 0.99 ≈ 0.02).",
            r"\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) \le \tfrac{1}{4}",
        ),
        (
            "'t − o' and 'o − t' are the same thing seen from two sides. o − t is the gradient: the "
            "direction in which the loss grows. A training step goes against it. For one example, "
            "the weight w_jk from the output layer's input a_j to output k moves by the learning "
            "rate η times (t_k − o_k)·a_j, which moves z_k the way that brings o_k towards t_k:",
            r"\begin{aligned}w_{jk} &\;\leftarrow\; w_{jk} - \eta\,(o_k - t_k)\,a_j\\ &\;=\; w_{jk} + \eta\,(t_k - o_k)\,a_j"
            r"\end{aligned}",
        ),
        (
            "So what does the first recipe gain? Not its formula: sigmoid + binary cross-entropy "
            "shares it exactly, and raw outputs + squared error up to the 2. What differs is what o "
            "is, and which factor the loss cancels. A softmax gives ten probabilities that add up "
            "to 1; sigmoids give ten separate yes-or-no probabilities; raw outputs are any numbers, "
            "so their error has no bound, and squared error also pushes down a right answer that "
            "overshoots 1. Sigmoid + squared error keeps the slope the log would have cancelled, so "
            f"it learns least from the digits it is most wrong about. {HUI_BELKIN} The gradient "
            "check panel computes all four gradients with automatic differentiation on a real "
            "batch and compares them with these formulas.",
            "",
        ),
    ),
    try_next=(
        ("Softmax outputs with squared error", _MNIST.replace(output_activation="softmax", loss="mse")),
        (
            "Sigmoid + squared error with momentum",
            _MNIST.replace(output_activation="sigmoid", loss="mse", optimizer="momentum", lr=0.05),
        ),
        (
            "Raw outputs with cross-entropy (the log of a raw number: watch it fail)",
            _MNIST.replace(output_activation="none", loss="cross_entropy"),
        ),
    ),
    extra="gradient_check",
    headline=("accuracy", "pushes", "output_gradient"),
    prediction=Prediction(
        "Same network, same start, same images: which output recipe will fall behind?",
        (
            "Raw outputs + squared error: without a softmax or a sigmoid it lags",
            "Sigmoid + squared error: it starts slowest and is still behind at the end",
            "None: all four climb together",
        ),
        right=1,
    ),
)


# ---------------------------------------------------------------------------
# 5. Vanishing gradients with depth
# ---------------------------------------------------------------------------

# Plain momentum SGD again: the gradient a layer receives is the step it takes.
_DEEP = _MOONS.replace(hidden=(DEPTH_WIDTH,) * 6, output_activation="softmax", loss="cross_entropy")

VANISHING_DEPTH = Experiment(
    slug="vanishing-depth",
    title="Vanishing gradients: what depth does to sigmoid and ReLU",
    question=(
        "What happens to the gradient on its way back through many sigmoid layers? Does ReLU, "
        "whose slope is 1, escape it, and what do the starting weights have to do with it?"
    ),
    runs=(
        ("sigmoid, default start", _DEEP.replace(hidden_activation="sigmoid")),
        ("ReLU, default start", _DEEP.replace(hidden_activation="relu")),
        ("ReLU, He start", _DEEP.replace(hidden_activation="relu", init="he")),
    ),
    look_for=(
        "**Gradient flow**: read each run's panel from the output layer back to the first hidden "
        "layer. The axis is logarithmic, so equal gaps are equal factors, not equal differences.",
        "**How much reaches the first layer**: the first hidden layer's gradient divided by the "
        "output layer's, on a log scale (from 1 to 0.1 to 0.01, each step down is ten times "
        "weaker). The sigmoid line lies many steps below the dotted line at 1 for the whole run. "
        "The ReLU line from PyTorch's default start begins far below 1 too, and climbs to about 1 "
        "as training goes on; at the card's six hidden layers the He start's line begins several "
        "times higher. Move the depth slider: beyond two hidden layers every sigmoid layer you add pushes its line further "
        "down, and the deeper the network, the lower the default-start ReLU line begins.",
        "**Accuracy**: a layer whose gradient is almost 0 barely changes. On two classes, 50% is "
        "what guessing gives. The He start climbs at once; from the default start the ReLU network "
        "sits at 50% for its first records, until its line on *How much reaches the first layer* "
        "climbs; the sigmoid network stays near 50%. At 8 hidden layers the He run blows up with "
        "steps this large: it diverges, and its status line says so (smaller steps fix it: try "
        "next).",
        "**Weak, off and dead units**: a sigmoid value is *weak* when its slope is under a quarter "
        "of sigmoid's largest slope (1/4), so under 1/16. Few or none of these sigmoid values are: the gradient vanishes "
        "although the units are not saturated, because even sigmoid's best slope, 1/4, shrinks it "
        "at every layer. ReLU values are *off* where the input is below 0, slope 0; a unit off for "
        "every test example is *dead*, and both ReLU runs have some.",
    ),
    why=(
        (
            "Training sends the gradient backwards one layer at a time. At each layer it is "
            "multiplied by the weights and by the slope of the activation. Sigmoid's slope is at "
            "most 1/4:",
            r"\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) \le \tfrac{1}{4}",
        ),
        (
            "Call δ the gradient with respect to a layer's numbers before the activation, and ‖W‖ the "
            "most a weight matrix can stretch a vector. Through n sigmoid layers the factors "
            "multiply:",
            r"\|\delta_1\| \;\le\; \left(\tfrac{1}{4}\right)^{n}\,\|W_2\|\,\|W_3\|\cdots\|W_{n+1}\|\;\|\delta_{\mathrm{out}}\|",
        ),
        (
            "With the usual small starting weights each factor ‖W‖/4 is well below 1, even at "
            "sigmoid's best slope, so every extra layer divides the first layer's gradient again: "
            "it falls by orders of magnitude, and the first layers hardly learn. No unit needs to "
            "be saturated for this.",
            "",
        ),
        (
            "ReLU's slope is exactly 1 wherever a unit is active, so its slopes do not shrink the "
            "gradient. The weights still can. On average, with n inputs per unit, starting weights "
            "of variance σ² and about half the units active, each layer multiplies the gradient's "
            "squared size by nσ²/2:",
            r"\mathbb{E}\,\|\delta_{l}\|^2 \;\approx\; \frac{n\,\sigma^2}{2}\;\mathbb{E}\,\|\delta_{l+1}\|^2",
        ),
        (
            "He initialisation draws the weights with σ² = 2/n, which makes that factor 1: the "
            "gradient keeps its size through any number of ReLU layers. PyTorch's default draws "
            "each weight evenly between −1/√n and 1/√n, so σ² = 1/(3n) and the factor is 1/6: every "
            "layer divides the squared size by about 6. That is why the default-start ReLU line "
            "begins far below 1 and the He line does not. As training changes the weights, the "
            "default-start line climbs.",
            # Two lines: on one, the formula ran past the Why column at 1400 px.
            r"\begin{aligned}\text{He: } \sigma^2 = \frac{2}{n} &\;\Rightarrow\; \frac{n\sigma^2}{2} = 1\\"
            r"\text{default: } \sigma^2 = \frac{1}{3n} &\;\Rightarrow\; \frac{n\sigma^2}{2} = \frac{1}{6}"
            r"\end{aligned}",
        ),
        (
            "ReLU's own risk is a slope of 0 for every example: a dead unit (see the dying-ReLU experiment).",
            r"\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z < 0 \end{cases}",
        ),
    ),
    try_next=(
        (
            "Deep sigmoid network with Adam (it rescales tiny gradients into usable steps)",
            _DEEP.replace(hidden_activation="sigmoid", optimizer="adam", lr=0.01),
        ),
        (
            "Deep sigmoid network with Xavier initialisation (scaled for sigmoid and tanh)",
            _DEEP.replace(hidden_activation="sigmoid", init="xavier"),
        ),
        (
            "Eight ReLU layers from the He start, with smaller steps (lr 0.03)",
            _DEEP.replace(hidden_activation="relu", init="he", hidden=(DEPTH_WIDTH,) * 8, lr=0.03),
        ),
        ("Deep tanh network (slope up to 1, but it saturates too)", _DEEP.replace(hidden_activation="tanh")),
    ),
    extra="depth",
    headline=("reach", "gradient_flow", "accuracy"),
    depths=tuple(range(1, MAX_LAYERS + 1)),
    prediction=Prediction(
        "With six hidden layers each, which network will still be near 50% (guessing) at the end?",
        (
            "Only the sigmoid network",
            "The sigmoid network and the ReLU network from the default start",
            "None: all three learn the moons",
        ),
        right=0,
    ),
)


# ---------------------------------------------------------------------------
# 6. Dying ReLU
# ---------------------------------------------------------------------------

# Adam's step is about lr for every weight, so lr sets the step size directly:
# 0.03 is three times the usual 0.01, enough to push many units below 0 for good.
_SPIRAL3 = RunConfig(
    dataset="spiral3",
    n_samples=1000,
    noise=0.1,
    hidden=(32, 32),
    output_activation="softmax",
    loss="cross_entropy",
    optimizer="adam",
    batch_size=32,
    epochs=20,
    seed=0,
)
LARGE_LR = 0.03
NORMAL_LR = 0.01

DYING_RELU = Experiment(
    slug="dying-relu",
    title="Dying ReLU: units that stop learning",
    question=(
        "ReLU outputs 0 for every negative input. What happens to a unit whose input becomes "
        "negative for every example, and how does leaky ReLU help?"
    ),
    runs=(
        ("ReLU, large steps (lr 0.03)", _SPIRAL3.replace(hidden_activation="relu", lr=LARGE_LR)),
        ("leaky ReLU, large steps (lr 0.03)", _SPIRAL3.replace(hidden_activation="leaky_relu", lr=LARGE_LR)),
        ("ReLU, normal steps (lr 0.01)", _SPIRAL3.replace(hidden_activation="relu", lr=NORMAL_LR)),
    ),
    look_for=(
        "**Weak, off and dead units**: a ReLU value is *off* where the unit's input is below 0 "
        "(output 0, slope 0); a unit that is off for every test example is *dead*. Watch the share "
        "of dead units over time: a dead unit gets no gradient from any of those examples, so it "
        "rarely comes back. Leaky ReLU units never output exactly 0, so none of them count as "
        "off or dead; their negative side, slope 0.01, counts as *weak* instead (a slope under a "
        "quarter of the largest): small, but not 0.",
        "**Accuracy**: a network with many dead units has fewer units left to do the work. Compare "
        "the three lines.",
        "**Decision regions**: the shapes each network manages to draw around the three arms.",
        "**Hidden units**: each small square is one *unit* of a hidden layer, showing its output over "
        "the same plane as the decision regions: dark where it outputs 0, brighter where it outputs "
        "more. Pick the large-steps ReLU run: a square that is dark all over (titled *dead*) is a "
        "unit that outputs 0 wherever the input lies. Then pick the normal-steps run (fewer such "
        "squares) and the leaky ReLU run (none: its units never output exactly 0).",
    ),
    why=(
        (
            "ReLU keeps positive numbers and replaces negative ones by 0, so its slope is 1 or 0:",
            r"\mathrm{ReLU}(z) = \max(0, z),\quad \mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z < 0 \end{cases}",
        ),
        (
            "A weight w feeding a unit is updated in proportion to that slope (x is the input the "
            "weight multiplies, a the unit's output). If a large step pushes the unit's input z "
            "below 0 for every example, its weights get no update from then on, and unless the "
            "layers before it move its input back above 0, the unit stays at 0: it is dead.",
            r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial a}\cdot \mathrm{ReLU}'(z)\cdot x = 0 \quad \text{when } z < 0",
        ),
        (
            "Leaky ReLU keeps a small slope on the negative side, so a unit that fell below 0 still "
            "gets a small gradient and can climb back:",
            r"\mathrm{LeakyReLU}(z) = \max(0.01\,z,\; z)",
        ),
        (
            "The other fix is the third run: smaller steps, and fewer units end up dead.",
            "",
        ),
    ),
    try_next=(
        ("ReLU with even larger steps (lr 0.1)", _SPIRAL3.replace(hidden_activation="relu", lr=0.1)),
        (
            "ELU, large steps (smooth on the negative side)",
            _SPIRAL3.replace(hidden_activation="elu", lr=LARGE_LR),
        ),
        (
            "ReLU, large steps, twice as many units per layer",
            _SPIRAL3.replace(hidden_activation="relu", lr=LARGE_LR, hidden=(64, 64)),
        ),
    ),
    headline=("units", "accuracy", "hidden_units"),
    prediction=Prediction(
        "Which run will end with the most dead units, ones that output 0 for every test example?",
        (
            "Leaky ReLU with large steps (lr 0.03)",
            "ReLU with normal steps (lr 0.01)",
            "ReLU with large steps (lr 0.03)",
        ),
        right=2,
    ),
)


# ---------------------------------------------------------------------------
# 7. When does the log matter? A gentle start against a confidently wrong one
# ---------------------------------------------------------------------------

# No hidden layer: softmax regression, the 784 pixels straight into the 10 output units, so the
# output weights are all the weights: the gradient at the output is the whole story.
# The two starts are the same random draw (same seed) at two scales: std 0.01 makes every first
# answer close to 1/10 for each digit; std 1.0, 100 times larger, spreads the scores before the
# softmax over about ±10 (a digit's pixels have length about 9), so most first answers put almost
# all the probability on one digit, usually a wrong one. Plain SGD, so a gradient's size is its
# step's size. 8,000 images for 5 epochs: 1,250 steps, about a second per run on one core; the
# tests train on 8,000 real digits too.
_DIGITS_LR = RunConfig(
    dataset="mnist",
    train_size=8000,
    hidden=(),
    output_activation="softmax",
    optimizer="sgd",
    lr=0.3,
    batch_size=32,
    epochs=5,
    init="normal",
    seed=0,
)
GENTLE_STD = 0.01
CONFIDENT_STD = 1.0

CONFIDENT_WRONG = Experiment(
    slug="confident-wrong",
    title="When does the log matter? A gentle start against a confidently wrong one",
    question=(
        "Squared error on the softmax probabilities also pulls the right digit's probability up, "
        "and people do train classifiers with squared error. So does the log in cross-entropy "
        "always make a difference, or only in some situations?"
    ),
    runs=(
        ("cross-entropy, gentle start", _DIGITS_LR.replace(loss="cross_entropy", init_std=GENTLE_STD)),
        ("squared error, gentle start", _DIGITS_LR.replace(loss="mse", init_std=GENTLE_STD)),
        ("cross-entropy, confident start", _DIGITS_LR.replace(loss="cross_entropy", init_std=CONFIDENT_STD)),
        ("squared error, confident start", _DIGITS_LR.replace(loss="mse", init_std=CONFIDENT_STD)),
    ),
    look_for=(
        "**Accuracy**: all four runs are the same network (no hidden layer: the pixels go straight "
        "into the ten outputs) and see the same images in the same order. The gentle start has small "
        "weights, so every first answer is close to 1/10 for each digit; the confident start has the "
        "same weights made 100 times larger, so most first answers are confidently wrong. Compare "
        "the two gentle lines first: they end close together. Then the two confident lines: "
        "cross-entropy climbs back to not far below the gentle runs, while squared error creeps up "
        "slowly and ends far behind.",
        "**Who gets pushed**: each dot is one test digit (one the network never trains on), placed "
        "left to right by the probability the network gives the right digit (the shaded far left: "
        "confidently wrong) and bottom to top by how hard the loss pushes that digit's score z (its "
        "number before the softmax) up. Early in training, compare the two confident runs on the "
        "far left: cross-entropy's dots sit near the top, most of squared error's lie near the "
        "bottom. Squared error barely learns from the digits it is most wrong about.",
        "**Gradient flow**: the size of the output layer's gradient, the only layer here. While "
        "many answers are confidently wrong, compare the two confident runs.",
    ),
    why=(
        (
            "Call z the ten scores before the softmax, o the ten probabilities it gives, t the "
            "target (1 for the right digit y, 0 for the nine others) and p = o_y the probability "
            "of the right digit. With cross-entropy the gradient in the right digit's score is the "
            "error, p − 1: negative, because raising z_y lowers the loss. A training step goes "
            "against the gradient, so it raises z_y with a push of 1 − p, strongest when p is "
            "close to 0:",
            r"L_{\mathrm{CE}} = -\log p,\quad \frac{\partial L_{\mathrm{CE}}}{\partial z_y} = p - 1",
        ),
        (
            "With squared error the gradient in the same score works out to −2p times the loss "
            "itself, so its push is 2p times the loss. The factor p comes from the softmax: when z_y "
            "moves, each probability o_k moves by o_k(δ_ky − p) (δ_ky is 1 for k = y, else 0), and "
            "every one of these slopes contains p.",
            r"L_{\mathrm{SE}} = \sum_k (o_k - t_k)^2,\quad \frac{\partial L_{\mathrm{SE}}}{\partial z_y} = -2\,p \sum_k (o_k - t_k)^2",
        ),
        (
            "The sum is at least (1 − p)², from the right digit alone, and at most twice that, so the "
            "size of the push lies between two curves that both fall to 0 as p falls to 0:",
            r"2\,p\,(1-p)^2 \;\le\; \left|\frac{\partial L_{\mathrm{SE}}}{\partial z_y}\right| \;\le\; 4\,p\,(1-p)^2",
        ),
        (
            "From the gentle start every p is near 1/10, far from 0, so both losses push every digit "
            "and they end close together: squared error on classification is not hopeless. (The "
            "published case for it, Hui and Belkin 2021, is squared error on raw outputs, with no "
            "softmax, so no factor p: see the softmax-hidden and mnist-gradient experiments.) Large "
            "weights make the scores far apart, and the softmax then puts almost all the probability "
            "on the largest score, for most digits a wrong one: p is close to 0. There cross-entropy "
            "pushes with almost the whole error and squared error with almost nothing.",
            "",
        ),
        (
            "The log is what removes the factor p. The softmax computes p from exponentials of the "
            "scores, and the log undoes the exponential, leaving a loss that falls steadily as z_y "
            "rises, however small p is:",
            r"\begin{gathered}p = \frac{e^{z_y}}{\sum_k e^{z_k}}\\ -\log p = \log \sum_k e^{z_k} \;-\; z_y\end{gathered}",
        ),
    ),
    try_next=(
        (
            "Squared error from the confident start with Adam (it rescales small gradients into usable steps)",
            _DIGITS_LR.replace(loss="mse", init_std=CONFIDENT_STD, optimizer="adam", lr=0.01),
        ),
        (
            "Squared error from the confident start, trained four times longer",
            _DIGITS_LR.replace(loss="mse", init_std=CONFIDENT_STD, epochs=20),
        ),
        (
            "Squared error with a hidden layer of 128 ReLU units, from PyTorch's default start",
            _DIGITS_LR.replace(loss="mse", hidden=(128,), hidden_activation="relu", init="default"),
        ),
    ),
    headline=("accuracy", "pushes"),
    prediction=Prediction(
        "Cross-entropy against squared error, from two starts: where will squared error end far behind?",
        (
            "Only from the gentle start",
            "Only from the confident start",
            "From both starts",
        ),
        right=1,
    ),
)


EXPERIMENTS: dict[str, Experiment] = {
    e.slug: e
    for e in (
        SOFTMAX_HIDDEN,
        RAW_OUTPUTS,
        WHY_LOG,
        MNIST_GRADIENT,
        CONFIDENT_WRONG,
        VANISHING_DEPTH,
        DYING_RELU,
    )
}  # in this order on the page's selector


def experiment_for(slug: object) -> Experiment | None:
    """The experiment a slug (from a URL, a button) names, or None. Never raises.

    Forgiving about case and surrounding spaces, since slugs are typed and pasted by people.
    """
    if isinstance(slug, (list, tuple)):
        slug = slug[-1] if slug else None
    if not isinstance(slug, str):
        return None
    return EXPERIMENTS.get(slug.strip().lower())
