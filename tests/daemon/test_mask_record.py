"""The render's mask facts (coverage, the segmenter's own coverage, the fallback taken)
reach the output record and survive the cache topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from cap.document import parse_document
from daemon.cache.hazard_cache import CachedMedia, CacheVariant, HazardCache
from daemon.service.records import RenderOutcome, SourcePosition, build_record, record_schema
from tests.support.cap_alerts import cap_alert

MEDIA = (CachedMedia("http://m/1.gif", "gif", 16, 16, 3, 4.0, 100, "a" * 64),)
MASK = {"method": "langsam", "coverage": 0.3848, "segmented_coverage": 0.0, "fallback": "too-small"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _outcome(mask: dict[str, object] | None) -> RenderOutcome:
    return RenderOutcome(
        media=MEDIA,
        poster_url="http://m/p.png",
        alt_text="flood",
        prompt="water. Do not include any humans.",
        clip_score=21.0,
        models={"t2i": "sd"},
        timings_ms={"total": 1.0},
        mask=mask,
    )


def test_rendered_record_carries_mask_coverage_and_fallback() -> None:
    document = parse_document(cap_alert("id-1", sent=NOW - timedelta(hours=1)))
    alert = document.alerts[0]
    source = SourcePosition("cap.alerts", 0, 1)
    record = build_record(alert, "flood", "rendered", source, outcome=_outcome(MASK))
    jsonschema.validate(record, record_schema())
    assert record["mask"] == MASK
    card = build_record(alert, "flood", "rendered", source, outcome=_outcome(None))
    jsonschema.validate(card, record_schema())
    assert card["mask"] is None
    wrong = dict(record, mask=dict(MASK, fallback="ellipse"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, record_schema())


def test_cache_entries_keep_the_mask_and_old_entries_still_read() -> None:
    cache = HazardCache(variants=2, ttl_s=60.0, clock=lambda: 100.0)
    variant = cache.make_variant(
        "flood|cinemagraph|tiny",
        media=MEDIA,
        poster_url="http://m/p.png",
        alt_text="flood",
        prompt="water",
        clip_score=21.0,
        models={"t2i": "sd"},
        timings_ms={"total": 1.0},
        mask=MASK,
    )
    raw = variant.to_json()
    assert CacheVariant.from_json("k", raw).mask == MASK
    old = json.loads(raw)
    del old["mask"]  # written before masks were recorded
    assert CacheVariant.from_json("k", json.dumps(old).encode()).mask is None
