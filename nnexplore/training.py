"""The training loop: a generator of records (docs/metrics.md says what each field measures).

Records fall at fixed step counts, never on a timer, so the same seed gives the same records.
Per-step values (loss, logits, sampled gradient sizes) stay on the device as tensors and are
read once per record, all in one go, by name: each probe returns named parts
(nnexplore.probes), ``_read`` reads them together and ``_fields`` assembles the record from the
names.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
NO_GRADS: Record = {"grad_norm": [], "grad_mean_abs": [], "grad_max_abs": [], "out_push": None}
"""The gradient fields of a record before the first sampled step."""


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


@dataclass(frozen=True)
class _Data:
    """A run's tensors on its device. ``x_eval``/``y_eval``: EVAL_SAMPLE evenly spaced held-out
    examples, the same at every record (as features, scaled once). ``regression``: the targets
    are numbers (float rows, one per output), not class indices (nnexplore.problems)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_eval: torch.Tensor
    y_eval: torch.Tensor
    n_outputs: int
    regression: bool


def _load(cfg: RunConfig, dataset: Any, device: torch.device) -> _Data:
    """`dataset` (loaded from the config when None) on `device`, images flattened to rows."""
    if dataset is None:
        from nnexplore.data import load_dataset

        dataset = load_dataset(cfg)
    x_train = dataset.x_train.reshape(len(dataset.x_train), -1).to(device)
    x_test = dataset.x_test.reshape(len(dataset.x_test), -1).to(device)
    if len(x_train) == 0 or len(x_test) == 0:
        raise ValueError("The dataset has no training or no test examples.")
    y_test = dataset.y_test.to(device)
    eval_idx = torch.linspace(0, len(x_test) - 1, min(EVAL_SAMPLE, len(x_test))).long().to(device)
    x_eval, y_eval = features(x_test[eval_idx]), y_test[eval_idx]
    regression = int(dataset.num_classes) == 0  # a regression has no classes (data.Dataset)
    y_train = dataset.y_train.to(device)
    n_outputs = y_train.reshape(len(y_train), -1).shape[1] if regression else int(dataset.num_classes)
    return _Data(x_train, y_train, x_test, y_test, x_eval, y_eval, n_outputs, regression)


