"""Render tasks in worker processes, at most `jobs` at a time, with one stream of progress.

A task is a small picklable object with `total` (frames), `label`, `work` (its expected
cost, relative to the others) and `run(progress)`, which
renders one output or one segment and returns a picklable result. With one job the tasks run
here, one after the other. With more, each runs in a fresh process forked from a server that
imported vizff once (`forkserver`: no fork of a process with threads), longest first; which
process renders a task never changes what it renders.

Workers ignore Ctrl-C: the parent decides. When the parent stops (Ctrl-C, `kill`, a failed
task), it terminates every worker, which then cleans up as an interrupted render does (its
writer removes its temporary file and ends its ffmpeg); a worker whose parent is gone stops
by itself within a frame.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from vizff import interrupts
from vizff.errors import VizffError

PRELOAD = ["vizff.storyboard", "vizff.render", "vizff.scenes"]  # imported once, in the server
POLL = 0.25  # seconds between looks at the workers while no message comes
KILLED_WAIT = 1.0  # seconds a worker ended by a signal has for its last words to be read
STOP_WAIT = 10.0  # seconds a terminated worker has to clean up before it is killed


class Task(Protocol):
    total: int  # frames, for the progress display
    label: str
    work: float  # how long it takes, relatively: the longest start first

    def run(self, progress: Callable[[int], None]) -> Any: ...


class TaskFailed(VizffError):
    """A task's error, as its worker reported it (with that error's exit code)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def cores() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


FILES_BASE, FILES_PER_JOB = 24, 8  # open files the parent needs, and each worker adds (with
# its ffmpeg and its pipes): two jobs ran under `ulimit -n 20` and failed at 16, when the
# forkserver could not pass a worker its descriptors and printed a traceback


