"""The fault matrix in docs/operations.md is what the fault tests last measured, never a hand-edited table."""

from __future__ import annotations

import re
from pathlib import Path

from devtools.faults_report import BEGIN, END, MATRIX, PAGE, ROOT, FaultRow, load, record, with_table


def row(test: str, lost: int = 0, recovered_in: float = 3.14) -> FaultRow:
    return FaultRow(test=test, fault="RabbitMQ stopped", running="billing", unit="payments", sent=4000, lost=lost,
                    doubled=0, recovered_in=recovered_in, measured_on="2026-01-02")


def test_the_operations_page_shows_the_matrix_the_fault_tests_recorded() -> None:
    page = PAGE.read_text()
    assert with_table(page, load()) == page, "run python -m devtools.faults_report (or the fault tests)"


def test_every_row_is_of_a_fault_test_that_exists() -> None:
    rows = load(MATRIX)
    assert rows, "no fault test has recorded a row"
    for kept in rows:
        file, _, name = kept.test.partition("::")
        source = (ROOT / file).read_text()
        assert re.search(rf"^(async )?def {re.escape(name)}\(", source, re.MULTILINE), kept.test


def test_a_test_replaces_its_own_row_and_the_page_is_rendered_again(tmp_path: Path) -> None:
    matrix, page = tmp_path / "matrix.json", tmp_path / "page.md"
    page.write_text(f"# Operations\n\n{BEGIN}\n{END}\n\n## Runbooks\n")
    record(row("a.py::test_broker"), matrix=matrix, page=page)
    record(row("b.py::test_kill", lost=1), matrix=matrix, page=page)
    record(row("a.py::test_broker", recovered_in=12.345), matrix=matrix, page=page)

    assert [(kept.test, kept.recovered_in) for kept in load(matrix)] == [("a.py::test_broker", 12.3),
                                                                         ("b.py::test_kill", 3.1)]
    text = page.read_text()
    assert text.startswith("# Operations\n\n") and text.endswith("\n\n## Runbooks\n")
    assert "| RabbitMQ stopped | billing | 0 of 4,000 payments | 0 of 4,000 payments | 12 s | " \
           "`a.py::test_broker`, 2026-01-02 |" in text
    assert "| 1 of 4,000 payments |" in text
    assert with_table(text, load(matrix)) == text
