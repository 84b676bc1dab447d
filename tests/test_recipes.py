from pathlib import Path

import pytest

from vizff.errors import ConfigError
from vizff.recipes import load_recipe, make_recipe
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
        job = prepare(load_recipe(str(path)))
        assert job.total > 0


def test_file_values_and_cli_overrides(tmp_path):
    path = write(
        tmp_path,
        'scene = "weights"\nout = "w.mp4"\nsize = "320x180"\nsteps = 40\n'
        "every = 4\nhidden = [8]\nlr = 2\nweight_limit = 0.5\n",
    )
    recipe = load_recipe(path, {"steps": 20, "fps": 10}, out_dir=tmp_path / "o")
    assert recipe.steps == 20 and recipe.every == 4 and recipe.fps == 10.0
    assert recipe.size == (320, 180) and recipe.train == {"hidden": (8,), "lr": 2.0}
    assert recipe.params == {"weight_limit": 0.5}
    assert recipe.output(tmp_path / "o") == tmp_path / "o" / "w.mp4"
    cli_out = load_recipe(path, {"out": "here.gif"})
    assert cli_out.out == Path("here.gif")


def test_default_output_is_named_after_the_file(tmp_path):
    recipe = load_recipe(write(tmp_path, 'scene = "loss"\n', "lecture2.toml"))
    assert recipe.output(Path("outputs")) == Path("outputs/lecture2.gif")
    assert load_recipe("loss").output(Path("outputs")) == Path("outputs/loss.gif")


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            'scene = "weights"\nstepz = 3\n',
            "unknown key 'stepz'; valid keys for scene weights: scene",
        ),
        ('scene = "weights"\nsteps = "ten"\n', "steps: expected an integer, got str 'ten'"),
        ('scene = "weights"\nfps = true\n', "fps: expected a number, got bool True"),
        ('scene = "mosaic"\nrows = 2.5\n', "rows: expected int, got float 2.5"),
        ('scene = "mosaic"\nlabels = "yes"\n', "labels: expected bool"),
        ('scene = "nope"\n', "scene: 'nope' is not a scene; choose one of mosaic"),
        ("steps = 3\n", 'needs a line scene = "NAME"'),
        ('scene = "weights"\nsize = "big"\n', "size = big: write it as WIDTHxHEIGHT"),
        ('scene = "weights"\nhidden = ["a"]\n', "hidden: expected sizes such as 128 or 128,64"),
        ('scene = "weights"\n[table]\nx = 1\n', "unknown key 'table'"),
        ('scene = "weights\n', "not valid TOML"),
    ],
)
def test_scene_file_errors_name_the_file_and_key(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_recipe(path)
    assert str(error.value).startswith(path) and needle in str(error.value)


def test_missing_file_and_unknown_scene(tmp_path):
    with pytest.raises(ConfigError, match="no such scene file"):
        load_recipe(str(tmp_path / "none.toml"))
    with pytest.raises(ConfigError, match="not a scene or a .toml scene file"):
        load_recipe("weightz")


def test_python_recipe_checks_types():
    assert make_recipe({"scene": "sigmoid", "frames": 5}).params == {"frames": 5}
    with pytest.raises(ConfigError, match="frames: must be 2..5000"):
        make_recipe({"scene": "sigmoid", "frames": 1})
