"""Grade rows and the CSV: one row per student x exercise, safe to open in a spreadsheet.

Statuses of an exercise row: ``passed``, ``failed`` (the course's checker said no),
``unanswered`` (the stub is still there), ``error`` (the cell or the answer could not be
checked: an exception, a cell cut off by its time limit, an answer the grader cannot take over),
``not_run`` (never reached: notebook time limit, dead kernel, unreadable file), ``missing``
(the submission has no cell that calls the exercise's checker).
Notebook rows (exercise ""): ``cell_error``, ``cell_timeout``, ``timeout``, ``kernel_died``,
``kernel_failed``, ``unreadable``, ``unknown_lesson``, ``grader_error``.

Used in: hflab.grading.grader, `hflab grade`.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

CSV_FIELDS = ("student", "notebook", "exercise", "status", "passed", "message")
#: a spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


@dataclass
class GradeRow:
    student: str
    notebook: str
    exercise: str
    status: str
    passed: bool | None
    message: str = ""


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like text gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[GradeRow], out_csv) -> Path:
    """Write the rows as UTF-8 with BOM (Excel reads Korean then); every text cell escaped."""
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, fieldnames=[f.name for f in fields(GradeRow)])
        w.writeheader()
        for r in rows:
            d = {k: csv_cell(v) for k, v in asdict(r).items()}
            d["passed"] = "" if r.passed is None else str(bool(r.passed))
            w.writerow(d)
    return out_csv


def read_csv(path) -> list[dict]:
    """Rows of a grades CSV as dicts (passed: True/False/None)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["passed"] = {"True": True, "False": False}.get(r["passed"])
    return rows


def summary_line(student: str, path: str, rows: Iterable[GradeRow]) -> str:
    """``  alice / 06_datasets.ipynb: 3/4 통과 (cell_error)`` for the grading log."""
    rows = list(rows)
    ex = [r for r in rows if r.exercise]
    ok = sum(1 for r in ex if r.passed)
    problems = [r.status for r in rows if not r.exercise]
    return f"  {student} / {Path(path).name}: {ok}/{len(ex)} 통과" + (f" ({', '.join(problems)})" if problems else "")
