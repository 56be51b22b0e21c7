# The base image is rebuilt on a schedule, not pinned forever: a Cloud Build trigger runs
# cloudrun/base-image.cloudbuild.yaml from the repository (as vbuf-build, which may push to the repository), and a
# Cloud Scheduler job runs that trigger weekly. Each rebuild pushes vbuf-base:bookworm and prints the digest the next
# release takes as _BASE_DIGEST (docs/releasing.md, "Supply chain"). The release build's SBOM and provenance are in
# cloudrun/cloudbuild.yaml.
resource "google_cloudbuild_trigger" "base_image" {
  name            = "vbuf-base-image"
  location        = var.region
  description     = "Rebuild vbuf's base image (Debian 12, FFmpeg's runtime libraries, Java runtime) for OS fixes"
  service_account = google_service_account.vbuf["build"].id

  # a manual trigger: no push event starts it, the scheduler job below does
  source_to_build {
    uri       = var.source_repository
    ref       = "refs/heads/main"
    repo_type = "GITHUB"
  }
  git_file_source {
    path      = "cloudrun/base-image.cloudbuild.yaml"
    uri       = var.source_repository
    revision  = "refs/heads/main"
    repo_type = "GITHUB"
  }
  substitutions = {
    _REGION      = var.region
    _REPOSITORY  = var.repository
    _MAVEN_IMAGE = var.builder_images.maven
  }
}

# Runs the trigger; its own account may run builds and act as vbuf-build, nothing else.
resource "google_service_account" "base_image_scheduler" {
  account_id   = "vbuf-base-scheduler"
  display_name = "vbuf base image rebuild schedule"
}

resource "google_project_iam_member" "base_image_scheduler" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.editor"
  member  = "serviceAccount:${google_service_account.base_image_scheduler.email}"
}

resource "google_service_account_iam_member" "base_image_scheduler_as_build" {
  service_account_id = google_service_account.vbuf["build"].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.base_image_scheduler.email}"
}

resource "google_cloud_scheduler_job" "base_image" {
  name        = "vbuf-base-image"
  region      = var.region
  description = "Weekly rebuild of vbuf's base image (Cloud Build trigger vbuf-base-image)"
  schedule    = var.base_image_schedule
  time_zone   = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = "https://cloudbuild.googleapis.com/v1/projects/${var.project_id}/locations/${var.region}/triggers/${google_cloudbuild_trigger.base_image.trigger_id}:run"
    body        = base64encode(jsonencode({ source = { branchName = "main" } }))
    oauth_token {
      service_account_email = google_service_account.base_image_scheduler.email
    }
  }
}
