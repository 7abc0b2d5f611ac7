"""What the deployment tests share: the repository's paths and the manifests exactly as kustomize renders them.

Imported by the tests as `deploy_manifests` (conftest.py puts this directory on the import path).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
OPERATIONS_DOC = REPO / "docs" / "operations.md"

SERVICES = ("identity", "metering", "billing", "documents", "signature", "notify")
PROCESSES = (*SERVICES, "gateway")
OVERLAYS = ("local", "production")
#: applied in this order (docs/operations.md, "First deployment")
PHASES = ("infrastructure", "migrations", "services")

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """The manifests of one overlay, per phase, as `kubectl apply -k` would send them."""

    overlay: str
    phases: dict[str, list[Manifest]]

    @property
    def all(self) -> list[Manifest]:
        return [manifest for phase in PHASES for manifest in self.phases[phase]]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [manifest for manifest in self.all if manifest["kind"] == kind]

    def one(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: expected one {kind} {name}, found {len(found)}"
        return found[0]


def kustomize(directory: Path) -> list[Manifest]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed: cannot render deploy/k8s")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_overlays() -> dict[str, Rendered]:
    return {
        overlay: Rendered(overlay, {phase: kustomize(K8S / "overlays" / overlay / phase) for phase in PHASES})
        for overlay in OVERLAYS
    }


def pod_templates(manifests: list[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    """(workload, its pod spec) for every Deployment, StatefulSet and Job."""
    for manifest in manifests:
        if manifest["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield manifest, manifest["spec"]["template"]["spec"]
