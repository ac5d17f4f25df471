"""nnexplore's optimizers compute what torch.optim computes, bit for bit, and a run imports no compiler."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from nnexplore import optimizers


def _trajectory(make, seed: int = 0, steps: int = 30) -> list[torch.Tensor]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    opt = make(model.parameters())
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda p: optimizers.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (
            lambda p: optimizers.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
        ),
        (lambda p: optimizers.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (
            lambda p: optimizers.Adam(p, lr=0.003, weight_decay=1e-2),
            lambda p: torch.optim.Adam(p, lr=0.003, weight_decay=1e-2),
        ),
    ],
    ids=["sgd", "momentum + weight decay", "adam", "adam + weight decay"],
)
def test_the_same_steps_as_torch_optim_bit_for_bit(ours, theirs):
    for a, b in zip(_trajectory(ours), _trajectory(theirs)):
        assert torch.equal(a, b)


def test_a_parameter_without_a_gradient_is_left_alone():
    used, unused = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    for opt in (
        optimizers.SGD([used, unused], lr=0.1, momentum=0.9),
        optimizers.Adam([used, unused], lr=0.1),
    ):
        (used * 3).sum().backward()
        opt.step()
        opt.zero_grad()
        assert torch.equal(unused, torch.ones(2)) and not torch.equal(used, torch.ones(2))


def test_a_training_run_never_imports_the_compiler():
    code = (
        "import sys\n"
        "from nnexplore.config import RunConfig\n"
        "from nnexplore.training import train\n"
        "for opt in ('adam', 'sgd', 'momentum'):\n"
        "    list(train(RunConfig(optimizer=opt, epochs=1, n_samples=200)))\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch._dynamo')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
