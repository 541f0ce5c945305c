"""The per-hazard media cache and its replication through a compacted Kafka topic.

Imports nothing else from ``daemon``: the Kafka clients it uses are handed in.
"""
