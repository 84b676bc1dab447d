"""Frames handed to a blocking sink from a thread of their own: the MP4 writer's pipe to
ffmpeg is written while the scene draws the next frame.

A write to ffmpeg's pipe blocks until ffmpeg has read the frame; on the main thread, every
frame waited for it. The thread spends its time in that write, outside the GIL, so it
costs the drawing nothing. At most `depth` frames wait in its queue: memory stays flat
however long the render, and the frames reach the sink in the order they were put.

(Training ahead of the drawing in a thread was measured too, and lost: both are Python-heavy,
so they take turns on the GIL and a render was 0-15% slower than drawing in line.)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

_END = object()  # no more items
CLOSE_WAIT = 5.0  # seconds abandon() waits for the thread
POLL = 0.05  # seconds between checks while blocked on a full or empty queue


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
        self._closing.set()  # the thread drains the queue, writing nothing, and ends
        # no end marker is queued: an interrupt that landed inside the queue's own `put` can
        # leave its lock held by this thread, and another put would then wait on it for ever
        self._thread.join(CLOSE_WAIT)

    def _end(self) -> None:
        """Queue the end marker behind the items, while the thread lives to take it."""
        while self._thread.is_alive():
            try:
                self._queue.put(_END, timeout=POLL)
                return
            except queue.Full:
                continue
