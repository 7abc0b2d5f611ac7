"""Checkov on what would be applied (the rendered overlays) and on the Dockerfiles: no failed check, and every
skipped one skipped with a reason written beside it.

Checkov pins versions that clash with the project's test tools, so it lives in a virtual environment of its
own: `deploy/install-checkov.sh` makes it (deploy/.tools/checkov); CHECKOV may name another binary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_manifests import DEPLOY, OVERLAYS, PHASES, Rendered


def checkov() -> str:
    for candidate in (os.environ.get("CHECKOV"), str(DEPLOY / ".tools" / "checkov" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("checkov is not installed: run deploy/install-checkov.sh")


def run_checkov(directory: Path, framework: str) -> list[dict[str, Any]]:
    # --skip-download: offline, no policy or guideline download from the vendor's platform
    result = subprocess.run(
        [checkov(), "--directory", str(directory), "--framework", framework, "--skip-download",
         "--compact", "--output", "json"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr}"
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def assert_clean(reports: list[dict[str, Any]]) -> None:
    assert reports and all(report["summary"]["parsing_errors"] == 0 for report in reports)
    failed = [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
              for report in reports for c in report["results"]["failed_checks"]]
    assert failed == []
    for report in reports:
        assert report["summary"]["passed"] > 0
        for skipped in report["results"]["skipped_checks"]:
            reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
            where = f"{skipped['check_id']} on {skipped['resource']}"
            assert len(reason.strip()) > 10, f"{where} is skipped without a reason"


def test_rendered_manifests_pass_checkov(rendered: dict[str, Rendered], tmp_path: Path) -> None:
    for overlay in OVERLAYS:
        for phase in PHASES:
            (tmp_path / f"{overlay}-{phase}.yaml").write_text(
                yaml.safe_dump_all(rendered[overlay].phases[phase], sort_keys=False))
    reports = run_checkov(tmp_path, "kubernetes")
    assert_clean(reports)
    workloads = sum(1 for overlay in OVERLAYS for m in rendered[overlay].all
                    if m["kind"] in ("Deployment", "StatefulSet", "Job"))
    assert sum(report["summary"]["resource_count"] for report in reports) >= workloads


def test_dockerfiles_pass_checkov() -> None:
    assert_clean(run_checkov(DEPLOY / "docker", "dockerfile"))
