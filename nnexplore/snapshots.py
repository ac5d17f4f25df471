"""Snapshots of a model taken beside training: small tables for the live charts.

A record holds numbers; some charts need the model itself (the decision
regions of a 2-D problem, the fitted curve or surface of a regression, the
current output values, test digits with their predictions). The training process calls `model_view` at record points (a few
times a second at most, see nnexplore.runs.child) and sends back only the small
tables it returns, so the page never touches the model while it trains. A
finished MNIST run's last view also carries its weights (`final_weights`), so
the server can read a learner's own drawing with it in numpy (nnexplore.drawing).

Tables are plain column dicts of numpy arrays, not DataFrames: the training
processes never import pandas (about 60 MB each), and the page turns them
into DataFrames when it draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nnexplore.losses import loss_fn
from nnexplore.model import apply_output
from nnexplore.moments import frame_of
from nnexplore.training import features

GRID = 60  # decision-region and fitted-surface grid resolution (GRID × GRID points)
# The fitted curve of a 1-D regression: its prediction at this many evenly spaced x, enough for a
# smooth line across a 460 px wide plot (a point every 2 to 3 px), 400 bytes a moment as float16.
CURVE_POINTS = 200
MAX_OUTPUT_VALUES = 4000  # output entries kept for the histogram
DIGITS = 36  # test digits shown with their predictions
BATCH = 64  # test examples whose output-layer gradient is kept (gradient check, distribution)
# Test examples in the "who gets pushed" picture: at 256 a run's dots and its binned mean line are
# readable, and even a network that is right 95% of the time still shows a dozen mistakes.
PUSHES = 256
# Hidden-unit pictures: 25 × 25 points show a unit's shape (TF Playground's thumbnails use 10 × 10)
# at 1/6 of the decision grid's 3,600 points; 32 units are 8 columns × 4 rows on a 1400 px page.
UNIT_GRID = 25
MAX_UNITS = 32
# float16 halves what crosses the pipe (a 4 × 128 net's unit grids: about 160 kB, not 320 kB); an
# exact 0 stays 0 (dead units), and its 3 significant digits are more than a colour can show.
UNIT_DTYPE = torch.float16

Columns = dict[str, np.ndarray]


@torch.no_grad()
def model_view(model: Any, dataset: Any, cfg: Any, record: dict) -> dict[str, Any]:
    """Small tables for the live charts, and with a record marked ``"frame"`` its timeline frame.

    The confusion matrix (a pass over the whole test set) comes with the last record and
    with the timeline's frames only. A regression (``dataset.num_classes`` 0) has no classes
    to push or to draw regions of: its view holds the fit instead (``regression_view``). A
    finished MNIST run's view (the last record's) also has its ``"weights"``
    (``final_weights``), for reading a learner's drawing; live views do not.
    """
    device = next(model.parameters()).device
    x_test = dataset.x_test.reshape(len(dataset.x_test), -1)
    outputs_per_example = max(1, int(dataset.num_classes))  # a regression: one number
    pick = torch.linspace(
        0, len(x_test) - 1, min(len(x_test), MAX_OUTPUT_VALUES // outputs_per_example)
    ).long()
    outputs = model.predict_proba(features(x_test[pick]).to(device)).cpu()
    view: dict[str, Any] = {
        "step": record["step"],
        "epoch": record.get("epoch"),
        "outputs": outputs.flatten().numpy(),
    }
    if int(dataset.num_classes) == 0:
        view.update(regression_view(model, dataset, device))
    else:
        gradient = output_gradient(model, dataset, cfg, device, n=PUSHES)  # one backward pass, two views
        view.update(first_examples(gradient, BATCH), pushes=pushes(gradient, cfg.output_activation))
    if x_test.shape[1] == 2 and "surface" not in view:
        view["grid"] = decision_grid(model, dataset, device)
        view["points"] = data_points(dataset)  # here, so that the server needs no torch to draw them
        view["units"] = unit_grids(model, dataset, device)
    if x_test.shape[1] == 784:
        view["digits"] = digit_predictions(model, dataset, device)
        if record["status"] != "running" or record.get("frame"):  # the last record, or a frame
            view["confusion"] = confusion(model, dataset, device)
        if record["status"] != "running":  # the last record only: the network that is finished
            # 784-128-10 is 101,770 floats, about 400 kB: sent once, and counted by the run store
            # (nnexplore.runs.store.estimate_bytes pickles the view). frame_of leaves it out.
            view["weights"] = final_weights(model)
    if record.get("frame"):
        view["frame"] = frame_of(view)
    if record["status"] == "running":
        view.pop("confusion", None)  # a live page shows the matrix once the run ends; frames keep theirs
    return view


def regression_view(model: Any, dataset: Any, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A regression's pictures: what the network predicts over the whole input, under the data.

    One input (sine): ``curve``, the prediction at CURVE_POINTS evenly spaced x over the data and
    a margin (columns x, prediction), and ``points`` (x, y: the target, split). Two inputs
    (surface): ``surface``, the prediction on the GRID × GRID grid of the decision regions
    (x, y, prediction), ``points`` (x, y, target, split) and the hidden ``units`` over the same
    plane. The prediction is the first output, after the output activation: the number the
    network answers, which a sigmoid keeps inside (0, 1) whatever the target.
    """
    if dataset.x_test.shape[1] == 1:
        return {"curve": fit_curve(model, dataset, device), "points": data_points(dataset)}
    return {
        "surface": fit_surface(model, dataset, device),
        "points": data_points(dataset),
        "units": unit_grids(model, dataset, device),
    }


