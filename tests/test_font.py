"""The shipped fonts have every glyph vizff draws; other text finds a system font or says why."""

from __future__ import annotations

import hashlib
import os
import tomllib
import unicodedata
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from vizff.draw import typeface
from vizff.errors import Cli, File, OptionError
from vizff.render import render_scene

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "vizff" / "draw" / "catalogues"
FONTS = ROOT / "vizff" / "draw" / "fonts"
SHIPPED = [FONTS / "NotoSansSC-Regular.subset.ttf", FONTS / "NotoSansSC-Bold.subset.ttf"]
DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
RARE = "龘"  # U+9F98, in no catalogue and so not in the subset
PRIVATE = "\ue000"  # private use: no font maps it, so it draws .notdef


def catalogue_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from catalogue_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from catalogue_strings(item)


def catalogue_characters() -> set[str]:
    """Every character of every string value of every catalogue, read here independently of
    tools/build_font.py; line breaks and other controls are never drawn."""
    found = set()
    for path in CATALOGUES.glob("*.toml"):
        for text in catalogue_strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            found.update(text)
    return {c for c in found if unicodedata.category(c) != "Cc"}


def tiny_font(path: Path, characters: str, family: str = "Tiny Test") -> Path:
    """A TrueType font with a triangle for each of `characters` (and a space), nothing else."""
    pen = TTGlyphPen(None)
    pen.moveTo((50, 0)), pen.lineTo((550, 0)), pen.lineTo((300, 700)), pen.closePath()
    triangle, empty = pen.glyph(), TTGlyphPen(None).glyph()
    names = {ord(c): f"u{ord(c):X}" for c in characters}
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", *names.values()])
    builder.setupCharacterMap({0x20: "space", **names})
    builder.setupGlyf({".notdef": empty, "space": empty} | {n: triangle for n in names.values()})
    builder.setupHorizontalMetrics({n: (600, 0) for n in [".notdef", "space", *names.values()]})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(path)
    return path


def entry(path: Path, family: str, weight: int = 400) -> font_manager.FontEntry:
    return font_manager.FontEntry(
        fname=str(path), name=family, style="normal", weight=weight, stretch="normal"
    )


@pytest.fixture
def system_fonts(monkeypatch):
    """Replace the machine's font list, so no test depends on which fonts are installed."""

    def install(*entries: font_manager.FontEntry) -> None:
        monkeypatch.setattr(font_manager.fontManager, "ttflist", list(entries))

    install()
    return install


def bitmap(font: ImageFont.FreeTypeFont, character: str) -> np.ndarray:
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((8, 8), character, font=font, fill=255)
    return np.asarray(image)


# ---- the shipped subset ------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_fonts_cover_ascii_and_every_catalogue_character(path):
    cmap = TTFont(path).getBestCmap()
    wanted = {chr(c) for c in range(0x20, 0x7F)} | catalogue_characters()
    absent = sorted(c for c in wanted if ord(c) not in cmap)
    assert not absent, (
        f"{path.name} lacks {' '.join(absent)}, used by a catalogue: run python tools/build_font.py"
    )


