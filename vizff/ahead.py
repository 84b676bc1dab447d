"""Work done ahead, in a background thread: an iterator's items computed while the caller
draws the previous ones, and frames handed to a blocking sink while the next is drawn.

A render has three kinds of work: training (numpy, mostly outside the GIL), drawing (Python and
numpy) and encoding (ffmpeg, another process). Done one after the other on the main thread,
each waits for the others; here training runs a few frames ahead of drawing and the pipe to
the encoder is fed from its own thread, so on two cores the three overlap. Both keep at most
`depth` items in hand, so memory stays flat however long the render, and the order of items
(and so every byte of the output) is the same as without the thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()  # the source is exhausted
CLOSE_WAIT = 5.0  # seconds close() waits for the thread to finish the item in hand
POLL = 0.05  # seconds between checks of the stop flag while blocked on a full or empty queue


class _Failed:
    """An exception the source raised, carried to the consumer in the source's order."""

    def __init__(self, error: BaseException):
        self.error = error


class Ahead(Generic[T]):
    """Iterate `source` in a daemon thread, at most `depth` items ahead of the consumer.

    Items arrive in the source's order; an exception the source raises is raised by the
    consumer's `next()` where the item would have been. `close()` (also on leaving a `with`,
    and when the consumer stops early or is interrupted) stops the thread at its next item and
    closes the source in it, then returns: the thread never outlives the iteration.
    """

    def __init__(self, source: Iterable[T], depth: int = 4, name: str = "vizff-ahead"):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(source,), name=name, daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterable[T]) -> None:
        iterator = iter(source)
        try:
            for item in iterator:
                if not self._put(item):
                    break
            else:
                self._put(_END)
        except BaseException as error:  # noqa: BLE001 (carried to the consumer, raised there)
            self._put(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()  # a generator's own clean-up runs here, in the thread that ran it
                except Exception:  # noqa: BLE001 (the consumer has stopped: nothing to tell)
                    pass

    def __iter__(self) -> Ahead[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            item = self._get()
        except BaseException:  # interrupted while waiting (Ctrl-C): stop the thread first
            self.close()
            raise
        if item is _END:
            self._finish()
            raise StopIteration
        if isinstance(item, _Failed):
            self._finish()
            raise item.error
        return item

    def _get(self):
        """The next item; the end if the thread is gone and left nothing (it always queues
        the end or an error first, but an interrupt may have cut its queue's bookkeeping)."""
        while True:
            try:
                return self._queue.get(timeout=POLL)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return _END

    def _finish(self) -> None:
        self._done = True
        self._thread.join()

    def close(self) -> None:
        """Stop the thread (it finishes the item in hand, then closes the source) and wait for
        it, CLOSE_WAIT seconds at most: an item can be long (a numerical gradient of a wide
        network), and Ctrl-C should not wait for it. The thread then ends on its own."""
        self._done = True
        self._stop.set()
        deadline = time.monotonic() + CLOSE_WAIT
        while self._thread.is_alive() and time.monotonic() < deadline:
            try:  # unblock a put() waiting on a full queue
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=POLL)

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False


def ahead(source: Iterable[T], depth: int = 4) -> Iterator[T]:
    """`source`'s items, computed in a background thread up to `depth` ahead; a generator, so
    that the thread is stopped however the caller's loop ends (break, error, close, GC)."""
    with Ahead(source, depth) as items:
        yield from items


class Feeder:
    """Hands items to `sink` (a blocking call: a write to ffmpeg's pipe) from a thread of its
    own, at most `depth` behind the caller. An error `sink` raises is raised by the next
    `put()` or by `finish()`; after one, no more items are handed over.

    Nothing here waits without a bound once the caller is stopping: an interrupt can land
    anywhere in the caller's thread, even inside the queue's own bookkeeping, so the thread
    also ends by itself once it is told to and finds nothing queued, and `abandon()` waits
    for it CLOSE_WAIT seconds at most."""

    def __init__(self, sink: Callable[[object], None], depth: int = 2, name: str = "vizff-feed"):
        self._sink = sink
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=POLL)
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            if item is _END:
                return
            if self._error is not None:
                continue  # failed: drain what the caller queued, write nothing more
            try:
                self._sink(item)
            except BaseException as error:  # noqa: BLE001 (raised in the caller's thread)
                self._error = error

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, item) -> None:
        self._raise()
        while True:
            try:
                self._queue.put(item, timeout=POLL)
                break
            except queue.Full:
                if not self._thread.is_alive():
                    break
                self._raise()

    def finish(self) -> None:
        """Wait until every item is handed over; raise what the sink raised, if it did."""
        self._closing.set()
        self._end()
        self._thread.join()  # as long as the sink takes: ffmpeg is reading
        self._raise()

    def abandon(self) -> None:
        """Stop without raising, CLOSE_WAIT seconds at most: the caller is failing already
        (or was interrupted), and the sink's reader has been stopped."""
        self._error = self._error or RuntimeError("abandoned")
        self._closing.set()
        deadline = time.monotonic() + CLOSE_WAIT
        self._end(deadline)
        self._thread.join(max(0.0, deadline - time.monotonic()))

    def _end(self, deadline: float | None = None) -> None:
        """Queue the end marker behind the items, if there is room before `deadline` (the
        thread also ends without it, once closing and nothing is queued)."""
        while self._thread.is_alive() and (deadline is None or time.monotonic() < deadline):
            try:
                self._queue.put(_END, timeout=POLL)
                return
            except queue.Full:
                continue
