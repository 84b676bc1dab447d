"""The option schema: one declaration per option gives the check, the CLI flag, the file key,
the Python keyword and the listing; errors name the option as the user wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vizff.errors import Cli, File, OptionError, Python
from vizff.options import SHARED, SHARED_BY_KEY, listing, options_of, parse_size, settle
from vizff.scenes import SCENES


def read(key, value, source=Python()):
    return SHARED_BY_KEY[key].read(value, source)


@pytest.mark.parametrize(
    "text, size",
    [
        ("640x360", (640, 360)),
        ("1280X720", (1280, 720)),
        ("720p", (1280, 720)),
        ("1080p", (1920, 1080)),
        ("480p", (854, 480)),
        ((320, 180), (320, 180)),
        ([1920, 1080], (1920, 1080)),
        ("160x90", (160, 90)),
        ("3840x2160", (3840, 2160)),
    ],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "bad",
    [
        "big",
        "10x10",
        "-640x360",
        "99999x99999",
        "640x",
        (640,),
        (640.5, 360),  # (640.0, 360) is a whole size: taken
        (True, 360),
        "640x360x2",
        "",
    ],
)
def test_bad_sizes(bad):
    with pytest.raises(OptionError, match="size"):
        read("size", bad)


def test_each_source_names_the_option_its_own_way():
    for source, expected in [
        (Cli(), "--batch-size 0: must be 1 to 100,000"),
        (File(Path("lesson.toml")), "lesson.toml: batch_size = 0: must be 1 to 100,000"),
        (File(Path("l.toml"), 3, "The network"), 'l.toml: part 3 ("The network"): batch_size = 0'),
        (Python(), "batch_size=0: must be 1 to 100,000"),
    ]:
        with pytest.raises(OptionError) as error:
            read("batch_size", "0" if isinstance(source, Cli) else 0, source)
        assert str(error.value).startswith(expected), str(error.value)


def test_cli_text_is_parsed_but_file_values_keep_their_types():
    assert read("steps", "1_000", Cli()) == 1000
    assert read("hidden", "32,16", Cli()) == (32, 16)
    assert read("hidden", [32, 16]) == (32, 16) and read("hidden", 8) == (8,)
    assert read("lr", "0.5", Cli()) == 0.5 and read("lr", 2) == 2.0
    with pytest.raises(OptionError, match="expected a whole number, got a string"):
        read("steps", "ten", File(Path("x.toml")))
    with pytest.raises(OptionError, match="expected a number, got true"):
        read("fps", True, File(Path("x.toml")))
    assert read("epochs", 3.0) == 3  # 1e3 is a fine way to write a whole number in TOML


@pytest.mark.parametrize(
    "key, value, needle",
    [
        ("activation", "tahn", 'must be one of sigmoid, tanh, relu (did you mean "tanh"?)'),
        ("fps", float("nan"), "must be a finite number"),
        ("lr", float("inf"), "finite"),
        ("hidden", [0], "1 to 4,096 units"),
        ("hidden", [], "at least one hidden layer"),
        ("hidden", ["a"], "layer sizes"),
        ("seed", 2**64, "must be 0 to"),
        ("seed", -1, "must be 0 to"),
        ("steps", 10**10, "must be 0 to 1,000,000"),
        ("epochs", 1e9, "must be 1 to 1,000"),
        ("theme", "blue", "light, dark"),
        ("classes", ["a"] * 11, "up to ten names"),  # fewer are taken: the rest numbered
        ("classes", "fashon", 'did you mean "fashion"'),
        ("out", "", "file or folder name"),
        ("title", "x" * 300, "at most 200 characters"),
    ],
)
def test_checks(key, value, needle):
    with pytest.raises(OptionError) as error:
        read(key, value)
    assert needle in str(error.value)


def test_a_long_value_is_not_echoed_whole():
    with pytest.raises(OptionError) as error:
        read("size", "x" * 10_000_000)
    assert len(str(error.value)) < 400 and "10,000,00" in str(error.value)


def test_settle_fills_defaults_and_records_origins():
    settings = settle(
        SCENES["loss"], [({"steps": 40}, File(Path("a.toml"))), ({"fps": "10"}, Cli())]
    )
    assert settings.steps == 40 and settings.fps == 10.0 and settings.every == 5
    assert settings.hidden == (32,) and settings.theme == "light"
    assert settings.given("steps") and not settings.given("hidden")
    assert isinstance(settings.source("fps"), Cli) and isinstance(settings.source("steps"), File)


def test_options_that_do_not_apply_are_refused_with_a_reason():
    with pytest.raises(OptionError, match="scene sigmoid does not take this option .*weights"):
        settle(SCENES["sigmoid"], [({"hidden": "64"}, Cli())])
    with pytest.raises(OptionError, match="--steps 30: scene mosaic does not take"):
        settle(SCENES["mosaic"], [({"steps": "30"}, Cli())])
    with pytest.raises(OptionError, match='stepz = 3: not an option .*did you mean "steps"'):
        settle(SCENES["loss"], [({"stepz": 3}, File(Path("x.toml")))])
    # a shared setting (storyboard, render --all) is left to the scenes that take it
    settings = settle(SCENES["sigmoid"], [({"hidden": "64"}, Cli())], lenient=Cli())
    assert "hidden" not in settings


def test_every_option_is_declared_once_and_every_scene_lists_its_own():
    keys = [o.key for o in SHARED]
    assert len(keys) == len(set(keys))
    for name, cls in SCENES.items():
        own = [o.key for o in cls.OPTIONS]
        assert not set(own) & set(keys), name  # a scene's own option never shadows a shared one
        lines = "\n".join(listing(cls))
        for key in options_of(cls):
            assert key in lines, (name, key)


def test_defaults_pass_their_own_checks():
    for cls in SCENES.values():
        settle(cls, [])  # every default is a legal value


def test_numpy_numbers_and_a_choice_in_other_case_are_what_they_say():
    """`seed=np.int64(3)` was "expected a whole number" though `fps=np.float64(10)` was taken;
    `--lang ZH` was refused with no hint while `--theme Dark` got one."""
    import numpy as np

    assert read("seed", np.int64(3)) == 3 and type(read("seed", np.uint8(3))) is int
    assert read("fps", np.float32(12.5)) == 12.5 and type(read("fps", np.int32(12))) is float
    with pytest.raises(OptionError, match="expected a whole number"):
        read("seed", np.bool_(True))
    # a whole-valued float of any kind, as 3.0 was: np.float32(3) was refused
    for whole in (3.0, np.float64(3), np.float32(3), np.float16(3)):
        assert read("seed", whole) == 3 and type(read("seed", whole)) is int
    for not_whole in (np.float32(3.5), np.float32("inf"), float("nan"), True):
        with pytest.raises(OptionError, match="expected a whole number"):
            read("seed", not_whole)
    # np.True_ (a notebook's comparison) is true or false, as the README says numbers are
    # taken; it was "expected true or false, got bool np.False_"
    assert read("poster", np.bool_(False)) is False and read("poster", np.bool_(True)) is True
    for not_bool in (np.array([True, False]), np.float64(1.0), np.int64(1)):
        with pytest.raises(OptionError, match="expected true or false"):
            read("poster", not_bool)
    assert read("lang", "ZH") == "zh" and read("theme", " Dark") == "dark"
    assert read("activation", "ReLU") == "relu"
    with pytest.raises(OptionError, match='did you mean "zh"'):
        read("lang", "ZHH")


def test_numpy_whole_numbers_in_sizes_layers_and_lists_are_taken(tmp_path):
    """`size=(np.int64(320), np.int32(180))`, `hidden=np.array([8, 4])`, `hidden=np.int64(8)`,
    `digits=np.array([0, 1])` and `render_storyboard(..., jobs=np.int64(1))` were refused
    ("expected ..."), though `frames=np.int64(2)` was taken."""
    import numpy as np

    from vizff.storyboard import render_storyboard

    forward = SCENES["forward"]
    s = settle(forward, [({"size": (np.int64(640), np.int32(360))}, Python())])
    assert s.size == (640, 360) and all(type(v) is int for v in s.size)
    s = settle(forward, [({"hidden": np.array([8, 4]), "digits": np.array([0, 1])}, Python())])
    assert s.hidden == (8, 4) and s.digits == (0, 1) and all(type(v) is int for v in s.hidden)
    assert settle(forward, [({"hidden": np.int64(8)}, Python())]).hidden == (8,)
    for wrong in (np.array([[8]]), np.array([8.5]), np.array([True])):
        with pytest.raises(OptionError, match="^hidden="):
            settle(forward, [({"hidden": wrong}, Python())])
    board = tmp_path / "b.toml"
    board.write_text('size = "320x180"\n[[part]]\ncard = "title"\nseconds = 0.2\n')
    assert render_storyboard(board, tmp_path / "b.gif", jobs=np.int64(1)).frames > 0


def test_ten_class_names_must_differ():
    """`--classes a,a,c,...` was taken: two labels shared a name on every frame."""
    names = ["a", "a", "c", "d", "e", "f", "g", "h", "i", "j"]
    with pytest.raises(OptionError, match='give different names \\("a" names two labels\\)'):
        read("classes", names)
    assert read("classes", [n + str(i) for i, n in enumerate(names)])[1] == "a1"


def test_data_of_fewer_classes_names_only_those():
    """A 3-class dataset had to invent seven more names (`cat,dog,bird` was refused with
    "give ten names"). The network has ten outputs: those unnamed show their label's number."""
    assert read("classes", ["cat", "dog", "bird"]) == ("cat", "dog", "bird", *"3456789")
    assert read("classes", "cat, dog", Cli()) == ("cat", "dog", *"23456789")
    with pytest.raises(OptionError, match='give different names \\("5" names two labels\\)'):
        read("classes", ["5", "x"])  # label 0 named as label 5 is shown
    with pytest.raises(OptionError, match='the name "x{20}…" has 41 characters; give each 1 to 40'):
        read("classes", ["x" * 41])
    for bad in ([], ["a"] * 11, ["a", " "]):
        with pytest.raises(OptionError, match="give up to ten names, one per label from 0"):
            read("classes", bad)


