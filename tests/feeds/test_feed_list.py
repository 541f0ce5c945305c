"""The feed list: valid lists load, every mistake refuses the start naming feed and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.feeds.feed_list import FeedListError, load_feed_list, single_feed

GOOD = """
[[feed]]
name = "nws"
url = "https://api.weather.gov/alerts/active.atom"
format = "atom-index"
poll_min_s = 60
poll_max_s = 600
user_agent = "cinealert-test (ops@example.org)"
headers = { Accept = "application/atom+xml" }
allowed_senders = ["w-nws.webmaster@noaa.gov"]

[[feed]]
name = "partner"
url = "https://cap.example.org/feed.xml"
auth = { kind = "header", name = "X-Api-Key", secret_env = "PARTNER_KEY" }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    return path


def test_a_valid_list_loads_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_KEY", "s3cret")
    nws, partner = load_feed_list(_write(tmp_path, GOOD))
    assert nws.format == "atom-index" and nws.poll_min_s == 60 and nws.poll_max_s == 600
    assert nws.headers == {"Accept": "application/atom+xml"}
    assert nws.allowed_senders == ("w-nws.webmaster@noaa.gov",)
    assert partner.auth is not None and partner.auth.secret() == "s3cret"
    assert "s3cret" not in repr(partner)  # the secret is read when needed, never stored


@pytest.mark.parametrize(
    ("table", "feed", "key"),
    [
        ('name = "a"\nurl = "file:///etc/passwd"', "a", "url"),
        ('name = "a"\nurl = "https://x.org/"\nformat = "html"', "a", "format"),
        ('name = "a"\nurl = "https://x.org/"\npoll_min_s = 1', "a", "poll_min_s"),
        (
            'name = "a"\nurl = "https://x.org/"\npoll_min_s = 600\npoll_max_s = 60',
            "a",
            "poll_max_s",
        ),
        ('name = "a"\nurl = "https://x.org/"\ncolour = "red"', "a", "colour"),
        ('name = "a"\nurl = "https://x.org/"\nsignature_policy = "require"', "a", "trust_store"),
        (
            'name = "a"\nurl = "https://x.org/"\nauth = { kind = "header", name = "K", '
            'secret_env = "CINEALERT_TEST_UNSET_SECRET" }',
            "a",
            "auth.secret_env",
        ),
        ('url = "https://x.org/"', "#0", "name"),
    ],
)
def test_mistakes_refuse_the_start_naming_feed_and_key(
    tmp_path: Path, table: str, feed: str, key: str
) -> None:
    with pytest.raises(FeedListError) as caught:
        load_feed_list(_write(tmp_path, "[[feed]]\n" + table + "\n"))
    assert caught.value.feed == feed and caught.value.key == key


def test_two_feeds_with_one_name_are_refused(tmp_path: Path) -> None:
    text = '[[feed]]\nname = "a"\nurl = "https://x.org/1"\n[[feed]]\nname = "a"\nurl = "https://x.org/2"\n'
    with pytest.raises(FeedListError, match="more than one feed"):
        load_feed_list(_write(tmp_path, text))


def test_a_single_url_is_a_feed_named_after_its_host() -> None:
    feed = single_feed("https://alerts.example.org/cap.atom", "atom-index")
    assert feed.name == "alerts.example.org" and feed.format == "atom-index"
    with pytest.raises(FeedListError):
        single_feed("ftp://alerts.example.org/cap.atom")


def test_a_ca_bundle_must_exist(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    text = f'[[feed]]\nname = "a"\nurl = "https://x.org/"\nca_bundle = "{bundle}"\n'
    (feed,) = load_feed_list(_write(tmp_path, text))
    assert feed.ca_bundle == bundle
    with pytest.raises(FeedListError) as caught:
        load_feed_list(_write(tmp_path, text.replace("ca.pem", "missing.pem")))
    assert caught.value.key == "ca_bundle"
