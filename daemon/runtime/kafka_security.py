"""Checks of the Kafka security settings (protocol, SASL, SSL files), kept apart so
settings.py stays a list of fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from daemon.runtime.setting_values import SettingsError, env_name

if TYPE_CHECKING:
    from daemon.runtime.settings import Settings

KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def check_kafka_security(s: Settings) -> None:
    """Raise `SettingsError` naming the variable unless the Kafka security settings fit
    together (SASL needs a mechanism and credentials; SSL files need an SSL protocol)."""
    protocol = s.kafka_security_protocol
    uses_sasl = protocol.startswith("SASL_")
    uses_ssl = protocol in ("SSL", "SASL_SSL")
    if uses_sasl:
        if s.kafka_sasl_mechanism is None:
            raise SettingsError(env_name("kafka_sasl_mechanism"), None, f"required with {protocol}")
        if s.kafka_sasl_mechanism not in KAFKA_SASL_MECHANISMS:
            raise SettingsError(
                env_name("kafka_sasl_mechanism"),
                s.kafka_sasl_mechanism,
                f"must be one of {', '.join(KAFKA_SASL_MECHANISMS)}",
            )
        for name in ("kafka_sasl_username", "kafka_sasl_password"):
            if not getattr(s, name):
                # Never echo a password back, even an empty one.
                raise SettingsError(env_name(name), "<unset>", f"required with {protocol}")
    elif s.kafka_sasl_mechanism is not None:
        raise SettingsError(
            env_name("kafka_sasl_mechanism"),
            s.kafka_sasl_mechanism,
            f"SASL needs kafka_security_protocol SASL_PLAINTEXT or SASL_SSL, not {protocol}",
        )
    ssl_files = {
        "kafka_ssl_cafile": s.kafka_ssl_cafile,
        "kafka_ssl_certfile": s.kafka_ssl_certfile,
        "kafka_ssl_keyfile": s.kafka_ssl_keyfile,
    }
    if not uses_ssl:
        for name, value in ssl_files.items():
            if value is not None:
                raise SettingsError(
                    env_name(name), str(value), f"SSL files need SSL or SASL_SSL, not {protocol}"
                )
    if (s.kafka_ssl_certfile is None) != (s.kafka_ssl_keyfile is None):
        raise SettingsError(
            env_name("kafka_ssl_keyfile"),
            str(s.kafka_ssl_keyfile),
            "kafka_ssl_certfile and kafka_ssl_keyfile go together",
        )
