"""`vizff page` in a real browser: headless Chromium loads the page from a loopback server and
every GIF, WebP and PNG must decode at its size, every MP4 must play past one second at its
size, and every poster must load. A broken MP4 must make the check fail.

Chromium is Debian's (`.ci/run` installs it); without it these tests fail rather than skip.
A screenshot of the page is kept in test-artefacts/ (or $VIZFF_ARTEFACTS).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from browser import CHROMIUM, BrowserError, Chromium, page_report, problems, serve_folder

from vizff.cli import main
from vizff.render import render_scene

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = Path(os.environ.get("VIZFF_ARTEFACTS", ROOT / "test-artefacts"))
# a different size for each file, so a page that mixes them up is caught
SIZES = {"digits.gif": (320, 180), "curve.webp": (352, 198), "still.png": (336, 190)}
VIDEO, VIDEO_SIZE = "lesson.mp4", (384, 216)
SECONDS = 1.0  # a video must play past this


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> Path:
    if CHROMIUM is None:  # a failure, not a skip: the page's test must run
        pytest.fail(
            "no Chromium: none of chromium, chromium-browser, google-chrome on PATH, nor "
            "VIZFF_CHROMIUM=PATH; apt-get install chromium (.ci/run does)"
        )
    folder = tmp_path_factory.mktemp("renders")
    render_scene("mosaic", folder / "digits.gif", size=SIZES["digits.gif"], fps=10)
    render_scene("sigmoid", folder / "curve.webp", size=SIZES["curve.webp"], frames=12)
    render_scene("softmax", folder / "still.png", size=SIZES["still.png"])
    # 60 frames at 20 fps: three seconds, so "past one second" is playing, not loading
    render_scene("sigmoid", folder / VIDEO, size=VIDEO_SIZE, frames=60, poster=True)
    write_page(folder)
    return folder


def write_page(folder: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["page", str(folder)])
    assert exit_.value.code == 0


def report_of(folder: Path, screenshot: Path | None = None) -> dict:
    with serve_folder(folder) as url, Chromium() as browser:
        report = page_report(browser, url + "index.html", seconds=SECONDS)
        if screenshot is not None:
            browser.screenshot(screenshot)
    return report


def test_every_render_on_the_page_decodes_and_plays(renders):
    report = report_of(renders, ARTEFACTS / "page.png")
    assert problems(report, SECONDS) == []
    assert report["sections"] == 4
    decoded = {Path(image["src"]).name: tuple(image["natural"]) for image in report["images"]}
    assert decoded == SIZES  # the sizes asked for, decoded by the browser
    (video,) = report["videos"]
    assert video["src"] == VIDEO and video["time"] > SECONDS and video["error"] is None
    assert tuple(video["natural"]) == VIDEO_SIZE
    assert video["poster"] == "lesson.poster.png"
    assert tuple(video["posterSize"]) == VIDEO_SIZE
    assert (ARTEFACTS / "page.png").stat().st_size > 10_000


def planted(renders: Path, tmp_path: Path, damage) -> list[str]:
    folder = tmp_path / "planted"
    shutil.copytree(renders, folder)
    damage(folder / VIDEO)
    return problems(report_of(folder), SECONDS)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3]), id="cut"),
        pytest.param(lambda p: p.write_bytes(b"\0" * 4096), id="zeros"),
        pytest.param(lambda p: p.unlink(), id="missing"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes().replace(b"avc1", b"xxxx")), id="codec"),
    ],
)
def test_a_broken_mp4_fails_the_check(renders, tmp_path, damage):
    found = planted(renders, tmp_path, damage)
    assert any(line.startswith(f"{VIDEO}: did not play") for line in found), found


# ---- colours: an MP4 plays in the theme's own colours, at every size -------------------------
PATCH = 64  # pixels square: flat, so chroma subsampling and x264 leave the middle exact
READ_PATCHES = """(async (src, patch, count) => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = src;
  document.body.appendChild(video);
  await new Promise((done, failed) => {
    video.onloadeddata = done;
    video.onerror = () => failed(String(video.error && video.error.message));
  });
  video.currentTime = 0.25;
  await new Promise((done) => (video.onseeked = done));
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const found = [];
  for (let k = 0; k < count; k++) {
    const x = (k % 8) * patch + patch / 2, y = Math.floor(k / 8) * patch + patch / 2;
    found.push(Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3)));
  }
  return found;
})"""


def state(browser: Chromium) -> str:
    """The page's address and readiness; "" while a navigation replaces the page."""
    try:
        return browser.evaluate("location.href + ' ' + document.readyState")
    except BrowserError:  # the context the question was asked in is gone: ask again
        return ""


def theme_colours() -> list[tuple[int, int, int]]:
    """Every colour role of both themes, and the corners of the RGB cube (the matrix's
    extremes): what a frame is made of."""
    from vizff.draw.theme import DARK, LIGHT

    colours = []
    for theme in (LIGHT, DARK):
        for value in vars(theme).values():
            values = value if isinstance(value, tuple) and isinstance(value[0], tuple) else [value]
            for colour in values:
                if isinstance(colour, tuple) and len(colour) == 3 and colour not in colours:
                    colours.append(colour)
    corners = [(r, g, b) for r in (0, 255) for g in (0, 255) for b in (0, 255)]
    return colours + [c for c in corners if c not in colours]


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (1920, 1080)])
def test_an_mp4_plays_in_the_themes_colours(tmp_path, size):
    """The browser's own decoder is the oracle: each flat patch of a colour the themes use
    reads back as that colour, within 4 of 255 per channel (8-bit YUV's rounding and x264).
    Untagged BT.601 (ffmpeg's default) was read as BT.709 at HD: 18 off."""
    from vizff.writers import Mp4Writer

    colours = theme_colours()
    width, height = size
    assert len(colours) <= (width // PATCH) * (height // PATCH) and width >= 8 * PATCH
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    for k, colour in enumerate(colours):
        row, col = divmod(k, 8)
        frame[row * PATCH : (row + 1) * PATCH, col * PATCH : (col + 1) * PATCH] = colour
    with Mp4Writer(tmp_path / "colours.mp4", fps=20) as writer:
        for _ in range(10):
            writer.write(frame)
    (tmp_path / "index.html").write_text("<!doctype html><html><body></body></html>")
    with serve_folder(tmp_path) as url, Chromium() as browser:
        browser.navigate(url + "index.html")
        deadline = time.monotonic() + 20
        while (where := state(browser)) != f"{url}index.html complete":  # not about:blank
            assert time.monotonic() < deadline, where
            time.sleep(0.05)
        found = browser.evaluate(f"{READ_PATCHES}('colours.mp4', {PATCH}, {len(colours)})")
    off = np.abs(np.asarray(found, dtype=int) - np.asarray(colours, dtype=int))
    worst = int(off.max(axis=1).argmax())
    assert off.max() <= 4, f"{colours[worst]} played as {found[worst]}"
