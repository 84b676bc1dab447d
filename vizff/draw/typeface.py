"""Fonts that have the glyphs: the shipped Noto Sans SC subset, a system CJK font, or --font PATH.

Text is drawn with one font that has every character of it, never with boxes: `find_font`
checks each candidate's character map, and `plain_text` turns the characters that need no glyph
(spaces, controls, invisible format characters) into what the font can draw.

Pillow draws with its basic layout (FreeType only): Chinese and Latin need no shaping, and the
basic layout gives the same pixels whether or not libraqm and FriBiDi are installed, so frames
do not depend on the machine's libraries. It does not kern; matplotlib 3.11+ does (HarfBuzz
reads the fonts' GPOS kerning), so Latin text in a plot may sit slightly tighter.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from matplotlib import font_manager
from PIL import ImageFont

from vizff.errors import OptionError

# fontTools logs what it cannot read (a WOFF2 file without Brotli) before it raises, and the
# raise is what vizff reports: with a handler of its own, nothing reaches the terminal twice
logging.getLogger("fontTools").addHandler(logging.NullHandler())

FONTS = Path(__file__).resolve().parent / "fonts"
SHIPPED_FAMILY = "Noto Sans SC vizff"  # the family name tools/build_font.py gives the subset
SYSTEM_FAMILIES = (  # searched in this order, each only if it has every character
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    # the same designs for other regions: what older matplotlib sees of a .ttc collection
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Source Han Sans CN",
    "DejaVu Sans",  # always there with matplotlib: Latin, Greek and Cyrillic beyond the subset
)
COLOUR_TABLES = ("CBDT", "sbix", "COLR", "SVG ")  # glyphs a monochrome renderer leaves blank
MOST_SHOWN = 12  # missing characters named in an error
MOST_FACES = 256  # faces of a .ttc looked at (real collections hold a few dozen at most)


@dataclass(frozen=True)
class Face:
    """One font inside a file: `index` numbers the faces of a .ttc collection, from 0."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class FontChoice:
    """The font all text of a render is drawn with; `bold` is `regular` when none exists."""

    regular: Face
    bold: Face
    family: str  # for messages; matplotlib_family() gives the name matplotlib knows it by
    origin: str  # "shipped", "system" or "--font": for messages and logs

    @property
    def synthetic_bold(self) -> bool:
        """No bold face: draw bold text with `bold_stroke` pixels of outline instead."""
        return self.bold == self.regular


def shipped_font_paths() -> tuple[Path, Path]:
    """The Regular and Bold subsets inside the package."""
    return FONTS / "NotoSansSC-Regular.subset.ttf", FONTS / "NotoSansSC-Bold.subset.ttf"


def shipped_font() -> FontChoice:
    regular, bold = shipped_font_paths()
    return FontChoice(Face(regular), Face(bold), SHIPPED_FAMILY, "shipped")


def find_font(
    text: str,
    font_path: str | Path | None = None,
    *,
    kit_text: str = "",
    key: str = "title",
    value: object = None,
    kit_name: str = "",
) -> FontChoice:
    """A font with every character of `text` (what the user wrote: a title) and of `kit_text`
    (what vizff adds: catalogue words, numbers), or an OptionError naming what is missing.

    Order: `font_path` alone when given (`--font PATH`); else the shipped subset; else the first
    of SYSTEM_FAMILIES that matplotlib's font manager lists and that has them all. Whitespace
    and control characters need no glyph. Errors quote `value` (else `text`) under the option
    name `key`; `kit_name` says whose words `kit_text` holds (`scene forward's words`), for an
    error about a character the user did not write.
    """
    needed = glyphs_needed(unicodedata.normalize("NFC", text + kit_text))
    if font_path is not None:
        theirs = set(unicodedata.normalize("NFC", text))
        return user_font(Path(font_path), needed, ours=set(needed) - theirs, kit_name=kit_name)
    choice = shipped_font()
    if not missing(choice.regular, needed):
        return choice
    candidates = system_fonts()
    for choice in candidates:
        if not missing(choice.regular, needed) and not missing(choice.bold, needed):
            return choice
    problem = nothing_covers(needed, [shipped_font(), *candidates])
    raise OptionError(key, problem, value=text if value is None else value)


