"""The training loop: a generator of records (DESIGN.md, "Metrics").

Records fall at fixed step counts, never on a timer, so the same seed gives the
same records. Per-step values (loss, correct count, sampled gradient statistics)
stay on the device as tensors and are read once per record.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from nnexplore import probes
from nnexplore.config import RunConfig
from nnexplore.losses import loss_fn
from nnexplore.model import MLP, build_model

EVAL_SAMPLE = 500  # held-out examples used at intermediate records; the last record uses all
GRAD_SAMPLES_PER_RECORD = 4  # gradient statistics are taken on this many steps per record
_INIT_LOCK = threading.Lock()  # model init uses torch's global RNG: one thread at a time

Record = dict[str, Any]


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when a GPU is present; asking for CUDA without one is an error in words."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("Device 'cuda' was asked for, but no CUDA GPU is available here. Use auto or cpu.")
    return torch.device(name)


def schedule(cfg: RunConfig, n_train: int) -> tuple[int, int, int]:
    """(steps per epoch, steps between records, steps between gradient samples)."""
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    record_every = max(1, steps_per_epoch // cfg.records_per_epoch)
    grad_every = max(1, record_every // GRAD_SAMPLES_PER_RECORD)
    return steps_per_epoch, record_every, grad_every


def expected_records(cfg: RunConfig, n_train: int) -> int:
    """How many records a run that is not stopped and does not diverge yields."""
    steps_per_epoch, record_every, _ = schedule(cfg, n_train)
    return math.ceil(steps_per_epoch * cfg.epochs / record_every)


def features(x: torch.Tensor) -> torch.Tensor:
    """MNIST stays uint8 in memory and is scaled per batch (a copy); other data is already float."""
    return x.float().div_(255) if x.dtype == torch.uint8 else x.float()


def _make_optimizer(cfg: RunConfig, model: MLP) -> torch.optim.Optimizer:
    params = model.parameters()
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    momentum = 0.9 if cfg.optimizer == "momentum" else 0.0
    return torch.optim.SGD(params, lr=cfg.lr, momentum=momentum, weight_decay=cfg.weight_decay)


def train(
    cfg: RunConfig,
    dataset: Any = None,
    stop: threading.Event | None = None,
    on_record: Callable[[MLP, Record], None] | None = None,
) -> Iterator[Record]:
    """Train `cfg` and yield a record at each record point; the last one says done/stopped/diverged.

    `dataset` is any object with x_train, y_train, x_test, y_test, num_classes
    (loaded from the config when None). `stop` ends the run within one batch.
    `on_record(model, record)` runs just before each record is yielded (live views), except the
    ``diverged`` one: by then the model's numbers are infinite or NaN, and a picture of it would
    be blank or nonsense (every point one class, every push 1e22). Not calling it leaves the last
    picture taken, from before the divergence, as the run's picture; the record says when it went
    wrong.
    """
    start = time.perf_counter()
    device = resolve_device(cfg.device)
    if dataset is None:
        from nnexplore.data import load_dataset

        dataset = load_dataset(cfg)
    x_train = dataset.x_train.reshape(len(dataset.x_train), -1).to(device)
    y_train = dataset.y_train.to(device)
    x_test = dataset.x_test.reshape(len(dataset.x_test), -1).to(device)
    y_test = dataset.y_test.to(device)
    n_classes = int(dataset.num_classes)
    n_train = len(x_train)
    if n_train == 0 or len(x_test) == 0:
        raise ValueError("The dataset has no training or no test examples.")

    with _INIT_LOCK:
        torch.manual_seed(cfg.seed)
        model = build_model(cfg, x_train.shape[1], n_classes).to(device)
    weights = [linear.weight for linear in model.linears]
    optimizer = _make_optimizer(cfg, model)
    compute_loss = loss_fn(cfg.loss)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    steps_per_epoch, record_every, grad_every = schedule(cfg, n_train)
    total_steps = steps_per_epoch * cfg.epochs
    # Where the loss takes a log of outputs that may leave its domain, count them per step so a
    # NaN can be explained ("37 outputs were ≤ 0") instead of hidden behind a clamp.
    log_domain_risk = cfg.output_activation == "none" and cfg.loss != "mse"
    eval_idx = torch.linspace(0, len(x_test) - 1, min(EVAL_SAMPLE, len(x_test))).long().to(device)

    losses: list[torch.Tensor] = []
    corrects: list[torch.Tensor] = []
    bad_outputs: list[torch.Tensor] = []
    grad_stats: list[torch.Tensor] = []
    out_grads: list[torch.Tensor] = []
    last_grads: Record = {"grad_norm": [], "grad_mean_abs": [], "grad_max_abs": [], "out_grad_mean_abs": None}
    seen_in_interval = 0
    samples = 0
    step = 0

    def make_record(status: str, reason: str = "", full_test: bool = False) -> Record:
        nonlocal seen_in_interval
        loss_values = torch.stack(losses).double().cpu() if losses else torch.zeros(0)
        correct = int(torch.stack(corrects).sum()) if corrects else 0
        if grad_stats:
            g = torch.stack(grad_stats).mean(dim=0).double().cpu()
            last_grads.update(
                grad_norm=g[0].tolist(),
                grad_mean_abs=g[1].tolist(),
                grad_max_abs=g[2].tolist(),
                out_grad_mean_abs=float(torch.stack(out_grads).mean()),
            )
        record: Record = {
            "step": step,
            "epoch": step / steps_per_epoch,
            "samples": samples,
            "elapsed_s": time.perf_counter() - start,
            "total_steps": total_steps,
            "loss": float(loss_values.mean()) if len(loss_values) else math.nan,
            "train_acc": correct / seen_in_interval if seen_in_interval else math.nan,
            **_evaluate(model, cfg, compute_loss, x_test, y_test, eval_idx, full_test),
            "layer_names": list(model.layer_names),
            **last_grads,
            "status": status,
            "reason": reason,
        }
        losses.clear()
        corrects.clear()
        bad_outputs.clear()
        grad_stats.clear()
        out_grads.clear()
        seen_in_interval = 0
        if on_record is not None and status != "diverged":
            on_record(model, record)
        return record

    for _ in range(cfg.epochs):
        order = torch.randperm(n_train, generator=shuffle).to(device)
        for first in range(0, n_train, cfg.batch_size):
            if stop is not None and stop.is_set():
                yield make_record("stopped", f"Stopped by you at step {step} of {total_steps}.", True)
                return
            idx = order[first : first + cfg.batch_size]
            xb = features(x_train[idx])
            yb = y_train[idx]
            sample_grads = (step + 1) % grad_every == 0
            logits = model(xb)
            if sample_grads:
                logits.retain_grad()
            loss = compute_loss(logits, yb, cfg.output_activation)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if sample_grads:
                grad_stats.append(probes.weight_grad_stats(weights))
                # the loss is a batch mean, so one example's gradient is len(batch) times larger
                out_grads.append(logits.grad.abs().mean() * len(idx))
            optimizer.step()
            step += 1
            losses.append(loss.detach())
            corrects.append(probes.accuracy_count(logits.detach(), yb))
            if log_domain_risk:
                bad_outputs.append(_outside_log_domain(cfg.loss, logits.detach()))
            seen_in_interval += len(idx)
            samples += len(idx)

            if step % record_every == 0 or step == total_steps:
                reason = _divergence(cfg, losses, bad_outputs, weights, step - len(losses))
                if reason:
                    yield make_record("diverged", reason, True)
                    return
                last = step == total_steps
                yield make_record("done" if last else "running", "", last)


def _outside_log_domain(loss: str, outputs: torch.Tensor) -> torch.Tensor:
    if loss == "cross_entropy":
        return (outputs <= 0).sum()
    return ((outputs <= 0) | (outputs >= 1)).sum()


def _divergence(
    cfg: RunConfig,
    losses: list[torch.Tensor],
    bad_outputs: list[torch.Tensor],
    weights: list[torch.Tensor],
    first_step: int,
) -> str:
    """Plain-words reason when the loss or the weights stopped being finite, else ''."""
    values = torch.stack(losses).double().cpu()
    finite = torch.isfinite(values)
    if bool(finite.all()):
        if all(bool(torch.isfinite(w).all()) for w in weights):
            return ""
        return (
            f"The weights became infinite or NaN by step {first_step + len(losses)}: the updates were "
            f"too large. Try a smaller learning rate than {cfg.lr:g}."
        )
    i = int((~finite).nonzero()[0])
    what = "NaN" if math.isnan(values[i]) else "infinite"
    where = f"The loss became {what} at step {first_step + i + 1}"
    if bad_outputs:
        n_bad = int(bad_outputs[i])
        if n_bad:
            if cfg.loss == "cross_entropy":
                return (
                    f"{where}: cross-entropy takes log(output), and {n_bad} outputs were ≤ 0. With no "
                    "output activation the outputs are raw numbers, and the log of a number ≤ 0 is "
                    "undefined. Use a softmax or sigmoid output, or the mse loss."
                )
            return (
                f"{where}: binary cross-entropy takes log(output) and log(1 − output), and {n_bad} "
                "outputs were outside (0, 1). Use a sigmoid output, or the mse loss."
            )
    if cfg.loss != "mse" and cfg.output_activation == "softmax" and cfg.loss == "binary_cross_entropy":
        return f"{where}: an output reached exactly 0 or 1, and binary cross-entropy took log(0). Try a smaller learning rate."
    return (
        f"{where}: the updates grew too large and the numbers overflowed. "
        f"Try a smaller learning rate than {cfg.lr:g}."
    )


@torch.no_grad()
def _evaluate(
    model: MLP,
    cfg: RunConfig,
    compute_loss: Callable,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    eval_idx: torch.Tensor,
    full: bool,
) -> Record:
    """Held-out metrics, output range counts and hidden-layer probes, from one forward pass.

    Intermediate records use a fixed, evenly spaced sample of the held-out split
    (EVAL_SAMPLE examples) so that evaluation costs little; the last record uses
    all of it. `test_examples` says how many were used.
    """
    was_training = model.training
    model.eval()
    sample = features(x_test[eval_idx])
    logits, pre = model.forward_hidden(sample)
    hidden = {
        "saturated_frac": [probes.saturated_fraction(cfg.hidden_activation, z) for z in pre],
        "dead_frac": [probes.dead_fraction(act, z) for act, z in zip(model.acts, pre)],
    }
    labels = y_test[eval_idx]
    if full and len(eval_idx) < len(x_test):
        chunks = [model(features(x_test[i : i + 4096])) for i in range(0, len(x_test), 4096)]
        logits, labels = torch.cat(chunks), y_test
    outputs = model.activate(logits)
    loss = compute_loss(logits, labels, cfg.output_activation)
    model.train(was_training)
    return {
        "test_loss": float(loss),
        "test_acc": float(probes.accuracy_count(logits, labels)) / len(labels),
        "test_examples": len(labels),
        **probes.out_of_range(outputs),
        **hidden,
    }
