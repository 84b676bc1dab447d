"""Real faults, not simulated ones: a full filesystem, a render killed outright or hung up on.

The full disk is a 300 KB tmpfs mounted for the test (root only; skipped, saying why, where the
machine refuses the mount). Every case checks the same things: one `error: ...` line, exit 1,
the previous output byte for byte as it was, and no `.vizff-*` temporary left behind.
"""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import run
from tests.test_writers import moving_square, write_all
from vizff.files import sweep_stale
from vizff.recipes import make_recipe
from vizff.render import render

RENDER = ["render", "weights", "--steps", "12", "--every", "1", "--hidden", "4"]  # about 90 KB
FORMATS = [".gif", ".mp4", ".webp", ".png", ""]  # "" is a folder of numbered PNGs
PAGE = 4096  # tmpfs counts whole pages


@pytest.fixture
def disk(tmp_path):
    """A real 300 KB filesystem, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no `mount` command here to make a small filesystem")
    if done.returncode != 0:
        pytest.skip(f"this machine refuses to mount a small tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def free_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def fill(disk: Path, leave: int) -> None:
    """Take all of the disk's free space but about `leave` bytes."""
    (disk / "filler").write_bytes(b"\0" * max(0, free_bytes(disk) - leave))


def previous_output(target: Path) -> None:
    """What yesterday's render left: a real file, or a folder of frames (a folder holding
    other files too is refused before any work: `test_frames_go_only_into_...`)."""
    if target.suffix:
        write_all(target, moving_square(3, size=(32, 32)), fps=10)
    else:
        write_all(target, moving_square(3, size=(32, 32)))


def snapshot(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def assert_one_clean_line(code: int, err: str, target: Path) -> None:
    assert code == 1, err
    assert err.startswith(f"error: {target}: writing failed (No space left on device")
    assert len(err.strip().splitlines()) == 1
    for noise in ("Traceback", "Broken pipe", "ffmpeg -", "-pix_fmt", "trailer"):
        assert noise not in err


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("leave", ["nothing", "almost enough"])
def test_full_disk_one_line_exit_1_old_output_kept(disk, tmp_path, capsys, suffix, leave):
    reference = tmp_path / f"reference{suffix}"
    assert run(capsys, *RENDER, "--out", str(reference))[0] == 0
    size = sum(p.stat().st_size for p in [reference, *reference.glob("*")] if p.is_file())
    target = disk / f"w{suffix}"
    previous_output(target)
    # "nothing": fails at once; "almost enough": fails at the very end (for MP4, in ffmpeg's
    # trailer or its faststart pass, where it once exited 0 with an unplayable file)
    fill(disk, 0 if leave == "nothing" else size - PAGE)
    before = snapshot(disk)
    code, _, err = run(capsys, *RENDER, "--out", str(target))
    assert_one_clean_line(code, err, target)
    assert snapshot(disk) == before  # the old output byte for byte; nothing new, not even a folder


def test_full_disk_new_folder_leaves_no_folder(disk, capsys):
    target = disk / "new" / "frames"
    code, _, err = run(capsys, *RENDER, "--steps", "40", "--out", str(target))  # > 300 KB
    assert_one_clean_line(code, err, target)
    assert list(disk.iterdir()) == []


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_full_disk_without_a_filler(disk, capsys, suffix):
    # the reviewer's check as it is typed: a render bigger than the whole 300 KB disk
    target = disk / f"w{suffix}"
    previous_output(target)
    before = snapshot(disk)
    code, _, err = run(capsys, *RENDER, "--steps", "300", "--out", str(target))
    assert_one_clean_line(code, err, target)
    assert snapshot(disk) == before


# ---- processes that cannot clean up after themselves ---------------------------------------
@pytest.fixture
def long_render():
    """Start a render of 5,000 frames (no training first: frames flow at once); any still
    running when the test ends is killed."""
    started = []

    def start(out: Path) -> subprocess.Popen:
        command = ["render", "sigmoid", "--set", "frames=5000", "--out", str(out)]
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "vizff", *command],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def wait_for_temp_bytes(process: subprocess.Popen, folder: Path, enough: int) -> list[Path]:
    """The render's temporaries, once they hold `enough` bytes of frames."""
    pattern = f".vizff-{process.pid}-*"
    deadline = time.monotonic() + 120  # a busy machine starts Python slowly
    while time.monotonic() < deadline:
        temps = list(folder.glob(pattern))
        files = [p for t in temps for p in [t, *t.glob("*")] if p.is_file()]
        if temps and sum(p.stat().st_size for p in files) >= enough:
            return temps
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the render never got going")