@torch.no_grad()
def fit_curve(model: Any, dataset: Any, device: torch.device | str = "cpu", n: int = CURVE_POINTS) -> Columns:
    """A 1-input regression's prediction at n evenly spaced x from the data's smallest x to its
    largest, each widened by the same margin as the decision regions' plane (columns x, prediction)."""
    x = torch.cat([dataset.x_train, dataset.x_test]).float()[:, 0]
    xs = torch.linspace(float(x.min()) - MARGIN, float(x.max()) + MARGIN, n)
    prediction = model.predict_proba(xs.unsqueeze(1).to(device)).cpu()[:, 0]
    return {"x": xs.numpy(), "prediction": prediction.numpy()}


@torch.no_grad()
def fit_surface(model: Any, dataset: Any, device: torch.device | str = "cpu", n: int = GRID) -> Columns:
    """A 2-input regression's prediction on an n × n grid over the data's plane, the decision
    regions' grid (columns x, y, prediction; x fastest)."""
    points = _plane_grid(dataset, n)
    prediction = model.predict_proba(points.to(device)).cpu()[:, 0]
    return {"x": points[:, 0].numpy(), "y": points[:, 1].numpy(), "prediction": prediction.numpy()}


def final_weights(model: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The network's layers as numpy (W, b) pairs, input side first: float32 copies on the CPU.

    W has shape (out, in), as torch's ``nn.Linear`` stores it, so a layer computes
    x @ W.T + b. Plain arrays, because the server that runs them (nnexplore.drawing) has no torch.
    """
    return [
        (
            linear.weight.detach().to("cpu", torch.float32).numpy().copy(),
            linear.bias.detach().to("cpu", torch.float32).numpy().copy(),
        )
        for linear in model.linears
    ]


def output_gradient(
    model: Any, dataset: Any, cfg: Any, device: torch.device | str = "cpu", n: int = BATCH
) -> dict:
    """One test batch's logits and labels, and each entry's ∂loss/∂z at the output layer.

    The gradient is taken with autograd through the run's own output
    activation and loss, per example (times the batch size, since the loss is
    a batch mean), so the lesson can show o − t for softmax + cross-entropy and
    2(o − t)·o·(1 − o) for sigmoid + MSE as they really occur in training.
    """
    x = features(dataset.x_test[:n].reshape(min(n, len(dataset.x_test)), -1)).to(device)
    labels = dataset.y_test[:n].to(device)
    with torch.enable_grad():
        z = model(x).detach().requires_grad_()
        target = torch.nn.functional.one_hot(labels, int(dataset.num_classes)).float()
        loss_fn(cfg.loss)(z, target, cfg.output_activation).backward()
    return {
        "logits": z.detach().cpu().numpy(),
        "labels": labels.cpu().numpy(),
        "out_grad": (z.grad * len(z)).cpu().flatten().numpy(),
    }


def first_examples(gradient: dict, n: int) -> dict:
    """An ``output_gradient`` result cut to its first n examples (its ``out_grad`` is flat, row by row).

    The per-example gradient does not depend on how many examples were taken (it is scaled back
    by the batch size), so this is what ``output_gradient(..., n=n)`` returns, up to float32
    rounding of that scale (about 1e-8 on gradients of size 0.3).
    """
    k = gradient["logits"].shape[1]
    return {
        "logits": gradient["logits"][:n],
        "labels": gradient["labels"][:n],
        "out_grad": gradient["out_grad"][: n * k],
    }


#: Parts of a run's first snapshot that every later snapshot carries too, as "first_<name>":
#: "who gets pushed" teaches by how the pushes change from the start, and a short run (the
#: why-log card's take about 2 s) is over before a learner has looked at its first picture.
KEEP_FIRST = ("pushes",)


def with_first(view: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """``view`` plus the KEEP_FIRST parts of the run's first snapshot ``first``, as first_<name>."""
    return {**view, **{f"first_{name}": first[name] for name in KEEP_FIRST if name in first}}


def pushes(gradient: dict, output_activation: str) -> Columns:
    """Per test example: the output the network gives the right class, and how hard it is pushed.

    Columns ``p_right`` (the right class's output after the run's output activation: a
    probability for softmax and sigmoid, a raw number with none) and ``push`` (|∂loss/∂z| of the
    right class's pre-activation z, per example, from ``output_gradient``). With softmax +
    cross-entropy the push is exactly 1 − p_right: the more confidently wrong, the harder the
    push. With squared error the squashing function's slope multiplies it, so a confidently
    wrong example is barely pushed; this is the lesson's picture of why the log helps.
    """
    logits, labels = gradient["logits"], gradient["labels"]
    rows = np.arange(len(labels))
    outputs = apply_output(output_activation, torch.from_numpy(logits)).numpy()
    grad = gradient["out_grad"].reshape(logits.shape)
    return {"p_right": outputs[rows, labels], "push": np.abs(grad[rows, labels])}


#: How far the pictures of the whole input reach beyond the data, on every side.
MARGIN = 0.5


def data_bounds(dataset: Any, margin: float = MARGIN) -> tuple[float, float, float, float]:
    x = torch.cat([dataset.x_train, dataset.x_test]).float()
    lo, hi = x.min(dim=0).values - margin, x.max(dim=0).values + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _plane_grid(dataset: Any, n: int) -> torch.Tensor:
    """n × n points evenly covering the data's plane and a margin, x fastest: shape (n·n, 2)."""
    x0, x1, y0, y1 = data_bounds(dataset)
    gx, gy = torch.meshgrid(torch.linspace(x0, x1, n), torch.linspace(y0, y1, n), indexing="xy")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


@torch.no_grad()
def decision_grid(model: Any, dataset: Any, device: torch.device | str = "cpu", n: int = GRID) -> Columns:
    """Predicted class and its probability on an n × n grid covering the data (columns x, y, cls, confidence)."""
    points = _plane_grid(dataset, n)
    out = model.predict_proba(points.to(device)).cpu()
    # With raw outputs the "confidence" is the largest output clipped to [0, 1]: still comparable.
    conf, cls = out.max(dim=1)
    return {
        "x": points[:, 0].numpy(),
        "y": points[:, 1].numpy(),
        "cls": cls.numpy(),
        "confidence": conf.clamp(0, 1).nan_to_num(0.0).numpy(),
    }


@torch.no_grad()
def unit_grids(
    model: Any,
    dataset: Any,
    device: torch.device | str = "cpu",
    n: int = UNIT_GRID,
    max_units: int = MAX_UNITS,
) -> dict[str, Any]:
    """Each hidden unit's output on an n × n grid over the same plane as the decision regions.

    The output is taken *after* the layer's activation, because that is what
    shows a unit's state: a dead ReLU unit is 0 everywhere, a saturated sigmoid
    unit is flat at 0 or 1, softmax units share a total of 1 at every point.
    One forward pass (``MLP.forward_hidden``) gives every layer's
    pre-activation; the layer's own activation module is applied to the whole
    layer (softmax needs every unit) before the first ``max_units`` are kept,
    so a wide layer costs no more to send than a 32-unit one.

    Returns ``x``, ``y`` (the n·n grid points, x fastest, as decision_grid),
    ``layers`` (names), ``widths`` (units in each layer) and ``values`` (per
    layer a float32 array of shape (units kept, n·n)). A net without hidden
    layers has empty lists.
    """
    points = _plane_grid(dataset, n)
    _, pre = model.forward_hidden(points.to(device))
    outputs = [act(z) for act, z in zip(model.acts, pre)]
    return {
        "x": points[:, 0].numpy(),
        "y": points[:, 1].numpy(),
        "layers": list(model.layer_names[: len(pre)]),
        "widths": [int(z.shape[1]) for z in pre],
        "values": [out[:, :max_units].T.contiguous().to(UNIT_DTYPE).cpu().numpy() for out in outputs],
    }


def data_points(dataset: Any, max_points: int = 1000) -> Columns:
    """The toy problem's points for its picture (columns x, y, split and): a classification's
    ``label``; a 2-input regression's ``target``; a 1-input regression's target is its ``y``."""
    x = torch.cat([dataset.x_train, dataset.x_test]).numpy()
    label = torch.cat([dataset.y_train, dataset.y_test]).numpy()
    split = np.array(["train"] * len(dataset.x_train) + ["test"] * len(dataset.x_test))
    keep = np.arange(len(x))
    if len(x) > max_points:
        keep = np.linspace(0, len(x) - 1, max_points).astype(int)
    if int(dataset.num_classes) == 0 and x.shape[1] == 1:  # a curve: x across, the target up
        return {"x": x[keep, 0], "y": label[keep, 0], "split": split[keep]}
    if int(dataset.num_classes) == 0:
        return {"x": x[keep, 0], "y": x[keep, 1], "target": label[keep, 0], "split": split[keep]}
    return {"x": x[keep, 0], "y": x[keep, 1], "label": label[keep], "split": split[keep]}


@torch.no_grad()
def digit_predictions(
    model: Any, dataset: Any, device: torch.device | str = "cpu", n: int = DIGITS
) -> Columns:
    """The first n test digits with predicted label and confidence (columns pixels, pred, label, confidence)."""
    images = dataset.x_test[:n].reshape(n, -1)
    out = model.predict_proba(features(images).to(device)).cpu()
    conf, pred = out.max(dim=1)
    return {
        "pixels": list(features(images).numpy()),
        "pred": pred.numpy(),
        "label": dataset.y_test[:n].numpy(),
        "confidence": conf.nan_to_num(0.0).numpy(),
    }


@torch.no_grad()
def confusion(model: Any, dataset: Any, device: torch.device | str = "cpu") -> Columns:
    """Counts of (true, predicted) over the whole test set (columns true, pred, count)."""
    x_test = dataset.x_test.reshape(len(dataset.x_test), -1)
    preds = torch.cat(
        [
            model(features(x_test[i : i + 4096]).to(device)).argmax(dim=1).cpu()
            for i in range(0, len(x_test), 4096)
        ]
    )
    k = int(dataset.num_classes)
    counts = torch.bincount(dataset.y_test * k + preds, minlength=k * k).reshape(k, k)
    true, pred = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    return {"true": true.flatten(), "pred": pred.flatten(), "count": counts.flatten().numpy()}
