"""The command line, run as a user runs it: a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.local_servers import SHARED_MNIST
from nnexplore.config import RunConfig
from nnexplore.training import expected_records

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnexplore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", [[], ["train"], ["data"]])
def test_help_answers_without_loading_torch(command):
    """--help lists every flag (argparse formats help with %, so "80%" must not break it) and needs no torch."""
    code = (
        "import runpy, sys; sys.argv = ['nnexplore', *sys.argv[1:], '--help']\n"
        "try:\n    runpy.run_module('nnexplore', run_name='__main__')\n"
        "except SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *command], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage: python -m nnexplore" in result.stdout
    if command == ["train"]:
        words = " ".join(result.stdout.split())
        assert "--train-size" in words and "80% are used for training" in words


def test_a_regression_trains_with_its_recipe_and_prints_its_error_and_r2():
    result = cli("train", "--dataset", "sine", "--hidden", "8", "--epochs", "2", "--records-per-epoch", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:6] == ["step", "epoch", "loss", "test", "mse", "test"] and "R²" in lines[0]
    assert lines[-1].endswith("done") and "%" in lines[-1].split()[-2]  # only the outside share in %
    refused = cli("train", "--dataset", "sine", "--loss", "cross_entropy")
    assert refused.returncode == 2 and "sine is a regression" in refused.stderr


def test_devtools_are_not_product_commands():
    result = cli("bench")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_train_prints_a_table_ending_done():
    result = cli("train", "--dataset", "moons", "--hidden", "8", "--epochs", "2", "--records-per-epoch", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["step", "epoch", "loss"]
    cfg = RunConfig(hidden=(8,), epochs=2, records_per_epoch=2)
    assert len(lines) == 1 + expected_records(cfg, 800) and lines[-1].endswith("done")


def test_train_jsonl_gives_one_record_per_line(tmp_path):
    out = tmp_path / "run.jsonl"
    result = cli("train", "--epochs", "1", "--records-per-epoch", "3", "--seed", "4", "--jsonl", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    n = expected_records(RunConfig(epochs=1, records_per_epoch=3), 800)
    assert [r["status"] for r in records] == ["running"] * (n - 1) + ["done"]
    stdout = cli("train", "--epochs", "1", "--records-per-epoch", "3", "--seed", "4", "--jsonl", "-").stdout
    again = [json.loads(line) for line in stdout.splitlines()]
    assert [r["test_acc"] for r in again] == [r["test_acc"] for r in records]  # same seed, same numbers


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "--lr", "banana"], "Learning rate (lr) got 'banana'"),
        (["train", "--bogus", "1"], "unrecognized arguments"),
        (
            [
                "train",
                "--dataset",
                "mnist",
                "--hidden",
                "1024,1024,1024",
                "--epochs",
                "50",
                "--train-size",
                "60000",
            ],
            "shared server",
        ),
        (["fly"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, words):
    result = cli(*args)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_diverging_run_says_why():
    result = cli("train", "--output-activation", "none", "--epochs", "1")
    assert result.stdout.strip().splitlines()[-1].endswith("diverged")
    assert "log(output)" in result.stderr


@pytest.mark.skipif(not SHARED_MNIST.exists(), reason="../shared/mnist is not present")
def test_data_mnist_downloads_and_verifies_from_a_mirror(tmp_path, mnist_mirror):
    env = {
        "NNEXPLORE_DATA_DIR": str(tmp_path),
        "NNEXPLORE_MNIST_MIRRORS": mnist_mirror,
        "NO_PROXY": "127.0.0.1",
    }
    result = cli("data", "mnist", "--test-only", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("verified") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]


def test_data_mnist_offline_is_a_plain_message(tmp_path):
    env = {"NNEXPLORE_DATA_DIR": str(tmp_path), "NNEXPLORE_MNIST_MIRRORS": "http://127.0.0.1:9/"}
    result = cli("data", "mnist", env=env)
    assert result.returncode == 2
    assert "NNEXPLORE_DATA_DIR" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
