"""pytest fixtures over the SeaweedFS test server, importable by any test package.

Registered once for the whole run by the root conftest
(``pytest_plugins = ("tests.support.seaweed_fixtures",)``), so every package shares one
server. Do not also import ``s3_server`` into a package conftest: each conftest that
imports it gets its own session fixture, and so starts a second server.
"""

from __future__ import annotations

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
