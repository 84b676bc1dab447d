"""MNIST-format IDX files read and validated, the `Digits` value, and the dataset sources."""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vizff.errors import DataError, IdxFormatError, OptionError, some_of
from vizff.files import data_source, folder_also_named, home_path

IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
DEPTH_MAGIC = 2052  # 0x00000804: unsigned bytes, 4 dimensions (count, rows, cols, depth)
FLAT_MAGIC = 2050  # 0x00000802: unsigned bytes, 2 dimensions (count, rows * cols)
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
            start = handle.read(2)
            if start != GZIP_MAGIC and os.fstat(handle.fileno()).st_size > MAX_FILE_BYTES:
                raise IdxFormatError(_too_large(path))  # said before 256 MB of a 10 GB file
            data = start + handle.read(MAX_FILE_BYTES - 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data[:2] == GZIP_MAGIC:
        data = _inflate(path, data)
    if len(data) > MAX_FILE_BYTES:
        raise IdxFormatError(_too_large(path))
    return data


def _too_large(path: Path) -> str:
    return (
        f"{path}: larger than {MAX_FILE_BYTES >> 20} MB, more than vizff reads (full MNIST's "
        "largest file is 47 MB): use fewer or smaller images"
    )


def _inflate(path: Path, data: bytes) -> bytes:
    """Every member of a gzip file, concatenated (gzip itself allows several), within
    MAX_FILE_BYTES; anything after the last member that is not a gzip member is an error."""
    parts, left, rest = [], MAX_FILE_BYTES + 1, data
    while rest:
        if not rest.strip(b"\0"):  # zeros padding the end (a tape block): gzip ignores them
            break
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
        raise IdxFormatError(f"{path}: {not_idx(data, magic, kind)}")
    if len(data) < size:
        raise IdxFormatError(
            f"{path}: {len(data)} bytes is too short for an IDX {kind} header ({size} bytes)"
        )
    fields = np.frombuffer(data, dtype=">u4", count=size // 4)
    return fields


IDX_TYPES = {  # an IDX file's third byte: what each value is
    0x08: "unsigned bytes",
    0x09: "signed bytes",
    0x0B: "16-bit integers",
    0x0C: "32-bit integers",
    0x0D: "32-bit floats",
    0x0E: "64-bit floats",
}
MAX_SIDE = 1024  # pixels on either side of an image


def not_idx(data: bytes, magic: int, kind: str) -> str:
    """Why a file whose magic number is not `magic` cannot be read, in words a user can act
    on: another IDX layout, or what the file is instead (a common failed download)."""
    found = int.from_bytes(data[:4], "big")
    dims = magic & 0xFF
    shape = "(count, rows, cols)" if kind == "image" else "(count,)"
    if data[:2] == b"\0\0" and data[2] in IDX_TYPES:
        held = f"holds {IDX_TYPES[data[2]]} in {data[3]} dimension{'s' if data[3] != 1 else ''}"
        if data[2] != 0x08:
            values = "pixels, 0 to 255" if kind == "image" else "labels, 0 to 9"
            return (
                f"{held} (IDX type 0x{data[2]:02X}); vizff reads {values}, as unsigned bytes "
                f"(magic number {magic}): write them as bytes"
            )
        if kind == "image" and data[3] == 4 and len(data) < 20:  # not even its header
            return (
                f"{held}, but its header is cut short ({len(data)} bytes of 20): truncated; "
                "fetch it again"
            )
        if kind == "image" and data[3] == 4:
            return f"{held}: colour images? vizff reads grey images {shape}: convert them to grey"
        if kind == "image" and data[3] == 2 and len(data) >= 12:  # flattened, not square
            pixels = int.from_bytes(data[8:12], "big")
            return (
                f"{held}: images flattened to rows of {pixels:,} pixels, which is no square's "
                f"size; write them as {shape}"
            )
        if data[3] in (1, 3) and data[3] != dims:  # the other file of the pair
            other = "label" if data[3] == 1 else "image"
            return f"is an IDX {other} file where the {kind} file belongs: swap the two names"
        return f"{held}; an IDX {kind} file has {dims}, {shape} (magic number {magic})"
    if int.from_bytes(data[:4], "little") == magic:  # numpy's int32(...).tobytes(), say
        return (
            f"its header is little-endian (magic number {magic} byte-swapped); IDX writes it "
            f"big-endian: write the header again, e.g. with struct.pack('>{'I' * (dims + 1)}', ...)"
        )
    for signature, tool in ((b"BZh", "bunzip2"), (b"\xfd7zXZ\x00", "unxz"),
                            (b"\x28\xb5\x2f\xfd", "unzstd")):  # fmt: skip
        if data.startswith(signature):
            return (
                f"is {tool[2:] if tool != 'bunzip2' else 'bzip2'}-compressed: unpack it "
                f"({tool}); vizff reads IDX files raw or gzip-compressed"
            )
    start = data[:64].lstrip().lower()
    for signatures, what in (
        ((GZIP_MAGIC,), "is gzip inside gzip: unpack it once, or fetch it again"),
        ((b"version https://git-lfs",), "is a Git LFS pointer, not the data: run `git lfs pull`"),
        ((b"pk\x03\x04",), "is a zip archive: unzip it and give the folder of IDX files"),
        ((b"<!doctype html", b"<html"), "is a web page, not data (a failed download?): fetch "
         "it again"),
    ):  # fmt: skip
        if start.startswith(signatures):
            return what
    return f"is not an IDX {kind} file (magic number {found}, expected {magic})"


def _swapped(value: int) -> int:
    return int.from_bytes(value.to_bytes(4, "big"), "little")


def _sizes_problem(rows: int, cols: int) -> str | None:
    """Why images of rows x cols are refused, or None."""
    if 1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE:
        return None
    said = f"header says images of {rows}x{cols}"
    r, c = _swapped(rows), _swapped(cols)
    if 1 <= r <= MAX_SIDE and 1 <= c <= MAX_SIDE:
        return (
            f"{said}: its sizes look little-endian ({r}x{c} byte-swapped); IDX writes them "
            "big-endian: write the header again"
        )
    return f"{said}; rows and columns must each be 1 to {MAX_SIDE}"


def _length_problem(body: int, count: int, each: int, what: str) -> str | None:
    """Why `body` bytes do not hold `count` items of `each` bytes, or None."""
    expected = count * each
    if body == expected:
        return None
    if body > expected:
        extra = body - expected
        return (
            f"the file has {extra:,} byte{'s' if extra != 1 else ''} more: damaged or not "
            "this format; fetch it again"
        )
    short, whole = expected - body, body // each
    return (
        f"the file is {short:,} byte{'s' if short != 1 else ''} short (it holds {whole:,} whole "
        f"{what if whole != 1 else what.removesuffix('s')}): truncated; fetch it again"
    )


def read_idx_images(path: str | os.PathLike[str]) -> np.ndarray:
    """Images of an IDX3 file as a read-only (count, rows, cols) uint8 array."""
    path = Path(path)
    data = _read_bytes(path)
    if data[:4] == DEPTH_MAGIC.to_bytes(4, "big") and data[16:20] == b"\0\0\0\1":
        # (count, rows, cols, 1): grey images with a depth of one, as some tools write them
        data = IMAGE_MAGIC.to_bytes(4, "big") + data[4:16] + data[20:]  # read as 3-d
    elif data[:4] == DEPTH_MAGIC.to_bytes(4, "big") and data[8:12] == b"\0\0\0\1":
        # (count, 1, rows, cols): the same, channel first, as PyTorch's tensors hold them
        data = IMAGE_MAGIC.to_bytes(4, "big") + data[4:8] + data[12:20] + data[20:]
    elif data[:4] == FLAT_MAGIC.to_bytes(4, "big") and len(data) >= 12:
        # (count, pixels): each image flattened to one row, as numpy's reshape(n, -1) leaves
        # it; a square number of pixels is a square image (784: 28x28), read as 3-d
        side = math.isqrt(int.from_bytes(data[8:12], "big"))
        if side * side == int.from_bytes(data[8:12], "big") and side:
            data = (
                IMAGE_MAGIC.to_bytes(4, "big")
                + data[4:8]
                + side.to_bytes(4, "big") * 2
                + (data[12:])
            )
    _, count, rows, cols = (int(v) for v in _header(path, data, 16, IMAGE_MAGIC, "image"))
    problem = _sizes_problem(rows, cols)
    if problem is None:
        problem = _length_problem(len(data) - 16, count, rows * cols, "images")
        problem = problem and f"header says {count:,} images of {rows}x{cols}, but {problem}"
    if problem:
        raise IdxFormatError(f"{path}: {problem}")
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    return images  # frombuffer over bytes is already read-only


def read_idx_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """Labels of an IDX1 file as a read-only (count,) uint8 array of digits 0..9."""
    path = Path(path)
    data = _read_bytes(path)
    if data[:4] == FLAT_MAGIC.to_bytes(4, "big") and data[8:12] == b"\0\0\0\1":
        # (count, 1): a column of labels, as numpy's reshape(-1, 1) leaves them: read as 1-d
        data = LABEL_MAGIC.to_bytes(4, "big") + data[4:8] + data[12:]
    _, count = (int(v) for v in _header(path, data, 8, LABEL_MAGIC, "label"))
    problem = _length_problem(len(data) - 8, count, 1, "labels")
    if problem:
        raise IdxFormatError(f"{path}: header says {count:,} labels, but {problem}")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if count and int(labels.max()) > 9:
        high, low = int(labels.max()), int(labels.min())
        if high == 10 and low >= 1:  # EMNIST's and MATLAB's way: the classes counted from 1
            advice = "its labels run 1 to 10: subtract 1 from each, so they run 0 to 9"
        elif len(np.unique(labels)) > 10:
            advice = f"it has {len(np.unique(labels))} classes: keep ten of them, numbered 0 to 9"
        else:
            advice = "keep the images labelled 0 to 9, or number your classes 0 to 9"
        raise IdxFormatError(
            f"{path}: holds label {high}; the network has 10 outputs, for labels 0 to 9: " + advice
        )
    return labels


def _spellings(role: str) -> list[str]:
    """File names a role may have: `train-images-idx3-ubyte`, `train-images.idx3-ubyte`, +.gz."""
    dims = "idx3" if role.endswith("images") else "idx1"
    names = [f"{role}-{dims}-ubyte", f"{role}.{dims}-ubyte"]
    return [name + ext for name in names for ext in (".gz", "")]


def find_idx_files(directory: Path) -> dict[str, Path]:
    """The four standard files in `directory`, by role; an error says which are missing and
    what the folder holds instead, or what is wrong with a file of the right name."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role in ROLES:
        candidates = [directory / name for name in _spellings(role)]
        present = [path for path in candidates if path.is_file()]
        if present:
            found[role] = _one_of(present)
            continue
        for path in candidates:  # the right name, but not a file to read
            if os.path.lexists(path):
                raise DataError(f"{path}: {_not_a_file(path)}; it should be the {role} IDX file")
        missing.append(role)
    if missing:
        raise DataError(_missing(directory, missing))
    return found


def _one_of(present: list[Path]) -> Path:
    """The file of a role found under two names (gzip and not): they must hold the same."""
    first, *others = present
    for other in others:
        if _read_bytes(other) != _read_bytes(first):
            raise DataError(
                f"{first.parent}: {first.name} and {other.name} are both here and hold different "
                "data; remove the one you do not mean"
            )
    return first


def _not_a_file(path: Path) -> str:
    if path.is_dir():
        return "is a folder"
    if path.is_symlink() and not path.exists():
        try:
            return f"is a link to {os.readlink(path)}, which does not exist (or loops)"
        except OSError:
            return "is a broken link"
    return "is not a regular file (a pipe or a device)"


def _missing(directory: Path, roles: list[str]) -> str:
    """No file for `roles`: what was looked for, and what the folder holds instead."""
    names = ", ".join(f"{_spellings(role)[1]}[.gz]" for role in roles)
    which = (
        "none of the four IDX files"
        if len(roles) == len(ROLES)
        else f"no {' or '.join(roles)} file"
    )
    text = f"{directory}: {which}; looked for {names}"
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return text
    for entry in entries:  # one folder down, as an archive often unpacks
        inner = directory / entry
        if inner.is_dir() and all(
            any((inner / name).is_file() for name in _spellings(role)) for role in ROLES
        ):
            return f"{text}; the files are in {inner}: give that folder"
    visible = [entry for entry in entries if not entry.startswith(".")]
    if not visible:
        return f"{text}; the folder is empty" + (" but for hidden files" if entries else "")
    shown = some_of(visible, 6)
    named = any("idx" in e.lower() for e in visible)  # TRAIN-IMAGES-IDX3-UBYTE too
    rename = ": rename them to the names looked for" if named else ""
    return f"{text}; it holds {shown}{rename}"


def _check_pair(images_path: Path, images: np.ndarray, labels_path: Path, labels: np.ndarray):
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_path.parent}: {images_path.name} holds {len(images):,} images but "
            f"{labels_path.name} holds {len(labels):,} labels; they must come from the same set"
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
    train_shape, test_shape = arrays["train-images"].shape[1:], arrays["t10k-images"].shape[1:]
    if train_shape != test_shape:
        raise IdxFormatError(
            f"{directory}: train images are {'x'.join(map(str, train_shape))} but test images "
            f"are {'x'.join(map(str, test_shape))}; both splits must have one image size"
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


MNIST_SHAPE = (28, 28)  # every MNIST image, train and test


def cache_dir() -> Path:
    """Where `vizff data download` keeps MNIST: $VIZFF_CACHE_DIR, else the XDG cache."""
    if os.environ.get("VIZFF_CACHE_DIR"):
        return Path(os.environ["VIZFF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vizff" / "mnist"


def cache_name(directory: Path) -> str:
    """How a message names the cache folder: by the variable that set it, if one did."""
    if os.environ.get("VIZFF_CACHE_DIR"):
        return f"VIZFF_CACHE_DIR={directory}"
    return f"the MNIST cache {directory}"


def load_digits(spec: str | os.PathLike[str] = "sample") -> Digits:
    """Digits from a source: `sample` (embedded), `mnist` (the download cache) or a directory."""
    text = str(spec)
    try:
        return _load(text)
    except OptionError as error:
        error.value = text  # as it was written: `MNIST`, not the choice it was taken for
        raise
    except PermissionError as exc:
        where = exc.filename or text
        raise OptionError(
            "data", f"{where} cannot be read (permission denied)", value=text
        ) from None
    except OSError as exc:  # a name too long for the file system, a loop of links...
        from vizff.files import reason

        raise OptionError("data", f"cannot be read ({reason(exc)})", value=text) from None


def _load(text: str) -> Digits:
    if not text.strip():  # Path("") is the current folder: not what an empty value meant
        raise OptionError(
            "data", "is empty; give sample, mnist or a folder of IDX files", value=text
        )
    shown = folder_also_named(text)  # `mnist/` beside `--data mnist`: not what it reads
    text = data_source(text)
    if text == "sample":
        return read_directory(SAMPLE_DIR, source="sample")
    if text == "mnist":
        directory = cache_dir()
        if directory.exists() and not directory.is_dir():
            raise OptionError(
                "data",
                f"{cache_name(directory)} is a file, not a folder; set VIZFF_CACHE_DIR to a "
                "folder and run `vizff data download`, or give a directory of IDX files",
                value=text,
            )
        try:
            find_idx_files(directory)
        except DataError:
            raise OptionError(
                "data",
                f"the MNIST cache {directory} is empty or incomplete; run "
                "`vizff data download` first, or give a directory of IDX files"
                + (f" (./{shown} here is one: write ./{shown})" if shown else ""),
                value=text,
            ) from None
        digits = read_directory(directory, source="mnist")
        if digits.image_shape != MNIST_SHAPE:  # frames would call these "MNIST digits"
            rows, cols = digits.image_shape
            raise OptionError(
                "data",
                f"the MNIST cache {directory} holds {rows}x{cols} images, not MNIST's 28x28; "
                "run `vizff data download` to fetch MNIST again, or give that folder as "
                "⟨data FOLDER⟩",
                value=text,
            )
        return digits
    return read_directory(data_folder(text))


def data_folder(text: str) -> Path:
    """The folder a `data` value other than sample or mnist names, or an OptionError saying
    what it is instead (nothing is read: a title card names the data without reading it)."""
    path = home_path(text, "data")
    if not path.is_dir():
        if os.path.islink(path) and not path.exists():  # a link to nothing, or a loop
            problem = f"is a link to {os.readlink(path)}, which does not exist (or loops)"
        elif path.exists():  # one of the IDX files, most likely: the folder is what is read
            where = path.parent if str(path.parent) != "." else "the folder that holds it"
            problem = f"is a file; give the folder of the four IDX files ({where})"
        else:
            problem = "no such folder; give sample, mnist or a folder of IDX files"
        raise OptionError("data", problem, value=text)
    return path


def class_counts(labels: np.ndarray) -> np.ndarray:
    """How many examples of each label 0..9 (and any above): (10 or more,) int. Counted a
    million at a time: bincount makes its own int64 copy, 2 GB for 268 million labels."""
    counts = np.zeros(10, dtype=np.intp)
    for start in range(0, len(labels), COUNTED_AT_ONCE):
        part = np.bincount(labels[start : start + COUNTED_AT_ONCE], minlength=10)
        if len(part) > len(counts):
            counts = np.concatenate([counts, np.zeros(len(part) - len(counts), np.intp)])
        counts[: len(part)] += part
    return counts


COUNTED_AT_ONCE = 1 << 20


def looks_wrong(digits: Digits) -> tuple[str, ...]:
    """Notes on data that reads fine but cannot teach: blank images, pixels scaled to 0..1
    (drawn black, accuracy at chance with no word said), one label for every image."""
    if digits.source in ("sample", "mnist"):  # checked: the real thing
        return ()
    notes = []
    held = [images for images in (digits.train_images, digits.test_images) if images.size]
    peaks = [int(images.max()) for images in held]
    if peaks and max(peaks) == 0:
        notes.append(f"{digits.path}: every image is blank (all its pixels are 0)")
    elif peaks and min(int(images.min()) for images in held) == max(peaks):
        notes.append(
            f"{digits.path}: every image is one flat grey (all its pixels are {max(peaks)}): "
            "the network has nothing to tell apart"
        )
    elif peaks and max(peaks) <= 1:
        notes.append(
            f"{digits.path}: its pixels only reach {max(peaks)}, so the images are drawn black: "
            "IDX images hold grey levels 0 to 255; multiply yours by 255"
        )
    counts = class_counts(digits.train_labels)
    if len(digits.train_labels) > 1 and np.count_nonzero(counts) == 1:
        label = int(np.flatnonzero(counts)[0])
        notes.append(
            f"{digits.path}: every train image has the label {label}: the network has nothing "
            "to tell apart"
        )
    return tuple(notes)


def unnamed_labels(digits: Digits, names: Sequence[str], given: str) -> str | None:
    """A note where names the user gave (`given`, as they wrote it) fall on labels no image
    has while labels the images have go unnamed: names go to labels 0, 1, 2... in order, and
    data labelled 1, 4 and 7 drawn with `cat,dog,bird` calls its 1s dog and its 4s 4."""
    held = np.flatnonzero(
        class_counts(digits.train_labels)[:10] + class_counts(digits.test_labels)[:10]
    )
    named = [k for k, name in enumerate(names[:10]) if name != str(k)]
    idle = [k for k in named if k not in held]
    if not idle:
        return None
    bare = [int(k) for k in held if k not in named]
    idle_said = " or ".join(f"{k} ({names[k]})" for k in idle)
    bare_said = (
        f"; labels {', '.join(map(str, bare))} go unnamed" if len(bare) > 1
        else f"; label {bare[0]} goes unnamed" if bare else ""
    )  # fmt: skip
    return (
        f"{given} names labels 0, 1, 2... in order, but no image is labelled {idle_said}"
        f"{bare_said} (the data's labels: {', '.join(str(int(k)) for k in held)}); "
        "put each name at its label's place in the list"
    )


def as_inputs(images: np.ndarray, dtype: np.dtype | str = np.float32) -> np.ndarray:
    """Images scaled to [0, 1] and flattened for the network: (count, rows*cols)."""
    flat = images.reshape(len(images), -1)
    return flat.astype(dtype) / np.asarray(255, dtype=dtype)