@dataclass
class _SinceLastRecord:
    """What the steps since the last record left on the device, read at the next record.

    Per step the loss, the logits and the labels (the training accuracy comes from these at the
    record, and, should the loss stop being finite, the outputs outside the log's domain); per
    sampled step the gradient sizes of probes.grad_sums.
    """

    losses: list[torch.Tensor] = field(default_factory=list)
    logits: list[torch.Tensor] = field(default_factory=list)
    labels: list[torch.Tensor] = field(default_factory=list)
    grads: list[probes.Packed] = field(default_factory=list)

    def add(self, loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        self.losses.append(loss.detach())
        self.logits.append(logits.detach())
        self.labels.append(labels)

    def parts(
        self, device: torch.device, regression: bool = False
    ) -> tuple[dict[str, torch.Tensor], probes.Packed | None]:
        """``loss`` (the mean, float64) and, for a classification, ``train_correct``; and, after a
        sampled step, the gradient sizes averaged over the sampled steps (float64), one tensor for
        all of them."""
        parts = {
            "loss": torch.stack(self.losses).double().mean()
            if self.losses
            else torch.tensor(math.nan, device=device),
        }
        if not regression:
            parts["train_correct"] = (
                probes.accuracy_count(torch.cat(self.logits), torch.cat(self.labels))
                if self.logits
                else torch.zeros((), device=device)
            )
        if not self.grads:
            return parts, None
        mean = torch.stack([sample.flat for sample in self.grads]).double().mean(dim=0)
        return parts, probes.Packed(mean, self.grads[0].layout)

    def clear(self) -> None:
        for values in (self.losses, self.logits, self.labels, self.grads):
            values.clear()


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
    data = _load(cfg, dataset, device)
    with _INIT_LOCK:
        torch.manual_seed(cfg.seed)
        model = build_model(cfg, data.x_train.shape[1], data.n_outputs).to(device)
    weights = [linear.weight for linear in model.linears]
    optimizer = _make_optimizer(cfg, model)
    compute_loss = loss_fn(cfg.loss)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    n_train = len(data.x_train)
    steps_per_epoch, record_every, grad_every = schedule(cfg, n_train)
    total_steps = steps_per_epoch * cfg.epochs
    since = _SinceLastRecord()
    bounds = _unit_bounds(model)
    grads = dict(NO_GRADS)  # the newest sampled gradient sizes, repeated until the next sample
    step = samples = 0

    def measure(full_test: bool, check: bool = False) -> dict[str, Any] | None:
        return _measure(model, cfg, compute_loss, data, since, full_test, weights if check else None)

    def emit(values: dict[str, Any], status: str, reason: str = "") -> Record:
        if "grad_norm" in values:
            grads.update(_grad_fields(values, weights))
        record: Record = {
            "step": step,
            "epoch": step / steps_per_epoch,
            "samples": samples,
            "elapsed_s": time.perf_counter() - start,
            "total_steps": total_steps,
            **_fields(values, model, bounds, len(data.x_eval), sum(len(labels) for labels in since.labels)),
            **grads,
            "status": status,
            "reason": reason,
        }
        since.clear()
        if on_record is not None and status != "diverged":
            on_record(model, record)
        return record

    for _ in range(cfg.epochs):
        order = torch.randperm(n_train, generator=shuffle).to(device)
        for first in range(0, n_train, cfg.batch_size):
            if stop is not None and stop.is_set():
                yield emit(
                    measure(full_test=True), "stopped", f"Stopped by you at step {step} of {total_steps}."
                )
                return
            idx = order[first : first + cfg.batch_size]
            xb, yb = features(data.x_train[idx]), data.y_train[idx]
            sample_grads = (step + 1) % grad_every == 0
            logits = model(xb)
            if sample_grads:
                logits.retain_grad()
            loss = compute_loss(logits, yb, cfg.output_activation)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if sample_grads:
                since.grads.append(probes.grad_sums(weights, logits.grad))
            optimizer.step()
            step += 1
            samples += len(idx)
            since.add(loss, logits, yb)

            if step % record_every == 0 or step == total_steps:
                last = step == total_steps
                values = measure(full_test=last, check=True)
                if values is None:  # the loss or a weight is no longer finite
                    reason = _divergence(cfg, since.losses, since.logits, weights, step - len(since.losses))
                    values = measure(full_test=True)
                    if not all(bool(torch.isfinite(w).all()) for w in weights):
                        # A model with infinite or NaN weights answers nothing: its "accuracy" would
                        # be whatever argmax makes of NaN (0 or a class's share), drawn as a real point.
                        values.update(test_loss=math.nan, test_correct=math.nan)
                        if data.regression:
                            values["sse"] = [math.nan] * data.n_outputs
                    yield emit(values, "diverged", reason)
                    return
                yield emit(values, "done" if last else "running")


def _measure(
    model: MLP,
    cfg: RunConfig,
    compute_loss: Callable,
    data: _Data,
    since: _SinceLastRecord,
    full_test: bool,
    check_weights: list[torch.Tensor] | None = None,
) -> dict[str, Any] | None:
    """Every number of a record, by name, from one read of the device.

    With `check_weights`, None instead when the loss or one of these weights is not finite:
    their largest |w| is read with the rest, so that the check costs no read of its own.
    """
    parts, grads = since.parts(data.x_eval.device, data.regression)
    held_out, n_examples, n_outputs = _evaluate(model, cfg, compute_loss, data, full_test)
    parts.update(held_out)
    if grads is not None:
        parts["grads"] = grads.flat
    if check_weights is not None:
        parts["weight_max_abs"] = torch._foreach_norm(check_weights, math.inf)
    values = _read(parts)
    if check_weights is not None and not all(
        math.isfinite(v) for v in [values["loss"], *values["weight_max_abs"]]
    ):
        return None
    if grads is not None:
        values.update(grads.unpack(values.pop("grads")))
    return {**values, "test_examples": n_examples, "out_total": n_outputs}


def _per_layer(units: list[float] | None, bounds: list[tuple[int, int]], per_unit: int) -> list[float]:
    """Per hidden layer, its units' counts summed over the count possible: [] when not measured."""
    if units is None:
        return []
    return [sum(units[a:b]) / (per_unit * (b - a)) for a, b in bounds]


def _unit_bounds(model: MLP) -> list[tuple[int, int]]:
    """Each hidden layer's units (first, past the last) in probes.unit_counts, layers side by side."""
    widths = [linear.out_features for linear in model.linears][:-1]
    starts = [sum(widths[:i]) for i in range(len(widths) + 1)]
    return list(zip(starts, starts[1:]))


def _fields(
    values: dict[str, Any], model: MLP, bounds: list[tuple[int, int]], n_eval: int, seen: int
) -> Record:
    """The measured fields of a record, from `_measure`'s values (docs/metrics.md)."""
    return {
        "loss": values["loss"],
        **_scores(values, seen),
        "test_examples": values["test_examples"],
        "out_below": int(values["out_below"]),
        "out_above": int(values["out_above"]),
        "out_total": values["out_total"],
        "out_rows": int(values["out_rows"]),
        "weak_frac": _per_layer(values.get("weak_units"), bounds, n_eval),
        "off_frac": _per_layer(values.get("off_units"), bounds, n_eval),
        "dead_frac": _per_layer(values.get("dead_units"), bounds, 1),
        "layer_names": list(model.layer_names),
    }


def _scores(values: dict[str, Any], seen: int) -> Record:
    """How right the network is: a classification's accuracy on the training steps since the last
    record and on held-out examples; a regression's held-out mean squared error and R² instead (a
    number is never exactly right, so there is no accuracy to count)."""
    if "sse" in values:
        return {
            "test_loss": values["test_loss"],
            "test_mse": sum(values["sse"]) / values["out_total"],  # out_total: examples × outputs
            "test_r2": probes.r2_score(values["sse"], values["sst"]),
        }
    return {
        "train_acc": values["train_correct"] / seen if seen else math.nan,
        "test_loss": values["test_loss"],
        "test_acc": values["test_correct"] / values["test_examples"],
    }


def _grad_fields(values: dict[str, Any], weights: list[torch.Tensor]) -> Record:
    """The gradient fields of a record, from the sizes averaged over the sampled steps."""
    return {
        "grad_norm": values["grad_norm"],
        "grad_mean_abs": [total / w.numel() for total, w in zip(values["grad_l1"], weights)],
        "grad_max_abs": values["grad_max_abs"],
        "out_push": values["out_push"],
    }


def _read(parts: dict[str, torch.Tensor | Sequence[torch.Tensor]]) -> dict[str, Any]:
    """Every part as Python numbers, under its name: a 0-dim tensor as a float, a 1-dim tensor
    or a sequence of 0-dim ones as a list of floats.

    On the CPU each is read on its own (a read costs next to nothing there, and joining
    tensors of mixed dtypes costs more than all the reads together); on a GPU every read
    waits for the device, so they are joined first and read in one go (`_read_joined`).
    """
    first = next(iter(parts.values()), None)
    if first is not None and not isinstance(first, torch.Tensor):
        first = first[0] if first else None
    if first is not None and first.device.type != "cpu":
        return _read_joined(parts)
    values: dict[str, Any] = {}
    for name, part in parts.items():
        if not isinstance(part, torch.Tensor):
            values[name] = [float(t.item()) for t in part]
        else:
            values[name] = part.double().tolist() if part.dim() else float(part.item())
    return values


def _read_joined(parts: dict[str, torch.Tensor | Sequence[torch.Tensor]]) -> dict[str, Any]:
    """`_read` with a single read: every part joined into one float64 vector, split by name."""
    pieces = {name: p if isinstance(p, torch.Tensor) else torch.stack(p) for name, p in parts.items()}
    flat = torch.cat([t.reshape(-1).double() for t in pieces.values()]).tolist()
    values: dict[str, Any] = {}
    at = 0
    for name, t in pieces.items():
        values[name] = flat[at : at + t.numel()] if t.dim() else flat[at]
        at += t.numel()
    return values


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
    model: MLP, cfg: RunConfig, compute_loss: Callable, data: _Data, full: bool
) -> tuple[dict[str, torch.Tensor], int, int]:
    """Held-out metrics, output range counts and hidden-layer probes, from one forward pass.

    Intermediate records use a fixed, evenly spaced sample of the held-out split
    (EVAL_SAMPLE examples, `data.x_eval`) so that evaluation costs little; the last record uses
    all of it for the loss, the accuracy and the output counts (the hidden-layer probes stay on
    the sample). Returns the named device tensors (``test_loss``; ``test_correct``, or for a
    regression the probes.fit_sums ``sse`` and ``sst``; the
    probes.out_of_range_counts and the probes.unit_counts), the examples used and the outputs
    looked at.

    The model is not switched to eval mode: an MLP has no layer that behaves differently
    in training (no dropout, no batch norm), and switching costs a walk over every module.
    """
    logits, pre, post = model.forward_layers(data.x_eval)
    labels = data.y_eval
    if full and len(data.x_eval) < len(data.x_test):
        x_test = data.x_test
        chunks = [model(features(x_test[i : i + 4096])) for i in range(0, len(x_test), 4096)]
        logits, labels = torch.cat(chunks), data.y_test
    outputs = model.activate(logits)
    if activations.get(cfg.output_activation).probabilities:
        # Sigmoid and softmax outputs lie in [0, 1] in floating point too (1 / (1 + e^−z) ≤ 1, and
        # e^z_i / Σ_j e^z_j ≤ 1 since a sum of positive numbers is never below one of them):
        # nothing to count.
        zero = torch.zeros((), dtype=torch.long, device=logits.device)
        out_range = {"out_below": zero, "out_above": zero, "out_rows": zero}
    else:
        out_range = probes.out_of_range_counts(outputs)
    if data.regression:  # how close the numbers are: squared errors and the targets' spread
        score = probes.fit_sums(outputs, labels)
    else:
        score = {"test_correct": probes.accuracy_count(logits, labels)}
    parts = {
        "test_loss": compute_loss(logits, labels, cfg.output_activation),
        **score,
        **out_range,
        **(probes.unit_counts(cfg.hidden_activation, pre, post) if pre else {}),
    }
    return parts, len(labels), logits.numel()  # the outputs looked at: one per logit
