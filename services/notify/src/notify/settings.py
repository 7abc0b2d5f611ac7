from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from pydantic import SecretStr

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    #: upgrade the connection with STARTTLS (required when set; plain SMTP when not)
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "noreply@cabinet.local"
    #: the display name beside `mail_from`
    mail_from_name: str = "Особистий кабінет юридичного споживача"

    #: the sender looks for due letters this often even when nothing woke it
    letter_poll_seconds: float = 2.0
    #: back-off after a failed attempt: base · 2^(attempts-1), capped
    letter_retry_base_seconds: float = 5.0
    letter_retry_max_seconds: float = 300.0
    #: a letter SMTP has not taken by then is given up (marked failed, logged as an error)
    letter_give_up_after_seconds: float = 3 * 24 * 3600.0
    #: letters sent over one SMTP connection before the sender looks again (each marked in its own transaction)
    letter_batch_size: int = 50

    #: where attachments are fetched from when a letter is sent (`GET /api/v1/documents/{id}/content`)
    documents_url: str = "http://127.0.0.1:8004"
    service_timeout_seconds: float = 10.0

    #: the gateway page of a letter to the supplier, linked from the e-mail telling of a reply
    letter_page_path: str = "/letters/{letter_id}"
    #: letters to the supplier a consumer may write within 24 hours
    letters_per_consumer_per_day: int = 20
    #: messages to the developers a user may send within an hour
    feedback_per_user_per_hour: int = 10

    def letter_url(self, letter_id: UUID) -> str:
        return self.public_base_url.rstrip("/") + self.letter_page_path.format(letter_id=letter_id)


@lru_cache
def get_settings() -> NotifySettings:
    return NotifySettings()  # the secret comes from the environment
