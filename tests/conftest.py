"""Shared fixtures: tiny generated IDX files, and the full MNIST folder where it is present."""

from __future__ import annotations

import gzip
import signal
from pathlib import Path

import numpy as np
import pytest

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"

# The tests that press Ctrl-C send SIGINT to vizff processes they start, which inherit an
# ignored SIGINT (and SIGQUIT) from a shell that ran the tests in the background (`pytest &`
# in a script): vizff then rightly keeps ignoring it, and those tests failed. The session
# takes both back, as a terminal gives them.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if hasattr(signal, "SIGQUIT") and signal.getsignal(signal.SIGQUIT) is signal.SIG_IGN:
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def idx_images(images: np.ndarray) -> bytes:
    n, rows, cols = images.shape
    return (
        np.array([2051, n, rows, cols], dtype=">u4").tobytes() + images.astype(np.uint8).tobytes()
    )


def idx_labels(labels: np.ndarray) -> bytes:
    return np.array([2049, len(labels)], dtype=">u4").tobytes() + labels.astype(np.uint8).tobytes()


def write_idx_dir(
    directory: Path,
    *,
    n_train: int = 60,
    n_test: int = 20,
    gz: bool = True,
    spelling: str = "-",
    seed: int = 0,
) -> Path:
    """A directory of four small, valid MNIST-format files with random content."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    payloads = {
        "train-images": idx_images(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels": idx_labels(np.arange(n_train) % 10),
        "t10k-images": idx_images(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels": idx_labels(np.arange(n_test) % 10),
    }
    for role, payload in payloads.items():
        dims = "idx3" if role.endswith("images") else "idx1"
        name = f"{role}{spelling}{dims}-ubyte" + (".gz" if gz else "")
        (directory / name).write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return directory


@pytest.fixture
def idx_dir(tmp_path: Path) -> Path:
    return write_idx_dir(tmp_path / "idx")


@pytest.fixture
def shared_mnist() -> Path:
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"full MNIST not present at {SHARED_MNIST}")
    return SHARED_MNIST
