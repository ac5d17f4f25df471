"""MNIST: download from public mirrors, verify, cache, parse.

pooch does the hard parts: it streams each file to a temporary name in the
cache folder, checks the md5 and only then moves it into place, so the cache
never holds a half-written or wrong file; and a cached file whose hash no
longer matches is fetched again. This module adds the mirror list, a progress
callback the dashboard can hook, a plain-words error when nothing works, and a
per-process cache of the parsed tensors so every session shares one copy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pooch
import torch

from nnexplore.data.dataset import Dataset
from nnexplore.data.idx import read_idx

# pooch logs every download at INFO; the dashboard and CLI report for themselves.
pooch.get_logger().setLevel(logging.WARNING)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

# The md5 sums published with MNIST.
MD5: dict[str, str] = {
    TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
    TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
    TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
}
# Sizes in bytes, used to weight each file's share of the progress bar.
SIZES: dict[str, int] = {
    TRAIN_IMAGES: 9_912_422,
    TRAIN_LABELS: 28_881,
    TEST_IMAGES: 1_648_877,
    TEST_LABELS: 4_542,
}
ALL_FILES: tuple[str, ...] = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
TEST_FILES: tuple[str, ...] = (TEST_IMAGES, TEST_LABELS)

DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
ENV_DATA_DIR = "NNEXPLORE_DATA_DIR"
ENV_MIRRORS = "NNEXPLORE_MNIST_MIRRORS"
ENV_TEST_ONLY = "NNEXPLORE_MNIST_TEST_ONLY"

TEST_ONLY_TRAIN = 8_000  # of the 10,000 t10k images: first 8,000 train, last 2,000 test
TEST_ONLY_NAME = "mnist (test set split 8,000/2,000)"
DOWNLOAD_TIMEOUT_S = 30

Progress = Callable[[float, str], None]


class MnistUnavailable(Exception):
    """No mirror could deliver a verified copy of an MNIST file.

    The message is meant for the learner's screen: what failed, and how to fix it.
    ``file`` is the file that failed; ``attempts`` lists (mirror, short reason).
    """

    def __init__(self, message: str, file: str = "", attempts: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.file = file
        self.attempts = list(attempts)


def data_dir_path(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: the argument, else $NNEXPLORE_DATA_DIR, else the user cache."""
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or pooch.os_cache("nnexplore")
    return Path(data_dir).expanduser().resolve()


def mirror_list(mirrors: Iterable[str] | str | None = None) -> list[str]:
    """Base URLs to try, in order: the argument, else $NNEXPLORE_MNIST_MIRRORS, else defaults."""
    if mirrors is None:
        mirrors = os.environ.get(ENV_MIRRORS) or DEFAULT_MIRRORS
    if isinstance(mirrors, str):
        mirrors = mirrors.split(",")
    cleaned = [m.strip().rstrip("/") + "/" for m in mirrors if m.strip()]
    if not cleaned:
        raise ValueError("The MNIST mirror list is empty.")
    return cleaned


def _test_only_default(test_only: bool | None) -> bool:
    if test_only is not None:
        return bool(test_only)
    return os.environ.get(ENV_TEST_ONLY, "").strip().lower() in ("1", "true", "yes", "on")


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_valid(path: Path, name: str) -> bool:
    return path.is_file() and _md5(path) == MD5[name]


def mnist_is_cached(data_dir: str | os.PathLike[str] | None = None, test_only: bool = False) -> bool:
    """True when the needed files are in the cache folder with the right checksums."""
    folder = data_dir_path(data_dir)
    files = TEST_FILES if test_only else ALL_FILES
    return all(_is_valid(folder / name, name) for name in files)


class _ProgressAdapter:
    """The progress-bar protocol pooch's HTTPDownloader drives (total, update,
    reset, close), turned into calls of ``progress(fraction, message)`` over the
    whole set of files. Throttled to steps of 1% so a Streamlit callback is not
    flooded with one call per chunk."""

    def __init__(self, progress: Progress, done_before: int, weight: int, grand_total: int, label: str):
        self.progress = progress
        self.done_before = done_before
        self.weight = weight
        self.grand_total = grand_total
        self.label = label
        self.total = 0
        self.count = 0
        self._last = -1.0

    def _report(self, force: bool = False) -> None:
        share = min(self.count / self.total, 1.0) if self.total > 0 else 0.0
        fraction = (self.done_before + share * self.weight) / self.grand_total
        fraction = min(fraction, 1.0)
        if force or fraction - self._last >= 0.01:
            self._last = fraction
            self.progress(fraction, self.label)

    def update(self, n: int) -> None:
        self.count += n
        self._report()

    def reset(self) -> None:
        self.count = 0

    def close(self) -> None:
        self._report(force=True)


def _short_reason(exc: BaseException) -> str:
    """A few plain words for why one mirror failed."""
    import requests  # pooch's own dependency

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP error {exc.response.status_code}"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "could not connect"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "download cut short"
    if isinstance(exc, ValueError) and "hash" in str(exc).lower():
        return "wrong checksum: damaged or different file"
    return f"{type(exc).__name__}: {str(exc)[:80]}"