def glyphs_needed(text: str) -> list[str]:
    """The distinct characters of `text` that must have a glyph, in order of appearance: a
    superscript or subscript character (`10⁻⁵`, `W₁`) is drawn as its base character raised
    or lowered (`SCRIPTED`), so the base is what must have one."""
    text = "".join(SCRIPTED[c][0] if c in SCRIPTED else c for c in text)
    return [c for c in dict.fromkeys(text) if not needs_no_glyph(c)]


def _scripted() -> dict[str, tuple[str, str]]:
    """{character: (its base character, "^" or "_")} for Unicode's superscript and subscript
    characters (², ⁻, ˣ, ᵀ, ₁, ᵢ ...), read from their compatibility decompositions. Fonts have
    few of them (the shipped one: ¹²³ only), so text draws every one alike: as its base,
    small and raised or lowered, as the kit's own markup draws `e^{-x}` (ª and º, letters of
    their own in Spanish and Portuguese, stay as they are)."""
    ranges = ((0xA0, 0x100), (0x2B0, 0x300), (0x1D00, 0x1DC0), (0x2070, 0x20A0), (0x2C7C, 0x2C7E))
    found = {}
    for start, end in ranges:
        for point in range(start, end):
            kind, _, base = unicodedata.decomposition(chr(point)).partition(" ")
            if kind in ("<super>", "<sub>") and " " not in base and point not in (0xAA, 0xBA):
                found[chr(point)] = (chr(int(base, 16)), "^" if kind == "<super>" else "_")
    return found


SCRIPTED = _scripted()


def needs_no_glyph(character: str) -> bool:
    """Spaces, controls and format characters (zero-width space, joiners, soft hyphen)."""
    return character.isspace() or unicodedata.category(character) in ("Cc", "Cf")


def plain_text(text: str, choice: FontChoice) -> str:
    """`text` as it should reach Pillow or matplotlib: composed (NFC, so e + U+0301 is é), each
    space the font lacks (tab, thin space) a plain space, controls and format characters gone,
    line breaks kept. Drawn as it is, those would be the font's .notdef box."""
    if text.isascii() and text.isprintable():  # letters, digits, signs and the plain space
        return text
    _, cmap = inspect_face(choice.regular.path, choice.regular.index)
    kept = []
    for c in unicodedata.normalize("NFC", text):
        if c == "\n" or not needs_no_glyph(c):
            kept.append(c)
        elif c.isspace():
            kept.append(c if ord(c) in cmap else " ")
    return "".join(kept)


def missing(face: Face, characters: list[str]) -> list[str]:
    """The characters `face` has no glyph for (all of them when vizff cannot draw with it)."""
    problem, cmap = inspect_face(face.path, face.index)
    return [c for c in characters if problem or ord(c) not in cmap]


@lru_cache(maxsize=256)
def inspect_face(path: Path, index: int = 0) -> tuple[str, frozenset[int]]:
    """(problem, code points with a glyph); the problem is "" for a face vizff can draw with."""
    try:
        ImageFont.truetype(str(path), 12, index=index)  # FreeType, which draws it, must read it
        with TTFont(path, fontNumber=index, lazy=True) as font:
            if not any(tag in font for tag in ("glyf", "CFF ", "CFF2")):
                return "has no outlines (a bitmap font)", frozenset()
            if any(tag in font for tag in COLOUR_TABLES):
                return "is a colour font, which vizff cannot draw", frozenset()
            if "fvar" in font:  # matplotlib would draw its default instance: often Thin
                return "is a variable font: pass one of its static instances", frozenset()
            return "", frozenset((font.getBestCmap() or {}).keys())
    except Exception as error:  # FreeType and fontTools raise many kinds on a foreign file
        why = f" ({error.strerror})" if isinstance(error, OSError) and error.strerror else ""
        return f"cannot be read as a TrueType or OpenType font{why}", frozenset()


def system_fonts() -> list[FontChoice]:
    """Fonts of SYSTEM_FAMILIES that matplotlib's font manager lists, in that order."""
    upright = [e for e in font_manager.fontManager.ttflist if e.style == "normal"]
    choices = []
    for family in SYSTEM_FAMILIES:
        faces = [e for e in upright if e.name == family and not inspect_face(*face_of(e))[0]]
        if not faces:
            continue
        regular = min(faces, key=lambda entry: rank(entry, 400))
        bolds = [e for e in faces if weight_of(e) >= 600] or [regular]
        bold = min(bolds, key=lambda entry: rank(entry, 700))
        choices.append(FontChoice(Face(*face_of(regular)), Face(*face_of(bold)), family, "system"))
    return choices


