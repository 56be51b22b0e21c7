# The vbuf dashboard: PromQL tiles over vbuf's metrics and the platforms' CPU/memory metrics.
resource "google_monitoring_dashboard" "vbuf" {
  dashboard_json = file("${path.module}/dashboards/vbuf.json")
}
