"""The terminal output record (schema ``cinealert.media/1``) published for every valid alert.

The JSON Schema is ``daemon/data/media-record.schema.json``; tests validate every record
they read back against it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from cap.model import Alert, Info
from daemon.cache.hazard_cache import CachedMedia

RECORD_SCHEMA_ID = "cinealert.media/1"
TERMINAL_STATUSES = ("rendered", "cached", "skipped", "cancelled", "expired", "failed")
# card_policy=first: an alert card published before the alert's terminal record.
PROVISIONAL = "provisional"


class RecordError(ValueError):
    """A record was asked for with a status outside the contract."""


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """Where the alert came from on the input topic."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Priority:
    """The alert's priority score and band, when it was computed."""

    score: float
    band: str


# The models entry an alert card's result carries (pipeline.card.renderer).
CARD_MODEL_ROLE = "card"


@dataclass(frozen=True, slots=True)
class RenderOutcome:
    """The media part of a record (from a render just done or from the cache)."""

    media: tuple[CachedMedia, ...]
    poster_url: str
    alt_text: str
    prompt: str
    clip_score: float
    models: Mapping[str, str]
    timings_ms: Mapping[str, float]
    # What moved: method, coverage, the segmenter's own coverage, fallback (or None).
    mask: Mapping[str, object] | None = None


def primary_info(alert: Alert) -> Info | None:
    """The ``<info>`` the record describes: the first English one, else the first."""
    for info in alert.infos:
        if info.language.lower().startswith("en"):
            return info
    return alert.infos[0] if alert.infos else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# The record's signature object when no signature policy applied to the alert.
UNCHECKED_SIGNATURE: Mapping[str, Any] = {
    "status": "not-checked",
    "signer": None,
    "fingerprint": None,
}


def alert_summary(alert: Alert, *, redacted: bool = False) -> dict[str, Any]:
    """The ``alert`` object of a record.

    ``redacted``: for an alert not meant for the public that is not rendered, the record
    says only that it existed — no event, area or expiry.
    """
    info = primary_info(alert)
    if redacted:
        info = None
    summary: dict[str, Any] = {
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": alert.sent.isoformat(),
        "status": alert.status,
        "msgType": alert.msg_type,
        "references": [
            f"{ref.sender},{ref.identifier},{ref.sent.isoformat()}" for ref in alert.references
        ],
        "event": info.event if info else None,
        "language": info.language if info else None,
        "urgency": info.urgency if info else None,
        "severity": info.severity if info else None,
        "certainty": info.certainty if info else None,
        "expires": _iso(info.expires) if info else None,
        "areaDesc": "; ".join(area.area_desc for area in info.areas) if info else None,
        "scope": alert.scope,
    }
    if alert.scope != "Public" and not redacted:
        summary["restriction"] = alert.restriction
        summary["addresses"] = alert.addresses
    return summary


def build_record(
    alert: Alert,
    hazard: str,
    status: str,
    source: SourcePosition,
    *,
    priority: Priority | None = None,
    reason: str | None = None,
    outcome: RenderOutcome | None = None,
    timings_ms: Mapping[str, float] | None = None,
    produced_at: datetime | None = None,
    signature: Mapping[str, Any] | None = None,
    redacted: bool = False,
) -> dict[str, Any]:
    """Build one record as a JSON-able dict: a terminal one, or (status ``provisional``)
    the card published ahead of it under ``card_policy=first``.

    ``timings_ms`` are the daemon's own stages (queue wait, store, total); the
    renderer's per-stage timings from ``outcome`` are merged under them.
    """
    if status not in (*TERMINAL_STATUSES, PROVISIONAL):
        raise RecordError(f"status {status!r} is not one of {TERMINAL_STATUSES} or {PROVISIONAL}")
    if status in ("rendered", "cached", PROVISIONAL) and outcome is None:
        raise RecordError(f"status {status!r} needs media (outcome is None)")
    timings: dict[str, float] = {}
    if outcome is not None and status == "rendered":
        timings.update({f"render.{stage}": ms for stage, ms in outcome.timings_ms.items()})
    timings.update(timings_ms or {})
    moment = produced_at if produced_at is not None else datetime.now(UTC)
    return {
        "schema": RECORD_SCHEMA_ID,
        "alert": alert_summary(alert, redacted=redacted),
        "hazard": hazard,
        "priority": {"score": priority.score, "band": priority.band} if priority else None,
        "status": status,
        "reason": reason,
        "media": [_media_json(item) for item in outcome.media] if outcome else [],
        "kind": _media_kind(outcome),
        "image_source": _image_source(outcome),
        "poster_url": outcome.poster_url if outcome else None,
        "alt_text": outcome.alt_text if outcome else None,
        "prompt": outcome.prompt if outcome else None,
        "clip_score": outcome.clip_score if outcome else None,
        "mask": dict(outcome.mask) if outcome and outcome.mask is not None else None,
        "timings_ms": timings,
        "models": dict(outcome.models) if outcome else {},
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "produced_at": moment.isoformat(),
        "signature": dict(signature) if signature is not None else dict(UNCHECKED_SIGNATURE),
    }


def _media_kind(outcome: RenderOutcome | None) -> str | None:
    """``card`` for an alert card (pipeline.card), ``animation`` for a generative render."""
    if outcome is None:
        return None
    return "card" if CARD_MODEL_ROLE in outcome.models else "animation"


def _image_source(outcome: RenderOutcome | None) -> str | None:
    """Where the animated still came from: ``library`` (an operator's photo,
    pipeline/library.py) or ``t2i`` (generated); None for cards and records without media."""
    if outcome is None:
        return None
    if "image_library" in outcome.models:
        return "library"
    return "t2i" if "t2i" in outcome.models else None


def _media_json(item: CachedMedia) -> dict[str, Any]:
    return {
        "url": item.url,
        "format": item.format,
        "width": item.width,
        "height": item.height,
        "frames": item.frames,
        "fps": item.fps,
        "bytes": item.bytes,
        "sha256": item.sha256,
    }


# One encoder for every record: json.dumps with options builds a new one per call.
_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_record(record: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON bytes for the output topic."""
    return _RECORD_ENCODER.encode(record).encode()


def record_schema() -> dict[str, Any]:
    """The JSON Schema of the record, from the package data."""
    text = resources.files("daemon").joinpath("data/media-record.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema
