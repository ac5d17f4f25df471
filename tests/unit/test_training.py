"""The training loop: every combination, records, determinism, stop, divergence, real digits."""

import itertools
import json
import math
import threading

import numpy as np
import pytest
import torch

from devtools.local_servers import SHARED_MNIST
from nnexplore import RunConfig, train
from nnexplore.config import HIDDEN_ACTIVATIONS, LOSSES, MIN_STEPS_PER_RECORD, OUTPUT_ACTIVATIONS
from nnexplore.data import Dataset, make_toy, read_idx
from nnexplore.training import _read, _read_joined, expected_records, schedule

RECORD_FIELDS = {
    "step",
    "epoch",
    "samples",
    "elapsed_s",
    "total_steps",
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "test_examples",
    "out_below",
    "out_above",
    "out_total",
    "out_rows",
    "layer_names",
    "grad_norm",
    "grad_mean_abs",
    "grad_max_abs",
    "out_push",
    "weak_frac",
    "off_frac",
    "dead_frac",
    "status",
    "reason",
}


@pytest.fixture(scope="module")
def moons():
    return make_toy("moons", n_samples=400, noise=0.1, seed=0)


def small(**changes):
    return RunConfig(hidden=(8, 8), batch_size=32, epochs=1, records_per_epoch=2, device="cpu").replace(
        **changes
    )


@pytest.mark.parametrize(
    ("activation", "output", "loss"), list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, LOSSES))
)
def test_every_combination_trains_or_ends_with_a_clear_status(moons, activation, output, loss):
    cfg = small(hidden_activation=activation, output_activation=output, loss=loss)
    records = list(train(cfg, dataset=moons))
    last = records[-1]
    assert last["status"] in ("done", "diverged")
    if last["status"] == "diverged":
        assert "step" in last["reason"] and len(last["reason"]) > 30
    else:
        assert math.isfinite(last["loss"]) and 0 <= last["test_acc"] <= 1
    for record in records:
        assert set(record) == RECORD_FIELDS
        json.dumps(record)
        assert len(record["grad_norm"]) == 3 and len(record["dead_frac"]) == 2
        # off only where the activation switches off (ReLU), weak only where its slope can be small
        assert len(record["off_frac"]) == (2 if activation == "relu" else 0)
        assert len(record["weak_frac"]) == (0 if activation in ("relu", "linear") else 2)
    if output in ("softmax", "sigmoid"):
        assert last["out_below"] == 0 and last["out_above"] == 0


def test_records_fall_at_fixed_steps_and_last_has_full_test(moons):
    cfg = small(epochs=3, records_per_epoch=4)
    records = list(train(cfg, dataset=moons))
    assert len(records) == expected_records(cfg, len(moons.x_train))
    steps = [r["step"] for r in records]
    assert steps == sorted(steps) and steps[-1] == records[-1]["total_steps"] == 30
    assert [r["status"] for r in records] == ["running"] * (len(records) - 1) + ["done"]
    assert records[-1]["test_examples"] == len(moons.x_test)
    assert records[-1]["samples"] == 3 * len(moons.x_train)
    assert records[-1]["epoch"] == 3.0
    assert records[-1]["test_acc"] > 0.8


