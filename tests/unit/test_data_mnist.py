"""IDX parsing and the MNIST download path, against a loopback mirror of the
real MNIST test files in /work/shared/mnist (no test touches the internet)."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from devtools.local_servers import dead_mirror_url, serve_folder
from nnexplore.data import MnistUnavailable, fetch_mnist, load_dataset, load_mnist, read_idx
from nnexplore.data import mnist as mnist_mod

SHARED = Path(
    os.environ.get("NNEXPLORE_TEST_MNIST", Path(__file__).resolve().parents[3] / "shared" / "mnist")
)
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
TEST_FILES = (IMAGES, LABELS)

pytestmark = pytest.mark.skipif(
    not (SHARED / IMAGES).is_file(), reason=f"MNIST test files not found in {SHARED}"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No env var leaks in, no proxy sits between us and loopback, no parsed
    tensors carry over between tests."""
    for var in ("NNEXPLORE_DATA_DIR", "NNEXPLORE_MNIST_MIRRORS", "NNEXPLORE_MNIST_TEST_ONLY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    mnist_mod.clear_cache()
    yield
    mnist_mod.clear_cache()


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir()
    return folder


# --- read_idx ---------------------------------------------------------------


def test_read_idx_real_files_gzipped() -> None:
    images = read_idx(SHARED / IMAGES)
    labels = read_idx(SHARED / LABELS)
    assert images.shape == (10000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10000,)
    assert labels.min() == 0 and labels.max() == 9
    assert torch.bincount(labels.long()).min() > 800  # every digit is there
    assert images.max() == 255 and images.min() == 0


def test_read_idx_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    plain = tmp_path / "labels.gz"  # misleading name, plain content
    plain.write_bytes(gzip.decompress((SHARED / LABELS).read_bytes()))
    zipped = tmp_path / "labels.idx"  # misleading name, gzipped content
    shutil.copy(SHARED / LABELS, zipped)
    assert torch.equal(read_idx(plain), read_idx(SHARED / LABELS))
    assert torch.equal(read_idx(zipped), read_idx(SHARED / LABELS))


def test_read_idx_big_endian_multibyte(tmp_path: Path) -> None:
    path = tmp_path / "ints.idx"
    path.write_bytes(
        b"\x00\x00\x0c\x02" + struct.pack(">II", 2, 3) + struct.pack(">6i", -1, 2, 3, 4, 5, 70000)
    )
    assert read_idx(path).tolist() == [[-1, 2, 3], [4, 5, 70000]]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x01\x02\x08\x01" + struct.pack(">I", 3) + b"abc", "not an IDX file"),
        (b"\x00\x00\x42\x01" + struct.pack(">I", 3) + b"abc", "unknown IDX element type"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 3), "cut short"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abc", "cut short"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"abc", "longer than its header"),
        (b"", "not an IDX file"),
    ],
)
def test_read_idx_malformed(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_idx(path)


def test_read_idx_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes((SHARED / LABELS).read_bytes()[:2000])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(path)


# --- download ---------------------------------------------------------------


def test_download_into_empty_cache(cache: Path) -> None:
    with serve_folder(SHARED) as url:
        paths = fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[url])
    assert set(paths) == set(TEST_FILES)
    assert sorted(p.name for p in cache.iterdir()) == sorted(TEST_FILES)
    for name, path in paths.items():
        assert path.read_bytes() == (SHARED / name).read_bytes()
    assert mnist_mod.mnist_is_cached(cache, test_only=True)
    assert not mnist_mod.mnist_is_cached(cache)  # the train files are missing


def test_cached_files_are_not_downloaded_again(cache: Path) -> None:
    seen: list[str] = []
    with serve_folder(SHARED, requests_seen=seen) as url:
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[url])
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[url])
    assert sorted(seen) == sorted(TEST_FILES)


def test_env_vars_choose_folder_and_mirrors(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_folder(SHARED) as url:
        monkeypatch.setenv("NNEXPLORE_DATA_DIR", str(cache))
        monkeypatch.setenv("NNEXPLORE_MNIST_MIRRORS", f"{dead_mirror_url()}, {url}")
        fetch_mnist(TEST_FILES)
    assert mnist_mod.mnist_is_cached(test_only=True)


def test_dead_first_mirror_then_good_one(cache: Path) -> None:
    with serve_folder(SHARED) as url:
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[dead_mirror_url(), url])
    assert mnist_mod.mnist_is_cached(cache, test_only=True)


def test_wrong_file_on_first_mirror_falls_back_to_second(cache: Path) -> None:
    wrong = {IMAGES: b"not mnist at all"}
    with serve_folder(SHARED, overrides=wrong) as bad, serve_folder(SHARED) as good:
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[bad, good])
    assert mnist_mod.mnist_is_cached(cache, test_only=True)


