import bz2
import gzip
import hashlib
import lzma
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import idx_images, idx_labels, write_idx_dir
from vizff.data import (
    SAMPLE_DIR,
    class_counts,
    load_digits,
    read_directory,
    read_idx_images,
    read_idx_labels,
)
from vizff.errors import DataError, IdxFormatError, OptionError


def test_sample_is_stratified_and_shuffled():
    digits = load_digits("sample")
    assert digits.train_images.shape == (4000, 28, 28)
    assert digits.test_images.shape == (1000, 28, 28)
    assert list(class_counts(digits.train_labels)) == [400] * 10
    assert list(class_counts(digits.test_labels)) == [100] * 10
    # shuffled: the first 50 train labels are not one class, nor sorted
    assert len(set(digits.train_labels[:50].tolist())) >= 8
    assert digits.train_images.dtype == np.uint8 and digits.train_images.max() == 255


def test_sample_matches_its_readme_checksums():
    readme = (SAMPLE_DIR / "README.md").read_text()
    for path in SAMPLE_DIR.glob("*.gz"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, path.name


def test_sample_digits_are_not_shared_mnist_train_copies():
    # the sample is a different 5,000: its train split is not the first 4,000 MNIST images
    digits = load_digits("sample")
    assert not np.array_equal(
        digits.train_labels[:20], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7, 2, 8, 6, 9]
    )


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("spelling", ["-", "."])
def test_directory_in_every_spelling(tmp_path, gz, spelling):
    write_idx_dir(tmp_path, gz=gz, spelling=spelling)
    digits = read_directory(tmp_path)
    assert digits.train_images.shape == (60, 28, 28)
    assert digits.test_labels.tolist() == [i % 10 for i in range(20)]


def test_gzip_detected_by_content_not_name(tmp_path):
    payload = idx_labels(np.arange(10) % 10)
    raw_named_gz = tmp_path / "labels.gz"
    raw_named_gz.write_bytes(payload)  # not compressed despite the name
    gz_named_raw = tmp_path / "labels"
    gz_named_raw.write_bytes(gzip.compress(payload))
    assert read_idx_labels(raw_named_gz).tolist() == read_idx_labels(gz_named_raw).tolist()


def test_truncated_images_name_file_and_counts(tmp_path):
    data = idx_images(np.zeros((10, 28, 28)))
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data[: 16 + 784 * 4]))
    with pytest.raises(
        IdxFormatError,
        match=r"t10k-images-idx3-ubyte.gz: header says 10 images of 28x28, but the file is "
        r"4,704 bytes short \(it holds 4 whole images\): truncated; fetch it again",
    ):
        read_idx_images(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_labels(np.arange(5)))
    with pytest.raises(IdxFormatError, match="is an IDX label file where the image file belongs"):
        read_idx_images(path)