def face_of(entry: font_manager.FontEntry) -> tuple[Path, int]:
    return Path(entry.fname), getattr(entry, "index", 0)  # matplotlib < 3.10 has no index


def weight_of(entry: font_manager.FontEntry) -> int:
    weight = entry.weight  # a number, or a name such as "bold" in older matplotlib
    return weight if isinstance(weight, int) else font_manager.weight_dict.get(weight, 400)


def rank(entry: font_manager.FontEntry, weight: int) -> tuple:
    """Sort key: normal width first, then the nearest weight, then the path, for a fixed pick."""
    return (entry.stretch != "normal", abs(weight_of(entry) - weight), *face_of(entry))


def user_font(
    path: Path, needed: list[str], *, ours: set[str] = frozenset(), kit_name: str = ""
) -> FontChoice:
    """The font at `path` (--font): its first face with every character, or an OptionError
    that says which of them vizff's own words (`ours`, those of `kit_name`) need."""
    try:
        is_file, is_dir, exists = path.is_file(), path.is_dir(), path.exists()
    except OSError as exc:  # a name too long for the file system, a loop of links
        from vizff.files import reason

        raise OptionError("font", f"cannot be read ({reason(exc)})", value=str(path)) from None
    if not is_file:
        if is_dir:
            problem = "is a folder, not a font file"
        elif exists:  # a pipe, a device: nothing to read a font from
            problem = "is not a regular file; pass a .ttf, .otf or .ttc file"
        else:
            problem = "no such file"
        raise OptionError("font", problem, value=str(path))
    if font_header(path).startswith(b"wOF2"):  # FreeType, which draws, cannot read it
        raise OptionError(
            "font",
            "is a WOFF2 web font, which vizff cannot draw with; pass the .ttf or .otf it was "
            "made from (font sites offer them beside the web font)",
            value=str(path),
        )
    faces = [Face(path, index) for index in range(face_count(path))]
    usable = [face for face in faces if not inspect_face(face.path, face.index)[0]]
    if not usable:
        raise OptionError("font", inspect_face(path, 0)[0], value=str(path))
    fitting = [face for face in usable if not missing(face, needed)]
    if fitting:  # the upright face nearest 400 is regular; a bold one of its family, bold
        regular = min(fitting, key=lambda face: (style_of(face)[1], abs(style_of(face)[0] - 400)))
        family = family_name(regular)
        bolds = [
            face
            for face in fitting
            if style_of(face)[0] >= 600 and not style_of(face)[1] and family_name(face) == family
        ]
        bold = min(bolds, key=lambda face: abs(style_of(face)[0] - 700), default=regular)
        return FontChoice(regular, bold, family, "--font")
    absent = missing(usable[0], needed)
    where = ""
    if kit_name and all(c in ours for c in absent):  # none of them is in what the user wrote
        where = f", which {kit_name} use"
    raise OptionError(
        "font",
        f"has no glyph for {shown(absent)}{where}: pass a font that has them",
        value=str(path),
    )


def font_header(path: Path) -> bytes:
    """The file's first 12 bytes (b"" where it cannot be read: inspect_face will say why)."""
    try:
        with open(path, "rb") as file:
            return file.read(12)
    except OSError:
        return b""


def face_count(path: Path) -> int:
    """How many fonts the file holds: a .ttc collection says so in its header, and each needs
    a 4-byte offset after it and a 12-byte table directory (a damaged header claiming four
    billion faces made vizff inspect them one by one, using memory without end)."""
    header = font_header(path)
    if header[:4] != b"ttcf":
        return 1
    claimed = int.from_bytes(header[8:12], "big")
    try:
        room = (path.stat().st_size - 12) // 16
    except OSError:
        return 1  # inspect_face will say why it cannot be read
    return max(1, min(claimed, room, MOST_FACES))


@lru_cache(maxsize=256)
def style_of(face: Face) -> tuple[int, bool]:
    """(weight, italic) of a face: its OS/2 weight class (400 regular, 700 bold) and italic
    bit; (400, False) where the table is missing."""
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        if "OS/2" not in font:
            return 400, False
        table = font["OS/2"]
        return int(table.usWeightClass), bool(table.fsSelection & 1)


