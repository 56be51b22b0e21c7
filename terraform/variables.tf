variable "project_id" {
  description = "Google Cloud project that runs vbuf (Cloud Run and/or GKE) and receives its Managed Prometheus metrics."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run service."
  type        = string
  default     = "us-east1"
}

variable "service_name" {
  description = "Cloud Run service / Knative service name; used in display names."
  type        = string
  default     = "vbuf"
}

variable "service_host" {
  description = "Host name the uptime check calls /health on, e.g. vbuf-abc123-ue.a.run.app (no scheme)."
  type        = string
}

variable "notification_email" {
  description = "Where alerts and budget notices go."
  type        = string
}

variable "billing_account_id" {
  description = "Billing account of the project, for the budget alert (e.g. 012345-6789AB-CDEF01)."
  type        = string
}

variable "monthly_budget_usd" {
  description = "Monthly budget in US dollars; notices at 50%, 90% and 100% of it."
  type        = number
  default     = 1000
}

variable "repository" {
  description = "Artifact Registry repository (in var.region) that holds vbuf's images, as cloudrun/cloudbuild.yaml's _REPOSITORY."
  type        = string
  default     = "vbuf"
}

variable "secret_key_secret" {
  description = "Secret Manager secret holding the token-signing key (VBUF_AUTH_SECRET_KEY)."
  type        = string
  default     = "vbuf-secret-key"
}

variable "rungmp_config_secret" {
  description = "Secret Manager secret holding the Managed Prometheus sidecar's configuration (cloudrun/rungmp-config.yaml)."
  type        = string
  default     = "vbuf-rungmp-config"
}

variable "cloud_sdk_image" {
  description = "Google Cloud CLI image the canary analysis check runs in (cloudrun/clouddeploy.yaml), by digest, e.g. gcr.io/google.com/cloudsdktool/cloud-sdk@sha256:...: no default, a digest cannot be made up."
  type        = string
  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.cloud_sdk_image)) && !can(regex("@sha256:0{64}$", var.cloud_sdk_image))
    error_message = "cloud_sdk_image must name the image by its digest (IMAGE@sha256:<64 hex digits>)."
  }
}
