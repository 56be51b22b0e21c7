data "google_project" "this" {
  project_id = var.project_id
}

# Budget alert at the analysis's $1,000/month: notices at 50%, 90% and 100% to the on-call channel.
resource "google_billing_budget" "vbuf" {
  billing_account = var.billing_account_id
  display_name    = "${var.service_name} monthly budget"

  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }

  amount {
    specified_amount {
      currency_code = "USD"
      units         = tostring(var.monthly_budget_usd)
    }
  }

  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }

  all_updates_rule {
    monitoring_notification_channels = [google_monitoring_notification_channel.email.id]
  }
}
