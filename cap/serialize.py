"""CAP model objects to JSON-able dicts.

One spelling for everyone who writes CAP out as JSON: ``cinealert parse`` prints
``document_to_dict``; the daemon's output record reuses ``alert_to_dict`` and
``reference_to_dict``. Keys follow CAP's element names (``msgType``), date-times are
ISO-8601 strings with an explicit offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cap.classify import AlertHazard, classify_alert
from cap.datetimes import format_cap_datetime
from cap.model import Alert, Info, Issue, NamedValue, ParsedDocument, Reference
from cap.priority import priority_score

JsonDict = dict[str, Any]


def _datetime(value: datetime | None) -> str | None:
    return None if value is None else format_cap_datetime(value)


def issue_to_dict(issue: Issue) -> JsonDict:
    """An error or warning as ``{"code", "message", "location"}``."""
    return {"code": issue.code, "message": issue.message, "location": issue.location}


def reference_to_dict(reference: Reference) -> JsonDict:
    """One ``references`` triple as ``{"sender", "identifier", "sent"}``."""
    return {
        "sender": reference.sender,
        "identifier": reference.identifier,
        "sent": format_cap_datetime(reference.sent),
    }


def _named_values(values: tuple[NamedValue, ...]) -> list[JsonDict]:
    return [{"valueName": value.name, "value": value.value} for value in values]


def info_to_dict(info: Info, hazard: str | None) -> JsonDict:
    """The summary of one ``<info>`` block, with its hazard when known."""
    return {
        "language": info.language,
        "event": info.event,
        "categories": list(info.categories),
        "urgency": info.urgency,
        "severity": info.severity,
        "certainty": info.certainty,
        "effective": _datetime(info.effective),
        "onset": _datetime(info.onset),
        "expires": _datetime(info.expires),
        "headline": info.headline,
        "eventCodes": _named_values(info.event_codes),
        "areaDescs": [area.area_desc for area in info.areas],
        "hazard": hazard,
    }


def alert_to_dict(
    alert: Alert, hazard: AlertHazard | None = None, priority: float | None = None
) -> JsonDict:
    """The summary of one alert; ``hazard``/``priority`` filled when given."""
    info_hazards: tuple[str | None, ...] = (
        hazard.info_hazards if hazard is not None else (None,) * len(alert.infos)
    )
    return {
        "capVersion": alert.cap_version,
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": format_cap_datetime(alert.sent),
        "status": alert.status,
        "msgType": alert.msg_type,
        "scope": alert.scope,
        "references": [reference_to_dict(reference) for reference in alert.references],
        "hazard": None if hazard is None else hazard.hazard,
        "priority": priority,
        "infos": [
            info_to_dict(info, info_hazard)
            for info, info_hazard in zip(alert.infos, info_hazards, strict=True)
        ],
        "warnings": [issue_to_dict(warning) for warning in alert.warnings],
    }


def document_to_dict(document: ParsedDocument, source: str, now: datetime) -> JsonDict:
    """One input's result: alerts classified and scored at ``now`` (aware datetime)."""
    return {
        "source": source,
        "ok": document.ok,
        "error": None if document.error is None else issue_to_dict(document.error),
        "warnings": [issue_to_dict(warning) for warning in document.warnings],
        "kind": document.kind,
        "containerFormat": document.container_format,
        "alerts": [
            alert_to_dict(alert, classify_alert(alert), priority_score(alert, now=now))
            for alert in document.alerts
        ],
        "rejected": [
            {"index": rejected.index, "error": issue_to_dict(rejected.error)}
            for rejected in document.rejected
        ],
        "indexLinks": list(document.index_links),
    }


def unreadable_to_dict(source: str, code: str, message: str) -> JsonDict:
    """The result for an input that could not even be read (same keys as a refusal)."""
    return {
        "source": source,
        "ok": False,
        "error": {"code": code, "message": message, "location": None},
        "warnings": [],
        "kind": "unknown",
        "containerFormat": None,
        "alerts": [],
        "rejected": [],
        "indexLinks": [],
    }
