"""Create the daemon's topics when they are missing (``CINEALERT_CREATE_TOPICS``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from daemon.kafka.client_config import client_kwargs
from daemon.runtime.settings import Settings

TOPIC_ALREADY_EXISTS = 36
# The cache topic keeps only the newest record per key; Kafka compaction does that.
COMPACTED = {"cleanup.policy": "compact"}


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic; carries its name and Kafka error code."""

    def __init__(self, topic: str, code: int, message: str | None) -> None:
        self.topic = topic
        self.code = code
        super().__init__(f"creating topic {topic!r} failed: Kafka error {code}: {message}")


@dataclass(frozen=True)
class TopicSpec:
    """A topic to ensure: name, partition count and topic-level configs."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


def daemon_topics(settings: Settings) -> list[TopicSpec]:
    """Input, output and dead-letter topics, plus the compacted hazard-cache topic."""
    partitions = settings.topic_partitions
    return [
        TopicSpec(settings.input_topic, partitions),
        TopicSpec(settings.output_topic, partitions),
        TopicSpec(settings.dlq_topic, partitions),
        # One partition: every replica reads the whole cache at start anyway.
        TopicSpec(settings.cache_topic, 1, dict(COMPACTED)),
    ]


async def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    An existing topic is left as it is. Any other broker error raises TopicCreationError.
    """
    wanted = specs if specs is not None else daemon_topics(settings)
    admin = AIOKafkaAdminClient(**client_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in wanted if spec.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing]
        )
    finally:
        await admin.close()
    created: list[str] = []
    for topic, code, message in response.topic_errors:
        if code == 0:
            created.append(topic)
        elif code != TOPIC_ALREADY_EXISTS:  # another replica won the race: fine
            raise TopicCreationError(topic, code, message)
    return created