def family_name(face: Face) -> str:
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        name = font["name"]  # typographic family first, as font menus show it
        return name.getDebugName(16) or name.getDebugName(1) or face.path.stem


def nothing_covers(needed: list[str], tried: list[FontChoice]) -> str:
    """The problem part of the error: the characters, and both ways out."""
    anywhere = set().union(*(inspect_face(c.regular.path, c.regular.index)[1] for c in tried))
    absent = [c for c in needed if ord(c) not in anywhere]
    if absent:
        what = f"no font here has {shown(absent)}"
    else:  # each character is in some font, but no one font has them all
        closest = min((missing(c.regular, needed) for c in tried), key=len)
        what = f"no one font here has all of it (the closest lacks {shown(closest)})"
    lacking = absent or min((missing(c.regular, needed) for c in tried), key=len)
    if all(is_cjk(c) for c in lacking):
        return (
            f"{what}: install a CJK font such as Noto Sans CJK SC, "
            "or pass ⟨font PATH⟩ to a font that has them"
        )
    return f"{what}: install a font that has them, or pass ⟨font PATH⟩ to one"


# Han, kana, Hangul and their punctuation: what a CJK font (the remedy the error names) adds.
CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x30FF),  # CJK symbols and punctuation, Hiragana, Katakana
    (0x3100, 0x31FF),  # Bopomofo, Hangul compatibility Jamo, Kanbun, strokes, Katakana ext.
    (0x3200, 0x4DBF),  # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
    (0x20000, 0x3134F),  # extensions B to G
)
# Scripts whose letters change shape, join or reorder as they are written (Devanagari's
# vowel sign ि goes before its consonant; conjuncts form with the virama): vizff lays text
# out glyph by glyph, so they would be drawn unjoined and out of order.
SHAPED_RANGES = (
    (0x0900, 0x0DFF),  # Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil ... Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x18AF),  # Khmer, Mongolian
    (0x1900, 0x1CFF),  # Limbu ... Balinese, Sundanese, Batak, Lepcha, Vedic extensions
    (0xA800, 0xA8FF),  # Syloti Nagri, Phags-pa, Saurashtra, Devanagari extended
    (0xA900, 0xAAFF),  # Kayah Li ... Javanese, Myanmar extended, Cham, Tai Viet
    (0xABC0, 0xABFF),  # Meetei Mayek
    (0x11000, 0x11FFF),  # Brahmi and the other historic Indic scripts
)


def _within(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in ranges)


def is_cjk(char: str) -> bool:
    return _within(char, CJK_RANGES)


def needs_shaping(text: str) -> list[str]:
    """The characters of `text` from scripts that glyph-by-glyph layout would draw wrong."""
    return sorted({c for c in text if _within(c, SHAPED_RANGES)})


def shown(characters: list[str]) -> str:
    """`龘 U+9F98, 𝔸 U+1D538`: code points too, as a terminal may not draw the characters."""
    names = []
    for c in characters[:MOST_SHOWN]:
        visible = unicodedata.category(c) not in ("Cs", "Co", "Cn", "Cf", "Mn", "Me")
        names.append(f"{c} U+{ord(c):04X}" if visible else f"U+{ord(c):04X}")
    more = len(characters) - MOST_SHOWN
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


