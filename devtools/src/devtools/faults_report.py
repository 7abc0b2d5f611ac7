"""The fault matrix of docs/operations.md: what each fault test last measured, as a table the tests produce.

Each fault test records its row (`record`) when it has measured: the fault, what was running, how many items were
lost and doubled, and how long the system took to recover. Rows are kept in `docs/fault-matrix.json`, one per
test, and every `record` renders the table into docs/operations.md between the markers, so the page always says
what the tests last saw. `devtools/tests/test_faults_report.py` fails when the page's table is not the rendering
of the file (an edit by hand) or a row names a test that no longer exists.

    python -m devtools.faults_report           # renders the table into the page again
    python -m devtools.faults_report --check   # exit status 1 when the page's table is not the file's
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MATRIX = Path(os.environ.get("CABINET_FAULT_MATRIX", ROOT / "docs" / "fault-matrix.json"))
PAGE = ROOT / "docs" / "operations.md"
BEGIN = ("<!-- fault matrix: rendered from docs/fault-matrix.json by the fault tests "
         "(python -m devtools.faults_report); do not edit -->")
END = "<!-- end of fault matrix -->"
HEADER = ("| fault | what was running | lost | doubled | recovered in | test, measured on |\n"
          "|---|---|---|---|---|---|")


@dataclass(frozen=True)
class FaultRow:
    """One fault test's measurement. `lost` and `doubled` count the items the test sent (`unit`: payments,
    letters); `recovered_in` is the seconds from the end of the fault to the last item done."""

    test: str
    fault: str
    running: str
    unit: str
    sent: int
    lost: int
    doubled: int
    recovered_in: float
    measured_on: str = ""

    def cells(self) -> list[str]:
        file, _, name = self.test.partition("::")
        return [
            self.fault, self.running,
            f"{self.lost} of {self.sent:,} {self.unit}", f"{self.doubled} of {self.sent:,} {self.unit}",
            f"{self.recovered_in:.0f} s", f"`{Path(file).name}::{name}`, {self.measured_on}",
        ]


def load(matrix: Path = MATRIX) -> list[FaultRow]:
    if not matrix.exists():
        return []
    return [FaultRow(**row) for row in json.loads(matrix.read_text())]


def render(rows: list[FaultRow]) -> str:
    lines = [BEGIN, HEADER]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |" for row in rows]
    return "\n".join([*lines, END])


def with_table(page: str, rows: list[FaultRow]) -> str:
    """The page's text with the table between the markers replaced by the rendering of `rows`."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no fault matrix markers ({BEGIN!r} ... {END!r})")
    return page[:start] + render(rows) + page[end + len(END):]


def record(row: FaultRow, *, matrix: Path = MATRIX, page: Path = PAGE) -> None:
    """Keeps `row` in place of the test's earlier one (a new test's row goes last) and renders the page again.

    Fault tests run in parallel processes (a service's tests, the end-to-end tests): the file is locked from
    reading to rendering."""
    row = FaultRow(**{**asdict(row), "measured_on": row.measured_on or date.today().isoformat(),
                      "recovered_in": round(row.recovered_in, 1)})
    matrix.touch()
    with matrix.open("r+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        text = file.read()
        rows = [FaultRow(**item) for item in json.loads(text)] if text.strip() else []
        index = next((n for n, kept in enumerate(rows) if kept.test == row.test), len(rows))
        rows[index:index + 1] = [row]
        file.seek(0)
        file.write(json.dumps([asdict(kept) for kept in rows], ensure_ascii=False, indent=2) + "\n")
        file.truncate()
        page.write_text(with_table(page.read_text(), rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only tell whether the page's table is the file's")
    args = parser.parse_args(argv)
    text = PAGE.read_text()
    rendered = with_table(text, load())
    if args.check:
        if rendered != text:
            print(f"{PAGE}: the fault matrix is not the rendering of {MATRIX}; run python -m devtools.faults_report")
            return 1
        return 0
    PAGE.write_text(rendered)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
