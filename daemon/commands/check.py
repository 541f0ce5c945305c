"""`cinealert check`: probe ``/readyz``; exit 0 when ready, 1 otherwise (for k8s probes)."""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from pathlib import Path

from daemon.runtime.settings import SettingsError, load_settings

HELP = "probe the daemon's /readyz; exit 0 when ready, 1 otherwise"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--url``, ``--path``, ``--timeout`` and ``--config``."""
    parser.add_argument(
        "--url", help="daemon base URL (default: from CINEALERT_HTTP_HOST/CINEALERT_HTTP_PORT)"
    )
    parser.add_argument("--path", default="/readyz", help="probe path (default /readyz)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument("--config", type=Path, help="TOML settings file")


def probe(url: str, timeout_s: float) -> tuple[bool, str]:
    """GET ``url``; (True, body) on HTTP 200, (False, reason) on anything else."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status == 200, body
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}: {error.read().decode('utf-8', errors='replace')}"
    except (urllib.error.URLError, OSError) as error:
        return False, f"cannot reach {url}: {error}"


def run(args: argparse.Namespace) -> int:
    """Print the probe result; exit status 0 ready, 1 not ready or unreachable, 2 bad config."""
    base = args.url
    if base is None:
        try:
            base = load_settings(config_file=args.config).http_url
        except SettingsError as error:
            print(f"cinealert check: {error}", file=sys.stderr)
            return 2
    url = base.rstrip("/") + args.path
    ok, detail = probe(url, args.timeout)
    print(detail.strip(), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
