"""``hflab grade``: grades computed by the grader, not reported by the student's kernel.

How a submission is graded:

1. The lesson's exercises come from the course's own notebook (``notebooks/NN_name.ipynb``):
   their ids and each checker call's argument expressions (:mod:`.lessons`). A submission can
   neither add an id nor remove one: a deleted exercise is a ``missing`` row.
2. The notebook runs cell by cell in a fresh kernel (:mod:`.session`) with its own folder,
   HOME and ``build/``, an environment built from an allow-list, and a staged copy of the
   ``hflab`` package with no course notebooks beside it; where Linux allows it, in a private
   mount namespace that covers the course notebooks, build outputs, the other submissions and
   the instructor's token files (:mod:`.sandbox`). Every cell has a time limit; a cut-off cell
   is interrupted and grading goes on with the next one.
3. After each exercise cell the grader evaluates the course's argument expressions in the
   kernel, takes the values over as data (:mod:`._kernel` writes, :mod:`.transport` decodes)
   and runs the course's checker in this process (:mod:`.checking`). What the kernel printed,
   displayed or returned, and any rebinding of ``check_*`` there, counts for nothing.
4. One row per exercise of the lesson, escaped for spreadsheets (:mod:`.rows`); cell numbers
   in messages are positions in the submitted notebook.

What stays possible: code in the kernel runs as the instructor's user, and the lesson inputs
a checker recomputes from (a tokenizer, a dataset) are the kernel's own. A student who rewrites
the lesson's earlier cells to make a wrong answer look right can still do so; the executed
copies (``--executed``) show it.

Used in: `hflab grade`, hflab.student (re-exports), tests/test_student.py, tests/test_grading.py.
"""
from .grader import grade, grade_notebook, prepare, submissions
from .rows import CSV_FIELDS, GradeRow, csv_cell, read_csv, summary_line, write_csv
from .sandbox import ENV_ALLOW, IsolationError, Workspace, allowed_env, namespaces_work

__all__ = [
    "grade", "grade_notebook", "prepare", "submissions", "CSV_FIELDS", "GradeRow", "csv_cell", "read_csv",
    "summary_line", "write_csv", "ENV_ALLOW", "IsolationError", "Workspace", "allowed_env", "namespaces_work",
]
