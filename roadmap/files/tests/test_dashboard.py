from __future__ import annotations

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from deploytools import dashboard
from tests.stub_server import serve

DASHBOARD = Path(__file__).resolve().parents[1] / "monitoring" / "grafana" / "lucky-gas-overview.json"
EXPOSITION = """# HELP http_requests_total HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",path="/health",status="200"} 3
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005"} 3
# TYPE luckygas_orders_total counter
luckygas_orders_total{cylinder_type="50kg"} 0
"""


class MetricNames(unittest.TestCase):
    def test_functions_labels_and_ranges_are_not_metrics(self) -> None:
        expr = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{path="/x"}[5m])))'
        self.assertEqual(dashboard.metric_names(expr), {"http_request_duration_seconds_bucket"})

    def test_arithmetic_between_metrics(self) -> None:
        expr = '100 * sum(rate(errors_total{status=~"5.."}[5m])) / sum(rate(requests_total[5m])) > 1e3'
        self.assertEqual(dashboard.metric_names(expr), {"errors_total", "requests_total"})

    def test_a_bare_metric(self) -> None:
        self.assertEqual(dashboard.metric_names("luckygas_customers"), {"luckygas_customers"})


class Dashboard(unittest.TestCase):
    def test_missing_metrics_name_their_panels(self) -> None:
        board = {"panels": [{"title": "Orders", "datasource": {"type": "prometheus"},
                             "targets": [{"expr": "sum(rate(luckygas_orders_total[5m]))"}]},
                            {"type": "row", "panels": [{"title": "Deliveries", "datasource": {"type": "prometheus"},
                                                        "targets": [{"expr": "luckygas_deliveries_total"}]}]},
                            {"title": "SQL", "targets": [{"datasource": {"type": "stackdriver"}}]}]}
        self.assertEqual(dashboard.missing(board, EXPOSITION), {"luckygas_deliveries_total": ["Deliveries"]})
        self.assertEqual(dashboard.queries(board), (["sum(rate(luckygas_orders_total[5m]))",
                                                     "luckygas_deliveries_total"], 1))

    def test_the_shipped_dashboard_has_golden_signals_and_business_panels(self) -> None:
        board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
        exprs, others = dashboard.queries(board)
        names = set().union(*(dashboard.metric_names(expr) for expr in exprs))
        self.assertLessEqual({"http_requests_total", "http_request_duration_seconds_bucket",
                              "luckygas_orders_total", "luckygas_deliveries_total",
                              "luckygas_route_optimizations_total", "luckygas_demand_predictions_total"}, names)
        self.assertGreaterEqual(others, 3)  # Cloud Run, Cloud SQL, Redis from Cloud Monitoring

    def test_main_scrapes_and_fails_on_a_missing_metric(self) -> None:
        board = {"title": "t", "panels": [{"title": "p", "datasource": {"type": "prometheus"},
                                           "targets": [{"expr": "rate(absent_total[5m])"}]}]}
        with tempfile.TemporaryDirectory() as folder, serve([(200, {}, EXPOSITION)]) as (url, _received):
            path = Path(folder) / "board.json"
            path.write_text(json.dumps(board), encoding="utf-8")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(dashboard.main([str(path), url + "/metrics"]), 1)
            self.assertIn("missing metric absent_total (panels: p)", out.getvalue())
            self.assertIn("::metric dashboard_missing_metrics=1", out.getvalue())
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(dashboard.main([str(path), "http://127.0.0.1:9/metrics"]), 2)
                self.assertEqual(dashboard.main([]), 2)


if __name__ == "__main__":
    unittest.main()
