"""The alert flow: Kafka session lifecycle, per-message decisions, dedupe, the priority
queue, single flight, offsets, render workers and the output records.

May import ``daemon.cache``, ``daemon.kafka``, ``daemon.media``, ``daemon.runtime``,
``cap`` and ``pipeline`` (its torch-free interface only); never ``daemon.commands``.
"""
