"""Recorded CAP streams: the file format, retiming, the player and recorder, and the
collector that reads the records a replay produces (with the demo's results table).

May import ``daemon.kafka`` and ``daemon.runtime``.
"""
