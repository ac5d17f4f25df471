"""The benchmark table: python -m devtools.bench [--quick] [--dashboard] [--class].

Everything is measured in one process, repetitions alternate between the two
sides of a comparison, and medians are reported: this machine is shared and
noisy, so only ratios taken side by side mean anything.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from devtools.local_servers import SHARED_MNIST
from nnexplore.config import RunConfig
from nnexplore.data import Dataset
from nnexplore.model import build_model
from nnexplore.training import resolve_device, train

THROUGHPUT_CFG = RunConfig(
    dataset="mnist",
    hidden=(128, 64),
    hidden_activation="relu",
    output_activation="softmax",
    loss="cross_entropy",
    optimizer="adam",
    lr=1e-3,
    batch_size=128,
    epochs=1,
    seed=0,
)
RECIPE = THROUGHPUT_CFG.replace(batch_size=64, epochs=3, train_size=60000)
PLAYGROUND_CFG = RunConfig(
    device="cpu"
)  # the Playground default: moons, 16-16 ReLU, Adam, batch 32, 20 epochs


def synthetic_mnist(n: int = 60000, seed: int = 0) -> Dataset:
    """Random uint8 images shaped like MNIST: throughput does not depend on what the pixels show."""
    g = torch.Generator().manual_seed(seed)
    return Dataset(
        x_train=torch.randint(0, 256, (n, 784), generator=g, dtype=torch.uint8),
        y_train=torch.randint(0, 10, (n,), generator=g),
        x_test=torch.randint(0, 256, (10000, 784), generator=g, dtype=torch.uint8),
        y_test=torch.randint(0, 10, (10000,), generator=g),
        num_classes=10,
        name="synthetic",
    )


def plain_loop(cfg: RunConfig, ds: Dataset, device: torch.device) -> float:
    """The same MLP, optimizer and batches in a bare PyTorch loop; returns samples/s."""
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, 784, 10).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x, y = ds.x_train.to(device), ds.y_train.to(device)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(cfg.seed)).to(device)
    _sync(device)
    start = time.perf_counter()
    for _ in range(cfg.epochs):
        for first in range(0, len(x), cfg.batch_size):
            idx = order[first : first + cfg.batch_size]
            loss = F.cross_entropy(model(x[idx].float().div_(255)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    _sync(device)
    return cfg.epochs * len(x) / (time.perf_counter() - start)


def engine_loop(cfg: RunConfig, ds: Dataset) -> float:
    """train() with every probe on; samples/s over the whole run.

    Everything counts: building the model, every record's evaluation and
    probes, and the final evaluation on the whole test set.
    """
    start = time.perf_counter()
    for record in train(cfg, dataset=ds):
        pass
    return record["samples"] / (time.perf_counter() - start)


def plain_playground(cfg: RunConfig, ds: Dataset) -> float:
    """The Playground default's steps in a bare PyTorch loop (same model, batches and order); CPU seconds."""
    start = time.thread_time()
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, ds.x_train.shape[1], int(ds.num_classes))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x, y = ds.x_train.float(), ds.y_train
    shuffle = torch.Generator().manual_seed(cfg.seed)
    for _ in range(cfg.epochs):
        order = torch.randperm(len(x), generator=shuffle)
        for first in range(0, len(x), cfg.batch_size):
            idx = order[first : first + cfg.batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.thread_time() - start


def engine_playground(cfg: RunConfig, ds: Dataset) -> float:
    """train() with every probe on the Playground default, model build and final evaluation included; CPU seconds."""
    start = time.thread_time()
    for _record in train(cfg, dataset=ds):
        pass
    return time.thread_time() - start


def playground_speed(reps: int) -> tuple[float, float]:
    """Median seconds of the plain loop and of train() on the Playground default, one thread, alternating.

    Timed in CPU seconds of this thread: one thread on the CPU never waits (no I/O, no GPU), so
    on an idle machine that is the wall time, and on this shared one other jobs do not count.
    """
    from nnexplore.data import load_dataset

    cfg = PLAYGROUND_CFG
    ds = load_dataset(cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        plain_playground(cfg, ds), engine_playground(cfg, ds)  # warm-up
        plain, engine = [], []
        for _ in range(reps):
            plain.append(plain_playground(cfg, ds))
            engine.append(engine_playground(cfg, ds))
    finally:
        torch.set_num_threads(threads)
    return statistics.median(plain), statistics.median(engine)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def throughput(device_name: str, reps: int) -> tuple[float, float]:
    """Median samples/s of the plain loop and of train(), alternating repetitions."""
    device = resolve_device(device_name)
    ds = synthetic_mnist()
    cfg = THROUGHPUT_CFG.replace(device=device_name)
    plain_loop(cfg, ds, device), engine_loop(cfg, ds)  # warm-up
    plain, engine = [], []
    for _ in range(reps):
        plain.append(plain_loop(cfg, ds, device))
        engine.append(engine_loop(cfg, ds))
    return statistics.median(plain), statistics.median(engine)


def recipe_data() -> tuple[Dataset | None, str]:
    """Full MNIST when it is cached; else the shared test set split 8,000/2,000, saying which."""
    from nnexplore.data.mnist import load_mnist, mnist_is_cached

    if mnist_is_cached():
        return None, "full MNIST (60,000 train / 10,000 test)"
    if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        return load_mnist(
            test_only=True, data_dir=SHARED_MNIST
        ), "MNIST test set split 8,000/2,000 (full MNIST not cached)"
    return synthetic_mnist(), "synthetic data (no MNIST available: accuracy is meaningless)"


def peak_memory_mb(full: bool) -> float:
    """Peak resident memory of a 1-epoch MNIST run in a fresh process (torch included)."""
    cmd = [
        sys.executable,
        "-m",
        "nnexplore",
        "train",
        "--dataset",
        "mnist",
        "--hidden",
        "128,64",
        "--lr",
        "0.001",
        "--batch-size",
        "64",
        "--epochs",
        "1",
        "--jsonl",
        os.devnull,
    ]
    env = dict(os.environ)
    if full:
        cmd += ["--train-size", "60000"]
    else:
        env.update(NNEXPLORE_MNIST_TEST_ONLY="1", NNEXPLORE_DATA_DIR=str(SHARED_MNIST))
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_bench(quick: bool = False) -> int:
    reps = 3 if quick else 7
    rows: list[tuple[str, str, str]] = []
    plain, engine = throughput("cpu", reps)
    rows.append(("plain PyTorch loop, CPU (784-128-64-10, Adam, batch 128)", f"{plain:,.0f} samples/s", ""))
    rows.append(("train() with every probe, CPU", f"{engine:,.0f} samples/s", ""))
    rows.append(("throughput ratio train()/plain, CPU", f"{engine / plain:.3f}", "target ≥ 0.90"))
    plain_s, engine_s = playground_speed(reps)
    rows.append(
        (
            "Playground default (moons 16-16 ReLU, Adam, batch 32, 20 epochs), train() with every probe "
            "/ plain loop, 1 thread (CPU time)",
            f"{plain_s / engine_s:.3f} ({engine_s:.2f} s / {plain_s:.2f} s)",
            "target ≥ 0.8",
        )
    )
    if torch.cuda.is_available():
        plain, engine = throughput("cuda", reps)
        rows.append(("plain PyTorch loop, CUDA", f"{plain:,.0f} samples/s", ""))
        rows.append(("train() with every probe, CUDA", f"{engine:,.0f} samples/s", ""))
        rows.append(("throughput ratio train()/plain, CUDA", f"{engine / plain:.3f}", "target ≥ 0.90"))
    else:
        rows.append(("throughput ratio, CUDA", "no GPU here", ""))

    ds, where = recipe_data()
    for epochs in (1, 3):
        cfg = RECIPE.replace(epochs=epochs, device="cpu")
        start = time.perf_counter()
        for record in train(cfg, dataset=ds):
            pass
        wall = time.perf_counter() - start
        target = "target ≥ 97% in < 10 s (full MNIST)" if epochs == 3 else ""
        rows.append(
            (
                f"default MNIST recipe, {epochs} epoch(s), on {where}",
                f"{record['test_acc']:.2%} in {wall:.1f} s",
                target,
            )
        )

    full = ds is None
    mem = peak_memory_mb(full)
    label = "full MNIST" if full else "MNIST test-set split"
    rows.append(
        (f"peak resident memory, 1-epoch {label} run (fresh process)", f"{mem:,.0f} MB", "target < 700 MB")
    )
    print(
        f"nnexplore bench · torch {torch.__version__} · {torch.get_num_threads()} threads · {os.cpu_count()} CPUs"
    )
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'result':>26} | target")
    print(f"|{'-' * (width + 2)}|{'-' * 28}|-------")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:>26} | {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.bench``: the engine table, or the live page's with ``--dashboard``."""
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description="Print a benchmark table.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (for a smoke test)")
    parser.add_argument(
        "--dashboard",
        action="store_true",
        help="benchmark the live page instead (needs chromium and Playwright)",
    )
    parser.add_argument(
        "--class",
        dest="classroom",
        action="store_true",
        help="the classroom load test both ways, app on one core: 30 learners on a worksheet of 6 links, "
        "then 30 distinct runs (about 3 minutes; pages without a browser, devtools/protocol_pages.py)",
    )
    args = parser.parse_args(argv)
    if args.classroom:
        from devtools.loadtest import run_load_test

        worksheet = run_load_test(sessions=30, mnist_sessions=1, links=6)
        distinct = run_load_test(sessions=30, mnist_sessions=5)
        return max(worksheet, distinct)
    if args.dashboard:
        from devtools.bench_dashboard import run_dashboard_bench

        return run_dashboard_bench(reps=2 if args.quick else 3)
    return run_bench(quick=args.quick)


if __name__ == "__main__":
    sys.exit(main())