def idx_header(kind: int, dims: list[int]) -> bytes:
    return bytes([0, 0, kind, len(dims)]) + np.array(dims, dtype=">u4").tobytes()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (idx_header(0x0D, [2, 28, 28]) + bytes(2 * 784 * 4),
         "holds 32-bit floats in 3 dimensions (IDX type 0x0D); vizff reads pixels, 0 to 255, as "
         "unsigned bytes (magic number 2051): write them as bytes"),
        (idx_header(0x08, [2, 28, 28, 3]) + bytes(2 * 784 * 3),
         "holds unsigned bytes in 4 dimensions: colour images? vizff reads grey images"),
        (idx_header(0x08, [2, 560]) + bytes(2 * 560),
         "holds unsigned bytes in 2 dimensions: images flattened to rows of 560 pixels, which is "
         "no square's size; write them as (count, rows, cols)"),
        (bytes([0, 0, 8, 3]) + np.array([2, 28, 28], dtype="<u4").tobytes() + bytes(2 * 784),
         "its sizes look little-endian (28x28 byte-swapped); IDX writes them big-endian"),
        (idx_header(0x08, [2, 2000, 28]) + bytes(10),
         "header says images of 2000x28; rows and columns must each be 1 to 1024"),
        (idx_header(0x08, [2, 28, 28]) + bytes(2 * 784 + 7),
         "header says 2 images of 28x28, but the file has 7 bytes more: damaged"),
        (gzip.compress(gzip.compress(idx_header(0x08, [1, 28, 28]) + bytes(784))),
         "is gzip inside gzip: unpack it once"),
        (b"\n<!DOCTYPE html><html>Not Found</html>", "is a web page, not data"),
        (b"PK\x03\x04" + bytes(60), "is a zip archive: unzip it"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 9\n",
         "is a Git LFS pointer, not the data: run `git lfs pull`"),
        (b"plain text, no IDX",
         "is not an IDX image file (magic number 1886151017, expected 2051)"),
        # a whole header little-endian (numpy's int32 tobytes): it said only "magic number
        # 50855936, expected 2051"; bzip2 and xz under a .gz name only the number too
        (np.array([2051, 1, 28, 28], "<i4").tobytes() + bytes(784),
         "its header is little-endian (magic number 2051 byte-swapped); IDX writes it "
         "big-endian: write the header again, e.g. with struct.pack('>IIII', ...)"),
        (bz2.compress(idx_header(0x08, [1, 28, 28]) + bytes(784)),
         "is bzip2-compressed: unpack it (bunzip2); vizff reads IDX files raw or gzip-"),
        (lzma.compress(idx_header(0x08, [1, 28, 28]) + bytes(784)),
         "is xz-compressed: unpack it (unxz)"),
    ],
)  # fmt: skip
def test_files_that_are_not_mnist_images_say_what_they_are(tmp_path, content, said):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IdxFormatError) as caught:
        read_idx_images(path)
    assert str(caught.value).startswith(f"{path}: ") and said in str(caught.value)
    assert "\n" not in str(caught.value)


def test_images_flattened_to_rows_of_a_square_size_are_read_as_squares(tmp_path):
    """(count, 784), as numpy's reshape(n, -1) leaves MNIST, was refused as 2-d: a square
    number of pixels is a square image, read row by row as the 3-d file has them."""
    from vizff.data import read_idx_images

    images = np.random.default_rng(0).integers(0, 256, (3, 5, 5), dtype=np.uint8)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_header(0x08, [3, 25]) + images.tobytes())
    assert np.array_equal(read_idx_images(path), images)
    path.write_bytes(idx_header(0x08, [3, 25]) + images.tobytes()[:-1])  # still checked whole
    with pytest.raises(IdxFormatError, match="header says 3 images of 5x5, but the file is 1 "):
        read_idx_images(path)


def test_labels_past_nine_and_wide_labels_say_what_to_do(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_header(0x08, [3]) + bytes([1, 26, 3]))  # EMNIST letters: 1 to 26
    with pytest.raises(IdxFormatError, match="holds label 26; the network has 10 outputs"):
        read_idx_labels(path)
    # which advice fits: labels counted from 1, more than ten classes, or a stray label
    for labels, advice in (
        ([1, 10, 3, 1], "its labels run 1 to 10: subtract 1 from each, so they run 0 to 9"),
        (list(range(1, 27)), "it has 26 classes: keep ten of them, numbered 0 to 9"),
        ([0, 10, 3], "keep the images labelled 0 to 9, or number your classes 0 to 9"),
    ):
        path.write_bytes(idx_header(0x08, [len(labels)]) + bytes(labels))
        with pytest.raises(IdxFormatError) as caught:
            read_idx_labels(path)
        assert str(caught.value).endswith(f"labels 0 to 9: {advice}")
    path.write_bytes(idx_header(0x0B, [3]) + bytes(6))
    with pytest.raises(IdxFormatError, match="holds 16-bit integers .* labels, 0 to 9, as unsig"):
        read_idx_labels(path)


def test_short_header_and_bad_label(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(IdxFormatError, match="too short"):
        read_idx_labels(path)
    path.write_bytes(idx_labels(np.array([1, 2, 11])))
    with pytest.raises(IdxFormatError, match="label 11"):
        read_idx_labels(path)


def test_gzip_that_ends_early(tmp_path):
    path = tmp_path / "cut.gz"
    full = gzip.compress(idx_images(np.random.default_rng(0).integers(0, 256, (50, 28, 28))))
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(IdxFormatError, match="gzip stream is truncated"):
        read_idx_images(path)


def test_images_and_labels_must_match(tmp_path):
    write_idx_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(np.arange(7))))
    with pytest.raises(IdxFormatError, match="20 images but t10k-labels-idx1-ubyte.gz holds 7"):
        read_directory(tmp_path)


