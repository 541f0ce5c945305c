"""Kafka plumbing: the embedded broker, topic creation, client configuration and the
input-topic group consumer.

May import ``daemon.runtime`` only.
"""
