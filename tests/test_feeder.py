"""Frames handed to ffmpeg's pipe from a thread: every one, in order; the sink's error
raised in the caller; and no thread left behind or waited for without bound."""

from __future__ import annotations

import threading
import time

import pytest

from vizff.feeder import Feeder


def feeder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vizff-")]


def test_feeder_hands_over_every_item_in_order():
    got = []
    feeder = Feeder(got.append, depth=2)
    for i in range(500):
        feeder.put(i)
    feeder.finish()
    assert got == list(range(500))
    assert not feeder_threads()


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
    assert not feeder_threads()


def test_feeder_error_at_finish():
    def sink(item):
        raise OSError(28, "No space left on device")

    feeder = Feeder(sink, depth=4)
    feeder.put(b"frame")
    with pytest.raises(OSError, match="No space"):
        feeder.finish()


def test_abandon_does_not_wait_for_a_sink_that_never_returns(monkeypatch):
    """The sink's reader was killed, yet the write somehow still blocks: cleanup goes on."""
    monkeypatch.setattr("vizff.feeder.CLOSE_WAIT", 0.2)
    release = threading.Event()
    feeder = Feeder(lambda item: release.wait(10), depth=1)
    feeder.put(b"frame")
    feeder.put(b"frame")
    start = time.monotonic()
    feeder.abandon()
    assert time.monotonic() - start < 2
    release.set()
    feeder._thread.join(5)
    assert not feeder._thread.is_alive()  # it ended on its own once the write returned


def test_the_thread_ends_without_the_end_marker_once_closing():
    """An interrupt may cut the queue's bookkeeping so that the end marker never arrives:
    told to close and finding nothing queued, the thread ends by itself."""
    feeder = Feeder(lambda item: None, depth=1)
    feeder._closing.set()
    feeder._thread.join(2)
    assert not feeder._thread.is_alive()


def test_abandon_returns_even_when_an_interrupt_left_the_queues_lock_held(monkeypatch):
    """A Ctrl-C can land inside `queue.put`'s own bookkeeping, after its lock was taken: the
    cleanup's abandon() then queued an end marker, waiting on that lock for ever (CI saw a
    render not end in 60 s after Ctrl-C). It queues nothing now and waits CLOSE_WAIT at most."""
    import vizff.feeder

    monkeypatch.setattr(vizff.feeder, "CLOSE_WAIT", 0.5)
    release = threading.Event()
    feeder = Feeder(lambda item: release.wait(5), depth=1, name="vizff-test")
    feeder.put(1)  # the sink is busy with it
    feeder._queue.mutex.acquire()  # as an interrupt inside put() can leave it
    done = threading.Event()
    worker = threading.Thread(target=lambda: (feeder.abandon(), done.set()), daemon=True)
    start = time.monotonic()
    worker.start()
    assert done.wait(3), "abandon() waited on the queue's lock"
    assert time.monotonic() - start < 2
    feeder._queue.mutex.release()
    release.set()
    feeder._thread.join(5)
    assert not feeder_threads()  # and the thread still ends once the lock is free
