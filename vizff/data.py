"""MNIST-format IDX files read and validated, the `Digits` value, and the dataset sources."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vizff.errors import DataError, IdxFormatError, OptionError
from vizff.files import home_path

IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
GZIP_MAGIC = b"\x1f\x8b"
MAX_FILE_BYTES = 256 * 1024 * 1024  # full MNIST train images are 47 MB; refuse to inflate more
SAMPLE_DIR = Path(__file__).parent / "sample"
ROLES = ("train-images", "train-labels", "t10k-images", "t10k-labels")


@dataclass(frozen=True)
class Digits:
    """A train and a test split of 28x28 grey images (uint8, 0..255) with labels 0..9."""

    train_images: np.ndarray  # (n_train, rows, cols) uint8
    train_labels: np.ndarray  # (n_train,) uint8
    test_images: np.ndarray  # (n_test, rows, cols) uint8
    test_labels: np.ndarray  # (n_test,) uint8
    source: str  # "sample", "mnist" or "directory"
    path: str  # where the files were read from

    @property
    def image_shape(self) -> tuple[int, int]:
        return self.train_images.shape[1], self.train_images.shape[2]


def _read_bytes(path: Path) -> bytes:
    """The file's content, inflated when it is gzip (detected by content, not by name)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data[:2] == GZIP_MAGIC:
        data = _inflate(path, data)
    if len(data) > MAX_FILE_BYTES:
        raise IdxFormatError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB, not an MNIST file")
    return data


def _inflate(path: Path, data: bytes) -> bytes:
    """Every member of a gzip file, concatenated (gzip itself allows several), within
    MAX_FILE_BYTES; anything after the last member that is not a gzip member is an error."""
    parts, left, rest = [], MAX_FILE_BYTES + 1, data
    while rest:
        if rest[:2] != GZIP_MAGIC:
            raise IdxFormatError(
                f"{path}: {len(rest):,} bytes after the end of the gzip data are not gzip; "
                "the file is damaged: fetch it again"
            )
        inflater = zlib.decompressobj(wbits=31)  # one gzip member
        try:
            part = inflater.decompress(rest, left)  # bounded: no gzip bomb
        except zlib.error as exc:
            raise IdxFormatError(
                f"{path}: the gzip stream is corrupt ({exc}); fetch the file again"
            ) from None
        parts.append(part)
        left -= len(part)
        if left <= 0:
            break  # too large: refused below
        if not inflater.eof:
            raise IdxFormatError(
                f"{path}: the gzip stream is truncated (it ends early); fetch the file again"
            )
        rest = inflater.unused_data
    return b"".join(parts)


