"""One module per `cinealert` subcommand (see daemon.cli), plus the demo's helpers.

The top layer: may import every other part of ``daemon``; only ``daemon.cli`` imports it.
"""
