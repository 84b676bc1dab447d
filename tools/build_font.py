"""Build vizff's shipped fonts: Noto Sans SC, cut down to the characters vizff draws.

    python tools/build_font.py            # fetches the wheel with `pip download`
    python tools/build_font.py --wheel justmytype_intl_cjk-0.1.0-py3-none-any.whl

Run it again whenever a catalogue (vizff/draw/catalogues/*.toml) changes: it is the whole
procedure. It reads the variable font NotoSansSC[wght].ttf from the PyPI wheel
justmytype-intl-cjk 0.1.0 (sha256 checked), keeps the characters of CHARACTER SET below, makes
static Regular (wght 400) and Bold (wght 700) instances and writes, into vizff/draw/fonts/, the
two fonts, the licence from the wheel and a README.md with the provenance and the sha256 of
every output. The same wheel and the same fontTools version give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import tomllib
import unicodedata
import zipfile
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "vizff" / "draw" / "catalogues"
OUT = ROOT / "vizff" / "draw" / "fonts"

REQUIREMENT = "justmytype-intl-cjk==0.1.0"
WHEEL_NAME = "justmytype_intl_cjk-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "06d9665542bfcad373716bb80583aa2d9bb2086a054fe11f706b9bd41e03f256"
FOLDER = "justmytype_intl_cjk/fonts/ofl/notosanssc/"
MEMBER = FOLDER + "NotoSansSC[wght].ttf"
MEMBER_SHA256 = "a3041811a78c361b1de50f953c805e0244951c21c5bd412f7232ef0d899af0da"
LICENCE = FOLDER + "OFL.txt"
FONTTOOLS_USED = "4.68.0"  # the version that made the committed files; others may differ in bytes

FAMILY = "Noto Sans SC vizff"  # not "Noto Sans SC": a system copy of that name must not shadow it
POSTSCRIPT = "NotoSansSCvizff"
STYLES = {"Regular": 400, "Bold": 700}  # style name -> wght axis value

# ---- CHARACTER SET -----------------------------------------------------------------------
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
LATIN_1 = "".join(chr(c) for c in range(0xA0, 0x100))  # letters too: "Café" needs no fallback
GREEK = "".join(chr(c) for c in [*range(0x391, 0x3AA), *range(0x3B1, 0x3CA)] if c != 0x3A2)
PUNCTUATION = "‐–—‘’‚“”„†‡•…‰′″‹›⁄€™"
ARROWS = "←↑→↓↔⇐⇒⇔"
MATH = "−∓∂∆∇∈∏∑√∝∞∧∨∩∪∫≈≠≡≤≥⊕⊗⊙⋅∘ϵϑϕ"
SCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"
CJK_PUNCTUATION = (
    "\u3000、。〈〉《》「」『』【】〔〕〖〗！＂＃％＆＇（），－．／：；＜＝＞？［］｛｝～"
)
SPACES = "".join(chr(c) for c in (*range(0x2000, 0x200B), 0x202F, 0x205F))  # en, em, thin...


def common_hanzi() -> str:
    """GB 2312's first level: the 3,755 most used Chinese characters (rows 16 to 55, in
    pinyin order), read from Python's own gb2312 codec. A teacher's title ("第三周：反向传播")
    then needs no system CJK font: a notebook server or a container has none."""
    found = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                found.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:  # the last row ends early
                pass
    return "".join(found)


COMMON_HANZI = common_hanzi()
WANTED = ASCII + LATIN_1 + GREEK + PUNCTUATION + SPACES + ARROWS + MATH + SCRIPTS
WANTED += CJK_PUNCTUATION + COMMON_HANZI
# Noto Sans SC sets these full-width (an em each, as in Chinese text), so "28×28", "∂L/∂w",
# "σ(x)·σ(x)" and "step…" gaped in vizff's English and mathematical text. Their outlines are
# kept and moved left: each advance becomes its ink plus SIDE on either side, as Latin sets them.
PROPORTIONAL = "§±¶·×÷‐‘’“”†‡•…‰" + ARROWS + MATH
SIDE = 60  # font units of the 1,000 em on either side of the ink: Latin "+" has 38, "x" 15


def fetch_wheel(directory: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        + ["--dest", str(directory), REQUIREMENT],
        check=True,
    )
    return directory / WHEEL_NAME


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def read_wheel(wheel: Path) -> tuple[bytes, bytes]:
    """The variable font and its licence, after checking the wheel's and the font's sha256."""
    digest = sha256(wheel.read_bytes())
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as archive:
        font, licence = archive.read(MEMBER), archive.read(LICENCE)
    assert sha256(font) == MEMBER_SHA256, sha256(font)
    return font, licence


def strings(value: object):
    """Every string value in a TOML document, however deeply nested in tables and arrays."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def catalogue_characters() -> set[str]:
    """Characters drawn from the catalogues; line breaks and other controls are never drawn."""
    found = set()
    for path in sorted(CATALOGUES.glob("*.toml")):
        for text in strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            found.update(text)
    return {c for c in found if unicodedata.category(c) != "Cc"}


