"""k8s/ against the Kubernetes API schemas (kubernetes-validate ships them; no cluster is needed), strictly
(unknown fields are errors), for the oldest version k8s/README.md supports and the newest the tool knows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest

K8S = Path(__file__).resolve().parent.parent / "k8s"
MANIFESTS = sorted(str(path) for path in K8S.glob("*.yaml"))
OLDEST = re.search(r"Kubernetes (1\.\d+) or newer", (K8S / "README.md").read_text(encoding="utf-8")).group(1)


def newest_known() -> str:
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = {tuple(int(part) for part in m.group(1).split(".")) for path in schemas.iterdir()
                if (m := re.fullmatch(r"v(\d+\.\d+)\.0-local-strict", path.name))}
    return ".".join(map(str, max(versions)))


@pytest.mark.parametrize("version", [OLDEST, newest_known()])
def test_every_manifest_validates_strictly(version: str) -> None:
    assert len(MANIFESTS) >= 6
    result = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "--no-warn",
                             "-k", f"{version}.0", *MANIFESTS], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout


def test_the_service_is_scraped_and_probed_apart() -> None:
    deployment = (K8S / "oa-deployment.yaml").read_text(encoding="utf-8")
    assert 'prometheus.io/scrape: "true"' in deployment and "prometheus.io/path: /metrics" in deployment
    assert "path: /api/health/live" in deployment and "path: /api/health/ready" in deployment
