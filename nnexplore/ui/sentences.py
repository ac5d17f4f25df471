"""The learner's own numbers as one sentence under a chart: records or views in, words out.

A beginner reads "the first layer gets about 1/40 of the output layer's
gradient" faster than a log axis, and trusts it more when it is about their own
runs. So every sentence here is computed from the runs on the page, never
written in advance, and its numbers are in a beginner's units: simple fractions
("about 1/40", "about half"), "times as big", percentages, two significant
digits. A run with nothing to say yet (queued, no gradient, no picture) is left
out of the sentence; with one run, the sentence has one clause; with none, it
is "" and nothing is shown.

Pure functions: no streamlit (unit-tested on hand-made records).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from nnexplore.ui.charts.frames import Runs, finite, first_layer_reach
from nnexplore.ui.charts.pushes import CONFIDENTLY_WRONG
from nnexplore.ui.safe_text import plain_text

#: Below a millionth, "about 1/3,000,000" stops meaning anything to a beginner: words instead.
TINY_SHARE = 1e-6


def _name(label: str) -> str:
    """A run's name in italics, as plain text (a label may hold markdown characters)."""
    return f"*{plain_text(label)}*"


def _two_digits(x: float) -> str:
    """x to two significant digits, with thousands separators, no exponent and no trailing zero:
    47, 830, 1,200, 2.5, 0.93, 0.08."""
    if x <= 0:
        return "0"
    digits = 1 - math.floor(math.log10(x))
    text = f"{round(x, digits):,.{max(0, digits)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _one_in(ratio: float) -> str:
    """ "1/n" for a share below 1: n a whole number below 20 (1/3, not 1/2.6), else two digits."""
    n = 1 / ratio
    return f"1/{round(n)}" if n < 20 else f"1/{_two_digits(n)}"


def share_words(ratio: float) -> tuple[str, str] | None:
    """A ratio in a beginner's words, and the word that links it to what it is a share of.

    ``("about 1/40", "of")``, ``("about half", "of")``, ``("about 70%", "of")``, ``("about the
    same size", "as")``, ``("about 3 times as big", "as")``, ``("zero", "")``. Below 0.4 a
    fraction 1/n (n to two significant digits), because gradients that fade do so by factors
    (1/40, 1/800) and "2.5%" hides that; from 0.6 to 0.85 a percentage to the nearest 10.
    None when the ratio is missing, negative or not finite.
    """
    if not math.isfinite(ratio) or ratio < 0:
        return None
    if ratio == 0:
        return "zero", ""
    if ratio < TINY_SHARE:
        return "less than a millionth", "of"
    if ratio < 0.4:
        return f"about {_one_in(ratio)}", "of"
    if ratio < 0.6:
        return "about half", "of"
    if ratio < 0.85:
        return f"about {round(ratio * 10) * 10}%", "of"
    if ratio < 1.15:
        return "about the same size", "as"
    return f"about {_two_digits(ratio)} times as big", "as"


def latest_reach(records: Sequence[dict]) -> float:
    """The first layer's gradient over the output layer's at the newest record that has it (NaN: none)."""
    for record in reversed(records):
        norms = record.get("grad_norm") or []
        if len(norms) >= 2:
            ratio = first_layer_reach(norms)
            if math.isfinite(ratio):
                return ratio
    return math.nan


def reach_sentence(runs: Runs) -> str:
    """Under "How much reaches the first layer": each run's share at its newest record, in words.

    "In *A*, the first layer's gradient is now about 1/40 of the output layer's; in *B*, about
    half." Runs without a hidden layer or without a finite ratio yet are left out.
    """
    clauses = []
    for label, records in runs:
        words = share_words(latest_reach(records))
        if words is None:
            continue
        amount, link = words
        if not clauses:
            tail = f" {link} the output layer's" if link else ""
            clauses.append(f"In {_name(label)}, the first layer's gradient is now {amount}{tail}")
        else:
            clauses.append(f"in {_name(label)}, {amount}")
    return "; ".join(clauses) + "." if clauses else ""


def percent_words(share: float) -> str:
    """A share as a whole percentage ("45%"), "under 1%" for a little above 0 and "over 99%" for a
    little below 1, so that "0%" and "100%" mean exactly none and all."""
    if share <= 0 or share >= 1:
        return f"{round(share * 100)}%"
    if share < 0.01:
        return "under 1%"
    return "over 99%" if share > 0.99 else f"{round(share * 100)}%"


def _layer_mean(values: Sequence[float] | None) -> float | None:
    """The mean of a per-layer list of shares (each layer weighs the same); None if empty or not finite."""
    numbers = [finite(v) for v in values or []]
    if not numbers or not all(math.isfinite(v) for v in numbers):
        return None
    return sum(numbers) / len(numbers)


