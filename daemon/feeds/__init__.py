"""Feed ingestion (cinealert ingest): poll CAP alert feeds and produce new alerts to the
input topic.

Layer: imports daemon.kafka and daemon.runtime and cap, never daemon.service or
daemon.commands.
"""
