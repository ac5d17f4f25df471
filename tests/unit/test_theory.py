"""Tests for nnexplore.theory: autograd results against their closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnexplore import output_gradients as G
from nnexplore import theory as T

Z = np.linspace(-6.0, 6.0, 241)  # includes z = 0 exactly


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# -- 1. activations -----------------------------------------------------------

CLOSED_FORMS = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: np.where(z > 0, 1.0, 0.0)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(z)), lambda z: np.where(z > 0, 1.0, np.exp(z))),
    "gelu": (
        lambda z: z * 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2))),
        lambda z: (
            0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
            + z * np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
        ),
    ),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
}


def test_every_activation_has_a_closed_form_check() -> None:
    assert set(CLOSED_FORMS) == set(T.ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_activation_curve_matches_closed_form(name: str) -> None:
    values, deriv = T.activation_curve(name, Z)
    f, df = CLOSED_FORMS[name]
    assert values.dtype == np.float64 and values.shape == Z.shape
    np.testing.assert_allclose(values, f(Z), atol=1e-12)
    np.testing.assert_allclose(deriv, df(Z), atol=1e-12)


def test_sigmoid_and_tanh_slopes_are_small_and_vanish() -> None:
    _, ds = T.activation_curve("sigmoid", Z)
    _, dt = T.activation_curve("tanh", Z)
    assert ds.max() == pytest.approx(0.25)
    assert dt.max() == pytest.approx(1.0)
    assert ds[[0, -1]].max() < 0.003 and dt[[0, -1]].max() < 0.0001


def test_activation_curve_accepts_lists_and_tensors() -> None:
    v1, d1 = T.activation_curve("gelu", [-1.0, 0.0, 2.0])
    v2, d2 = T.activation_curve("gelu", torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
    np.testing.assert_allclose(v1, v2, atol=1e-7)
    np.testing.assert_allclose(d1, d2, atol=1e-7)


def test_unknown_activation_says_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="relu"):
        T.activation_curve("swish", Z)


def test_activation_table_long_form() -> None:
    df = T.activation_table()
    assert list(df.columns) == ["activation", "z", "value", "derivative"]
    assert len(df) == 241 * len(T.ACTIVATIONS)
    assert list(df["activation"].unique()) == list(T.ACTIVATIONS)
    relu = df[df.activation == "relu"]
    assert relu.loc[relu.z > 0, "derivative"].eq(1.0).all()
    assert relu.loc[relu.z <= 0, "derivative"].eq(0.0).all()
    assert np.isfinite(df[["z", "value", "derivative"]].to_numpy()).all()


# -- 2. softmax Jacobian and parse_vector ---------------------------------------


def _closed_jacobian(v: np.ndarray) -> np.ndarray:
    s = np.exp(v - v.max())
    s /= s.sum()
    return np.diag(s) - np.outer(s, s)


@pytest.mark.parametrize(
    "v", [[1.0, 2.0, 3.0], [0.0, 0.0], [5.0, -3.0, 0.5, 2.0, 2.0], [1000.0, 0.0, -1000.0]]
)
def test_softmax_jacobian_matches_closed_form(v: list[float]) -> None:
    jac = T.softmax_jacobian(v)
    np.testing.assert_allclose(jac, _closed_jacobian(np.array(v)), atol=1e-12)
    np.testing.assert_allclose(jac.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(jac.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(jac, jac.T, atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=2, max_size=10))
def test_softmax_jacobian_property(v: list[float]) -> None:
    np.testing.assert_allclose(T.softmax_jacobian(v), _closed_jacobian(np.array(v)), atol=1e-12)


def test_saturated_softmax_passes_almost_no_gradient() -> None:
    assert np.abs(T.softmax_jacobian([20.0, 0.0, 0.0])).max() < 1e-8
    assert np.abs(T.softmax_jacobian([0.0, 0.0, 0.0])).max() == pytest.approx(2 / 9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=10))
def test_softmax_jacobian_entries_reach_a_quarter_only_where_an_output_is_one_half(v: list[float]) -> None:
    """The page's help: the largest entry is at most 0.25, reached when an output is exactly ½."""
    biggest = float(np.abs(T.softmax_jacobian(v)).max())
    s = T.softmax(v)
    assert biggest <= 0.25 + 1e-15
    assert biggest >= 0.25 - 1e-12 or float(np.abs(s - 0.5).min()) > 1e-7


