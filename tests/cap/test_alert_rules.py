"""CAP rules on hand-written fixtures: each rule and each alert-level code, accepted and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cap import errors
from cap.document import parse_document
from cap.model import Alert, Circle, NamedValue, ParsedDocument, Point
from tests.cap.cap_fixtures import fixture_bytes, fixture_text, replace_once

FULL = "alert_1_2_full.xml"
POLYGON = "<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>"
ANTIMERIDIAN_POLYGON = "<polygon>51.2,179.9 51.3,-180.005 51.1,-179.9 51.2,179.9</polygon>"
EVENT_CODE = (
    "<eventCode>\n      <valueName>SAME</valueName>\n      <value>FFW</value>\n    </eventCode>"
)


def _only_alert(document: ParsedDocument) -> Alert:
    assert document.ok, document.error
    assert document.kind == "alert"
    assert len(document.alerts) == 1
    return document.alerts[0]


def _warning_codes(document: ParsedDocument) -> list[str]:
    return [warning.code for warning in document.warnings]


def test_full_cap12_fixture_reads_every_element() -> None:
    document = parse_document(fixture_bytes(FULL))
    alert = _only_alert(document)
    assert document.warnings == ()
    assert alert.cap_version == "1.2"
    assert alert.key == (
        "w-nws.webmaster@noaa.gov",
        "KSTO-2026-0001",
        datetime(2026, 11, 23, 1, 2, 3, tzinfo=timezone(timedelta(hours=9))),
    )
    assert (alert.status, alert.msg_type, alert.scope) == ("Actual", "Update", "Public")
    assert alert.codes == ("IPAWSv1.0",)
    assert [r.identifier for r in alert.references] == ["KSTO-2026-0000", "X-1"]
    assert alert.references[1].sent == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    english, spanish = alert.infos
    assert english.categories == ("Met", "Safety")
    assert english.response_types == ("Evacuate", "AllClear")
    assert english.event_codes == (NamedValue("SAME", "FFW"),)
    assert english.parameters == (NamedValue("VTEC", ""),)
    assert english.expires == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    resource = english.resources[0]
    assert (resource.mime_type, resource.size, resource.has_deref) == ("image/png", 1024, False)
    area = english.areas[0]
    assert len(area.polygons[0].points) == 5
    assert area.circles == (Circle(center=Point(32.9525, -115.5527), radius_km=10.5),)
    assert area.geocodes == (NamedValue("FIPS6", "006109"),)
    assert (area.altitude, area.ceiling) == (100.0, 2000.5)
    assert spanish.language == "es-US"
    assert spanish.event == "Aviso de inundación repentina"


def test_cap11_alert_without_info_is_accepted() -> None:
    alert = _only_alert(parse_document(fixture_bytes("alert_1_1_minimal.xml")))
    assert (alert.cap_version, alert.status, alert.infos) == ("1.1", "Test", ())


def test_cap10_incident_namespace_is_mapped_to_the_one_model() -> None:
    document = parse_document(fixture_bytes("alert_1_0_legacy.xml"))
    alert = _only_alert(document)
    assert alert.cap_version == "1.0"
    info = alert.infos[0]
    assert info.language == "en-US"  # CAP's default when <language> is absent
    assert info.certainty == "Likely"  # deprecated "Very Likely"
    assert info.event_codes == (NamedValue("same", "EQW"),)
    assert info.parameters == (NamedValue("Magnitude", "3.4 Ml"),)
    assert info.areas[0].geocodes == (NamedValue("fips6", "006025"),)
    assert info.areas[0].circles[0].radius_km == 0.0
    assert set(_warning_codes(document)) == {
        errors.WARN_CAP10_PASSWORD,
        errors.WARN_DEPRECATED_VALUE,
    }


def test_cap10_oasis_namespace_is_recognised() -> None:
    alert = _only_alert(parse_document(fixture_bytes("alert_1_0_oasis_ns.xml")))
    assert (alert.cap_version, alert.status) == ("1.0", "Exercise")


def test_prefixed_document_with_signature_is_read() -> None:
    document = parse_document(fixture_bytes("alert_prefixed.xml"))
    alert = _only_alert(document)
    assert alert.identifier == "prefixed-1"
    assert alert.sent.utcoffset() == timedelta(0)  # "-00:00" is CAP's UTC
    assert alert.infos[0].event == "Thunderstorm"
    assert document.warnings == ()  # ds:Signature is an allowed extension


def test_iso_8859_1_prolog_encoding_is_honoured() -> None:
    alert = _only_alert(parse_document(fixture_bytes("alert_iso_8859_1.xml")))
    assert alert.infos[0].event == "Séisme"


def test_wrong_cap_namespace_is_refused() -> None:
    document = parse_document(fixture_bytes("alert_wrong_namespace.xml"))
    assert document.error is not None
    assert document.error.code == errors.CAP_UNKNOWN_NAMESPACE
    assert "urn:oasis:names:tc:emergency:alerts:1.2" in document.error.message


def test_unknown_root_is_refused() -> None:
    document = parse_document(fixture_bytes("unknown_root.xml"))
    assert document.error is not None
    assert document.error.code == errors.INPUT_UNKNOWN_FORMAT
    assert "html" in document.error.message


# Every rule that refuses an alert under the strict policy: (old text, new text, the strict
# error code, a fragment its message or location must contain, and what the real-world
# policy does: REFUSED, or the warning code under which the alert is kept).
REFUSED = None
REFUSALS = [
    ("<scope>Public</scope>", "", errors.CAP_MISSING_ELEMENT, "/alert/scope", REFUSED),
    (
        "<identifier>KSTO-2026-0001</identifier>",
        "<identifier> </identifier>",
        errors.CAP_MISSING_ELEMENT,
        "is empty",
        REFUSED,
    ),
    (
        "<sender>w-nws.webmaster@noaa.gov</sender>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "/alert/sender",
        REFUSED,
    ),
    (
        "<sent>2026-11-23T01:02:03+09:00</sent>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "/alert/sent",
        REFUSED,
    ),
    ("<status>Actual</status>", "", errors.CAP_MISSING_ELEMENT, "/alert/status", REFUSED),
    ("<msgType>Update</msgType>", "", errors.CAP_MISSING_ELEMENT, "/alert/msgType", REFUSED),
    (
        "<event>Flash Flood Warning</event>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "/alert/info[1]/event",
        errors.WARN_MISSING_REQUIRED,
    ),
    (
        "<urgency>Immediate</urgency>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "urgency",
        errors.WARN_MISSING_ENUM,
    ),
    (
        "<severity>Severe</severity>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "severity",
        errors.WARN_MISSING_ENUM,
    ),
    (
        "<certainty>Observed</certainty>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "certainty",
        errors.WARN_MISSING_ENUM,
    ),
    (
        "<areaDesc>Valley County</areaDesc>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "areaDesc",
        errors.WARN_MISSING_REQUIRED,
    ),
    (
        "<resourceDesc>map</resourceDesc>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "resourceDesc",
        errors.WARN_MISSING_REQUIRED,
    ),
    (
        "<valueName>SAME</valueName>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "valueName",
        errors.WARN_MISSING_REQUIRED,
    ),
    (
        "<altitude>100</altitude>",
        "",
        errors.CAP_MISSING_ELEMENT,
        "ceiling",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<status>Actual</status>",
        "<status>Real</status>",
        errors.CAP_INVALID_ENUM,
        "'Real'",
        REFUSED,
    ),
    (
        "<msgType>Update</msgType>",
        "<msgType>Upd</msgType>",
        errors.CAP_INVALID_ENUM,
        "'Upd'",
        REFUSED,
    ),
    (
        "<scope>Public</scope>",
        "<scope>public</scope>",
        errors.CAP_INVALID_ENUM,
        "'public'",
        REFUSED,
    ),
    (
        "<category>Safety</category>",
        "<category>Weather</category>",
        errors.CAP_INVALID_ENUM,
        "'Weather'",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<category>Safety</category>",
        "<category>safety</category>",
        errors.CAP_INVALID_ENUM,
        "'safety'",
        errors.WARN_ENUM_CASE,
    ),
    (
        "<responseType>Evacuate</responseType>",
        "<responseType>Run</responseType>",
        errors.CAP_INVALID_ENUM,
        "'Run'",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<severity>Severe</severity>",
        "<severity>Bad</severity>",
        errors.CAP_INVALID_ENUM,
        "'Bad'",
        errors.WARN_UNKNOWN_ENUM,
    ),
    (
        "<severity>Severe</severity>",
        "<severity>severe</severity>",
        errors.CAP_INVALID_ENUM,
        "'severe'",
        errors.WARN_ENUM_CASE,
    ),
    (
        "<certainty>Observed</certainty>",
        "<certainty>Sure</certainty>",
        errors.CAP_INVALID_ENUM,
        "'Sure'",
        errors.WARN_UNKNOWN_ENUM,
    ),
    (
        "<sent>2026-11-23T01:02:03+09:00</sent>",
        "<sent>2026-11-23T01:02:03</sent>",
        errors.CAP_INVALID_DATETIME,
        "'2026-11-23T01:02:03'",
        REFUSED,
    ),
    (
        "<sent>2026-11-23T01:02:03+09:00</sent>",
        "<sent>2026-11-23 01:02:03+09:00</sent>",
        errors.CAP_INVALID_DATETIME,
        "2026-11-23 01:02:03",
        REFUSED,
    ),
    (
        "<sent>2026-11-23T01:02:03+09:00</sent>",
        "<sent>2026-02-30T01:02:03+09:00</sent>",
        errors.CAP_INVALID_DATETIME,
        "not a real date-time",
        REFUSED,
    ),
    (
        "<expires>2026-11-23T07:00:00+09:00</expires>",
        "<expires>tomorrow</expires>",
        errors.CAP_INVALID_DATETIME,
        "/alert/info[1]/expires",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<onset>2026-11-23T01:30:00+09:00</onset>",
        "<onset>2026-11-23T01:30:00+15:00</onset>",
        errors.CAP_INVALID_DATETIME,
        "impossible zone",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<references>w-nws.webmaster@noaa.gov,KSTO-2026-0000,2026-11-23T00:02:03+09:00",
        "<references>w-nws.webmaster@noaa.gov,KSTO-2026-0000",
        errors.CAP_INVALID_REFERENCE,
        "w-nws.webmaster@noaa.gov,KSTO-2026-0000",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "other@example.org,X-1,2026-11-22T10:00:00-00:00",
        "other@example.org,X-1,yesterday",
        errors.CAP_INVALID_REFERENCE,
        "yesterday",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "other@example.org,X-1,",
        "other@example.org,,",
        errors.CAP_INVALID_REFERENCE,
        "triple",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "38.62,-119.89 38.47,-120.14</polygon>",
        "38.62,-119.89</polygon>",
        errors.CAP_INVALID_POLYGON,
        "not closed",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        POLYGON,
        "<polygon>38.47,-120.14 38.34,-119.95 38.47,-120.14</polygon>",
        errors.CAP_INVALID_POLYGON,
        "3 points",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<polygon>38.47,-120.14 ",
        "<polygon>38.47;-120.14 ",
        errors.CAP_INVALID_POLYGON,
        "38.47;-120.14",
        errors.WARN_STRAY_CHARACTERS,
    ),
    (
        POLYGON,
        "<polygon>POLYGON((-120.14 38.47, -119.95 38.34, -119.74 38.52, -120.14 38.47))</polygon>",
        errors.CAP_INVALID_POLYGON,
        "characters other than numbers",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<polygon>38.47,-120.14 38.34,-119.95",
        "<polygon>38.47,-120.14 38.34",
        errors.CAP_INVALID_POLYGON,
        "odd count",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<polygon>38.47,-120.14 ",
        "<polygon>98.47,-120.14 ",
        errors.CAP_INVALID_COORDINATE,
        "latitude 98.47",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "38.62,-119.89 38.47,-120.14</polygon>",
        "38.62,-119.89 38.47,-190.14</polygon>",
        errors.CAP_INVALID_COORDINATE,
        "longitude -190.14",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        POLYGON,
        ANTIMERIDIAN_POLYGON,
        errors.CAP_INVALID_COORDINATE,
        "longitude -180.005",
        errors.WARN_COORDINATE_RANGE,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>32.9525,-115.5527</circle>",
        errors.CAP_INVALID_CIRCLE,
        "lat,lon radius",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>32.9525,-115.5527 -1</circle>",
        errors.CAP_INVALID_CIRCLE,
        "'-1'",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>32.9525,-115.5527 far</circle>",
        errors.CAP_INVALID_CIRCLE,
        "'far'",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>32.9525 10.5</circle>",
        errors.CAP_INVALID_CIRCLE,
        "lat,lon pair",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>32.9525,north 10.5</circle>",
        errors.CAP_INVALID_COORDINATE,
        "not a number",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>-91,0 10.5</circle>",
        errors.CAP_INVALID_COORDINATE,
        "latitude -91",
        errors.WARN_GEOMETRY_DROPPED,
    ),
    (
        "<circle>32.9525,-115.5527 10.5</circle>",
        "<circle>90.004,0 10.5</circle>",
        errors.CAP_INVALID_COORDINATE,
        "latitude 90.004",
        errors.WARN_COORDINATE_RANGE,
    ),
    (
        "<altitude>100</altitude>",
        "<altitude>high</altitude>",
        errors.CAP_INVALID_NUMBER,
        "'high'",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<ceiling>2000.5</ceiling>",
        "<ceiling>inf</ceiling>",
        errors.CAP_INVALID_NUMBER,
        "'inf'",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        "<size>1024</size>",
        "<size>1 KB</size>",
        errors.CAP_INVALID_NUMBER,
        "'1 KB'",
        errors.WARN_VALUE_DROPPED,
    ),
    (
        EVENT_CODE,
        "<eventCode>SAME=FFW</eventCode>",
        errors.CAP_MISSING_ELEMENT,
        "valueName",
        errors.WARN_MISSING_REQUIRED,
    ),
]


@pytest.mark.parametrize(("old", "new", "code", "fragment", "real_world"), REFUSALS)
def test_strict_policy_refuses_every_rule_violation(
    old: str, new: str, code: str, fragment: str, real_world: str | None
) -> None:
    document = parse_document(replace_once(fixture_text(FULL), old, new), policy="strict")
    assert not document.ok
    assert document.error is not None
    assert document.error.code == code, document.error
    assert fragment in f"{document.error.message} {document.error.location}", document.error


@pytest.mark.parametrize(("old", "new", "code", "fragment", "real_world"), REFUSALS)
def test_real_world_policy_refuses_only_what_has_no_safe_reading(
    old: str, new: str, code: str, fragment: str, real_world: str | None
) -> None:
    document = parse_document(replace_once(fixture_text(FULL), old, new))
    if real_world is REFUSED:
        assert document.error is not None and document.error.code == code, document.error
        return
    _only_alert(document)
    tolerated = [w for w in document.warnings if w.code == real_world]
    assert tolerated, document.warnings
    # The warning names the defect as strict would (value, location) and what was done.
    assert any(fragment in f"{w.message} {w.location}" for w in tolerated), tolerated
    assert all(";" in w.message and w.location for w in tolerated), tolerated


# (old text, new text, warning code) — the alert is kept.
WARNINGS = [
    (
        "<sent>2026-11-23T01:02:03+09:00</sent>",
        "<sent>2026-11-22T16:02:03Z</sent>",
        errors.WARN_DATETIME_UTC_Z,
    ),
    (
        "other@example.org,X-1,2026-11-22T10:00:00-00:00",
        "other@example.org,X-1,2026-11-22T10:00:00Z",
        errors.WARN_DATETIME_UTC_Z,
    ),
    (
        "<certainty>Observed</certainty>",
        "<certainty>Very Likely</certainty>",
        errors.WARN_DEPRECATED_VALUE,
    ),
    (
        "<references>w-nws.webmaster@noaa.gov,KSTO-2026-0000,2026-11-23T00:02:03+09:00 "
        "other@example.org,X-1,2026-11-22T10:00:00-00:00</references>",
        "<references/>",
        errors.WARN_EMPTY_ELEMENT,
    ),
    (
        POLYGON,
        "<polygon> </polygon>",
        errors.WARN_EMPTY_POLYGON,
    ),
    ("<circle>32.9525,-115.5527 10.5</circle>", "<circle/>", errors.WARN_EMPTY_POLYGON),
    (
        "<polygon>38.47,-120.14 38.34,-119.95",
        "<polygon>38.47, -120.14 38.34,- 119.95,",
        errors.WARN_COORDINATE_FORMAT,
    ),
    ("<note>", "<colour>red</colour><note>", errors.WARN_UNKNOWN_ELEMENT),
    ("<language>en-US</language>", "<language>en_US</language>", errors.WARN_INVALID_LANGUAGE),
    (
        "<identifier>KSTO-2026-0001</identifier>",
        "<identifier>KSTO 2026</identifier>",
        errors.WARN_IDENTIFIER_CHARACTERS,
    ),
    ("<category>Met</category>\n    <category>Safety</category>", "", errors.WARN_MISSING_CATEGORY),
    ("<urgency>Immediate</urgency>", "<urgency></urgency>", errors.WARN_EMPTY_ENUM),
    (
        "<parameter>\n      <valueName>VTEC</valueName>\n      <value></value>\n    </parameter>",
        "<parameter/>",
        errors.WARN_EMPTY_ELEMENT,
    ),
]


@pytest.mark.parametrize("policy", ["real-world", "strict"])
@pytest.mark.parametrize(("old", "new", "code"), WARNINGS)
def test_profile_oddity_keeps_the_alert_with_a_warning(
    old: str, new: str, code: str, policy: str
) -> None:
    document = parse_document(replace_once(fixture_text(FULL), old, new), policy=policy)
    _only_alert(document)
    assert code in _warning_codes(document), document.warnings
    assert all(warning.location for warning in document.warnings)


def test_z_datetime_is_read_as_utc() -> None:
    document = parse_document(
        replace_once(
            fixture_text(FULL), "2026-11-23T01:02:03+09:00</sent>", "2026-11-22T16:02:03Z</sent>"
        )
    )
    assert _only_alert(document).sent == datetime(2026, 11, 22, 16, 2, 3, tzinfo=UTC)


def test_empty_enum_reads_as_unknown() -> None:
    document = parse_document(
        replace_once(fixture_text(FULL), "<severity>Severe</severity>", "<severity/>")
    )
    assert _only_alert(document).infos[0].severity == "Unknown"


def test_untidy_polygon_is_read_number_by_number() -> None:
    document = parse_document(
        replace_once(
            fixture_text(FULL),
            "<polygon>38.47,-120.14 38.34,-119.95",
            "<polygon>38.47, -120.14 38.34,- 119.95",
        )
    )
    polygon = _only_alert(document).infos[0].areas[0].polygons[0]
    assert polygon.points[:2] == (Point(38.47, -120.14), Point(38.34, -119.95))


def test_empty_polygon_is_dropped_not_kept() -> None:
    document = parse_document(
        replace_once(
            fixture_text(FULL),
            POLYGON,
            "<polygon/>",
        )
    )
    assert _only_alert(document).infos[0].areas[0].polygons == ()


def test_cap10_bare_identifier_reference_is_reported_not_kept() -> None:
    text = fixture_text("alert_1_0_legacy.xml").replace(
        "<scope>Public</scope>", "<scope>Public</scope><references>TRI-fixture.0</references>"
    )
    document = parse_document(text.encode())
    assert _only_alert(document).references == ()
    assert any("TRI-fixture.0" in w.message for w in document.warnings)


def test_bare_identifier_reference_is_refused_in_cap12_under_strict_and_dropped_otherwise() -> None:
    data = replace_once(
        fixture_text(FULL),
        "w-nws.webmaster@noaa.gov,KSTO-2026-0000,2026-11-23T00:02:03+09:00 ",
        "KSTO-2026-0000 ",
    )
    document = parse_document(data, policy="strict")
    assert document.error is not None and document.error.code == errors.CAP_INVALID_REFERENCE
    alert = _only_alert(parse_document(data))
    assert [r.identifier for r in alert.references] == ["X-1"]


def test_every_alert_level_error_code_is_exercised() -> None:
    exercised = {code for _, _, code, _, _ in REFUSALS}
    alert_codes = {code for code in errors.ERROR_CODES if code.startswith("cap.")}
    assert alert_codes - {errors.CAP_UNKNOWN_NAMESPACE} <= exercised


def test_every_warning_code_is_exercised() -> None:
    tolerated = {warning for *_, warning in REFUSALS if warning is not REFUSED}
    assert tolerated == errors.TOLERATED_CODES
    exercised = {code for _, _, code in WARNINGS} | {errors.WARN_CAP10_PASSWORD}
    assert exercised | tolerated == errors.WARNING_CODES


def test_identical_areas_in_several_infos_are_read_once_and_shared() -> None:
    area = "<area><areaDesc>Valley County</areaDesc><polygon/></area>"
    info = (
        "<info><language>{lang}</language><category>Met</category><event>Flood</event>"
        "<urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>"
        f"{area}</info>"
    )
    data = (
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>multi</identifier>'
        "<sender>s@example.org</sender><sent>2026-11-23T01:02:03+00:00</sent>"
        "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>"
        + info.format(lang="en-US")
        + info.format(lang="de-DE")
        + "</alert>"
    )
    document = parse_document(data.encode())
    english, german = _only_alert(document).infos
    assert english.areas[0] is german.areas[0]
    assert english.areas[0].area_desc == "Valley County"
    # The empty polygon is reported once, at its first occurrence.
    empty = [w for w in document.warnings if w.code == errors.WARN_EMPTY_POLYGON]
    assert [w.location for w in empty] == ["/alert/info[1]/area[1]/polygon[1]"]
