"""The parse policies: what the real-world policy reads for each defect it tolerates.

``test_alert_rules`` checks, rule by rule, that the strict policy refuses and that the
real-world policy either refuses too or keeps the alert with the named warning. This file
checks *what was read* in each tolerated case, and the policy plumbing itself.
"""

from __future__ import annotations

import pytest

from cap import errors
from cap.classify import classify_alert
from cap.document import parse_document
from cap.model import Alert, Circle, NamedValue, ParsedDocument, Point
from cap.policy import COORDINATE_TOLERANCE_DEG, ParsePolicy
from tests.cap.cap_fixtures import fixture_bytes, fixture_text, replace_once

FULL = "alert_1_2_full.xml"
POLYGON = "<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>"
CIRCLE = "<circle>32.9525,-115.5527 10.5</circle>"


def _variant(old: str, new: str) -> bytes:
    return replace_once(fixture_text(FULL), old, new)


def _kept(data: bytes) -> tuple[Alert, ParsedDocument]:
    document = parse_document(data)
    assert document.ok, document.error
    (alert,) = document.alerts
    return alert, document


def _codes(document: ParsedDocument) -> list[str]:
    return [warning.code for warning in document.warnings]


def _refused_under_strict(data: bytes, code: str) -> None:
    document = parse_document(data, policy=ParsePolicy.STRICT)
    assert document.error is not None and document.error.code == code, document.error


# --- the policy switch ------------------------------------------------------------------


def test_real_world_is_the_default_and_strict_is_available_by_name_or_value() -> None:
    data = _variant("<certainty>Observed</certainty>", "")
    assert parse_document(data).ok
    assert parse_document(data, policy="real-world").ok
    assert not parse_document(data, policy="strict").ok
    assert not parse_document(data, None, ParsePolicy.STRICT).ok


def test_unknown_policy_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="lenient"):
        parse_document(fixture_bytes(FULL), policy="lenient")


def test_clean_alert_is_read_identically_under_both_policies() -> None:
    strict = parse_document(fixture_bytes(FULL), policy="strict")
    real_world = parse_document(fixture_bytes(FULL))
    assert strict == real_world
    assert real_world.warnings == ()


def test_alert_carries_its_own_warnings_and_the_document_all_of_them() -> None:
    alert, document = _kept(
        _variant("<certainty>Observed</certainty>", "").replace(b"Severe<", b"Bad<", 1)
    )
    assert alert.warnings == document.warnings
    assert [w.code for w in alert.warnings] == [
        errors.WARN_UNKNOWN_ENUM,
        errors.WARN_MISSING_ENUM,
    ]
    for warning in alert.warnings:
        assert warning.location is not None and warning.location.startswith("/alert/info[1]/")


# --- identity and routing: refused under every policy ------------------------------------


@pytest.mark.parametrize("policy", list(ParsePolicy))
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<identifier>KSTO-2026-0001</identifier>", ""),
        ("<sender>w-nws.webmaster@noaa.gov</sender>", "<sender/>"),
        ("<sent>2026-11-23T01:02:03+09:00</sent>", "<sent>2026-11-23T01:02:03</sent>"),
        ("<status>Actual</status>", "<status>actual</status>"),
        ("<msgType>Update</msgType>", ""),
        ("<scope>Public</scope>", "<scope>Everyone</scope>"),
    ],
)
def test_identity_and_routing_defects_refuse_under_every_policy(
    old: str, new: str, policy: ParsePolicy
) -> None:
    document = parse_document(_variant(old, new), policy=policy)
    assert document.error is not None
    assert document.error.code in (
        errors.CAP_MISSING_ELEMENT,
        errors.CAP_INVALID_ENUM,
        errors.CAP_INVALID_DATETIME,
    )


@pytest.mark.parametrize("policy", list(ParsePolicy))
def test_hostile_and_non_cap_input_is_refused_under_every_policy(policy: ParsePolicy) -> None:
    for name, code in [
        ("billion_laughs.xml", errors.XML_ENTITY_FORBIDDEN),
        ("unknown_root.xml", errors.INPUT_UNKNOWN_FORMAT),
        ("alert_wrong_namespace.xml", errors.CAP_UNKNOWN_NAMESPACE),
    ]:
        document = parse_document(fixture_bytes(name), policy=policy)
        assert document.error is not None and document.error.code == code, name


