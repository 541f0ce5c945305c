"""Settings → keyword arguments for aiokafka clients (security included).

Every client the daemon and its commands open (consumer, producer, admin) gets the
same connection and security arguments from :func:`client_kwargs`, so SASL/SSL is
configured in one place.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from daemon.runtime.settings import Settings, env_name

CLIENT_ID = "cinealert"


class KafkaConfigError(ValueError):
    """A security file is missing or unusable; names the setting and the path."""

    def __init__(self, key: str, path: Path | None, problem: str) -> None:
        self.key = key
        self.path = path
        super().__init__(f"{key}={str(path)!r}: {problem}")


def build_ssl_context(
    cafile: Path | None = None, certfile: Path | None = None, keyfile: Path | None = None
) -> ssl.SSLContext:
    """A client TLS context verifying the broker (system CAs unless ``cafile``).

    ``certfile``/``keyfile`` add a client certificate for mutual TLS. Raises
    KafkaConfigError naming the file that is missing or not valid PEM.
    """
    for name, path in (
        ("kafka_ssl_cafile", cafile),
        ("kafka_ssl_certfile", certfile),
        ("kafka_ssl_keyfile", keyfile),
    ):
        if path is not None and not path.is_file():
            raise KafkaConfigError(env_name(name), path, "file not found")
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except ssl.SSLError as error:
        raise KafkaConfigError(
            env_name("kafka_ssl_cafile"), cafile, f"not a PEM CA bundle: {error}"
        ) from error
    if certfile is not None:
        try:
            context.load_cert_chain(certfile=certfile, keyfile=keyfile)
        except ssl.SSLError as error:
            raise KafkaConfigError(
                env_name("kafka_ssl_certfile"),
                certfile,
                f"certificate and key {str(keyfile)!r} do not load: {error}",
            ) from error
    return context


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Connection and security arguments shared by every aiokafka client."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": CLIENT_ID,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = build_ssl_context(
            settings.kafka_ssl_cafile, settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile
        )
    if settings.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        # aiokafka names the username/password "sasl_plain_*" for SCRAM as well.
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        kwargs["sasl_plain_password"] = settings.kafka_sasl_password
    return kwargs


def consumer_kwargs(settings: Settings) -> dict[str, Any]:
    """Arguments for the daemon's group consumer: manual commits, committed reads only.

    ``auto_offset_reset="none"``: a position outside the log raises instead of being
    reset quietly, so the input consumer can apply ``kafka_offset_reset`` loudly (an
    error log and a metric name the partition and how far it jumped). A group with no
    committed offset yet starts at ``kafka_offset_reset`` the same way.
    """
    return {
        **client_kwargs(settings),
        "group_id": settings.group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "none",
        # Alerts from an upstream producer's aborted transaction are never rendered.
        "isolation_level": settings.kafka_isolation_level,
        # Partitions added to the input topic are noticed within this time.
        "metadata_max_age_ms": settings.kafka_metadata_max_age_ms,
    }


def producer_kwargs(settings: Settings) -> dict[str, Any]:
    """Arguments for producers: wait for all in-sync replicas, compress as configured."""
    compression = None if settings.kafka_compression == "none" else settings.kafka_compression
    return {**client_kwargs(settings), "acks": "all", "compression_type": compression}
