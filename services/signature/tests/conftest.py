from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from devtools.testca import CertificationAuthority, IssuedCertificate, create_ca, issue_certificate
from signature.domain.certificates import TrustStore

CONSUMER_EDRPOU = "12345678"

TrustOf = Callable[..., TrustStore]
IssueConsumer = Callable[..., IssuedCertificate]


@pytest.fixture(scope="session")
def consumer_edrpou() -> str:
    return CONSUMER_EDRPOU


@pytest.fixture(scope="session")
def trust_of() -> TrustOf:
    def load(*authorities: CertificationAuthority) -> TrustStore:
        """A trust store loaded the way the service loads its configuration: from PEM bytes."""
        return TrustStore.load(
            [authority.certificate.public_bytes(Encoding.PEM) for authority in authorities],
            [authority.crl.public_bytes(Encoding.PEM) for authority in authorities],
        )

    return load


@pytest.fixture(scope="session")
def issue_consumer() -> IssueConsumer:
    def issue(ca: CertificationAuthority, **options: Any) -> IssuedCertificate:
        return issue_certificate(
            ca,
            common_name="Петренко Аліса Іванівна",
            organization="Кооператив Автомобіліст-2",
            edrpou=CONSUMER_EDRPOU,
            title="Голова правління",
            **options,
        )

    return issue


@pytest.fixture(scope="session")
def ca() -> CertificationAuthority:
    return create_ca()


@pytest.fixture(scope="session")
def trust(ca: CertificationAuthority, trust_of: TrustOf) -> TrustStore:
    return trust_of(ca)


@pytest.fixture(scope="session")
def signer(ca: CertificationAuthority, issue_consumer: IssueConsumer) -> IssuedCertificate:
    return issue_consumer(ca)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)
