# The Cloud Deploy pipeline (cloudrun/clouddeploy.yaml) with this project's values in place of its placeholders:
# PROJECT_ID, REGION, CLOUD_SDK_IMAGE (the image the canary analysis check runs in, pinned by digest), and each
# projects/PROJECT_ID/alertPolicies/<alert> replaced by the id of the policy alerts.tf made for that rollback alert. The file stays the one definition of the pipeline, checked offline by the Google Cloud
# CLI's own parser (ReleaseFilesTest); Terraform fills it in, so no hand-run sed or jq (docs/releasing.md):
#   terraform -chdir=terraform output -raw clouddeploy_yaml > /tmp/vbuf-clouddeploy.yaml
#   gcloud deploy apply --file /tmp/vbuf-clouddeploy.yaml --region "$REGION"
locals {
  alert_policy_line = "alertPolicies/([A-Za-z0-9]+)$"
  clouddeploy_yaml = replace(replace(replace(join("\n", [
    for line in split("\n", file("${path.module}/../cloudrun/clouddeploy.yaml")) :
    can(regex(local.alert_policy_line, line))
    ? replace(line, "/projects/PROJECT_ID/${local.alert_policy_line}/",
    google_monitoring_alert_policy.vbuf[regex(local.alert_policy_line, line)[0]].name)
    : line
  ]), "PROJECT_ID", var.project_id), "REGION", var.region), "CLOUD_SDK_IMAGE", var.builder_images.cloud_sdk)
}
