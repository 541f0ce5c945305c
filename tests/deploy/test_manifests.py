"""Every overlay renders, validates against Kubernetes and CRD schemas, and keeps its invariants."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from daemon.runtime.settings import Settings
from tests.deploy.manifests import (
    CRD_SCHEMA_DIR,
    DAEMON,
    INGEST,
    METRIC_NAME,
    OVERLAYS,
    alert_rules,
    balanced,
    container_of,
    exported_metric_names,
    feed_metric_names,
    one,
    pod_environment,
    rendered,
    secret_env,
    workload_settings,
)

# Oldest Kubernetes minor the manifests promise to work on, and the newest bundled schema.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())
CRD_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    group_version = api_version.replace("/", "-")
    path = CRD_SCHEMA_DIR / f"{kind.lower()}-{group_version}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def daemon_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return container_of(objects, DAEMON)


def daemon_settings(objects: list[dict[str, Any]]) -> Settings:
    return workload_settings(objects, DAEMON)


def daemon_deployment(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return one(objects, "Deployment", DAEMON[0])


def all_containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] in ("Deployment", "Job")]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_kinds_validate_against_kubernetes_schemas(overlay: str) -> None:
    built_in = [o for o in rendered(overlay) if (o["apiVersion"], o["kind"]) not in CRD_KINDS]
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"} <= {
        o["kind"] for o in built_in
    }
    for version in KUBERNETES_VERSIONS:
        for obj in built_in:
            # strict: an unknown (misspelt) field fails too.
            kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_validate_against_their_documented_fields(overlay: str) -> None:
    custom = [o for o in rendered(overlay) if (o["apiVersion"], o["kind"]) in CRD_KINDS]
    kinds = {o["kind"] for o in custom}
    assert {"KafkaTopic", "PodMonitor", "PrometheusRule"} <= kinds
    for obj in custom:
        jsonschema.validate(obj, crd_schema(obj["apiVersion"], obj["kind"]))


def test_crd_schemas_reject_what_the_operators_would_reject() -> None:
    objects = rendered("gpu")
    scaled = one(objects, "ScaledObject")
    broken = json.loads(json.dumps(scaled))
    del broken["spec"]["triggers"][0]["metadata"]["consumerGroup"]
    with pytest.raises(jsonschema.ValidationError, match="consumerGroup"):
        jsonschema.validate(broken, crd_schema(scaled["apiVersion"], "ScaledObject"))
    topic = one(objects, "KafkaTopic", "cap-alerts")
    broken = json.loads(json.dumps(topic))
    del broken["metadata"]["labels"]["strimzi.io/cluster"]
    with pytest.raises(jsonschema.ValidationError, match=r"strimzi\.io/cluster"):
        jsonschema.validate(broken, crd_schema(topic["apiVersion"], "KafkaTopic"))


def test_kubernetes_schema_validation_catches_a_misspelt_field() -> None:
    deployment = json.loads(json.dumps(daemon_deployment(rendered("gpu"))))
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 10
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_map_holds_only_valid_daemon_settings(overlay: str) -> None:
    objects = rendered(overlay)
    config_map = one(
        objects, "ConfigMap", daemon_container(objects)["envFrom"][0]["configMapRef"]["name"]
    )
    assert all(key.startswith("CINEALERT_") for key in config_map["data"])
    # load_settings refuses unknown CINEALERT_* names and invalid values.
    settings = daemon_settings(objects)
    assert settings.http_host == "0.0.0.0"
    assert settings.create_topics is False


def test_dev_overlay_is_one_cpu_replica_with_tiny_models() -> None:
    objects = rendered("dev")
    deployment = daemon_deployment(objects)
    assert deployment["spec"]["replicas"] == 1
    settings = daemon_settings(objects)
    assert settings.models == "tiny"
    assert settings.render_workers == "cpu"
    assert "nvidia.com/gpu" not in json.dumps(objects)
    assert not [o for o in objects if o["kind"] == "ScaledObject"]


def test_gpu_overlay_asks_for_one_gpu_on_gpu_nodes() -> None:
    objects = rendered("gpu")
    pod_spec = daemon_deployment(objects)["spec"]["template"]["spec"]
    resources = daemon_container(objects)["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == 1
    assert resources["requests"]["nvidia.com/gpu"] == 1
    assert pod_spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod_spec[
        "tolerations"
    ]
    settings = daemon_settings(objects)
    assert settings.models == "full"
    assert settings.render_workers == "auto"
    # KEDA owns the replica count; a fixed one would fight it on every apply.
    assert "replicas" not in daemon_deployment(objects)["spec"]


def config_map_references(pod_spec: dict[str, Any]) -> set[str]:
    """Names of the ConfigMaps a pod reads: envFrom, env valueFrom and volumes."""
    names = {v["configMap"]["name"] for v in pod_spec.get("volumes", []) if "configMap" in v}
    for container in all_containers(pod_spec):
        names |= {
            s["configMapRef"]["name"] for s in container.get("envFrom", []) if "configMapRef" in s
        }
        names |= {
            e["valueFrom"]["configMapKeyRef"]["name"]
            for e in container.get("env", [])
            if "configMapKeyRef" in e.get("valueFrom", {})
        }
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_read_the_hashed_generated_config_maps(overlay: str) -> None:
    # kustomize suffixes generated ConfigMaps with a content hash and renames the
    # references it knows; one it misses would point at a ConfigMap that never exists.
    objects = rendered(overlay)
    config_maps = {o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"}
    assert config_maps
    for name in config_maps:
        assert re.fullmatch(r"cinealert-[a-z-]+-[a-z0-9]{10}", name), name
    for workload in workloads(objects):
        references = config_map_references(workload["spec"]["template"]["spec"])
        assert references, workload["metadata"]["name"]
        assert references <= config_maps, (workload["metadata"]["name"], references)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_hit_the_daemon_endpoints_on_its_http_port(overlay: str) -> None:
    objects = rendered(overlay)
    container = daemon_container(objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == daemon_settings(objects).http_port
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    service = one(objects, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    endpoint = one(objects, "PodMonitor", "cinealert")["spec"]["podMetricsEndpoints"][0]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")


def test_gpu_startup_probe_allows_model_warm_up() -> None:
    startup = daemon_container(rendered("gpu"))["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_covers_render_deadline_and_drain(overlay: str) -> None:
    objects = rendered(overlay)
    settings = daemon_settings(objects)
    grace = daemon_deployment(objects)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= settings.render_deadline_s + settings.shutdown_grace_s


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_locked_down(overlay: str) -> None:
    objects = rendered(overlay)
    # The daemon and the feed ingester (and the gpu overlay's weights Job).
    assert {DAEMON[0], INGEST[0]} <= {w["metadata"]["name"] for w in workloads(objects)}
    for workload in workloads(objects):
        pod_spec = workload["spec"]["template"]["spec"]
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        assert pod_spec["securityContext"]["runAsUser"] != 0
        assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod_spec["automountServiceAccountToken"] is False
        for container in all_containers(pod_spec):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "privileged" not in context
            assert "memory" in container["resources"]["limits"], container["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_writable_paths_are_volumes(overlay: str) -> None:
    objects = rendered(overlay)
    settings = daemon_settings(objects)
    mounts = {m["mountPath"]: m for m in daemon_container(objects)["volumeMounts"]}

    def mount_of(path: PurePosixPath) -> dict[str, Any]:
        owners = [m for p, m in mounts.items() if path.is_relative_to(p)]
        assert owners, f"{path} is on the read-only root filesystem"
        return owners[0]

    assert not mount_of(PurePosixPath("/tmp")).get("readOnly", False)
    assert not mount_of(PurePosixPath(str(settings.media_dir))).get("readOnly", False)
    assert settings.model_cache_dir is not None
    mount_of(PurePosixPath(str(settings.model_cache_dir)))
    if settings.kafka_ssl_cafile is not None:
        mount_of(PurePosixPath(str(settings.kafka_ssl_cafile)))


def test_gpu_credentials_come_from_secrets() -> None:
    objects = rendered("gpu")
    secret_refs = secret_env(daemon_container(objects))
    assert secret_refs == {
        "CINEALERT_KAFKA_SASL_USERNAME": "cinealert-kafka-credentials",
        "CINEALERT_KAFKA_SASL_PASSWORD": "cinealert-kafka-credentials",
        "CINEALERT_S3_ACCESS_KEY_ID": "cinealert-s3-credentials",
        "CINEALERT_S3_SECRET_ACCESS_KEY": "cinealert-s3-credentials",
    }
    settings = daemon_settings(objects)
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.media_backend == "s3"
    volumes = daemon_deployment(objects)["spec"]["template"]["spec"]["volumes"]
    assert {
        "name": "kafka-ca",
        "secret": {
            "secretName": "cinealert-kafka-ca",
            "items": [{"key": "ca.crt", "path": "ca.crt"}],
        },
    } in volumes
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        assert not set(secret_refs) & set(config_map["data"]), config_map["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topics_match_settings_and_cache_topic_is_compacted(overlay: str) -> None:
    objects = rendered(overlay)
    settings = daemon_settings(objects)
    topics = {o["spec"]["topicName"]: o["spec"] for o in objects if o["kind"] == "KafkaTopic"}
    assert set(topics) == {
        settings.input_topic,
        settings.output_topic,
        settings.dlq_topic,
        settings.cache_topic,
        settings.ingest_state_topic,
    }
    assert topics[settings.cache_topic]["config"]["cleanup.policy"] == "compact"
    assert topics[settings.input_topic]["config"].get("cleanup.policy", "delete") == "delete"


def test_keda_scales_on_lag_with_no_more_replicas_than_partitions() -> None:
    objects = rendered("gpu")
    settings = daemon_settings(objects)
    scaled = one(objects, "ScaledObject")["spec"]
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == settings.input_topic
    assert trigger["metadata"]["consumerGroup"] == settings.group_id
    assert trigger["metadata"]["bootstrapServers"] == settings.bootstrap_servers
    input_topic = next(
        o
        for o in objects
        if o["kind"] == "KafkaTopic" and o["spec"]["topicName"] == settings.input_topic
    )
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    assert scaled["maxReplicaCount"] <= input_topic["spec"]["partitions"]
    assert scaled["scaleTargetRef"]["name"] == DAEMON[0]
    auth = one(objects, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert {ref["parameter"] for ref in auth["spec"]["secretTargetRef"]} >= {"username", "password"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_pick_the_daemon_pods_and_rollouts_keep_capacity(overlay: str) -> None:
    objects = rendered(overlay)
    deployment = daemon_deployment(objects)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": one(objects, "Service")["spec"]["selector"],
        "PodDisruptionBudget": one(objects, "PodDisruptionBudget")["spec"]["selector"][
            "matchLabels"
        ],
        "NetworkPolicy": one(objects, "NetworkPolicy", "cinealert")["spec"]["podSelector"][
            "matchLabels"
        ],
        "PodMonitor": one(objects, "PodMonitor", "cinealert")["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        assert selector.items() <= pod_labels.items(), kind
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert (
        deployment["spec"]["template"]["spec"]["serviceAccountName"]
        == one(objects, "ServiceAccount")["metadata"]["name"]
    )


def test_gpu_weights_are_prefetched_into_the_volume_the_daemon_reads() -> None:
    objects = rendered("gpu")
    claim = one(objects, "PersistentVolumeClaim")["metadata"]["name"]
    job_spec = one(objects, "Job")["spec"]["template"]["spec"]
    pod_spec = daemon_deployment(objects)["spec"]["template"]["spec"]

    def claim_volume(spec: dict[str, Any]) -> dict[str, Any]:
        (volume,) = [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
        assert volume["persistentVolumeClaim"]["claimName"] == claim
        return volume

    assert claim_volume(pod_spec)["persistentVolumeClaim"]["readOnly"] is True
    claim_volume(job_spec)
    (fetch,) = job_spec["containers"]
    assert fetch["command"][-1] == "fetch"
    (verify,) = pod_spec["initContainers"]
    assert verify["command"][-1] == "verify"
    # The daemon itself must never reach the hub.
    env = pod_environment(objects)
    assert env["HF_HUB_OFFLINE"] == "1"
    settings = daemon_settings(objects)
    assert str(settings.model_cache_dir).startswith(env["HF_HOME"])
    assert set(settings.model_sources) >= {"t2i", "clip", "llm"}


def test_alert_rules_cover_lag_failures_silence_and_dead_letters() -> None:
    rules = {rule["alert"]: rule["expr"] for rule in alert_rules(rendered("gpu"))}
    needed = {
        "CinealertConsumerLagGrowing": "cinealert_consumer_lag_messages",
        "CinealertRenderFailures": "cinealert_records_total",
        "CinealertNoSuccessfulRender": "cinealert_last_successful_render_timestamp_seconds",
        "CinealertDeadLetterRate": "cinealert_dlq_messages_total",
    }
    for alert, metric in needed.items():
        assert metric in rules[alert], alert


def test_alert_rules_use_only_metrics_the_daemon_and_the_ingester_export() -> None:
    exported = exported_metric_names() | feed_metric_names()
    used = {
        name for rule in alert_rules(rendered("gpu")) for name in METRIC_NAME.findall(rule["expr"])
    }
    assert used, "no metric names found in the alert rules"
    assert used <= exported, sorted(used - exported)


def test_alert_expressions_are_balanced() -> None:
    for rule in alert_rules(rendered("gpu")):
        assert balanced(rule["expr"]), rule["alert"]
