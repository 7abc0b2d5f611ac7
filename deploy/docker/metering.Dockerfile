# syntax=docker/dockerfile:1
# The metering service. Build from the repository root:
#   docker build -f deploy/docker/metering.Dockerfile -t cabinet/metering:<version> .
# checkov:skip=CKV_DOCKER_2:Kubernetes probes /health/live and /health/ready; a HEALTHCHECK would go unused
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
COPY shared/ /build/shared/
RUN pip install /build/shared
# The service stays a source tree at /app/services/metering: shared.migrations finds its Alembic scripts in
# migrations/ beside src/, so the package is installed in place (editable) instead of into site-packages.
COPY services/metering/pyproject.toml /app/services/metering/
COPY services/metering/src/ /app/services/metering/src/
COPY services/metering/migrations/ /app/services/metering/migrations/
RUN pip install --editable /app/services/metering \
 && python -m compileall -q /app/services/metering

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 cabinet \
 && useradd --system --uid 10001 --gid cabinet --home-dir /tmp --no-create-home --shell /usr/sbin/nologin cabinet
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# the root filesystem is read-only in Kubernetes: no bytecode writes, HOME and temporary files under /tmp
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
WORKDIR /app/services/metering
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "metering.app:app", "--host", "0.0.0.0", "--port", "8080", "--no-proxy-headers"]