def jobs_open_files_allow() -> int:
    """How many workers the limit on open files allows, after raising this process's soft
    limit to its hard one (which needs no privilege): at least one."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
            wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
            if wanted > soft:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
                soft = wanted
    except (ImportError, OSError, ValueError):
        return 256
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(1, (soft - FILES_BASE) // FILES_PER_JOB)


class Runner:
    """`with Runner(tasks, jobs, progress) as run: for index, result in run: ...`: results as
    tasks finish; `progress(index, frames_done)` and `started(index)` are called here, in the
    parent. Leaving the block early (an error, Ctrl-C) stops every worker first."""

    def __init__(
        self,
        tasks: Sequence[Task],
        jobs: int,
        progress: Callable[[int, int], None] | None = None,
        started: Callable[[int], None] | None = None,
    ):
        self.tasks, self.jobs = list(tasks), min(max(1, jobs), jobs_open_files_allow())
        self.progress = progress or (lambda index, done: None)
        self.started = started or (lambda index: None)
        self.running: dict[int, multiprocessing.process.BaseProcess] = {}

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, kind, error, trace) -> bool:
        self.stop()
        return False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self.jobs == 1 or len(self.tasks) == 1:
            for index, task in enumerate(self.tasks):
                self.started(index)
                yield index, task.run(lambda done, index=index: self.progress(index, done))
            return
        yield from self._parallel()

    # ---- in worker processes --------------------------------------------------------------
    def _parallel(self) -> Iterator[tuple[int, Any]]:
        context = _context()
        messages = context.Queue()
        waiting = sorted(range(len(self.tasks)), key=lambda i: -self.tasks[i].work)
        silent: dict[int, float] = {}  # workers found ended before their last word: since when
        looked = time.monotonic()  # when the workers were last looked at
        while waiting or self.running:
            while waiting and len(self.running) < self.jobs:
                index = waiting.pop(0)
                worker = context.Process(
                    target=_work,
                    args=(self.tasks[index], index, messages, os.getpid()),
                    daemon=True,
                )
                with interrupts.critical():  # a Ctrl-C here waits until the worker is known:
                    worker.start()  # one started and not known was never stopped, and died
                    self.running[index] = worker  # later, printing a traceback, on its own
                self.started(index)
            try:
                message = messages.get(timeout=POLL)
            except queue.Empty:
                self._check_alive(silent)
                continue
            if time.monotonic() >= looked + POLL:  # while the others' progress keeps coming
                looked = time.monotonic()
                self._check_alive(silent, quiet=False)
            result = self._handle(message)
            if result is not None:
                index, value = result
                self.running.pop(index).join()
                yield index, value

    def _handle(self, message: tuple) -> tuple[int, Any] | None:
        kind, index, *rest = message
        if kind == "progress":
            self.progress(index, rest[0])
            return None
        if kind == "done":
            return index, rest[0]
        if kind == "failed":
            raise TaskFailed(rest[0], rest[1])
        raise RuntimeError(f"{self.tasks[index].label}: the worker failed:\n{rest[0]}")

    def _check_alive(self, silent: dict[int, float], *, quiet: bool = True) -> None:
        """A worker that ended without a word (killed, out of memory) fails the render; its
        last message, sent as it ended, is given a moment to arrive first. `quiet`: no message
        came for POLL, so the queue holds none of its words; else only a worker that a signal
        or a crash ended is judged, after KILLED_WAIT (it was found only once every other
        worker stopped talking: the out-of-memory killer's victim went unnoticed for 21 s)."""
        now = time.monotonic()
        for index, worker in self.running.items():
            if worker.is_alive() or not (quiet or worker.exitcode):
                continue
            since = now - silent.setdefault(index, now)
            if since > (4 * POLL if quiet else KILLED_WAIT):
                raise TaskFailed(
                    f"{self.tasks[index].label}: the worker process ended unexpectedly "
                    f"(exit code {worker.exitcode})"
                )

    def stop(self) -> None:
        """Terminate the workers still running and wait until they have cleaned up."""
        for worker in self.running.values():
            if worker.is_alive():
                worker.terminate()  # SIGTERM: the worker's writer cleans up, then it exits
        deadline = time.monotonic() + STOP_WAIT
        for worker in self.running.values():
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                worker.kill()
                worker.join()
        self.running.clear()


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def unguarded_script() -> str | None:
    """The script whose top level is running this call unguarded, else None.

    A worker process starts by running the caller's main script again (`forkserver` and
    `spawn` both do), so a script that renders with jobs > 1 at its top level, outside
    `if __name__ == "__main__":`, would have every worker start the render again and fail.
    Found from the statement of `__main__` being run now: inside an `if` on `__name__` or
    not. Nothing is said where it cannot be known (no script: a notebook, `python -c`, a
    script that cannot be read or parsed)."""
    import ast
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    frame, names, line = sys._getframe(1), getattr(main, "__dict__", None), None
    while frame is not None:  # the outermost frame of the main module's own top level
        if frame.f_globals is names and frame.f_code.co_name == "<module>":
            line = frame.f_lineno
        frame = frame.f_back
    if not path or line is None:
        return None
    try:
        with open(path, "rb") as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and node.body and node.body[0].lineno <= line:
            names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            if "__name__" in names and line <= (node.body[-1].end_lineno or line):
                return None
    return os.path.basename(path)


def unreadable_script() -> str | None:
    """The main script's name where workers could not run it again: `<stdin>` (a script piped
    to python), a file since removed. None for a readable script, `python -c`, a notebook."""
    import sys

    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path or os.path.isfile(path):
        return None
    return path


HELD = ("SIGINT", "SIGHUP", "SIGQUIT")  # signals the workers' server is started ignoring


def prestart() -> None:
    """Start the server that workers are forked from, so that its imports (a few seconds)
    overlap the caller's own work: reading and checking what is to be rendered."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        _context()
        if threading.current_thread() is not threading.main_thread():
            forkserver.ensure_running()
            return
        # The server inherits an ignored SIGINT: a Ctrl-C meant for the render (the terminal
        # sends it to every process of the group) would otherwise interrupt its imports and
        # print their traceback. The workers ignore SIGINT too; the parent stops them. So
        # with SIGHUP and SIGQUIT, for the server and multiprocessing's resource tracker
        # started with it: a closed terminal killed the tracker, which, started again,
        # printed tracebacks under the parent's one line (the parent stops the workers; the
        # server and the tracker end when it does). The signals are blocked meanwhile, so
        # that one arriving now is held for the parent (Linux never discards a blocked
        # signal), not lost to the moment's SIG_IGN.
        held = {getattr(signal, name) for name in HELD if hasattr(signal, name)}
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
        previous = {number: signal.signal(number, signal.SIG_IGN) for number in held}
        try:
            forkserver.ensure_running()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


class _ParentWatch:
    """Raises KeyboardInterrupt once the parent process is gone (checked twice a second)."""

    def __init__(self, parent: int):
        self.parent, self.next = parent, 0.0

    def check(self) -> None:
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + 0.5
        try:
            os.kill(self.parent, 0)
        except ProcessLookupError:
            raise KeyboardInterrupt from None
        except OSError:
            pass


def _work(task: Task, index: int, messages, parent: int) -> None:
    """A worker: render one task, saying how far it got, and how it ended. Once it has said
    so, a SIGTERM from the parent (stopping the render: another part failed) ends the process
    at once and in silence; before, it raised KeyboardInterrupt in multiprocessing's exit
    (joining the queue's thread), which printed a traceback under the user's one-line error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which decides
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # as the server was started
    # the parent's terminate(), and Ctrl-\ to the group: clean up, then exit
    interrupts.stop_on("SIGTERM", "SIGHUP", "SIGQUIT")
    try:
        try:
            _report(task, index, messages, parent)
        except KeyboardInterrupt:
            pass  # stopped by the parent: the writer has removed what it wrote
        finally:
            _die_quietly()
    except KeyboardInterrupt:  # the signal came in the middle of the line above
        _die_quietly()


def _die_quietly() -> None:
    """From here on, SIGTERM and SIGHUP end the worker as signals do by default: no Python
    (an ignored one, `nohup`'s SIGHUP, stays ignored)."""
    interrupts.default_again()


def _report(task: Task, index: int, messages, parent: int) -> None:
    watch = _ParentWatch(parent)

    def progress(done: int) -> None:
        watch.check()
        messages.put(("progress", index, done))

    try:
        result = task.run(progress)
    except VizffError as error:
        messages.put(("failed", index, str(error), error.exit_code))
    except KeyboardInterrupt:
        raise
    except BaseException:
        messages.put(("crashed", index, traceback.format_exc()))
    else:
        messages.put(("done", index, result))
