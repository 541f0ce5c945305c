"""Builds CAP 1.2 alert XML for daemon tests, with just the fields the daemon looks at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SENDER = "w-nws.webmaster@noaa.gov"
EVENTS = {
    "flood": ("Flood Warning", "Met"),
    "wildfire": ("Wildfire", "Fire"),
    "earthquake": ("Earthquake", "Geo"),
    "tornado": ("Tornado Warning", "Met"),
    "heat": ("Excessive Heat Warning", "Met"),
    "none": ("Child Abduction Emergency", "Rescue"),
}


def iso(moment: datetime) -> str:
    """CAP date-time text (seconds, explicit offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def cap_alert(
    identifier: str,
    hazard: str = "flood",
    *,
    sent: datetime | None = None,
    status: str = "Actual",
    msg_type: str = "Alert",
    urgency: str = "Expected",
    severity: str = "Severe",
    certainty: str = "Likely",
    expires: datetime | None = None,
    references: tuple[tuple[str, datetime], ...] = (),
    sender: str = SENDER,
    language: str = "en-US",
) -> bytes:
    """One CAP 1.2 alert; ``references`` are (identifier, sent) pairs of the same sender."""
    sent = sent or datetime.now(UTC).replace(microsecond=0)
    expires = expires or sent + timedelta(hours=6)
    event, category = EVENTS[hazard]
    refs = ""
    if references:
        refs = (
            "<references>"
            + " ".join(f"{sender},{ref_id},{iso(ref_sent)}" for ref_id, ref_sent in references)
            + "</references>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>{sender}</sender>
  <sent>{iso(sent)}</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  {refs}
  <info>
    <language>{language}</language>
    <category>{category}</category>
    <event>{event}</event>
    <urgency>{urgency}</urgency>
    <severity>{severity}</severity>
    <certainty>{certainty}</certainty>
    <expires>{iso(expires)}</expires>
    <headline>{event} for test county</headline>
    <area><areaDesc>Test County</areaDesc></area>
  </info>
</alert>
""".encode()