def test_checksum_mismatch_leaves_nothing_in_cache(cache: Path) -> None:
    data = bytearray((SHARED / IMAGES).read_bytes())
    data[5000] ^= 0xFF  # one flipped byte: same size, different md5
    with serve_folder(SHARED, overrides={IMAGES: bytes(data)}) as url:
        with pytest.raises(MnistUnavailable) as info:
            fetch_mnist([IMAGES], data_dir=cache, mirrors=[url])
    assert "wrong checksum" in str(info.value)
    assert info.value.file == IMAGES
    assert list(cache.iterdir()) == []  # no partial file, no temp file


def test_truncated_download_leaves_nothing_in_cache(cache: Path) -> None:
    size = (SHARED / IMAGES).stat().st_size
    with (
        serve_folder(SHARED, cut={IMAGES: size // 2}) as cut_url,
        serve_folder(SHARED, overrides={IMAGES: (SHARED / IMAGES).read_bytes()[: size // 3]}) as short_url,
    ):
        with pytest.raises(MnistUnavailable) as info:
            fetch_mnist([IMAGES], data_dir=cache, mirrors=[cut_url, short_url])
    assert cut_url in str(info.value) and short_url in str(info.value)
    assert "cut short" in str(info.value)
    assert len(info.value.attempts) == 2
    assert list(cache.iterdir()) == []


def test_offline_message_says_how_to_fix(cache: Path) -> None:
    dead = [dead_mirror_url(), dead_mirror_url()]
    with pytest.raises(MnistUnavailable) as info:
        load_mnist(data_dir=cache, mirrors=dead, test_only=True)
    message = str(info.value)
    assert "NNEXPLORE_DATA_DIR" in message and "internet" in message
    assert IMAGES in message and LABELS in message
    assert all(d in message for d in dead) and "could not connect" in message
    assert list(cache.iterdir()) == []


def test_offline_message_names_all_four_files_for_full_mnist(cache: Path) -> None:
    with pytest.raises(MnistUnavailable) as info:
        fetch_mnist(data_dir=cache, mirrors=[dead_mirror_url()])
    for name in mnist_mod.ALL_FILES:
        assert name in str(info.value)


def test_corrupt_cached_file_is_fetched_again(cache: Path) -> None:
    (cache / IMAGES).write_bytes(b"garbage from an old interrupted copy")
    shutil.copy(SHARED / LABELS, cache / LABELS)
    assert not mnist_mod.mnist_is_cached(cache, test_only=True)
    seen: list[str] = []
    with serve_folder(SHARED, requests_seen=seen) as url:
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[url])
    assert seen == [IMAGES]  # only the damaged one
    assert (cache / IMAGES).read_bytes() == (SHARED / IMAGES).read_bytes()


def test_progress_fractions_rise_to_one(cache: Path) -> None:
    calls: list[tuple[float, str]] = []
    with serve_folder(SHARED) as url:
        fetch_mnist(TEST_FILES, data_dir=cache, mirrors=[url], progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert len(fractions) > 5  # reported while downloading, not only at the end
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    assert all(isinstance(m, str) and m for _, m in calls)


# --- load_mnist ---------------------------------------------------------------


def test_load_mnist_test_only_split(cache: Path) -> None:
    with serve_folder(SHARED) as url:
        ds = load_mnist(data_dir=cache, mirrors=[url], test_only=True)
    assert ds.x_train.shape == (8000, 784) and ds.x_test.shape == (2000, 784)
    assert ds.x_train.dtype == torch.uint8 and ds.y_train.dtype == torch.int64
    assert ds.num_classes == 10 and ds.n_features == 784
    assert ds.name == "mnist (test set split 8,000/2,000)"
    images = read_idx(SHARED / IMAGES).reshape(10000, 784)
    assert torch.equal(ds.x_train, images[:8000]) and torch.equal(ds.x_test, images[8000:])
    assert set(ds.y_test.unique().tolist()) == set(range(10))


def test_load_mnist_is_shared_and_train_size_is_a_view(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNEXPLORE_MNIST_TEST_ONLY", "1")
    with serve_folder(SHARED) as url:
        full = load_mnist(data_dir=cache, mirrors=[url])
    # Second call: parsed tensors come from the process cache, no server needed.
    small = load_mnist(train_size=500, data_dir=cache, mirrors=[dead_mirror_url()])
    assert small.x_train.shape == (500, 784) and small.y_train.shape == (500,)
    assert small.x_train.data_ptr() == full.x_train.data_ptr()  # a view, not a copy
    assert small.x_test is full.x_test


def test_load_dataset_mnist(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNEXPLORE_MNIST_TEST_ONLY", "1")
    monkeypatch.setenv("NNEXPLORE_DATA_DIR", str(cache))
    calls: list[float] = []
    with serve_folder(SHARED) as url:
        monkeypatch.setenv("NNEXPLORE_MNIST_MIRRORS", url)
        cfg = SimpleNamespace(dataset="mnist", n_samples=1000, noise=0.1, seed=0, train_size=1234)
        ds = load_dataset(cfg, progress=lambda f, m: calls.append(f))
    assert ds.x_train.shape == (1234, 784)
    assert calls[-1] == pytest.approx(1.0)