def test_missing_files_listed(tmp_path):
    write_idx_dir(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        DataError, match=r": no train-labels file; looked for train-labels-idx1-ubyte"
    ):
        read_directory(tmp_path)


def test_bad_specs(tmp_path, monkeypatch):
    with pytest.raises(OptionError, match="nope': no such folder; give sample, mnist or a folder"):
        load_digits(tmp_path / "nope")
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(OptionError, match="vizff data download"):
        load_digits("mnist")


def test_mnist_spec_reads_the_cache(tmp_path, monkeypatch):
    write_idx_dir(tmp_path / "cache")
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(tmp_path / "cache"))
    assert load_digits("mnist").source == "mnist"


def test_full_mnist(shared_mnist: Path):
    digits = load_digits(shared_mnist)
    assert digits.train_images.shape == (60000, 28, 28)
    assert digits.test_images.shape == (10000, 28, 28)
    assert digits.train_labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert class_counts(digits.test_labels).sum() == 10000


def test_a_gzip_of_several_members_is_read_whole(tmp_path):
    """gzip allows several members one after another (what `cat a.gz b.gz` makes)."""
    import gzip

    from tests.conftest import write_idx_dir
    from vizff.data import read_idx_images

    folder = write_idx_dir(tmp_path / "d")
    path = folder / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    cuts = [0, 16, len(raw) // 3, len(raw)]
    path.write_bytes(b"".join(gzip.compress(raw[a:b], mtime=0) for a, b in zip(cuts, cuts[1:])))
    images = read_idx_images(path)
    assert images.tobytes() == raw[16:]


def test_bytes_after_the_last_gzip_member_are_an_error(tmp_path):

    import pytest

    from tests.conftest import write_idx_dir
    from vizff.data import read_idx_images
    from vizff.errors import IdxFormatError

    folder = write_idx_dir(tmp_path / "d")
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes() + b"junk at the end")
    with pytest.raises(IdxFormatError, match="15 bytes after the end of the gzip data"):
        read_idx_images(path)


def test_an_unreadable_data_folder_is_one_line(tmp_path, monkeypatch):
    """As root the permission bits are not enforced: the refusal is simulated where the
    directory is looked into."""
    from pathlib import Path

    import pytest

    from tests.conftest import write_idx_dir
    from vizff.data import load_digits
    from vizff.errors import OptionError

    folder = write_idx_dir(tmp_path / "d")

    def refused(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", refused)
    with pytest.raises(OptionError, match="cannot be read \\(permission denied\\)"):
        load_digits(str(folder))


def test_a_file_of_the_right_name_that_cannot_be_read_says_what_it_is(tmp_path):
    folder = write_idx_dir(tmp_path / "d", gz=False)
    target = folder / "train-images-idx3-ubyte"
    target.unlink()
    target.symlink_to(tmp_path / "gone")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: is a link to .*gone, which "):
        read_directory(folder)
    target.unlink()
    target.mkdir()
    with pytest.raises(DataError, match="train-images-idx3-ubyte: is a folder; it should be the"):
        read_directory(folder)
    target.rmdir()
    os.mkfifo(target)  # reading a pipe would wait for ever
    with pytest.raises(DataError, match="is not a regular file \\(a pipe or a device\\)"):
        read_directory(folder)


def test_missing_files_say_what_the_folder_holds_instead(tmp_path):
    folder = write_idx_dir(tmp_path / "d", gz=False)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).rename(folder / name.replace("t10k", "test"))
    with pytest.raises(DataError) as caught:
        read_directory(folder)
    assert str(caught.value) == (
        f"{folder}: no t10k-images or t10k-labels file; looked for t10k-images-idx3-ubyte[.gz], "
        "t10k-labels-idx1-ubyte[.gz]; it holds test-images-idx3-ubyte, test-labels-idx1-ubyte, "
        "train-images-idx3-ubyte, train-labels-idx1-ubyte: rename them to the names looked for"
    )
    nested = write_idx_dir(tmp_path / "archive" / "raw")
    with pytest.raises(
        DataError, match=r"none of the four IDX files; .* the files are in .*raw: give"
    ):
        read_directory(nested.parent)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="; the folder is empty$"):
        read_directory(tmp_path / "empty")


