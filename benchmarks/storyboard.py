"""The lesson storyboard: --jobs 1 against --jobs 2, and against the bare H.264 encoder.

    python benchmarks/storyboard.py [--file scenes/lesson.toml] [--sizes 640x360,1280x720]
                                    [--rounds 1]

For each size, alternately in this one run: the whole storyboard rendered to .mp4 with
`--jobs 1` and with `--jobs 2`, each in a fresh Python process (as `vizff render` runs: the
parts drawn, encoded, joined; worker processes started), which reports its wall time, its
peak resident memory and the CPU time of it and its children; and the bare encoder: the
same frames (every part's, with its holds and fades, collected once beforehand and held in
memory) written by the same MP4 writer, with the same `H264` settings, in one ffmpeg.

On two cores the drawing and the encoder already overlap with one job (ffmpeg is a process
of its own, and libx264 uses threads), so the CPU time the render needs, over two cores,
bounds what a second job can gain; the script prints that bound beside the speed-up.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BARE = r"""
import json, sys
sys.path.insert(0, {here!r})
from storyboard import encoded, lesson_frames
from pathlib import Path
frames, fps = lesson_frames({file!r}, {size!r}, Path({folder!r}))
wall, cpu = encoded(frames, fps, Path({folder!r}) / "bare.mp4")
print(json.dumps({{"wall": wall, "cpu": cpu, "frames": len(frames),
    "distinct": len({{id(f) for f in frames}})}}))
"""
CHILD = r"""
import json, resource, sys, time
from vizff.storyboard import render_storyboard
start = time.perf_counter()
result = render_storyboard({file!r}, {out!r}, jobs={jobs}, size={size!r})
wall = time.perf_counter() - start
own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({{"wall": wall, "frames": result.frames, "bytes": result.bytes,
    "cpu": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
    "python_mb": own.ru_maxrss / 1024, "children_mb": kids.ru_maxrss / 1024}}))
"""


def rendered(file: str, out: Path, jobs: int, size: str) -> dict:
    """One render in a fresh process, as the CLI does it, with its own figures."""
    return child(CHILD.format(file=file, out=str(out), jobs=jobs, size=size))


def bare(file: str, size: str, folder: Path) -> dict:
    """The bare encoder in a fresh process: the frames collected first (not timed)."""
    here = str(Path(__file__).resolve().parent)
    return child(BARE.format(here=here, file=file, size=size, folder=str(folder)))


def child(code: str) -> dict:
    """A fresh process each (a forked process starts with its parent's peak memory)."""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


class Recorder:
    """Stands in for a segment's writer: keeps every frame it is given (a hold or a card's
    repeated frame is one array, kept once), writes nothing."""

    kept: list[np.ndarray] = []

    def __init__(self, path, **_):
        self.path, self.frames, self.note = Path(path), 0, None

    def __enter__(self):
        return self

    def __exit__(self, *error):
        self.path.write_bytes(b"")
        return False

    def write(self, frame):
        Recorder.kept.append(frame)
        self.frames += 1

    def repeat(self, frame, count):
        for _ in range(count):
            self.write(frame)

    def fade(self, frame, amounts, colour):
        from vizff.writers import faded

        for amount in amounts:
            self.write(faded(frame, colour, float(amount)))


def lesson_frames(file: str, size: str, folder: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of the storyboard, in order, as its segments would be given them."""
    import vizff.storyboard as storyboard
    from vizff.storyboard import load_storyboard, plan

    board = load_storyboard(file, {"size": size, "out": str(folder / "frames.mp4")})
    lesson = plan(board)
    original = storyboard.open_writer
    storyboard.open_writer = Recorder
    Recorder.kept = []
    try:
        for segment in lesson.segments:
            recorder_path = folder / f"segment-{segment.number}"
            segment = storyboard.replace(segment, path=recorder_path)
            segment.run(lambda done: None)
    finally:
        storyboard.open_writer = original
    return Recorder.kept, lesson.fps


def encoded(frames: list[np.ndarray], fps: float, out: Path) -> tuple[float, float]:
    """(wall, ffmpeg CPU) of the MP4 writer encoding frames already in memory."""
    from vizff.writers import open_writer

    gc.collect()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open_writer(out, fps=fps) as writer:
        for frame in frames:
            writer.write(frame)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="scenes/lesson.toml")
    parser.add_argument("--sizes", default="640x360,1280x720")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.file}, .mp4, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for size in args.sizes.split(","):
            one, two, encoder = [], [], []
            for _ in range(args.rounds):  # alternate, so machine noise hits every side alike
                encoder.append(bare(args.file, size, folder))
                one.append(rendered(args.file, folder / "one.mp4", 1, size))
                two.append(rendered(args.file, folder / "two.mp4", 2, size))
            print(f"\n{size}: {encoder[0]['frames']} frames ({encoder[0]['distinct']} distinct)")
            report(one, two, encoder)


def report(one: list[dict], two: list[dict], bare: list[dict]) -> None:
    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    wall1, wall2 = median(one, "wall"), median(two, "wall")
    encoder = median(bare, "wall")
    cpu1, peak1, ffmpeg1 = median(one, "cpu"), median(one, "python_mb"), median(one, "children_mb")
    bound = wall1 / (cpu1 / 2)
    print(f"  bare encoder           {encoder:6.1f} s  (ffmpeg CPU {median(bare, 'cpu'):.1f} s)")
    print(f"  --jobs 1               {wall1:6.1f} s  CPU {cpu1:.1f} s  {one[0]['frames']} frames")
    print(f"                         peak {peak1:.0f} MB (its ffmpeg {ffmpeg1:.0f} MB)")
    print(
        f"  --jobs 2               {wall2:6.1f} s  peak {median(two, 'python_mb'):.0f} MB (parent)"
    )
    print(f"  --jobs 1 / bare encoder  {wall1 / encoder:.2f}")
    print(
        f"  --jobs 1 / --jobs 2      {wall1 / wall2:.2f}  (at most {bound:.2f}: CPU time / 2 cores)"
    )


if __name__ == "__main__":
    main()
