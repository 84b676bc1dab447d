"""Every scene's whole render to MP4 against the bare H.264 encoder on the same frames.

    python benchmarks/scenes_speed.py [--sizes 640x360,1280x720,1920x1080] [--rounds 3]
                                      [--scenes weights,loss,...]

For each scene, with the options of its scene file (scenes/<name>.toml) at each size: the
frames are rendered once and held in memory; then, alternately in this one process, the whole
render (`render_scene`: data loading, training, drawing and encoding into .mp4) and the bare
encoder (`imageio_ffmpeg.write_frames` with the MP4 writer's own x264 settings) fed the frames
already in memory. Prints each side's minimum over the rounds (the steadier figure on a busy
machine) and the ratio; then, to show where a render's time goes, the scene's frames made
with no encoder at all (`no-enc`: data, training and drawing on one core) and, for the
training scenes, `train()` over the scene's run alone with nothing drawn, each against the
encoder (weights trains its run once: its silent pass for colour limits is kept and drawn).
The gradients scene's own loss evaluations are part of its render (its benchmark
`benchmarks/scene_gradients.py` reports them apart).
"""

from __future__ import annotations

import argparse
import gc
import time
import tomllib
from pathlib import Path

import imageio_ffmpeg

from vizff.render import render_scene
from vizff.scenes import SCENES
from vizff.scenes.base import TrainingScene
from vizff.train import train
from vizff.writers import COLOURS, H264

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT_KEYS = ("out", "size", "fps", "hold", "frame")


def scene_options(name: str) -> dict:
    """The scene file's options, less where and how it is written."""
    path = ROOT / "scenes" / f"{name}.toml"
    table = tomllib.loads(path.read_text()) if path.exists() else {}
    table.pop("scene", None)
    return {k: v for k, v in table.items() if k not in OUTPUT_KEYS}


def bare_encoder(frames, out: Path, fps: float) -> float:
    height, width = frames[0].shape[:2]
    start = time.perf_counter()
    pipe = imageio_ffmpeg.write_frames(
        str(out),
        (width, height),
        fps=fps,
        pix_fmt_in="rgb24",
        macro_block_size=1,
        ffmpeg_log_level="error",
        codec=None,
        quality=None,
        output_params=["-vf", ",".join(COLOURS), *H264],
    )
    pipe.send(None)
    for frame in frames:
        pipe.send(frame)
    pipe.close()
    return time.perf_counter() - start


def frames_alone(name: str, options: dict) -> float:
    """The scene's whole frames() (data, training, drawing) with no encoder: our side's work."""
    start = time.perf_counter()
    for _ in SCENES[name](**options).frames():
        pass
    return time.perf_counter() - start


def training_alone(name: str, options: dict) -> float | None:
    """train() over the scene's own run with nothing drawn; None for a scene that does not
    train."""
    scene = SCENES[name](**options)
    if not isinstance(scene, TrainingScene) or name == "gradients":
        return None
    scene.load()
    start = time.perf_counter()
    for _ in train(scene.digits, scene.config):
        pass
    return time.perf_counter() - start


def measure(name: str, size: tuple[int, int], rounds: int) -> tuple:
    options = {**scene_options(name), "size": size, "hold": 0}
    frames = list(SCENES[name](**options).frames())
    ours, bare, alone, trained = [], [], [], []
    for _ in range(rounds):  # alternate, so the machine's load hits every side alike
        gc.collect()
        bare.append(bare_encoder(frames, RESULTS / f"{name}-bare.mp4", 20))
        gc.collect()
        start = time.perf_counter()
        render_scene(name, RESULTS / f"{name}.mp4", **options)
        ours.append(time.perf_counter() - start)
        gc.collect()
        alone.append(frames_alone(name, options))
        trained.append(training_alone(name, options))
    training = None if trained[0] is None else min(trained)
    return len(frames), min(ours), min(bare), min(alone), training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="640x360,1280x720,1920x1080")
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    print(
        f"{'scene':<12} {'size':>9} {'frames':>6} {'render':>8} {'encoder':>8} {'ratio':>6}"
        f" {'no-enc':>8} {'ratio':>6} {'train':>7} {'ratio':>6}"
    )
    for name in args.scenes.split(","):
        for size in sizes:
            count, ours, bare, alone, training = measure(name, size, args.rounds)
            trained = "" if training is None else f" {training:>6.2f}s {training / bare:>5.2f}x"
            print(
                f"{name:<12} {size[0]:>4}x{size[1]:<4} {count:>6} {ours:>7.2f}s {bare:>7.2f}s"
                f" {ours / bare:>5.2f}x {alone:>7.2f}s {alone / bare:>5.2f}x{trained}",
                flush=True,
            )


if __name__ == "__main__":
    main()