def test_softmax_jacobian_reaches_a_quarter_at_one_half() -> None:
    for v in ([0.0, 0.0], [math.log(2.0), 0.0, 0.0]):  # outputs (½, ½) and (½, ¼, ¼)
        assert float(np.abs(T.softmax_jacobian(v)).max()) == pytest.approx(0.25, abs=1e-15)


def test_jacobian_table_long_form() -> None:
    df = T.jacobian_table([1.0, 2.0, 3.0])
    assert list(df.columns) == ["i", "j", "value"] and len(df) == 9
    jac = T.softmax_jacobian([1.0, 2.0, 3.0])
    assert df[(df.i == 0) & (df.j == 2)].value.item() == pytest.approx(jac[0, 2])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 2, 3", [1.0, 2.0, 3.0]),
        ("1 2 3", [1.0, 2.0, 3.0]),
        ("  [1.5;-2,  3e1]  ", [1.5, -2.0, 30.0]),
        ("\u22121, 0", [-1.0, 0.0]),
        (",".join(["0"] * 10), [0.0] * 10),
    ],
)
def test_parse_vector_accepts(text: str, expected: list[float]) -> None:
    assert T.parse_vector(text) == (expected, "")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "numbers"),
        ("   ", "numbers"),
        ("5", "at least 2"),
        ("1, two, 3", '"two" is not a number'),
        ("1, nan", "finite"),
        ("1, inf", "finite"),
        ("1, 1e400", "finite"),
        (",".join(["1"] * 11), "at most 10"),
        (None, "numbers"),
        (42, "numbers"),
        ("1" * 5000, "too long"),
    ],
)
def test_parse_vector_rejects_in_plain_words(text: object, words: str) -> None:
    values, problem = T.parse_vector(text)
    assert values is None
    assert words in problem


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_vector_never_raises(text: str) -> None:
    values, problem = T.parse_vector(text)
    if values is None:
        assert problem
    else:
        assert problem == "" and 2 <= len(values) <= 10 and all(math.isfinite(v) for v in values)


# -- 3. loss vs probability ------------------------------------------------------


def test_loss_vs_probability_matches_closed_forms() -> None:
    df = T.loss_vs_probability(n=200)
    assert list(df.columns) == ["p", "loss", "value", "gradient"] and len(df) == 400
    ce = df[df.loss == T.LOSS_CE]
    mse = df[df.loss == T.LOSS_MSE]
    np.testing.assert_allclose(ce.value, -np.log(ce.p), atol=1e-12)
    np.testing.assert_allclose(ce.gradient, -1 / ce.p, atol=1e-9)
    np.testing.assert_allclose(mse.value, (1 - mse.p) ** 2, atol=1e-12)
    np.testing.assert_allclose(mse.gradient, -2 * (1 - mse.p), atol=1e-12)
    # A confident mistake: the log makes it expensive, squared error caps it.
    assert ce.value.iloc[0] > 4 and mse.value.max() <= 1
    assert ce.p.iloc[-1] == 1.0 and ce.value.iloc[-1] == 0.0


def test_push_factors_follow_the_chain_rule_and_the_closed_forms() -> None:
    df = T.push_factors()
    assert list(df.columns) == ["p", "loss", "factor", "value"]
    p = np.round(np.linspace(0.01, 0.99, 99), 10)
    for loss in (T.LOSS_CE, T.LOSS_MSE):
        f = {name: df[(df.loss == loss) & (df.factor == name)].value.to_numpy() for name in T.PUSH_FACTORS}
        np.testing.assert_array_equal(df[(df.loss == loss) & (df.factor == "dL/dz")].p, p)
        # three separate autograd computations: the chain rule holds between them
        np.testing.assert_allclose(f["dL/dz"], f["dL/dp"] * f["dp/dz"], rtol=1e-12)
        np.testing.assert_allclose(f["dp/dz"], p * (1 - p), rtol=1e-12)
        if loss == T.LOSS_CE:
            np.testing.assert_allclose(f["dL/dp"], -1 / p, rtol=1e-12)
            np.testing.assert_allclose(f["dL/dz"], p - 1, atol=1e-12)  # the 1/p cancels the p
            ce_push = -f["dL/dz"]
        else:
            np.testing.assert_allclose(f["dL/dp"], -2 * (1 - p), rtol=1e-12)
            np.testing.assert_allclose(f["dL/dz"], -2 * p * (1 - p) ** 2, rtol=1e-12)  # the p stays
            se_slope, se_push = -f["dL/dp"], -f["dL/dz"]
    # What the page says: at p = 0.01 squared error's slope in p (1.98) is larger than
    # cross-entropy's push on z (0.99), yet its push on z (0.0196) is 50 times smaller; everywhere
    # squared error's push on z is at most half of cross-entropy's (2p(1 − p) ≤ 1/2).
    assert se_slope[0] == pytest.approx(1.98) and ce_push[0] == pytest.approx(0.99)
    assert se_push[0] == pytest.approx(0.019602) and ce_push[0] / se_push[0] == pytest.approx(
        50.505, rel=1e-3
    )
    assert (se_push <= ce_push / 2 + 1e-15).all()


