"""Trust in the service, on a real broker: scope (only public alerts become public
records and media) and sender signatures (verified against a trust store, refused to
the DLQ otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.runtime.settings import Settings, SettingsError
from tests.cap.signing import make_ca, make_signer, sign_alert
from tests.conftest import TopicNames
from tests.support.cap_alerts import cap_alert
from tests.support.fake_renderer import FakeRenderer
from tests.support.kafka import consume_messages, produce_messages
from tests.support.service_harness import (
    by_identifier,
    read_records,
    running_service,
    service_settings,
)

pytestmark = pytest.mark.slow


def _scoped(identifier: str, scope: str, extra: str = "") -> bytes:
    public = cap_alert(identifier, "flood")
    return public.replace(b"<scope>Public</scope>", f"<scope>{scope}</scope>{extra}".encode())


def _dlq_codes(messages: list[object]) -> list[str]:
    codes = []
    for message in messages:
        headers = dict(message.headers)  # type: ignore[attr-defined]
        codes.append(headers["cinealert-error-code"].decode())
    return codes


async def test_restricted_and_private_alerts_are_skipped_and_not_described(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path, shared_dir: Path
) -> None:
    settings = service_settings(kafka_bootstrap, topic_names, tmp_path)
    korean = (shared_dir / "cap-corpus" / "kieas-korea" / "HRA_RESTRICT.xml").read_bytes()
    inputs = [
        cap_alert("public-1", "flood"),
        _scoped("restricted-1", "Restricted", "<restriction>Responders only</restriction>"),
        _scoped("private-1", "Private", "<addresses>ops@example.org</addresses>"),
        korean,
    ]
    renderer = FakeRenderer()
    async with running_service(settings, renderer):
        await produce_messages(kafka_bootstrap, topic_names.input, inputs)
        records = list(
            by_identifier(await read_records(kafka_bootstrap, topic_names.output, 4)).values()
        )
    public = [r for r in records if r["alert"]["scope"] == "Public"]
    hidden = [r for r in records if r["alert"]["scope"] != "Public"]
    assert [r["status"] for r in public] == ["rendered"]
    assert len(hidden) == 3
    for record in hidden:
        assert (record["status"], record["reason"]) == ("skipped", "scope-restricted")
        assert record["media"] == [] and record["alt_text"] is None
        assert record["alert"]["event"] is None and record["alert"]["areaDesc"] is None
        assert "restriction" not in record["alert"] and "addresses" not in record["alert"]
    assert {r["alert"]["scope"] for r in hidden} == {"Restricted", "Private"}
    assert len(renderer.requests) == 1, "only the public alert was rendered"


async def test_opted_in_restricted_alerts_are_rendered_on_their_own(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    """With the opt-in, each restricted alert gets its own render (never a cache hit of
    another alert's) and its record carries scope, restriction and addresses."""
    settings = service_settings(
        kafka_bootstrap,
        topic_names,
        tmp_path,
        render_restricted=True,
        media_backend="s3",
        s3_bucket="restricted-media",
    )
    inputs = [
        _scoped("r-1", "Restricted", "<restriction>Responders only</restriction>"),
        _scoped("r-2", "Restricted", "<restriction>Responders only</restriction>"),
        _scoped("p-1", "Private", "<addresses>ops@example.org</addresses>"),
    ]
    renderer = FakeRenderer()
    async with running_service(settings, renderer):
        await produce_messages(kafka_bootstrap, topic_names.input, inputs)
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 3))
    assert {r["status"] for r in records.values()} == {"rendered"}
    assert len(renderer.requests) == 3
    assert records["r-1"]["alert"]["restriction"] == "Responders only"
    assert records["p-1"]["alert"]["addresses"] == "ops@example.org"
    assert records["p-1"]["alert"]["event"] == "Flood Warning"


def test_rendering_restricted_alerts_needs_a_store_without_public_urls() -> None:
    with pytest.raises(SettingsError, match="CINEALERT_RENDER_RESTRICTED"):
        Settings(render_restricted=True)  # local media are served publicly
    with pytest.raises(SettingsError, match="presigned"):
        Settings(
            render_restricted=True,
            media_backend="s3",
            s3_bucket="b",
            s3_public_base_url="https://cdn.example.org",
        )
    assert Settings(render_restricted=True, media_backend="s3", s3_bucket="b").render_restricted


def test_checking_signatures_needs_a_trust_store() -> None:
    with pytest.raises(SettingsError, match="CINEALERT_TRUST_STORE"):
        Settings(signature_policy="require")
    with pytest.raises(SettingsError, match="CINEALERT_TRUST_STORE"):
        Settings(signature_require_senders="w-nws.webmaster@noaa.gov")
    with pytest.raises(SettingsError, match="CINEALERT_SIGNATURE_POLICY"):
        Settings(signature_policy="sometimes")


async def test_signatures_are_verified_per_sender_policy(
    kafka_bootstrap: str, topic_names: TopicNames, tmp_path: Path
) -> None:
    ca = make_ca()
    trusted = make_signer(ca)
    stranger = make_signer(make_ca("Unknown CA"))
    store = tmp_path / "trust.pem"
    store.write_bytes(ca.pem)
    signed_sender = "signed@example.org"
    settings = service_settings(
        kafka_bootstrap,
        topic_names,
        tmp_path / "media",
        signature_policy="verify-if-present",
        signature_require_senders=signed_sender,
        trust_store=store,
    )
    good = sign_alert(trusted, data=cap_alert("good-1", "flood", sender=signed_sender))
    tampered = sign_alert(trusted, data=cap_alert("bad-1", "flood", sender=signed_sender))
    tampered = tampered.replace(b"Flood Warning for test county", b"Flood Warning for test countx")
    untrusted = sign_alert(stranger, data=cap_alert("stranger-1", "flood", sender=signed_sender))
    unsigned_required = cap_alert("unsigned-1", "flood", sender=signed_sender)
    unsigned_optional = cap_alert("other-1", "wildfire")
    inputs = [good, tampered, untrusted, unsigned_required, unsigned_optional]
    async with running_service(settings, FakeRenderer()):
        await produce_messages(kafka_bootstrap, topic_names.input, inputs)
        records = by_identifier(await read_records(kafka_bootstrap, topic_names.output, 2))
        dead = await consume_messages(kafka_bootstrap, topic_names.dlq, 3)
    assert set(records) == {"good-1", "other-1"}
    signature = records["good-1"]["signature"]
    assert signature["status"] == "valid"
    assert "alerts.example.org" in signature["signer"]
    assert len(signature["fingerprint"]) == 64
    assert records["other-1"]["signature"]["status"] == "absent"
    assert _dlq_codes(dead) == ["signature-invalid", "signature-untrusted", "signature-missing"]
