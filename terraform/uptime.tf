# /health answers 200 while the service is ready and 503 otherwise (including while it drains on SIGTERM).
resource "google_monitoring_uptime_check_config" "health" {
  display_name = "${var.service_name} /health"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path         = "/health"
    port         = 443
    use_ssl      = true
    validate_ssl = true
    accepted_response_status_codes {
      status_value = 200
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.service_host
    }
  }
}
