"""Losses against their textbook gradients, and each probe against a hand-computed value."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

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
    assert probes.out_of_range(out) == {"out_below": 2, "out_above": 2, "out_total": 9, "out_rows": 2}


def test_weight_grad_stats_per_layer():
    w1 = torch.zeros(2, 2, requires_grad=True)
    w2 = torch.zeros(1, 3, requires_grad=True)
    w1.grad = torch.tensor([[3.0, -4.0], [0.0, 0.0]])
    w2.grad = torch.tensor([[1.0, -1.0, 2.0]])
    norm, mean_abs, max_abs = probes.weight_grad_stats([w1, w2]).tolist()
    assert norm == pytest.approx([5.0, 6**0.5])
    assert mean_abs == pytest.approx([7 / 4, 4 / 3])
    assert max_abs == [4.0, 2.0]


def test_saturated_fraction_for_sigmoid_tanh_relu_softmax():
    # sigmoid'(z) < 0.0025 when |z| > about 5.9
    z = torch.tensor([[0.0, 7.0, -8.0, 1.0]])
    assert probes.saturated_fraction("sigmoid", z) == 0.5
    # tanh'(z) < 0.01 when |z| > about 2.99
    assert probes.saturated_fraction("tanh", torch.tensor([[0.0, 3.5, -1.0, -4.0]])) == 0.5
    # relu's derivative is 0 on the negative side
    assert probes.saturated_fraction("relu", torch.tensor([[-1.0, 2.0, 3.0, -0.5]])) == 0.5
    assert probes.saturated_fraction("leaky_relu", torch.tensor([[-1.0, 2.0]])) == 0.0
    # a softmax with one dominant unit: every S_i(1 - S_i) is tiny
    assert probes.saturated_fraction("softmax", torch.tensor([[20.0, 0.0, 0.0]])) == 1.0
    assert probes.saturated_fraction("linear", torch.tensor([[100.0, -100.0]])) == 0.0


def test_table_slopes_match_autograd_of_torch_itself():
    z = torch.linspace(-5, 5, 41, dtype=torch.float64).reshape(1, -1)
    for name, fn in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("elu", F.elu), ("gelu", F.gelu)]:
        zz = z.clone().requires_grad_()
        fn(zz).sum().backward()
        assert torch.allclose(activations.get(name).slope(z), zz.grad, atol=1e-9), name


def test_dead_fraction():
    pre = torch.tensor([[-1.0, 2.0, -3.0, 0.0], [-2.0, -1.0, -0.5, -1.0]])
    # units 0, 2 and 3 output 0 for both examples; unit 1 is alive for the first
    assert probes.dead_fraction(nn.ReLU(), pre) == 0.75
    assert probes.dead_fraction(nn.LeakyReLU(), pre) == 0.0


def test_mlp_layers_and_names():
    model = MLP(2, (5, 3), 4, "softmax", "none")
    assert model.layer_names == ["hidden 1", "hidden 2", "output"]
    logits, pre = model.forward_hidden(torch.zeros(6, 2))
    assert logits.shape == (6, 4) and [p.shape[1] for p in pre] == [5, 3]
    assert torch.allclose(model(torch.ones(2, 2)), model.forward_hidden(torch.ones(2, 2))[0])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softmax"])
def test_unit_counts_add_up_to_the_per_layer_probes(activation):
    """The trainer's one pass over every hidden unit gives the same numbers as the per-layer probes."""
    torch.manual_seed(0)
    act = activations.get(activation)
    pre = [torch.randn(50, 4) * 6, torch.randn(50, 3) * 6 - 4]
    pre[1][:, 0] = -1.0  # a dead ReLU unit
    post = [act.f(z) for z in pre]
    saturated, dead = probes.unit_counts(activation, pre, post)
    assert saturated.shape == dead.shape == (7,)
    for z, a, b in zip(pre, (0, 4), (4, 7)):
        assert int(saturated[a:b].sum()) / z.numel() == probes.saturated_fraction(activation, z)
        assert int(dead[a:b].sum()) / z.shape[1] == probes.dead_fraction(act.module(), z)
