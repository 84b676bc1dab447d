"""Render speed of the predictions scene against the bare H.264 encoder, side by side.

    python benchmarks/predictions_speed.py [--size 1280x720] [--rounds 3] [--data sample]
        [--steps 300 --every 3 | --epochs 1]

Alternately in this one process: vizff's full render to .mp4 (training, the silent pre-pass of
pick=mistakes when asked, a forward pass over the test split per frame, drawing, encoding) and
vizff's MP4 writer (libx264 through imageio-ffmpeg) fed the same frames already held in memory.
Prints both wall times and their ratio, the CPU seconds of each side (this process and its
ffmpeg child: on a loaded machine the two stop running in parallel and wall time mixes in other
people's work), and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
from pathlib import Path

from vizff.recipes import python_recipe
from vizff.render import prepare
from vizff.writers import open_writer

RESULTS = Path(__file__).resolve().parent / "results"


def recipe(out: Path, args) -> object:
    options = {
        "size": args.size,
        "data": args.data,
        "pick": args.pick,
        "fps": 20,
        "hold": 0,
    }
    if args.epochs:
        options["epochs"] = args.epochs
    else:
        options.update(steps=args.steps, every=args.every)
    if args.epochs and args.every:
        options["every"] = args.every
    return python_recipe("predictions", out, options)


def cpu() -> float:
    """CPU seconds of this process and its finished children (ffmpeg), user and system."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: dict[str, list[float]] = {"render": [], "encoder": []}


def timed(action, side: str) -> float:
    gc.collect()
    start, start_cpu = time.perf_counter(), cpu()
    action()
    CPU[side].append(cpu() - start_cpu)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", default="sample")
    parser.add_argument("--pick", default="first")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    if args.every is None and not args.epochs:
        args.every = 3
    RESULTS.mkdir(exist_ok=True)
    out, bare = RESULTS / "predictions.mp4", RESULTS / "predictions-bare.mp4"
    job = prepare(recipe(out, args))
    frames = list(job.scene.frames())  # for the bare encoder only: held in memory
    ours, encoder = [], []
    for _ in range(args.rounds):  # alternate, so machine noise hits both sides alike
        ours.append(timed(lambda: prepare(recipe(out, args)).run(), "render"))

        def encode():
            with open_writer(bare, fps=20, hold=0) as writer:
                for frame in frames:
                    writer.write(frame)

        encoder.append(timed(encode, "encoder"))
    mine, theirs = statistics.median(ours), statistics.median(encoder)
    print(f"{len(frames)} frames {args.size}, data {args.data}, pick {args.pick}")
    print(f"render (all of it): {mine:.2f} s  rounds {[round(t, 2) for t in ours]}")
    print(f"bare encoder:       {theirs:.2f} s  rounds {[round(t, 2) for t in encoder]}")
    print(
        f"ratio: {mine / theirs:.2f}x  (round by round: "
        f"{[round(a / b, 2) for a, b in zip(ours, encoder)]})"
    )
    work, bare_work = statistics.median(CPU["render"]), statistics.median(CPU["encoder"])
    print(
        f"CPU seconds (this process and ffmpeg): render {work:.2f}, bare encoder "
        f"{bare_work:.2f}, ratio {work / bare_work:.2f}x"
    )
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
