"""Settings every service shares, read from `CABINET_`-prefixed environment variables."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABINET_", extra="ignore")

    service_name: str
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432"
    #: defaults to `cabinet_<service_name>`: each service has a database of its own
    database_name: str | None = None
    database_pool_size: int = 10
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    bus_namespace: str = "cabinet"
    #: how many messages a consumer may hold unacknowledged; also the largest handler batch
    bus_prefetch: int = 256
    service_token_secret: SecretStr
    public_base_url: str = "http://127.0.0.1:8000"
    otlp_endpoint: str | None = None
    #: serve `/metrics` on this port (all interfaces) instead of the app's own; deployments set it so that the
    #: public never reaches the metrics through the gateway
    metrics_port: int | None = None
    log_level: str = "INFO"
    log_format: str = "json"
    #: apply Alembic migrations when the service starts (deployments run them as a Job instead)
    migrate_on_start: bool = True
    #: serve the API's `/docs` and `/openapi.json`: for developers (the local run turns it on); off by default, so that
    #: no deployment hands the API's map to whoever reaches a service. docs/api-*.md are the reference
    api_docs: bool = False

    @property
    def database_url(self) -> str:
        name = self.database_name or f"cabinet_{self.service_name}"
        return f"{self.postgres_url.rstrip('/')}/{name}"