def test_an_object_is_named_by_its_kind_not_its_address():
    """A generator given as `hidden` was echoed twice as `<generator object <genexpr> at
    0x7ff...>`: an address the user cannot act on."""
    with pytest.raises(OptionError) as error:
        read("hidden", (x for x in [8]))
    assert str(error.value) == (
        "hidden=<generator>: expected layer sizes such as 32 or 32,16, got a generator"
    )
    assert " at 0x" not in str(error.value)


@pytest.mark.parametrize(
    "source, value, said",
    [
        (File(Path("x.toml")), True, "steps = true: expected a whole number, got true"),
        (Python(), True, "steps=True: expected a whole number, got True"),
        (Python(), [1, None], "steps=[1, None]: expected a whole number, got a list [1, None]"),
        (File(Path("x.toml")), [1, False], "got a list [1, false]"),
        (Cli(), "ten", "--steps ten: expected a whole number"),
    ],
)
def test_a_wrong_kind_of_value_is_quoted_in_the_words_it_was_written_in(source, value, said):
    """A Python caller wrote True, a scene file true: each reads back its own spelling."""
    with pytest.raises(OptionError) as error:
        read("steps", value, source)
    assert said in str(error.value)
    assert ("True" in str(error.value)) == (isinstance(source, Python) and value is True)


def test_whole_valued_floats_in_sizes_layers_and_on_the_command_line_are_taken(capsys):
    """`frames=2.0` and `--set rows=4.0` were taken, but `size=(640.0, 360.0)`,
    `hidden=[16.0]`, a file's `size = [640, 360.0]` and `--steps 3.0` were refused."""
    import numpy as np

    from tests.test_cli import run

    assert read("size", (640.0, 360.0)) == (640, 360)
    assert read("size", np.array([640.0, 360.0])) == (640, 360)
    assert read("hidden", [16.0, np.float32(8)]) == (16, 8) and read("hidden", 16.0) == (16,)
    assert all(type(v) is int for v in read("size", (640.0, 360.0)))
    for not_whole in ((640.5, 360), (float("nan"), 360), (float("inf"), 360)):
        with pytest.raises(OptionError, match="expected a size"):
            read("size", not_whole)
    with pytest.raises(OptionError, match="expected layer sizes"):
        read("hidden", [16.5])
    code, out, _ = run(capsys, "train", "--steps", "3.0", "--hidden", "8")
    assert code == 0 and "step 3/3 " in out
    code, _, err = run(capsys, "train", "--steps", "3.5")
    assert code == 2 and err == "error: --steps 3.5: expected a whole number\n"
