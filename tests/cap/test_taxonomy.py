"""The taxonomy data file loads, is complete, and malformed data is refused by name."""

from __future__ import annotations

import math

import pytest

from cap.taxonomy import (
    CAMERA_MOVES,
    REQUIRED_LANGUAGES,
    TaxonomyError,
    UnknownHazardError,
    load_taxonomy,
    normalize_code,
    normalize_text,
    parse_taxonomy,
)

EXPECTED_HAZARDS = (
    "flood",
    "landslide",
    "drought",
    "wildfire",
    "heavy_snow",
    "typhoon",
    "earthquake",
    "heavy_rain",
    "storm",
    "tornado",
    "tsunami",
    "heat",
    "cold",
    "fire",
    "none",
)

MINIMAL_HAZARD = """
[hazards.{name}]
renderable = {renderable}
keywords = "K"
segment_prompt = "water"
prompt_template = "t"
event_codes = [{codes}]
categories = ["Met"]
[hazards.{name}.motion]
direction_deg = {direction}
speed = 1.0
turbulence = {turbulence}
camera = "{camera}"
[hazards.{name}.words]
{words}
"""

ALL_LANGUAGES = "\n".join(f'{lang} = ["w{lang}"]' for lang in REQUIRED_LANGUAGES)


def hazard_toml(name: str = "flood", **overrides: str) -> str:
    values = {
        "name": name,
        "renderable": "true",
        "codes": '"FFW"',
        "direction": "0.0",
        "turbulence": "0.5",
        "camera": "none",
        "words": ALL_LANGUAGES,
    }
    values.update(overrides)
    return MINIMAL_HAZARD.format(**values)


NONE_TOML = hazard_toml("none", renderable="false", codes='"CAE"', words='en = ["amber"]')


def test_packaged_taxonomy_has_exactly_the_design_hazards() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.names == EXPECTED_HAZARDS
    assert taxonomy.renderable == EXPECTED_HAZARDS[:-1]
    assert load_taxonomy() is taxonomy


def test_every_renderable_hazard_is_complete() -> None:
    taxonomy = load_taxonomy()
    for name in taxonomy.renderable:
        spec = taxonomy.get(name)
        assert spec.name == name and spec.renderable
        assert spec.keywords and spec.segment_prompt and spec.prompt_template
        assert spec.categories
        for language in REQUIRED_LANGUAGES:
            assert spec.words[language], (name, language)
        motion = spec.motion
        assert motion.camera in CAMERA_MOVES
        assert 0.0 <= motion.turbulence <= 1.0
        assert 0.0 <= motion.direction_deg <= 360.0
        assert motion.speed > 0.0 and math.isfinite(motion.speed)


def test_none_hazard_is_not_renderable() -> None:
    spec = load_taxonomy().get("none")
    assert not spec.renderable
    assert "CAE" in spec.event_codes


def test_unknown_hazard_is_a_key_error_naming_it() -> None:
    with pytest.raises(UnknownHazardError) as caught:
        load_taxonomy().get("volcano")
    assert isinstance(caught.value, KeyError)
    assert "volcano" in str(caught.value) and "flood" in str(caught.value)


def test_minimal_taxonomy_parses() -> None:
    taxonomy = parse_taxonomy(hazard_toml() + NONE_TOML)
    assert taxonomy.names == ("flood", "none")
    assert taxonomy.get("flood").event_codes == ("FFW",)
    assert taxonomy.get("flood").words["ko"] == ("wko",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not = [toml", "not valid TOML"),
        ("[other]\nx = 1", "[hazards]"),
        (hazard_toml(), "'none'"),
        (hazard_toml(camera="spin") + NONE_TOML, "'spin'"),
        (hazard_toml(turbulence="1.5") + NONE_TOML, "turbulence=1.5"),
        (hazard_toml(direction="nan") + NONE_TOML, "direction_deg"),
        (hazard_toml(renderable="false") + NONE_TOML, "renderable=False"),
        (hazard_toml(words='en = ["flood"]') + NONE_TOML, "no words for languages"),
        (hazard_toml(codes='"CAE"') + NONE_TOML, "event code 'CAE'"),
        (hazard_toml(words=ALL_LANGUAGES + '\npt = ["amber"]') + NONE_TOML, "word 'amber'"),
        (hazard_toml(words=ALL_LANGUAGES + '\npt = ["fl*ood"]') + NONE_TOML, "'fl*ood'"),
        (hazard_toml(words=ALL_LANGUAGES + '\npt = ["홍수*"]') + NONE_TOML, "'홍수*'"),
        (hazard_toml("Flood") + NONE_TOML, "'Flood'"),
    ],
)
def test_malformed_taxonomy_is_refused_with_the_offending_value(text: str, fragment: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text)
    assert fragment in str(caught.value)


def test_normalisation_is_nfkc_and_casefold() -> None:
    # Full-width Latin and the German sharp s fold to their plain forms.
    assert normalize_text("  ＦＬＯＯＤ\tWarning ") == "flood warning"
    assert normalize_text("Großbrand") == "grossbrand"


def test_meteoalarm_awareness_prefix_is_dropped_from_codes() -> None:
    assert normalize_code("10; Rain") == "rain"
    assert normalize_code(" FFW ") == "ffw"
    assert normalize_code("a; b") == "a; b"