def test_a_softmax_right_class_has_the_same_dp_dz_as_a_sigmoid() -> None:
    """The page's note: for a softmax, ∂p_y/∂z_y = p_y(1 − p_y), and cross-entropy's push is p_y − 1."""
    z = torch.tensor([2.0, -1.0, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
    p = torch.softmax(z, 0)
    (dp,) = torch.autograd.grad(p[1], z, retain_graph=True)
    (dl,) = torch.autograd.grad(-torch.log(p[1]), z)
    py = float(p[1].detach())
    assert float(dp[1]) == pytest.approx(py * (1 - py), rel=1e-12)
    assert float(dl[1]) == pytest.approx(py - 1, rel=1e-12)


def test_push_factors_refuse_probabilities_outside_0_1() -> None:
    for bad in ([0.0, 0.5], [0.5, 1.0], [], [[0.5]]):
        with pytest.raises(ValueError, match="between 0 and 1"):
            T.push_factors(bad)


# -- 4. logistic-regression landscapes --------------------------------------------


def test_toy_1d_is_fixed_and_overlapping() -> None:
    x, y = T.toy_1d()
    x2, y2 = T.toy_1d(seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.shape == y.shape == (40,) and set(np.unique(y)) == {0.0, 1.0} and y.sum() == 20
    assert np.all(np.diff(x) >= 0)
    # Overlap: some class-1 point lies left of some class-0 point.
    assert x[y == 1].min() < x[y == 0].max()
    assert not np.array_equal(T.toy_1d(seed=1)[0], x)


W = np.linspace(-40.0, 40.0, 161)


def _closed_loss_curve(w: np.ndarray, b: float = 0.0) -> dict[str, np.ndarray]:
    x, y = T.toy_1d()
    z = w[:, None] * x[None, :] + b
    s = _sigmoid(z)
    return {
        "ce": np.mean(np.logaddexp(0, z) - y * z, axis=1),
        "ce_d2": np.mean(x**2 * s * (1 - s), axis=1),
        "mse": np.mean((s - y) ** 2, axis=1),
    }


def test_loss_curve_columns_and_closed_forms() -> None:
    df = T.loss_curve(W, b=0.5)
    assert list(df.columns) == ["w", "loss", "value", "slope", "curvature"] and len(df) == 2 * len(W)
    closed = _closed_loss_curve(W, b=0.5)
    ce = df[df.loss == T.LOSS_CE]
    np.testing.assert_allclose(ce.value, closed["ce"], rtol=1e-10)
    np.testing.assert_allclose(ce.curvature, closed["ce_d2"], atol=1e-10)
    np.testing.assert_allclose(df[df.loss == T.LOSS_MSE].value, closed["mse"], atol=1e-12)


def test_ce_sigmoid_is_convex_and_mse_sigmoid_is_not() -> None:
    df = T.loss_curve(W)
    ce = df[df.loss == T.LOSS_CE]
    mse = df[df.loss == T.LOSS_MSE]
    assert (ce.curvature >= -1e-9).all()
    assert (mse.curvature < -1e-3).any()


def test_mse_has_plateaus_where_ce_keeps_growing() -> None:
    df = T.loss_curve(W)
    ce = df[df.loss == T.LOSS_CE].set_index("w")
    mse = df[df.loss == T.LOSS_MSE].set_index("w")
    far = np.abs(W) >= 20
    assert (mse.slope.abs().to_numpy()[far] < 1e-3).all()
    # On the wrong side, MSE sits on a high, flat plateau while CE keeps rising.
    assert mse.value[-40.0] > 0.8 and abs(mse.value[-40.0] - mse.value[-20.0]) < 0.01
    assert ce.value[-40.0] > ce.value[-20.0] + 10
    assert (ce.slope.abs().to_numpy()[W <= -20] > 1.0).all()


def test_cross_entropy_of_a_sigmoid_has_the_hessian_the_page_shows() -> None:
    """The landscape panel's formula: per example, the Hessian in (w, b) of cross-entropy∘sigmoid is
    σ(1 − σ)·x̃x̃ᵀ with x̃ = (x, 1), positive semi-definite: convex in every direction, not only along w."""
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        x = torch.randn(3, generator=gen, dtype=torch.float64) * 3
        y = float(torch.randint(0, 2, (1,), generator=gen))
        theta = torch.randn(4, generator=gen, dtype=torch.float64) * 3  # three weights and a bias
        xt = torch.cat([x, torch.ones(1, dtype=torch.float64)])

        def loss(th: torch.Tensor, xt: torch.Tensor = xt, y: float = y) -> torch.Tensor:
            z = th @ xt
            return torch.logaddexp(torch.zeros_like(z), z) - y * z

        hess = torch.func.hessian(loss)(theta)
        s = torch.sigmoid(theta @ xt)
        torch.testing.assert_close(hess, s * (1 - s) * torch.outer(xt, xt), rtol=1e-12, atol=1e-14)
        assert float(torch.linalg.eigvalsh(hess).min()) >= -1e-12


def test_softmax_regression_cross_entropy_is_convex() -> None:
    """The why-log card's own model (no hidden layer, softmax, cross-entropy): per example the Hessian
    in the weights and biases is (diag(o) − ooᵀ) ⊗ x̃x̃ᵀ, positive semi-definite, so the mean loss is convex."""
    gen = torch.Generator().manual_seed(1)
    for _ in range(10):
        x = torch.randn(2, generator=gen, dtype=torch.float64) * 2
        y = int(torch.randint(0, 4, (1,), generator=gen))
        theta = torch.randn(4, 3, generator=gen, dtype=torch.float64) * 2  # 4 classes × (2 weights + bias)
        xt = torch.cat([x, torch.ones(1, dtype=torch.float64)])

        def loss(th: torch.Tensor, xt: torch.Tensor = xt, y: int = y) -> torch.Tensor:
            return -torch.log_softmax(th @ xt, 0)[y]

        hess = torch.func.hessian(loss)(theta).reshape(12, 12)
        o = torch.softmax(theta @ xt, 0)
        torch.testing.assert_close(
            hess, torch.kron(torch.diag(o) - torch.outer(o, o), torch.outer(xt, xt)), rtol=1e-10, atol=1e-12
        )
        assert float(torch.linalg.eigvalsh(hess).min()) >= -1e-12


def test_loss_surface_flags_only_mse() -> None:
    # Small enough (29 x 21 x 40 points) that torch stays on one thread: fast on a busy CI box.
    w = np.linspace(-21, 21, 29)
    b = np.linspace(-6, 6, 21)
    df = T.loss_surface(w, b)
    assert list(df.columns) == ["w", "b", "loss", "value", "grad_norm", "min_curvature", "non_convex"]
    assert len(df) == 2 * len(w) * len(b)
    ce = df[df.loss == T.LOSS_CE]
    mse = df[df.loss == T.LOSS_MSE]
    assert not ce.non_convex.any() and (ce.min_curvature >= -1e-9).all()
    assert mse.non_convex.any() and (mse.min_curvature < -1e-3).any()
    # On the surface's b = 0 line, the values agree with the 1-D curve.
    line = mse[np.isclose(mse.b, 0.0)].sort_values("w")
    curve = T.loss_curve(w)
    np.testing.assert_allclose(line.value, curve[curve.loss == T.LOSS_MSE].value, atol=1e-12)


def test_loss_surface_hessian_matches_closed_form_for_ce() -> None:
    x, y = T.toy_1d()
    df = T.loss_surface([1.5], [-0.5])
    ce = df[df.loss == T.LOSS_CE].iloc[0]
    s = _sigmoid(1.5 * x - 0.5)
    r = s * (1 - s)
    hess = np.array([[np.mean(r * x * x), np.mean(r * x)], [np.mean(r * x), np.mean(r)]])
    assert ce.min_curvature == pytest.approx(np.linalg.eigvalsh(hess)[0], abs=1e-12)
    grad = np.array([np.mean((s - y) * x), np.mean(s - y)])
    assert ce.grad_norm == pytest.approx(np.linalg.norm(grad), abs=1e-12)


# -- 5. output-layer gradients ------------------------------------------------------


def _closed(recipe: str, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The four recipes' per-example gradients at z, written out independently of the module."""
    s = _sigmoid(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    soft = e / e.sum(axis=1, keepdims=True)
    return {
        G.RECIPE_CE: soft - t,
        G.RECIPE_BCE: s - t,
        G.RECIPE_RAW: 2 * (z - t),
        G.RECIPE_MSE: 2 * (s - t) * s * (1 - s),
    }[recipe]


def test_output_gradients_match_closed_forms_for_the_four_recipes() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 10, generator=gen, dtype=torch.float64) * 4
    labels = torch.randint(0, 10, (16,), generator=gen)
    onehot = torch.nn.functional.one_hot(labels, 10).double()
    g = G.output_gradients(logits, onehot)
    assert list(g) == [r.name for r in G.RECIPES] == [G.RECIPE_CE, G.RECIPE_BCE, G.RECIPE_RAW, G.RECIPE_MSE]
    for name, result in g.items():
        assert result["autograd"].shape == (16, 10)
        assert result["max_diff"] < 1e-12, name
        np.testing.assert_allclose(
            result["autograd"], _closed(name, logits.numpy(), onehot.numpy()), atol=1e-12
        )
        # the push: mean over the examples of the L1 size of one example's gradient
        assert result["push"] == pytest.approx(np.abs(result["autograd"]).sum(axis=1).mean(), rel=1e-12)
    # The matched pairs: softmax + CE and sigmoid + BCE are both exactly o − t (each with its own o);
    # raw outputs + squared error is exactly twice o − t with o = z.
    for name in (G.RECIPE_CE, G.RECIPE_BCE):
        np.testing.assert_allclose(g[name]["autograd"], g[name]["outputs"] - onehot.numpy(), atol=1e-12)
    np.testing.assert_allclose(g[G.RECIPE_RAW]["autograd"], 2 * (logits.numpy() - onehot.numpy()), atol=1e-12)
    # Labels and one-hot targets give the same answer.
    g2 = G.output_gradients(logits.numpy(), labels.numpy())
    np.testing.assert_array_equal(g2[G.RECIPE_CE]["autograd"], g[G.RECIPE_CE]["autograd"])


def test_output_gradients_reject_mismatched_targets() -> None:
    with pytest.raises(ValueError, match="do not match"):
        G.output_gradients(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="between 0 and 2"):
        G.output_gradients(np.zeros((2, 3)), np.array([0, 3]))


def test_gradient_check_on_a_float32_model_batch() -> None:
    model = torch.nn.Linear(5, 3)
    torch.manual_seed(0)
    with torch.no_grad():
        model.weight.normal_(0, 3)
    out = model(torch.randn(8, 5))  # float32, requires grad
    report = G.gradient_check(out, torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    assert report["ok"] is True
    assert report["batch_size"] == 8 and report["num_classes"] == 3
    assert list(report["recipes"]) == [r.name for r in G.RECIPES]
    for result in report["recipes"].values():
        assert result["max_diff"] < 1e-6 and result["push"] > 0


@pytest.mark.parametrize("recipe", G.RECIPES, ids=lambda r: r.name)
def test_the_push_is_what_training_sums_at_the_output(recipe: G.Recipe) -> None:
    """The gradient check's "push per example" is the training record's output push: training sums
    |∂L/∂z| over the batch-mean loss's gradient (probes.grad_sums' out_push), which is the mean over
    the examples of Σ_k |∂ℓ_i/∂z_k|. Same batch, same engine loss, float32 as in training."""
    from nnexplore import probes
    from nnexplore.losses import loss_fn

    gen = torch.Generator().manual_seed(3)
    layer = torch.nn.Linear(20, 10)
    x = torch.randn(32, 20, generator=gen)
    labels = torch.randint(0, 10, (32,), generator=gen)
    z = layer(x)
    z.retain_grad()
    loss_fn(recipe.loss)(z, labels, recipe.output).backward()
    summed = float(probes.grad_sums([layer.weight], z.grad)["out_push"])
    checked = G.gradient_check(z, labels)["recipes"][recipe.name]["push"]
    assert checked == pytest.approx(summed, rel=1e-5)


@pytest.mark.parametrize("recipe", G.RECIPES, ids=lambda r: r.name)
def test_a_training_records_out_push_is_the_gradient_checks_push(recipe: G.Recipe) -> None:
    """End to end: a run whose every step is the whole training set and whose steps are tiny records
    an out_push equal to the gradient check's push on its starting network's training outputs."""
    from nnexplore.config import RunConfig
    from nnexplore.data import load_dataset
    from nnexplore.model import build_model
    from nnexplore.training import train

    cfg = RunConfig(
        dataset="moons",
        n_samples=100,
        hidden=(8,),
        output_activation=recipe.output,
        loss=recipe.loss,
        optimizer="sgd",
        lr=1e-5,
        batch_size=80,
        epochs=10,
        device="cpu",
    )
    dataset = load_dataset(cfg)
    assert len(dataset.x_train) == cfg.batch_size  # one step per epoch, always the whole set
    torch.manual_seed(cfg.seed)  # as train() does before it builds the model
    model = build_model(cfg, 2, 2)
    with torch.no_grad():
        logits = model(dataset.x_train.float())
    expected = G.gradient_check(logits, dataset.y_train)["recipes"][recipe.name]["push"]
    (record,) = list(train(cfg, dataset=dataset))
    assert record["out_push"] == pytest.approx(expected, rel=1e-3)


def test_confidently_wrong_output_gets_no_push_from_sigmoid_squared_error() -> None:
    # One unit, target 1, output 0.001 (z = logit(0.001)).
    z = math.log(0.001 / 0.999)
    report = G.gradient_check(np.array([[z, 0.0]]), np.array([[1.0, 0.0]]))
    pushes = {name: r["push"] for name, r in report["recipes"].items()}
    assert report["ok"] and pushes[G.RECIPE_CE] > pushes[G.RECIPE_MSE]
    g = G.output_gradients(np.array([[z]]), np.array([[1.0]]))
    assert abs(g[G.RECIPE_MSE]["autograd"][0, 0]) < 0.01
    assert g[G.RECIPE_BCE]["autograd"][0, 0] == pytest.approx(0.001 - 1, abs=1e-12)


def test_gradient_vs_output() -> None:
    df = G.gradient_vs_output(n=200)
    assert list(df.columns) == ["o", "recipe", "gradient"] and len(df) == 800
    by = {name: df[df.recipe == name] for name in (G.RECIPE_CE, G.RECIPE_BCE, G.RECIPE_RAW, G.RECIPE_MSE)}
    np.testing.assert_allclose(by[G.RECIPE_CE].gradient, 1 - by[G.RECIPE_CE].o, atol=1e-9)
    np.testing.assert_allclose(by[G.RECIPE_BCE].gradient, 1 - by[G.RECIPE_BCE].o, atol=1e-9)
    np.testing.assert_allclose(by[G.RECIPE_RAW].gradient, 2 * (1 - by[G.RECIPE_RAW].o), atol=1e-9)
    mse = by[G.RECIPE_MSE]
    np.testing.assert_allclose(mse.gradient, 2 * (1 - mse.o) * mse.o * (1 - mse.o), atol=1e-9)
    at = np.isclose(mse.o, 0.001)
    assert at.sum() == 1
    assert by[G.RECIPE_CE].gradient.to_numpy()[at].item() == pytest.approx(1.0, abs=0.002)
    assert mse.gradient.to_numpy()[at].item() < 0.01
    # MSE's push peaks near o = 1/3, then vanishes towards o = 0.
    assert mse.o.iloc[mse.gradient.argmax()] == pytest.approx(1 / 3, abs=0.01)
