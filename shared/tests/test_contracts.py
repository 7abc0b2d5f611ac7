from pathlib import Path

from shared.contracts import REGISTRY
from shared.contracts.reference import render


def test_every_contract_has_a_summary_and_a_unique_versioned_type():
    types = [event.message_type() for event in REGISTRY.all()]
    assert len(types) == len(set(types))
    for event in REGISTRY.all():
        assert event.summary, f"{event.__name__} needs a summary for the reference page"
        assert event.message_type().rsplit(".v", 1)[1].isdigit()


def test_the_reference_page_is_up_to_date():
    page = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    assert page.read_text() == render(), "run `make events-doc` and commit docs/events.md"