def test_a_file_under_both_names_must_hold_the_same(tmp_path):
    folder = write_idx_dir(tmp_path / "d", gz=True)
    gz = folder / "train-labels-idx1-ubyte.gz"
    (folder / "train-labels-idx1-ubyte").write_bytes(gzip.decompress(gz.read_bytes()))
    assert len(read_directory(folder).train_labels) == 60  # gunzip -k: the same data twice
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_labels(np.arange(60) % 3))
    with pytest.raises(DataError, match="are both here and hold different data; remove the one"):
        read_directory(folder)


def test_grey_images_with_a_depth_of_one_are_read_as_grey(tmp_path):
    """(count, rows, cols, 1) was refused as "colour images?"; a depth of three still is."""
    from vizff.data import read_idx_images

    pixels = np.arange(2 * 5 * 4, dtype=np.uint8).reshape(2, 5, 4)
    deep = tmp_path / "deep"
    deep.write_bytes(idx_header(0x08, [2, 5, 4, 1]) + pixels.tobytes())
    np.testing.assert_array_equal(read_idx_images(deep), pixels)
    (tmp_path / "colour").write_bytes(idx_header(0x08, [2, 5, 4, 3]) + bytes(120))
    with pytest.raises(IdxFormatError, match="colour images"):
        read_idx_images(tmp_path / "colour")


def test_zeros_after_the_gzip_data_are_ignored_as_gzip_ignores_them(tmp_path):
    """A gzip file padded with zero bytes (a tape block), which gzip -d reads, was refused
    as damaged; other bytes after it still are."""
    import gzip

    from vizff.data import read_idx_images

    pixels = np.full((3, 4, 4), 7, np.uint8)
    path = tmp_path / "p.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, [3, 4, 4]) + pixels.tobytes()) + bytes(512))
    np.testing.assert_array_equal(read_idx_images(path), pixels)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(IdxFormatError, match="after the end of the gzip data"):
        read_idx_images(path)


def test_upper_case_idx_names_get_the_rename_hint(tmp_path):
    from vizff.data import load_digits
    from vizff.errors import DataError

    for name in ("TRAIN-IMAGES-IDX3-UBYTE", "TRAIN-LABELS-IDX1-UBYTE"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(DataError, match="rename them to the names looked for"):
        load_digits(str(tmp_path))
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / ".bashrc").write_text("")
    with pytest.raises(DataError, match="the folder is empty but for hidden files$"):
        load_digits(str(hidden))


def test_a_cache_holding_other_images_is_not_called_mnist(tmp_path, monkeypatch, capsys):
    """Frames name `--data mnist` "MNIST digits, 28x28"; a cache of 8x8 images is refused,
    saying how to get MNIST back or how to use those images."""
    from vizff.cli import main

    cache = write_idx_dir(tmp_path / "cache")
    for name, count in (("train-images-idx3-ubyte.gz", 60), ("t10k-images-idx3-ubyte.gz", 20)):
        small = idx_images(np.zeros((count, 8, 8), np.uint8))
        (cache / name).write_bytes(gzip.compress(small, mtime=0))
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(cache))
    with pytest.raises(OptionError, match=r"holds 8x8 images, not MNIST's 28x28"):
        load_digits("mnist")
    with pytest.raises(SystemExit) as leaving:
        main(["data", "info", "--data", "mnist"])
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vizff data download" in err and "--data FOLDER" in err
    assert load_digits(cache).image_shape == (8, 8)  # the same files, named as a folder


def test_data_given_as_a_file_a_blank_a_missing_folder_or_in_capitals_is_said_plainly(
    capsys, tmp_path, monkeypatch
):
    """`data info --data ""` listed the current folder's files as "none of the four IDX
    files"; one of the IDX files, a missing folder and `MNIST` all read "not 'sample',
    'mnist' or an existing directory of IDX files", with no word of what to give instead."""
    from tests.test_cli import run

    folder = write_idx_dir(tmp_path / "digits")
    monkeypatch.chdir(tmp_path)
    one = folder / "train-images-idx3-ubyte.gz"
    said = {
        "": "--data '': is empty; give sample, mnist or a folder of IDX files",
        str(one): f"--data {one}: is a file; give the folder of the four IDX files ({folder})",
        "gone": "--data gone: no such folder; give sample, mnist or a folder of IDX files",
    }
    for data, message in said.items():
        for argv in (["data", "info"], ["render", "loss", "--steps", "1"]):
            code, out, err = run(capsys, *argv, "--data", data)
            assert code == 2 and err == f"error: {message}\n" and out == ""
    assert not (tmp_path / "outputs").exists()
    # `MNIST` and ` Sample` are the sources they spell, where no folder has that name
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(folder))
    code, out, _ = run(capsys, "data", "info", "--data", "MNIST")
    assert code == 0 and out.splitlines()[:2] == ["source  mnist", f"path    {folder}"]
    assert load_digits("Sample").source == "sample"


