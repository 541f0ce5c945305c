"""One module per `cinealert` subcommand (see daemon.cli)."""
