"""Settings from the environment and TOML: values, precedence and loud failures."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from daemon.runtime.settings import (
    MODEL_ROLES,
    Settings,
    SettingsError,
    env_name,
    is_kubernetes_service_link,
    load_settings,
)


def test_defaults_without_any_configuration() -> None:
    settings = load_settings(environ={})

    assert settings == Settings()
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.input_topic == "cap.alerts"
    assert settings.render_test_alerts is False
    assert settings.resolved_media_base_url == "http://127.0.0.1:8080/media"


def test_fixed_environment_names_are_read_and_typed() -> None:
    settings = load_settings(
        environ={
            "CINEALERT_BOOTSTRAP_SERVERS": "kafka-0:9092,kafka-1:9092",
            "CINEALERT_GROUP_ID": "g",
            "CINEALERT_INPUT_TOPIC": "in",
            "CINEALERT_OUTPUT_TOPIC": "out",
            "CINEALERT_DLQ_TOPIC": "dead",
            "CINEALERT_HTTP_HOST": "0.0.0.0",
            "CINEALERT_HTTP_PORT": "9000",
            "CINEALERT_MODELS": "full",
            "CINEALERT_RENDER_TEST_ALERTS": "yes",
            "CINEALERT_RENDER_DEADLINE_S": "12.5",
            "CINEALERT_MEDIA_DIR": "/srv/media",
            "CINEALERT_RENDER_SIZE": "512",
            "CINEALERT_RENDER_WORKERS": "cuda:0,cuda:1",
            "CINEALERT_MODEL_T2I": "runwayml/stable-diffusion-v1-5",
            "CINEALERT_MODEL_GROUNDING_DINO": "/models/gdino",
            "CINEALERT_MODEL_CACHE_DIR": "/models/cache",
            "PATH": "/usr/bin",  # not ours: ignored
        }
    )

    assert settings.bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert (settings.group_id, settings.input_topic, settings.output_topic) == ("g", "in", "out")
    assert settings.dlq_topic == "dead"
    assert settings.http_port == 9000
    assert settings.http_url == "http://127.0.0.1:9000"
    assert settings.models == "full"
    assert settings.render_test_alerts is True
    assert settings.render_deadline_s == 12.5
    assert settings.media_dir == Path("/srv/media")
    assert settings.render_size == 512
    assert settings.render_workers == "cuda:0,cuda:1"
    assert settings.model_sources == {
        "t2i": "runwayml/stable-diffusion-v1-5",
        "grounding_dino": "/models/gdino",
    }
    assert settings.model_cache_dir == Path("/models/cache")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CINEALERT_HTTP_PORT", "eighty", "not an integer"),
        ("CINEALERT_HTTP_PORT", "70000", "0..65535"),
        ("CINEALERT_MODELS", "huge", "tiny, full"),
        ("CINEALERT_RENDER_TEST_ALERTS", "maybe", "not a boolean"),
        ("CINEALERT_RENDER_DEADLINE_S", "-1", "above 0"),
        ("CINEALERT_RENDER_DEADLINE_S", "nan", "finite"),
        ("CINEALERT_BOOTSTRAP_SERVERS", "kafka-without-port", "host:port"),
        ("CINEALERT_RENDER_WORKERS", "gpu0", "cuda:0,cuda:1"),
        ("CINEALERT_RENDER_SIZE", "500", "multiple of 8"),
        ("CINEALERT_TOPIC_PARTITIONS", "0", "at least 1"),
        ("CINEALERT_LOG_LEVEL", "verbose", "DEBUG"),
        ("CINEALERT_MEDIA_BACKEND", "s3", "required when media_backend=s3"),
    ],
)
def test_invalid_values_name_the_key_and_value(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={name: value})

    message = str(raised.value)
    assert raised.value.key.startswith("CINEALERT_")
    assert fragment in message
    assert name in message or raised.value.key in message


def test_unknown_cinealert_variable_fails() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"CINEALERT_BOOTSTRAP_SERVER": "typo:9092"})
    assert raised.value.key == "CINEALERT_BOOTSTRAP_SERVER"
    assert raised.value.value == "typo:9092"
    assert "unknown setting" in str(raised.value)


def test_unknown_model_role_fails() -> None:
    with pytest.raises(SettingsError, match="CINEALERT_MODEL_UNET"):
        load_settings(environ={"CINEALERT_MODEL_UNET": "x"})


def test_topics_must_differ() -> None:
    with pytest.raises(SettingsError, match="must differ"):
        load_settings(environ={"CINEALERT_OUTPUT_TOPIC": "cap.alerts"})


def test_toml_file_with_environment_override(tmp_path: Path) -> None:
    config = tmp_path / "cinealert.toml"
    config.write_text(
        'bootstrap_servers = "file-kafka:9092"\n'
        'group_id = "from-file"\n'
        "http_port = 8181\n"
        "render_guidance = 5\n"
        "render_test_alerts = true\n"
        "[model_sources]\n"
        't2i = "file/t2i"\n'
        'clip = "file/clip"\n'
    )

    settings = load_settings(
        environ={
            "CINEALERT_CONFIG": str(config),
            "CINEALERT_GROUP_ID": "from-env",
            "CINEALERT_MODEL_CLIP": "env/clip",
        }
    )

    assert settings.bootstrap_servers == "file-kafka:9092"
    assert settings.group_id == "from-env"
    assert settings.http_port == 8181
    assert settings.render_guidance == 5.0
    assert settings.render_test_alerts is True
    assert settings.model_sources == {"t2i": "file/t2i", "clip": "env/clip"}


def test_explicit_config_file_argument(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('input_topic = "alerts.in"\n')
    assert load_settings(environ={}, config_file=config).input_topic == "alerts.in"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('bootstrap_server = "x:1"\n', "unknown setting"),
        ('http_port = "8080"\n', "must be a TOML int"),
        ("render_test_alerts = 1\n", "must be a TOML bool"),
        ('[model_sources]\nunet = "x"\n', "unknown model role"),
        ("http_port = \n", "not valid TOML"),
    ],
)
def test_bad_toml_names_the_file_and_key(tmp_path: Path, content: str, fragment: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={}, config_file=config)
    assert fragment in str(raised.value)
    assert str(config) in str(raised.value)


def test_missing_config_file_fails(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(environ={"CINEALERT_CONFIG": str(missing)})


def test_sasl_needs_mechanism_and_credentials_and_hides_the_password() -> None:
    with pytest.raises(SettingsError, match="CINEALERT_KAFKA_SASL_MECHANISM"):
        load_settings(environ={"CINEALERT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})
    with pytest.raises(SettingsError, match="CINEALERT_KAFKA_SASL_PASSWORD"):
        load_settings(
            environ={
                "CINEALERT_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "CINEALERT_KAFKA_SASL_MECHANISM": "PLAIN",
                "CINEALERT_KAFKA_SASL_USERNAME": "u",
            }
        )
    settings = load_settings(
        environ={
            "CINEALERT_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "CINEALERT_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "CINEALERT_KAFKA_SASL_USERNAME": "u",
            "CINEALERT_KAFKA_SASL_PASSWORD": "s3cret-value",
        }
    )
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert "s3cret-value" not in repr(settings)


def test_sasl_mechanism_must_be_known_and_match_the_protocol() -> None:
    with pytest.raises(SettingsError, match="SCRAM-SHA-256"):
        load_settings(
            environ={
                "CINEALERT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "CINEALERT_KAFKA_SASL_MECHANISM": "GSSAPI",
                "CINEALERT_KAFKA_SASL_USERNAME": "u",
                "CINEALERT_KAFKA_SASL_PASSWORD": "p",
            }
        )
    with pytest.raises(SettingsError, match="SASL needs"):
        load_settings(environ={"CINEALERT_KAFKA_SASL_MECHANISM": "PLAIN"})


def test_ssl_files_need_an_ssl_protocol_and_come_in_pairs() -> None:
    with pytest.raises(SettingsError, match="SSL files need"):
        load_settings(environ={"CINEALERT_KAFKA_SSL_CAFILE": "/ca.pem"})
    with pytest.raises(SettingsError, match="go together"):
        load_settings(
            environ={
                "CINEALERT_KAFKA_SECURITY_PROTOCOL": "SSL",
                "CINEALERT_KAFKA_SSL_CERTFILE": "/c.pem",
            }
        )


def test_empty_optional_value_means_unset() -> None:
    settings = load_settings(environ={"CINEALERT_MEDIA_BASE_URL": "", "CINEALERT_RENDER_STEPS": ""})
    assert settings.media_base_url is None
    assert settings.render_steps is None


def test_constructing_settings_directly_validates_too() -> None:
    with pytest.raises(SettingsError, match="CINEALERT_RENDER_METHOD"):
        Settings(render_method="sketch")


def test_configuration_doc_lists_exactly_the_real_settings() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"CINEALERT_[A-Z0-9_<>]+", doc))
    real = {env_name(f.name) for f in dataclasses.fields(Settings) if f.name != "model_sources"}
    real |= {"CINEALERT_CONFIG", "CINEALERT_MODEL_<ROLE>"}
    assert real - documented == set(), "settings missing from docs/configuration.md"
    # Besides settings, the doc only names the Kubernetes variables that are ignored.
    others = {n for n in documented - real if not is_kubernetes_service_link(n, "tcp://1.2.3.4:80")}
    assert others == set(), "docs/configuration.md names settings that do not exist"
    for role in MODEL_ROLES:
        assert f"`{role.upper()}`" in doc


def test_kubernetes_service_links_are_not_mistaken_for_settings() -> None:
    # What a pod sees when a Service named "cinealert" (port "http" 8080) exists.
    injected = {
        "CINEALERT_SERVICE_HOST": "10.96.0.12",
        "CINEALERT_SERVICE_PORT": "8080",
        "CINEALERT_SERVICE_PORT_HTTP": "8080",
        "CINEALERT_PORT": "tcp://10.96.0.12:8080",
        "CINEALERT_PORT_8080_TCP": "tcp://10.96.0.12:8080",
        "CINEALERT_PORT_8080_TCP_PROTO": "tcp",
        "CINEALERT_PORT_8080_TCP_PORT": "8080",
        "CINEALERT_PORT_8080_TCP_ADDR": "10.96.0.12",
        "CINEALERT_METRICS_SERVICE_HOST": "10.96.0.13",
    }
    settings = load_settings(environ={**injected, "CINEALERT_HTTP_PORT": "9000"})
    assert settings.http_port == 9000
    # A mistyped port setting is not a service link: it still fails.
    with pytest.raises(SettingsError, match="CINEALERT_HTPP_PORT"):
        load_settings(environ={"CINEALERT_HTPP_PORT": "8080"})


def test_model_sources_cannot_be_changed_after_loading() -> None:
    settings = load_settings(environ={"CINEALERT_MODEL_VIT": "timm/vit"})
    with pytest.raises(TypeError):
        settings.model_sources["vit"] = "other"  # type: ignore[index]
    assert settings.model_sources == {"vit": "timm/vit"}