def units_sentence(runs: Runs) -> str:
    """Under "Weak, off and dead units": each run's shares at its newest record, averaged over its
    hidden layers, in the kinds its activation can have.

    "Now, averaged over the hidden layers: *softmax* 95% of unit values weak; *ReLU* 45% of unit
    values off, 8% of units dead." Weak and off are shares of the (example, unit) values, dead a
    share of the units. Runs without a hidden layer or without a record yet are left out.
    """
    clauses = []
    for label, records in runs:
        last = next((r for r in reversed(records) if r.get("dead_frac")), None)
        if last is None:
            continue
        weak, off, dead = (_layer_mean(last.get(f)) for f in ("weak_frac", "off_frac", "dead_frac"))
        parts = [
            f"{percent_words(v)} of unit values {kind}"
            for kind, v in (("weak", weak), ("off", off))
            if v is not None
        ]
        if dead is not None:
            parts.append(f"{percent_words(dead)} of units dead")
        clauses.append(f"{_name(label)} {', '.join(parts)}")
    return "Now, averaged over the hidden layers: " + "; ".join(clauses) + "." if clauses else ""


def push_words(push: float) -> str:
    """A push to two significant digits ("0.93", "0.08", "1.2"); "under 0.01" below that, where the
    digits would only say "almost none"."""
    if push == 0:
        return "0"
    return "under 0.01" if push < 0.01 else _two_digits(push)


def pushes_sentence(df: pd.DataFrame, labels: Sequence[str]) -> str:
    """Under "Who gets pushed": each run's average push on its confidently wrong test examples.

    ``df``: the chart's input (columns run, p_right, push), ``labels``: the runs in page order.
    "Confidently wrong test examples (the right class gets under 20%): *CE* pushes them 0.93 on
    average, *MSE* 0.08." A run with such examples is a clause; a run that has none right now is
    named after them ("*C* has none"); a run with no finite dots is left out.
    """
    if df.empty:
        return ""
    data = df.assign(p_right=df["p_right"].map(finite), push=df["push"].map(finite)).dropna(
        subset=["p_right", "push"]
    )
    pushed, without = [], []
    for label in labels:
        mine = data[data["run"].astype(str) == str(label)]
        if mine.empty:
            continue
        wrong = mine[mine["p_right"] < CONFIDENTLY_WRONG]
        if wrong.empty:
            without.append(_name(label))
        elif not pushed:
            pushed.append(f"{_name(label)} pushes them {push_words(float(wrong['push'].mean()))} on average")
        else:
            pushed.append(f"{_name(label)} {push_words(float(wrong['push'].mean()))}")
    threshold = f"{CONFIDENTLY_WRONG:.0%}"
    if not pushed and not without:
        return ""
    if not pushed:
        who = " or ".join(without)
        return f"No test example is confidently wrong (the right class under {threshold}) in {who} right now."
    sentence = f"Confidently wrong test examples (the right class gets under {threshold}): " + ", ".join(
        pushed
    )
    if without:
        verb = "has" if len(without) == 1 else "have"
        sentence += f"; {' and '.join(without)} {verb} none right now"
    return sentence + "."


def drawing_sentence(label: str, output_activation: str, outputs: Sequence[float]) -> str:
    """What one run makes of the learner's drawing: the digit it picks (its largest output) and,
    as its outputs allow, how sure: "In your drawing, *ReLU · softmax · CE* sees a 1 (p = 0.97)";
    raw outputs are not probabilities, so their range is given instead, with how many fall
    outside [0, 1]."""
    values = [float(v) for v in outputs]
    finite_values = [v for v in values if math.isfinite(v)]
    if not finite_values:
        return f"In your drawing, {_name(label)} gives no number: its outputs are not finite."
    best = max(range(len(values)), key=lambda k: values[k] if math.isfinite(values[k]) else -math.inf)
    if output_activation == "softmax":
        return f"In your drawing, {_name(label)} sees a {best} (p = {values[best]:.2f})."
    if output_activation == "sigmoid":
        return (
            f"In your drawing, {_name(label)} sees a {best} (its output {values[best]:.2f}; "
            "sigmoid outputs need not add up to 1)."
        )
    outside = sum(v < 0 or v > 1 for v in finite_values)
    where = f", {outside} of the ten below 0 or above 1" if outside else ""
    low, high = (f"{v:.2f}".replace("-", "−") for v in (min(finite_values), max(finite_values)))
    return f"In your drawing, {_name(label)} says {best}, its outputs from {low} to {high}{where}."
