"""Hazard classification on CAP objects built directly (independent of the parser)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cap.classify import classify_alert, classify_info
from cap.model import Alert, Info, NamedValue
from cap.taxonomy import load_taxonomy


def make_info(
    event: str,
    *,
    headline: str | None = None,
    codes: tuple[tuple[str, str], ...] = (),
    categories: tuple[str, ...] = ("Met",),
    language: str = "en-US",
) -> Info:
    return Info(
        language=language,
        categories=categories,
        event=event,
        urgency="Immediate",
        severity="Severe",
        certainty="Observed",
        headline=headline,
        event_codes=tuple(NamedValue(name, value) for name, value in codes),
    )


def make_alert(*infos: Info) -> Alert:
    return Alert(
        cap_version="1.2",
        identifier="TEST-1",
        sender="tests@cinealert.example",
        sent=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        status="Actual",
        msg_type="Alert",
        scope="Public",
        infos=infos,
    )


KOREAN_WORDS = {
    "홍수": "flood",
    "산사태": "landslide",
    "가뭄": "drought",
    "산불": "wildfire",
    "대설": "heavy_snow",
    "태풍": "typhoon",
    "지진": "earthquake",
    "지진해일": "tsunami",
    "호우": "heavy_rain",
    "폭염": "heat",
    "한파": "cold",
    "강풍": "storm",
}


@pytest.mark.parametrize(("word", "hazard"), sorted(KOREAN_WORDS.items()))
def test_every_korean_word_in_event_and_in_warning_compounds(word: str, hazard: str) -> None:
    assert classify_info(make_info(word, language="ko-KR")) == hazard
    # Korean warnings are compounds without spaces: 호우주의보 (advisory), 태풍경보 (warning).
    assert classify_info(make_info(f"{word}주의보 발표", language="ko-KR")) == hazard
    assert classify_info(make_info("기상특보", headline=f"{word}경보 발령")) == hazard


NWS_CODES = {
    "FFW": "flood",
    "FFA": "flood",
    "FLW": "flood",
    "FLA": "flood",
    "CFW": "flood",
    "TOR": "tornado",
    "TOA": "tornado",
    "SVR": "storm",
    "SVA": "storm",
    "HWW": "storm",
    "SMW": "storm",
    "EQW": "earthquake",
    "TSW": "tsunami",
    "TSA": "tsunami",
    "HUW": "typhoon",
    "HUA": "typhoon",
    "TRW": "typhoon",
    "BZW": "heavy_snow",
    "WSW": "heavy_snow",
    "WSA": "heavy_snow",
    "FRW": "wildfire",
    "AVW": "landslide",
    "EHW": "heat",
    "FZW": "cold",
    "CAE": "none",
    "RMT": "none",
    "RWT": "none",
    "ADR": "none",
    "HMW": "none",
    "CEM": "none",
}


@pytest.mark.parametrize(("code", "hazard"), sorted(NWS_CODES.items()))
def test_every_listed_same_code(code: str, hazard: str) -> None:
    # The event text says nothing; the code alone decides, whatever its valueName case.
    assert classify_info(make_info("Alert", codes=(("SAME", code),))) == hazard
    assert classify_info(make_info("Alert", codes=(("same", code.lower()),))) == hazard


@pytest.mark.parametrize(
    ("codes", "hazard"),
    [
        ((("profile:CAP-CP:Event:0.4", "snowfall"),), "heavy_snow"),
        ((("profile:CAP-CP:Event:0.4", "airQuality"),), "none"),
        ((("TTAS.KO-07.0046/R5 재난 종류 코드", "HRA"),), "heavy_rain"),
        ((("TTAS.KO-07.0046/R5 재난 종류 코드", "AL1"),), "none"),
        ((("awareness_type", "12; flooding"),), "flood"),
        ((("awareness_type", "8; forest-fire"),), "wildfire"),
        ((("GROUP", "WIND"), ("II", "51")), "storm"),
        ((("AUeventLIST", "grassFire"),), "wildfire"),
        ((("secondary", "structure_fire"),), "fire"),
    ],
)
def test_profile_codes(codes: tuple[tuple[str, str], ...], hazard: str) -> None:
    assert classify_info(make_info("Alert", codes=codes)) == hazard


@pytest.mark.parametrize(
    ("event", "hazard"),
    [
        ("지진해일", "tsunami"),
        ("지진해일경보", "tsunami"),
        ("Flash Flood Warning", "flood"),
        ("Tornado Warning", "tornado"),
        ("Severe Thunderstorm Warning", "storm"),
        ("Winter Storm Warning", "heavy_snow"),
        ("Storm Surge Warning", "flood"),
        ("Tropical Storm Watch", "typhoon"),
        ("Wind Chill Advisory", "cold"),
        ("Wildfire", "wildfire"),
        ("Bushfire Emergency Warning", "wildfire"),
        ("Grass fire", "wildfire"),
        ("Structure fire", "fire"),
        ("Fire", "fire"),
        ("Fire Drill", "none"),
        ("Red Flag Warning", "wildfire"),
        ("Snow Squall Warning", "heavy_snow"),
        ("Schneesturm", "heavy_snow"),
        ("Sturmflut", "flood"),
        ("Waldbrand", "wildfire"),
        ("Großbrand", "fire"),
        ("森林火災", "wildfire"),
        ("暴風雪警報", "heavy_snow"),
    ],
)
def test_longest_most_specific_match_wins(event: str, hazard: str) -> None:
    assert classify_info(make_info(event)) == hazard


@pytest.mark.parametrize(
    ("event", "hazard"),
    [
        ("Amtliche WARNUNG vor STARKREGEN", "heavy_rain"),
        ("Unwetterwarnung vor ORKANBÖEN", "storm"),
        ("Hochwasser", "flood"),
        ("Erdbeben", "earthquake"),
        ("Hitzewelle", "heat"),
        ("Strenger Frost", "cold"),
        ("Bulletin: inondation et crue", "flood"),
        ("Avertissement de neige", "heavy_snow"),
        ("Séisme", "earthquake"),
        ("SÉISME", "earthquake"),
        ("Incendie de forêt", "wildfire"),
        ("Ola de calor", "heat"),
        ("Aviso por lluvias intensas", "heavy_rain"),
        ("Huracán", "typhoon"),
        ("Deslizamiento de tierra", "landslide"),
        ("Sequía", "drought"),
        ("Varning för skogsbrand", "wildfire"),
        ("Stora snömängder", "heavy_snow"),
        ("Översvämning", "flood"),
        ("Veðurviðvörun: Vindur", "storm"),
        ("Jarðskjálfti", "earthquake"),
        ("暴雨红色预警", "heavy_rain"),
        ("台风蓝色预警", "typhoon"),
        ("地震速報", "earthquake"),
        ("津波警報", "tsunami"),
        ("大雨警報", "heavy_rain"),
        ("Alluvione", "flood"),
        ("Incêndio florestal", "wildfire"),
    ],
)
def test_languages(event: str, hazard: str) -> None:
    assert classify_info(make_info(event)) == hazard


def test_word_boundaries_for_latin_scripts() -> None:
    # "rain" must not match inside "Ukraine" or "terrain", nor "hail" inside "Hailey".
    assert classify_info(make_info("Message from Ukraine about terrain")) == "none"
    assert classify_info(make_info("Hailey County notice")) == "none"
    assert classify_info(make_info("Heavy rain in Ukraine")) == "heavy_rain"


@pytest.mark.parametrize(
    ("event", "codes", "categories"),
    [
        ("Child Abduction", (("SAME", "CAE"),), ("Rescue",)),
        ("AMBER Alert", (), ("Rescue",)),
        ("Homeland Security Advisory System Update", (), ("Security",)),
        ("Required Monthly Test", (("SAME", "RMT"),), ("Safety",)),
        ("Hazardous Materials Incident", (), ("CBRNE",)),
        ("Traffic Routes", (), ("Transport",)),
        ("air quality", (), ("Env",)),
        ("민방공 공습경보", (), ("Security",)),
        ("민방위 경보 해제", (), ("Security",)),
        ("Administrative Message", (("SAME", "ADR"),), ("Other",)),
        ("News", (), ("Other",)),
        ("Something nobody listed", (), ("Other",)),
    ],
)
def test_nothing_to_draw_is_none(
    event: str, codes: tuple[tuple[str, str], ...], categories: tuple[str, ...]
) -> None:
    info = make_info(event, codes=codes, categories=categories)
    assert classify_info(info) == "none"
    assert classify_alert(make_alert(info)).hazard == "none"


def test_event_code_beats_event_text_and_event_beats_headline() -> None:
    info = make_info("Tornado Watch", headline="Flood risk later", codes=(("SAME", "SVR"),))
    assert classify_info(info) == "storm"
    assert classify_info(make_info("Earthquake", headline="Tsunami not expected")) == "earthquake"
    # The headline decides when the event says nothing specific.
    assert classify_info(make_info("Weather Warning", headline="Flood Warning")) == "flood"


def test_category_breaks_a_tie_between_equal_matches() -> None:
    # "heat" and "snow" are equally long; the info's categories pick the hazard, and without
    # category support the earlier word wins.
    assert classify_info(make_info("heat snow", categories=("Health",))) == "heat"
    assert classify_info(make_info("snow heat", categories=("Other",))) == "heavy_snow"


def test_multilingual_alert_classifies_every_info() -> None:
    alert = make_alert(
        make_info("지진해일 경보", language="ko-KR", categories=("Geo",)),
        make_info("Tsunami Warning", language="en-US", categories=("Geo",)),
        make_info("津波警報", language="ja-JP", categories=("Geo",)),
    )
    result = classify_alert(alert)
    assert result.hazard == "tsunami"
    assert result.info_hazards == ("tsunami", "tsunami", "tsunami")
    assert result.matched is not None


def test_alert_takes_strongest_renderable_info_over_none_infos() -> None:
    alert = make_alert(
        make_info("Civil emergency message", codes=(("SAME", "CEM"),)),
        make_info("Heavy rain", headline="Heavy rain and flash flooding"),
        make_info("Severe weather", codes=(("SAME", "FFW"),)),
    )
    result = classify_alert(alert)
    assert result.info_hazards == ("none", "heavy_rain", "flood")
    # The eventCode in the third info is stronger evidence than words in the second.
    assert result.hazard == "flood"
    assert result.matched == "eventCode:FFW"


def test_korean_match_label_names_language_and_word() -> None:
    result = classify_alert(make_alert(make_info("지진해일 발생", language="ko-KR")))
    assert result.hazard == "tsunami"
    assert result.matched == "ko:지진해일"


def test_alert_without_infos_is_none() -> None:
    result = classify_alert(make_alert())
    assert result == type(result)("none", (), None)


def test_every_taxonomy_word_classifies_to_its_own_hazard() -> None:
    # A whole-word entry alone as the event must yield its hazard (or a longer entry of the
    # same hazard): catches entries shadowed by another hazard's longer word.
    taxonomy = load_taxonomy()
    for spec in taxonomy.hazards:
        for entries in spec.words.values():
            for entry in entries:
                word = entry.strip("*")
                got = classify_info(make_info(word, categories=()))
                assert got == spec.name, (entry, spec.name, got)


@settings(max_examples=150, deadline=None)
@given(
    event=st.text(max_size=80),
    headline=st.one_of(st.none(), st.text(max_size=120)),
    code=st.text(max_size=20),
)
def test_any_text_classifies_to_a_taxonomy_name(
    event: str, headline: str | None, code: str
) -> None:
    info = make_info(event, headline=headline, codes=(("SAME", code),))
    hazard = classify_info(info)
    assert hazard in load_taxonomy().names
    result = classify_alert(make_alert(info, info))
    assert result.info_hazards == (hazard, hazard)
    # The alert takes the info's hazard when it is renderable, else "none".
    assert result.hazard == hazard
