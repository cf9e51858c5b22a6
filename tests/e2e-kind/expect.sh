#!/usr/bin/env bash
# After a rollout: the stable Deployment runs IMAGE with all its replicas ready, and no
# canary is left. Usage: expect.sh IMAGE
set -euo pipefail
image="$1"
k=(kubectl --context kind-mlci --namespace models)
"${k[@]}" rollout status deployment/model --timeout=120s
actual="$("${k[@]}" get deployment model -o 'jsonpath={.spec.template.spec.containers[0].image}')"
ready="$("${k[@]}" get deployment model -o 'jsonpath={.status.readyReplicas}/{.spec.replicas}')"
echo "stable: $actual, ready $ready"
[ "$actual" = "$image" ] || { echo "::error::stable runs $actual, expected $image"; exit 1; }
[ "$ready" = "3/3" ] || { echo "::error::stable has $ready replicas ready, expected 3/3"; exit 1; }
if "${k[@]}" get deployment model-canary >/dev/null 2>&1; then
  echo "::error::the canary Deployment model-canary is still there"
  exit 1
fi
"${k[@]}" logs deployment/load --since=30s | tail -n 3
