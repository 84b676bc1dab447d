"""The gradients scene's render time against the bare H.264 encoder on the same frames.

    python benchmarks/scene_gradients.py [--size 1280x720] [--frames 100] [--rounds 3]

Alternately in this one process: the scene rendered to .mp4 (load, layout, drawing and
encoding), and the bare encoder writing the same frames already held in memory. The scene's
own loss evaluations (the literal loop's two per heatmap entry, and the curve's) are timed by
the scene itself (`scene.meter`) and reported apart: the ratio is the render's time without
them over the bare encoder's.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from vizff.options import parse_size
from vizff.recipes import python_recipe
from vizff.render import prepare
from vizff.writers import open_writer


def timed(action) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = parse_size(args.size)
    options = dict(frames=args.frames, size=size, fps=20, hold=0)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scene.mp4"
        job = prepare(python_recipe("gradients", str(out), options))
        frames = list(job.scene.frames())  # for the bare encoder: already in memory
        renders, evaluations, encoders = [], [], []
        for _ in range(args.rounds):  # alternate, so machine noise hits both sides alike
            job = prepare(python_recipe("gradients", str(out), options))
            renders.append(timed(job.run))
            evaluations.append(job.scene.meter.seconds)

            def encode() -> None:
                with open_writer(Path(folder) / "bare.mp4", fps=20, hold=0) as writer:
                    for frame in frames:
                        writer.write(frame)

            encoders.append(timed(encode))
        count = job.scene.meter.count
    render, evaluation, encoder = (statistics.median(x) for x in (renders, evaluations, encoders))
    print(f"gradients, {args.frames} frames at {size[0]}x{size[1]}, .mp4, median of {args.rounds}")
    print(f"  render            {render:6.2f} s")
    print(f"  loss evaluations  {evaluation:6.2f} s  ({count} of them, the scene's own)")
    print(f"  render without    {render - evaluation:6.2f} s")
    print(f"  bare encoder      {encoder:6.2f} s")
    ratio = (render - evaluation) / encoder
    print(f"  ratio, render without evaluations / bare encoder  {ratio:.2f}")


if __name__ == "__main__":
    main()
