"""Message catalogues: every word a frame shows, per language, with named fields for numbers.

A catalogue is `catalogues/<lang>.toml`: tables by scene, each key a message in Python's
format syntax (`"step {step}/{total}   batch loss {loss:.4f}"`). A third language is one new
file with the same keys and fields; `tests/test_catalogue.py` checks they all match.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from vizff.draw.text import escape


class Markup(str):
    """Text that carries the kit's sub/superscript markup on purpose (not escaped)."""


class _Plurals(string.Formatter):
    """Python's format syntax plus one spec for a noun that follows a count: `{n:?unit|units}`
    gives `unit` for 1 and `units` otherwise (the count itself is written by its own `{n}`).
    A language without plural forms simply never uses it."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec.startswith("?"):
            one, _, other = format_spec[1:].partition("|")
            return one if value == 1 else other
        return super().format_field(value, format_spec)


PLURALS = _Plurals()


CATALOGUES = Path(__file__).parent / "catalogues"
LANGUAGES = ("en", "zh")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def fields_of(message: str | list[str]) -> set[str]:
    """The named fields a message fills: `{step}/{total}` -> {"step", "total"}."""
    texts = message if isinstance(message, list) else [message]
    return {
        name.split(".")[0].split("[")[0]
        for text in texts
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language, by dotted key (`loss.title`)."""

    lang: str
    messages: Mapping[str, Any]

    def __call__(self, key: str, **fields: Any) -> str:
        """The message `key` with its fields filled: `words("loss.caption", step=3, ...)`.

        String fields are escaped (a folder called `my_data` is not a subscript) unless they
        are `Markup` (a formula the kit built on purpose)."""
        message = self.messages[key]
        safe = {
            name: value
            if isinstance(value, Markup) or not isinstance(value, str)
            else escape(value)
            for name, value in fields.items()
        }
        return PLURALS.vformat(message, (), safe)

    def list(self, key: str) -> list[str]:
        """A list message (ten class names...)."""
        value = self.messages[key]
        return list(value)

    def has(self, key: str) -> bool:
        return key in self.messages

    @property
    def cjk(self) -> bool:
        """True for languages written without spaces between words (line breaks anywhere)."""
        return self.lang in ("zh", "ja")

    @property
    def text_scale(self) -> float:
        """Chinese characters need a few more pixels than Latin letters to stay legible."""
        return 1.12 if self.cjk else 1.0

    @property
    def separator(self) -> str:
        """What goes between the fields of a caption."""
        return "   "

    def characters(self, sections: tuple[str, ...] | None = None) -> set[str]:
        """Every character the catalogue's messages use (for the font subset), or those of
        the messages in `sections` (`("loss", "common")`: the words one scene can draw)."""
        chars: set[str] = set()
        for key, value in self.messages.items():
            if sections is not None and key.split(".")[0] not in sections:
                continue
            for text in value if isinstance(value, list) else [value]:
                chars.update(text)
        return chars


@cache
def catalogue(lang: str) -> Catalogue:
    """The catalogue of a language, read once from `catalogues/<lang>.toml`."""
    with open(CATALOGUES / f"{lang}.toml", "rb") as handle:
        return Catalogue(lang, dict(_flatten(tomllib.load(handle))))