# --- info enumerations -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["urgency", "severity", "certainty"])
def test_missing_info_enum_reads_as_unknown(name: str) -> None:
    element = {"urgency": "Immediate", "severity": "Severe", "certainty": "Observed"}[name]
    data = _variant(f"<{name}>{element}</{name}>", "")
    alert, document = _kept(data)
    assert getattr(alert.infos[0], name) == "Unknown"
    (warning,) = document.warnings
    assert warning.code == errors.WARN_MISSING_ENUM
    assert warning.message == f"required <{name}> is missing; read as 'Unknown'"
    assert warning.location == f"/alert/info[1]/{name}"
    _refused_under_strict(data, errors.CAP_MISSING_ELEMENT)


def test_unknown_info_enum_reads_as_unknown_and_wrong_case_as_cap_spells_it() -> None:
    alert, document = _kept(
        _variant("<severity>Severe</severity>", "<severity>Catastrophic</severity>").replace(
            b"<urgency>Immediate<", b"<urgency>IMMEDIATE<", 1
        )
    )
    info = alert.infos[0]
    assert (info.urgency, info.severity) == ("Immediate", "Unknown")
    assert _codes(document) == [errors.WARN_ENUM_CASE, errors.WARN_UNKNOWN_ENUM]
    assert "read as 'Immediate'" in document.warnings[0].message


def test_unknown_category_and_response_type_are_dropped_the_rest_kept() -> None:
    alert, document = _kept(
        _variant("<category>Safety</category>", "<category>Weather</category>").replace(
            b"<responseType>Evacuate<", b"<responseType>Run<", 1
        )
    )
    assert alert.infos[0].categories == ("Met",)
    assert alert.infos[0].response_types == ("AllClear",)
    assert _codes(document) == [errors.WARN_VALUE_DROPPED, errors.WARN_VALUE_DROPPED]
    assert errors.WARN_MISSING_CATEGORY not in _codes(document)


def test_info_whose_only_category_is_unknown_has_none() -> None:
    data = _variant(
        "<category>Met</category>\n    <category>Safety</category>", "<category>Wx</category>"
    )
    alert, document = _kept(data)
    assert alert.infos[0].categories == ()
    assert _codes(document) == [errors.WARN_VALUE_DROPPED]


# --- required text that is not identity ---------------------------------------------------


def test_missing_event_reads_as_empty_and_the_hazard_still_comes_from_the_event_code() -> None:
    alert, document = _kept(_variant("<event>Flash Flood Warning</event>", ""))
    assert alert.infos[0].event == ""
    assert classify_alert(alert).hazard == "flood"  # eventCode SAME FFW
    assert _codes(document) == [errors.WARN_MISSING_REQUIRED]


def test_missing_area_desc_keeps_the_area_and_its_shapes() -> None:
    alert, document = _kept(_variant("<areaDesc>Valley County</areaDesc>", ""))
    area = alert.infos[0].areas[0]
    assert area.area_desc == ""
    assert len(area.polygons) == 1 and len(area.circles) == 1
    assert area.geocodes == (NamedValue("FIPS6", "006109"),)
    assert _codes(document) == [errors.WARN_MISSING_REQUIRED]


def test_missing_resource_desc_keeps_the_resource() -> None:
    alert, _ = _kept(_variant("<resourceDesc>map</resourceDesc>", ""))
    resource = alert.infos[0].resources[0]
    assert (resource.resource_desc, resource.uri) == ("", "https://example.org/map.png")


def test_event_code_without_value_name_keeps_its_value() -> None:
    alert, document = _kept(_variant("<valueName>SAME</valueName>", ""))
    assert alert.infos[0].event_codes == (NamedValue("", "FFW"),)
    assert "kept with an empty valueName" in document.warnings[0].message


