"""What importing the package loads: reading settings must not need torch (docs/architecture.md: the core needs no torch to read a setting)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["nnexplore.config", "nnexplore.activations", "nnexplore"])
def test_reading_settings_does_not_import_torch(module: str) -> None:
    code = f"import {module}, sys; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_package_train_is_the_function_whoever_imports_the_module_first() -> None:
    code = (
        "import nnexplore.training, nnexplore\n"
        "from nnexplore import train, load_dataset\n"
        "assert callable(train) and train is nnexplore.train, train\n"
        "assert train.__module__ == 'nnexplore.training' and callable(load_dataset)\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "code",
    [
        "import nnexplore.ui.pages.playground, nnexplore.ui.pages.experiments, nnexplore.ui.pages.theory",
        "from nnexplore.runs.store import auto_device; auto_device()",
    ],
)
def test_the_server_draws_the_navigation_and_keys_runs_without_torch(code: str) -> None:
    """The dashboard server trains nothing itself: its pages, and the run fingerprint's "auto"
    device, must not import torch (about 1 s of a one-core box and 150 MB; see nnexplore.runs.process)."""
    check = f"{code}\nimport sys; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_auto_device_told_from_torchs_files_is_the_one_torch_picks() -> None:
    import torch

    from nnexplore.runs.store import auto_device

    assert auto_device() == ("cuda" if torch.cuda.is_available() else "cpu")
