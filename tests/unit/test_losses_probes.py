"""Losses against their textbook gradients, and each probe against a hand-computed value."""

import pytest
import torch
import torch.nn.functional as F

from nnexplore import activations, probes
from nnexplore.losses import binary_cross_entropy, cross_entropy, mse
from nnexplore.model import MLP


def _batch(seed=0, n=7, k=4):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, k, generator=g, dtype=torch.float64) * 3).requires_grad_()
    target = F.one_hot(torch.randint(0, k, (n,), generator=g), k).double()
    return logits, target


def test_softmax_cross_entropy_gradient_is_o_minus_t_over_batch():
    logits, t = _batch()
    cross_entropy(logits, t, "softmax").backward()
    o = torch.softmax(logits.detach(), dim=1)
    assert torch.allclose(logits.grad, (o - t) / len(t), atol=1e-6)


def test_sigmoid_mse_gradient_is_2_o_minus_t_o_1_minus_o_over_batch():
    logits, t = _batch(1)
    mse(logits, t, "sigmoid").backward()
    o = torch.sigmoid(logits.detach())
    assert torch.allclose(logits.grad, 2 * (o - t) * o * (1 - o) / len(t), atol=1e-6)


def test_losses_match_their_definitions():
    logits, t = _batch(2)
    z = logits.detach()
    o = torch.softmax(z, 1)
    assert torch.isclose(cross_entropy(z, t, "softmax"), -(t * o.log()).sum(1).mean())
    assert torch.isclose(mse(z, t, "none"), ((z - t) ** 2).sum(1).mean())
    s = torch.sigmoid(z)
    expected = -(t * s.log() + (1 - t) * (1 - s).log()).sum(1).mean()
    assert torch.isclose(binary_cross_entropy(z, t, "sigmoid"), expected)
    assert torch.isclose(
        binary_cross_entropy(z, t, "softmax"), -(t * o.log() + (1 - t) * (1 - o).log()).sum(1).mean()
    )


def test_cross_entropy_on_raw_outputs_is_not_hidden_behind_a_clamp():
    z = torch.tensor([[-0.5, 1.0]])
    t = torch.tensor([[1.0, 0.0]])
    assert torch.isnan(cross_entropy(z, t, "none"))


def test_out_of_range_counts():
    out = torch.tensor([[-0.1, 0.5, 1.2], [0.2, 0.3, 0.5], [1.5, -2.0, 0.0]])
    counts = {name: int(t) for name, t in probes.out_of_range_counts(out).items()}
    assert counts == {"out_below": 2, "out_above": 2, "out_rows": 2}


def test_grad_sums_per_layer_and_the_output_push():
    w1 = torch.zeros(2, 2, requires_grad=True)
    w2 = torch.zeros(1, 3, requires_grad=True)
    w1.grad = torch.tensor([[3.0, -4.0], [0.0, 0.0]])
    w2.grad = torch.tensor([[1.0, -1.0, 2.0]])
    out_grad = torch.tensor([[0.5, -0.25], [0.0, 1.0]])
    packed = probes.grad_sums([w1, w2], out_grad)
    parts = packed.unpack(packed.flat.tolist())
    assert parts["grad_norm"] == pytest.approx([5.0, 6**0.5])
    assert parts["grad_l1"] == [7.0, 4.0]  # the trainer divides by 4 and 3 weights: mean |g|
    assert parts["grad_max_abs"] == [4.0, 2.0]
    assert parts["out_push"] == 1.75
    assert float(packed["out_push"]) == 1.75 and packed["grad_max_abs"].tolist() == [4.0, 2.0]


