"""Per-message handling: parse, dead-letter refused input, dedupe, decide, cache or queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord, TopicPartition

from cap.classify import classify_alert
from cap.document import parse_document
from cap.model import Alert
from cap.priority import PriorityError, priority_band, priority_score
from daemon.cache.hazard_cache import (
    cache_key,
)
from daemon.runtime.logging_setup import alert_context, get_logger, message_context
from daemon.service.alert_flow import RENDER, decide
from daemon.service.answered import AnsweredInput
from daemon.service.offsets import Ticket
from daemon.service.records import (
    Priority,
    SourcePosition,
)
from daemon.service.rendering import RenderDispatch
from daemon.service.signatures import UNCHECKED, SignatureVerdict
from daemon.service.state import BrokerLostError, QueuedAlert
from daemon.service.work_queue import QueueEntry
from pipeline.card.content import card_digest, card_text
from pipeline.card.renderer import PROFILE as CARD_PROFILE

log = get_logger(__name__)

ERROR_NO_ALERTS = "no-alerts"
# A message whose handling raised (a defect, or input nobody foresaw): dead-lettered.
ERROR_INTERNAL = "internal-error"


def is_session_failure(error: BaseException) -> bool:
    """Errors that end the Kafka session (and are retried by a new one), not one message.

    A record too large to publish is the message's problem, not the connection's.
    """
    if isinstance(error, MessageSizeTooLargeError):
        return False
    return isinstance(error, KafkaError | BrokerLostError | OSError)


class MessageHandling(RenderDispatch):
    """Turns one input message into records now or queued work."""

    async def _handle_message(self, record: ConsumerRecord[Any, Any]) -> None:
        partition = TopicPartition(record.topic, record.partition)
        consumed_at = self._clock()
        self.metrics.alerts_consumed.inc()
        if record.offset <= self.tracker.last_seen(partition):
            # The position moved back (offset reset, or a seek by the client after an
            # error): start the partition over, as after a rebalance, so nothing queued
            # under the old tracking is committed by its re-read copy.
            log.warning(
                "partition_rewound",
                partition=str(partition),
                offset=record.offset,
                last_seen=self.tracker.last_seen(partition),
            )
            self._hand_back({partition})
        ticket = self.tracker.begin(partition, record.offset, parts=0)
        source = SourcePosition(record.topic, record.partition, record.offset)
        with message_context(record.topic, record.partition, record.offset):
            try:
                await self._handle_value(record, ticket, source, consumed_at)
            except Exception as error:
                if is_session_failure(error):
                    raise
                # A bug or an input nobody foresaw must cost one message, not the session:
                # it goes to the DLQ (its bytes kept) and the partition moves on.
                await self._handling_failed(ticket, record, error)

    async def _handle_value(
        self,
        record: ConsumerRecord[Any, Any],
        ticket: Ticket,
        source: SourcePosition,
        consumed_at: float,
    ) -> None:
        value: bytes = record.value if record.value is not None else b""
        started = self._clock()
        document = parse_document(value, self.parse_limits)
        self._parse_seconds.observe(self._clock() - started)
        if document.error is not None:
            await self._dead_letter(ticket, record, document.error.code, document.error.message)
            return
        for rejected in document.rejected:
            await self._dead_letter(
                ticket, record, rejected.error.code, rejected.error.message, rejected.index
            )
        if not document.alerts and not document.rejected:
            await self._dead_letter(
                ticket, record, ERROR_NO_ALERTS, f"{document.kind} input carries no CAP alert"
            )
        verdict = UNCHECKED
        if document.alerts and self.signatures.checks_anything:
            verdict = self.signatures.judge(
                value, document.kind, [alert.sender for alert in document.alerts]
            )
            if verdict.refusal is not None:
                await self._dead_letter(ticket, record, verdict.refusal, verdict.message)
                return
            if verdict.signed_data is not None:
                # Read exactly what the signature covers, nothing the input added around it.
                document = parse_document(verdict.signed_data, self.parse_limits)
        for index, alert in enumerate(document.alerts):
            self.tracker.add_parts(ticket, 1)
            try:
                await self._handle_alert(alert, ticket, source, consumed_at, verdict)
            except Exception as error:
                if is_session_failure(error):
                    raise
                # Nothing took over this alert's part (a record or queued work): close it
                # here, and dead-letter the message naming the alert that failed.
                self.tracker.finish(ticket)
                await self._handling_failed(ticket, record, error, index)

    def _already_answered(self, alert: Alert, ticket: Ticket, source: SourcePosition) -> bool:
        """A re-read message whose record a previous reader published: finish it silently."""
        answered = AnsweredInput(source.partition, source.offset, alert.sender, alert.identifier)
        if answered not in self.answered:
            return False
        self.answered.discard(answered)
        self.seen.first_time(alert.key)
        self.metrics.repeats_suppressed.inc()
        log.info("already_answered", offset=source.offset)
        self.tracker.finish(ticket)
        return True

    async def _handling_failed(
        self,
        ticket: Ticket,
        record: ConsumerRecord[Any, Any],
        error: Exception,
        item_index: int | None = None,
    ) -> None:
        log.error("input_handling_failed", error=repr(error), item=item_index, exc_info=error)
        await self._dead_letter(ticket, record, ERROR_INTERNAL, repr(error), item_index)

    async def _handle_alert(
        self,
        alert: Alert,
        ticket: Ticket,
        source: SourcePosition,
        consumed_at: float,
        signature: SignatureVerdict = UNCHECKED,
    ) -> None:
        """Decide one alert; the caller added its part, which a record or queued work takes."""
        with alert_context(alert.identifier, alert.sender):
            if self.answered and self._already_answered(alert, ticket, source):
                return
            hazard = classify_alert(alert).hazard
            if not self.seen.first_time(alert.key):
                self.metrics.duplicates.inc()
                log.info("duplicate_alert", sent=alert.sent.isoformat())
                self.tracker.finish(ticket)
                return
            now = self._wall_clock()
            decision = decide(
                alert,
                hazard,
                now,
                self.settings.render_test_alerts,
                self.settings.render_restricted,
            )
            if decision.withdraws:
                for entry in self.queue.remove_alerts(decision.withdraws):
                    withdrawn = entry.payload
                    log.info(
                        "queued_alert_withdrawn",
                        withdrawn=withdrawn.alert.identifier,
                        reason=decision.withdraw_reason,
                    )
                    await self._publish_record(
                        withdrawn, "cancelled", reason=decision.withdraw_reason
                    )
            work = QueuedAlert(
                alert, hazard, _priority(alert, now), ticket, source, consumed_at, signature
            )
            if decision.outcome != RENDER:
                await self._publish_record(work, decision.outcome, reason=decision.reason)
                return
            key = cache_key(hazard, self.settings.render_method, self.workers.profile)
            if self.workers.profile == CARD_PROFILE:
                # A card carries the alert's own words: shared only by alerts that say the
                # same thing in the same language (repeats, updates that change nothing).
                key = f"{key}|{card_digest(work.hazard, card_text(alert))}"
            if alert.scope != "Public":
                # An opted-in restricted render is this alert's own: never shared, never
                # served to another alert from the cache.
                key = f"{key}|{alert.scope}|{alert.sender}|{alert.identifier}"
            variant = self.cache.lookup(key)
            if variant is not None:
                self.metrics.cache_hits.inc()
                await self._publish_record(work, "cached", outcome=self._outcome(variant))
                return
            self.metrics.cache_misses.inc()
            if self.settings.card_policy == "first" and self._card_renderer is not None:
                self._start_provisional_card(work)
            score = work.priority.score if work.priority else 0.0
            band = work.priority.band if work.priority else "low"
            self.queue.put(
                QueueEntry(alert.key, key, band, score, ticket.partition, ticket.offset, work)
            )


def _priority(alert: Alert, now: datetime) -> Priority | None:
    try:
        score = priority_score(alert, now)
        return Priority(score, priority_band(score))
    except PriorityError as error:
        log.warning("priority_unavailable", error=str(error))
        return None
