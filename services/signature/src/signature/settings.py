from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.settings import ServiceSettings

#: a comma-separated list in the environment (`a.pem,b.pem`), a list in code
CommaList = Annotated[list[str], NoDecode]
CommaPaths = Annotated[list[Path], NoDecode]


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class SignatureSettings(ServiceSettings):
    service_name: str = "signature"

    #: certificates of the trusted issuing CAs (PEM, possibly several in a file, or DER)
    trust_ca_files: CommaPaths = Field(default_factory=list)
    #: their CRLs (PEM or DER); a CA without one is not trusted to be unrevoked (`crl_unavailable`)
    trust_crl_files: CommaPaths = Field(default_factory=list)
    #: PKCS#7 bundles of CA certificates as the central certifying authority (ЦЗО) publishes the qualified
    #: providers' (`CACertificates.p7b`); only their CA certificates are trusted
    trust_bundle_files: CommaPaths = Field(default_factory=list)
    #: the CRLs of those providers' CAs (each provider publishes its own)
    trust_bundle_crl_files: CommaPaths = Field(default_factory=list)
    #: how often the CA and CRL files are read again (CRLs are replaced as CAs publish new ones)
    trust_reload_seconds: float = 300.0

    #: the supplier's electronic seal: encrypted PKCS#8 PEM key (or a DSTU 4145 Key-6.dat, .pfx or .pk8), a file
    #: with its password, its certificate.
    #: All three or none; without a seal nothing is sealed and `POST .../seal` answers 409 `seal_not_configured`.
    seal_key_file: Path | None = None
    seal_key_password_file: Path | None = None
    seal_cert_file: Path | None = None
    #: document types the seal signs as soon as the documents service has stored them
    seal_document_types: CommaList = Field(default_factory=lambda: [
        "invoice", "tax_invoice", "tax_invoice_correction", "reconciliation_act"])

    documents_url: str = "http://127.0.0.1:8004"
    identity_url: str = "http://127.0.0.1:8001"
    service_timeout_seconds: float = 10.0

    #: how long prepared data to sign may wait for its signature value
    signing_ttl_seconds: int = 600
    #: how long the supplier branches' EDRPOUs (identity) are kept before they are asked for again
    branches_cache_seconds: float = 300.0

    _split = field_validator(
        "trust_ca_files", "trust_crl_files", "trust_bundle_files", "trust_bundle_crl_files", "seal_document_types",
        mode="before",
    )(_split_commas)

    @model_validator(mode="after")
    def _trust_and_seal_complete(self) -> SignatureSettings:
        if not self.trust_ca_files and not self.trust_bundle_files:
            raise ValueError("CABINET_TRUST_CA_FILES or _BUNDLE_FILES must name at least one CA certificate file")
        seal = (self.seal_key_file, self.seal_key_password_file, self.seal_cert_file)
        if any(seal) and not all(seal):
            raise ValueError("the seal needs CABINET_SEAL_KEY_FILE, _KEY_PASSWORD_FILE and _CERT_FILE together")
        return self

    @property
    def seal_configured(self) -> bool:
        return self.seal_key_file is not None


@lru_cache
def get_settings() -> SignatureSettings:
    return SignatureSettings()  # the secret and the trust files come from the environment
