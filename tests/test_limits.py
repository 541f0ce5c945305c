"""Every limit that protects the service, fed its limit + 1.

The table in docs/operations.md ("Limits") is the list: each row names the setting, its
default and the test that feeds one more than the limit. This module checks the table
against the settings, checks that every named test exists, and holds the tests of the
limits no other module covers. Each parse limit is set to what a document measures
(accepted) and to one less, which makes the same document the limit + 1 (refused).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from lxml import etree

from cap import errors
from cap.document import parse_document
from daemon.runtime.settings import Settings, SettingsError
from daemon.service.publishing import DLQ_MAX_VALUE_BYTES
from pipeline.interface import RenderRequest
from tests.cap.cap_fixtures import fixture_bytes
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import consume_messages, produce_messages
from tests.support.service_harness import read_records, running_service, service_settings

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = ROOT / "docs" / "operations.md"
# Limits that are constants, not settings: the table's "fixed" rows, by their name there.
FIXED = {"bytes of a dead letter's value": DLQ_MAX_VALUE_BYTES}


@dataclass(frozen=True)
class LimitRow:
    name: str
    setting: str  # CINEALERT_... or "fixed"
    default: float
    test: str  # path::function


def _limit_rows() -> list[LimitRow]:
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("limit", "---"):
            continue
        name, setting, default, _, test = cells
        number = re.match(r"`([\d.]+)`", default)
        assert number is not None, f"default of {name!r} is not a number in backticks"
        rows.append(LimitRow(name, setting.strip("`"), float(number.group(1)), test.strip("`")))
    return rows


def test_the_limits_table_matches_the_settings() -> None:
    rows = _limit_rows()
    defaults = {f.name: f.default for f in fields(Settings)}
    documented = set()
    for row in rows:
        if row.setting == "fixed":
            assert row.default == FIXED[row.name], row.name
            continue
        assert row.setting.startswith("CINEALERT_"), row.setting
        field = row.setting.removeprefix("CINEALERT_").lower()
        assert field in defaults, f"{row.setting} is not a setting"
        assert row.default == defaults[field], f"{row.setting}: table says {row.default}"
        documented.add(field)
    # Every bounding setting is in the table (a new max_* must be listed).
    # (The mask coverage bounds shape the animation, docs/pipeline.md; they protect nothing.)
    bounding = {
        name
        for name in defaults
        if "max" in name and not name.startswith(("kafka_", "render_mask_"))
    }
    bounding |= {"render_deadline_s", "shutdown_grace_s"}
    assert bounding - documented == set(), "limits missing from docs/operations.md"


def test_every_test_the_limits_table_names_exists() -> None:
    for row in _limit_rows():
        path, _, function = row.test.partition("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"\bdef {re.escape(function)}\(", source), f"{row.name}: {row.test}"


# ---------------------------------------------------------------------------
# the parse limits, through the settings the daemon reads them from


def _depth(data: bytes) -> int:
    root = etree.fromstring(data)
    return max(sum(1 for _ in element.iterancestors()) + 1 for element in root.iter())


def _elements(data: bytes) -> int:
    return sum(1 for _ in etree.fromstring(data).iter(etree.Element))


def _with_polygon(points: int) -> bytes:
    # A closed ring of `points` points (the first repeated last) on a small circle.
    angles = [2 * math.pi * index / (points - 1) for index in range(points - 1)]
    ring = [f"{40 + 0.5 * math.sin(a):.5f},{-75 + 0.5 * math.cos(a):.5f}" for a in angles]
    polygon = " ".join([*ring, ring[0]])
    return cap_alert("poly-1").replace(
        b"<areaDesc>Test County</areaDesc>",
        f"<areaDesc>Test County</areaDesc><polygon>{polygon}</polygon>".encode(),
    )


@dataclass(frozen=True)
class ParseLimitCase:
    setting: str
    document: Callable[[], bytes]
    measure: Callable[[bytes], int]
    refusal: str


PARSE_LIMITS = [
    ParseLimitCase("cap_max_bytes", lambda: cap_alert("b-1"), len, errors.XML_TOO_LARGE),
    ParseLimitCase("cap_max_depth", lambda: cap_alert("d-1"), _depth, errors.XML_TOO_DEEP),
    ParseLimitCase(
        "cap_max_elements", lambda: cap_alert("e-1"), _elements, errors.XML_TOO_MANY_ELEMENTS
    ),
    ParseLimitCase(
        "cap_max_alerts",
        lambda: fixture_bytes("edxl_de_1_0.xml"),
        lambda data: len(parse_document(data).alerts),
        errors.CONTAINER_TOO_MANY_ALERTS,
    ),
]


@pytest.mark.parametrize("case", PARSE_LIMITS, ids=lambda case: case.setting)
def test_each_parse_limit_holds_at_the_limit_and_refuses_one_more(case: ParseLimitCase) -> None:
    data = case.document()
    size = case.measure(data)
    assert size >= 1
    at_limit = parse_document(data, Settings(**{case.setting: size}).parse_limits)
    assert at_limit.error is None and at_limit.alerts, case.setting
    one_over = parse_document(data, Settings(**{case.setting: size - 1}).parse_limits)
    assert one_over.error is not None and one_over.error.code == case.refusal
    assert str(size - 1) in one_over.error.message  # names the limit it hit


def test_a_polygon_over_the_point_limit_is_dropped_and_the_alert_kept() -> None:
    data = _with_polygon(points=6)
    at_limit = parse_document(data, Settings(cap_max_polygon_points=6).parse_limits)
    assert [len(p.points) for p in at_limit.alerts[0].infos[0].areas[0].polygons] == [6]
    one_over = parse_document(data, Settings(cap_max_polygon_points=5).parse_limits)
    (alert,) = one_over.alerts
    area = alert.infos[0].areas[0]
    assert area.polygons == () and area.area_desc == "Test County"
    dropped = [w for w in one_over.warnings if w.code == errors.WARN_GEOMETRY_DROPPED]
    assert len(dropped) == 1 and "6 points, more than the limit of 5" in dropped[0].message
    strict = parse_document(data, Settings(cap_max_polygon_points=5).parse_limits, "strict")
    assert strict.error is not None and strict.error.code == errors.CAP_INVALID_POLYGON


def test_the_default_polygon_limit_keeps_the_largest_real_polygons() -> None:
    """A real NWS alert carries a 34,066-point polygon; the default must keep it."""
    points = 34_066
    data = _with_polygon(points)
    (alert,) = parse_document(data, Settings().parse_limits).alerts
    assert len(alert.infos[0].areas[0].polygons[0].points) == points


@pytest.mark.parametrize(
    "setting", [*(case.setting for case in PARSE_LIMITS), "cap_max_polygon_points"]
)
def test_a_limit_below_one_is_refused_at_start(setting: str) -> None:
    with pytest.raises(SettingsError, match=setting.upper()):
        Settings(**{setting: 0})


# ---------------------------------------------------------------------------
# the limits in the running service (real broker, real service; fake renderer)


def _headers(message: object) -> dict[str, str]:
    return {key: value.decode() for key, value in getattr(message, "headers", ())}


async def test_an_input_one_byte_over_the_limit_is_dead_lettered(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    fits = cap_alert("fits-1")
    over = cap_alert("over-1") + b" " * (len(fits) - len(cap_alert("over-1")) + 1)
    assert len(over) == len(fits) + 1
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, cap_max_bytes=len(fits))
    async with running_service(settings, FakeRenderer()):
        await produce_messages(kafka_bootstrap, topic_names.input, [over, fits])
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
        (dead,) = await consume_messages(kafka_bootstrap, topic_names.dlq, 1)
    assert record["alert"]["identifier"] == "fits-1"
    headers = _headers(dead)
    assert headers["cinealert-error-code"] == errors.XML_TOO_LARGE
    assert headers["cinealert-source-offset"] == "0"
    assert dead.value == over


async def test_an_alert_with_a_polygon_over_the_limit_is_still_answered(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path, cap_max_polygon_points=5)
    async with running_service(settings, FakeRenderer()):
        await produce_messages(kafka_bootstrap, topic_names.input, [_with_polygon(points=6)])
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
    assert record["alert"]["identifier"] == "poly-1"
    assert record["status"] == "rendered"
    assert record["alert"]["areaDesc"] == "Test County"


async def test_media_one_byte_over_the_limit_is_not_stored(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    # The fake renderer's files depend on the hazard and the seed only: measure the ones
    # the service's first flood render (seed 0) will make.
    sample = FakeRenderer().render(RenderRequest(hazard="flood", seed=0))
    largest = max(len(file.data) for file in (*sample.media, sample.poster))
    media_dir = tmp_path / "media"
    settings = service_settings(
        kafka_bootstrap, topic_names, media_dir, media_max_bytes=largest - 1
    )
    async with running_service(settings, FakeRenderer()):
        await produce_messages(kafka_bootstrap, topic_names.input, [cap_alert("big-1", "flood")])
        (record,) = await read_records(kafka_bootstrap, topic_names.output, 1)
    assert record["status"] == "failed"
    assert record["reason"] == "media-too-large"
    stored = [path for path in media_dir.rglob("*") if path.is_file()] if media_dir.exists() else []
    assert stored == []
