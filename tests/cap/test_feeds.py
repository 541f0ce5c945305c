"""Every real file in ``shared/feeds/`` is read as its authority meant it (real-world policy).

The files were recorded from national alerting authorities by another aggregator
(``shared/feeds/SOURCES.tsv``). Each CAP file must yield its alert, with exactly the
warnings listed here; an index feed must be recognised with its links; the aggregator's
feed list (JSON) is not CAP and is refused as such, but must list feeds. The strict policy
refuses the defects the real-world policy tolerates. Skipped when ``shared/`` is absent.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cap import errors
from cap.classify import classify_alert
from cap.document import parse_document
from cap.policy import ParsePolicy

NOT_FEEDS = frozenset({"README.md", "SOURCES.tsv"})
SWISS_WARNINGS = (
    (errors.WARN_MISSING_CATEGORY, "/alert/info[1]/category"),
    (errors.WARN_MISSING_ENUM, "/alert/info[1]/certainty"),
)


@dataclass(frozen=True)
class Expected:
    kind: str  # "alert", "index" or "feed-list"
    warnings: tuple[tuple[str, str], ...] = ()  # (code, location), in order
    hazard: str | None = None
    strict_error: tuple[str, str] | None = None  # (code, location) when strict refuses


EXPECTED: dict[str, Expected] = {
    # Swiss federal alerts (Alertswiss) carry no <certainty> and no <category>.
    "kde-fpas/alertswiss-POA-1216107687-4.xml": Expected(
        "alert",
        SWISS_WARNINGS,
        "none",
        (errors.CAP_MISSING_ELEMENT, "/alert/info[1]/certainty"),
    ),
    "kde-fpas/alertswiss-POA-1222963954-5.xml": Expected(
        "alert",
        SWISS_WARNINGS,
        "landslide",
        (errors.CAP_MISSING_ELEMENT, "/alert/info[1]/certainty"),
    ),
    "kde-fpas/alertswiss-TEST-1163.xml": Expected(
        "alert",
        SWISS_WARNINGS,
        "none",
        (errors.CAP_MISSING_ELEMENT, "/alert/info[1]/certainty"),
    ),
    "kde-fpas/au-bom-en.rss.xml": Expected("index"),
    "kde-fpas/custom_feeds.json": Expected("feed-list"),
    "kde-fpas/ie-2.49.0.1.372.0.250413231648.N_Norm002_SmallCraft.xml": Expected(
        "alert", hazard="none"
    ),
    "kde-fpas/mow.DE-HE-KS-SE106-20250313-106-001.xml": Expected("alert", hazard="none"),
    "kde-fpas/noaa-2.49.0.1.840.0.9b5195e635069329b12a7c697fad5934d144784a.001.1.xml": Expected(
        "alert", hazard="storm"
    ),
    "kde-fpas/noaa-2.49.0.1.840.0.bde6c30c43ead9c23c42bea7977652a7de76d87d.002.1.xml": Expected(
        "alert", hazard="none"
    ),
}
NAMES = sorted(EXPECTED)


@pytest.fixture
def feeds_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "feeds"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return folder


def test_every_feed_file_has_an_expectation(feeds_dir: Path) -> None:
    present = {
        str(path.relative_to(feeds_dir))
        for path in feeds_dir.rglob("*")
        if path.is_file() and path.name not in NOT_FEEDS
    }
    assert present == set(EXPECTED)
    with (feeds_dir / "SOURCES.tsv").open(encoding="utf-8", newline="") as handle:
        listed = {row["file"] for row in csv.DictReader(handle, delimiter="\t")}
    assert listed == set(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_feed_file_is_read_with_exactly_the_expected_warnings(feeds_dir: Path, name: str) -> None:
    expected = EXPECTED[name]
    data = (feeds_dir / name).read_bytes()
    document = parse_document(data)
    if expected.kind == "feed-list":
        # The aggregator's list of national feeds: JSON, not CAP. Refused as not XML, and
        # it must name feeds (what an ingester would poll).
        assert document.error is not None and document.error.code == errors.INPUT_NOT_XML
        sources = [entry["source"] for entry in json.loads(data)["sources"]]
        assert all(source["sourceId"] for source in sources)
        # Some entries only override the status of a feed listed elsewhere; most give a URL.
        feeds = [source["capAlertFeed"] for source in sources if "capAlertFeed" in source]
        assert len(feeds) > len(sources) // 2
        assert all(feed.startswith(("http://", "https://")) for feed in feeds)
        return
    assert document.ok, document.error
    assert document.kind == expected.kind
    if expected.kind == "index":
        assert document.alerts == ()
        assert document.index_links
        assert all(link.startswith("https://") for link in document.index_links)
        return
    (alert,) = document.alerts
    assert [(w.code, w.location) for w in document.warnings] == list(expected.warnings)
    assert alert.warnings == document.warnings
    assert classify_alert(alert).hazard == expected.hazard


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n].kind == "alert"])
def test_feed_file_under_the_strict_policy(feeds_dir: Path, name: str) -> None:
    expected = EXPECTED[name]
    document = parse_document((feeds_dir / name).read_bytes(), policy=ParsePolicy.STRICT)
    if expected.strict_error is None:
        assert document.ok and len(document.alerts) == 1
        return
    assert document.error is not None
    assert (document.error.code, document.error.location) == expected.strict_error


def test_swiss_alerts_read_missing_certainty_as_unknown(feeds_dir: Path) -> None:
    for name in NAMES:
        if "alertswiss" not in name:
            continue
        (alert,) = parse_document((feeds_dir / name).read_bytes()).alerts
        (info,) = alert.infos
        assert info.certainty == "Unknown"
        assert info.categories == ()
        certainty = alert.warnings[1]
        assert certainty.message == "required <certainty> is missing; read as 'Unknown'"
