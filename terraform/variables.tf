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

variable "source_repository" {
  description = "vbuf's Git repository (connected to Cloud Build), e.g. https://github.com/OWNER/vbuf: the base image rebuild builds from its main branch."
  type        = string
}

variable "builder_images" {
  description = "Images the pipeline's own jobs run on, each by digest (no defaults: a digest cannot be made up): cloud_sdk, the Google Cloud CLI the canary analysis check runs in (cloudrun/clouddeploy.yaml); maven, the Maven + Temurin 21 image the base image rebuild runs on (as cloudbuild.yaml's _MAVEN_IMAGE)."
  type = object({
    cloud_sdk = string
    maven     = string
  })
  validation {
    condition = alltrue([for image in values(var.builder_images) :
    can(regex("@sha256:[0-9a-f]{64}$", image)) && !can(regex("@sha256:0{64}$", image))])
    error_message = "Each of builder_images must name its image by digest (IMAGE@sha256:<64 hex digits>)."
  }
}

variable "base_image_schedule" {
  description = "When the base image is rebuilt (cron, UTC): weekly by default, so Debian's security fixes reach the next release within a week."
  type        = string
  default     = "0 4 * * 1"
}
