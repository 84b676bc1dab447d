"""Scene files: values and CLI overrides, paths resolved against the file, and errors that
name the file and the key as written there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_idx_dir
from vizff.errors import ConfigError, VizffError
from vizff.recipes import default_output, load_recipe
from vizff.render import prepare

SCENES_DIR = Path(__file__).resolve().parents[1] / "scenes"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_every_shipped_scene_file_is_valid():
    files = sorted(SCENES_DIR.glob("*.toml"))
    assert {f.stem for f in files} >= {"mosaic", "sigmoid", "softmax", "weights", "loss", "lecture"}
    for path in files:
        try:
            load_recipe(str(path))
        except ConfigError as error:
            assert "storyboard" in str(error)  # rendered by the storyboard tests
            continue
        job = prepare(load_recipe(str(path)))
        assert job.total > 0


def test_file_values_and_cli_overrides(tmp_path):
    path = write(
        tmp_path,
        'scene = "weights"\nout = "w.mp4"\nsize = "320x180"\nsteps = 40\n'
        "every = 4\nhidden = [8]\nlr = 2\nweight_limit = 0.5\n",
    )
    settings = load_recipe(path, {"steps": "20", "fps": "10"}, out_dir=tmp_path / "o").settle()
    assert settings.steps == 20 and settings.every == 4 and settings.fps == 10.0
    assert settings.size == (320, 180) and settings.hidden == (8,) and settings.lr == 2.0
    assert settings.weight_limit == 0.5
    recipe = load_recipe(path, out_dir=tmp_path / "o")
    assert default_output(recipe, recipe.settle(), tmp_path) == tmp_path / "o" / "w.mp4"
    cli = load_recipe(path, {"out": "here.gif"})
    assert default_output(cli, cli.settle(), tmp_path) == Path("here.gif")


def test_default_output_is_named_after_the_file(tmp_path):
    recipe = load_recipe(write(tmp_path, 'scene = "loss"\n', "lecture2.toml"))
    assert default_output(recipe, recipe.settle(), Path("outputs")) == Path("outputs/lecture2.gif")
    named = load_recipe("loss")
    assert default_output(named, named.settle(), Path("outputs")) == Path("outputs/loss.gif")


def test_a_relative_data_path_is_read_from_the_files_folder(tmp_path, monkeypatch):
    write_idx_dir(tmp_path / "lesson" / "digits")
    path = write(tmp_path / "lesson", 'scene = "mosaic"\ndata = "digits"\nrows = 2\ncols = 2\n')
    monkeypatch.chdir(tmp_path)  # not the file's folder
    job = prepare(load_recipe(path))
    job.scene.load()
    assert Path(job.scene.digits.path) == tmp_path / "lesson" / "digits"
    broken = write(tmp_path / "lesson", 'scene = "mosaic"\ndata = "nowhere"\n', "b.toml")
    with pytest.raises(VizffError) as error:
        prepare(load_recipe(broken)).scene.load()
    assert str(tmp_path / "lesson" / "nowhere") in str(error.value)


@pytest.mark.parametrize(
    "text, needle",
    [
        ('scene = "weights"\nstepz = 3\n', 'stepz = 3: not an option (did you mean "steps"?)'),
        ('scene = "weights"\nsteps = "ten"\n', 'steps = "ten": expected a whole number, got a'),
        ('scene = "weights"\nfps = true\n', "fps = true: expected a number, got true"),
        ('scene = "mosaic"\nrows = 2.5\n', "rows = 2.5: expected a whole number"),
        ('scene = "mosaic"\nlabels = "yes"\n', 'labels = "yes": expected true or false'),
        ('scene = "nope"\n', 'scene = "nope": not a scene; scenes: mosaic'),
        ('scene = "weigths"\n', 'did you mean "weights"'),
        ("steps = 3\n", 'needs a line scene = "NAME"'),
        ('scene = "weights"\nsize = "big"\n', 'size = "big": write it as WIDTHxHEIGHT'),
        ('scene = "weights"\nhidden = ["a"]\n', 'hidden = ["a"]: expected layer sizes'),
        ('scene = "weights"\n[table]\nx = 1\n', "table = "),
        ('scene = "weights\n', "not valid TOML"),
        ('scene = "weights"\nactivation = "tahn"\n', 'activation = "tahn": must be one of'),
        ('scene = "sigmoid"\nhidden = 64\n', "hidden = 64: scene sigmoid does not take"),
        ('scene = "mosaic"\nsteps = 30\n', "steps = 30: scene mosaic does not take"),
        ('scene = "loss"\nsteps = 10\nevery = 20\n', "every = 20: must be 1 to 10"),
        ('scene = "loss"\nsteps = 10\nepochs = 1\n', "epochs = 1: give epochs or steps"),
        ("x = " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
    ],
)
def test_scene_file_errors_name_the_file_and_key(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        prepare(load_recipe(path)).scene.load()
    assert str(error.value).startswith(path) and needle in str(error.value), str(error.value)


def test_a_byte_order_mark_and_windows_lines_are_taken_and_other_encodings_named(tmp_path):
    """Notepad saves UTF-8 with a byte-order mark, which no editor shows: the file was refused
    as "not valid TOML (Invalid statement (at line 1, column 1))". It is read as written;
    a storyboard too. UTF-16 and other non-UTF-8 files are named as such, with the remedy."""
    text = 'scene = "sigmoid"\r\nframes = 3\r\ntitle = "Sigmoïd"\r\n'
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    recipe = load_recipe(str(tmp_path / "bom.toml"))
    values = {k: v for layer, _ in recipe.layers for k, v in layer.items()}
    assert (recipe.scene, values["frames"], values["title"]) == ("sigmoid", 3, "Sigmoïd")
    board = tmp_path / "board.toml"
    board.write_bytes(b"\xef\xbb\xbf" + b'[[part]]\r\nscene = "sigmoid"\r\nframes = 3\r\n')
    from vizff.storyboard import load_storyboard

    assert len(load_storyboard(board).parts) == 1
    (tmp_path / "u16.toml").write_bytes(text.encode("utf-16"))
    with pytest.raises(ConfigError, match=r"u16.toml: is saved as UTF-16; save it as UTF-8$"):
        load_recipe(str(tmp_path / "u16.toml"))
    (tmp_path / "latin.toml").write_bytes(text.encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"latin.toml: is not UTF-8 text \(at byte 46\); save it as UTF-8$"
    ):
        load_recipe(str(tmp_path / "latin.toml"))


def test_a_named_pipe_as_a_scene_file_is_read_without_waiting_for_ever(tmp_path):
    """`vizff render fifo.toml` waited for a writer that never came."""
    import os
    import subprocess
    import sys

    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    command = [sys.executable, "-m", "vizff", "render", str(pipe), "--out-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {pipe}: is a pipe that nothing was written to\n",
    )


def test_a_scene_file_takes_a_title_per_language_chosen_by_the_lang_it_settles_on(tmp_path):
    """The README writes words one per language, `title = {en = "...", zh = "..."}`, and a
    storyboard took that; a scene file refused it ("expected a string, got a table"). It is
    chosen by the lang the layers settle on: the file's, or a --lang or keyword over it."""
    text = 'scene = "sigmoid"\nframes = 3\ntitle = {en = "Hello", zh = "激活函数"}\n'
    path = write(tmp_path, text)
    assert prepare(load_recipe(path)).settings.title == "Hello"
    assert prepare(load_recipe(path, {"lang": "zh"})).settings.title == "激活函数"
    zh = write(tmp_path, 'scene = "sigmoid"\nlang = "zh"\nsubtitle = {en = "x"}\n', "zh.toml")
    with pytest.raises(ConfigError, match='subtitle = {en = "x"}: no text for lang "zh"'):
        prepare(load_recipe(zh))
    assert prepare(load_recipe(zh, {"lang": "en"})).settings.subtitle == "x"
    odd = write(tmp_path, 'scene = "sigmoid"\ntitle = {en = 3}\n', "odd.toml")
    with pytest.raises(ConfigError, match="the en text must be a string, got a whole number 3"):
        prepare(load_recipe(odd))
    from vizff.render import render_scene

    result = render_scene("sigmoid", tmp_path / "t.gif", frames=3, title={"en": "A", "zh": "激活"})
    assert result.title == "A"


