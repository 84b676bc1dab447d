"""Ctrl-C, `kill` and a closed terminal, handled so that cleanup always finishes.

The CLI installs `stop_on(...)`: the first such signal raises KeyboardInterrupt (the writers
then remove their temporaries) and every later one is ignored, so a second Ctrl-C cannot
interrupt the cleanup. Code that calls back into Python from a C++ library (matplotlib's Agg
drawing a path) runs inside `critical()`: a signal arriving there is held until the block
ends, since an exception raised inside such a callback comes out as the library's own error.
As a library, without `stop_on`, `critical()` holds Python's own Ctrl-C the same way.
"""

from __future__ import annotations

import _thread
import atexit
import signal
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

_installed: list[signal.Signals] = []
_depth = 0
_pending = False
_received: int | None = None  # the signal that stopped the run: its exit status is 128 + it


def stop_on(*names: str) -> None:
    """Turn the named signals (those this platform has) into one KeyboardInterrupt. One that
    whoever started the process ignores stays ignored: `nohup` ignores SIGHUP so that a
    render outlives its terminal, and a shell script's background job ignores SIGINT."""
    for name in names:
        number = getattr(signal, name, None)
        if number is not None and not ignored_by_starter(number):
            signal.signal(number, _handle)
            _installed.append(number)


def default_again() -> None:
    """From here on, the signals `stop_on` took end the process as they do by default (no
    Python runs). One that whoever started the process ignores stays ignored: a worker that
    has finished must not die of the closed terminal its `nohup` render outlives."""
    for number in _installed:
        signal.signal(number, signal.SIG_DFL)


def ignored_by_starter(number: int) -> bool:
    """Whether signal `number` was set to SIG_IGN before this process handled it (vizff
    itself never sets SIG_IGN here: `_later` takes the signals after the first)."""
    return signal.getsignal(number) is signal.SIG_IGN


def _handle(signum, frame) -> None:
    global _pending, _received
    if _swallowed_in(frame):  # raised here it would be printed and dropped: ask again soon
        _later_again(signum, RETRIES)
        return
    _received = signum
    for number in _installed:  # one interrupt only: the cleanup that follows must finish
        signal.signal(number, _later)
    if _depth:
        _pending = True
        return
    raise KeyboardInterrupt


def _later_again(signum: int, tries: int) -> None:
    with _timers_lock:  # reentrant: this runs in a signal handler, maybe inside the lock
        if _exiting:
            return
        timer = threading.Timer(RETRY, _retry, (signum, tries))
        timer.daemon = True  # never what keeps a finished process from exiting
        _timers.add(timer)
    timer.start()


_timers: set[threading.Timer] = set()
_timers_lock = threading.RLock()
_exiting = False


@atexit.register
def _no_retries_at_exit() -> None:
    """The process is ending: no interrupt is asked again. A timer that fired while Python
    was finalizing called into the interpreter from a thread that no longer could ("Fatal
    Python error: PyThreadState_Get", once in some hundreds of Ctrl-C)."""
    global _exiting
    with _timers_lock:
        _exiting = True
        timers = list(_timers)
        _timers.clear()
    for timer in timers:
        timer.cancel()
    for timer in timers:
        if timer is not threading.current_thread():
            timer.join(1.0)


def _retry(signum: int, tries: int) -> None:
    """The interrupt that landed in a callback, delivered again. Not while the signal is set
    to SIG_IGN for a moment (`parallel.prestart` starting the workers' server):
    `interrupt_main` then does nothing, and a Ctrl-\\ to a lesson now and then let it run to
    its end; asked again a moment later instead, for a while. Dropped once the handler is
    another (the stop under way, or the process ending)."""
    with _timers_lock:
        _timers.discard(threading.current_thread())
    if sys.is_finalizing():
        return
    handler = signal.getsignal(signum)
    if handler is _handle:
        _thread.interrupt_main(signum)
    elif handler is signal.SIG_IGN and tries > 1:
        _later_again(signum, tries - 1)


def _later(signum, frame) -> None:
    """A stop signal after the first: nothing to do, the cleanup is under way. (Set to SIG_IGN
    instead, a second signal the C level had already caught, a `kill` right after Ctrl-C,
    made Python print "Signal 15 ignored due to race condition" with a traceback.)"""


def exit_status() -> int:
    """What a shell reports for a process ended by the signal that stopped this one: 128 +
    its number (130 for Ctrl-C, 143 for `kill`, 129 for a closed terminal); 130 where no
    signal was seen (a KeyboardInterrupt raised some other way)."""
    return 128 + (_received or signal.SIGINT)


def caused_by_interrupt(error: BaseException) -> bool:
    """Whether `error` is a KeyboardInterrupt that Python wrapped: Python 3.11 turns any
    exception raised in `__set_name__`, as a class is created (a Ctrl-C while matplotlib is
    imported), into RuntimeError("Error calling __set_name__ ...") caused by it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


RETRY = 0.01  # seconds before an interrupt that landed in a callback is handled again
RETRIES = 500  # times it is asked again while its signal is ignored for a moment: 5 s


def _swallowed_in(frame) -> bool:
    """Whether an exception raised in `frame` would be printed as "Exception ignored" and
    dropped: a weakref callback (the import system's module locks have one, so a Ctrl-C
    while a module is imported can land there) or a finalizer."""
    code = getattr(frame, "f_code", None)
    if code is None:
        return False
    if code.co_name == "__del__" or (
        code.co_name == "cb" and code.co_filename.startswith("<frozen importlib")
    ):
        return True
    # any other weakref callback (matplotlib's transforms have them: a Ctrl-C landed in one
    # during a lesson) is called with the dead reference as its first argument
    first = frame.f_locals.get(code.co_varnames[0]) if code.co_argcount else None
    return isinstance(first, weakref.ReferenceType) and first() is None


@contextmanager
def critical() -> Iterator[None]:
    """Hold an interrupt that arrives inside the block until the block has finished.

    As a library (no `stop_on`), a Ctrl-C is Python's own KeyboardInterrupt: where that is
    still its handler, the block borrows SIGINT and raises the KeyboardInterrupt at its end.
    Without that, a script's Ctrl-C as a worker was started left the worker unknown, and it
    died later printing a traceback of its own; one during a commit could stop it half done."""
    global _depth, _pending
    borrowed = None
    if not _depth and not _installed and _pythons_own_sigint():
        borrowed = signal.signal(signal.SIGINT, _hold)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if borrowed is not None:
            signal.signal(signal.SIGINT, borrowed)
        if not _depth and _pending:
            _pending = False
            raise KeyboardInterrupt


def _pythons_own_sigint() -> bool:
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def _hold(signum, frame) -> None:
    """SIGINT inside a library's `critical()` block: raised as the block ends."""
    global _pending
    _pending = True
