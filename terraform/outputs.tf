output "alert_policies" {
  description = "Alert policy resource names, by alert name (the rollback triggers are the VbufRollback* ones)."
  value       = { for name, policy in google_monitoring_alert_policy.vbuf : name => policy.name }
}

output "dashboard_id" {
  value = google_monitoring_dashboard.vbuf.id
}
