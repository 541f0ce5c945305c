"""The hazard taxonomy: which hazards cinealert knows and how each is recognised and drawn.

The taxonomy is data (``cap/data/hazards.toml``); this module loads it, checks it and
exposes it as frozen objects. Text normalisation lives here too, because the loader must
normalise words exactly as the classifier normalises alert text to detect clashes.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

CAMERA_MOVES = ("none", "circular", "up-down")
NONE_HAZARD = "none"
# Languages every renderable hazard must have words for (DESIGN.md "Hazard taxonomy").
REQUIRED_LANGUAGES = ("en", "ko", "de", "fr", "es", "sv", "is", "zh", "ja")
WILDCARD = "*"

_T = TypeVar("_T")

_HAZARD_NAME = re.compile(r"^[a-z][a-z_]*$")
_TOKEN = re.compile(r"\w+")
# Hangul, CJK ideographs, kana and CJK punctuation: scripts written without spaces between
# words, so their entries match as substrings instead of whole tokens.
_CJK = re.compile(
    r"[\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)


class TaxonomyError(ValueError):
    """The taxonomy data is malformed; the message names the hazard and field."""


class UnknownHazardError(KeyError):
    """A hazard name that the taxonomy does not define."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown hazard {self.name!r}; known hazards: {', '.join(self.known)}"


@dataclass(frozen=True)
class MotionSpec:
    """How the moving element of a hazard flows in the cinemagraph."""

    direction_deg: float  # flow direction in image coordinates: 0 = +x, 90 = +y (downwards)
    speed: float  # pixels per frame at 512 px image width; stages scale it by width/512
    turbulence: float  # 0..1: amplitude of smooth random variation of the direction
    camera: str  # "none" | "circular" | "up-down": suggested depth-driven camera move


@dataclass(frozen=True)
class HazardSpec:
    """Everything the system knows about one hazard."""

    name: str
    renderable: bool
    keywords: str
    segment_prompt: str
    prompt_template: str
    motion: MotionSpec
    words: Mapping[str, tuple[str, ...]]
    event_codes: tuple[str, ...]
    categories: tuple[str, ...]


class Taxonomy:
    """All hazards, in file order, looked up by name."""

    def __init__(self, hazards: tuple[HazardSpec, ...]) -> None:
        self._by_name = {hazard.name: hazard for hazard in hazards}
        self.hazards = hazards
        self.names = tuple(hazard.name for hazard in hazards)
        self.renderable = tuple(hazard.name for hazard in hazards if hazard.renderable)

    def get(self, name: str) -> HazardSpec:
        """Return the hazard called ``name``; raise UnknownHazardError when there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownHazardError(name, self.names) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name


def normalize_text(text: str) -> str:
    """NFKC, casefold and collapse whitespace: the form both words and alert text take."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # split()/join() collapses the same characters as r"\s+" (both use str.isspace), faster.
    return " ".join(folded.split())


def tokenize(normalized: str) -> tuple[str, ...]:
    """Split normalised text into word tokens (punctuation and hyphens separate words)."""
    return tuple(_TOKEN.findall(normalized))


def is_cjk(text: str) -> bool:
    """True when ``text`` has characters of a script written without word spaces."""
    return _CJK.search(text) is not None


def normalize_code(code: str) -> str:
    """Normalise an event code for comparison: casefold, and drop MeteoAlarm's "N; " prefix."""
    folded = code.strip().casefold()
    number, separator, rest = folded.partition(";")
    if separator and number.strip().isdigit():
        return rest.strip()
    return folded


@functools.cache
def load_taxonomy() -> Taxonomy:
    """Load and check the packaged taxonomy once; later calls return the same object."""
    resource = importlib.resources.files("cap").joinpath("data/hazards.toml")
    return parse_taxonomy(resource.read_text(encoding="utf-8"))


