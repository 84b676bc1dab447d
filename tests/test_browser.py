"""`vizff page` in a real browser: headless Chromium loads the page from a loopback server and
every GIF, WebP and PNG must decode at its size, every MP4 must play past one second at its
size, and every poster must load. A broken MP4 must make the check fail.

Chromium is Debian's (`.ci/run` installs it); without it these tests fail rather than skip.
A screenshot of the page is kept in test-artefacts/ (or $VIZFF_ARTEFACTS).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM, Chromium, page_report, problems, serve_folder

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