def _header(path: Path, data: bytes, size: int, magic: int, kind: str) -> np.ndarray:
    """The big-endian uint32 header fields, after checking length and magic number."""
    if len(data) >= 4 and int.from_bytes(data[:4], "big") != magic:
        raise IdxFormatError(
            f"{path}: magic number {int.from_bytes(data[:4], 'big')} is not an "
            f"IDX {kind} file (expected {magic})"
        )
    if len(data) < size:
        raise IdxFormatError(
            f"{path}: {len(data)} bytes is too short for an IDX {kind} header ({size} bytes)"
        )
    fields = np.frombuffer(data, dtype=">u4", count=size // 4)
    return fields


def read_idx_images(path: str | os.PathLike[str]) -> np.ndarray:
    """Images of an IDX3 file as a read-only (count, rows, cols) uint8 array."""
    path = Path(path)
    data = _read_bytes(path)
    _, count, rows, cols = (int(v) for v in _header(path, data, 16, IMAGE_MAGIC, "image"))
    if rows == 0 or cols == 0 or rows > 1024 or cols > 1024:
        raise IdxFormatError(f"{path}: header says images of {rows}x{cols}, which is not a digit")
    held = (len(data) - 16) // (rows * cols)
    if held != count or (len(data) - 16) % (rows * cols):
        raise IdxFormatError(
            f"{path}: header says {count} images of {rows}x{cols} but the file holds "
            f"{(len(data) - 16) / (rows * cols):g}"
        )
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    return images  # frombuffer over bytes is already read-only


def read_idx_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """Labels of an IDX1 file as a read-only (count,) uint8 array of digits 0..9."""
    path = Path(path)
    data = _read_bytes(path)
    _, count = (int(v) for v in _header(path, data, 8, LABEL_MAGIC, "label"))
    if len(data) - 8 != count:
        raise IdxFormatError(
            f"{path}: header says {count} labels but the file holds {len(data) - 8}"
        )
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if count and int(labels.max()) > 9:
        raise IdxFormatError(f"{path}: holds label {int(labels.max())}; labels must be 0..9")
    return labels


def _spellings(role: str) -> list[str]:
    """File names a role may have: `train-images-idx3-ubyte`, `train-images.idx3-ubyte`, +.gz."""
    dims = "idx3" if role.endswith("images") else "idx1"
    names = [f"{role}-{dims}-ubyte", f"{role}.{dims}-ubyte"]
    return [name + ext for name in names for ext in (".gz", "")]


def find_idx_files(directory: Path) -> dict[str, Path]:
    """The four standard files in `directory`, by role; an error lists whatever is missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role in ROLES:
        candidates = [directory / name for name in _spellings(role)]
        present = [path for path in candidates if path.is_file()]
        if present:
            found[role] = present[0]
        else:
            missing.append(" or ".join(path.name for path in candidates))
    if missing:
        raise DataError(f"{directory}: no IDX file found; looked for " + "; ".join(missing))
    return found


def _check_pair(images_path: Path, images: np.ndarray, labels_path: Path, labels: np.ndarray):
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_path.name} holds {len(images)} images but {labels_path.name} "
            f"holds {len(labels)} labels; they must come from the same set"
        )


def read_directory(directory: str | os.PathLike[str], *, source: str = "directory") -> Digits:
    """The four MNIST-format files of a directory (MNIST or Fashion-MNIST, raw or gzip)."""
    directory = Path(directory)
    files = find_idx_files(directory)
    arrays = {role: _read_role(role, path) for role, path in files.items()}
    _check_pair(
        files["train-images"], arrays["train-images"], files["train-labels"], arrays["train-labels"]
    )
    _check_pair(
        files["t10k-images"], arrays["t10k-images"], files["t10k-labels"], arrays["t10k-labels"]
    )
    if arrays["train-images"].shape[1:] != arrays["t10k-images"].shape[1:]:
        raise IdxFormatError(
            f"{directory}: train images are {arrays['train-images'].shape[1:]} but test images "
            f"are {arrays['t10k-images'].shape[1:]}; both splits must have one image size"
        )
    return Digits(
        train_images=arrays["train-images"],
        train_labels=arrays["train-labels"],
        test_images=arrays["t10k-images"],
        test_labels=arrays["t10k-labels"],
        source=source,
        path=str(directory),
    )


def _read_role(role: str, path: Path) -> np.ndarray:
    return read_idx_images(path) if role.endswith("images") else read_idx_labels(path)


def cache_dir() -> Path:
    """Where `vizff data download` keeps MNIST: $VIZFF_CACHE_DIR, else the XDG cache."""
    if os.environ.get("VIZFF_CACHE_DIR"):
        return Path(os.environ["VIZFF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vizff" / "mnist"


def load_digits(spec: str | os.PathLike[str] = "sample") -> Digits:
    """Digits from a source: `sample` (embedded), `mnist` (the download cache) or a directory."""
    text = str(spec)
    try:
        return _load(text)
    except PermissionError as exc:
        where = exc.filename or text
        raise OptionError(
            "data", f"{where} cannot be read (permission denied)", value=text
        ) from None


def _load(text: str) -> Digits:
    if text == "sample":
        return read_directory(SAMPLE_DIR, source="sample")
    if text == "mnist":
        directory = cache_dir()
        try:
            find_idx_files(directory)
        except DataError:
            raise OptionError(
                "data",
                f"the MNIST cache {directory} is empty or incomplete; run "
                "`vizff data download` first, or give a directory of IDX files",
                value=text,
            ) from None
        return read_directory(directory, source="mnist")
    path = home_path(text, "data")
    if not path.is_dir():
        raise OptionError(
            "data", "not 'sample', 'mnist' or an existing directory of IDX files", value=text
        )
    return read_directory(path)


def class_counts(labels: np.ndarray) -> np.ndarray:
    """How many examples of each digit 0..9: (10,) int."""
    return np.bincount(labels, minlength=10)


def as_inputs(images: np.ndarray, dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Images scaled to [0, 1] and flattened for the network: (count, rows*cols)."""
    flat = images.reshape(len(images), -1)
    return flat.astype(dtype) / np.asarray(255, dtype=dtype)
