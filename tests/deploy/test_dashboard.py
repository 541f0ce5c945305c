"""The Grafana dashboard: well-formed, and built only on metrics the daemon exports."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.manifests import (
    DEPLOY_DIR,
    METRIC_NAME,
    balanced,
    exported_metric_names,
    metric_families,
)

DASHBOARD = DEPLOY_DIR / "grafana" / "cinealert-dashboard.json"


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def queries(board: dict[str, Any]) -> list[str]:
    panel_queries = [t["expr"] for p in board["panels"] for t in p["targets"]]
    variable_queries = [
        v["query"]["query"] for v in board["templating"]["list"] if v["type"] == "query"
    ]
    return panel_queries + variable_queries


def test_dashboard_panels_are_well_formed() -> None:
    board = dashboard()
    assert board["uid"] == "cinealert"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["targets"], panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
    variables = {v["name"] for v in board["templating"]["list"]}
    assert {"datasource", "namespace", "pod"} <= variables


def test_dashboard_uses_only_exported_metric_names() -> None:
    exported = exported_metric_names()
    used = {name for query in queries(dashboard()) for name in METRIC_NAME.findall(query)}
    assert used <= exported, sorted(used - exported)


def test_dashboard_shows_every_metric_the_daemon_exports() -> None:
    used = {name for query in queries(dashboard()) for name in METRIC_NAME.findall(query)}
    missing = {
        family
        for family in metric_families()
        if not any(name == family or name.startswith(family + "_") for name in used)
    }
    assert not missing, sorted(missing)


def test_dashboard_queries_are_balanced() -> None:
    for query in queries(dashboard()):
        assert balanced(query), query
    assert not balanced('sum(rate(cinealert_records_total{status="failed"}[5m])')
