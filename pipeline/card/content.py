"""What a card says: the alert's own words, taken from its CAP ``<info>``, and the
expiry line in the alert's language.

The card shows the issuer's first ``<info>`` (the language the authority wrote first),
not a translation: a card is for people who read that language, and the record's alt
text carries the English one where the alert has it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from cap.model import Alert
from pipeline.alt_text import primary_language
from pipeline.interface import CardText

# "Until <time>" per primary language subtag; the time itself is written as numbers
# (2026-12-06 18:00 UTC+09:00), which every reader of these languages reads.
UNTIL = {
    "en": "Until {time}",
    "de": "Bis {time}",
    "fr": "Jusqu’à {time}",
    "es": "Hasta {time}",
    "pt": "Até {time}",
    "it": "Fino a {time}",
    "nl": "Tot {time}",
    "sv": "Till {time}",
    "no": "Til {time}",
    "nb": "Til {time}",
    "da": "Indtil {time}",
    "fi": "{time} asti",
    "is": "Til {time}",
    "ru": "До {time}",
    "uk": "До {time}",
    "pl": "Do {time}",
    "ko": "{time}까지",
    "ja": "{time}まで",
    "zh": "有效至 {time}",
    "ar": "حتى {time}",
    "he": "עד {time}",
}


# Languages written right to left among those with a label above.
RIGHT_TO_LEFT = frozenset({"ar", "he"})


def card_text(alert: Alert) -> CardText:
    """The card's words for ``alert``: its first ``<info>`` (event, headline, areas,
    expiry, severity, language); an alert without ``<info>`` gives an empty text."""
    if not alert.infos:
        return CardText()
    info = alert.infos[0]
    headline = (info.headline or "").strip()
    event = info.event.strip()
    return CardText(
        event=event,
        # A headline that only repeats the event would say the same thing twice.
        headline="" if headline.casefold() == event.casefold() else headline,
        area="; ".join(area.area_desc.strip() for area in info.areas if area.area_desc.strip()),
        expires=info.expires,
        severity=info.severity,
        language=info.language or "en",
    )


def expiry_line(expires: datetime | None, language: str) -> str:
    """ "Until 2026-12-06 18:00 UTC+09:00" in ``language`` (English where not listed);
    empty without an expiry. The time keeps the alert's own offset, so the same alert
    always gives the same words (no "in 3 hours" that changes with the clock)."""
    if expires is None:
        return ""
    offset = expires.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    time = f"{expires:%Y-%m-%d %H:%M} {zone}"
    primary = primary_language(language)
    if primary in RIGHT_TO_LEFT:
        # In Arabic text the bidi algorithm reads digits after Arabic letters as Arabic
        # numbers and lays "2026-12-06" out as "06-12-2026"; a left-to-right isolate
        # keeps the date, the time and the offset in their order.
        time = f"\u2066{time}\u2069"
    return UNTIL.get(primary, UNTIL["en"]).format(time=time)


def card_digest(hazard: str, text: CardText) -> str:
    """A short digest of everything a card shows: equal digests draw identical cards."""
    expires = text.expires.isoformat() if text.expires is not None else ""
    fields = (hazard, text.event, text.headline, text.area, expires, text.severity, text.language)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:20]
