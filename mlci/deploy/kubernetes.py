"""The ``kubernetes`` router: a canary Deployment beside the stable one, driven by kubectl.

Two ways to split traffic:

* **replica ratio** (default) — the canary Deployment carries the labels the
  stable Service selects, plus ``mlci.dev/track: canary``; the Service spreads
  requests over stable's and the canary's pods, so the canary's share is its
  replicas over all replicas (the Kubernetes documentation's canary pattern).
  ``set_weight`` scales the canary; the share it reached is as close as whole
  pods allow.
* **Gateway API** (``route:`` names an ``HTTPRoute``) — the canary gets its own
  Service, and the route's backend weights split the traffic exactly.

The canary's manifest comes from the Deployment in ``manifests:`` (a kustomize
directory, built with ``kubectl kustomize``, or plain YAML files) with the image
and ``MLCI_MODEL_VERSION`` substituted; without ``manifests:`` mlci renders a
minimal one from the stable pods' labels. Promotion sets the stable
Deployment's image to the canary's and removes the canary; a rollback removes
it. Every kubectl call goes through :mod:`mlci.deploy.kubectl`.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mlci.deploy.kubectl import Kubectl, KubectlError
from mlci.errors import UsageError
from mlci.files import read_text

if TYPE_CHECKING:
    from mlci.config import RolloutRouter

TRACK = "mlci.dev/track"
_SERVER_FIELDS = (
    "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
)  # fmt: skip
_SERVER_ANNOTATIONS = (
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
)


def _clean_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in meta.items() if k not in _SERVER_FIELDS}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return meta


def canary_replicas(stable_replicas: int, weight: int) -> int:
    """Canary pods beside ``stable_replicas`` so that their share is closest to ``weight`` %."""
    if weight <= 0:
        return 0
    stable = max(stable_replicas, 1)
    return max(1, math.floor(stable * weight / (100 - weight) + 0.5)) if weight < 100 else stable


def effective_weight(stable_replicas: int, canary: int) -> float:
    total = max(stable_replicas, 0) + canary
    return 100.0 * canary / total if total else 0.0


def minimal_deployment(
    name: str, labels: Mapping[str, str], *, image: str, port: int, container: str = "model"
) -> dict[str, Any]:
    """The smallest Deployment that runs ``image`` with the stable pods' labels."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": container,
                            "image": image,
                            "ports": [{"containerPort": port}],
                        }
                    ]
                },
            },
        },
    }


def canary_deployment(
    base: Mapping[str, Any],
    *,
    name: str,
    image: str,
    model_version: str | None,
    replicas: int,
) -> dict[str, Any]:
    """``base`` (a Deployment) as the canary: renamed, tracked, new image and version."""
    doc = copy.deepcopy(dict(base))
    doc.pop("status", None)
    doc["apiVersion"], doc["kind"] = "apps/v1", "Deployment"
    doc["metadata"] = _clean_metadata(doc.get("metadata") or {})
    doc["metadata"]["name"] = name
    doc["metadata"].setdefault("labels", {})[TRACK] = "canary"
    spec = doc.setdefault("spec", {})
    spec["replicas"] = replicas
    spec.setdefault("selector", {}).setdefault("matchLabels", {})[TRACK] = "canary"
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("labels", {})[TRACK] = "canary"
    containers = template.setdefault("spec", {}).get("containers") or []
    if not containers:
        raise UsageError(f"Deployment {base.get('metadata', {}).get('name')} has no containers")
    first = containers[0]
    first["image"] = image
    if model_version:
        env = [e for e in first.get("env", []) if e.get("name") != "MLCI_MODEL_VERSION"]
        env.append({"name": "MLCI_MODEL_VERSION", "value": model_version})
        first["env"] = env
    return doc


