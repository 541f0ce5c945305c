"""Fixtures for media store tests.

``s3_server`` is one real SeaweedFS S3 server for the whole session (started on first
use, stopped at the end). Other test packages (e2e) reuse it by importing
``running_seaweed_s3`` from ``tests.support.seaweed`` or this fixture's module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.seaweed import S3ServerInfo, SeaweedError, running_seaweed_s3, weed_binary


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3ServerInfo]:
    """A running SeaweedFS S3 server: endpoint, admin key pair, region, public bucket."""
    try:
        weed_binary()
    except SeaweedError as error:
        pytest.skip(str(error))
    with running_seaweed_s3(tmp_path_factory.mktemp("seaweedfs")) as info:
        yield info


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test (or concurrent test run) uses."""
    return f"test-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def unique_bucket() -> str:
    """A bucket name no other test uses (S3 names: lower case, digits, dashes)."""
    return f"cinealert-{uuid.uuid4().hex[:16]}"
