"""Fixtures for media store tests.

``s3_server`` (from ``tests.support.seaweed_fixtures``) is one real SeaweedFS S3 server
for the session, started on first use and stopped at the end.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.seaweed_fixtures import s3_server

__all__ = ["s3_server", "unique_bucket", "unique_prefix"]


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test (or concurrent test run) uses."""
    return f"test-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def unique_bucket() -> str:
    """A bucket name no other test uses (S3 names: lower case, digits, dashes)."""
    return f"cinealert-{uuid.uuid4().hex[:16]}"