@pytest.mark.parametrize(
    ("batch_size", "records_per_epoch", "epochs", "steps"),
    [
        # 10 steps per epoch, 4 records asked for: at least MIN_STEPS_PER_RECORD (10) apart
        (32, 4, 3, [10, 20, 30]),
        # 25 steps per epoch (the last batch of each epoch is short): 10 apart, and the last at the end
        (13, 10, 2, [10, 20, 30, 40, 50]),
        # 40 steps per epoch: every 40 // 2 = 20 steps, as asked
        (8, 2, 2, [20, 40, 60, 80]),
        # 80 steps per epoch, 3 records: every 26 steps, and the last one at step 160
        (4, 3, 2, [26, 52, 78, 104, 130, 156, 160]),
        # fewer steps than the spacing: only the last record
        (320, 10, 3, [3]),
    ],
)
def test_records_follow_the_schedule(moons, batch_size, records_per_epoch, epochs, steps):
    cfg = small(batch_size=batch_size, records_per_epoch=records_per_epoch, epochs=epochs, hidden=(4,))
    n_train = len(moons.x_train)
    steps_per_epoch, record_every, _ = schedule(cfg, n_train)
    assert record_every == max(MIN_STEPS_PER_RECORD, steps_per_epoch // records_per_epoch)
    records = list(train(cfg, dataset=moons))
    assert [r["step"] for r in records] == steps
    assert len(records) == expected_records(cfg, n_train)
    # whole epochs, then whole batches (only an epoch's last batch is short)
    seen = [s // steps_per_epoch * n_train + s % steps_per_epoch * batch_size for s in steps]
    assert [r["samples"] for r in records] == seen and seen[-1] == epochs * n_train


def test_same_seed_same_records(moons):
    cfg = small(epochs=2, hidden_activation="tanh")

    def strip(records):
        return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in records]

    assert strip(train(cfg, dataset=moons)) == strip(train(cfg, dataset=moons))
    assert strip(train(cfg, dataset=moons)) != strip(train(cfg.replace(seed=1), dataset=moons))


def test_stop_ends_within_one_batch(moons):
    stop = threading.Event()
    cfg = small(epochs=5, batch_size=8, records_per_epoch=1)
    records = []
    for record in train(cfg, dataset=moons, stop=stop):
        records.append(record)
        stop.set()
    assert [r["status"] for r in records] == ["running", "stopped"]
    assert records[1]["step"] == records[0]["step"]  # not a single further batch
    assert "Stopped" in records[1]["reason"]
    assert records[1]["test_examples"] == len(moons.x_test)


def test_divergence_of_raw_outputs_with_cross_entropy_says_why(moons):
    records = list(train(small(output_activation="none", loss="cross_entropy"), dataset=moons))
    last = records[-1]
    assert last["status"] == "diverged"
    assert "step 1:" in last["reason"] and "log(output)" in last["reason"] and "≤ 0" in last["reason"]


def test_divergence_with_huge_learning_rate(moons):
    cfg = small(lr=10.0, optimizer="sgd", loss="mse", output_activation="none", epochs=5)
    last = list(train(cfg, dataset=moons))[-1]
    assert last["status"] == "diverged"
    assert "learning rate" in last["reason"]


def test_a_diverged_model_with_infinite_weights_reports_no_test_accuracy(moons):
    """Its argmax of NaN scores is no answer: the record says NaN, not 0% or one class's share, so
    the chart draws no point and the table no number. A model whose weights stayed finite (only
    the loss's log broke) is still measured."""
    import math

    blown = list(train(RunConfig(lr=10.0, optimizer="sgd", loss="mse", output_activation="none", epochs=5)))
    assert blown[-1]["status"] == "diverged" and "overflowed" in blown[-1]["reason"]
    assert math.isnan(blown[-1]["test_acc"]) and math.isnan(blown[-1]["test_loss"])
    log_broke = list(train(small(output_activation="none", loss="cross_entropy"), dataset=moons))[-1]
    assert log_broke["status"] == "diverged" and 0 <= log_broke["test_acc"] <= 1


def test_a_diverged_run_keeps_its_last_picture_from_before(moons):
    """No view of the diverged model: the last one, from a finite model, stays the run's picture."""
    from nnexplore.snapshots import model_view

    # lr 3 rather than 10: the loss overflows at step 26, after two records (they fall every 10 steps)
    cfg = small(lr=3.0, optimizer="sgd", loss="mse", output_activation="none", epochs=5, records_per_epoch=4)
    views = []
    records = list(
        train(cfg, dataset=moons, on_record=lambda m, r: views.append(model_view(m, moons, cfg, r)))
    )
    last = records[-1]
    assert last["status"] == "diverged" and len(records) > 2
    assert [v["step"] for v in views] == [r["step"] for r in records[:-1]]  # none of the diverged model
    picture = views[-1]
    assert picture["epoch"] == records[-2]["epoch"] < last["epoch"]
    for column in (picture["outputs"], picture["grid"]["confidence"], picture["pushes"]["push"]):
        assert np.isfinite(np.asarray(column, dtype=float)).all()


def test_on_record_sees_the_model(moons):
    seen = []
    records = list(
        train(small(), dataset=moons, on_record=lambda model, rec: seen.append((model, rec["step"])))
    )
    assert [s for _, s in seen] == [r["step"] for r in records]
    assert seen[0][0].predict_proba(moons.x_test[:3]).shape == (3, 2)


def test_any_object_with_dataset_attributes_works_and_never_loads(monkeypatch):
    import nnexplore.data

    monkeypatch.setattr(nnexplore.data, "load_dataset", lambda *a, **k: pytest.fail("must not load"))

    class Mine:
        x_train = torch.rand(64, 3)
        y_train = (x_train[:, 0] > 0.5).long()
        x_test = torch.rand(16, 3)
        y_test = (x_test[:, 0] > 0.5).long()
        num_classes = 2

    records = list(train(small(hidden=(4,)), dataset=Mine()))
    assert records[-1]["status"] == "done"
    assert records[-1]["layer_names"] == ["hidden 1", "output"]


def test_no_hidden_layer_is_logistic_regression(moons):
    last = list(train(small(hidden=()), dataset=moons))[-1]
    assert last["grad_norm"] and last["weak_frac"] == last["off_frac"] == last["dead_frac"] == []


def test_cuda_without_gpu_is_a_plain_error(moons):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        list(train(small(device="cuda"), dataset=moons))


@pytest.mark.skipif(not SHARED_MNIST.exists(), reason="../shared/mnist not present")
def test_real_digits_reach_85_percent_after_one_epoch_on_8000_images():
    x = read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    y = read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").long()
    ds = Dataset(x[:8000], y[:8000], x[8000:], y[8000:], 10, "mnist test split")
    cfg = RunConfig(dataset="mnist", hidden=(128, 64), lr=1e-3, batch_size=64, epochs=1, device="cpu")
    last = list(train(cfg, dataset=ds))[-1]
    assert last["status"] == "done"
    assert last["test_acc"] > 0.85
    assert last["test_examples"] == 2000


def test_the_joined_read_gives_the_same_numbers_by_name():
    """The GPU's single read (joined, then split by name) and the CPU's reads one by one agree."""
    parts = {
        "loss": torch.tensor(0.25, dtype=torch.float64),
        "count": torch.tensor(7),
        "per_unit": torch.tensor([True, False, True]),
        "sizes": torch.tensor([1.5, 2.5]),
        "checks": (torch.tensor(3.0), torch.tensor(-1.0)),
    }
    expected = {
        "loss": 0.25,
        "count": 7.0,
        "per_unit": [1.0, 0.0, 1.0],
        "sizes": [1.5, 2.5],
        "checks": [3.0, -1.0],
    }
    assert _read(parts) == _read_joined(parts) == expected


def test_relu_units_are_off_and_sigmoid_ones_weak_in_real_records(moons):
    relu = list(train(small(hidden_activation="relu"), dataset=moons))[-1]
    assert relu["weak_frac"] == [] and all(0 < f < 1 for f in relu["off_frac"])
    assert all(
        0 <= d <= f for d, f in zip(relu["dead_frac"], relu["off_frac"])
    )  # dead units are off throughout
    softmax = list(train(small(hidden_activation="softmax", hidden=(32,)), dataset=moons))[-1]
    assert softmax["off_frac"] == [] and softmax["weak_frac"][0] > 0.5


def test_out_push_of_softmax_cross_entropy_is_twice_the_missing_probability(moons):
    """At the start every answer is near ½ for two classes: the push 2(1 − p) is near 1."""
    first = next(iter(train(small(hidden=(4,), lr=1e-5), dataset=moons)))
    assert first["out_push"] == pytest.approx(1.0, abs=0.1)


def test_every_record_field_is_in_docs_metrics(moons):
    """docs/metrics.md says what each field of a record measures: every key of a real record is there."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text()
    record = list(train(small(), dataset=moons))[-1]
    missing = [key for key in record if f"`{key}`" not in doc]
    assert not missing, f"docs/metrics.md does not describe {missing}"


# --- regression: test_mse and test_r2 instead of accuracy (docs/metrics.md) ---

REGRESSION_FIELDS = (RECORD_FIELDS - {"train_acc", "test_acc"}) | {"test_mse", "test_r2"}


@pytest.fixture(scope="module")
def sine():
    return make_toy("sine", n_samples=600, noise=0.1, seed=0)


def sklearn_r2(targets: np.ndarray, predictions: np.ndarray) -> float:
    """scikit-learn's r2_score, written out: 1 − Σ (t − o)² / Σ (t − t̄)², t̄ the targets' mean."""
    return 1 - float(((targets - predictions) ** 2).sum()) / float(((targets - targets.mean()) ** 2).sum())


def test_r2_by_hand_a_constant_at_the_mean_scores_0_and_a_perfect_fit_1():
    from nnexplore.probes import fit_sums, r2_score

    t = torch.tensor([[1.0], [2.0], [3.0], [4.0]])

    def r2(o: torch.Tensor) -> float:
        sums = fit_sums(o, t)
        return r2_score(sums["sse"].tolist(), sums["sst"].tolist())

    assert r2(torch.full_like(t, 2.5)) == pytest.approx(0.0)  # the mean, everywhere
    assert r2(t.clone()) == pytest.approx(1.0)
    # SSE = 1 (one answer off by 1), SST = 2.25 + 0.25 + 0.25 + 2.25 = 5: R² = 1 − 1/5
    assert r2(torch.tensor([[1.0], [2.0], [3.0], [5.0]])) == pytest.approx(0.8)
    assert r2(torch.full_like(t, 0.0)) == pytest.approx(1 - 30 / 5)  # worse than the mean: below 0
    assert sklearn_r2(t.numpy(), np.array([[1.0], [2.0], [3.0], [5.0]])) == pytest.approx(0.8)
    assert math.isnan(r2_score([1.0], [0.0]))  # targets that do not vary: nothing to explain


def test_a_regression_record_has_mse_and_r2_instead_of_accuracy(sine):
    records = list(train(small(dataset="sine", output_activation="none", loss="mse"), dataset=sine))
    assert all(set(record) == REGRESSION_FIELDS for record in records)
    assert records[-1]["status"] == "done" and records[-1]["test_examples"] == len(sine.x_test)
    assert records[-1]["out_total"] == len(sine.x_test)  # one output per example


def test_test_mse_and_r2_are_numpys_on_the_models_own_predictions(sine):
    """At the last record (the whole held-out split) and at an earlier one (the 500-example sample,
    here all 120 test points), the record's numbers are numpy's on what the model predicts."""
    cfg = small(dataset="sine", output_activation="none", loss="mse", epochs=5, hidden=(16, 16))
    checked = []

    def check(model, record):
        predictions = model.predict_proba(sine.x_test).numpy().astype(float)
        targets = sine.y_test.numpy().astype(float)
        assert record["test_mse"] == pytest.approx(float(((predictions - targets) ** 2).mean()), rel=1e-5)
        assert record["test_r2"] == pytest.approx(sklearn_r2(targets, predictions), rel=1e-5, abs=1e-6)
        assert record["test_mse"] == pytest.approx(record["test_loss"], rel=1e-5)  # one output: the loss
        checked.append(record["test_r2"])

    list(train(cfg, dataset=sine, on_record=check))
    assert len(checked) > 2 and checked[-1] > 0.8  # it learns the curve


def test_a_sigmoid_output_cannot_reach_the_negative_half_of_the_sine(sine):
    cfg = small(dataset="sine", output_activation="none", loss="mse", hidden=(16, 16), epochs=10)
    raw = list(train(cfg, dataset=sine))[-1]
    squeezed = list(train(cfg.replace(output_activation="sigmoid"), dataset=sine))[-1]
    assert squeezed["out_below"] == 0 and raw["out_below"] > 0
    assert raw["test_r2"] > 0.9 > 0.7 > squeezed["test_r2"]


def test_a_regression_record_is_in_docs_metrics(sine):
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text()
    record = list(train(small(dataset="sine", output_activation="none", loss="mse"), dataset=sine))[-1]
    assert not [key for key in record if f"`{key}`" not in doc]