def test_a_folder_named_like_a_source_is_read_only_as_a_path_and_a_note_says_so(
    capsys, tmp_path, monkeypatch
):
    """A folder `sample/` beside `--data sample` was passed over without a word (and
    `MNIST/` beside `--data MNIST` read instead of the cache): the names are the sources in
    any spelling and any folder, `./sample` is the folder, and a note says which was read."""
    from tests.test_cli import run

    monkeypatch.chdir(tmp_path)
    cache = write_idx_dir(tmp_path / "cache", n_train=7, n_test=3)
    mine = write_idx_dir(tmp_path / "sample", n_train=5, n_test=2)
    write_idx_dir(tmp_path / "MNIST", n_train=6, n_test=2)
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(cache))
    assert load_digits("MNIST").path == str(cache) and load_digits(" mnist").source == "mnist"
    assert load_digits("./sample").path == "sample" and load_digits("sample").source == "sample"
    note = (
        "note: --data sample reads the embedded sample, not the folder ./sample: "
        "write ./sample (a path) to read that folder\n"
    )
    code, out, err = run(capsys, "train", "--data", "sample", "--steps", "1")
    assert code == 0 and err.startswith(note) and "on sample (4000 train / 1000 test)" in err
    code, out, err = run(capsys, "data", "info", "--data", "MNIST")
    assert code == 0 and out.startswith(f"source  mnist\npath    {cache}\n")
    assert "reads the MNIST download cache, not the folder ./MNIST: write ./MNIST" in err
    code, out, err = run(capsys, "train", "--data", "./sample", "--steps", "1", "--batch-size", "5")
    assert code == 0 and "note" not in err and "on sample (5 train / 2 test)" in err
    assert str(mine) != "sample"
    # a scene file: the folder beside the file, named as the file has it; one given by path
    # or not given at all says nothing
    scenes = tmp_path / "scenes"
    write_idx_dir(scenes / "mnist", n_train=5, n_test=2)
    (scenes / "a.toml").write_text('scene = "mosaic"\ndata = "mnist"\nout = "a.png"\n')
    (scenes / "b.toml").write_text('scene = "mosaic"\ndata = "./mnist"\nout = "b.png"\n')
    (scenes / "c.toml").write_text('scene = "mosaic"\nout = "c.png"\n')
    for name, said in (("a", True), ("b", False), ("c", False)):
        code, out, err = run(capsys, "render", f"scenes/{name}.toml", "--out-dir", "o")
        assert code == 0 and (tmp_path / "o" / f"{name}.png").exists()
        expected = (
            'note: scenes/a.toml: data = "mnist" reads the MNIST download cache, not the '
            "folder ./scenes/mnist: write ./mnist (a path) to read that folder\n"
        )
        assert (expected in err) is said, err
    # a storyboard's shared data: said once for the lesson, not once a part
    (scenes / "l.toml").write_text(
        'out = "l.gif"\nsize = "320x180"\ndata = "mnist"\n'
        '[[part]]\nscene = "mosaic"\n[[part]]\nscene = "mosaic"\nrows = 1\ncols = 2\n'
    )
    code, out, err = run(capsys, "render", "scenes/l.toml", "--out-dir", "o", "--jobs", "1")
    assert code == 0 and err.count("note: ") == 1, err
    assert 'scenes/l.toml: data = "mnist" reads the MNIST download cache, not the folder' in err
    # with no cache, the error names the folder that was meant, most likely
    monkeypatch.setenv("VIZFF_CACHE_DIR", str(tmp_path / "none"))
    write_idx_dir(tmp_path / "mnist", n_train=5, n_test=2)
    code, out, err = run(capsys, "train", "--data", "mnist", "--steps", "1")
    assert code == 2 and err.endswith("(./mnist here is one: write ./mnist)\n")


