"""Fixtures for media store tests.

``s3_server`` comes from the root conftest (``pytest_plugins``), so these tests share the
run's one real SeaweedFS S3 server with every other package instead of starting their own.
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test (or concurrent test run) uses."""
    return f"test-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def unique_bucket() -> str:
    """A bucket name no other test uses (S3 names: lower case, digits, dashes)."""
    return f"cinealert-{uuid.uuid4().hex[:16]}"
