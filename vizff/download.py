"""Fetch the four MNIST files from public mirrors into the cache, verified by pinned sha256."""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from vizff.data import cache_dir, cache_name
from vizff.errors import ConfigError, DownloadError, OptionError
from vizff.files import atomic_path, make_dirs

# sha256 and size of the original gzip files (LeCun, Cortes, Burges), as published
MNIST_FILES: dict[str, tuple[str, int]] = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9_912_422,
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28_881,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1_648_877,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4_542,
    ),
}
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MIRRORS_ENV = "VIZFF_MNIST_MIRRORS"  # space- or comma-separated base URLs, tried in order
CHUNK = 1 << 16
NETWORK_ERRORS = (OSError, ValueError, http.client.HTTPException)  # what a mirror can fail with
Progress = Callable[[str, int, int], None]  # (file name, bytes so far, bytes expected)


class _MirrorFailed(Exception):
    """This mirror did not deliver this file; the next one is tried."""


def mirrors_from_env() -> list[str]:
    """The mirrors to try: $VIZFF_MNIST_MIRRORS if set, else the defaults."""
    text = os.environ.get(MIRRORS_ENV, "").replace(",", " ").split()
    return text or list(DEFAULT_MIRRORS)


def mirror_url(mirror: str) -> str:
    """A mirror as a URL: a folder on this machine (`/srv/mnist`, `~/mnist`, a share) is
    read through its file: URL, as urllib reads any other."""
    if "://" in mirror or mirror.startswith("file:"):
        return mirror
    return Path(mirror).expanduser().resolve().as_uri()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stream(
    url: str,
    temp: Path,
    name: str,
    expected: tuple[str, int],
    *,
    timeout: float,
    progress: Progress | None,
) -> None:
    """Copy `url` into `temp`, checking size as it comes and sha256 at the end."""
    sha, size = expected
    deadline = time.monotonic() + max(timeout * 20, 60)  # a trickling server cannot hold us
    digest, done = hashlib.sha256(), 0
    with open(temp, "wb") as out:  # the disk's errors are raised as they are: not the mirror's
        try:
            response = urllib.request.urlopen(url, timeout=timeout)
        except NETWORK_ERRORS as exc:  # includes timeouts, HTTP errors
            raise _MirrorFailed(str(getattr(exc, "reason", None) or exc)) from None
        with response:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except NETWORK_ERRORS as exc:
                    raise _MirrorFailed(str(getattr(exc, "reason", None) or exc)) from None
                if not chunk:
                    break
                done += len(chunk)
                if done > size:
                    raise _MirrorFailed(f"sent more than the {size} bytes expected")
                if time.monotonic() > deadline:
                    raise _MirrorFailed("too slow; gave up")
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(name, done, size)
    if digest.hexdigest() != sha:
        raise _MirrorFailed(
            f"checksum mismatch ({done} bytes, sha256 {digest.hexdigest()[:12]}...); rejected"
        )


def download_mnist(
    directory: str | os.PathLike[str] | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    timeout: float = 30.0,
    progress: Progress | None = None,
    files: Mapping[str, tuple[str, int]] = MNIST_FILES,
) -> Path:
    """Fetch every file that is not already there and verified; returns the directory.

    Each file is written under a temporary name and renamed only once its checksum matches,
    so the directory never holds an unverified file.
    """
    target_dir = Path(directory) if directory is not None else cache_dir()
    mirrors = list(mirrors) if mirrors else mirrors_from_env()
    # named as the user set it: --dir, or VIZFF_CACHE_DIR (which no --dir error should blame)
    named = f"--dir {target_dir}" if directory is not None else cache_name(target_dir)
    if target_dir.exists() and not target_dir.is_dir():
        if directory is not None:
            raise OptionError("dir", "is a file; give a folder to keep the MNIST files in",
                              value=str(target_dir))  # fmt: skip
        raise ConfigError(f"{named}: is a file; set VIZFF_CACHE_DIR to a folder to keep the "
                          "MNIST files in, or pass --dir FOLDER")  # fmt: skip
    made = not target_dir.exists()
    try:
        make_dirs(target_dir, named)  # a folder that cannot be made is named as it was set
        _download(target_dir, mirrors, timeout, progress, files, directory is not None)
    except BaseException:
        if made and target_dir.is_dir() and not any(target_dir.iterdir()):
            target_dir.rmdir()  # a folder made for nothing is not left behind
        raise
    return target_dir


def _download(target_dir, mirrors, timeout, progress, files, dir_given: bool) -> None:
    for name, expected in files.items():
        target = target_dir / name
        if target.is_file() and _sha256(target) == expected[0]:
            if progress:
                progress(name, expected[1], expected[1])
            continue
        failures = []
        for mirror in mirrors:
            url = mirror_url(mirror).rstrip("/") + "/" + name
            try:
                # a file that cannot be written is named by its path (after --dir, if given)
                with atomic_path(
                    target, name=f"--dir {target}" if dir_given else str(target)
                ) as temp:
                    _stream(url, temp, name, expected, timeout=timeout, progress=progress)
                break
            except _MirrorFailed as exc:
                failures.append(f"{url}: {exc}")
        else:
            raise DownloadError(
                f"{name}: no mirror delivered a verified file ({'; '.join(failures)}); "
                "check the network or pass --mirror URL (or a folder holding the files)"
            )
