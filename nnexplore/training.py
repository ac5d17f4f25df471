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

from nnexplore import activations, optimizers, probes
from nnexplore.config import MIN_STEPS_PER_RECORD, RunConfig
from nnexplore.losses import loss_fn
from nnexplore.model import MLP, build_model

EVAL_SAMPLE = 500  # held-out examples used at intermediate records; the last record uses all
GRAD_SAMPLES_PER_RECORD = 4  # gradient statistics are taken on this many steps per record...
MIN_STEPS_PER_GRAD_SAMPLE = 4  # ...but on one step in 4 at most (a sample costs ~1/6 of a tiny step)
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
    """(steps per epoch, steps between records, steps between gradient samples).

    ``records_per_epoch`` records per epoch, but never closer than MIN_STEPS_PER_RECORD
    steps: a small training set in big batches (the Playground default: 25 steps per epoch)
    gets fewer records than asked for, so that they do not cost more than the training.
    Gradient statistics are sampled GRAD_SAMPLES_PER_RECORD times per record, but on one
    step in MIN_STEPS_PER_GRAD_SAMPLE at most.
    """
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    record_every = max(MIN_STEPS_PER_RECORD, steps_per_epoch // cfg.records_per_epoch)
    grad_every = max(MIN_STEPS_PER_GRAD_SAMPLE, record_every // GRAD_SAMPLES_PER_RECORD)
    return steps_per_epoch, record_every, grad_every


def expected_records(cfg: RunConfig, n_train: int) -> int:
    """How many records a run that is not stopped and does not diverge yields."""
    steps_per_epoch, record_every, _ = schedule(cfg, n_train)
    return math.ceil(steps_per_epoch * cfg.epochs / record_every)


def features(x: torch.Tensor) -> torch.Tensor:
    """MNIST stays uint8 in memory and is scaled per batch (a copy); other data is already float."""
    return x.float().div_(255) if x.dtype == torch.uint8 else x.float()


def _make_optimizer(cfg: RunConfig, model: MLP) -> optimizers.Optimizer:
    params = model.parameters()
    if cfg.optimizer == "adam":
        return optimizers.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    momentum = 0.9 if cfg.optimizer == "momentum" else 0.0
    return optimizers.SGD(params, lr=cfg.lr, momentum=momentum, weight_decay=cfg.weight_decay)


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
    eval_idx = torch.linspace(0, len(x_test) - 1, min(EVAL_SAMPLE, len(x_test))).long().to(device)
    x_eval, y_eval = features(x_test[eval_idx]), y_test[eval_idx]  # the same sample at every record
    n_layers = len(weights)
    weight_sizes = [w.numel() for w in weights]
    widths = [linear.out_features for linear in model.linears[:-1]]  # hidden layers
    unit_starts = [sum(widths[:i]) for i in range(len(widths) + 1)]  # each layer's first unit
    n_units = unit_starts[-1]

    # Since the last record, per step: loss, logits and labels (train accuracy and, should the
    # loss stop being finite, the count of outputs outside the log's domain are taken from
    # these at the record); per sampled step: the gradient sums of probes.grad_sums.
    losses: list[torch.Tensor] = []
    step_logits: list[torch.Tensor] = []
    step_labels: list[torch.Tensor] = []
    grad_sums: list[torch.Tensor] = []
    last_grads: Record = {"grad_norm": [], "grad_mean_abs": [], "grad_max_abs": [], "out_grad_mean_abs": None}
    samples = 0
    step = 0

    def make_record(
        status: str, reason: str = "", full_test: bool = False, check: bool = False
    ) -> Record | None:
        """The record of this step; with `check`, None instead when a loss or a weight is not finite.

        Every number comes from one read of the device (a single .tolist()): the loss mean
        first (float64, so every part is read as float64), the checks' largest |w| last.
        """
        parts = [
            torch.stack(losses).double().mean() if losses else torch.tensor(math.nan, device=device),
            probes.accuracy_count(torch.cat(step_logits), torch.cat(step_labels))
            if step_logits
            else torch.zeros((), device=device),
        ]
        if grad_sums:
            parts.append(torch.stack(grad_sums).double().mean(dim=0))
        held_out, n_examples, n_outputs = _evaluate(
            model, cfg, compute_loss, x_eval, y_eval, x_test, y_test, full_test
        )
        checks = torch._foreach_norm(weights, math.inf) if check else []
        values = _read([*parts, *held_out, *checks])
        if check:
            if not all(math.isfinite(v) for v in [values[0], *values[-n_layers:]]):
                return None
            del values[-n_layers:]
        loss_mean, correct = values[0], values[1]
        seen = sum(len(labels) for labels in step_labels)
        if grad_sums:
            g = values[2 : 2 + 3 * n_layers + 1]
            last_grads.update(
                grad_norm=g[:n_layers],
                grad_mean_abs=[total / size for total, size in zip(g[n_layers : 2 * n_layers], weight_sizes)],
                grad_max_abs=g[2 * n_layers : 3 * n_layers],
                # the loss is a batch mean, so one example's gradient is len(batch) times larger:
                # mean |g| · len(batch) = Σ |g| / classes
                out_grad_mean_abs=g[3 * n_layers] / n_classes,
            )
            del values[2 : 2 + 3 * n_layers + 1]
        test_loss, test_correct, below, above, rows = values[2:7]
        # per hidden unit: saturated entries over the sample, then 1 where the unit is dead
        sat_units, dead_units = values[7 : 7 + n_units], values[7 + n_units :]
        bounds = list(zip(unit_starts, unit_starts[1:]))
        record: Record = {
            "step": step,
            "epoch": step / steps_per_epoch,
            "samples": samples,
            "elapsed_s": time.perf_counter() - start,
            "total_steps": total_steps,
            "loss": loss_mean,
            "train_acc": correct / seen if seen else math.nan,
            "test_loss": test_loss,
            "test_acc": test_correct / n_examples,
            "test_examples": n_examples,
            "out_below": int(below),
            "out_above": int(above),
            "out_total": n_outputs,
            "out_rows": int(rows),
            "saturated_frac": [sum(sat_units[a:b]) / (len(x_eval) * (b - a)) for a, b in bounds],
            "dead_frac": [sum(dead_units[a:b]) / (b - a) for a, b in bounds],
            "layer_names": list(model.layer_names),
            **last_grads,
            "status": status,
            "reason": reason,
        }
        losses.clear()
        step_logits.clear()
        step_labels.clear()
        grad_sums.clear()
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
                grad_sums.append(probes.grad_sums(weights, logits.grad))
            optimizer.step()
            step += 1
            losses.append(loss.detach())
            step_logits.append(logits.detach())
            step_labels.append(yb)
            samples += len(idx)

            if step % record_every == 0 or step == total_steps:
                last = step == total_steps
                record = make_record("done" if last else "running", "", last, check=True)
                if record is None:
                    reason = _divergence(cfg, losses, step_logits, weights, step - len(losses))
                    yield make_record("diverged", reason, True)
                    return
                yield record


def _read(parts: list[torch.Tensor]) -> list[float]:
    """0-dim and 1-dim tensors as one flat list of floats, in order.

    On the CPU each is read on its own (a read costs next to nothing there, and joining
    tensors of mixed dtypes costs more than all the reads together); on a GPU every read
    waits for the device, so they are joined first and read in one go.
    """
    if not parts:
        return []
    if parts[0].device.type == "cpu":
        values: list[float] = []
        for t in parts:
            if t.dim():
                values.extend(t.double().tolist())
            else:
                values.append(float(t.item()))
        return values
    return torch.cat([t.reshape(-1).double() for t in parts]).tolist()


def _outside_log_domain(loss: str, outputs: torch.Tensor) -> torch.Tensor:
    if loss == "cross_entropy":
        return (outputs <= 0).sum()
    return ((outputs <= 0) | (outputs >= 1)).sum()


def _divergence(
    cfg: RunConfig,
    losses: list[torch.Tensor],
    step_logits: list[torch.Tensor],
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
    # Where the loss takes a log of outputs that may leave its domain, count them, so that a
    # NaN is explained ("37 outputs were ≤ 0") instead of hidden behind a clamp.
    if cfg.output_activation == "none" and cfg.loss != "mse":
        n_bad = int(_outside_log_domain(cfg.loss, step_logits[i]))
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
    x_eval: torch.Tensor,
    y_eval: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    full: bool,
) -> tuple[list[torch.Tensor], int, int]:
    """Held-out metrics, output range counts and hidden-layer probes, from one forward pass.

    Intermediate records use a fixed, evenly spaced sample of the held-out split
    (EVAL_SAMPLE examples, `x_eval`) so that evaluation costs little; the last record uses
    all of it for the loss, the accuracy and the output counts. Returns 0-dim device
    tensors (test loss, correct count, out_below, out_above, out_rows) and two 1-dim ones
    (probes.unit_counts: per hidden unit, its saturated entries and whether it is dead),
    the examples used and the outputs looked at.

    The model is not switched to eval mode: an MLP has no layer that behaves differently
    in training (no dropout, no batch norm), and switching costs a walk over every module.
    """
    logits, pre, post = model.forward_layers(x_eval)
    labels = y_eval
    if full and len(x_eval) < len(x_test):
        chunks = [model(features(x_test[i : i + 4096])) for i in range(0, len(x_test), 4096)]
        logits, labels = torch.cat(chunks), y_test
    if activations.get(cfg.output_activation).probabilities:
        # Sigmoid and softmax outputs lie in [0, 1] in floating point too (1 / (1 + e^−z) ≤ 1, and
        # e^z_i / Σ_j e^z_j ≤ 1 since a sum of positive numbers is never below one of them):
        # nothing to count.
        out_range = [torch.zeros((), dtype=torch.long, device=logits.device)] * 3
    else:
        out_range = probes.out_of_range_counts(model.activate(logits))
    per_unit = probes.unit_counts(cfg.hidden_activation, pre, post) if pre else []
    return (
        [
            compute_loss(logits, labels, cfg.output_activation),
            probes.accuracy_count(logits, labels),
            *out_range,
            *per_unit,
        ],
        len(labels),
        logits.numel(),  # the outputs looked at: one per logit
    )