def test_shipped_glyphs_are_not_the_notdef_box():
    # oracle: the pixels, not the cmap: every character drawn differs from the .notdef box
    font = ImageFont.truetype(str(SHIPPED[0]), 32, layout_engine=ImageFont.Layout.BASIC)
    box = bitmap(font, PRIVATE)
    assert box.any() and np.array_equal(box, bitmap(font, "\ue001"))  # .notdef has a drawing
    drawn = sorted(catalogue_characters() | {chr(c) for c in range(0x21, 0x7F)} | set("σ→≤"))
    boxes = [c for c in drawn if not c.isspace() and np.array_equal(bitmap(font, c), box)]
    assert not boxes


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_symbols_in_latin_text_are_set_proportionally(path):
    """Noto Sans SC sets × · ∂ … and the quotes an em wide, as Chinese text wants: "28×28",
    "∂L/∂w" and "σ(x) · (1 − σ(x))" gaped. Oracle: the ink Pillow draws, against the advance
    it moves the pen by: no more than a fifth of an em of white beside the ink, and the ink
    inside the advance (nothing clipped or run into the next letter)."""
    size = 200
    font = ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    wide = []
    for symbol in "×·∂…“”‘’±÷≈≤≥≠§¶•†":
        advance = font.getlength(symbol)
        image = Image.new("L", (3 * size, 2 * size), 0)
        ImageDraw.Draw(image).text((size, size // 2), symbol, font=font, fill=255)
        columns = np.flatnonzero(np.asarray(image).max(axis=0) > 0) - size
        left, right = columns[0], columns[-1] + 1
        assert 0 <= left and right <= advance + 1, symbol
        if advance - (right - left) > 0.2 * size:
            wide.append(f"{symbol} {advance / size:.2f} em, ink {(right - left) / size:.2f}")
    assert not wide, wide
    # Chinese keeps its full-width punctuation and ideographs
    for kept in "，。：（数":
        assert font.getlength(kept) == size, kept


def test_shipped_fonts_are_regular_and_bold_of_one_family():
    regular, bold = (TTFont(path) for path in SHIPPED)
    assert regular["OS/2"].usWeightClass == 400 and bold["OS/2"].usWeightClass == 700
    assert regular["name"].getDebugName(1) == bold["name"].getDebugName(1) == "Noto Sans SC vizff"
    assert typeface.shipped_font_paths() == tuple(SHIPPED)


def test_fonts_readme_records_the_shipped_bytes():
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    for path in [*SHIPPED, FONTS / "OFL.txt"]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"| {path.name} | {path.stat().st_size:,} | {digest} |" in readme


def test_matplotlib_draws_with_the_shipped_faces(monkeypatch):
    monkeypatch.setattr(font_manager.fontManager, "ttflist", list(font_manager.fontManager.ttflist))
    family = typeface.matplotlib_family(typeface.shipped_font())
    assert family == "Noto Sans SC vizff"
    for weight, path in zip(("normal", "bold"), SHIPPED):
        found = font_manager.findfont(
            font_manager.FontProperties(family=family, weight=weight), fallback_to_default=False
        )
        assert Path(found).resolve() == path.resolve()
    figure = Figure(figsize=(2, 1), dpi=100)
    figure.text(0.1, 0.5, "输入：28×28 −0.5", fontfamily=family)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would be a warning
        FigureCanvasAgg(figure).draw()


# ---- choosing a font -----------------------------------------------------------------------
def test_text_the_subset_covers_gets_the_shipped_fonts(system_fonts):
    choice = typeface.find_font("输入 MNIST × σ → Café", kit_text="灰度像素")
    assert choice.origin == "shipped" and not choice.synthetic_bold
    assert (choice.regular.path, choice.bold.path) == tuple(SHIPPED)


def test_a_teachers_chinese_title_needs_no_system_font(system_fonts, tmp_path):
    """With no CJK font on the machine (a container, a notebook server), "第三周：验证反向传播的
    说明" was refused: 三 周 验 说 明 were not in the subset, which held only the catalogues'
    characters. It now holds GB 2312's first level, the 3,755 most used characters, read here
    from Python's gb2312 codec: every one is drawn from the shipped fonts, none as a box."""
    common = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                common.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    assert len(common) == 3755
    for path in SHIPPED:
        cmap = TTFont(path, lazy=True).getBestCmap()
        assert [c for c in common if ord(c) not in cmap] == []
    title = "第三周：验证反向传播的说明（四帧）"
    assert typeface.find_font(title).origin == "shipped"
    result = render_scene("sigmoid", tmp_path / "t.png", title=title, size=(640, 360), frames=2)
    assert not result.notes
    font = ImageFont.truetype(str(SHIPPED[0]), 40)
    box = bitmap(font, "\U0010ffff")  # what a glyph the font lacks is drawn as
    assert all(not np.array_equal(bitmap(font, c), box) for c in "三周验说明四帧")


def test_spaces_controls_and_format_characters_need_no_glyph(system_fonts):
    text = "a\tb\u2009c\u200bd\u00ade\n"  # tab, thin space, zero-width space, soft hyphen
    choice = typeface.find_font(text)
    assert choice.origin == "shipped"
    assert typeface.plain_text(text, choice) == "a b cde\n"
    assert typeface.plain_text("Cafe\u0301\u3000x", choice) == "Café\u3000x"  # NFC; U+3000 kept


def test_font_path_with_the_glyph_is_used(tmp_path, system_fonts):
    path = tiny_font(tmp_path / "rare.ttf", RARE + "𝔸")
    choice = typeface.find_font(RARE + " 𝔸", font_path=str(path))
    assert choice.origin == "--font" and choice.regular.path == path
    assert choice.synthetic_bold and typeface.bold_stroke(choice, 30) >= 1
    # a 640x360 title (17 px) drawn with a pixel of outline closed its e's and a's: not bold
    assert typeface.bold_stroke(choice, 17) == 0 and typeface.bold_stroke(choice, 9) == 0
    font = typeface.pillow_font(choice, 32)
    assert bitmap(font, RARE).any() and not np.array_equal(bitmap(font, RARE), bitmap(font, "x"))


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("absent.ttf", "no such file"),
        ("notes.txt", "cannot be read as a TrueType or OpenType font"),
        ("folder", "is a folder, not a font file"),
        ("pipe.ttf", "is not a regular file; pass a .ttf, .otf or .ttc file"),
        ("web.woff2", "is a WOFF2 web font, which vizff cannot draw with; pass the .ttf"),
        ("huge.ttc", "cannot be read as a TrueType or OpenType font"),
    ],
)
def test_font_path_that_is_not_a_font_is_an_option_error(tmp_path, name, problem):
    (tmp_path / "notes.txt").write_text("not a font")
    # a WOFF2 header (fontTools, without Brotli, logged a line of its own before the error)
    (tmp_path / "web.woff2").write_bytes(b"wOF2\x00\x01\x00\x00" + bytes(200))
    # a collection's header claiming four billion faces: each was inspected, memory without end
    (tmp_path / "huge.ttc").write_bytes(b"ttcf\x00\x01\x00\x00\xff\xff\xff\xff" + bytes(4000))
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe.ttf")  # exists, but is no file to read: not "no such file"
    with pytest.raises(OptionError) as caught:
        typeface.find_font("x", font_path=tmp_path / name)
    assert caught.value.key == "font" and caught.value.value == str(tmp_path / name)
    assert caught.value.problem.startswith(problem)


