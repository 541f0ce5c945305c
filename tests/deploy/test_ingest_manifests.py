"""The feed ingester (`cinealert ingest`) in every overlay: one locked-down CPU pod that
reads the mounted feed list, writes its compacted state topic, and is watched."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from daemon.cli import build_parser
from daemon.feeds.feed_list import FeedListError, load_feed_list
from daemon.runtime.settings import Settings
from tests.deploy.manifests import (
    DAEMON,
    DEPLOY_DIR,
    INGEST,
    K8S_DIR,
    METRIC_NAME,
    OVERLAYS,
    alert_rules,
    container_of,
    feed_metric_names,
    one,
    rendered,
    secret_env,
    workload_settings,
)

EXAMPLE_FEEDS = DEPLOY_DIR / "feeds.example.toml"
BASE_FEEDS = K8S_DIR / "base" / "feeds.toml"
DEV_FEEDS = K8S_DIR / "overlays" / "dev" / "feeds.toml"
KAFKA_SASL = {"CINEALERT_KAFKA_SASL_USERNAME", "CINEALERT_KAFKA_SASL_PASSWORD"}
# Where each selecting kind keeps its pod selector.
SELECTOR_PATHS = {
    "Deployment": ("selector", "matchLabels"),
    "Service": ("selector",),
    "PodDisruptionBudget": ("selector", "matchLabels"),
    "NetworkPolicy": ("podSelector", "matchLabels"),
    "PodMonitor": ("selector", "matchLabels"),
}


def ingest_deployment(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return one(objects, "Deployment", INGEST[0])


def ingest_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return container_of(objects, INGEST)


def pod_labels(objects: list[dict[str, Any]], deployment: str) -> dict[str, str]:
    labels: dict[str, str] = one(objects, "Deployment", deployment)["spec"]["template"]["metadata"][
        "labels"
    ]
    return labels


def feed_list_file(objects: list[dict[str, Any]]) -> tuple[PurePosixPath, str]:
    """The path the ingester's args name, and that file's text from its ConfigMap volume."""
    container = ingest_container(objects)
    args = build_parser("ingest").parse_args(container["args"])
    path = PurePosixPath(str(args.feeds))
    (mount,) = [
        m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == path.parent
    ]
    assert mount.get("readOnly") is True
    volumes = ingest_deployment(objects)["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    assert "items" not in volume["configMap"], "every key of the ConfigMap is a file"
    config_map = one(objects, "ConfigMap", volume["configMap"]["name"])
    return path, config_map["data"][path.name]


def selector(obj: dict[str, Any]) -> dict[str, str]:
    """The labels ``obj`` selects pods by."""
    found: Any = obj["spec"]
    for key in SELECTOR_PATHS[obj["kind"]]:
        found = found[key]
    labels: dict[str, str] = found
    return labels


def feed_tables(text: str) -> dict[str, dict[str, Any]]:
    return {feed["name"]: feed for feed in tomllib.loads(text)["feed"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_is_one_pod_replaced_not_rolled(overlay: str) -> None:
    objects = rendered(overlay)
    spec = ingest_deployment(objects)["spec"]
    # Two ingesters would poll the same feeds: one replica, and the old pod stops first.
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    scaled = [o for o in objects if o["kind"] == "ScaledObject"]
    assert all(s["spec"]["scaleTargetRef"]["name"] != INGEST[0] for s in scaled)
    budgets = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    labels = pod_labels(objects, INGEST[0])
    assert not [
        b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_runs_cinealert_ingest_from_the_daemon_image(overlay: str) -> None:
    objects = rendered(overlay)
    container = ingest_container(objects)
    # The image's ENTRYPOINT is `cinealert` (tests/deploy/test_dockerfile.py): args only.
    assert "command" not in container
    args = build_parser("ingest").parse_args(container["args"])
    assert args.command == "ingest"
    assert args.feeds is not None and args.url is None and not args.once
    assert container["image"] == container_of(objects, DAEMON)["image"]
    pod_spec = ingest_deployment(objects)["spec"]["template"]["spec"]
    assert pod_spec["serviceAccountName"] == one(objects, "ServiceAccount")["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_reads_the_daemon_settings(overlay: str) -> None:
    objects = rendered(overlay)
    container = ingest_container(objects)
    assert container["envFrom"] == container_of(objects, DAEMON)["envFrom"]
    settings = workload_settings(objects, INGEST)
    assert settings.create_topics is False
    assert settings.http_host == "0.0.0.0"
    daemon = workload_settings(objects, DAEMON)
    assert (settings.input_topic, settings.dlq_topic) == (daemon.input_topic, daemon.dlq_topic)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_probes_and_metrics_on_its_http_port(overlay: str) -> None:
    objects = rendered(overlay)
    container = ingest_container(objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": workload_settings(objects, INGEST).http_port}
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    startup = container["startupProbe"]
    # Reading a long state topic before /healthz answers: minutes, not seconds.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    monitor = one(objects, "PodMonitor", INGEST[0])
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels(objects, INGEST[0]).items()
    )
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_is_a_small_cpu_pod_even_in_the_gpu_overlay(overlay: str) -> None:
    objects = rendered(overlay)
    deployment = ingest_deployment(objects)
    assert "nvidia.com/gpu" not in json.dumps(deployment)
    pod_spec = deployment["spec"]["template"]["spec"]
    assert "nodeSelector" not in pod_spec and "tolerations" not in pod_spec
    assert "initContainers" not in pod_spec  # no weights to verify
    resources = ingest_container(objects)["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}
    assert resources["limits"]["memory"].endswith("Mi")
    assert int(resources["limits"]["memory"].removesuffix("Mi")) <= 1024
    volumes = {v["name"] for v in pod_spec["volumes"] if "persistentVolumeClaim" in v}
    assert not volumes, "the ingester needs no models volume"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_writes_only_to_volumes(overlay: str) -> None:
    objects = rendered(overlay)
    container = ingest_container(objects)
    mounts = {PurePosixPath(m["mountPath"]): m for m in container["volumeMounts"]}
    assert not mounts[PurePosixPath("/tmp")].get("readOnly", False)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    settings = workload_settings(objects, INGEST)
    if settings.kafka_ssl_cafile is not None:
        cafile = PurePosixPath(str(settings.kafka_ssl_cafile))
        assert any(cafile.is_relative_to(path) for path in mounts), cafile


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_mounted_feed_list_parses(
    overlay: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = rendered(overlay)
    path, text = feed_list_file(objects)
    assert path == PurePosixPath("/etc/cinealert/feeds/feeds.toml")
    # Every secret a feed names must reach the pod from a Secret, never from the file.
    needed = {feed["auth"]["secret_env"] for feed in feed_tables(text).values() if "auth" in feed}
    from_secrets = secret_env(ingest_container(objects))
    assert needed <= set(from_secrets), sorted(needed - set(from_secrets))
    for name in needed:
        monkeypatch.setenv(name, "value-from-secret")
    local = tmp_path / path.name
    local.write_text(text, encoding="utf-8")
    feeds = load_feed_list(local)
    assert [feed.name for feed in feeds] == list(feed_tables(text))
    assert feeds


def test_feed_list_fails_without_its_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the pod does when the optional Secret is missing: refuse to start, naming it.
    monkeypatch.delenv("KR_SAFETYDATA_KEY", raising=False)
    local = tmp_path / "feeds.toml"
    local.write_text(feed_list_file(rendered("gpu"))[1], encoding="utf-8")
    with pytest.raises(FeedListError, match="KR_SAFETYDATA_KEY"):
        load_feed_list(local)


def test_base_feed_list_is_the_example_and_dev_keeps_a_subset() -> None:
    assert BASE_FEEDS.read_text(encoding="utf-8") == EXAMPLE_FEEDS.read_text(encoding="utf-8")
    example = feed_tables(EXAMPLE_FEEDS.read_text(encoding="utf-8"))
    dev = feed_tables(DEV_FEEDS.read_text(encoding="utf-8"))
    assert dev and all(example.get(name) == feed for name, feed in dev.items())
    # dev has no Secrets at all: none of its feeds may need one.
    assert not [name for name, feed in dev.items() if "auth" in feed]
    assert feed_list_file(rendered("dev"))[1] == DEV_FEEDS.read_text(encoding="utf-8")
    assert feed_list_file(rendered("gpu"))[1] == BASE_FEEDS.read_text(encoding="utf-8")


def test_feed_secrets_are_optional_secret_refs() -> None:
    objects = rendered("dev")
    env = {e["name"]: e for e in ingest_container(objects)["env"]}
    reference = env["KR_SAFETYDATA_KEY"]["valueFrom"]["secretKeyRef"]
    assert reference["optional"] is True
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        assert "KR_SAFETYDATA_KEY" not in config_map["data"]
        assert "serviceKey=" not in json.dumps(config_map["data"])


def test_gpu_ingester_gets_kafka_credentials_but_no_media_secrets() -> None:
    objects = rendered("gpu")
    refs = secret_env(ingest_container(objects))
    assert refs == {
        "CINEALERT_KAFKA_SASL_USERNAME": "cinealert-kafka-credentials",
        "CINEALERT_KAFKA_SASL_PASSWORD": "cinealert-kafka-credentials",
        "KR_SAFETYDATA_KEY": "cinealert-feed-credentials",
    }
    assert workload_settings(objects, INGEST).kafka_security_protocol == "SASL_SSL"
    volumes = ingest_deployment(objects)["spec"]["template"]["spec"]["volumes"]
    assert {
        "name": "kafka-ca",
        "secret": {
            "secretName": "cinealert-kafka-ca",
            "items": [{"key": "ca.crt", "path": "ca.crt"}],
        },
    } in volumes


def test_dev_ingester_needs_no_secret_but_the_optional_feed_one() -> None:
    refs = secret_env(ingest_container(rendered("dev")))
    assert not KAFKA_SASL & set(refs)
    assert refs == {"KR_SAFETYDATA_KEY": "cinealert-feed-credentials"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingest_state_topic_is_compacted_with_one_partition(overlay: str) -> None:
    objects = rendered(overlay)
    settings = workload_settings(objects, INGEST)
    assert settings.ingest_state_topic == Settings().ingest_state_topic
    (topic,) = [
        o["spec"]
        for o in objects
        if o["kind"] == "KafkaTopic" and o["spec"]["topicName"] == settings.ingest_state_topic
    ]
    assert topic["config"]["cleanup.policy"] == "compact"
    assert topic["partitions"] == 1
    assert topic["config"]["min.insync.replicas"] < topic["replicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_daemon_and_ingester_selectors_never_pick_each_other(overlay: str) -> None:
    objects = rendered(overlay)
    daemon_labels = pod_labels(objects, DAEMON[0])
    ingest_labels = pod_labels(objects, INGEST[0])
    assert daemon_labels["app.kubernetes.io/component"] == "daemon"
    assert ingest_labels["app.kubernetes.io/component"] == "ingest"

    selecting = [o for o in objects if o["kind"] in SELECTOR_PATHS]
    # The daemon's Deployment, Service, PDB, policy and monitor; the ingester's last three.
    assert len(selecting) == 8
    for obj in selecting:
        picks_daemon = selector(obj).items() <= daemon_labels.items()
        picks_ingest = selector(obj).items() <= ingest_labels.items()
        assert picks_daemon != picks_ingest, (obj["kind"], obj["metadata"]["name"])
        assert picks_ingest == obj["metadata"]["name"].endswith("-ingest"), obj["metadata"]["name"]
    for scaled in (o for o in objects if o["kind"] == "ScaledObject"):
        assert scaled["spec"]["scaleTargetRef"]["name"] == DAEMON[0]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingester_network_policy_opens_only_what_it_needs(overlay: str) -> None:
    policy = one(rendered(overlay), "NetworkPolicy", INGEST[0])["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert ingress["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    ports = {port["port"] for rule in policy["egress"] for port in rule["ports"]}
    assert ports == {53, 9092, 9093, 80, 443}
    for rule in policy["egress"]:
        assert rule.get("to"), "an egress rule without `to` opens its ports to everything"
    (web,) = [r for r in policy["egress"] if {p["port"] for p in r["ports"]} == {80, 443}]
    blocks = [peer["ipBlock"] for peer in web["to"]]
    assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}

    def allowed(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(
            ip in ipaddress.ip_network(b["cidr"])
            and not any(ip in ipaddress.ip_network(e) for e in b.get("except", []))
            for b in blocks
        )

    assert allowed("93.184.215.14") and allowed("2606:4700::1111")
    for private in ("169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "fd00::1"):
        assert not allowed(private), private


def test_feed_alert_rules_watch_silence_failures_and_refusals() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules(rendered("gpu"))}
    needed = {
        "CinealertFeedSilent": "cinealert_feed_last_success_timestamp_seconds",
        "CinealertFeedFailing": "cinealert_feed_consecutive_failures",
        "CinealertFeedAlertsRefused": "cinealert_feed_alerts_refused_total",
    }
    for alert, metric in needed.items():
        rule = rules[alert]
        assert metric in rule["expr"], alert
        assert "feed" in rule["expr"], f"{alert} must keep the feed label"
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert ">= 5" in rules["CinealertFeedFailing"]["expr"]
    assert rules["CinealertFeedSilent"]["for"] == "10m"
    # Every metric the ingester's rules name is one its registry creates.
    exported = feed_metric_names()
    used = {name for alert in needed for name in METRIC_NAME.findall(rules[alert]["expr"])}
    assert used <= exported, sorted(used - exported)
