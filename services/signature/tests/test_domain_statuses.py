import pytest

from signature.domain.statuses import DocumentStatus, Party, awaiting_signature_of, status_of


@pytest.mark.parametrize(
    ("signed_by", "rejected", "status"),
    [
        (set(), False, DocumentStatus.NOT_SIGNED),
        ({Party.CONSUMER}, False, DocumentStatus.SIGNED_BY_CONSUMER),
        ({Party.SUPPLIER}, False, DocumentStatus.SIGNED_BY_SUPPLIER),
        ({Party.CONSUMER, Party.SUPPLIER}, False, DocumentStatus.SIGNED_BY_BOTH),
        ({Party.SUPPLIER}, True, DocumentStatus.REJECTED),
        (set(), True, DocumentStatus.REJECTED),
    ],
)
def test_status_of_the_parties_that_signed(signed_by: set[Party], rejected: bool, status: DocumentStatus) -> None:
    assert status_of(signed_by, rejected=rejected) is status


def test_what_awaits_each_party() -> None:
    assert awaiting_signature_of(Party.SUPPLIER) == {DocumentStatus.NOT_SIGNED, DocumentStatus.SIGNED_BY_CONSUMER}
    assert awaiting_signature_of(Party.CONSUMER) == {DocumentStatus.NOT_SIGNED, DocumentStatus.SIGNED_BY_SUPPLIER}