def test_data_info_on_an_empty_split_says_training_needs_one(capsys, tmp_path):
    """`data info` on a folder with no training images exited 0 without a word; `train` and
    the training scenes then refused it."""
    from tests.test_cli import run

    folder = write_idx_dir(tmp_path / "d", n_train=0, n_test=5)
    code, out, err = run(capsys, "data", "info", "--data", str(folder))
    assert code == 0 and "train        0" in out
    assert err == (
        "note: the train split is empty: training (and every scene that trains) needs at "
        "least one image in each\n"
    )
    folder = write_idx_dir(tmp_path / "full", n_train=5, n_test=5)
    code, _, err = run(capsys, "data", "info", "--data", str(folder))
    assert code == 0 and err == ""


@pytest.mark.parametrize("data", [None, "sample", "Sample"])
def test_clothes_names_on_the_embedded_digits_get_a_note(capsys, tmp_path, data):
    """`--classes fashion` on the sample called handwritten digits "T-shirt", "Trouser"...
    without a word (the titles said 服饰 over MNIST digits)."""
    from tests.test_cli import run
    from vizff.render import render_scene

    argv = ["render", "mosaic", "--classes", "fashion", "--size", "320x180", "--frame", "-1"]
    argv += ["--data", data] if data else []
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "a.png"))
    said = data or "sample"
    assert code == 0 and err == (
        f"note: --classes fashion names Fashion-MNIST's clothes, but the data ({said}) is "
        "MNIST's handwritten digits, which the frames then call clothes; give a folder of "
        "Fashion-MNIST's files as the data\n"
    )
    result = render_scene("mosaic", tmp_path / "b.png", classes="fashion", size=(320, 180))
    assert result.notes and result.notes[0].startswith("classes='fashion' names Fashion-MNIST")
    code, _, err = run(capsys, *argv[:2], "--size", "320x180", "--out", str(tmp_path / "c.png"))
    assert code == 0 and err == ""  # digits named as digits: nothing to say


def test_a_folder_named_like_fashion_mnist_gets_a_note_to_name_its_classes(capsys, tmp_path):
    """Fashion-MNIST's files in a folder of that name were drawn as "Fashion-MNIST digits"
    without a word: --classes fashion names its clothes, and a note says so."""
    from tests.test_cli import run

    folder = write_idx_dir(tmp_path / "Fashion-MNIST", n_train=30, n_test=10)
    argv = ["render", "mosaic", "--data", str(folder), "--size", "320x180"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "a.png"))
    assert code == 0 and err == (
        f"note: --data {folder} looks like Fashion-MNIST, whose classes are clothes: "
        "--classes fashion names them (the frames call them digits)\n"
    )
    code, _, err = run(capsys, *argv, "--classes", "fashion", "--out", str(tmp_path / "b.png"))
    assert code == 0 and err == ""
    scene = tmp_path / "f.toml"
    scene.write_text('scene = "mosaic"\ndata = "Fashion-MNIST"\nsize = "320x180"\n')
    code, _, err = run(capsys, "render", str(scene), "--out", str(tmp_path / "c.png"))
    assert code == 0 and 'classes = "fashion" names them' in err


def test_class_counts_are_bincounts_counted_a_part_at_a_time():
    """bincount of 268 million labels made a 2 GB int64 copy: counted in parts, the same."""
    from vizff.data import COUNTED_AT_ONCE, class_counts

    rng = np.random.default_rng(0)
    for labels in (
        rng.integers(0, 10, 3 * COUNTED_AT_ONCE + 17).astype(np.uint8),
        np.concatenate([np.zeros(COUNTED_AT_ONCE, np.uint8), np.array([12], np.uint8)]),
        np.array([], np.uint8),
        np.full(5, 3, np.uint8),
    ):
        assert class_counts(labels).tolist() == np.bincount(labels, minlength=10).tolist()