def test_font_path_without_the_glyph_names_it(tmp_path):
    path = tiny_font(tmp_path / "latin.ttf", "abc")
    with pytest.raises(OptionError, match="has no glyph for 龘 U\\+9F98") as caught:
        typeface.find_font("ab" + RARE, font_path=path)
    assert caught.value.key == "font"


def test_system_search_checks_glyphs_not_names(tmp_path, system_fonts):
    without = tiny_font(tmp_path / "without.ttf", "abc")
    with_rare = tiny_font(tmp_path / "with.ttf", RARE)
    system_fonts(entry(without, "Noto Sans CJK SC"), entry(with_rare, "WenQuanYi Zen Hei"))
    choice = typeface.find_font(RARE)
    assert choice.origin == "system" and choice.family == "WenQuanYi Zen Hei"
    assert choice.regular.path == with_rare and choice.synthetic_bold


def test_system_search_prefers_the_listed_order_and_real_bold(tmp_path, system_fonts):
    paths = [tiny_font(tmp_path / f"{n}.ttf", RARE) for n in ("simhei", "noto", "noto-bold")]
    system_fonts(
        entry(paths[0], "SimHei"),
        entry(paths[2], "Noto Sans CJK SC", weight=700),
        entry(paths[1], "Noto Sans CJK SC"),
        entry(tmp_path / "missing.ttf", "Noto Sans CJK SC"),  # a stale entry is skipped
    )
    choice = typeface.find_font(RARE)
    assert choice.family == "Noto Sans CJK SC"
    assert (choice.regular.path, choice.bold.path) == (paths[1], paths[2])
    assert typeface.bold_stroke(choice, 30) == 0


def test_unlisted_fonts_are_not_searched(tmp_path, system_fonts):
    system_fonts(entry(tiny_font(tmp_path / "odd.ttf", RARE), "Some Display Font"))
    with pytest.raises(OptionError):
        typeface.find_font(RARE)


def test_a_system_font_must_also_have_the_kit_text(system_fonts):
    system_fonts(entry(DEJAVU, "DejaVu Sans"))
    assert typeface.find_font("Привет").family == "DejaVu Sans"  # Cyrillic: not in the subset
    with pytest.raises(OptionError, match="no one font here has all of it"):
        typeface.find_font("Привет", kit_text="输入")


