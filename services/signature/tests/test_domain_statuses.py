import pytest

from signature.domain.statuses import (
    BOTH,
    DocumentStatus,
    Party,
    awaiting_signature_of,
    signers_of,
    status_of,
    still_to_sign,
)


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
    assert status_of(signed_by, rejected=rejected, signers=BOTH) is status


def test_a_document_nobody_signs_needs_no_signature() -> None:
    assert status_of(set(), rejected=False, signers=()) is DocumentStatus.NOT_REQUIRED
    assert still_to_sign(frozenset(), DocumentStatus.NOT_REQUIRED) == set()


def test_what_awaits_each_party() -> None:
    assert awaiting_signature_of(Party.SUPPLIER) == {DocumentStatus.NOT_SIGNED, DocumentStatus.SIGNED_BY_CONSUMER}
    assert awaiting_signature_of(Party.CONSUMER) == {DocumentStatus.NOT_SIGNED, DocumentStatus.SIGNED_BY_SUPPLIER}


@pytest.mark.parametrize(
    ("signers", "status", "awaiting"),
    [
        (BOTH, DocumentStatus.NOT_SIGNED, BOTH),
        (BOTH, DocumentStatus.SIGNED_BY_SUPPLIER, {Party.CONSUMER}),
        (BOTH, DocumentStatus.SIGNED_BY_BOTH, set()),
        (BOTH, DocumentStatus.REJECTED, set()),
        # a tax invoice: the supplier's signature completes it
        ({Party.SUPPLIER}, DocumentStatus.NOT_SIGNED, {Party.SUPPLIER}),
        ({Party.SUPPLIER}, DocumentStatus.SIGNED_BY_SUPPLIER, set()),
    ],
)
def test_who_a_document_still_waits_for(signers: set[Party], status: DocumentStatus, awaiting: set[Party]) -> None:
    assert still_to_sign(signers, status) == awaiting


def test_signers_as_the_producer_said_else_by_the_type() -> None:
    assert signers_of("readings_act", ()) == set()
    assert signers_of("readings_act", ("consumer", "supplier")) == BOTH
    assert signers_of("invoice", None) == BOTH
    assert signers_of("tax_invoice", None) == {Party.SUPPLIER}
    assert signers_of("eds_onboarding_package", None) == set()