def wait_for_ffmpeg_of(folder: Path) -> None:
    """A killed vizff's ffmpeg reads to the end of its input, finishes its file and exits."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = False
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                busy |= str(folder).encode() in cmdline.read_bytes()
            except OSError:
                pass
        if not busy:
            return
        time.sleep(0.05)


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webp", ""])
def test_killed_render_leaves_temporaries_the_next_render_removes(tmp_path, long_render, suffix):
    out = tmp_path / f"w{suffix}"
    process = long_render(out)
    # frames on disk: an MP4's first bytes (x264 writes little once its lookahead is full)
    temps = wait_for_temp_bytes(process, tmp_path, 1 if suffix == ".mp4" else 40_000)
    process.kill()  # SIGKILL: nothing runs, nothing is cleaned up
    process.wait()
    wait_for_ffmpeg_of(tmp_path)
    assert all(t.exists() for t in temps)  # this is what the next render has to deal with
    # temporaries that must stay: a live process's (this one's), and names that only look alike
    keep = [f".vizff-{os.getpid()}-inuse{suffix}", ".vizff-abc.gif", ".vizff-12x-3.gif", "a.gif"]
    next_ = tmp_path / "next.gif"  # the next render into this folder, whoever runs it
    for name in keep:
        (tmp_path / name).write_bytes(b"not yours")
    render(make_recipe({"scene": "sigmoid", "frames": 3, "size": "320x180", "out": str(next_)}))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, "next.gif"])


@pytest.mark.parametrize(
    "sig, suffix",
    [(signal.SIGHUP, ".gif"), (signal.SIGHUP, ".webp"), (signal.SIGHUP, ".png")]
    + [(signal.SIGHUP, ""), (signal.SIGTERM, "")],  # SIGTERM on files: test_render_cli.py
)
def test_hung_up_render_cleans_up_as_ctrl_c_does(tmp_path, long_render, sig, suffix):
    out = tmp_path / "new" / f"w{suffix}"  # neither the file nor its folder was there before
    process = long_render(out)
    wait_for_temp_bytes(process, out.parent, 0 if suffix == ".png" else 20_000)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + sig  # as a shell reports the signal: 129, 143
    assert err.strip().splitlines()[-1] == "error: interrupted; no output was changed"
    assert list(tmp_path.iterdir()) == []  # not even the folder made for it


def test_sweep_removes_only_dead_processes_temporaries(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process now
    names = {
        f".vizff-{dead.pid}-a1b2c3d4.gif": False,
        f".vizff-{dead.pid}-dir_0000": False,
        f".vizff-{os.getpid()}-c3d4e5f6.gif": True,  # alive
        f".vizff-{os.getppid()}-e5f6g7h8.mp4": True,  # alive
        ".vizff-1-init0000.gif": True,  # pid 1 always runs
        ".vizff-x1y2z3.gif": True,  # the old naming, without a pid: not ours to judge
        f"vizff-{dead.pid}-a.gif": True,
        f".vizff-{dead.pid}": True,  # no dash after the pid: not our pattern
        ".vizff-99999999999999999999-a.gif": True,  # no such pid can be asked about
        "w.gif": True,
    }
    for name in names:
        if name.endswith("-dir_0000"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "frame_00000.png").write_bytes(b"png")
        else:
            (tmp_path / name).write_bytes(b"x")
    removed = sweep_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(n for n, kept in names.items() if not kept)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, k in names.items() if k)


def test_full_disk_names_the_output_not_vizffs_temporaries(disk, capsys, tmp_path):
    """A size budget's attempts and a storyboard's parts are written to temporaries beside
    the output; the error names the output the user gave (it named `attempt1.gif` and
    `part-002.gif` in a hidden folder that is gone by then)."""
    previous = disk / "w.gif"
    previous_output(previous)
    fill(disk, 20_000)
    before = snapshot(disk)
    code, _, err = run(capsys, *RENDER, "--steps", "60", "--max-bytes", "250KB",
                       "--out", str(previous))  # fmt: skip
    assert_one_clean_line(code, err, previous)
    lesson = tmp_path / "lesson.toml"
    lesson.write_text(
        'size = "480x270"\nfps = 10\nhold = 0\n[[part]]\ncard = "title"\nseconds = 3\n'
        '[[part]]\nscene = "sigmoid"\nframes = 60\n'
    )
    for jobs in ("1", "2"):
        code, _, err = run(capsys, "render", str(lesson), "--out", str(previous), "--jobs", jobs)
        assert code == 1, err
        assert err.startswith(f"error: {lesson}: part ") and ".vizff-" not in err, err
        assert f"{previous}: writing failed (No space left on device)" in err
        assert len(err.strip().splitlines()) == 1
    assert snapshot(disk) == before


@pytest.mark.parametrize("out", ["lesson.mp4", "lesson.gif", "lesson.webp", "lesson"])
def test_a_storyboard_that_fails_as_its_parts_are_joined_leaves_no_temporaries(
    capsys, tmp_path, monkeypatch, out
):
    """The parts render into a hidden folder beside the output; a disk that fills as they
    are joined must not leave that folder (it kept the full disk full)."""
    import vizff.storyboard as board

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    for name in ("join_mp4", "join_gif", "join_webp", "_index"):
        monkeypatch.setattr(board, name, full)
    lesson = tmp_path / "lesson.toml"
    lesson.write_text(
        'size = "320x180"\nfps = 10\nhold = 0\n[[part]]\ncard = "title"\nseconds = 1\n'
        '[[part]]\nscene = "sigmoid"\nframes = 4\n'
    )
    target = tmp_path / "out" / out
    target.parent.mkdir()
    code, _, err = run(capsys, "render", str(lesson), "--out", str(target), "--jobs", "1")
    assert code == 1 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert list((tmp_path / "out").iterdir()) == []  # no .vizff-<pid>-... folder of parts


def test_a_size_budget_on_a_read_only_folder_names_the_output(capsys, tmp_path, monkeypatch):
    """The budget's attempts go to a temporary folder beside the output; on a read-only
    mount, making it failed with the temporary's name (`.vizff-14781-4xz3_e9y`)."""
    import tempfile

    def read_only(*args, dir=None, **kwargs):
        raise OSError(30, "Read-only file system", str(Path(dir) / ".vizff-1-abc"))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    out = tmp_path / "w.gif"
    code, _, err = run(capsys, *RENDER, "--max-bytes", "250KB", "--out", str(out))
    assert code == 1 and ".vizff-" not in err
    assert err.strip() == f"error: {out}: cannot write in {tmp_path} (Read-only file system)"


