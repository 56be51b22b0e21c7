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

output "clouddeploy_yaml" {
  description = "cloudrun/clouddeploy.yaml with this project's values and alert policy ids: what `gcloud deploy apply --file` takes (docs/releasing.md)."
  value       = local.clouddeploy_yaml
}

output "service_accounts" {
  description = "The release's service accounts, by job (build, deploy, verify, run)."
  value       = { for job, account in google_service_account.vbuf : job => account.email }
}