RECIPES = [
    ("softmax", "cross_entropy"),
    ("sigmoid", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("none", "mse"),
]


@pytest.mark.parametrize(("output", "loss"), RECIPES)
def test_out_push_is_the_mean_over_examples_of_each_ones_push(output, loss):
    """out_push, Σ |∂L/∂z| of the batch-mean loss, is the mean over the examples of Σ_k |∂ℓ_i/∂z_k|,
    each example's gradient taken on its own by autograd."""
    from nnexplore.losses import loss_fn

    compute = loss_fn(loss)
    logits, _ = _batch(4, n=6, k=3)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    compute(logits, labels, output).backward()
    weight = torch.zeros(1, requires_grad=True)
    weight.grad = torch.zeros(1)
    packed = probes.grad_sums([weight], logits.grad)
    pushes = []
    for i in range(len(labels)):
        z = logits.detach()[i : i + 1].clone().requires_grad_()
        compute(z, labels[i : i + 1], output).backward()  # a batch of one: ℓ_i itself
        pushes.append(float(z.grad.abs().sum()))
    assert packed.unpack(packed.flat.tolist())["out_push"] == pytest.approx(
        sum(pushes) / len(pushes), rel=1e-12
    )
    if (output, loss) == ("softmax", "cross_entropy"):
        # Σ_k |o_k − t_k| = (1 − p) + Σ_{k≠y} o_k = 2(1 − p), p the right class's probability
        p_right = torch.softmax(logits.detach(), 1)[torch.arange(6), labels]
        assert pushes == pytest.approx((2 * (1 - p_right)).tolist(), rel=1e-12)


def _counts(activation, pre):
    """probes.unit_counts of one layer, as per-layer totals (entries, entries, units)."""
    post = [activations.get(activation).f(z) for z in pre]
    return {name: int(t.sum()) for name, t in probes.unit_counts(activation, pre, post).items()}


def test_weak_entries_have_a_slope_under_a_quarter_of_the_largest():
    # sigmoid'(z) < ¼·¼ when |z| > 2.63 (σ < 0.067 or > 0.933)
    assert _counts("sigmoid", [torch.tensor([[0.0, 2.7, -3.0, 2.5]])]) == {"weak_units": 2, "dead_units": 0}
    # tanh'(z) = 1 − tanh² < ¼ when |tanh z| > √3/2, |z| > 1.317
    assert _counts("tanh", [torch.tensor([[0.5, 1.4, -1.2, -4.0]])]) == {"weak_units": 2, "dead_units": 0}
    # leaky ReLU's slope below 0 is 0.01 of its largest: weak, never off
    assert _counts("leaky_relu", [torch.tensor([[-1.0, 2.0, -0.5]])]) == {"weak_units": 2, "dead_units": 0}
    # ELU's slope e^z < ¼ when z < ln ¼ = −1.386
    assert _counts("elu", [torch.tensor([[-1.5, -1.2, 3.0]])]) == {"weak_units": 1, "dead_units": 0}
    # linear never weakens anything, and has no off side: only the dead count
    assert _counts("linear", [torch.tensor([[100.0, -100.0]])]) == {"dead_units": 0}


def test_relu_entries_are_off_never_weak_and_dead_units_are_off_for_every_example():
    pre = [torch.tensor([[-1.0, 2.0, -3.0, 0.0], [-2.0, -1.0, -0.5, -1.0]])]
    # z ≤ 0 is the off side (the slope there is exactly 0, at 0 too, as autograd takes it): 7 of 8;
    # units 0, 2 and 3 are off for both examples: dead
    assert _counts("relu", pre) == {"off_units": 7, "dead_units": 3}
    # leaky ReLU: the same 7 entries are weak (slope 0.01, at 0 too), and no unit outputs 0 throughout
    assert _counts("leaky_relu", pre) == {"weak_units": 7, "dead_units": 0}


def test_softmax_entries_are_weak_by_the_size_of_their_jacobian_row():
    # S = (½, ¼, ¼): ‖J_i‖₁ = 2·S_i(1 − S_i) = ½, 3/8, 3/8 of at most ½: none weak.
    # S ≈ (0.9999, ...): every ‖J_i‖₁ is tiny: all weak. Equal shares of 32 units: 4·(1/32)(31/32) ≈ 0.12.
    assert _counts("softmax", [torch.log(torch.tensor([[2.0, 1.0, 1.0]]))]) == {
        "weak_units": 0,
        "dead_units": 0,
    }
    assert _counts("softmax", [torch.tensor([[20.0, 0.0, 0.0]])]) == {"weak_units": 3, "dead_units": 0}
    assert _counts("softmax", [torch.zeros(2, 32)]) == {"weak_units": 64, "dead_units": 0}


def test_the_softmax_slope_share_is_the_jacobian_row_l1_norm_over_its_largest():
    """Σ_j |∂S_i/∂z_j| = 2·S_i(1 − S_i) ≤ ½, so over its largest it is the table's slope over its own."""
    row = activations.get("softmax")
    g = torch.Generator().manual_seed(1)
    for z in [
        torch.randn(5, generator=g, dtype=torch.float64) * 3,
        torch.tensor([0.0, 0.0], dtype=torch.float64),
    ]:
        rows_l1 = torch.func.jacrev(torch.softmax)(z, 0).abs().sum(dim=1)
        torch.testing.assert_close(rows_l1 / 0.5, row.slope(z).abs() / row.max_slope)
    assert (
        float(torch.func.jacrev(torch.softmax)(torch.zeros(2, dtype=torch.float64), 0).abs().sum(1).max())
        == 0.5
    )


@pytest.mark.parametrize("name", [a.name for a in activations.HIDDEN])
def test_least_slope_and_switching_off_match_the_slope(name):
    """``least_slope`` is the smallest |slope| off the switched-off side (on -30..30: 0 where it fades
    away), and only an activation whose slope is exactly 0 on a whole side ``switches_off``."""
    row = activations.get(name)
    z = torch.linspace(-30, 30, 60_001, dtype=torch.float64).reshape(1, -1)
    slope = row.slope(z).abs()
    assert row.switches_off == bool((slope[z < -1] == 0).all())
    on = slope[slope != 0] if row.switches_off else slope
    assert float(on.min()) == pytest.approx(row.least_slope, abs=1e-6)
    assert row.can_be_weak == (name not in ("relu", "linear"))


def test_table_slopes_match_autograd_of_torch_itself():
    z = torch.linspace(-5, 5, 41, dtype=torch.float64).reshape(1, -1)
    for name, fn in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("elu", F.elu), ("gelu", F.gelu)]:
        zz = z.clone().requires_grad_()
        fn(zz).sum().backward()
        assert torch.allclose(activations.get(name).slope(z), zz.grad, atol=1e-9), name


