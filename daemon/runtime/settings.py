"""The daemon's one settings object, read from the environment and/or a TOML file.

Every field maps to an environment variable ``CINEALERT_<FIELD NAME IN UPPER CASE>``
and to a lower-case key of the same name in the TOML file; model sources are
``CINEALERT_MODEL_<ROLE>`` variables or a ``[model_sources]`` table. The environment
overrides the file. Anything unknown or invalid fails at start with a
:class:`SettingsError` naming the key and the value, so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cap.document import DEFAULT_LIMITS, ParseLimits
from daemon.runtime.image_source import check_image_source
from daemon.runtime.kafka_security import check_kafka_security
from daemon.runtime.setting_values import (
    CONFIG_FILE_ENV,
    ENV_PREFIX,
    MODEL_ROLES,
    MODEL_SOURCE_ENV_PREFIX,
    SettingsError,
    env_name,
    is_kubernetes_service_link,
    values_from_environ,
    values_from_toml,
)

# Re-exported: callers import the whole settings vocabulary from this module.
__all__ = [
    "CONFIG_FILE_ENV",
    "ENV_PREFIX",
    "MODEL_ROLES",
    "MODEL_SOURCE_ENV_PREFIX",
    "Settings",
    "SettingsError",
    "env_name",
    "is_kubernetes_service_link",
    "load_settings",
]

MODEL_PROFILES = ("tiny", "full")
RENDER_METHODS = ("cinemagraph", "masked-sampling")
# When alert cards (pipeline/card) are made: never; for an alert whose render failed or
# passed its deadline; at once for every alert that waits for a render (a provisional
# record, then the terminal one); or instead of renders altogether (no GPU, no model).
CARD_POLICIES = ("off", "fallback", "first", "only")
MEDIA_BACKENDS = ("local", "s3")
KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")
SIGNATURE_POLICIES = ("off", "verify-if-present", "require")
KAFKA_ISOLATION_LEVELS = ("read_committed", "read_uncommitted")
KAFKA_OFFSET_RESETS = ("earliest", "latest")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("auto", "json", "console")

_CUDA_DEVICE = re.compile(r"^cuda:\d+$")


@dataclass(frozen=True)
class Settings:
    """Everything the daemon and its commands can be configured with."""

    # Kafka topology
    bootstrap_servers: str = "127.0.0.1:9092"
    group_id: str = "cinealert"
    input_topic: str = "cap.alerts"
    output_topic: str = "cap.media"
    dlq_topic: str = "cap.alerts.dlq"
    cache_topic: str = "cap.media.cache"
    # `cinealert ingest` (docs/feeds.md): its compacted state topic, the feed list, and
    # hosts exempt from the private-address check (a feed server on the same network).
    ingest_state_topic: str = "cap.ingest.state"
    ingest_feeds: Path | None = None
    ingest_allowed_hosts: str = ""
    create_topics: bool = True
    topic_partitions: int = 3
    # HTTP endpoints (port 0 = any free port, for tests)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # rendering
    models: str = "tiny"
    render_test_alerts: bool = False
    # Restricted/Private alerts are rendered only when an operator opts in, and then only
    # into a store without public URLs (docs/operations.md, "Scope").
    render_restricted: bool = False
    # XML signatures (docs/cap-signatures.md): policy for every sender, senders whose
    # alerts must be validly signed, and the PEM certificates (file or directory) trusted.
    signature_policy: str = "off"
    signature_require_senders: str = ""
    trust_store: Path | None = None
    # Limits on one input message (docs/operations.md, "Limits"): bytes, element nesting,
    # element count, alerts per container, points per polygon.
    cap_max_bytes: int = DEFAULT_LIMITS.max_bytes
    cap_max_depth: int = DEFAULT_LIMITS.max_depth
    cap_max_elements: int = DEFAULT_LIMITS.max_elements
    cap_max_alerts: int = DEFAULT_LIMITS.max_alerts
    cap_max_polygon_points: int = DEFAULT_LIMITS.max_polygon_points
    card_policy: str = "fallback"
    render_method: str = "cinemagraph"
    render_deadline_s: float = 300.0
    render_workers: str = "auto"
    render_candidates: int = 10
    render_variants: int = 20
    render_size: int | None = None
    render_steps: int | None = None
    render_guidance: float = 7.5
    render_seed: int = 0
    # Passed to the pipeline (pipeline.config.PipelineConfig validates them).
    render_mask_method: str = "auto"
    render_mask_min_coverage: float = 0.02
    render_mask_max_coverage: float = 0.90
    render_batch_size: int = 10  # most images per diffusion call (candidates, variants)
    render_llm_offload: bool = True
    render_torch_compile: bool = False
    render_dtype: str = "auto"
    render_camera_amplitude: float = 0.02
    render_flow_model: Path | None = None
    # Where stills come from: "t2i" (generated, the papers' method) or "library" (vetted
    # photos under image_library_dir/<hazard>/, pipeline/library.py).
    image_source: str = "t2i"
    image_library_dir: Path | None = None
    model_sources: Mapping[str, str] = field(default_factory=dict)
    # Renderer plug-in "module:function" called with the settings (tests, other renderers);
    # None = the generative pipeline (daemon/service/renderer_factory.py).
    renderer: str | None = None
    model_cache_dir: Path | None = None
    # service behaviour
    shutdown_grace_s: float = 30.0
    queue_max: int = 1000
    # Priority points a waiting request gains per second, so low bands never starve.
    priority_ageing_per_s: float = 0.01
    cache_ttl_s: float = 86400.0
    cache_variants: int = 3
    # media storage
    media_backend: str = "local"
    # A rendered file larger than this is not stored: the alert gets failed/media-too-large.
    media_max_bytes: int = 64 * 1024 * 1024
    media_dir: Path = Path("var/media")
    media_base_url: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = field(default=None, repr=False)
    s3_secret_access_key: str | None = field(default=None, repr=False)
    s3_public_base_url: str | None = None
    s3_presign_ttl_s: float = 3600.0
    # Kafka security
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = field(default=None, repr=False)
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    # Kafka reading and writing (docs/operations.md, "Kafka input")
    kafka_compression: str = "none"
    kafka_isolation_level: str = "read_committed"
    kafka_offset_reset: str = "earliest"
    kafka_metadata_max_age_ms: int = 30_000
    # logging
    log_level: str = "INFO"
    log_format: str = "auto"

    def __post_init__(self) -> None:
        # Frozen means frozen: a caller must not be able to change model sources later.
        object.__setattr__(self, "model_sources", MappingProxyType(dict(self.model_sources)))
        _validate(self)

    @property
    def parse_limits(self) -> ParseLimits:
        """The ``cap_max_*`` settings as the parser's limits."""
        return ParseLimits(
            max_bytes=self.cap_max_bytes,
            max_depth=self.cap_max_depth,
            max_elements=self.cap_max_elements,
            max_alerts=self.cap_max_alerts,
            max_polygon_points=self.cap_max_polygon_points,
        )

    @property
    def resolved_media_base_url(self) -> str:
        """The URL prefix of locally served media (``media_base_url`` or the HTTP server's)."""
        if self.media_base_url is not None:
            return self.media_base_url.rstrip("/")
        return f"http://{self.http_host}:{self.http_port}/media"

    @property
    def http_url(self) -> str:
        """Base URL of the daemon's HTTP server, as a client on this host reaches it."""
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "") else self.http_host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.http_port}"


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Build Settings from a TOML file (``config_file``/``$CINEALERT_CONFIG``) and the environment.

    The environment overrides the file. Raises :class:`SettingsError` for unknown
    ``CINEALERT_*`` variables, unknown TOML keys and invalid values.
    """
    env = os.environ if environ is None else environ
    if config_file is None and env.get(CONFIG_FILE_ENV):
        config_file = Path(env[CONFIG_FILE_ENV])
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(values_from_toml(config_file, _field_types()))
    env_values = values_from_environ(env, _field_types())
    if "model_sources" in env_values and "model_sources" in values:
        merged = dict(values["model_sources"])
        merged.update(env_values.pop("model_sources"))
        values["model_sources"] = merged
    values.update(env_values)
    return Settings(**values)


# ---------------------------------------------------------------------------
# reading values


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


# ---------------------------------------------------------------------------
# validating a built Settings


def _validate(s: Settings) -> None:
    _check_choice("models", s.models, MODEL_PROFILES)
    _check_choice("render_method", s.render_method, RENDER_METHODS)
    _check_choice("card_policy", s.card_policy, CARD_POLICIES)
    _check_choice("media_backend", s.media_backend, MEDIA_BACKENDS)
    _check_choice("kafka_security_protocol", s.kafka_security_protocol, KAFKA_SECURITY_PROTOCOLS)
    _check_choice("log_level", s.log_level, LOG_LEVELS)
    _check_choice("log_format", s.log_format, LOG_FORMATS)
    for name in ("bootstrap_servers", "group_id", "input_topic", "output_topic", "dlq_topic"):
        if not getattr(s, name).strip():
            raise SettingsError(env_name(name), getattr(s, name), "must not be empty")
    for name in ("cache_topic", "ingest_state_topic"):
        if not getattr(s, name).strip():
            raise SettingsError(env_name(name), getattr(s, name), "must not be empty")
    topics = [s.input_topic, s.output_topic, s.dlq_topic, s.cache_topic, s.ingest_state_topic]
    if len(set(topics)) != len(topics):
        raise SettingsError(
            env_name("input_topic"),
            topics,
            "input, output, dlq, cache and ingest state topics must differ",
        )
    _check_bootstrap(s.bootstrap_servers)
    if not 0 <= s.http_port <= 65535:
        raise SettingsError(env_name("http_port"), s.http_port, "must be in 0..65535")
    _check_render_workers(s.render_workers)
    check_image_source(s)
    for name in (
        "topic_partitions",
        "queue_max",
        "cap_max_bytes",
        "cap_max_depth",
        "cap_max_elements",
        "cap_max_alerts",
        "cap_max_polygon_points",
        "media_max_bytes",
        "cache_variants",
        "render_candidates",
        "render_variants",
        "render_batch_size",
    ):
        if getattr(s, name) < 1:
            raise SettingsError(env_name(name), getattr(s, name), "must be at least 1")
    for name in ("render_size", "render_steps"):
        value = getattr(s, name)
        if value is not None and value < 1:
            raise SettingsError(env_name(name), value, "must be at least 1 (or unset)")
    if s.render_size is not None and s.render_size % 8 != 0:
        raise SettingsError(env_name("render_size"), s.render_size, "must be a multiple of 8")
    for name in (
        "render_deadline_s",
        "shutdown_grace_s",
        "cache_ttl_s",
        "s3_presign_ttl_s",
    ):
        value = getattr(s, name)
        if not math.isfinite(value) or value <= 0:
            raise SettingsError(env_name(name), value, "must be a finite number above 0")
    for name in ("priority_ageing_per_s", "render_guidance"):
        value = getattr(s, name)
        if not math.isfinite(value) or value < 0:
            raise SettingsError(env_name(name), value, "must be a finite number at least 0")
    if s.render_seed < 0:
        raise SettingsError(env_name("render_seed"), s.render_seed, "must be at least 0")
    for role in s.model_sources:
        if role not in MODEL_ROLES:
            raise SettingsError(MODEL_SOURCE_ENV_PREFIX + role.upper(), role, "unknown role")
    if s.media_backend == "s3" and not s.s3_bucket:
        raise SettingsError(env_name("s3_bucket"), s.s3_bucket, "required when media_backend=s3")
    check_kafka_security(s)
    _check_trust(s)
    _check_choice("kafka_compression", s.kafka_compression, KAFKA_COMPRESSIONS)
    _check_choice("kafka_isolation_level", s.kafka_isolation_level, KAFKA_ISOLATION_LEVELS)
    _check_choice("kafka_offset_reset", s.kafka_offset_reset, KAFKA_OFFSET_RESETS)
    if s.kafka_metadata_max_age_ms < 100:
        raise SettingsError(
            env_name("kafka_metadata_max_age_ms"), s.kafka_metadata_max_age_ms, "must be >= 100"
        )


def _check_trust(s: Settings) -> None:
    _check_choice("signature_policy", s.signature_policy, SIGNATURE_POLICIES)
    checks_signatures = s.signature_policy != "off" or bool(s.signature_require_senders.strip())
    if checks_signatures and s.trust_store is None:
        raise SettingsError(
            env_name("trust_store"),
            None,
            "required when signatures are checked (signature_policy or signature_require_senders)",
        )
    if s.render_restricted and (s.media_backend != "s3" or s.s3_public_base_url):
        # Media of a restricted alert must never sit at a public URL.
        raise SettingsError(
            env_name("render_restricted"),
            True,
            "needs media_backend=s3 without s3_public_base_url (presigned URLs only)",
        )


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(env_name(name), value, f"must be one of {', '.join(allowed)}")


def _check_bootstrap(servers: str) -> None:
    for server in servers.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise SettingsError(
                env_name("bootstrap_servers"), servers, f"{server.strip()!r} is not host:port"
            )


def _check_render_workers(value: str) -> None:
    if value in ("auto", "cpu"):
        return
    devices = [d.strip() for d in value.split(",")]
    if not all(_CUDA_DEVICE.match(d) for d in devices) or len(set(devices)) != len(devices):
        raise SettingsError(
            env_name("render_workers"),
            value,
            "must be 'auto', 'cpu' or distinct CUDA devices like 'cuda:0,cuda:1'",
        )