def test_a_data_error_naming_a_folder_with_a_line_break_stays_one_line(capsys, tmp_path):
    """A folder named `n_new<newline>line` with a broken file split its error in two lines,
    and one named with ESC [31m turned the terminal red: shown escaped, as --data is."""
    from tests.test_cli import run

    for name in ("n_new\nline", "n_esc\x1b[31mred"):
        folder = write_idx_dir(tmp_path / name, n_train=5, n_test=5)
        (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00"))
        code, _, err = run(capsys, "data", "info", "--data", str(folder))
        assert code in (1, 2) and err.startswith("error: ") and err.count("\n") == 1, err
        assert "\x1b" not in err and repr(name)[1:-1] in err


@pytest.mark.parametrize(
    "case, said",
    [
        ("binary", "its pixels only reach 1, so the images are drawn black: IDX images hold "
                   "grey levels 0 to 255; multiply yours by 255"),
        ("blank", "every image is blank (all its pixels are 0)"),
        ("flat", "every image is one flat grey (all its pixels are 255): the network has "
                 "nothing to tell apart"),
        ("flat low", "every image is one flat grey (all its pixels are 90): the network has "
                     "nothing to tell apart"),
        ("one label", "every train image has the label 7: the network has nothing to tell apart"),
        ("fine", None),
    ],
)  # fmt: skip
def test_data_that_reads_but_cannot_teach_gets_a_note(capsys, tmp_path, case, said):
    """Pixels scaled to 0..1 drew a black mosaic and trained to chance, blank images the same,
    one label for all reached 100% in five steps: each without a word."""
    from tests.test_cli import run
    from vizff.render import render_scene

    rng = np.random.default_rng(1)
    train, test = rng.integers(0, 256, (30, 28, 28)), rng.integers(0, 256, (10, 28, 28))
    train_labels = np.arange(30) % 10
    if case == "binary":
        train, test = train > 127, test > 127
    elif case == "blank":
        train, test = train * 0, test * 0
    elif case.startswith("flat"):
        level = 255 if case == "flat" else 90
        train, test = np.full_like(train, level), np.full_like(test, level)
    elif case == "one label":
        train_labels = np.full(30, 7)
    folder = tmp_path / "d"
    folder.mkdir()
    for name, payload in (
        ("train-images-idx3-ubyte", idx_images(train.astype(np.uint8))),
        ("train-labels-idx1-ubyte", idx_labels(train_labels)),
        ("t10k-images-idx3-ubyte", idx_images(test.astype(np.uint8))),
        ("t10k-labels-idx1-ubyte", idx_labels(np.arange(10))),
    ):
        (folder / name).write_bytes(payload)
    expected = f"note: {folder}: {said}\n" if said else ""
    code, _, err = run(capsys, "data", "info", "--data", str(folder))
    assert code == 0 and err == expected
    code, _, err = run(capsys, "train", "--data", str(folder), "--steps", "2", "--batch-size", "10")
    assert code == 0 and err.startswith(expected) and err.count("note:") == bool(said)
    result = render_scene("mosaic", tmp_path / "m.png", data=str(folder), size=(320, 180))
    assert list(result.notes) == ([f"{folder}: {said}"] if said else [])


def test_channel_first_images_and_a_column_of_labels_are_read_as_they_mean(tmp_path):
    """(count, 1, rows, cols), as PyTorch holds grey images, was refused as "colour
    images?"; labels as a (count, 1) column were "2 dimensions; an IDX label file has 1"; a
    4-d file cut inside its header was "colour images?" too."""
    rng = np.random.default_rng(3)
    images, labels = rng.integers(0, 256, (5, 28, 20), dtype=np.uint8), np.arange(5) % 10
    first = tmp_path / "first-idx4-ubyte"
    first.write_bytes(np.array([2052, 5, 1, 28, 20], ">u4").tobytes() + images.tobytes())
    assert np.array_equal(read_idx_images(first), images)
    column = tmp_path / "column-idx2-ubyte"
    column.write_bytes(np.array([2050, 5, 1], ">u4").tobytes() + labels.astype(np.uint8).tobytes())
    assert read_idx_labels(column).tolist() == labels.tolist()
    cut = tmp_path / "cut-idx4-ubyte"
    cut.write_bytes(np.array([2052, 100, 28], ">u4").tobytes())
    with pytest.raises(IdxFormatError, match=r"header is cut short \(12 bytes of 20\): truncated"):
        read_idx_images(cut)
    colour = tmp_path / "colour-idx4-ubyte"  # three channels last: still colour, still refused
    colour.write_bytes(np.array([2052, 1, 2, 2, 3], ">u4").tobytes() + bytes(12))
    with pytest.raises(IdxFormatError, match="colour images"):
        read_idx_images(colour)


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path):
    """A 10 GB (sparse) file was read for 256 MB before it was refused, with no advice."""
    import tracemalloc

    huge = tmp_path / "train-images-idx3-ubyte"
    with open(huge, "wb") as handle:
        handle.write(np.array([2051, 10**8, 28, 28], ">u4").tobytes())
        handle.truncate(300 * 1024 * 1024)  # sparse: nothing written to disk
    tracemalloc.start()
    try:
        with pytest.raises(IdxFormatError) as caught:
            read_idx_images(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"{huge}: larger than 256 MB, more than vizff reads (full MNIST's largest file is "
        "47 MB): use fewer or smaller images"
    )
    assert peak < 10_000_000, peak