def subset_options() -> subset.Options:
    options = subset.Options()
    options.layout_features = ["kern"]  # Latin pair kerning; no ligatures, no vertical forms
    # GSUB: no substitution is wanted; STAT: static instances need no axis names;
    # the rest: baselines and vertical metrics for vertical text, which vizff never sets
    options.drop_tables += ["GSUB", "STAT", "BASE", "vhea", "vmtx"]
    options.name_IDs = ["*"]
    options.notdef_outline = True  # the spec wants a visible .notdef; find_font keeps it unused
    options.glyph_names = False  # post format 3: names cost bytes and no renderer needs them
    return options


def set_names(font: TTFont, style: str, weight: int) -> None:
    """A static family of two styles under its own name; copyright and licence kept."""
    name = font["name"]
    version = name.getDebugName(5)
    for name_id in (1, 2, 3, 4, 6, 16, 17, 25):
        name.removeNames(nameID=name_id)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName(style, 2, 3, 1, 0x409)
    name.setName(f"{POSTSCRIPT}-{style};{version};subset for vizff", 3, 3, 1, 0x409)
    name.setName(f"{FAMILY} {style}", 4, 3, 1, 0x409)
    name.setName(f"{POSTSCRIPT}-{style}", 6, 3, 1, 0x409)
    bold = style == "Bold"
    font["OS/2"].usWeightClass = weight
    font["OS/2"].fsSelection = (font["OS/2"].fsSelection & ~0b1100001) | (
        0b100000 if bold else 0b1000000
    )
    font["head"].macStyle = 1 if bold else 0


def build(source: bytes, characters: str) -> dict[str, bytes]:
    """{style: font bytes}; head.created and head.modified stay the source's, so bytes repeat."""
    variable = TTFont(io.BytesIO(source), recalcTimestamp=False)
    subsetter = subset.Subsetter(subset_options())
    subsetter.populate(unicodes=sorted(ord(c) for c in characters))
    subsetter.subset(variable)  # before instancing: 200 glyphs instance in a blink, 30,000 do not
    fonts = {}
    for style, weight in STYLES.items():
        static = instancer.instantiateVariableFont(variable, {"wght": weight}, inplace=False)
        assert {ord(c) for c in characters} <= set(static.getBestCmap())
        set_names(static, style, weight)
        proportional(static, characters)
        buffer = io.BytesIO()
        static.save(buffer, reorderTables=True)
        fonts[style] = buffer.getvalue()
    return fonts


def proportional(font: TTFont, characters: str) -> None:
    """Give every full-width glyph of PROPORTIONAL its ink's width plus SIDE either side: the
    outline moves left by what it gains, so it sits centred in its new, narrower advance."""
    cmap, glyf, hmtx = font.getBestCmap(), font["glyf"], font["hmtx"]
    em = font["head"].unitsPerEm
    for name in sorted({cmap[ord(c)] for c in PROPORTIONAL if c in characters}):
        advance, _ = hmtx[name]
        glyph = glyf[name]
        if advance < em or glyph.numberOfContours == 0:
            continue
        glyph.recalcBounds(glyf)
        if glyph.xMax - glyph.xMin + 2 * SIDE >= advance:  # an arrow's ink fills its em
            continue
        shift = glyph.xMin - SIDE
        if glyph.isComposite():
            for component in glyph.components:
                component.x -= shift
        else:
            glyph.coordinates.translate((-shift, 0))
        glyph.recalcBounds(glyf)
        hmtx[name] = (glyph.xMax + SIDE, glyph.xMin)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_NAME}")
    args = parser.parse_args()
    if fontTools.version != FONTTOOLS_USED:
        print(f"note: fontTools {fontTools.version}, not {FONTTOOLS_USED}: bytes may differ")
    with tempfile.TemporaryDirectory() as tmp:
        source, licence = read_wheel(args.wheel or fetch_wheel(Path(tmp)))
    cmap = TTFont(io.BytesIO(source), lazy=True).getBestCmap()
    catalogue = catalogue_characters()
    if absent := sorted(c for c in catalogue if ord(c) not in cmap):
        sys.exit(f"the catalogues use characters Noto Sans SC lacks: {' '.join(absent)}")
    lacking = [c for c in dict.fromkeys(WANTED) if ord(c) not in cmap]
    characters = "".join(sorted(set(WANTED) - set(lacking) | catalogue))
    fonts = build(source, characters)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {f"NotoSansSC-{style}.subset.ttf": payload for style, payload in fonts.items()}
    files["OFL.txt"] = licence
    for name, payload in files.items():
        (OUT / name).write_bytes(payload)
    readme = provenance(files, characters, catalogue, lacking)
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    for name, payload in files.items():
        print(sha256(payload), f"{len(payload):>7,}", name)
    print(f"{len(characters)} characters, {len(catalogue - set(WANTED))} from catalogues only")
    print("the source font lacks:", " ".join(f"U+{ord(c):04X}" for c in lacking) or "nothing")


