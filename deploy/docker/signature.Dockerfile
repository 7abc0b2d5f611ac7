# syntax=docker/dockerfile:1
# The signature service. Build from the repository root:
#   docker build -f deploy/docker/signature.Dockerfile -t cabinet/signature:<version> .
# checkov:skip=CKV_DOCKER_2:Kubernetes probes /health/live and /health/ready; a HEALTHCHECK would go unused
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
COPY shared/ /build/shared/
RUN pip install /build/shared
# The service stays a source tree at /app/services/signature: shared.migrations finds its Alembic scripts in
# migrations/ beside src/, so the package is installed in place (editable) instead of into site-packages.
COPY services/signature/pyproject.toml /app/services/signature/
COPY services/signature/src/ /app/services/signature/src/
COPY services/signature/migrations/ /app/services/signature/migrations/
RUN pip install --editable /app/services/signature \
 && python -m compileall -q /app/services/signature

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 cabinet \
 && useradd --system --uid 10001 --gid cabinet --home-dir /tmp --no-create-home --shell /usr/sbin/nologin cabinet
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# the root filesystem is read-only in Kubernetes: no bytecode writes, HOME and temporary files under /tmp
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
WORKDIR /app/services/signature
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "signature.app:app", "--host", "0.0.0.0", "--port", "8080", "--no-proxy-headers"]
