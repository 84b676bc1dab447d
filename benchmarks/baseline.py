"""The baseline a user would write: matplotlib FuncAnimation redrawing the weights picture.

16 `imshow` heatmaps of the first-layer weights, the output matrix, a loss line and a caption,
driven by the same `train()` steps as vizff's weights scene, saved with PillowWriter (GIF) or
FFMpegWriter (MP4). Only for benchmarks.
"""

from __future__ import annotations

import imageio_ffmpeg
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (a user's script uses pyplot)
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter  # noqa: E402

from vizff.data import load_digits  # noqa: E402
from vizff.train import TrainConfig, train  # noqa: E402

matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()


def render_baseline(
    path: str,
    *,
    frames: int,
    size=(640, 360),
    fps: int = 20,
    hidden: int = 16,
    weight_limit: float = 0.4,
    output_limit: float = 2.7,
) -> None:
    """Render `frames` training steps (one per frame) the straightforward matplotlib way."""
    # FuncAnimation draws one extra frame to initialise: one spare step keeps it fed
    snapshots = train(
        load_digits("sample"), TrainConfig(hidden=(hidden,), steps=frames + 1, eval_every=1)
    )
    figure = plt.figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    grid = figure.add_gridspec(
        4, 8, left=0.02, right=0.98, top=0.88, bottom=0.12, wspace=0.15, hspace=0.15
    )
    images = []
    for unit in range(hidden):
        axes = figure.add_subplot(grid[unit // 4, unit % 4])
        axes.set_xticks([]), axes.set_yticks([])
        images.append(
            axes.imshow([[0.0] * 28] * 28, cmap="RdBu_r", vmin=-weight_limit, vmax=weight_limit)
        )
    out_axes = figure.add_subplot(grid[0:2, 5:8])
    output = out_axes.imshow(
        [[0.0] * hidden] * 10, cmap="RdBu_r", vmin=-output_limit, vmax=output_limit, aspect="auto"
    )
    loss_axes = figure.add_subplot(grid[2:4, 5:8])
    loss_axes.set_xlim(0, frames), loss_axes.set_ylim(0, 3)
    (line,) = loss_axes.plot([], [])
    title = figure.suptitle("")
    steps, losses = [], []

    def update(_):
        snap = next(snapshots)
        weights = snap.network.weights[0]
        for unit, image in enumerate(images):
            image.set_data(weights[:, unit].reshape(28, 28))
        output.set_data(snap.network.weights[-1].T)
        steps.append(snap.step)
        losses.append(snap.loss)
        line.set_data(steps, losses)
        title.set_text(
            f"step {snap.step}  batch loss {snap.loss:.4f}  test accuracy {snap.test_accuracy:.4f}"
        )
        return [*images, output, line, title]

    animation = FuncAnimation(figure, update, frames=frames, blit=False, repeat=False)
    writer = PillowWriter(fps=fps) if path.endswith(".gif") else FFMpegWriter(fps=fps)
    animation.save(path, writer=writer)
    plt.close(figure)
