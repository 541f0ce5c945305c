"""Settings → aiokafka arguments, SSL contexts from real PEM files, topic creation."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from daemon.kafka.client_config import (
    KafkaConfigError,
    build_ssl_context,
    client_kwargs,
    consumer_kwargs,
    producer_kwargs,
)
from daemon.kafka.topics import TopicSpec, ensure_topics
from daemon.runtime.settings import Settings, load_settings
from tests.support.kafka import TopicNames


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server cert for 127.0.0.1 and a client cert, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "2", "-subj", "/CN=cinealert-test-ca", cwd=d)  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                 "-extfile", "ext.cnf", cwd=d)  # fmt: skip
    return d


def test_plaintext_kwargs() -> None:
    settings = Settings(bootstrap_servers="k:1")

    kwargs = client_kwargs(settings)

    assert kwargs == {
        "bootstrap_servers": "k:1",
        "client_id": "cinealert",
        "security_protocol": "PLAINTEXT",
    }
    assert consumer_kwargs(settings)["enable_auto_commit"] is False
    assert consumer_kwargs(settings)["group_id"] == "cinealert"
    assert producer_kwargs(settings)["acks"] == "all"


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext_kwargs(mechanism: str) -> None:
    settings = load_settings(
        environ={
            "CINEALERT_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "CINEALERT_KAFKA_SASL_MECHANISM": mechanism,
            "CINEALERT_KAFKA_SASL_USERNAME": "alice",
            "CINEALERT_KAFKA_SASL_PASSWORD": "wonderland",
        }
    )

    kwargs = client_kwargs(settings)

    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["sasl_mechanism"] == mechanism
    assert kwargs["sasl_plain_username"] == "alice"
    assert kwargs["sasl_plain_password"] == "wonderland"
    assert "ssl_context" not in kwargs


def test_sasl_ssl_builds_a_context_from_the_ca(pki: Path) -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="u",
        kafka_sasl_password="p",
        kafka_ssl_cafile=pki / "ca.pem",
    )

    kwargs = client_kwargs(settings)

    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    subjects = [dict(entry[0] for entry in c["subject"]) for c in context.get_ca_certs()]
    assert {"commonName": "cinealert-test-ca"} in subjects


def test_ssl_context_completes_mutual_tls_with_a_real_server(pki: Path) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki / "ca.pem")
    server_context.load_cert_chain(pki / "server.pem", pki / "server.key")
    server_context.verify_mode = ssl.CERT_REQUIRED
    seen_client: list[str] = []

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def serve() -> None:
            connection, _ = listener.accept()
            with server_context.wrap_socket(connection, server_side=True) as tls:
                peer = tls.getpeercert()
                assert peer is not None
                seen_client.append(dict(e[0] for e in peer["subject"])["commonName"])
                tls.sendall(b"ok")

        thread = threading.Thread(target=serve)
        thread.start()
        client_context = build_ssl_context(pki / "ca.pem", pki / "client.pem", pki / "client.key")
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client_context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.recv(2) == b"ok"
        thread.join(timeout=5)

    assert seen_client == ["client"]


def test_context_without_our_ca_rejects_the_server(pki: Path) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(pki / "server.pem", pki / "server.key")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def serve() -> None:
            connection, _ = listener.accept()
            with connection:
                try:
                    server_context.wrap_socket(connection, server_side=True).close()
                except (ssl.SSLError, OSError):
                    return  # the client hung up on our untrusted certificate, as expected

        thread = threading.Thread(target=serve)
        thread.start()
        client_context = build_ssl_context()  # system CAs only
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ):
            client_context.wrap_socket(raw, server_hostname="127.0.0.1")
        thread.join(timeout=5)


def test_missing_and_invalid_pem_files_are_named(pki: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(KafkaConfigError, match="CINEALERT_KAFKA_SSL_CAFILE") as raised:
        build_ssl_context(cafile=missing)
    assert raised.value.path == missing

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(KafkaConfigError, match="not a PEM CA bundle"):
        build_ssl_context(cafile=garbage)

    with pytest.raises(KafkaConfigError, match="do not load"):
        build_ssl_context(pki / "ca.pem", pki / "client.pem", pki / "server.key")


async def test_ensure_topics_creates_missing_ones_once(
    kafka_bootstrap: str, topic_names: TopicNames
) -> None:
    settings = Settings(
        bootstrap_servers=kafka_bootstrap,
        input_topic=topic_names.input,
        output_topic=topic_names.output,
        dlq_topic=topic_names.dlq,
        cache_topic=topic_names.cache,
        topic_partitions=2,
    )

    created = await ensure_topics(settings)
    again = await ensure_topics(settings)

    assert sorted(created) == sorted(
        [topic_names.input, topic_names.output, topic_names.dlq, topic_names.cache]
    )
    assert again == []
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic_names.input, topic_names.cache])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d["partitions"]) for d in described}
    assert partitions == {topic_names.input: 2, topic_names.cache: 1}


async def test_ensure_topics_keeps_existing_topics(
    kafka_bootstrap: str, unique_topic: Callable[[str], str]
) -> None:
    name = unique_topic("existing")
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    assert await ensure_topics(settings, [TopicSpec(name, 1)]) == [name]
    assert await ensure_topics(settings, [TopicSpec(name, 4)]) == []
