#!/usr/bin/env bash
# The repository the e2e-kind workflow's rollouts run in (the current directory): the
# user's k8s/ manifests, an mlci.yaml whose rollouts use the kubernetes router against the
# kind cluster and the judge's default settings (only the schedule is shortened), and a git
# registry holding churn v0.0.1 in staging. Usage: fixture.sh MLCI_CHECKOUT
set -euo pipefail
mlci_checkout="$1"
mlci="$("$mlci_checkout/actions/install-mlci.sh")"

cp -R "$mlci_checkout/tests/e2e-kind/k8s" k8s
printf '%s/\n' "$(basename "$mlci_checkout")" > .gitignore
printf '{"accuracy": 0.9}\n' > metrics.json
router='{type: kubernetes, deployment: model, namespace: models, context: kind-mlci, manifests: k8s, timeout: 3m}'
cat > mlci.yaml <<YAML
version: 1
train: {command: python train.py}
registry: {model: churn}
deploy:
  production:
    strategy: canary
    canary:
      steps: [25, 50]
      duration: 2m
      interval: 15s
      router: $router
      prometheus: {url: 'http://127.0.0.1:30090'}
    blue_green:
      verify_duration: 1m
      interval: 15s
      baseline: 1m
      router: $router
      prometheus: {url: 'http://127.0.0.1:30090'}
YAML
git init -q -b main
git config user.name "mlci e2e-kind"
git config user.email "e2e-kind@mlci.invalid"
git add -A
git commit -q -m "fixture"
"$mlci" register-model --metrics metrics.json
"$mlci" promote-model --model-version v0.0.1 --to-stage staging