# A Ctrl-C that lands as the output is renamed into place. The script renames as vizff does,
# then sends itself SIGINT right after its `when`-th rename of a temporary (or right before
# it, `first`): the moment a slow disk or an unlucky keypress gives.
INTERRUPTING = """
import os, signal, sys
real, done = os.replace, 0
when, first = int(sys.argv[1]), sys.argv[2] == "first"
def replace(source, target):
    global done
    done += ".vizff-" in str(source)
    if done == when and first:
        os.kill(os.getpid(), signal.SIGINT)
    result = real(source, target)
    if done == when and not first:
        os.kill(os.getpid(), signal.SIGINT)
    return result
os.replace = replace
from vizff.cli import main
main(sys.argv[3:])
"""


def interrupted_render(tmp_path: Path, when: int, first: bool, *args: str):
    return subprocess.run(
        [sys.executable, "-c", INTERRUPTING, str(when), "first" if first else "after", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )


def contents(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return {path.name: path.read_bytes()}


@pytest.mark.parametrize("first", [True, False], ids=["as-it-starts", "just-after"])
@pytest.mark.parametrize(
    "out, when",
    [("a.gif", 1), ("frames", 2), ("v.mp4", 1)],  # frames: after the 2nd of 4 files
)
def test_a_ctrl_c_as_the_output_is_put_in_place_is_said_as_it_is(tmp_path, out, when, first):
    """A Ctrl-C just after the rename said "no output was changed" with the new file in place;
    one between a folder's renames left old and new frames mixed; one between an MP4's rename
    and its poster's left the new video with the old poster. The rename now finishes, poster
    included, and the line says what was written."""
    render = ["render", "sigmoid", "--set", "frames=4", "--size", "320x180", "--out", out]
    extra = ["--poster"] if out.endswith(".mp4") else []
    old = subprocess.run(
        [sys.executable, "-m", "vizff", *render, "--set", "function=tanh", *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert old.returncode == 0, old.stderr
    names = [out, "v.poster.png"] if extra else [out]
    before = {n: contents(tmp_path / n) for n in names}
    done = interrupted_render(tmp_path, when, first, *render, *extra)
    assert done.returncode == 130, done.stderr
    after = {n: contents(tmp_path / n) for n in names}
    for name in names:  # every file is the new render's, whole: no old frame, no old poster
        assert sorted(after[name]) == sorted(before[name])
        assert all(after[name][k] != before[name][k] for k in after[name]), name
    written = " and ".join(names)
    were = "was" if len(names) == 1 else "were"
    assert done.stderr.splitlines() == [
        f"error: interrupted; {written} {were} written whole before it stopped, nothing else"
    ]
    assert not list(tmp_path.glob(".vizff-*"))


def test_a_folder_that_fails_part_way_says_it_holds_new_and_old_files(tmp_path, monkeypatch):
    """A rename that fails after others have gone through (a file made immutable, an I/O
    error) said only "writing failed": the folder then holds new frames and old ones, and
    the message says so. One that fails at the first rename leaves the old folder whole."""
    import errno

    from vizff import files
    from vizff.errors import RenderError

    def stage(tag: bytes) -> files.Staged:
        staged = files.Staged(tmp_path / "frames", folder=True, name="--out frames")
        for k in range(3):
            (staged.path / f"frame_{k:05d}.png").write_bytes(tag + bytes([k]))
        return staged

    stage(b"old").commit()
    real, calls = os.replace, []

    def failing(source, target, at):
        calls.append(target)
        if len(calls) == at:
            raise OSError(errno.EIO, "Input/output error")
        return real(source, target)

    monkeypatch.setattr(files.os, "replace", lambda s, t: failing(s, t, 1))
    with pytest.raises(OSError):
        stage(b"new").commit()
    assert {p.read_bytes()[:3] for p in (tmp_path / "frames").iterdir()} == {b"old"}
    calls.clear()
    monkeypatch.setattr(files.os, "replace", lambda s, t: failing(s, t, 2))
    with pytest.raises(RenderError) as error:
        stage(b"new").commit()
    assert str(error.value) == (
        f"--out frames: writing failed (Input/output error) after 1 of 3 files were replaced: "
        f"{tmp_path / 'frames'} holds new and old ones; render again"
    )
    held = sorted(p.read_bytes()[:3] for p in (tmp_path / "frames").glob("frame_*"))
    assert held == [b"new", b"old", b"old"]  # what the message says


def ignored_signals(pid: int) -> set[int]:
    """The signals process `pid` ignores, as the kernel reports them."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            mask = int(line.split()[1], 16)
            return {n for n in range(1, 64) if mask >> (n - 1) & 1}
    raise AssertionError("no SigIgn line")


@pytest.mark.parametrize("jobs", [None, "2"])
def test_a_render_under_nohup_outlives_its_terminal(tmp_path, jobs):
    """`nohup vizff render ...` stopped when the terminal closed: vizff replaced the SIGHUP
    that nohup ignores with its own handler. A signal ignored by whoever started vizff now
    stays ignored, in a storyboard's workers too; the others still stop it cleanly."""
    if jobs:  # a lesson of two parts, each in a worker of its own
        out = tmp_path / "lesson.mp4"
        board = tmp_path / "two.toml"
        board.write_text(
            'size = "320x180"\n[[part]]\nscene = "sigmoid"\nframes = 500\n'
            '[[part]]\nscene = "softmax"\nframes = 250\n'
        )
        command = ["render", str(board), "--out", str(out), "--jobs", jobs]
    else:
        out = tmp_path / "long.gif"
        command = ["render", "sigmoid", "--set", "frames=500", "--size", "320x180"]
        command += ["--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "vizff", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup does
        start_new_session=True,  # a group of its own, as a terminal's job is
    )
    try:
        wait_for_temp_bytes(process, tmp_path, 20_000)
        assert signal.SIGHUP in ignored_signals(process.pid)
        assert signal.SIGINT not in ignored_signals(process.pid)  # Ctrl-C still stops it
        os.killpg(process.pid, signal.SIGHUP)  # the terminal closes: to every process of it
        _, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.is_file() and not list(tmp_path.glob(".vizff-*"))


def test_a_finished_worker_keeps_nohups_sighup_ignored():
    """A worker that has reported its part sets its stop signals back to their defaults, so
    that the parent's SIGTERM ends it in silence. It set SIGHUP too, ignored or not: a lesson
    under `nohup` whose shorter part had finished lost that worker to the closed terminal
    ("the worker process ended unexpectedly", a CI run). What nohup ignores stays ignored."""
    script = (
        "import signal\n"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"  # as nohup does
        "from vizff import interrupts, parallel\n"
        "interrupts.stop_on('SIGTERM', 'SIGHUP')\n"
        "parallel._die_quietly()\n"
        "print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN,"
        " signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_from_python_a_ctrl_c_in_a_critical_block_comes_after_it():
    """As a library vizff installs no handlers, so `critical()` held nothing: a script's
    Ctrl-C as a lesson's worker was started left that worker unknown to the parent, and it
    died later with a traceback of its own (1 run in 3 of a probe). The block now holds
    Python's own KeyboardInterrupt until it ends, and gives the handler back."""
    script = (
        "import os, signal\n"
        "from vizff import interrupts\n"
        "done = []\n"
        "try:\n"
        "    with interrupts.critical():\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        sum(range(100_000))\n"  # the handler has run by now
        "        done.append('the block ended')\n"
        "except KeyboardInterrupt:\n"
        "    print(done, signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "['the block ended'] True", done.stderr


def test_two_stop_signals_together_are_one_line(tmp_path, long_render):
    """Ctrl-C then `kill` at once (an IDE's stop button, `timeout -s INT -k 1`) printed
    Python's "Signal 15 ignored due to race condition" with a traceback in most runs: the
    later signals were set to SIG_IGN while one was already pending. Three tries, each one
    line and the status of the signal that stopped it."""
    for attempt in range(3):
        out = tmp_path / f"w{attempt}.gif"
        process = long_render(out)
        wait_for_temp_bytes(process, tmp_path, 20_000)
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert err.splitlines() == ["error: interrupted; no output was changed"], err
        assert process.returncode in (130, 143)  # 128 + whichever Python handled first
        assert not out.exists() and not list(tmp_path.glob(f".vizff-{process.pid}-*"))


def test_a_named_pipe_is_refused_not_replaced(tmp_path, capsys):
    """`--out f.gif` where f.gif is a FIFO replaced the pipe with a file, exit 0: a reader
    waiting on it (`cat f.gif | upload`) waited for ever. It is refused as a device is, and
    so is a poster's name."""
    pipe = tmp_path / "f.gif"
    os.mkfifo(pipe)
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=3", "--out", str(pipe))
    assert (
        code == 2
        and err
        == f"error: --out {pipe}: is a named pipe, not a file; name a new file for the render\n"
    )  # noqa: E501
    os.mkfifo(tmp_path / "v.poster.png")
    code, _, err = run(capsys, "render", "sigmoid", "--set", "frames=3", "--poster",
                       "--out", str(tmp_path / "v.mp4"))  # fmt: skip
    assert code == 2 and "v.poster.png is a named pipe" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.gif", "v.poster.png"]
    assert all(stat.S_ISFIFO(p.lstat().st_mode) for p in tmp_path.iterdir())


def test_the_sweep_removes_only_names_shaped_as_vizffs_own_temporaries(tmp_path):
    """Any `.vizff-<dead pid>-...` name was removed: a user's `.vizff-999999-notes.txt` went
    without a word. Only names exactly as tempfile makes them (8 of its characters, then the
    output's extension or none) are taken."""
    dead = 999_999_999  # no such process
    ours = [f".vizff-{dead}-ab_9xk2q.gif", f".vizff-{dead}-0123abcd", f".vizff-{dead}-zzzzzzzz.png"]
    theirs = [f".vizff-{dead}-notes.txt", f".vizff-{dead}-x", f".vizff-{dead}-ABCDEFGH.gif",
              f".vizff-{dead}-abcdefghi.gif", f".vizff-{dead}-abcdefgh.gif.bak"]  # fmt: skip
    for name in ours + theirs:
        (tmp_path / name).write_text("x")
    removed = sweep_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(theirs)


def test_a_hang_up_with_its_terminal_gone_exits_129(tmp_path):
    """A terminal that closes sends SIGHUP and takes vizff's output with it: the cleanup was
    right, but writing the one line (and the CLI library's own newline on an interrupt)
    failed, and the exit was 1, not 129. A closed pipe stands in for the terminal here."""
    read, write = os.pipe()
    os.close(read)
    out = tmp_path / "x.gif"
    command = ["render", "sigmoid", "--set", "frames=5000", "--size", "320x180", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "vizff", *command], stdout=write,
                               stderr=write)  # fmt: skip
    os.close(write)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".vizff-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signal.SIGHUP)
        assert process.wait(timeout=60) == 129
    finally:
        process.kill()
    assert list(tmp_path.iterdir()) == []


def test_a_file_size_limit_is_said_the_same_way_for_every_format(tmp_path):
    """Past `ulimit -f`, a GIF said "File too large" and an MP4 "ffmpeg failed (killed by
    signal 25): nothing on stderr" (the kernel's SIGXFSZ ends ffmpeg); then both said "File
    too large", not which limit nor how to raise it."""
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    for name in ("a.mp4", "a.gif"):
        out = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "vizff", "render", "loss", "--steps", "300", "--every", "1",
             "--out", str(out)],
            capture_output=True, text=True, preexec_fn=limited, timeout=240,
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr == (
            f"error: {out}: writing failed (File too large: past the file size limit here, "
            "60,000 bytes; raise it, e.g. ulimit -f unlimited)\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_a_low_limit_on_open_files_takes_fewer_workers_or_says_how_to_raise_it(tmp_path):
    """Under `ulimit -n 15`, `--jobs 2` printed the forkserver's traceback and then
    "interrupted", though nothing was. Workers are now fewer where the limit would not hold
    them (one here: the lesson renders); where even one cannot start, the line says the
    limit and how to raise it."""
    import resource

    board = tmp_path / "two.toml"
    board.write_text('size = "320x180"\n[[part]]\nscene = "sigmoid"\nframes = 20\n'
                     '[[part]]\nscene = "softmax"\nframes = 20\n')  # fmt: skip

    def run_under(limit: int, out: Path):
        return subprocess.run(
            [sys.executable, "-m", "vizff", "render", str(board), "--jobs", "2", "--out", str(out)],
            capture_output=True, text=True, timeout=240,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)),
        )  # fmt: skip

    done = run_under(16, tmp_path / "ok.mp4")
    assert done.returncode == 0 and done.stderr == "" and (tmp_path / "ok.mp4").is_file()
    done = run_under(9, tmp_path / "no.mp4")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert (
        "Too many open files: 9 at once here; raise the limit, e.g. ulimit -n 1024" in done.stderr
    )
    assert not (tmp_path / "no.mp4").exists() and not list(tmp_path.glob(".vizff-*"))


def test_a_download_onto_a_full_disk_says_the_disk_not_the_network(disk, capsys, tmp_path):
    """A full disk read "no mirror delivered a verified file (... No space left on device);
    check the network or pass --mirror URL", and left an empty folder; `--dir` naming a file
    was named with a file name under it."""
    import gzip
    import hashlib

    import numpy as np

    from tests.conftest import idx_images
    from vizff.download import download_mnist
    from vizff.errors import RenderError

    share = tmp_path / "share"
    share.mkdir()
    rng = np.random.default_rng(0)  # about 400 KB gzipped: more than the disk holds
    big = gzip.compress(idx_images(rng.integers(0, 256, (600, 28, 28))), mtime=0)
    (share / "train-images-idx3-ubyte.gz").write_bytes(big)
    target = disk / "mnist"
    pins = {"train-images-idx3-ubyte.gz": (hashlib.sha256(big).hexdigest(), len(big))}
    with pytest.raises(RenderError) as caught:
        download_mnist(target, mirrors=[str(share)], files=pins, timeout=1)
    assert str(caught.value) == (
        f"--dir {target / 'train-images-idx3-ubyte.gz'}: writing failed (No space left on device)"
    )
    assert list(disk.iterdir()) == []  # no half file, and no folder made for nothing
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, out, err = run(capsys, "data", "download", "--dir", str(afile), "--mirror", str(share))
    assert (code, out) == (2, "") and err == (
        f"error: --dir {afile}: is a file; give a folder to keep the MNIST files in\n"
    )
    assert afile.read_text() == "mine"


def test_a_size_budget_fits_a_disk_with_room_for_its_result(disk, capsys, tmp_path):
    """`--max-bytes 100KB` failed with "No space left" on a disk with 124 KB free where the
    result is 88 KB: an attempt found over the budget as it closed stayed on the disk while
    the next was written. The file kept is the one a roomy disk gets, byte for byte."""
    argv = ["render", "loss", "--size", "1280x720", "--steps", "90", "--every", "1"]
    argv += ["--max-bytes", "100KB"]
    code, _, _ = run(capsys, *argv, "--out", str(tmp_path / "roomy.gif"))
    assert code == 0
    fill(disk, leave=128 * 1024)
    code, _, err = run(capsys, *argv, "--out", str(disk / "m.gif"))
    assert code == 0, err
    assert (disk / "m.gif").read_bytes() == (tmp_path / "roomy.gif").read_bytes()
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "m.gif"]


def test_a_size_budget_keeps_the_file_that_fits_when_the_disk_has_no_room_for_another_try(
    tmp_path, monkeypatch
):
    """After a fitting attempt, the search for a lesser reduction writes another beside it;
    a disk with no room for that one kept nothing ("No space left on device")."""
    import errno

    from vizff import budget
    from vizff.errors import RenderError
    from vizff.render import render_scene

    real, calls = budget.render_rung, []

    def render_rung(job, rung, path, limit, progress):
        calls.append(rung)
        if len(calls) == 3:  # the try between the rung over and the one that fits
            try:
                raise OSError(errno.ENOSPC, "No space left on device")
            except OSError:
                raise RenderError(f"{path}: writing failed (No space left on device)") from None
        return real(job, rung, path, limit, progress)

    monkeypatch.setattr(budget, "render_rung", render_rung)
    monkeypatch.setattr(budget, "next_rung", lambda rungs, *_: len(rungs) - 1)  # skip to last
    options = dict(steps=40, every=1, size="640x360", max_bytes="40KB")
    result = render_scene("loss", tmp_path / "l.gif", **options)
    assert len(calls) == 3 and calls[1] != calls[2]  # the second fitted, the third had no room
    assert result.bytes <= 40_000 and result.path.stat().st_size == result.bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.gif"]  # no attempt left behind