def test_nothing_covers_gives_one_line_naming_characters_and_remedies(system_fonts):
    title = f"鼋鼍 {RARE} 🎉 \ud800"  # rare: no catalogue will ever need them; an astral emoji
    # and a lone surrogate must not crash
    with pytest.raises(OptionError) as caught:
        typeface.find_font(title)
    error = caught.value
    error.source = Cli()
    message = str(error)
    assert "\n" not in message and error.key == "title" and error.value == title
    assert "no font here has 鼋 U+9F0B, 鼍 U+9F0D, 龘 U+9F98, 🎉 U+1F389, U+D800" in message
    assert "install a font that has them, or pass --font PATH to one" in message  # not all CJK
    # the remedy names the font option as the title was given: a keyword, a file's key
    error.source = None  # the Python API
    assert str(error).endswith("or pass font=PATH to one")
    error.source = File(Path("lesson.toml"))
    assert str(error).endswith('or pass font = "PATH" to one')


def test_the_remedy_names_a_cjk_font_only_where_every_missing_character_is_cjk(system_fonts):
    for title, cjk in (("鼋鼍 龘 한글 ｶﾀｶﾅ", True), ("鼋 Ꭰ", False), ("𝔸", False)):
        with pytest.raises(OptionError) as caught:
            typeface.find_font(title)
        said = str(caught.value)
        assert ("install a CJK font such as Noto Sans CJK SC" in said) is cjk, title
        assert "font=PATH" in said  # a keyword: no source was set, as in the Python API


def test_class_names_no_font_has_are_refused_never_drawn_as_boxes(system_fonts, tmp_path):
    """`--classes 零,一,...` drew ⊠ for every name but 一 (in the subset), while the same
    characters in a title were refused. Names are now checked as titles are: refused under
    `classes`, or drawn with a font that has them."""
    from vizff.scenes import SCENES

    names = ["Жук", *"abcdefghi"]  # Cyrillic: not in the subset, in DejaVu Sans
    with pytest.raises(OptionError) as caught:
        SCENES["predictions"](classes=names, size=(640, 360))
    assert caught.value.key == "classes" and "no font here has Ж U+0416" in str(caught.value)
    assert str(caught.value).startswith("classes=") and "'Жук', 'a'" in str(caught.value)
    system_fonts(entry(DEJAVU, "DejaVu Sans"))
    scene = SCENES["predictions"](classes=names, size=(640, 360))
    assert scene.frames is not None and typeface.find_font("Жук").family == "DejaVu Sans"
    frame = next(iter(scene.frames()))
    assert frame.shape == (360, 640, 3)
    assert "Жук" in " ".join(item.content for item in scene.page.static + scene.page.dynamic)


def test_a_data_folders_name_is_drawn_with_a_font_that_has_it_else_in_words(system_fonts, tmp_path):
    """The frames name a folder of IDX files by its name, and that name skipped the font
    search a title gets: `--data data😀set`, `ℵ₀-set` or `数据集` drew empty boxes in the
    mosaic's title and every training scene's subtitle, with exit 0. The name now chooses
    the font as a title does; where no font has it, the frames say "your data"."""
    from tests.conftest import write_idx_dir
    from vizff.scenes import SCENES

    folder = write_idx_dir(tmp_path / "Жук-set")  # Cyrillic: not in the subset, in DejaVu
    chinese = write_idx_dir(tmp_path / "数据集")  # in the subset: 据 is a catalogue word's

    def shown(scene_name, data, **options):
        scene = SCENES[scene_name](data=str(data), size=(640, 360), **options)
        next(iter(scene.frames()))
        texts = " ".join(item.content for item in scene.page.static + scene.page.dynamic)
        return texts, scene.page.type.choice.family

    for scene_name, options in (("mosaic", {}), ("loss", {"steps": 2, "every": 1})):
        texts, family = shown(scene_name, folder, **options)
        assert "your data" in texts and "Ж" not in texts, texts
        texts, _ = shown(scene_name, folder, lang="zh", **options)
        assert "你的数据" in texts and "Ж" not in texts
        texts, family = shown(scene_name, chinese, lang="zh", **options)
        assert "数据集" in texts and family == typeface.shipped_font().family
    card = SCENES["card"](card="title", data=str(folder), size=(640, 360))
    next(iter(card.frames()))
    assert "your data" in " ".join(item.content for item in card.page.static)
    system_fonts(entry(DEJAVU, "DejaVu Sans"))
    texts, family = shown("mosaic", folder)
    assert "Жук-set" in texts and family == "DejaVu Sans"


