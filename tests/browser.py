"""Headless Chromium driven over the DevTools protocol on a pipe, and a static loopback server.

No driver binary and no client library: Chromium started with `--remote-debugging-pipe` reads
JSON commands, each ended by a NUL byte, on its file descriptor 3 and answers on 4. Debian's
`chromium` is what `.ci/run` installs; the flags are the ones this machine's network needs
(no background connections) and a fresh profile each time.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """VIZFF_CHROMIUM if set, else the first Chromium or Chrome on PATH."""
    if given := os.environ.get("VIZFF_CHROMIUM"):
        return given if os.access(given, os.X_OK) else None
    return next(filter(None, map(shutil.which, NAMES)), None)


CHROMIUM = find_chromium()
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--mute-audio",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium and one page in it: `navigate`, `evaluate`, `screenshot`."""

    def __init__(self, executable: str | None = CHROMIUM, timeout: float = 60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="vizff-chromium-")
        to_browser, ours_out = os.pipe()
        ours_in, from_browser = os.pipe()
        # above 9, so the shell's `3<&N 4>&M` never closes what it has just opened
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
        for fd in (to_browser, from_browser):
            os.close(fd)
        command = [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.log = open(Path(self.profile).parent / f"{Path(self.profile).name}.log", "wb")
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$@" 3<&{high[0]} 4>&{high[1]}', "chromium", *command],
            pass_fds=high,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        for fd in high:
            os.close(fd)
        self.write_fd, self.read_fd = ours_out, ours_in
        self.buffer, self.next_id = b"", 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.page("Page.enable")

    def send(self, method: str, session: str | None = None, **params: Any) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self.buffer:
                if time.monotonic() > deadline:
                    raise BrowserError(f"{method}: no answer in {self.timeout:g} s")
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise BrowserError(f"chromium closed its pipe ({method})")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer["result"]

    def page(self, method: str, **params: Any) -> dict:
        return self.send(method, self.session, **params)

    def navigate(self, url: str, size: tuple[int, int] = (1200, 900)) -> None:
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=size[0],
            height=size[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        self.page("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.page(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.write_fd, self.read_fd):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder`'s files on 127.0.0.1; yields the base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# What the page shows, measured in the page: every image decoded (its natural size), every
# video playing (its clock past `seconds`, its decoded size), every poster decoded. Waits
# until all videos pass `seconds` or `timeout` runs out, then reports what it found.
REPORT = """
(async (seconds, timeout) => {
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  const load = src => new Promise(resolve => {
    const image = new Image();
    image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
    image.onerror = () => resolve(null);
    image.src = src;
  });
  const end = Date.now() + timeout * 1000;
  const videos = () => [...document.querySelectorAll('video')];
  while (document.readyState !== 'complete' && Date.now() < end) await sleep(100);
  for (const video of videos()) {  // as a reader scrolls: muted autoplay runs when in view
    video.scrollIntoView({block: 'center'});
    while (Date.now() < end && !(video.currentTime > seconds || video.error)) await sleep(100);
  }
  window.scrollTo(0, 0);
  const section = element => element.closest('section');
  const declared = element => section(element) && [
    +section(element).dataset.width, +section(element).dataset.height];
  const images = [...document.images].map(image => ({
    src: image.getAttribute('src'), complete: image.complete,
    natural: [image.naturalWidth, image.naturalHeight],
    attributes: [+image.getAttribute('width'), +image.getAttribute('height')],
    declared: declared(image)}));
  const found = [];
  for (const video of videos()) {
    found.push({
      src: video.getAttribute('src'), time: video.currentTime, paused: video.paused,
      error: video.error && video.error.code, natural: [video.videoWidth, video.videoHeight],
      attributes: [+video.getAttribute('width'), +video.getAttribute('height')],
      declared: declared(video),
      poster: video.getAttribute('poster'),
      posterSize: video.poster ? await load(video.poster) : null});
  }
  return {images, videos: found, sections: document.querySelectorAll('section').length};
})
"""


def page_report(browser: Chromium, url: str, seconds: float = 1.0, timeout: float = 20.0):
    browser.navigate(url)
    return browser.evaluate(f"{REPORT}({seconds}, {timeout})")


def problems(report: dict, seconds: float = 1.0) -> list[str]:
    """What did not load or play, one line each; empty when the page is whole."""
    found = []
    for image in report["images"]:
        if not image["complete"] or image["natural"] == [0, 0]:
            found.append(f"{image['src']}: not decoded")
        elif image["natural"] != image["attributes"] or image["natural"] != image["declared"]:
            found.append(
                f"{image['src']}: decoded {image['natural']}, the page says "
                f"{image['attributes']} / {image['declared']}"
            )
    for video in report["videos"]:
        if video["error"] or video["time"] <= seconds:
            found.append(
                f"{video['src']}: did not play (error {video['error']}, at {video['time']} s)"
            )
        elif video["natural"] != video["attributes"] or video["natural"] != video["declared"]:
            found.append(f"{video['src']}: plays at {video['natural']}, the page says otherwise")
        if video["poster"] and video["posterSize"] != video["natural"]:
            found.append(f"{video['poster']}: poster {video['posterSize']}, not decoded at size")
    return found
