"""Property tests: no input makes the parser raise; generated valid alerts round-trip."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cap import errors, model
from cap.datetimes import format_cap_datetime, parse_cap_datetime
from cap.document import parse_document
from cap.model import ParsedDocument

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"


def _consistent(document: ParsedDocument) -> None:
    if document.ok:
        assert all(warning.code in errors.WARNING_CODES for warning in document.warnings)
    else:
        assert document.error is not None
        assert document.error.code in errors.ERROR_CODES
        assert document.alerts == ()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    _consistent(parse_document(data))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_inside_a_cap_alert_never_raises(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    data = f'<alert xmlns="{CAP12}"><identifier>{escaped}</identifier>{text}</alert>'
    _consistent(parse_document(data.encode("utf-8", "surrogatepass")))


_token = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-._@", max_codepoint=0x3000
    ),
    min_size=1,
    max_size=30,
)
_free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda value: value.strip() == value and value != "")
_offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(
    lambda quarters: timezone(timedelta(minutes=15 * quarters))
)
_datetimes = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda value: value.replace(microsecond=0)
    ),
    _offsets,
)
_points = st.tuples(
    st.floats(min_value=-90, max_value=90, allow_nan=False).map(lambda v: round(v, 4)),
    st.floats(min_value=-180, max_value=180, allow_nan=False).map(lambda v: round(v, 4)),
)


@st.composite
def _alerts(draw: st.DrawFn) -> dict[str, object]:
    ring = draw(st.lists(_points, min_size=3, max_size=8))
    return {
        "identifier": draw(_token),
        "sender": draw(_token),
        "sent": draw(_datetimes),
        "status": draw(st.sampled_from(model.STATUSES)),
        "msgType": draw(st.sampled_from(model.MSG_TYPES)),
        "scope": draw(st.sampled_from(model.SCOPES)),
        "category": draw(st.sampled_from(model.CATEGORIES)),
        "event": draw(_free_text),
        "urgency": draw(st.sampled_from(model.URGENCIES)),
        "severity": draw(st.sampled_from(model.SEVERITIES)),
        "certainty": draw(st.sampled_from(model.CERTAINTIES)),
        "expires": draw(_datetimes),
        "areaDesc": draw(_free_text),
        "polygon": [*ring, ring[0]],
    }


def _to_xml(fields: dict[str, object]) -> bytes:
    def sub(parent: etree._Element, name: str, text: str) -> None:
        etree.SubElement(parent, f"{{{CAP12}}}{name}").text = text

    root = etree.Element(f"{{{CAP12}}}alert", nsmap={None: CAP12})
    for name in ("identifier", "sender"):
        sub(root, name, str(fields[name]))
    sent = fields["sent"]
    assert isinstance(sent, datetime)
    sub(root, "sent", format_cap_datetime(sent))
    for name in ("status", "msgType", "scope"):
        sub(root, name, str(fields[name]))
    info = etree.SubElement(root, f"{{{CAP12}}}info")
    for name in ("category", "event", "urgency", "severity", "certainty"):
        sub(info, name, str(fields[name]))
    expires = fields["expires"]
    assert isinstance(expires, datetime)
    sub(info, "expires", format_cap_datetime(expires))
    area = etree.SubElement(info, f"{{{CAP12}}}area")
    sub(area, "areaDesc", str(fields["areaDesc"]))
    polygon = fields["polygon"]
    assert isinstance(polygon, list)
    sub(area, "polygon", " ".join(f"{lat},{lon}" for lat, lon in polygon))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_alerts())
def test_generated_valid_alerts_round_trip(fields: dict[str, object]) -> None:
    document = parse_document(_to_xml(fields))
    assert document.ok, document.error
    (alert,) = document.alerts
    assert (alert.identifier, alert.sender, alert.sent) == (
        fields["identifier"],
        fields["sender"],
        fields["sent"],
    )
    assert (alert.status, alert.msg_type, alert.scope) == (
        fields["status"],
        fields["msgType"],
        fields["scope"],
    )
    (info,) = alert.infos
    assert info.categories == (fields["category"],)
    assert (info.event, info.urgency, info.severity, info.certainty) == (
        fields["event"],
        fields["urgency"],
        fields["severity"],
        fields["certainty"],
    )
    assert info.expires == fields["expires"]
    polygon = fields["polygon"]
    assert isinstance(polygon, list)
    assert [(p.lat, p.lon) for p in info.areas[0].polygons[0].points] == polygon


@settings(max_examples=200, deadline=None)
@given(_datetimes)
def test_datetimes_round_trip_through_text(value: datetime) -> None:
    parsed = parse_cap_datetime(format_cap_datetime(value), "/x")
    assert parsed.value == value
    assert parsed.value.utcoffset() == value.utcoffset()
    assert parsed.used_z is False
