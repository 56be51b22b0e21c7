output "alert_policies" {
  description = "Alert policy resource names, by alert name (the rollback triggers are the VbufRollback* ones)."
  value       = { for name, policy in google_monitoring_alert_policy.vbuf : name => policy.name }
}

output "dashboard_id" {
  value = google_monitoring_dashboard.vbuf.id
}

output "rollback_alert_policies" {
  description = "Alert policy names of the automatic-rollback triggers (rollback = \"true\"), by alert name: what cloudrun/clouddeploy.yaml's analysis watches (docs/releasing.md fills its placeholders from this)."
  value       = { for name, policy in google_monitoring_alert_policy.vbuf : name => policy.name if policy.user_labels.rollback == "true" }
}
