"""Render speed and size: vizff's weights scene against the matplotlib baseline, side by side.

    python benchmarks/render_speed.py [--frames 300] [--rounds 2] [--formats gif,mp4]

For each format, alternately in this one process: vizff's full render (training included), the
baseline (FuncAnimation + PillowWriter / FFMpegWriter, same training steps), and vizff's bare
encoder on frames already in memory. Prints frames per second, the ratios, the file sizes, and
saves a still of each GIF to benchmarks/results/ for comparing quality by eye.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import render_baseline  # noqa: E402

from vizff.recipes import make_recipe  # noqa: E402
from vizff.render import prepare  # noqa: E402
from vizff.writers import open_writer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def recipe(out: Path, frames: int):
    return make_recipe(
        {
            "scene": "weights",
            "out": str(out),
            "steps": frames,
            "every": 1,
            "hidden": [16],
            "size": "640x360",
            "fps": 20,
            "hold": 0,
        }
    )


def timed(action) -> float:
    gc.collect()  # neither side pays for the other's garbage
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bare_encoder(frames: list[np.ndarray], out: Path, palette) -> float:
    def encode():
        with open_writer(out, fps=20, hold=0, palette=palette) as writer:
            for frame in frames:
                writer.write(frame)

    return timed(encode)


def still(path: Path, index: int, name: str) -> None:
    image = Image.open(path)
    image.seek(index)
    image.convert("RGB").save(RESULTS / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--formats", default="gif,mp4")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    n = args.frames
    for fmt in args.formats.split(","):
        ours, base, enc = [], [], []
        vizff_out, base_out = RESULTS / f"vizff.{fmt}", RESULTS / f"baseline.{fmt}"
        job = prepare(recipe(vizff_out, n))
        frames = list(job.scene.frames())  # for the bare encoder: already in memory
        limits = job.scene.limits
        for _ in range(args.rounds):  # alternate, so machine noise hits both sides alike
            ours.append(timed(lambda out=vizff_out: prepare(recipe(out, n)).run()))
            base.append(
                timed(
                    lambda out=base_out, lim=limits: render_baseline(
                        str(out), frames=n, weight_limit=lim[0], output_limit=lim[1]
                    )
                )
            )
            enc.append(bare_encoder(frames, RESULTS / f"bare.{fmt}", job.scene.palette))
        t_ours, t_base, t_enc = (statistics.median(x) for x in (ours, base, enc))
        print(f"[{fmt}] {n} frames, 640x360, 16 hidden units, median of {args.rounds} rounds")
        print(f"  vizff render    {n / t_ours:8.1f} fps  ({t_ours:.2f} s)")
        print(f"  baseline        {n / t_base:8.1f} fps  ({t_base:.2f} s)")
        print(f"  bare encoder    {n / t_enc:8.1f} fps  ({t_enc:.2f} s)")
        print(f"  speed-up vs baseline      {t_base / t_ours:6.1f}x")
        print(f"  render / bare encoder     {t_ours / t_enc:6.2f}x")
        size_ours, size_base = vizff_out.stat().st_size, base_out.stat().st_size
        print(
            f"  size vizff {size_ours / 1024:.0f} KB, baseline {size_base / 1024:.0f} KB, "
            f"ratio {size_ours / size_base:.3f}"
        )
        if fmt == "gif":
            still(vizff_out, n - 1, "vizff-last.png")
            still(base_out, n - 1, "baseline-last.png")
            print(f"  stills: {RESULTS / 'vizff-last.png'}, {RESULTS / 'baseline-last.png'}")


if __name__ == "__main__":
    main()