def provenance(files: dict, characters: str, catalogue: set[str], lacking: list[str]) -> str:
    """README.md of the fonts folder: where the bytes come from and what they hold."""
    rows = "\n".join(f"| {n} | {len(p):,} | {sha256(p)} |" for n, p in files.items())
    extra = "".join(sorted(catalogue - set(WANTED)))
    labels = [f"{c.strip() or 'space'} U+{ord(c):04X}" for c in lacking]
    return README.format(
        FAMILY=FAMILY,
        MEMBER=MEMBER,
        MEMBER_SHA256=MEMBER_SHA256,
        WHEEL_NAME=WHEEL_NAME,
        REQUIREMENT=REQUIREMENT,
        WHEEL_SHA256=WHEEL_SHA256,
        version=fontTools.version,
        weights=", ".join(f"{style} wght={weight}" for style, weight in STYLES.items()),
        rows=rows,
        count=len(characters),
        lacking="\n".join(wrap(labels)) or "(none)",
        extra=extra or "(none)",
    )


def wrap(labels: list[str], width: int = 100) -> list[str]:
    """Comma-separated labels in lines of at most `width`, never breaking inside a label."""
    lines = [""]
    for label in labels:
        if lines[-1] and len(lines[-1]) + len(label) + 2 > width:
            lines.append("")
        lines[-1] += (", " if lines[-1] else "") + label
    return [line + "," for line in lines[:-1]] + lines[-1:] if lines[0] else []


README = """\
# The shipped fonts

`NotoSansSC-Regular.subset.ttf` and `NotoSansSC-Bold.subset.ttf`: static instances of Noto Sans
SC cut down to the characters vizff itself draws and the 3,755 most used Chinese characters, so
that its text, and most titles a teacher writes, never depend on the fonts of the machine.
Their family is named "{FAMILY}", styles Regular and Bold. Text a user supplies with other
characters is drawn with a system CJK font or `--font PATH` (`vizff/draw/typeface.py`).

## Provenance
- source: Noto Sans SC 2.004, the variable font
  `{MEMBER}`,
  sha256 `{MEMBER_SHA256}`
- in the PyPI wheel `{WHEEL_NAME}`
  (`pip download --no-deps {REQUIREMENT}`),
  sha256 `{WHEEL_SHA256}`
- built by `tools/build_font.py` with fontTools {version}: subset with fontTools.subset (layout
  feature `kern` only, no glyph names, no vertical metrics or baselines), then static
  instances with fontTools.varLib.instancer: {weights}; family renamed; the symbols the
  source sets an em wide (`PROPORTIONAL` in the tool: × · ∂ … quotes, operators) narrowed to
  their ink plus 60 units either side, outlines unchanged, as Latin text sets them;
  head.created and head.modified kept from the source, so the same wheel and fontTools give the
  same bytes
- `OFL.txt`: the licence file from the same folder of the wheel, unchanged

| file | bytes | sha256 |
| --- | --- | --- |
{rows}

## Character set
Printable ASCII; Latin-1 U+00A0..U+00FF; the Greek alphabet; a fixed list of punctuation,
spaces, arrows, mathematical symbols, super- and subscripts and CJK punctuation; the 3,755
characters of GB 2312's first level, the most used in Chinese text (`WANTED` in the tool); and
every character of every string value in `vizff/draw/catalogues/*.toml`.
{count} characters in all. `tests/test_font.py` fails when a catalogue uses a character these
fonts lack: then run `python tools/build_font.py` again.

Asked for but absent from Noto Sans SC, so not here: draw them another way (`plain_text` in
`vizff/draw/typeface.py` turns the missing spaces into U+0020):
{lacking}

From the catalogues beyond the fixed lists:
{extra}

## Licence
Noto Sans SC is (c) 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source',
licensed under the SIL Open Font License, Version 1.1 (`OFL.txt`). These subsets are Modified
Versions under that licence and are distributed under it, not under vizff's MIT licence.
"""


if __name__ == "__main__":
    main()
