"""Catalogues: one file per language with the same keys and the same fields; every key a
scene asks for exists; no user-visible English outside the English catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vizff.draw.catalogue import CATALOGUES, LANGUAGES, catalogue, fields_of

ROOT = Path(__file__).resolve().parents[1]


def test_every_language_has_the_same_keys_and_fields():
    english = catalogue("en").messages
    for lang in LANGUAGES:
        other = catalogue(lang).messages
        assert set(other) == set(english), f"{lang}: keys differ"
        for key, message in english.items():
            assert fields_of(other[key]) == fields_of(message), f"{lang}: {key} fields differ"
            if isinstance(message, list):
                assert len(other[key]) == len(message), f"{lang}: {key} length differs"


def test_a_catalogue_file_per_language():
    assert {p.stem for p in CATALOGUES.glob("*.toml")} == set(LANGUAGES)


def test_chinese_uses_the_lessons_terms():
    zh = catalogue("zh").messages
    text = " ".join(v if isinstance(v, str) else " ".join(v) for v in zh.values())
    for term in ("激活函数", "交叉熵", "梯度下降", "学习率", "测试准确率", "权重", "输入", "输出"):
        assert term in text, term


def test_every_key_a_scene_asks_for_exists():
    """Keys written literally in the scene modules (words("scene.key"...)) are in the catalogue."""
    messages = catalogue("en").messages
    asked = set()
    for path in (ROOT / "vizff").rglob("*.py"):
        asked |= set(re.findall(r'words\(\s*"([a-z_]+\.[a-z_.\-]+)"', path.read_text()))
    assert asked, "no keys found: the pattern is stale"
    missing = sorted(k for k in asked if k not in messages)
    assert not missing, missing


@pytest.mark.parametrize("path", sorted((ROOT / "vizff" / "scenes").glob("*.py")), ids=str)
def test_no_words_in_scene_code(path):
    """Strings a frame shows come from the catalogues: a scene's string literals hold no
    English words outside docstrings, comments, option help and keys."""
    import ast

    tree = ast.parse(path.read_text())
    allowed_calls = {"Option", "OptionError", "words", "attribute", "text_key"}
    suspicious = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in allowed_calls:
                for child in ast.walk(node):
                    child._allowed = True  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") in ("summary", "estimated_work") for t in node.targets
        ):
            node.value._allowed = True  # type: ignore[attr-defined]  # the CLI's, not a frame's
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                first.value._allowed = True  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and not getattr(node, "_allowed", False)
            and re.search(r"[A-Za-z]{3,} [a-z]{3,}", node.value)  # two words: a phrase
        ):
            suspicious.append(node.value)
    assert not suspicious, suspicious


@pytest.mark.parametrize(
    ("key", "fields", "one", "many"),
    [
        ("weights.units", {}, "1 unit", "2 units"),
        ("weights.hidden_layer", {"layer": 2}, "layer 2: 1 unit × 1 input", "2 units × 2 inputs"),
        ("weights.output_layer", {"things": "digits"}, "× 1 unit", "× 2 units"),
        ("gradients.trained", {"lr": 0.5}, "after 1 step at", "after 2 steps at"),
        ("forward.trained", {}, "after 1 training step", "after 2 training steps"),
    ],
)
def test_a_count_of_one_takes_the_singular(key, fields, one, many):
    """`--hidden 1` said "1 units" and a one-step run "after 1 steps"."""
    words = catalogue("en")
    counts = {name: None for name in fields_of(words.messages[key]) if name not in fields}

    def said(n: int) -> str:
        return words(key, **fields, **{name: n for name in counts})

    assert one in said(1) and many in said(2)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_count_of_thousands_is_grouped_wherever_it_may_be_large(lang):
    """300x300 images: the weights scene said "90000 weights each" where the forward scene
    and the predictions caption group their thousands ("90,000")."""
    words = catalogue(lang)
    large = re.compile(r"(?<![\d,.])\d{4,}")  # four digits or more, ungrouped
    for key, message in words.messages.items():
        if not isinstance(message, str) or key.startswith(("gradients.table", "classes.")):
            continue
        numeric = {name: 90_000 for name in fields_of(message) if name in ("inputs", "count")}
        if not numeric:
            continue
        rest = {name: "x" for name in fields_of(message) if name not in numeric}
        text = words(key, **numeric, **rest)
        assert "90,000" in text and not large.search(text), (key, text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_lesson_names_a_hidden_unit_one_way(lang):
    """The forward scene said "unit 14 of layer 1" (第 1 层 14 号单元), the gradients scene of the
    same lesson "hidden unit 0" (隐藏单元 0): a student took them for two kinds of unit."""
    words = catalogue(lang)
    colon = "：" if lang == "zh" else ":"
    forward = words("forward.unit_header", unit=7).split(colon)[0]
    for key in ("gradients.unit", "gradients.unit_short"):
        shown = words(key, unit=7, inputs=784, shape="28×28").split(colon)[0]
        assert shown == forward, key
