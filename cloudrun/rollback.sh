#!/usr/bin/env bash
# Emergency rollback of vbuf on Cloud Run (docs/releasing.md):
#   1. through Cloud Deploy when the target exists: `gcloud deploy targets rollback` (Cloud Deploy then knows the
#      release it is on, and the next release canaries against it);
#   2. else, or when that fails, straight to the previous ready revision: `gcloud run services update-traffic
#      --to-revisions PREV=100` (PREV: --to REVISION, else the newest ready revision that is not the latest created);
#   3. then the readiness endpoint of the service must answer 200.
# A rollback moves new connections only: WebSocket sessions already open on the bad revision stay on it until they
# close, at most the request timeout (timeoutSeconds, 3600 s).
#
# usage: cloudrun/rollback.sh [--dry-run] [--region R] [--project P] [--service vbuf] [--pipeline vbuf]
#                             [--target vbuf-prod] [--to REVISION]
#   --dry-run  look things up (read-only gcloud calls), print every command that would change something, change nothing
# Defaults: --region from $REGION, else gcloud's run/region; --project from $PROJECT_ID, else gcloud's core/project.
set -euo pipefail

dry_run=false
region="${REGION:-}"
project="${PROJECT_ID:-}"
service=vbuf
pipeline=vbuf
target=vbuf-prod
to=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=true; shift ;;
    --region) region="$2"; shift 2 ;;
    --project) project="$2"; shift 2 ;;
    --service) service="$2"; shift 2 ;;
    --pipeline) pipeline="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "rollback.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$region" ] || region="$(gcloud config get-value run/region 2>/dev/null || true)"
[ -n "$project" ] || project="$(gcloud config get-value core/project 2>/dev/null || true)"
[ -n "$region" ] || { echo "rollback.sh: no region: give --region or set REGION" >&2; exit 2; }
[ -n "$project" ] || { echo "rollback.sh: no project: give --project or set PROJECT_ID" >&2; exit 2; }
common=(--project "$project" --region "$region")

# Prints a command that changes something; runs it unless --dry-run.
change() {
  echo "+ $*"
  if $dry_run; then
    return 0
  fi
  "$@"
}

previous_revision() {
  if [ -n "$to" ]; then
    echo "$to"
    return
  fi
  local latest
  latest="$(gcloud run services describe "$service" "${common[@]}" --format 'value(status.latestCreatedRevisionName)')"
  gcloud run revisions list --service "$service" "${common[@]}" --sort-by '~metadata.creationTimestamp' \
      --filter 'status.conditions.type=Ready AND status.conditions.status=True' --format 'value(metadata.name)' \
    | grep -vx -- "$latest" | head -1
}

to_previous_revision() {
  local prev
  prev="$(previous_revision)"
  [ -n "$prev" ] || { echo "rollback.sh: no earlier ready revision of $service to roll back to" >&2; exit 1; }
  change gcloud run services update-traffic "$service" "${common[@]}" --to-revisions "$prev=100"
}

done_by_deploy=false
if gcloud deploy targets describe "$target" "${common[@]}" --format 'value(name)' >/dev/null 2>&1; then
  echo "rollback.sh: Cloud Deploy target $target exists: rolling back through Cloud Deploy"
  if change gcloud deploy targets rollback "$target" --delivery-pipeline "$pipeline" "${common[@]}" --quiet; then
    done_by_deploy=true
  else
    echo "rollback.sh: the Cloud Deploy rollback failed: routing traffic to the previous revision directly" >&2
  fi
else
  echo "rollback.sh: no Cloud Deploy target $target in $region: routing traffic to the previous revision directly"
fi
if ! $done_by_deploy; then
  to_previous_revision
elif $dry_run; then
  echo "rollback.sh: (if the Cloud Deploy rollback fails, then:)"
  to_previous_revision
fi

url="$(gcloud run services describe "$service" "${common[@]}" --format 'value(status.url)')"
change curl -fsS --retry 5 --retry-delay 3 --retry-all-errors "$url/observe/health/ready"
echo
echo "rollback.sh: done. New sessions go to the previous revision; WebSocket sessions already open on the bad" \
     "revision stay there until they close (at most the request timeout, 3600 s)."