def test_cli_values_are_named_as_flags_even_with_a_file(tmp_path):
    path = write(tmp_path, 'scene = "loss"\nsteps = 10\n')
    with pytest.raises(ConfigError, match="^--every 20: must be 1 to 10"):
        prepare(load_recipe(path, {"every": "20"})).scene.load()


def test_missing_file_and_unknown_scene(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_recipe(str(tmp_path / "none.toml"))
    with pytest.raises(ConfigError, match='weightz: not a scene \\(did you mean "weights"\\?\\)'):
        load_recipe("weightz")


def test_python_keywords_are_named_as_keywords(tmp_path):
    from vizff.render import render_scene

    with pytest.raises(ConfigError, match="^frames=1: must be 2 to 5,000"):
        render_scene("sigmoid", tmp_path / "s.gif", frames=1)
    with pytest.raises(ConfigError, match="^size='10x10'"):
        render_scene("sigmoid", tmp_path / "s.gif", size="10x10")
    result = render_scene("sigmoid", tmp_path / "s.gif", frames=3, size=(320, 180))
    assert result.frames == 3


def test_a_scene_file_works_in_every_python_entry_point(tmp_path, monkeypatch):
    """`vizff.show(file)` took a scene file; `render_scene(file, out)` and `vizff.frames(file)`
    said "not a scene"."""
    import numpy as np

    import vizff
    from vizff.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('scene = "sigmoid"\nframes = 3\nsize = "320x180"\n')
    with pytest.raises(SystemExit):
        main(["render", "s.toml", "--out", "cli.gif"])
    made = vizff.render_scene("s.toml", "py.gif")
    assert made.path.read_bytes() == (tmp_path / "cli.gif").read_bytes()
    assert vizff.render_scene(Path("s.toml"), "more.gif", frames=4).frames == 4
    frames = list(vizff.frames("s.toml"))
    direct = list(vizff.frames("sigmoid", frames=3, size=(320, 180)))
    assert len(frames) == 3 and all(np.array_equal(a, b) for a, b in zip(frames, direct))
    (tmp_path / "b.toml").write_text('[[part]]\ncard = "title"\n')
    with pytest.raises(ConfigError, match=r"render it with vizff\.render_storyboard\(path, out\)"):
        vizff.render_scene("b.toml", "b.gif")