def labelled_folder(tmp_path, train_labels, test_labels):
    """A folder of random 28x28 images with the labels given."""
    rng = np.random.default_rng(2)
    folder = tmp_path / "d"
    folder.mkdir()
    for name, payload in (
        ("train-images-idx3-ubyte", idx_images(rng.integers(0, 256, (len(train_labels), 28, 28)))),
        ("train-labels-idx1-ubyte", idx_labels(np.asarray(train_labels))),
        ("t10k-images-idx3-ubyte", idx_images(rng.integers(0, 256, (len(test_labels), 28, 28)))),
        ("t10k-labels-idx1-ubyte", idx_labels(np.asarray(test_labels))),
    ):
        (folder / name).write_bytes(payload)
    return folder


@pytest.mark.parametrize(
    ("classes", "said"),
    [("cat,dog,bird", "--classes cat,dog,bird names labels 0, 1, 2... in order, but no image is "
      "labelled 0 (cat) or 2 (bird); labels 4, 7 go unnamed (the data's labels: 1, 4, 7); put "
      "each name at its label's place in the list"),
     ("0,cat,2,3,4,dog", "--classes 0,cat,2,3,4,dog names labels 0, 1, 2... in order, but no "
      "image is labelled 5 (dog); labels 4, 7 go unnamed (the data's labels: 1, 4, 7); put each "
      "name at its label's place in the list"),
     ("0,cat,2,3,dog", None),  # a name on each label that has images: the rest are numbered
     ("0,cat,2,3,dog,5,6,bird", None), ("fashion", None), ("digits", None)],
)  # fmt: skip
def test_names_on_labels_no_image_has_get_a_note(capsys, tmp_path, classes, said):
    """Data labelled 1, 4 and 7 drawn with `--classes cat,dog,bird` put the names on labels
    0 to 2 (rows of zeros in the confusion matrix), called its 1s dog and its 4s 4, silently."""
    from tests.test_cli import run

    folder = labelled_folder(tmp_path, [1, 4, 7] * 10, [7, 4, 1] * 4)
    code, _, err = run(capsys, "render", "mosaic", "--data", str(folder), "--classes", classes,
                       "--frame", "0", "--out", str(tmp_path / "m.png"))  # fmt: skip
    assert code == 0 and err == (f"note: {said}\n" if said else ""), err


@pytest.mark.parametrize("batch", [None, 8, 1])
def test_a_batch_larger_than_the_train_split_gets_a_note(capsys, tmp_path, batch):
    """A train split of one image trained "batch 64" (the subtitle said so) on that one."""
    from tests.test_cli import run
    from vizff.render import render_scene

    folder = labelled_folder(tmp_path, [3], list(range(10)))
    flags = [] if batch is None else ["--batch-size", str(batch)]
    named = "the batch size (64, the default)" if batch is None else f"--batch-size {batch}"
    said = f"{named} is more than the data's 1 train image: each step takes it"
    code, _, err = run(capsys, "train", "--data", str(folder), "--steps", "2", *flags)
    assert code == 0 and (f"note: {said}" in err) == (batch != 1), err
    keywords = {} if batch is None else {"batch_size": batch}
    result = render_scene("loss", tmp_path / "l.png", data=str(folder), steps=2, frame=0,
                          **keywords)  # fmt: skip
    python_said = said.replace("--batch-size ", "batch_size=")
    assert (python_said in result.notes) == (batch != 1), result.notes