def parse_taxonomy(text: str) -> Taxonomy:
    """Build a Taxonomy from TOML text, raising TaxonomyError on anything malformed."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TaxonomyError(f"taxonomy is not valid TOML: {error}") from error
    tables = document.get("hazards")
    if not isinstance(tables, dict) or not tables:
        raise TaxonomyError("taxonomy needs a non-empty [hazards] table")
    hazards = tuple(_parse_hazard(name, table) for name, table in tables.items())
    if NONE_HAZARD not in tables:
        raise TaxonomyError(f"taxonomy must define the {NONE_HAZARD!r} hazard")
    _check_unique_words(hazards)
    _check_unique_codes(hazards)
    return Taxonomy(hazards)


def _parse_hazard(name: str, table: Any) -> HazardSpec:
    if not _HAZARD_NAME.match(name):
        raise TaxonomyError(f"hazard name {name!r} must be lower-case letters and underscores")
    if not isinstance(table, dict):
        raise TaxonomyError(f"hazard {name!r} must be a table")
    renderable = _field(name, table, "renderable", bool)
    if renderable == (name == NONE_HAZARD):
        raise TaxonomyError(
            f"hazard {name!r}: renderable={renderable}, but only {NONE_HAZARD!r} is not renderable"
        )
    words = _parse_words(name, table.get("words"), renderable)
    return HazardSpec(
        name=name,
        renderable=renderable,
        keywords=_field(name, table, "keywords", str),
        segment_prompt=_field(name, table, "segment_prompt", str),
        prompt_template=_field(name, table, "prompt_template", str),
        motion=_parse_motion(name, table.get("motion")),
        words=words,
        event_codes=_string_tuple(name, "event_codes", table.get("event_codes")),
        categories=_string_tuple(name, "categories", table.get("categories")),
    )


def _field(name: str, table: dict[str, Any], key: str, kind: type[_T]) -> _T:
    value = table.get(key)
    if not isinstance(value, kind):
        raise TaxonomyError(f"hazard {name!r}: {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _number(name: str, motion: dict[str, Any], key: str, low: float, high: float) -> float:
    value = motion.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TaxonomyError(f"hazard {name!r}: motion.{key} must be a number, got {value!r}")
    if not low <= value <= high:
        raise TaxonomyError(f"hazard {name!r}: motion.{key}={value!r} is outside [{low}, {high}]")
    return float(value)


def _parse_motion(name: str, motion: Any) -> MotionSpec:
    if not isinstance(motion, dict):
        raise TaxonomyError(f"hazard {name!r}: [motion] table is missing")
    camera = motion.get("camera")
    if camera not in CAMERA_MOVES:
        raise TaxonomyError(
            f"hazard {name!r}: motion.camera={camera!r}, expected one of {CAMERA_MOVES}"
        )
    return MotionSpec(
        direction_deg=_number(name, motion, "direction_deg", 0.0, 360.0),
        speed=_number(name, motion, "speed", 0.0, 64.0),
        turbulence=_number(name, motion, "turbulence", 0.0, 1.0),
        camera=str(camera),
    )


def _string_tuple(name: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise TaxonomyError(f"hazard {name!r}: {key!r} must be a list of non-empty strings")
    return tuple(value)


def _parse_words(name: str, value: Any, renderable: bool) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise TaxonomyError(f"hazard {name!r}: [words] table is missing")
    words = {
        language: _string_tuple(name, f"words.{language}", entries)
        for language, entries in value.items()
    }
    missing = [language for language in REQUIRED_LANGUAGES if not words.get(language)]
    if renderable and missing:
        raise TaxonomyError(f"hazard {name!r}: no words for languages {missing}")
    for language, entries in words.items():
        for entry in entries:
            core = entry.strip(WILDCARD)
            if not normalize_text(core) or WILDCARD in core:
                raise TaxonomyError(
                    f"hazard {name!r}: words.{language} entry {entry!r} is empty or has '*' "
                    "inside (only a leading or trailing '*' is allowed)"
                )
            if is_cjk(core) and core != entry:
                raise TaxonomyError(
                    f"hazard {name!r}: words.{language} entry {entry!r}: CJK entries already "
                    "match as substrings and take no '*'"
                )
    return MappingProxyType(words)


def _check_unique_words(hazards: tuple[HazardSpec, ...]) -> None:
    owner: dict[str, str] = {}
    for hazard in hazards:
        for entries in hazard.words.values():
            for entry in entries:
                form = normalize_text(entry)
                if owner.setdefault(form, hazard.name) != hazard.name:
                    raise TaxonomyError(
                        f"word {entry!r} is listed for both {owner[form]!r} and {hazard.name!r}"
                    )


def _check_unique_codes(hazards: tuple[HazardSpec, ...]) -> None:
    owner: dict[str, str] = {}
    for hazard in hazards:
        for code in hazard.event_codes:
            form = normalize_code(code)
            if owner.setdefault(form, hazard.name) != hazard.name:
                raise TaxonomyError(
                    f"event code {code!r} is listed for both {owner[form]!r} and {hazard.name!r}"
                )