@lru_cache(maxsize=128)
def pillow_font(choice: FontChoice, pixels: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The choice at a size in pixels, with Pillow's basic layout (see the module docstring)."""
    face = choice.bold if bold else choice.regular
    return ImageFont.truetype(
        str(face.path), pixels, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )


MIN_STROKE_PIXELS = 20  # text smaller than this is not made bold by an outline


def bold_stroke(choice: FontChoice, pixels: int) -> int:
    """Outline width in pixels that makes regular glyphs look bold when no bold face exists
    (Pillow's `stroke_width`, with `stroke_fill` the text colour); 0 with a real bold."""
    if not choice.synthetic_bold or pixels < MIN_STROKE_PIXELS:
        return 0  # below it a pixel of outline fills the letters' insides: regular reads better
    return max(1, round(pixels / 30))


def matplotlib_family(choice: FontChoice) -> str:
    """The family name for matplotlib text (`fontfamily=`), registering the choice's files with
    matplotlib's font manager first, so plots and Pillow text share one face."""
    for face in dict.fromkeys((choice.regular, choice.bold)):
        if not registered(face):
            font_manager.fontManager.addfont(face.path)
    if not (entries := registered(choice.regular)):  # matplotlib before 3.10 reads face 0 only
        raise OptionError(
            "font",
            f"is font {choice.regular.index} of a collection, which this matplotlib cannot use: "
            "pass a file with one font",
            value=str(choice.regular.path),
        )
    return entries[0].name


def registered(face: Face) -> list[font_manager.FontEntry]:
    """matplotlib's entries for this face (one, or a few for a collection or alias names)."""
    target = face.path.resolve()
    return [
        entry
        for entry in font_manager.fontManager.ttflist
        if getattr(entry, "index", 0) == face.index and Path(entry.fname).resolve() == target
    ]


# embedding, override and isolate controls that turn text right to left (the left-to-right
# ones, and the marks, change nothing in text vizff can draw: they need no glyph)
RIGHT_TO_LEFT_CONTROLS = "\u202b\u202e\u2067"


def undecodable(text: str) -> list[str]:
    """The bytes of `text` that were not UTF-8 (Python keeps them as U+DC80..U+DCFF)."""
    return [c for c in text if "\udc80" <= c <= "\udcff"]


def right_to_left(text: str) -> list[str]:
    """Its right-to-left letters, sorted (a right-to-left mark, U+200F, is invisible in text
    vizff draws: dropped like the other format characters, not counted)."""
    return sorted(
        {c for c in text if unicodedata.bidirectional(c) in ("R", "AL")}
        - {c for c in text if unicodedata.category(c) == "Cf"}
    )


def right_to_left_controls(text: str) -> list[str]:
    return sorted({c for c in text if c in RIGHT_TO_LEFT_CONTROLS})


def nothing_to_draw(text: str) -> bool:
    """Text, but only spaces, combining marks and invisible characters."""
    return bool(text) and not any(drawable(c) for c in text)


def unshowable(text: str) -> str | None:
    """Why one line of text (a class's name, a folder's) cannot be drawn as written, or None:
    not UTF-8, a line break, nothing to draw, right-to-left letters or controls, or a script
    that needs shaping. (Titles are checked for the same by the scene, in their own words.)"""
    if undecodable(text):
        return "is not UTF-8 text; write it in UTF-8"
    if text.splitlines() != [text]:  # \n, \r, U+2028 ... wherever Python breaks a line
        return "has a line break; write it on one line"
    if nothing_to_draw(text):
        return "has nothing to draw (only spaces, marks or invisible characters)"
    if right_to_left(text) or right_to_left_controls(text):
        return (
            "is written right to left, which vizff would draw reversed; use a left-to-right script"
        )
    if needs_shaping(text):
        return "has letters of a script that joins and reorders them, which vizff would draw apart"
    return None


def written_problem(key: str, text: str) -> str | None:
    """Why a title or subtitle as written cannot be drawn, whatever the scene: bytes that are
    not UTF-8, a control character, or nothing to draw; else None. (A storyboard's own title
    is checked so too, where it is written, though no card may draw it.)"""
    undecoded = undecodable(text)
    if undecoded:  # bytes a Latin-1 terminal or script sent, kept by Python as is
        return (
            "is not UTF-8 text (the byte "
            + ", ".join(f"0x{ord(c) - 0xDC00:02X}" for c in undecoded[:4])
            + "); write it in UTF-8, as a terminal set to UTF-8 sends it"
        )
    controls = sorted({c for c in text if unicodedata.category(c) == "Cc"} - set("\t\n"))
    if controls:  # a bell, an escape, a NUL: drawn as nothing, a space in the file's title
        return (
            "has a control character ("
            + ", ".join(f"U+{ord(c):04X}" for c in controls[:4])
            + "), which draws nothing; leave it out"
        )
    if text.strip() and nothing_to_draw(text):
        return (
            "has nothing to draw: only spaces, combining marks or invisible characters; "
            f"write some words, or leave {key} out"
        )
    return None


def drawable(character: str) -> bool:
    """A character that draws something of its own: not a space, a combining mark (drawn on
    the letter before it) or an invisible control or format character."""
    return not character.isspace() and unicodedata.category(character)[0] not in "MC"
