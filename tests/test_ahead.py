"""Work done ahead in a thread: the same items in the same order, errors where they arose,
memory bounded by the depth, and no thread left behind however the consumer stops."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import threadpoolctl

from vizff.ahead import Ahead, Feeder, ahead
from vizff.train import one_blas_thread


def ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vizff-")]


def test_the_same_items_in_the_same_order():
    assert list(ahead(iter(range(1000)), depth=3)) == list(range(1000))
    assert list(ahead([], depth=1)) == []
    assert not ahead_threads()


def test_an_error_is_raised_where_it_arose():
    def source():
        yield from range(5)
        raise ValueError("update 6 made the loss nan")

    seen = []
    with pytest.raises(ValueError, match="update 6"):
        for item in ahead(source(), depth=2):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]  # every item before the error, none lost
    assert not ahead_threads()


def test_never_more_than_depth_ahead():
    produced = []

    def source():
        for i in range(100):
            produced.append(i)
            yield i

    items = Ahead(source(), depth=4)
    try:
        for consumed in range(10):
            assert next(items) == consumed
            time.sleep(0.02)  # the thread runs ahead as far as it may
            # the queue holds `depth`, the thread one more in hand waiting for room
            assert len(produced) <= consumed + 1 + 4 + 1
        assert len(produced) >= 10 + 4  # and it did run ahead
    finally:
        items.close()


def test_a_consumer_that_stops_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()
    thread_of_cleanup = []

    def source():
        try:
            yield from range(10**9)
        finally:
            closed.set()
            thread_of_cleanup.append(threading.current_thread().name)

    for item in ahead(source(), depth=2):
        if item == 3:
            break
    assert closed.is_set()
    assert thread_of_cleanup == ["vizff-ahead"]  # the generator is closed where it ran
    assert not ahead_threads()


def test_an_abandoned_iteration_is_stopped_by_close():
    items = ahead(iter(range(10**9)), depth=2)
    assert next(items) == 0
    items.close()  # what the garbage collector does to a generator dropped mid-way
    assert not ahead_threads()


def test_close_does_not_wait_for_a_long_item(monkeypatch):
    monkeypatch.setattr("vizff.ahead.CLOSE_WAIT", 0.2)
    release = threading.Event()

    def source():
        yield 0
        release.wait(10)  # a long step (a numerical gradient of a wide network)
        yield 1

    items = Ahead(source(), depth=1)
    assert next(items) == 0
    start = time.monotonic()
    items.close()
    assert time.monotonic() - start < 2
    release.set()
    items._thread.join(5)
    assert not items._thread.is_alive()  # it ended on its own once the item was done


def test_feeder_hands_over_every_item_in_order():
    got = []
    feeder = Feeder(got.append, depth=2)
    for i in range(500):
        feeder.put(i)
    feeder.finish()
    assert got == list(range(500))
    assert not ahead_threads()


def test_feeder_raises_the_sinks_error_and_stops_handing_over():
    got = []

    def sink(item):
        if item == 3:
            raise BrokenPipeError("ffmpeg stopped reading")
        got.append(item)

    feeder = Feeder(sink, depth=1)
    with pytest.raises(BrokenPipeError):
        for i in range(100):
            feeder.put(i)
            time.sleep(0.001)
    feeder.abandon()
    assert got == [0, 1, 2]
    assert not ahead_threads()


def test_feeder_error_at_finish():
    def sink(item):
        raise OSError(28, "No space left on device")

    feeder = Feeder(sink, depth=4)
    feeder.put(b"frame")
    with pytest.raises(OSError, match="No space"):
        feeder.finish()


def blas_threads() -> int:
    infos = threadpoolctl.threadpool_info()
    return next(info["num_threads"] for info in infos if info["user_api"] == "blas")


@pytest.mark.parametrize("first_out", ["main", "worker"])
def test_one_blas_thread_is_counted_across_threads(first_out):
    """Training in a thread and drawing in another each hold the limit; it holds until the
    last leaves, in whichever order they leave, and the original comes back."""
    original = blas_threads()
    entered, leave = threading.Event(), threading.Event()
    inside = []

    def worker():
        with one_blas_thread():
            entered.set()
            leave.wait(5)
            inside.append(blas_threads())

    with one_blas_thread():
        thread = threading.Thread(target=worker)
        thread.start()
        entered.wait(5)
        if first_out == "worker":
            leave.set()
            thread.join()
            assert blas_threads() == 1  # the main thread still holds it
    if first_out == "main":
        assert blas_threads() == 1  # the worker still holds it
        leave.set()
        thread.join()
        # OpenBLAS cannot be raised from a worker: the main thread's next context restores
        assert blas_threads() == 1
        with one_blas_thread():
            assert blas_threads() == 1
    assert inside == [1]
    assert blas_threads() == original


class InLine:
    """Ahead's interface without the thread: the source iterated by the consumer itself."""

    def __init__(self, source, depth=4, name=""):
        self._items = iter(source)

    def __iter__(self):
        return self._items

    def close(self):
        getattr(self._items, "close", lambda: None)()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def in_line(source, depth=4):
    yield from source


@pytest.mark.parametrize("name", ["loss", "weights", "predictions", "forward"])
def test_training_ahead_gives_the_same_frames(name, monkeypatch):
    """A training scene's frames are the same, byte for byte, whether it trains ahead in a
    thread or in line as it draws."""
    from vizff.scenes import SCENES

    options = dict(size=(480, 270), steps=12, every=3, hidden=[8])
    threaded = list(SCENES[name](**options).frames())
    for module in ("base", "loss", "weights", "predictions", "forward"):
        target = f"vizff.scenes.{module}"
        monkeypatch.setattr(f"{target}.ahead", in_line, raising=False)
        monkeypatch.setattr(f"{target}.Ahead", InLine, raising=False)
    assert not ahead_threads()
    in_order = list(SCENES[name](**options).frames())
    assert len(threaded) == len(in_order) >= 5
    assert all(np.array_equal(a, b) for a, b in zip(threaded, in_order))