def canary_service(name: str, selector: Mapping[str, str], port: int) -> dict[str, Any]:
    """The canary's own Service (Gateway API mode): the canary pods only."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {TRACK: "canary"}},
        "spec": {
            "selector": {**selector, TRACK: "canary"},
            "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }


def weighted_route(
    route: Mapping[str, Any], *, stable: str, canary: str, weight: int | None
) -> dict[str, Any]:
    """``route`` with every rule that sends to ``stable`` split ``100 - weight`` / ``weight``.

    ``weight=None`` removes the canary backend (all traffic to stable).
    """
    doc = copy.deepcopy(dict(route))
    doc.pop("status", None)
    doc["metadata"] = _clean_metadata(doc.get("metadata") or {})
    if "resourceVersion" in (route.get("metadata") or {}):
        # kubectl replace: optimistic concurrency on the version that was read
        doc["metadata"]["resourceVersion"] = route["metadata"]["resourceVersion"]
    touched = 0
    for rule in doc.get("spec", {}).get("rules", []):
        refs = rule.get("backendRefs") or []
        base = next(
            (r for r in refs if r.get("name") == stable and r.get("kind", "Service") == "Service"),
            None,
        )
        if base is None:
            continue
        touched += 1
        others = [r for r in refs if r.get("name") not in (stable, canary)]
        stable_ref = {**base, "weight": 100 - (weight or 0)}
        new_refs = [stable_ref]
        if weight is not None:
            new_refs.append(
                {
                    **{k: v for k, v in base.items() if k != "weight"},
                    "name": canary,
                    "weight": weight,
                }
            )
        rule["backendRefs"] = new_refs + others
    if not touched:
        raise UsageError(
            f"HTTPRoute {doc['metadata'].get('name')} has no rule sending to Service {stable}: "
            "name the route whose backendRefs hold the stable Service"
        )
    return doc


def load_manifests(kubectl: Kubectl, directory: Path) -> list[dict[str, Any]]:
    """Every object in ``directory``: ``kubectl kustomize`` output, or its YAML files."""
    if not directory.is_dir():
        raise UsageError(f"router.manifests: {directory} is not a directory")
    if any(
        (directory / n).is_file()
        for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
    ):
        try:
            text = kubectl.kustomize(str(directory))
        except KubectlError as exc:
            raise UsageError(f"router.manifests: {exc}") from None
        texts = [text]
    else:
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        if not files:
            raise UsageError(f"router.manifests: {directory} holds no .yaml files")
        texts = [read_text(f, what="manifest") for f in files]
    docs: list[dict[str, Any]] = []
    for text in texts:
        try:
            docs.extend(d for d in yaml.safe_load_all(text) if isinstance(d, dict))
        except yaml.YAMLError as exc:
            raise UsageError(
                f"router.manifests: {directory}: not YAML ({exc.__class__.__name__})"
            ) from None
    return docs


@dataclass
class KubernetesRouter:
    kubectl: Kubectl
    deployment: str
    image: str | None
    model_version: str | None = None
    route: str | None = None
    manifests: Path | None = None
    port: int = 8080
    rollout_timeout: float = 600.0
    kind: str = "kubernetes"
    _stable_replicas: int = 1
    _container: str = ""
    _canary: dict[str, Any] = field(default_factory=dict)
    _route: dict[str, Any] = field(default_factory=dict)
    _selector: dict[str, str] = field(default_factory=dict)
    _stable_down: bool = False  # blue-green's switch took the stable pods out (replica ratio)

    @classmethod
    def from_config(
        cls, config: RolloutRouter, *, cwd: Path, env: Mapping[str, str] | None, timeout: float
    ) -> KubernetesRouter:
        env = env or {}
        assert config.deployment is not None  # the config model requires it
        return cls(
            kubectl=Kubectl(
                context=config.context,
                namespace=config.namespace,
                timeout=timeout,
            ),
            deployment=config.deployment,
            image=env.get("MLCI_IMAGE"),
            model_version=env.get("MLCI_MODEL_VERSION"),
            route=config.route,
            manifests=(cwd / config.manifests) if config.manifests else None,
            port=config.port,
            rollout_timeout=timeout,
        )

    @property
    def canary_name(self) -> str:
        return f"{self.deployment}-canary"

    # -- before anything moves -------------------------------------------------

    def check(self) -> None:
        if not self.image:
            raise UsageError(
                "MLCI_IMAGE is not set: the kubernetes router deploys an image "
                "(name@sha256:…); enable image: in mlci.yaml or use the command router"
            )
        try:
            if self.kubectl.context and self.kubectl.context not in self.kubectl.contexts():
                raise UsageError(
                    f"kube context {self.kubectl.context!r} is not in the kubeconfig: "
                    f"kubectl config get-contexts lists {', '.join(self.kubectl.contexts())}"
                )
            stable = self.kubectl.get_json("get", "deployment", self.deployment)
            route = self.kubectl.get_json("get", "httproute", self.route) if self.route else {}
        except KubectlError as exc:
            raise UsageError(str(exc)) from None
        spec = stable.get("spec", {})
        self._stable_replicas = int(spec.get("replicas", 1))
        labels = dict(spec.get("template", {}).get("metadata", {}).get("labels") or {})
        labels.pop(TRACK, None)
        self._selector = labels
        containers = spec.get("template", {}).get("spec", {}).get("containers") or [{}]
        self._container = str(containers[0].get("name", "model"))
        base: Mapping[str, Any]
        if self.manifests is not None:
            found = [
                d
                for d in load_manifests(self.kubectl, self.manifests)
                if d.get("kind") == "Deployment"
                and d.get("metadata", {}).get("name") == self.deployment
            ]
            if not found:
                raise UsageError(
                    f"router.manifests: no Deployment named {self.deployment} in {self.manifests}"
                )
            base = found[0]
        else:
            base = minimal_deployment(
                self.deployment, labels, image=self.image, port=self.port, container=self._container
            )
        self._canary = canary_deployment(
            base, name=self.canary_name, image=self.image, model_version=self.model_version,
            replicas=0 if not self.route else 1,
        )  # fmt: skip
        if self.route:
            weighted_route(route, stable=self.deployment, canary=self.canary_name, weight=0)
            self._route = route

    def manifests_to_apply(self) -> list[dict[str, Any]]:
        docs = [self._canary]
        if self.route:
            docs.append(canary_service(self.canary_name, self._selector, self.port))
        return docs

    # -- the moves ---------------------------------------------------------------

    def deploy(self) -> None:
        listing = {"apiVersion": "v1", "kind": "List", "items": self.manifests_to_apply()}
        self.kubectl.run("apply", "-f", "-", stdin=json.dumps(listing))
        if self.route:
            self._wait(self.canary_name)
            self._set_route(0)

    def set_weight(self, weight: int) -> None:
        if self.route:
            self._set_route(weight)
            return
        replicas = canary_replicas(self._stable_replicas, weight)
        self.kubectl.run("scale", f"deployment/{self.canary_name}", f"--replicas={replicas}")
        self._wait(self.canary_name)
        if weight >= 100:
            # all traffic (blue-green's switch): with a replica ratio, only when no stable pod
            # is left behind the Service; the stable Deployment is kept, at 0, to switch back
            self._scale_stable(0)
        elif self._stable_down:
            self._scale_stable(self._stable_replicas)

    def promote(self) -> None:
        if self.route:
            self._set_route(100)
        assert self.image is not None
        self.kubectl.run(
            "set", "image", f"deployment/{self.deployment}", f"{self._container}={self.image}"
        )
        if self._stable_down:
            self._scale_stable(self._stable_replicas)  # its pods now run the new image
        else:
            self._wait(self.deployment)
        self._remove_canary()

    def rollback(self) -> None:
        if self._stable_down:
            self._scale_stable(self._stable_replicas)  # ready before the new version goes
        self._remove_canary()

    # -- helpers -----------------------------------------------------------------

    def _wait(self, name: str) -> None:
        self.kubectl.run(
            "rollout", "status", f"deployment/{name}", f"--timeout={self.rollout_timeout:.0f}s"
        )

    def _scale_stable(self, replicas: int) -> None:
        self.kubectl.run("scale", f"deployment/{self.deployment}", f"--replicas={replicas}")
        self._stable_down = replicas == 0
        if replicas:
            self._wait(self.deployment)

    def _set_route(self, weight: int | None) -> None:
        doc = weighted_route(
            self._route, stable=self.deployment, canary=self.canary_name, weight=weight
        )
        self.kubectl.run("replace", "-f", "-", stdin=json.dumps(doc))
        self._route = self.kubectl.get_json("get", "httproute", str(self.route))

    def _remove_canary(self) -> None:
        if self.route:
            self._set_route(None)
            self.kubectl.run("delete", "service", self.canary_name, "--ignore-not-found")
        self.kubectl.run("delete", "deployment", self.canary_name, "--ignore-not-found")
