# vbuf's service accounts on Cloud Run, one per job, each with only what that job does (docs/releasing.md, "Who may
# do what"). Project-wide roles only where Google Cloud has no narrower resource to grant them on.
#   vbuf-build   Cloud Build (a trigger's account, or --service-account): push the image, create a release
#   vbuf-deploy  Cloud Deploy's render, deploy and analysis jobs and its automations: change the Cloud Run services
#   vbuf-verify  Cloud Deploy's verify job, which runs the candidate's own image: pull it, read the token key
#   vbuf-run     the service itself: read its two secrets, write metrics and logs
# The secrets (vbuf-secret-key, vbuf-rungmp-config) and the Artifact Registry repository exist before this is applied
# (docs/operations.md, "Deploy to Cloud Run").
locals {
  accounts = {
    build  = "vbuf-build"
    deploy = "vbuf-deploy"
    verify = "vbuf-verify"
    run    = "vbuf-run"
  }
  # project-level roles, by account (each: what needs it)
  project_roles = {
    build = [
      "roles/clouddeploy.releaser", # gcloud deploy releases create
      "roles/logging.logWriter",    # the build's logs (CLOUD_LOGGING_ONLY)
    ]
    deploy = [
      "roles/clouddeploy.jobRunner",                # run render / deploy / analysis jobs
      "roles/clouddeploy.operator",                 # automations: advance, promote, repair (roll back)
      "roles/run.admin",                            # replace the services, incl. invoker-iam-disabled (setIamPolicy)
      "roles/monitoring.alertViewer",               # the canary analysis lists the open alerts (Monitoring API)
      "roles/serviceusage.serviceUsageConsumer",    # the analysis calls the Monitoring API on the project's quota
      "roles/logging.logWriter",
    ]
    verify = [
      "roles/clouddeploy.jobRunner", # run the verify job
      "roles/logging.logWriter",
    ]
    run = [
      "roles/monitoring.metricWriter", # the Managed Prometheus sidecar
      "roles/logging.logWriter",
    ]
  }
  project_bindings = merge([
    for account, roles in local.project_roles : { for role in roles : "${account} ${role}" => { account = account, role = role } }
  ]...)
}

resource "google_service_account" "vbuf" {
  for_each     = local.accounts
  account_id   = each.value
  display_name = "vbuf ${each.key}"
}

resource "google_project_iam_member" "vbuf" {
  for_each = local.project_bindings
  project  = var.project_id
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.vbuf[each.value.account].email}"
}

# The image repository: the build pushes; the deploy and verify jobs pull (verify runs the released image itself).
resource "google_artifact_registry_repository_iam_member" "push" {
  location   = var.region
  repository = var.repository
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.vbuf["build"].email}"
}

resource "google_artifact_registry_repository_iam_member" "pull" {
  for_each   = toset(["deploy", "verify"])
  location   = var.region
  repository = var.repository
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.vbuf[each.key].email}"
}

# Secrets, each on the one secret: the token key for the service and for verify (it signs its players' tokens); the
# sidecar's scrape configuration for the service only.
resource "google_secret_manager_secret_iam_member" "secret_key" {
  for_each  = toset(["run", "verify"])
  secret_id = var.secret_key_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.vbuf[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "rungmp_config" {
  secret_id = var.rungmp_config_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.vbuf["run"].email}"
}

# Acting as: the build creates releases that run as vbuf-deploy and vbuf-verify; vbuf-deploy deploys services that run
# as vbuf-run, and its automations act as itself and start verify jobs as vbuf-verify.
locals {
  act_as = {
    "build deploy"  = { actor = "build", as = "deploy" }
    "build verify"  = { actor = "build", as = "verify" }
    "deploy run"    = { actor = "deploy", as = "run" }
    "deploy deploy" = { actor = "deploy", as = "deploy" }
    "deploy verify" = { actor = "deploy", as = "verify" }
  }
}

resource "google_service_account_iam_member" "act_as" {
  for_each           = local.act_as
  service_account_id = google_service_account.vbuf[each.value.as].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.vbuf[each.value.actor].email}"
}
