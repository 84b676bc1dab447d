import gzip
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import idx_images, write_idx_dir
from tests.servers import files, serve
from vizff.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_train_prints_epochs_and_final_accuracy(capsys, tmp_path):
    code, out, err = run(
        capsys, "train", "--epochs", "2", "--hidden", "16", "--save", str(tmp_path / "w.npz")
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("epoch 1 ") and "test accuracy 0." in lines[0]
    assert lines[-1].startswith("test accuracy 0.") and float(lines[-1].split()[-1]) > 0.5
    saved = np.load(tmp_path / "w.npz")
    assert saved["W0"].shape == (784, 16) and saved["W1"].shape == (16, 10)
    assert str(saved["activation"]) == "sigmoid"


def test_save_is_checked_before_training_and_replaces_only_saved_weights(capsys, tmp_path):
    """`--save api.py` replaced the user's script with a zip; a folder failed after training."""
    script, folder, other = tmp_path / "api.py", tmp_path / "runs", tmp_path / "theirs.npz"
    script.write_text("print('mine')\n")
    folder.mkdir()
    np.savez(other, x=np.arange(3))  # someone else's arrays
    cases = [
        (script, "the weights are saved as .npz (numpy's format); name the file e.g. weights.npz"),
        (folder, f"is a folder; name a file in it, e.g. {folder / 'weights.npz'}"),
        (other, "exists and holds no weights vizff saved; name a new file, or remove it first"),
        (script / "w.npz", f"{script} is not a folder"),
    ]
    for path, said in cases:
        code, out, err = run(capsys, "train", "--steps", "2", "--save", str(path))
        assert (code, out) == (2, "")  # refused before a single step was trained
        assert err.strip() == f"error: --save {path}: {said}"
    assert script.read_text() == "print('mine')\n" and list(np.load(other)) == ["x"]
    saved = tmp_path / "new" / "w.npz"
    for _ in range(2):  # a new file, then its own weights replaced
        code, _, err = run(capsys, "train", "--steps", "2", "--save", str(saved))
        assert code == 0 and f"saved the weights to {saved}" in err
    assert sorted(np.load(saved)) == ["W0", "W1", "activation", "b0", "b1"]


def test_numerical_method_warns_of_its_cost(capsys):
    code, out, err = run(
        capsys,
        "train",
        "--method",
        "numerical",
        "--hidden",
        "4",
        "--steps",
        "3",
        "--batch-size",
        "8",
    )
    assert code == 0
    assert "numerical costs two loss evaluations per parameter" in err
    assert re.search(r"(about [\d.]+ (s|min|h|days)|under a second) of training here", err)
    assert "about 0 s" not in err
    assert out.strip().splitlines()[-1].startswith("test accuracy")


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["train", "--hidden", "a,b"], "--hidden"),
        (["train", "--hidden", "0"], "--hidden"),
        (["train", "--epochs", "2", "--steps", "3"], "--epochs: give --epochs or --steps"),
        (["train", "--lr", "-1"], "--lr -1: must be"),
        (["train", "--activation", "tahn"], 'did you mean "tanh"'),
        (["train", "--steps", "10000000000"], "--steps 10000000000: must be 0 to 1,000,000"),
        (["train", "--epochs", "1000000000"], "--epochs 1000000000: must be 1 to 1,000"),
        (["train", "--seed", str(2**64)], "--seed 18446744073709551616: must be 0 to"),
        (["train", "--no-such-option"], "--no-such-option"),
        (["train", "--data", "/nonexistent"], "/nonexistent"),
    ],
)
def test_bad_options_one_line_no_traceback(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code in (1, 2)
    assert err.startswith("error: ") and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("damage", ["truncated", "magic", "mismatch", "missing"])
def test_broken_idx_files_exit_1_naming_the_file(capsys, tmp_path, damage):
    directory = write_idx_dir(tmp_path / "d")
    target = directory / "t10k-images-idx3-ubyte.gz"
    if damage == "truncated":
        target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes())[:5000]))
    elif damage == "magic":
        target.write_bytes(
            gzip.compress(b"\x00\x00\x08\x01" + gzip.decompress(target.read_bytes())[4:])
        )
    elif damage == "mismatch":
        target.write_bytes(gzip.compress(idx_images(np.zeros((7, 28, 28)))))
    else:
        target.unlink()
    code, out, err = run(capsys, "train", "--data", str(directory), "--steps", "1")
    assert code == 1
    assert err.startswith("error: ") and "t10k-images" in err
    assert len(err.strip().splitlines()) == 1


def test_data_info(capsys, tmp_path):
    code, out, _ = run(capsys, "data", "info", "--data", str(write_idx_dir(tmp_path / "d")))
    assert code == 0
    assert "train       60  0:6 1:6" in out and "images  28x28" in out


def test_data_download_cli(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(tmp_path / "cache"))
    with serve(files({})) as empty:  # every file 404: clear error, nothing in the cache
        code, _, err = run(capsys, "data", "download", "--mirror", empty, "--timeout", "2")
    assert code == 1 and "no mirror delivered a verified file" in err
    assert not any((tmp_path / "cache").glob("*")) if (tmp_path / "cache").exists() else True


def test_data_mnist_without_cache_says_what_to_do(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(tmp_path / "nothing"))
    code, _, err = run(capsys, "train", "--data", "mnist")
    assert (
        code == 2
        and err.startswith("error: --data mnist: the MNIST cache")
        and "vizff data download" in err
    )


@pytest.mark.parametrize("entry", ["python -m vizff", "console script"])
def test_python_dash_m_and_console_script(entry):
    script = Path(sys.executable).with_name("vizff")
    assert script.exists(), "the console script is installed beside the interpreter"
    command = [sys.executable, "-m", "vizff"] if entry == "python -m vizff" else [str(script)]
    result = subprocess.run(
        [*command, "train", "--steps", "5", "--hidden", "4", "--lr", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: --lr 0: must be")


def test_a_gradients_estimate_names_its_loss_evaluations(capsys, monkeypatch):
    """The gradients scene on 1024x1024 images noted "estimated 16.1 h of training", though it
    trains no step: the time is the numerical gradient's loss evaluations."""
    from vizff.cli import warn_if_long
    from vizff.scenes import SCENES
    from vizff.train import TrainConfig

    warn_if_long(58_000.0, TrainConfig(), SCENES["gradients"].estimated_work)
    warn_if_long(0.2, TrainConfig(method="numerical"))
    err = capsys.readouterr().err
    assert "estimated 16.1 h of training and loss evaluations" in err
    assert "about under a second" not in err and "under a second of training here" in err
