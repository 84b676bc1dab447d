import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import idx_images, idx_labels
from tests.servers import files, html, redirect_loop, serve
from vizff.data import load_digits
from vizff.download import MNIST_FILES, download_mnist, mirrors_from_env
from vizff.errors import DownloadError

DOWN = "http://127.0.0.1:9/"  # discard port: nothing listens, connection refused at once


@pytest.fixture
def small_set() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_images(rng.integers(0, 256, (30, 28, 28)))),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_labels(np.arange(30) % 10)),
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_images(rng.integers(0, 256, (10, 28, 28)))),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_labels(np.arange(10))),
    }


def pins(payloads: dict[str, bytes]) -> dict[str, tuple[str, int]]:
    return {name: (hashlib.sha256(body).hexdigest(), len(body)) for name, body in payloads.items()}


def no_stray_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(".vizff-*")) if directory.exists() else []


def test_down_mirror_then_success_and_progress(tmp_path, small_set):
    seen = []
    with serve(files(small_set)) as good:
        where = download_mnist(
            tmp_path,
            mirrors=[DOWN, good],
            files=pins(small_set),
            timeout=2,
            progress=lambda name, done, total: seen.append((name, done, total)),
        )
    assert sorted(p.name for p in where.iterdir()) == sorted(small_set)
    assert load_digits(where).train_images.shape == (30, 28, 28)
    assert seen[-1][1] == seen[-1][2]


def test_checksum_mismatch_is_rejected_and_nothing_cached(tmp_path, small_set):
    tampered = dict(small_set)
    tampered["t10k-labels-idx1-ubyte.gz"] = small_set["t10k-labels-idx1-ubyte.gz"][::-1]
    with serve(files(tampered)) as bad:
        with pytest.raises(DownloadError, match="t10k-labels-idx1-ubyte.gz: .*checksum mismatch"):
            download_mnist(tmp_path, mirrors=[bad], files=pins(small_set), timeout=2)
    assert not (tmp_path / "t10k-labels-idx1-ubyte.gz").exists()
    assert no_stray_files(tmp_path) == []


def test_bad_mirror_then_good_mirror(tmp_path, small_set):
    with serve(html) as bad, serve(redirect_loop) as looping, serve(files(small_set)) as good:
        download_mnist(tmp_path, mirrors=[bad, looping, good], files=pins(small_set), timeout=2)
    assert all(
        hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() == pins(small_set)[n][0]
        for n in small_set
    )


@pytest.mark.parametrize("handler_name", ["html", "redirect_loop", "truncated", "stalled"])
def test_every_failure_is_a_clear_error(tmp_path, small_set, handler_name):
    handler = {
        "html": html,
        "redirect_loop": redirect_loop,
        "truncated": files(small_set, truncate=20),
        "stalled": files(small_set, delay=3),
    }[handler_name]
    with serve(handler) as url:
        with pytest.raises(DownloadError, match="no mirror delivered a verified file"):
            download_mnist(tmp_path, mirrors=[url], files=pins(small_set), timeout=0.5)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_verified_files_are_not_fetched_again(tmp_path, small_set):
    with serve(files(small_set)) as good:
        download_mnist(tmp_path, mirrors=[good], files=pins(small_set))
    download_mnist(tmp_path, mirrors=[DOWN], files=pins(small_set), timeout=1)  # no network


def test_mirrors_from_environment(monkeypatch):
    monkeypatch.setenv("VIZFF_MNIST_MIRRORS", "http://a/, http://b/")
    assert mirrors_from_env() == ["http://a/", "http://b/"]
    monkeypatch.delenv("VIZFF_MNIST_MIRRORS")
    assert len(mirrors_from_env()) >= 2


def test_real_mnist_against_pinned_checksums(tmp_path, shared_mnist):
    served = {name: (shared_mnist / name).read_bytes() for name in MNIST_FILES}
    with serve(files(served)) as mirror:
        download_mnist(tmp_path, mirrors=[DOWN, mirror], timeout=2)
    assert load_digits(tmp_path).train_images.shape == (60000, 28, 28)


def test_a_mirror_may_be_a_folder_on_this_machine(tmp_path, small_set, monkeypatch):
    """`--mirror /srv/mnist` failed with "unknown url type" for every file: a copy on a
    share or a USB stick is the usual mirror in a classroom without a network."""
    share = tmp_path / "share"
    share.mkdir()
    for name, body in small_set.items():
        (share / name).write_bytes(body)
    monkeypatch.chdir(tmp_path)
    for given in (str(share), "share", "./share/"):
        target = tmp_path / f"got-{len(given)}"
        download_mnist(target, mirrors=[DOWN, given], files=pins(small_set), timeout=1)
        assert {p.name: p.read_bytes() for p in target.iterdir()} == small_set
    # a folder that lacks them fails as a mirror does, naming it, and leaves nothing
    (tmp_path / "empty").mkdir()
    with pytest.raises(DownloadError, match=r"file:///.*/empty/train-images-idx3-ubyte.gz: "):
        download_mnist(tmp_path / "none", mirrors=["empty"], files=pins(small_set), timeout=1)
    assert no_stray_files(tmp_path / "none") == []
