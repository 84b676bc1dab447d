"""Notebooks on a real kernel (nbclient + ipykernel): examples/lesson.ipynb, and a notebook of
our own that shows a GIF, an MP4 and a render too large to embed."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "examples" / "lesson.ipynb"


@pytest.fixture(autouse=True)
def this_python_kernel(tmp_path_factory, monkeypatch):
    """A kernel spec for this interpreter (the one vizff is installed in), found first
    whatever other `python3` kernels the machine has."""
    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "vizff tests", "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(kernels.parent.parent))


KERNEL = "vizff-tests"


def execute(notebook, folder: Path, *, allow_errors: bool = False):
    """Run every cell on a fresh kernel with `folder` as its working directory."""
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(folder)}},
        allow_errors=allow_errors,
    )
    client.execute()
    return notebook


def outputs(notebook):
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def show_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and "vizff.show(" in c.source]


def test_the_lesson_is_committed_without_outputs():
    notebook = nbformat.read(LESSON, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_the_lesson_runs_and_shows_images_and_video(tmp_path):
    notebook = execute(nbformat.read(LESSON, as_version=4), tmp_path)
    found = outputs(notebook)
    assert [o for o in found if o.output_type == "error"] == []
    mimes = {mime for o in found for mime in o.get("data", {})}
    assert {"image/png", "text/html"} <= mimes
    shown = " ".join(o.get("data", {}).get("text/html", "") for o in found)
    assert '<img src="data:image/gif;base64,' in shown
    assert '<img src="data:image/webp;base64,' in shown
    videos = [o for o in found if "<video" in o.get("data", {}).get("text/html", "")]
    assert len(videos) == 1
    html = videos[0].data["text/html"]
    assert "controls loop autoplay muted playsinline" in html
    mp4 = base64.b64decode(html.split("base64,", 1)[1].split('"', 1)[0])
    assert mp4[4:8] == b"ftyp"
    for cell in show_cells(notebook):
        # one progress display, updated in place to the summary, then the render itself
        shown = [o for o in cell.outputs if o.output_type == "display_data"]
        assert len(shown) == 1, cell.source
        assert " frames, " in shown[0].data["text/plain"]
        assert [o.output_type for o in cell.outputs] == ["display_data", "execute_result"]
    printed = "".join(o.get("text", "") for o in found if o.output_type == "stream")
    assert "test accuracy None" not in printed and "test accuracy 0." in printed
    assert list(tmp_path.iterdir()) == []  # rendered in memory: nothing left in the folder


def test_a_notebook_of_our_own_shows_gif_mp4_and_links_a_large_render(tmp_path):
    cells = [
        'import vizff\nvizff.show("sigmoid", size=(320, 180), frames=8)',
        'vizff.show("sigmoid", size=(320, 180), frames=8, format="mp4")',
        'vizff.show("mosaic", size=(320, 180), embed_limit="5KB")',
        'clip = vizff.show("sigmoid", size=(320, 180), frames=4)\nprint("assigned")',
        "clip",
    ]
    notebook = execute(new_notebook(cells=[new_code_cell(c) for c in cells]), tmp_path)
    gif, mp4, large = (cell.outputs[-1] for cell in notebook.cells[:3])
    # assigned, not the cell's value: still shown, once, when the cell ends
    assigned = notebook.cells[3].outputs
    assert [o.output_type for o in assigned] == ["display_data", "stream", "display_data"]
    assert set(assigned[2].data) == {"text/html", "text/plain"}
    assert [o.output_type for o in notebook.cells[4].outputs] == ["execute_result"]
    assert set(gif.data) == {"text/html", "text/plain"}
    tag = gif.data["text/html"]
    assert tag.startswith('<img src="data:image/gif;base64,')
    assert 'width="320" height="180" alt="The activation: sigmoid and its slope"' in tag
    image = Image.open(io.BytesIO(base64.b64decode(tag.split("base64,", 1)[1].split('"', 1)[0])))
    assert image.format == "GIF" and image.size == (320, 180) and image.n_frames == 8
    assert set(mp4.data) == {"text/html", "text/plain"}
    assert (
        '<video controls loop autoplay muted playsinline width="320" height="180"'
        in (mp4.data["text/html"])
    )
    assert 'type="video/mp4"' in mp4.data["text/html"]
    assert set(large.data) == {"text/html", "text/plain"}
    (kept,) = tmp_path.iterdir()  # the one file: the render too large to embed
    assert kept.name.startswith("mosaic-") and kept.suffix == ".gif"
    assert kept.stat().st_size > 5000
    assert f'<a href="{kept.name}" target="_blank">' in large.data["text/html"]
    assert "over the 5 KB embed limit" in large.data["text/plain"]


@pytest.mark.parametrize("exporter", ["html", "markdown"])
def test_a_notebook_exported_for_a_blog_keeps_every_animation(tmp_path, exporter):
    """A post is made from a notebook with nbconvert: its HTML and Markdown kept the PNG and
    the MP4 but dropped every GIF and WebP (a bundle of image/gif alone, which they do not
    show). Each render is in the export, its bytes whole."""
    from nbconvert import HTMLExporter, MarkdownExporter

    cells = [
        'import vizff\nvizff.show("sigmoid", size=(320, 180), frames=6)',
        'vizff.show("sigmoid", size=(320, 180), frames=6, format="webp")',
        'vizff.show("sigmoid", size=(320, 180), frames=6, format="mp4")',
        'vizff.show("softmax", size=(320, 180), format="png")',
    ]
    notebook = execute(new_notebook(cells=[new_code_cell(c) for c in cells]), tmp_path)
    made = [cell.outputs[-1] for cell in notebook.cells]
    exported, _ = (HTMLExporter if exporter == "html" else MarkdownExporter)().from_notebook_node(
        notebook
    )
    for output, kind in zip(made, ("image/gif", "image/webp", "video/mp4")):
        html = output.data["text/html"]
        encoded = html.split("base64,", 1)[1].split('"', 1)[0]
        assert f"data:{kind};base64,{encoded}" in exported, kind
    if exporter == "html":
        assert made[3].data["image/png"] in exported
    else:  # Markdown writes a PNG out beside itself
        assert "image/png" in made[3].data and ".png)" in exported


def test_an_error_in_a_cell_is_the_users_line_and_the_message(tmp_path):
    """A misspelt keyword: the cell showed an empty output (the progress bar, cleared) above
    the error. Now the error alone: the user's line, the one frame that raises it (Python
    always shows the frame of a `raise`) and the one-line message."""
    cells = ['import vizff\nvizff.show("sigmoid", size=(320, 180), frmaes=3)']
    notebook = execute(
        new_notebook(cells=[new_code_cell(c) for c in cells]), tmp_path, allow_errors=True
    )
    (error,) = notebook.cells[0].outputs
    assert error.output_type == "error" and error.ename == "OptionError"
    assert error.evalue.startswith('frmaes=3: not an option (did you mean "frames"?)')
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert "vizff.show(" in shown
    assert re.findall(r"^(?:Cell In|File )", shown, re.MULTILINE) == ["Cell In", "File "]
