from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from identity.domain.passwords import HashingParameters
from identity.domain.sessions import SessionLifetime
from shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"

    registration_link_ttl_hours: int = 72
    #: how long a colleague's invitation may be accepted
    invitation_ttl_hours: int = 72
    email_change_ttl_hours: int = 24
    #: pages of the gateway that the links in letters open (`{token}` is replaced)
    registration_link_path: str = "/registration/complete/{token}"
    email_confirmation_path: str = "/settings/email/confirm/{token}"
    invitation_path: str = "/invitations/{token}"

    session_idle_hours: int = 12
    session_absolute_days: int = 7

    #: argon2id cost; changing it re-hashes each password at its owner's next sign-in
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 64 * 1024
    password_hash_parallelism: int = 4

    #: how often stale throttling records and long-expired sessions are deleted
    housekeeping_interval_seconds: float = 600.0

    @property
    def registration_link_ttl(self) -> timedelta:
        return timedelta(hours=self.registration_link_ttl_hours)

    @property
    def invitation_ttl(self) -> timedelta:
        return timedelta(hours=self.invitation_ttl_hours)

    @property
    def email_change_ttl(self) -> timedelta:
        return timedelta(hours=self.email_change_ttl_hours)

    @property
    def session_lifetime(self) -> SessionLifetime:
        return SessionLifetime(
            idle=timedelta(hours=self.session_idle_hours), absolute=timedelta(days=self.session_absolute_days)
        )

    @property
    def password_hashing(self) -> HashingParameters:
        return HashingParameters(
            time_cost=self.password_hash_time_cost, memory_kib=self.password_hash_memory_kib,
            parallelism=self.password_hash_parallelism,
        )

    def registration_link_url(self, token: str) -> str:
        return self.public_base_url.rstrip("/") + self.registration_link_path.format(token=token)

    def email_confirmation_url(self, token: str) -> str:
        return self.public_base_url.rstrip("/") + self.email_confirmation_path.format(token=token)

    def invitation_url(self, token: str) -> str:
        return self.public_base_url.rstrip("/") + self.invitation_path.format(token=token)


@lru_cache
def get_settings() -> IdentitySettings:
    return IdentitySettings()  # the secret comes from the environment
