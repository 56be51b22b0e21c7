#!/usr/bin/env bash
# Emergency rollback of vbuf on Cloud Run (docs/releasing.md):
#   1. stop the pipeline moving on its own: suspend the advance and repair automations (an advance during a canary
#      would undo a rollback by hand) and cancel the target's rollout in progress, if any;
#   2. through Cloud Deploy when the target exists: `gcloud deploy targets rollback` to the last release that
#      succeeded there, then WAIT for that rollout to finish (it reports success only when Cloud Deploy does);
#   3. else, or when that fails, straight to the previous revision: `gcloud run services update-traffic
#      --to-revisions PREV=100`, PREV being --to REVISION, else the revision serving beside the latest one (during a
#      canary: the one that served before it); with none, it stops and asks for --to;
#   4. then the readiness endpoint of the service must answer 200.
# The automations stay suspended: re-apply the pipeline (docs/releasing.md) once the cause is understood.
# A rollback moves new connections only: WebSocket sessions already open on the bad revision stay on it until they
# close, at most the request timeout (timeoutSeconds, 3600 s).
#
# usage: cloudrun/rollback.sh [--dry-run] [--region R] [--project P] [--service vbuf] [--pipeline vbuf]
#                             [--target vbuf-prod] [--to REVISION] [--wait-minutes 30]
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
wait_minutes=30
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=true; shift ;;
    --region) region="$2"; shift 2 ;;
    --project) project="$2"; shift 2 ;;
    --service) service="$2"; shift 2 ;;
    --pipeline) pipeline="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --wait-minutes) wait_minutes="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
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

# The revision to go back to: --to, else the one serving traffic beside the latest created revision (during a
# canary that is the revision that served before it; after a promotion nothing serves beside it, and the newest
# older revision is not necessarily the one that served: a canary rolled back earlier is newer).
previous_revision() {
  if [ -n "$to" ]; then
    echo "$to"
    return
  fi
  local latest
  latest="$(gcloud run services describe "$service" "${common[@]}" --format 'value(status.latestCreatedRevisionName)')"
  gcloud run services describe "$service" "${common[@]}" --format 'json(status.traffic)' \
    | tr -d ' \n' | grep -o '"percent":[0-9]*,"revisionName":"[^"]*"' \
    | sed -E 's/"percent":([0-9]*),"revisionName":"([^"]*)"/\1 \2/' \
    | grep -v " $latest\$" | sort -rn | awk '$1 > 0 {print $2; exit}' || true
}

to_previous_revision() {
  local prev
  prev="$(previous_revision || true)"
  if [ -z "$prev" ]; then
    echo "rollback.sh: no revision of $service serves beside the latest one; name the one to go back to with --to" \
         "(gcloud run revisions list --service $service --region $region)" >&2
    exit 1
  fi
  change gcloud run services update-traffic "$service" "${common[@]}" --to-revisions "$prev=100"
}

# 1. nothing moves on its own while we roll back
suspend_automations() {
  local name file
  for name in advance repair; do
    file="$(mktemp)"
    if gcloud deploy automations export "$name" --delivery-pipeline "$pipeline" "${common[@]}" > "$file" 2>/dev/null; then
      sed -i 's/^suspended: false$/suspended: true/' "$file"
      grep -q '^suspended: true$' "$file" || echo 'suspended: true' >> "$file"
      echo "rollback.sh: suspending the $name automation"
      change gcloud deploy apply --file "$file" "${common[@]}"
    fi
    rm -f "$file"
  done
  local rollout
  for rollout in $(gcloud deploy rollouts list --delivery-pipeline "$pipeline" --release - "${common[@]}" \
                     --filter "targetId=$target AND state=IN_PROGRESS" --format 'value(name)' 2>/dev/null); do
    change gcloud deploy rollouts cancel "$rollout" "${common[@]}" --quiet
  done
}

# 2. Cloud Deploy's rollback, and the wait for its rollout to finish
rollout_state() { # ROLLOUT_ID
  gcloud deploy rollouts list --delivery-pipeline "$pipeline" --release - "${common[@]}" \
    --filter "name~/rollouts/$1\$" --format 'value(state)' 2>/dev/null | head -1
}

rollback_through_deploy() {
  local id state deadline
  id="rollback-$(date -u +%Y%m%d-%H%M%S)"
  change gcloud deploy targets rollback "$target" --delivery-pipeline "$pipeline" --rollout-id "$id" "${common[@]}" \
    --quiet || return 1
  echo "rollback.sh: waiting for rollout $id (at most $wait_minutes min)"
  if $dry_run; then
    echo "+ (poll) gcloud deploy rollouts list --delivery-pipeline $pipeline --release - ${common[*]}" \
         "--filter name~/rollouts/$id\$ --format value(state)   until SUCCEEDED"
    return 0
  fi
  deadline=$(( $(date +%s) + wait_minutes * 60 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    state="$(rollout_state "$id")"
    case "$state" in
      SUCCEEDED) echo "rollback.sh: rollout $id succeeded"; return 0 ;;
      FAILED|CANCELLED|HALTED) echo "rollback.sh: rollout $id ended $state" >&2; return 1 ;;
    esac
    sleep 15
  done
  echo "rollback.sh: rollout $id did not finish within $wait_minutes min" >&2
  return 1
}

done_by_deploy=false
if gcloud deploy targets describe "$target" "${common[@]}" --format 'value(name)' >/dev/null 2>&1; then
  echo "rollback.sh: Cloud Deploy target $target exists: rolling back through Cloud Deploy"
  suspend_automations
  if rollback_through_deploy; then
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
$done_by_deploy && echo "rollback.sh: the advance and repair automations stay suspended; re-apply the pipeline" \
  "(docs/releasing.md) to resume releases"
echo "rollback.sh: done. New sessions go to the previous revision; WebSocket sessions already open on the bad" \
     "revision stay there until they close (at most the request timeout, 3600 s)."
