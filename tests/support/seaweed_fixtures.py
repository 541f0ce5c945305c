"""pytest fixtures over the SeaweedFS test server, importable by any test package.

Use from a conftest with ``from tests.support.seaweed_fixtures import s3_server``
(each conftest that imports it gets its own session server), or register the module
once for the whole run with ``pytest_plugins = ("tests.support.seaweed_fixtures",)``
in the root conftest so every package shares one server.
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
