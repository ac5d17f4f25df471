"""What the Theory lessons say, computed: the facts their sentences quote.

Every number in the lessons' text is read from the tables of
:mod:`nnexplore.theory` by the functions here, never typed into the prose,
so text and charts cannot disagree. Also the stand-in batch the gradient
check uses when it has no real one.

Pure numpy and pandas: no streamlit, no altair (testable on its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nnexplore import activations, theory


def fmt(x: float, digits: int = 3) -> str:
    """A number for a sentence: 3 significant digits, a true minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


def default_batch(batch: int = 64, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stand-in batch: logits ~ N(0, 3²) and random class labels.

    The spread of 3 gives a mix of confident right, confident wrong and unsure
    outputs, as a half-trained network would. Same seed, same batch.
    """
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 3.0, size=(batch, classes)), rng.integers(0, classes, size=batch)


def activation_facts(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """For each activation in ``names``: its largest slope and its slopes at z = −4 and z = 4.

    Read from :func:`nnexplore.theory.activation_table`; a slope near 0 at
    z = ±4 is the saturation that stops gradients in deep sigmoid/tanh nets.
    The ``activation`` column holds the screen name ("ReLU"), as every picker
    and legend spells it.
    """
    screen_names = activations.screen_names()
    rows = []
    for name in names:
        part = table[table["activation"] == name]
        if part.empty:
            continue
        z = part["z"].to_numpy(dtype=float)
        d = part["derivative"].to_numpy(dtype=float)
        rows.append(
            {
                "activation": screen_names.get(name, name),
                "largest slope": float(d.max()),
                "slope at z = −4": float(d[np.argmin(np.abs(z + 4))]),
                "slope at z = 4": float(d[np.argmin(np.abs(z - 4))]),
            }
        )
    return pd.DataFrame(rows, columns=["activation", "largest slope", "slope at z = −4", "slope at z = 4"])


#: The probabilities the chain-rule table shows, from confidently wrong to nearly right.
PUSH_TABLE_P = (0.01, 0.1, 0.5, 0.9)
_CE, _SE = "cross-entropy", "squared error"


def push_table(factors: pd.DataFrame, at: tuple[float, ...] = PUSH_TABLE_P) -> pd.DataFrame:
    """The chain rule as a small table: one row per p in ``at``, the three factors for both losses.

    Input: :func:`nnexplore.theory.push_factors` (columns p, loss, factor, value), which must hold
    the probabilities of ``at``. Columns: ``p``, ``dL/dp`` for each loss, ``dp/dz = p(1 − p)``
    (the same for both) and ``dL/dz`` for each loss: signed values, negative where raising z
    lowers the loss.
    """
    rows = []
    for p in at:
        here = factors[np.isclose(factors["p"], p)]
        if here.empty:
            raise ValueError(f"push_table: p = {p} is not in the table.")

        def value(loss: str, factor: str, here: pd.DataFrame = here) -> float:
            return float(here[(here["loss"] == loss) & (here["factor"] == factor)]["value"].iloc[0])

        rows.append(
            {
                "p": p,
                f"dL/dp, {_CE}": value(theory.LOSS_CE, "dL/dp"),
                f"dL/dp, {_SE}": value(theory.LOSS_MSE, "dL/dp"),
                "dp/dz = p(1 − p)": value(theory.LOSS_CE, "dp/dz"),
                f"dL/dz, {_CE}": value(theory.LOSS_CE, "dL/dz"),
                f"dL/dz, {_SE}": value(theory.LOSS_MSE, "dL/dz"),
            }
        )
    return pd.DataFrame(rows)


def push_sentence(table: pd.DataFrame) -> str:
    """What the chain-rule table shows, with its own numbers, at its first (most wrong) p."""
    row = table.iloc[0]
    se_slope = abs(row[f"dL/dp, {_SE}"])
    ce_push, se_push = abs(row[f"dL/dz, {_CE}"]), abs(row[f"dL/dz, {_SE}"])
    return (
        f"At p = {fmt(row['p'])} (confidently wrong) squared error's slope in p, {fmt(se_slope)}, is "
        f"larger than cross-entropy's push on z, {fmt(ce_push)}. But training moves z, and p moves "
        f"with z only by p(1 − p) = {fmt(row['dp/dz = p(1 − p)'])}. Cross-entropy's 1/p cancels that "
        f"p, so its push on z stays {fmt(ce_push)}; squared error keeps it, so its push on z is "
        f"{fmt(se_push)}, {fmt(ce_push / se_push, 2)} times weaker. At every p squared error's push on "
        "z is at most half of cross-entropy's, and it falls to 0 as p does."
    )


def negative_curvature_regions(curve: pd.DataFrame) -> pd.DataFrame:
    """Stretches of w where a loss curve bends downward (second derivative < 0).

    Input: :func:`nnexplore.theory.loss_curve` (columns w, loss, curvature).
    Returns columns ``loss, w_start, w_end``: one row per stretch of
    consecutive grid points with negative curvature. Edges are placed half
    way to the neighbouring grid point (clipped to the grid), so a single
    point still gets a visible band. A convex curve gives no rows.
    """
    rows: list[tuple[str, float, float]] = []
    for label, part in curve.groupby("loss", sort=False):
        part = part.sort_values("w")
        w = part["w"].to_numpy(dtype=float)
        neg = part["curvature"].to_numpy(dtype=float) < 0
        if not neg.any():
            continue
        mids = (w[1:] + w[:-1]) / 2
        lo_edges = np.concatenate([[w[0]], mids])
        hi_edges = np.concatenate([mids, [w[-1]]])
        start = None
        for k, flag in enumerate(neg):
            if flag and start is None:
                start = k
            if start is not None and (not flag or k == len(neg) - 1):
                end = k if flag else k - 1
                rows.append((str(label), float(lo_edges[start]), float(hi_edges[end])))
                start = None
    return pd.DataFrame(rows, columns=["loss", "w_start", "w_end"])


def _longest_run(mask: np.ndarray) -> slice | None:
    """The longest stretch of consecutive True values in ``mask``, or None if there is none."""
    best: tuple[int, int] | None = None
    start = None
    for k, flag in enumerate([*mask.tolist(), False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            if best is None or k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return None if best is None else slice(*best)


def landscape_facts(curve: pd.DataFrame, surface: pd.DataFrame) -> dict[str, Any]:
    """The numbers the loss-landscape sentence quotes, read from the tables.

    Per loss: ``min_curvature`` (smallest second derivative along w),
    ``regions`` (list of (from w, to w) that bend downward), ``non_convex_share``
    (share of (w, b) grid points where the surface bends downward in some
    direction), and ``plateau``: the w range (or None) where the loss is in
    the upper half of its range yet its slope is under a tenth of its
    steepest slope — high and flat, the trap for gradient descent — with
    the loss and slope there (the longest such stretch).
    """
    regions = negative_curvature_regions(curve)
    facts: dict[str, Any] = {}
    for label in (theory.LOSS_CE, theory.LOSS_MSE):
        part = curve[curve["loss"] == label].sort_values("w")
        surf = surface[surface["loss"] == label]
        value = part["value"].to_numpy(dtype=float)
        slope = np.abs(part["slope"].to_numpy(dtype=float))
        high = value > value.min() + 0.5 * (value.max() - value.min())
        flat = slope < 0.1 * slope.max()
        where = high & flat
        plateau = None
        run = _longest_run(where)
        if run is not None:
            w = part["w"].to_numpy(dtype=float)[run]
            plateau = {
                "w_from": float(w.min()),
                "w_to": float(w.max()),
                "loss": float(value[run].mean()),
                "max_slope": float(slope[run].max()),
            }
        mine = regions[regions["loss"] == label]
        facts[label] = {
            "min_curvature": float(part["curvature"].min()),
            "regions": [(float(a), float(b)) for a, b in zip(mine["w_start"], mine["w_end"], strict=True)],
            "non_convex_share": float(surf["non_convex"].mean()) if len(surf) else 0.0,
            "plateau": plateau,
        }
    return facts


def _range_words(a: float, b: float, lo: float, hi: float) -> str:
    """'w below −3.1', 'w above 2.6', or 'w from a to b', for a stretch inside [lo, hi]."""
    step = (hi - lo) / 100
    if a <= lo + step and b >= hi - step:
        return "every w on the chart"
    if a <= lo + step:
        return f"w below {fmt(b, 2)}"
    if b >= hi - step:
        return f"w above {fmt(a, 2)}"
    return f"w from {fmt(a, 2)} to {fmt(b, 2)}"


def landscape_sentences(facts: dict[str, Any], w_range: tuple[float, float]) -> list[str]:
    """One markdown sentence per loss saying whether it is convex and where it is flat.

    ``w_range`` is the (lowest, highest) weight of the grid the facts were read from.
    """
    out = []
    names = {theory.LOSS_CE: "Cross-entropy ∘ sigmoid", theory.LOSS_MSE: "Squared error ∘ sigmoid"}
    for label, name in names.items():
        f = facts[label]
        if not f["regions"]:
            text = (
                f"**{name} is convex**: along w its curvature never drops below 0 on this grid "
                f"(smallest: {fmt(f['min_curvature'])})"
            )
            if f["non_convex_share"] == 0:
                text += ", and over weight *and* bias no grid point bends downward in any direction"
            text += ", so it has one valley and every downhill path leads there."
        else:
            where = " and ".join(_range_words(a, b, *w_range) for a, b in f["regions"])
            text = (
                f"**{name} is not convex**: it bends downward for {where} (shaded), and over weight *and* "
                f"bias {f['non_convex_share']:.0%} of the grid points bend downward in some direction (×)."
            )
        plateau = f["plateau"]
        if plateau is None:
            text += " It has no flat plateau: wherever the loss is high, the slope is steep."
        else:
            text += (
                f" Flat plateau: for {_range_words(plateau['w_from'], plateau['w_to'], *w_range)} the loss "
                f"stays high (about {fmt(plateau['loss'], 2)}) but the slope is below {fmt(plateau['max_slope'], 2)}, "
                "so gradient descent started there barely moves."
            )
        out.append(text)
    return out
