"""The forward scene's render to MP4 against the bare H.264 encoder on the same frames.

    python benchmarks/forward_speed.py [--mode pass|training] [--size 1280x720] [--rounds 5]

The frames are rendered once and held in memory; then, alternately in this one process, the
whole render (silent training, drawing and encoding, as `vizff render forward --hidden 32,16`
does it) and `imageio_ffmpeg.write_frames` with the writer's own x264 settings fed the frames
already in memory. Prints each side's median and minimum and their ratios. On a shared,
loaded machine the minimum is the steadier figure.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenes_speed import RESULTS, bare_encoder  # noqa: E402 (the one bare encoder)

from vizff.render import render_scene  # noqa: E402
from vizff.scenes import SCENES  # noqa: E402


def rendered(options: dict, out: Path) -> float:
    start = time.perf_counter()
    render_scene("forward", out, **options)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="pass", choices=("pass", "training"))
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))
    options = dict(mode=args.mode, hidden=(32, 16), size=(width, height), hold=0)
    frames = list(SCENES["forward"](**options).frames())
    ours, bare = [], []
    for _ in range(args.rounds):  # alternate, so the machine's load hits both sides alike
        gc.collect()
        bare.append(bare_encoder(frames, RESULTS / "forward-bare.mp4", 20))
        gc.collect()
        ours.append(rendered(options, RESULTS / "forward.mp4"))
    print(f"forward, mode {args.mode}, {len(frames)} frames at {args.size}, {args.rounds} rounds")
    for name, times in (("vizff render", ours), ("bare encoder", bare)):
        print(f"  {name:13s} median {statistics.median(times):6.2f} s   min {min(times):6.2f} s")
    print(
        f"  render / bare encoder: median {statistics.median(ours) / statistics.median(bare):.2f}x"
        f", min {min(ours) / min(bare):.2f}x"
    )


if __name__ == "__main__":
    main()
