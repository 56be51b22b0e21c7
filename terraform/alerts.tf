# One Cloud Monitoring alert policy per alert in k8s/monitoring/vbuf.rules.yaml: the same PromQL that GKE's Managed
# Prometheus evaluates (k8s/monitoring/rules.yaml), so Cloud Run and GKE alert alike and the two cannot drift.
locals {
  rule_groups = yamldecode(file("${path.module}/../k8s/monitoring/vbuf.rules.yaml")).groups
  alerts = {
    for pair in flatten([
      for group in local.rule_groups : [
        for rule in group.rules : { group = group.name, rule = rule } if can(rule.alert)
      ]
    ]) : pair.rule.alert => merge(pair.rule, { group = pair.group })
  }
  # vbuf's severities -> Cloud Monitoring's
  severities = { page = "CRITICAL", ticket = "ERROR", info = "WARNING" }
}

resource "google_monitoring_notification_channel" "email" {
  display_name = "${var.service_name} on-call"
  type         = "email"
  labels = {
    email_address = var.notification_email
  }
}

resource "google_monitoring_alert_policy" "vbuf" {
  for_each = local.alerts

  display_name = "${var.service_name}: ${each.key}"
  combiner     = "OR"
  severity     = local.severities[each.value.labels.severity]

  conditions {
    display_name = each.value.annotations.summary
    condition_prometheus_query_language {
      query               = each.value.expr
      duration            = "${tonumber(trimsuffix(each.value["for"], "m")) * 60}s"
      evaluation_interval = "60s"
      rule_group          = each.value.group
      alert_rule          = each.key
      labels              = each.value.labels
    }
  }

  notification_channels = [google_monitoring_notification_channel.email.id]

  documentation {
    content   = "${each.value.annotations.summary}\n\n${each.value.annotations.runbook}"
    mime_type = "text/markdown"
  }

  alert_strategy {
    auto_close = "1800s"
  }

  user_labels = {
    service  = var.service_name
    rollback = lookup(each.value.labels, "rollback", "false")
  }
}
