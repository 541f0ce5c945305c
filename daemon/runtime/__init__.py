"""What every process of the service stands on: settings, logging, metrics, health,
the HTTP server and child processes.

The bottom layer: imports nothing else from ``daemon``.
"""
