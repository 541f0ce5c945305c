"""The feed list: which feeds `cinealert ingest` polls, how, and whom it trusts.

A TOML file with one ``[[feed]]`` table per feed (docs/feeds.md has the format). It is
validated whole at start: an unknown key, a missing URL, a bad interval or a secret
variable that is not set stops the start with a ``FeedListError`` naming the feed and
the key. Secrets are never in the file: authentication names an environment variable.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FORMATS = (
    "auto",
    "atom-index",
    "rss-index",
    "atom-fat",
    "rss-fat",
    "cap",
    "edxl-de",
    "kr-disaster-message",
)
AUTH_KINDS = ("header", "query", "basic")
SIGNATURE_POLICIES = ("off", "verify-if-present", "require")
DEFAULT_USER_AGENT = (
    "cinealert-ingest/0.1 (+https://github.com/cinealert; operator: set user_agent)"
)
# Polling faster than this is rude to publishers and gains nothing for alerts.
MIN_POLL_S = 15.0
_FEED_KEYS = {
    "name",
    "url",
    "format",
    "poll_min_s",
    "poll_max_s",
    "headers",
    "user_agent",
    "auth",
    "ca_bundle",
    "allowed_senders",
    "signature_policy",
    "trust_store",
    "max_future_s",
}
_AUTH_KEYS = {"kind", "name", "secret_env", "username"}


class FeedListError(ValueError):
    """The feed list is invalid; the message names the feed and the key."""

    def __init__(self, feed: str, key: str, problem: str) -> None:
        super().__init__(f"feed {feed!r}: {key}: {problem}")
        self.feed = feed
        self.key = key


@dataclass(frozen=True)
class FeedAuth:
    """Credentials for one feed: a header, a query parameter or HTTP basic auth, whose
    secret comes from the environment variable ``secret_env`` (read at start)."""

    kind: str
    name: str  # header name, query parameter name, or (basic) the username
    secret_env: str

    def secret(self) -> str:
        """The secret, read from the environment when a request is made (never stored)."""
        return os.environ.get(self.secret_env, "")


@dataclass(frozen=True)
class FeedSpec:
    """One feed, validated."""

    name: str
    url: str
    format: str = "auto"
    poll_min_s: float = 60.0
    poll_max_s: float = 900.0  # the backoff cap after failures
    headers: Mapping[str, str] = field(default_factory=dict)
    user_agent: str = DEFAULT_USER_AGENT
    auth: FeedAuth | None = None
    ca_bundle: Path | None = None  # PEM CAs that verify this feed's server (else the system's)
    allowed_senders: tuple[str, ...] = ()  # empty: any sender
    signature_policy: str = "off"
    trust_store: Path | None = None
    # An alert whose <sent> is further in the future than this is refused (clock abuse).
    max_future_s: float = 3600.0


def load_feed_list(path: Path) -> list[FeedSpec]:
    """Read and validate a feed list; raises FeedListError (or OSError for the file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise FeedListError("-", str(path), f"not valid TOML: {error}") from error
    unknown = set(data) - {"feed"}
    if unknown:
        raise FeedListError("-", ", ".join(sorted(unknown)), "unknown top-level key")
    tables = data.get("feed", [])
    if not isinstance(tables, list):
        raise FeedListError("-", "feed", "must be an array of tables ([[feed]])")
    feeds = [feed_from_table(table, index) for index, table in enumerate(tables)]
    names = [feed.name for feed in feeds]
    for name in names:
        if names.count(name) > 1:
            raise FeedListError(name, "name", "used by more than one feed")
    return feeds


def single_feed(url: str, format: str = "auto") -> FeedSpec:
    """The feed of ``cinealert ingest --url URL``: named after its host, checked the same."""
    return feed_from_table({"name": urlsplit(url).hostname or "feed", "url": url, "format": format})


def feed_from_table(table: Any, index: int = 0) -> FeedSpec:
    """One ``[[feed]]`` table to a FeedSpec, checking every key."""
    if not isinstance(table, dict):
        raise FeedListError(f"#{index}", "feed", "must be a table")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FeedListError(f"#{index}", "name", "required, a non-empty string")
    unknown = set(table) - _FEED_KEYS
    if unknown:
        raise FeedListError(name, ", ".join(sorted(unknown)), "unknown key")
    values: dict[str, Any] = {"name": name, "url": _url(name, table.get("url"))}
    if "format" in table:
        values["format"] = _choice(name, "format", table["format"], FORMATS)
    for key in ("poll_min_s", "poll_max_s", "max_future_s"):
        if key in table:
            values[key] = _number(name, key, table[key])
    if values.get("poll_min_s", MIN_POLL_S) < MIN_POLL_S:
        raise FeedListError(name, "poll_min_s", f"must be at least {MIN_POLL_S:g} s")
    if values.get("poll_max_s", 900.0) < values.get("poll_min_s", 60.0):
        raise FeedListError(name, "poll_max_s", "must be at least poll_min_s")
    if "headers" in table:
        values["headers"] = _string_table(name, "headers", table["headers"])
    if "user_agent" in table:
        values["user_agent"] = _string(name, "user_agent", table["user_agent"])
    if "auth" in table:
        values["auth"] = _auth(name, table["auth"])
    for key in ("ca_bundle", "trust_store"):
        if key in table:
            values[key] = _existing_path(name, key, table[key])
    if "allowed_senders" in table:
        senders = table["allowed_senders"]
        if not isinstance(senders, list) or not all(isinstance(s, str) for s in senders):
            raise FeedListError(name, "allowed_senders", "must be a list of strings")
        values["allowed_senders"] = tuple(senders)
    if "signature_policy" in table:
        values["signature_policy"] = _choice(
            name, "signature_policy", table["signature_policy"], SIGNATURE_POLICIES
        )
    if values.get("signature_policy", "off") != "off" and "trust_store" not in values:
        raise FeedListError(name, "trust_store", "required when signature_policy is not off")
    return FeedSpec(**values)


def _url(feed: str, value: Any) -> str:
    url = _string(feed, "url", value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedListError(feed, "url", f"{url!r} is not an http(s) URL")
    return url


def _string(feed: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FeedListError(feed, key, "required, a non-empty string")
    return value


def _number(feed: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise FeedListError(feed, key, f"must be a number above 0, got {value!r}")
    return float(value)


def _choice(feed: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FeedListError(feed, key, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _string_table(feed: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise FeedListError(feed, key, "must be a table of strings")
    return dict(value)


def _existing_path(feed: str, key: str, value: Any) -> Path:
    path = Path(_string(feed, key, value))
    if not path.exists():
        raise FeedListError(feed, key, f"{path} does not exist")
    return path


def _auth(feed: str, value: Any) -> FeedAuth:
    if not isinstance(value, dict):
        raise FeedListError(feed, "auth", "must be a table")
    unknown = set(value) - _AUTH_KEYS
    if unknown:
        raise FeedListError(feed, "auth." + ", auth.".join(sorted(unknown)), "unknown key")
    kind = _choice(feed, "auth.kind", value.get("kind"), AUTH_KINDS)
    name_key = "username" if kind == "basic" else "name"
    name = _string(feed, f"auth.{name_key}", value.get(name_key))
    secret_env = _string(feed, "auth.secret_env", value.get("secret_env"))
    if not os.environ.get(secret_env):
        raise FeedListError(
            feed, "auth.secret_env", f"environment variable {secret_env} is not set"
        )
    return FeedAuth(kind, name, secret_env)