def test_mlp_layers_and_names():
    model = MLP(2, (5, 3), 4, "softmax", "none")
    assert model.layer_names == ["hidden 1", "hidden 2", "output"]
    logits, pre = model.forward_hidden(torch.zeros(6, 2))
    assert logits.shape == (6, 4) and [p.shape[1] for p in pre] == [5, 3]
    assert torch.allclose(model(torch.ones(2, 2)), model.forward_hidden(torch.ones(2, 2))[0])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softmax", "leaky_relu"])
def test_unit_counts_of_every_layer_at_once_add_up_to_each_layers_own(activation):
    """The trainer's one pass over every hidden unit gives the same numbers as a pass per layer."""
    torch.manual_seed(0)
    act = activations.get(activation)
    pre = [torch.randn(50, 4) * 6, torch.randn(50, 3) * 6 - 4]
    pre[1][:, 0] = -1.0  # a dead ReLU unit
    post = [act.f(z) for z in pre]
    together = probes.unit_counts(activation, pre, post)
    assert all(t.shape == (7,) for t in together.values())
    for z, a, b in zip(pre, (0, 4), (4, 7)):
        alone = probes.unit_counts(activation, [z], [act.f(z)])
        assert {n: t[a:b].tolist() for n, t in together.items()} == {n: t.tolist() for n, t in alone.items()}
