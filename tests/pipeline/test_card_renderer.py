"""The alert card end to end: every hazard in every script family, text inside its
panel, colours with enough contrast, a loop that closes, files that decode, the same
bytes for the same alert, and the real CAP corpus drawn without a failure."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from cap.classify import classify_alert
from cap.document import parse_document
from cap.taxonomy import load_taxonomy
from pipeline.card.compose import CARD_FRAMES, card_frames, card_layout
from pipeline.card.content import card_text, expiry_line
from pipeline.card.palette import MIN_CONTRAST, SEVERITY_COLOURS, contrast_ratio
from pipeline.card.renderer import CardRenderer
from pipeline.interface import CardText, RenderRequest

HAZARDS = [spec.name for spec in load_taxonomy().hazards]
KST = timezone(timedelta(hours=9))
# One alert per script family the card must write (authored here, in the style of real
# alerts of each country).
SAMPLES = {
    "latin": CardText(
        "Flash Flood Warning",
        "Flash Flood Warning issued December 6 at 2:14PM CST until December 6 at 6:45PM "
        "CST by NWS Houston/Galveston TX",
        "Harris, TX; Fort Bend, TX; Montgomery, TX; Waller, TX",
        datetime(2026, 12, 6, 18, 45, tzinfo=timezone(timedelta(hours=-6))),
        "Severe",
        "en-US",
    ),
    "cyrillic": CardText(
        "Штормовое предупреждение",
        "Ожидается сильный ветер с порывами до 25 м/с и ледяной дождь",
        "Москва и Московская область",
        datetime(2026, 12, 6, 21, 0, tzinfo=timezone(timedelta(hours=3))),
        "Moderate",
        "ru-RU",
    ),
    "korean": CardText(
        "호우경보",
        "[행정안전부] 오늘 14시 호우경보 발령. 산사태·급류 위험지역 접근 금지, 안전한 곳으로 "
        "대피하세요",
        "서울특별시 전역",
        datetime(2026, 12, 6, 23, 0, tzinfo=KST),
        "Extreme",
        "ko-KR",
    ),
    "japanese": CardText(
        "大津波警報",
        "大津波警報が発表されました。海岸や川沿いから離れ、高台や避難ビルへ避難してください。",
        "岩手県沿岸、宮城県沿岸",
        datetime(2026, 12, 6, 23, 0, tzinfo=KST),
        "Extreme",
        "ja-JP",
    ),
    "chinese": CardText(
        "暴雨红色预警",
        "预计未来3小时内将出现100毫米以上降雨，请立即转移到安全地带。",
        "广州市全市",
        datetime(2026, 12, 6, 20, 0, tzinfo=timezone(timedelta(hours=8))),
        "Severe",
        "zh-CN",
    ),
    "arabic": CardText(
        "تحذير من فيضانات",
        "تحذير من فيضانات مفاجئة في المنطقة، ابتعدوا عن الأودية ومجاري السيول",
        "منطقة الرياض",
        datetime(2026, 12, 6, 23, 0, tzinfo=timezone(timedelta(hours=3))),
        "Moderate",
        "ar-SA",
    ),
    "hebrew": CardText(
        "אזהרת שריפה",
        "אזהרת שריפות יער באזור הצפון, יש להתרחק מאזורים מיוערים",
        "מחוז הצפון",
        None,
        "Minor",
        "he-IL",
    ),
}


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _overlap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> bool:
    return (
        first[0] < second[2]
        and second[0] < first[2]
        and first[1] < second[3]
        and (second[1] < first[3])
    )


def test_every_severity_colour_pair_meets_wcag_aa() -> None:
    for severity, colours in SEVERITY_COLOURS.items():
        assert contrast_ratio(colours.ink, colours.background) >= MIN_CONTRAST, severity
        assert contrast_ratio(colours.ink, colours.panel) >= MIN_CONTRAST, severity


def test_contrast_ratio_matches_the_wcag_reference_values() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("script", sorted(SAMPLES))
@pytest.mark.parametrize("hazard", HAZARDS)
def test_a_card_for_every_hazard_in_every_script(hazard: str, script: str) -> None:
    text = SAMPLES[script]
    layout = card_layout(hazard, text, 512)
    assert len(layout.text_boxes) == (4 if text.expires else 3)
    for box in layout.text_boxes:
        assert _inside(box, layout.panel), (box, layout.panel)
        assert not _overlap(box, layout.pictogram)
    for first, second in zip(layout.text_boxes, layout.text_boxes[1:], strict=False):
        assert first[3] <= second[1], "text blocks overlap"
    frames = card_frames(hazard, text, 512, 4)
    assert [frame.shape for frame in frames] == [(512, 512, 3)] * 4
    assert not np.array_equal(frames[0], frames[2]), "the pictogram does not move"


def test_the_loop_closes_without_a_jump() -> None:
    frames = [f.astype(np.int16) for f in card_frames("flood", SAMPLES["latin"], 512, 16)]
    steps = [np.abs(frames[i] - frames[(i + 1) % 16]).mean() for i in range(16)]
    # The step from the last frame back to the first is no larger than the others.
    assert steps[-1] <= max(steps[:-1]) * 1.01
    assert min(steps) > 0


def test_the_text_of_the_alert_is_what_the_card_shows_on_the_panel() -> None:
    """A card without text and with text differ only in the panel."""
    with_text = card_frames("storm", SAMPLES["cyrillic"], 512, 1)[0]
    empty = CardText(event=" ", severity="Moderate", language="ru-RU")
    without = card_frames("storm", empty, 512, 1)[0]
    panel = card_layout("storm", SAMPLES["cyrillic"], 512).panel
    changed = np.argwhere(np.any(with_text != without, axis=2))
    assert changed.size
    assert changed[:, 0].min() >= panel[1] and changed[:, 1].min() >= panel[0]


def test_files_decode_back_and_are_deterministic() -> None:
    renderer = CardRenderer()
    renderer.warm_up()
    request = RenderRequest(hazard="heavy_rain", card=SAMPLES["korean"])
    result = renderer.render(request)
    again = renderer.render(request)
    by_format = {media.format: media for media in result.media}
    assert set(by_format) == {"gif", "webp", "mp4"}
    for name in ("gif", "webp"):
        with Image.open(io.BytesIO(by_format[name].data)) as image:
            assert image.size == (512, 512)
            assert image.n_frames == by_format[name].frames
    with av.open(io.BytesIO(by_format["mp4"].data)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == CARD_FRAMES
    assert (decoded[0].width, decoded[0].height) == (512, 512)
    with Image.open(io.BytesIO(result.poster.data)) as poster:
        assert poster.size == (512, 512)
    again_by_format = {media.format: media.data for media in again.media}
    assert again_by_format["gif"] == by_format["gif"].data
    assert again_by_format["webp"] == by_format["webp"].data
    assert again.poster.data == result.poster.data
    assert set(result.timings_ms) == {"draw", "encode", "alt_text", "total"}
    assert result.models == {"card": "cinealert-card/1"}
    assert result.alt_text.startswith("움직이는 경보 카드")
    assert "서울특별시 전역" in result.alt_text


def test_alt_text_names_the_severity_colour_and_the_words() -> None:
    result = CardRenderer().render(RenderRequest(hazard="flood", card=SAMPLES["latin"]))
    assert result.alt_text.startswith("Animated alert card, orange for severity Severe")
    assert "Harris, TX" in result.alt_text and "Until 2026-12-06 18:45 UTC-06:00" in result.alt_text


def test_expiry_keeps_the_alerts_offset_and_language() -> None:
    moment = datetime(2026, 12, 6, 23, 0, tzinfo=KST)
    assert expiry_line(moment, "ko-KR") == "2026-12-06 23:00 UTC+09:00까지"
    assert expiry_line(moment, "fr-CA") == "Jusqu’à 2026-12-06 23:00 UTC+09:00"
    assert expiry_line(moment, "xx") == "Until 2026-12-06 23:00 UTC+09:00"
    assert expiry_line(datetime(2026, 1, 1, tzinfo=UTC), "en") == "Until 2026-01-01 00:00 UTC+00:00"
    # Right to left: the date and time stay in order inside a left-to-right isolate.
    assert expiry_line(moment, "ar") == "حتى \u20662026-12-06 23:00 UTC+09:00\u2069"
    assert expiry_line(None, "en") == ""


def test_every_renderable_alert_of_the_real_corpus_gets_a_card(shared_dir: Path) -> None:
    """Real alerts (German, Korean, English, French, Spanish, ...) from the corpus: each
    one the classifier can draw gets a card whose text stays inside its panel."""
    drawn = 0
    for line in (shared_dir / "cap-corpus" / "LABELS.tsv").read_text().splitlines()[1:]:
        path, expect = line.split("\t")[:2]
        if expect != "ok":
            continue
        document = parse_document((shared_dir / "cap-corpus" / path).read_bytes())
        for alert in document.alerts:
            hazard = classify_alert(alert).hazard
            if hazard == "none" or not alert.infos:
                continue
            layout = card_layout(hazard, card_text(alert), 512)
            for box in layout.text_boxes:
                assert _inside(box, layout.panel), (path, box, layout.panel)
            drawn += 1
    assert drawn >= 40