@pytest.mark.parametrize(
    ("text", "pair"),
    [("SAME=FFW", NamedValue("SAME", "FFW")), ("FFW", NamedValue("", "FFW"))],
)
def test_event_code_written_as_text_in_cap12_is_read_as_cap10_would(
    text: str, pair: NamedValue
) -> None:
    old = (
        "<eventCode>\n      <valueName>SAME</valueName>\n      <value>FFW</value>\n    </eventCode>"
    )
    alert, document = _kept(_variant(old, f"<eventCode>{text}</eventCode>"))
    assert alert.infos[0].event_codes == (pair,)
    assert _codes(document) == [errors.WARN_MISSING_REQUIRED]
    assert classify_alert(alert).hazard == "flood"


# --- optional values ---------------------------------------------------------------------


def test_unreadable_expires_reads_as_absent() -> None:
    alert, document = _kept(
        _variant(
            "<expires>2026-11-23T07:00:00+09:00</expires>",
            "<expires>2026-11-23 07:00</expires>",
        )
    )
    assert alert.infos[0].expires is None
    (warning,) = document.warnings
    assert warning.code == errors.WARN_VALUE_DROPPED
    assert "'2026-11-23 07:00'" in warning.message and "read as absent" in warning.message


def test_malformed_reference_is_dropped_and_the_good_one_kept() -> None:
    alert, document = _kept(
        _variant("other@example.org,X-1,2026-11-22T10:00:00-00:00", "other@example.org,X-1")
    )
    assert [r.identifier for r in alert.references] == ["KSTO-2026-0000"]
    assert _codes(document) == [errors.WARN_VALUE_DROPPED]


def test_unreadable_size_is_dropped_and_the_resource_kept() -> None:
    alert, _ = _kept(_variant("<size>1024</size>", "<size>1 KB</size>"))
    resource = alert.infos[0].resources[0]
    assert (resource.size, resource.mime_type) == (None, "image/png")


def test_unreadable_altitude_drops_the_ceiling_that_needs_it() -> None:
    alert, document = _kept(_variant("<altitude>100</altitude>", "<altitude>high</altitude>"))
    area = alert.infos[0].areas[0]
    assert (area.altitude, area.ceiling) == (None, None)
    assert _codes(document) == [errors.WARN_VALUE_DROPPED, errors.WARN_VALUE_DROPPED]
    assert "ceiling dropped" in document.warnings[1].message


# --- geometry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "polygon",
    [
        "<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89</polygon>",
        "<polygon>38.47,-120.14 38.34,-119.95 38.47,-120.14</polygon>",
        "<polygon>38.47,-120.14 38.34,-119.95 38.52</polygon>",
        "<polygon>98.47,-120.14 38.34,-119.95 38.52,-119.74 98.47,-120.14</polygon>",
        "<polygon>POLYGON((-120.14 38.47, -119.95 38.34, -120.14 38.47))</polygon>",
        "<polygon>38.47,−120.14 38.34,−119.95 38.52,−119.74 38.47,−120.14</polygon>",
        "<polygon>1.2.3,4 5,6 7,8 1.2.3,4</polygon>",
    ],
    ids=["not-closed", "three-points", "odd-count", "latitude-98", "wkt", "unicode-minus", "dots"],
)
def test_broken_polygon_is_dropped_and_the_area_keeps_the_rest(polygon: str) -> None:
    alert, document = _kept(_variant(POLYGON, polygon))
    area = alert.infos[0].areas[0]
    assert area.polygons == ()
    assert area.area_desc == "Valley County"
    assert area.circles == (Circle(Point(32.9525, -115.5527), 10.5),)
    assert area.geocodes == (NamedValue("FIPS6", "006109"),)
    (warning,) = document.warnings  # no format warning for a polygon that was not kept
    assert warning.code == errors.WARN_GEOMETRY_DROPPED
    assert warning.location == "/alert/info[1]/area[1]/polygon[1]"
    assert "polygon dropped from its area" in warning.message


