"""Korea's public disaster text messages (긴급재난문자) as CAP 1.2.

The Ministry of the Interior and Safety publishes the cell-broadcast messages it sends
as JSON, not CAP (the open-data API of the Korean public data portal, "긴급재난문자"). Each
item carries a serial number (``SN``), a creation time in Korean time (``CRT_DT``,
``2026/12/06 14:02:11``), the message text (``MSG_CN``), the receiving regions
(``RCPTN_RGN_NM``, comma-separated), the emergency step (``EMRG_STEP_NM``: 위급재난,
긴급재난, 안전안내) and the disaster type (``DST_SE_NM``: 호우, 태풍, 지진, ...).
This module writes one CAP 1.2 alert per item, so the rest of the system treats it like
any other alert: the event is the disaster type (the taxonomy's Korean words classify
it), the area one ``<area>`` per region, and urgency/severity/certainty follow the
step. docs/feeds.md has the mapping table.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from lxml import etree

CAP_12 = "urn:oasis:names:tc:emergency:cap:1.2"
KST = timezone(timedelta(hours=9))
SENDER = "safetydata.go.kr"
SENDER_NAME = "행정안전부"
# Emergency step -> (urgency, severity, certainty). 위급재난 ("critical disaster", e.g.
# war, magnitude 6+ earthquakes) is the top level, 긴급재난 ("emergency disaster") the
# second, 안전안내 ("safety guidance") advice.
STEPS = {
    "위급재난": ("Immediate", "Extreme", "Observed"),
    "긴급재난": ("Immediate", "Severe", "Likely"),
    "안전안내": ("Expected", "Moderate", "Possible"),
}
UNKNOWN_STEP = ("Unknown", "Unknown", "Unknown")
# Disaster type -> CAP category (anything else: Safety).
CATEGORIES = {
    **dict.fromkeys(
        (
            "호우",
            "태풍",
            "대설",
            "강풍",
            "폭염",
            "한파",
            "풍랑",
            "황사",
            "미세먼지",
            "가뭄",
            "홍수",
        ),
        "Met",
    ),
    **dict.fromkeys(("지진", "지진해일", "산사태", "화산"), "Geo"),
    **dict.fromkeys(("화재", "산불"), "Fire"),
    **dict.fromkeys(("감염병", "전염병"), "Health"),
}
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s")
MAX_HEADLINE_CHARS = 80


class KoreanMessageError(ValueError):
    """The JSON is not a list of disaster messages; names what is missing."""


def messages_to_cap(data: bytes) -> list[bytes]:
    """Every message item of the API's JSON (its ``body`` list, or a bare list) as CAP."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise KoreanMessageError(f"not JSON: {error}") from error
    items = document.get("body") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise KoreanMessageError("no message list (expected a 'body' array)")
    return [message_to_cap(item) for item in items]


def message_to_cap(item: Any) -> bytes:
    """One message item as a CAP 1.2 document (UTF-8 bytes)."""
    if not isinstance(item, dict):
        raise KoreanMessageError(f"a message item must be an object, got {type(item).__name__}")
    serial, created, text = (_field(item, key) for key in ("SN", "CRT_DT", "MSG_CN"))
    try:
        sent = datetime.strptime(created, "%Y/%m/%d %H:%M:%S").replace(tzinfo=KST)
    except ValueError as error:
        raise KoreanMessageError(f"CRT_DT {created!r} is not 'YYYY/MM/DD hh:mm:ss'") from error
    disaster = str(item.get("DST_SE_NM") or "").strip()
    urgency, severity, certainty = STEPS.get(
        str(item.get("EMRG_STEP_NM") or "").strip(), UNKNOWN_STEP
    )
    alert = etree.Element(f"{{{CAP_12}}}alert", nsmap={None: CAP_12})
    _add(alert, "identifier", f"KR.MOIS.CBS.{serial}")
    _add(alert, "sender", SENDER)
    _add(alert, "sent", sent.isoformat())
    _add(alert, "status", "Actual")
    _add(alert, "msgType", "Alert")
    _add(alert, "scope", "Public")
    info = _add(alert, "info")
    _add(info, "language", "ko-KR")
    _add(info, "category", CATEGORIES.get(disaster, "Safety"))
    _add(info, "event", disaster or "재난문자")
    _add(info, "urgency", urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", certainty)
    _add(info, "senderName", SENDER_NAME)
    _add(info, "headline", _headline(text))
    _add(info, "description", text)
    regions = [r.strip() for r in str(item.get("RCPTN_RGN_NM") or "").split(",") if r.strip()]
    for region in regions or ["대한민국"]:
        area = _add(info, "area")
        _add(area, "areaDesc", region)
    return bytes(etree.tostring(alert, xml_declaration=True, encoding="UTF-8"))


def _field(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None or not str(value).strip():
        raise KoreanMessageError(f"message item without {key}")
    return str(value).strip()


def _headline(text: str) -> str:
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return first if len(first) <= MAX_HEADLINE_CHARS else first[: MAX_HEADLINE_CHARS - 1] + "…"


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CAP_12}}}{tag}")
    if text is not None:
        child.text = text
    return child
