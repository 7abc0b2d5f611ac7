from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from shared.settings import ServiceSettings


class EdsProviderSettings(BaseModel):
    """Who issues the e-signature certificates: named in the onboarding contract, act and invoice.

    Set as JSON in `CABINET_EDS_PROVIDER`; the defaults are a fictitious provider for local runs and demos.
    """

    name: str = "ТОВ «Мега-Білінг»"
    edrpou: str = "37456124"
    iban: str = "UA213223130000026007233566001"
    bank: str = "АТ «Тестбанк»"
    address: str = "01001, м. Київ, вул. Хрещатик, 1"
    phone: str = "+380 44 000 00 00"
    email: str = "eds@mega-billing.local"
    #: price of one qualified certificate (one year), without VAT
    certificate_price: Decimal = Decimal("300.00")
    vat_rate: Decimal = Decimal("0.20")


class DocumentsSettings(ServiceSettings):
    service_name: str = "documents"

    #: the S3 server: `host:port` or a URL (`https://` turns TLS on)
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    s3_bucket: str = "cabinet-documents"
    s3_secure: bool = False
    #: naming the region spares a location lookup before the first request to the bucket
    s3_region: str = "us-east-1"
    #: parallel connections to S3 per process
    s3_connections: int = 16

    #: worker processes that render PDFs (CPU work): as many as the cores the service is given
    render_processes: int = 1
    #: DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian's fonts-dejavu-core)
    font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")

    #: the page of the gateway where a consumer downloads a document (`{document_id}` is replaced)
    document_download_path: str = "/documents/{document_id}/download"
    #: how many onboarding packages (each is e-mailed) one consumer may request per hour
    onboarding_packages_per_hour: int = 5
    eds_provider: EdsProviderSettings = EdsProviderSettings()

    @property
    def s3_host(self) -> str:
        endpoint = self.s3_endpoint
        return urlsplit(endpoint).netloc if "://" in endpoint else endpoint

    @property
    def s3_tls(self) -> bool:
        return self.s3_secure or self.s3_endpoint.startswith("https://")

    def document_download_url(self, document_id: object) -> str:
        return self.public_base_url.rstrip("/") + self.document_download_path.format(document_id=document_id)


@lru_cache
def get_settings() -> DocumentsSettings:
    return DocumentsSettings()  # the secrets come from the environment