@pytest.mark.parametrize(
    "circle",
    ["<circle>32.9525,-115.5527</circle>", "<circle>32.9525,-115.5527 -1</circle>"],
)
def test_broken_circle_is_dropped_and_the_area_keeps_the_rest(circle: str) -> None:
    alert, document = _kept(_variant(CIRCLE, circle))
    area = alert.infos[0].areas[0]
    assert area.circles == () and len(area.polygons) == 1
    assert _codes(document) == [errors.WARN_GEOMETRY_DROPPED]


def test_coordinates_a_hair_outside_are_clamped_once_per_polygon() -> None:
    polygon = "<polygon>51.2,179.9 51.3,-180.005 90.004,-179.9 51.3,180.008 51.2,179.9</polygon>"
    data = _variant(POLYGON, polygon)
    alert, document = _kept(data)
    (kept,) = alert.infos[0].areas[0].polygons
    assert [(p.lat, p.lon) for p in kept.points] == [
        (51.2, 179.9),
        (51.3, -180.0),
        (90.0, -179.9),
        (51.3, 180.0),
        (51.2, 179.9),
    ]
    (warning,) = document.warnings
    assert warning.code == errors.WARN_COORDINATE_RANGE
    assert "longitude -180.005" in warning.message and "-180.0" in warning.message
    _refused_under_strict(data, errors.CAP_INVALID_COORDINATE)


def test_coordinate_past_the_tolerance_drops_the_polygon() -> None:
    beyond = 180 + COORDINATE_TOLERANCE_DEG * 2
    polygon = f"<polygon>51.2,179.9 51.3,-{beyond} 51.1,-179.9 51.2,179.9</polygon>"
    alert, document = _kept(_variant(POLYGON, polygon))
    assert alert.infos[0].areas[0].polygons == ()
    assert _codes(document) == [errors.WARN_GEOMETRY_DROPPED]


def test_circle_centre_a_hair_outside_is_clamped() -> None:
    alert, document = _kept(_variant(CIRCLE, "<circle>-90.003,-180.001 5</circle>"))
    assert alert.infos[0].areas[0].circles == (Circle(Point(-90.0, -180.0), 5.0),)
    assert _codes(document) == [errors.WARN_COORDINATE_RANGE]


@pytest.mark.parametrize(
    "polygon",
    [
        "38.47;-120.14 38.34;-119.95 38.52;-119.74 38.47;-120.14",
        "(38.47,-120.14) (38.34,-119.95) (38.52,-119.74) (38.47,-120.14)",
        '"38.47,-120.14 38.34,-119.95 38.52,-119.74 38.47,-120.14"',
        "[38.47,-120.14],[38.34,-119.95],[38.52,-119.74],[38.47,-120.14];",
    ],
)
def test_polygon_with_stray_separators_is_read_number_by_number(polygon: str) -> None:
    data = _variant(POLYGON, f"<polygon>{polygon}</polygon>")
    alert, document = _kept(data)
    (kept,) = alert.infos[0].areas[0].polygons
    assert kept.points[:2] == (Point(38.47, -120.14), Point(38.34, -119.95))
    assert _codes(document) == [errors.WARN_STRAY_CHARACTERS]
    assert "read as separators" in document.warnings[0].message
    _refused_under_strict(data, errors.CAP_INVALID_POLYGON)


# --- containers --------------------------------------------------------------------------


def test_container_keeps_a_tolerated_alert_and_still_rejects_one_without_identity() -> None:
    document = parse_document(fixture_bytes("alerts_list_mixed.xml").replace(b"Extreme", b"Big"))
    assert [a.identifier for a in document.alerts] == ["list-1", "list-4"]
    assert [(r.index, r.error.code) for r in document.rejected] == [
        (1, errors.CAP_MISSING_ELEMENT),
        (2, errors.CAP_UNKNOWN_NAMESPACE),
    ]
    assert _codes(document) == [errors.WARN_UNKNOWN_ENUM, errors.WARN_UNKNOWN_ENUM]
    strict = parse_document(
        fixture_bytes("alerts_list_mixed.xml").replace(b"Extreme", b"Big"), policy="strict"
    )
    assert strict.alerts == () and len(strict.rejected) == 4