def _unavailable(
    name: str, attempts: list[tuple[str, str]], files: Sequence[str], folder: Path
) -> MnistUnavailable:
    tried = "; ".join(f"{url} ({why})" for url, why in attempts)
    needed = ", ".join(files)
    message = (
        f"Could not download the MNIST file {name}. Tried: {tried}. "
        f"To fix this, connect to the internet and try again, or set {ENV_DATA_DIR} "
        f"to a folder that holds the MNIST files ({needed}); the folder used now is {folder}. "
        "The toy problems work without MNIST."
    )
    return MnistUnavailable(message, file=name, attempts=attempts)


def fetch_mnist(
    files: Sequence[str] = ALL_FILES,
    data_dir: str | os.PathLike[str] | None = None,
    mirrors: Iterable[str] | str | None = None,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Make sure ``files`` are in the cache folder, verified; return their paths.

    Files already cached with the right md5 are not downloaded again. Each
    missing (or damaged) file is tried on each mirror in order. Raises
    MnistUnavailable when one file cannot be had from any mirror.
    """
    unknown = [f for f in files if f not in MD5]
    if unknown:
        raise ValueError(f"Not an MNIST file: {', '.join(unknown)}.")
    folder = data_dir_path(data_dir)
    bases = mirror_list(mirrors)
    grand_total = sum(SIZES[f] for f in files) or 1
    paths: dict[str, Path] = {}
    done = 0
    for name in files:
        target = folder / name
        if not _is_valid(target, name):
            attempts: list[tuple[str, str]] = []
            for base in bases:
                bar = None
                if progress is not None:
                    bar = _ProgressAdapter(progress, done, SIZES[name], grand_total, f"Downloading {name}")
                downloader = pooch.HTTPDownloader(
                    progressbar=bar if bar is not None else False,
                    timeout=DOWNLOAD_TIMEOUT_S,
                    chunk_size=1 << 16,
                )
                try:
                    pooch.retrieve(
                        url=base + name,
                        known_hash=f"md5:{MD5[name]}",
                        fname=name,
                        path=folder,
                        downloader=downloader,
                    )
                    break
                except Exception as exc:  # any failure means: try the next mirror
                    attempts.append((base, _short_reason(exc)))
            else:
                raise _unavailable(name, attempts, files, folder)
        done += SIZES[name]
        paths[name] = target
        if progress is not None:
            progress(done / grand_total, f"{name} ready")
    return paths


# Parsed tensors, one copy per (folder, test_only) per process, shared read-only
# by every session. A dict with a lock rather than functools.lru_cache so that
# two sessions asking at once parse the files once, and a failed download is
# not cached.
_ARRAYS: dict[tuple[str, bool], tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = {}
_ARRAYS_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the parsed tensors (tests use this to start clean)."""
    with _ARRAYS_LOCK:
        _ARRAYS.clear()


def _images(path: Path) -> torch.Tensor:
    images = read_idx(path)
    if images.dtype != torch.uint8 or images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
        raise ValueError(f"{path.name} does not hold 28x28 uint8 images.")
    return images.reshape(images.shape[0], 28 * 28)


def _labels(path: Path, count: int) -> torch.Tensor:
    labels = read_idx(path)
    if labels.dim() != 1 or labels.shape[0] != count:
        raise ValueError(f"{path.name} does not hold {count} labels.")
    return labels.to(torch.int64)


def _load_arrays(
    folder: Path, test_only: bool, mirrors: Iterable[str] | str | None, progress: Progress | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    key = (str(folder), test_only)
    with _ARRAYS_LOCK:
        if key in _ARRAYS:
            if progress is not None:
                progress(1.0, "MNIST already loaded")
            return _ARRAYS[key]
        files = TEST_FILES if test_only else ALL_FILES
        paths = fetch_mnist(files, data_dir=folder, mirrors=mirrors, progress=progress)
        x_test = _images(paths[TEST_IMAGES])
        y_test = _labels(paths[TEST_LABELS], x_test.shape[0])
        if test_only:
            cut = TEST_ONLY_TRAIN
            arrays = (x_test[:cut], y_test[:cut], x_test[cut:], y_test[cut:])
        else:
            x_train = _images(paths[TRAIN_IMAGES])
            y_train = _labels(paths[TRAIN_LABELS], x_train.shape[0])
            arrays = (x_train, y_train, x_test, y_test)
        _ARRAYS[key] = arrays
        return arrays


def load_mnist(
    train_size: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    mirrors: Iterable[str] | str | None = None,
    progress: Progress | None = None,
    test_only: bool | None = None,
) -> Dataset:
    """MNIST as a Dataset of uint8 (N, 784) images and int64 labels.

    Full MNIST: 60,000 train and 10,000 test images. With ``test_only`` (or
    $NNEXPLORE_MNIST_TEST_ONLY=1 when ``test_only`` is None) only the two t10k
    files are used, split into the first 8,000 for training and the last 2,000
    for testing. ``train_size`` keeps the first that many training images (a
    view of the shared tensor, not a copy).
    """
    only = _test_only_default(test_only)
    x_train, y_train, x_test, y_test = _load_arrays(data_dir_path(data_dir), only, mirrors, progress)
    if train_size is not None:
        if train_size < 1:
            raise ValueError(f"train_size must be at least 1, got {train_size}.")
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=10,
        name=TEST_ONLY_NAME if only else "mnist",
    )