def section_characters(lang: str, *sections: str) -> set[str]:
    """The characters of the catalogue's messages under `sections`, read here from the file."""
    table = tomllib.loads((CATALOGUES / f"{lang}.toml").read_text(encoding="utf-8"))
    found: set[str] = set()
    for section in sections:
        for text in catalogue_strings(table.get(section, {})):
            found.update(text)
    return {c for c in found if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")}


def test_a_font_is_asked_only_for_what_the_scene_draws(tmp_path, capsys):
    """Liberation Sans (a common slide font) was refused by every scene for ⊙, which only the
    forward scene draws, with no word of where it was needed."""
    from tests.test_cli import run

    shared = ("common", "data", "classes")
    words = section_characters("en", "sigmoid", "forward", *shared)
    assert "⊙" in words and "⊙" not in section_characters("en", "sigmoid", *shared)
    printable = {chr(c) for c in range(0x21, 0x7F)} | set("−×…")
    font = tiny_font(tmp_path / "slides.ttf", "".join(sorted((words | printable) - {"⊙"})))
    out = tmp_path / "s.png"
    code, _, err = run(capsys, "render", "sigmoid", "--size", "480x270", "--font", str(font),
                       "--out", str(out))  # fmt: skip
    assert code == 0, err
    assert out.exists()
    code, _, err = run(capsys, "render", "forward", "--size", "480x270", "--font", str(font),
                       "--out", str(tmp_path / "f.png"))  # fmt: skip
    assert code == 2
    assert err == (
        f"error: --font {font}: has no glyph for ⊙ U+2299, which scene forward's words use: "
        "pass a font that has them\n"
    )
    # a title's own character is the user's: no word about the scene's
    code, _, err = run(capsys, "render", "sigmoid", "--size", "480x270", "--font", str(font),
                       "--title", "Sigmoid ⊙", "--out", str(out))  # fmt: skip
    assert code == 2 and "has no glyph for ⊙ U+2299: pass" in err


@pytest.mark.parametrize("scene", ["mosaic", "sigmoid", "softmax", "weights", "loss", "forward",
                                   "predictions", "gradients", "card"])  # fmt: skip
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_word_a_scene_draws_is_in_its_sections(scene, lang, monkeypatch):
    """The font check above trusts each scene's SECTIONS: record the keys it really asks for."""
    from vizff.draw.catalogue import Catalogue
    from vizff.scenes import SCENES
    from vizff.scenes.base import SHARED_WORDS

    asked: set[str] = set()
    call, listed = Catalogue.__call__, Catalogue.list
    monkeypatch.setattr(Catalogue, "__call__", lambda s, k, **f: asked.add(k) or call(s, k, **f))
    monkeypatch.setattr(Catalogue, "list", lambda s, k: asked.add(k) or listed(s, k))
    cls = SCENES[scene]
    options = {"size": (480, 270), "lang": lang}
    if "train" in cls.takes or scene in ("forward", "gradients", "weights", "loss", "predictions"):
        options["steps"] = 10
    for _ in cls(**options).frames():
        pass
    assert asked
    assert {key.split(".")[0] for key in asked} <= {*cls.SECTIONS, *SHARED_WORDS}, sorted(asked)


def test_a_collection_is_read_for_the_faces_its_file_can_hold(tmp_path):
    path = tmp_path / "huge.ttc"
    path.write_bytes(b"ttcf\x00\x01\x00\x00\xff\xff\xff\xff" + bytes(4000))
    assert typeface.face_count(path) == (4012 - 12) // 16  # each needs an offset and a directory
    path.write_bytes(b"ttcf\x00\x01\x00\x00\xff\xff\xff\xff" + bytes(10**6))
    assert typeface.face_count(path) == typeface.MOST_FACES


def test_a_collection_with_a_bold_face_draws_bold_text_with_it(tmp_path):
    """A .ttc holding regular and bold got the outlined synthetic bold all the same."""
    from fontTools.ttLib import TTCollection

    fonts = Path(matplotlib.get_data_path(), "fonts/ttf")
    for name, order in (("rb.ttc", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]),
                        ("br.ttc", ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"])):  # fmt: skip
        collection = TTCollection()
        collection.fonts = [TTFont(fonts / f) for f in order]
        collection.save(tmp_path / name)
        choice = typeface.find_font("Abc", font_path=tmp_path / name)
        regular, bold = order.index("DejaVuSans.ttf"), order.index("DejaVuSans-Bold.ttf")
        assert (choice.regular.index, choice.bold.index) == (regular, bold)
        assert not choice.synthetic_bold and typeface.bold_stroke(choice, 40) == 0
    single = typeface.find_font("Abc", font_path=fonts / "DejaVuSans.ttf")
    assert single.synthetic_bold  # one face: the outline, as before
