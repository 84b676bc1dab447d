"""Peak memory rendering 100 and 1,000 frames: vizff against the matplotlib baseline.

    python benchmarks/memory.py [--counts 100,1000] [--formats gif,mp4] [--sides vizff,baseline]

Each render runs in a fresh Python process, which reports its own peak resident memory
(and its ffmpeg child's, for MP4). The sides alternate, so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

CHILD = r"""
import json, resource, sys
sys.path.insert(0, {here!r})
side, fmt, n, out = {side!r}, {fmt!r}, {n}, {out!r}
if side == "vizff":
    from vizff.recipes import make_recipe
    from vizff.render import render
    render(make_recipe({{"scene": "weights", "out": out, "steps": n, "every": 1,
                        "hidden": [16], "size": "640x360", "hold": 0}}))
else:
    from baseline import render_baseline
    render_baseline(out, frames=n)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"python_mb": own, "ffmpeg_mb": child}}))
"""


def peak(side: str, fmt: str, n: int) -> dict:
    out = str(RESULTS / f"memory-{side}-{n}.{fmt}")
    code = CHILD.format(here=str(HERE), side=side, fmt=fmt, n=n, out=out)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,1000")
    parser.add_argument("--formats", default="gif,mp4")
    parser.add_argument("--sides", default="vizff,baseline")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    counts = [int(c) for c in args.counts.split(",")]
    for fmt in args.formats.split(","):
        table = {}
        for n in counts:
            for side in args.sides.split(","):
                table[side, n] = peak(side, fmt, n)
                got = table[side, n]
                print(
                    f"[{fmt}] {side:<8} {n:>5} frames: python {got['python_mb']:7.1f} MB"
                    f"   children (ffmpeg) {got['ffmpeg_mb']:6.1f} MB",
                    flush=True,
                )
        low, high = min(counts), max(counts)
        for side in args.sides.split(","):
            growth = table[side, high]["python_mb"] - table[side, low]["python_mb"]
            print(f"[{fmt}] {side}: {high} frames cost {growth:+.1f} MB more than {low}")


if __name__ == "__main__":
    main()
