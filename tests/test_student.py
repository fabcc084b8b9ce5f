"""hflab.student: student build, instructor copy, grading a folder of submissions.

A synthetic lesson notebook (no model, so each kernel run takes a second or two) stands in
for a real lesson: a parameters cell, a setup cell, two exercises using the lesson-00 checkers.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hflab import student
from hflab.student import (
    SolutionMarkerError,
    build_solutions,
    build_student,
    expected_exercises,
    grade,
    read_csv,
    solution_code,
    strip_solutions,
)

STEM = "99_demo"
SOLUTION_1 = "answer_gb = n_params * bytes_per_param / 1e9"
SOLUTION_2_LINES = [
    "limit = 15 * 0.8",
    'answer = {"float16": n_params * 2 / 1e9 <= limit, "4bit": n_params * 0.5 / 1e9 <= limit}',
]


def lesson_notebook() -> nbformat.NotebookNode:
    params = new_code_cell('n_params = 135_000_000\ndtype = "float16"')
    params.metadata["tags"] = ["parameters"]
    answer_note = new_markdown_cell("풀이 설명: 파라미터 수 × 2바이트")
    answer_note.metadata["tags"] = ["solution"]
    cells = [
        new_markdown_cell("# 99. 연습용 노트북"),
        params,
        new_code_cell("import hflab.exercises\nbytes_per_param = 2"),
        new_markdown_cell("### 연습 1\n가중치가 몇 GB인지 `answer_gb`에 넣으세요."),
        new_code_cell(
            "# BEGIN SOLUTION\n" + SOLUTION_1 + "\n# END SOLUTION\n"
            "hflab.exercises.setup.check_param_memory(answer_gb, n_params, dtype)"
        ),
        answer_note,
        new_markdown_cell("### 연습 2\nT4에 들어가는지 dtype마다 답하세요."),
        new_code_cell(
            "def decide(n_params):\n"
            "    # BEGIN SOLUTION\n"
            + "".join(f"    {l}\n" for l in SOLUTION_2_LINES)
            + "    return answer\n"
            "    # END SOLUTION\n"
            "\n"
            "hflab.exercises.setup.check_fits_t4(decide(7_000_000_000), n_params=7_000_000_000)"
        ),
        new_markdown_cell("## 정리"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # outputs a committed notebook should not have, to show that the builds clear them
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", text="old output\n")]
    nb.cells[4].execution_count = 7
    return nb


@pytest.fixture
def lesson_dir(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    nbformat.write(lesson_notebook(), d / f"{STEM}.ipynb")
    return d


def test_strip_solutions_keeps_indentation_and_the_checker_call():
    src = "x = 1\n    # BEGIN SOLUTION\n    y = 2\n    # END SOLUTION\ncheck(y)"
    out = strip_solutions(src)
    assert "y = 2" not in out and "BEGIN SOLUTION" not in out
    assert "    raise NotImplementedError(" in out and "여기에 코드를 작성하세요" in out
    assert out.startswith("x = 1\n") and out.endswith("check(y)")


@pytest.mark.parametrize(
    "src",
    ["# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"],
)
def test_unbalanced_markers_get_a_korean_error(src):
    with pytest.raises(SolutionMarkerError, match="SOLUTION.*"):
        strip_solutions(src, where="x.ipynb 셀 3")


def test_student_build_has_no_solution_code(lesson_dir, tmp_path):
    out = tmp_path / "student"
    written = build_student(lesson_dir, out)
    assert [p.name for p in written] == [f"{STEM}.ipynb"]
    nb = nbformat.read(written[0], as_version=4)
    src_nb = lesson_notebook()
    solutions = [l.strip() for c in src_nb.cells if c.cell_type == "code" for l in solution_code(c.source)]
    assert SOLUTION_1 in solutions and len(solutions) == 4
    text = "\n".join(c.source for c in nb.cells)
    for line in solutions:
        assert line not in text
    assert "SOLUTION" not in text and "풀이 설명" not in text  # markers and solution-tagged cells gone
    assert text.count("raise NotImplementedError(") == 2
    assert "(연습 00.1)" in nb.cells[4].source  # the stub names its exercise
    assert "hflab.exercises.setup.check_param_memory(answer_gb, n_params, dtype)" in nb.cells[4].source
    assert nb.cells[1].metadata["tags"] == ["parameters"]
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["hflab"] == {"lesson": STEM, "build": "student"}
    assert [e for _, e in expected_exercises(nb)] == ["00.1", "00.2"]


def test_solutions_build_keeps_solutions_and_clears_outputs(lesson_dir, tmp_path):
    (written,) = build_solutions(lesson_dir, tmp_path / "solutions")
    nb = nbformat.read(written, as_version=4)
    assert SOLUTION_1 in nb.cells[4].source and "풀이 설명" in nb.cells[5].source
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["hflab"]["build"] == "solutions"


def test_student_build_fails_loudly_at_the_stub(lesson_dir, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from hflab.runner import notebook_env

    (written,) = build_student(lesson_dir, tmp_path / "student")
    nb = nbformat.read(written, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as err:
        with client.setup_kernel(env=notebook_env()):
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
    assert "NotImplementedError" in str(err.value) and "여기에 코드를 작성하세요" in str(err.value)
    ran = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
    assert ran == [1, 2, 4]  # stopped at the first exercise's stub


def _submissions(tmp_path):
    """good (solutions), partly wrong (exercise 2 answered wrong), broken (setup cell raises)."""
    subs = tmp_path / "submissions"
    subs.mkdir()
    good = lesson_notebook()  # the solutions, as a student who solved everything hands them in
    partly = copy.deepcopy(good)
    partly.cells[7].source = partly.cells[7].source.replace("<= limit, \"4bit\"", "<= 15, \"4bit\"")
    broken = copy.deepcopy(good)
    broken.cells[2].source = "import hflab.exercises\nbytes_per_param = 2 +\n"  # syntax error
    for nb in (good, broken):  # flat files named after the student: the lesson comes from the
        nb.metadata["hflab"] = {"lesson": STEM, "build": "student"}  # student build's metadata
    nbformat.write(good, subs / "alice.ipynb")
    (subs / "bob").mkdir()
    nbformat.write(partly, subs / "bob" / f"{STEM}.ipynb")  # a folder per student: lesson = file stem
    nbformat.write(broken, subs / "chris.ipynb")
    (subs / ".ipynb_checkpoints").mkdir()
    nbformat.write(good, subs / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    return subs


def test_grade_folder_good_partly_wrong_broken(lesson_dir, tmp_path):
    subs = _submissions(tmp_path)
    out_csv = tmp_path / "grades.csv"
    rows = grade(
        subs, out_csv, timeout_s=60, executed_dir=tmp_path / "executed",
        parameters={STEM: {"n_params": 1_500_000_000}}, course_dir=lesson_dir,
    )
    table = {(r["student"], r["exercise"]): r for r in read_csv(out_csv)}
    assert len(rows) == len(table)
    assert {s for s, _ in table} == {"alice", "bob", "chris"}

    # good: both exercises pass, no notebook-level row
    assert table["alice", "00.1"]["status"] == "passed" and table["alice", "00.1"]["passed"] is True
    assert table["alice", "00.2"]["passed"] is True
    assert ("alice", "") not in table
    assert table["alice", "00.1"]["notebook"] == STEM
    # the offline parameter reached the kernel: the checker saw the injected n_params
    assert "1,500,000,000" in table["alice", "00.1"]["message"]

    # partly wrong: exercise 1 passes, exercise 2 fails with the checker's Korean hint
    assert table["bob", "00.1"]["passed"] is True
    assert table["bob", "00.2"]["status"] == "failed" and table["bob", "00.2"]["passed"] is False
    assert "20%" in table["bob", "00.2"]["message"]
    assert ("bob", "") not in table

    # broken: grading went on after the syntax error. Exercise 1's cell then fails (no bytes_per_param);
    # exercise 2's answer does not depend on the broken cell: the grader computes its grade itself
    # from decide(...) although the student's own checker call there failed (no `import hflab.exercises`)
    assert table["chris", "00.1"]["status"] == "error" and table["chris", "00.1"]["passed"] is False
    assert "NameError" in table["chris", "00.1"]["message"] and "5번째 셀" in table["chris", "00.1"]["message"]
    assert table["chris", "00.2"]["status"] == "passed"
    assert table["chris", ""]["status"] == "cell_error" and "SyntaxError" in table["chris", ""]["message"]
    assert "3번째 셀" in table["chris", ""]["message"]  # the number the student counts, not the injected cell's
    assert table["chris", ""]["passed"] is None

    executed = nbformat.read(tmp_path / "executed" / "alice" / "alice.ipynb", as_version=4)
    assert executed.cells[2].metadata["tags"] == ["injected-parameters"]
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    # each checker call shows one output (no duplicate from the returned result)
    assert len(executed.cells[5].outputs) == 1  # cells shifted by the injected parameters cell


def test_grade_student_build_with_parallel_jobs(lesson_dir, tmp_path):
    subs = tmp_path / "subs"
    build_student(lesson_dir, subs)  # an untouched student copy: both exercises hit their stubs
    nb = lesson_notebook()
    nb.metadata["hflab"] = {"lesson": STEM}
    nbformat.write(nb, subs / "erin.ipynb")
    rows = grade(subs, tmp_path / "g.csv", timeout_s=120, jobs=2, course_dir=lesson_dir)  # two kernels at once
    table = {(r.student, r.exercise): r for r in rows}
    stub = table[STEM, "00.1"]
    assert stub.status == "unanswered" and "여기에 코드를 작성하세요" in stub.message and stub.passed is False
    # the student build has no solution-tagged cell: exercise 2 is its 7th cell
    assert table[STEM, "00.2"].status == "unanswered" and "7번째 셀" in table[STEM, "00.2"].message
    assert table["erin", "00.1"].passed and table["erin", "00.2"].passed


def test_grading_kernel_env_is_an_allow_list():
    from hflab.grading import allowed_env

    env = allowed_env({"HF_TOKEN": "x", "GH_PAT": "y", "DATABASE_URL": "z", "DB_PASSWD": "w", "PATH": "/bin",
                       "LC_ALL": "C.UTF-8", "PYTHONPATH": "/work/main"})
    assert env == {"PATH": "/bin", "LC_ALL": "C.UTF-8"}


def test_grade_time_limit_per_notebook(lesson_dir, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    slow = lesson_notebook()
    slow.cells[2].source = "import time\ntime.sleep(600)"
    slow.metadata["hflab"] = {"lesson": STEM}
    nbformat.write(slow, subs / "slow.ipynb")
    rows = grade(subs, tmp_path / "g.csv", timeout_s=5, course_dir=lesson_dir)
    table = {(r.student, r.exercise): r for r in rows}
    assert table["slow", ""].status == "timeout" and "시간 제한" in table["slow", ""].message
    assert table["slow", "00.1"].status == "not_run" and table["slow", "00.2"].status == "not_run"


def test_grade_reports_an_unreadable_file(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "dana.ipynb").write_text("{ not json", encoding="utf-8")
    rows = grade(subs, tmp_path / "g.csv", timeout_s=10)
    assert [(r.student, r.status) for r in rows] == [("dana", "unreadable")]


def test_checker_calls_are_found_in_every_import_style():
    nb = new_notebook(cells=[
        new_code_cell("from hflab.exercises import setup as ex00\nimport hflab.exercises.setup as s"),
        new_code_cell("ex00.check_param_memory(a, 1)"),
        new_code_cell("from hflab.exercises.setup import check_fits_t4\ncheck_fits_t4(b, 1)"),
        new_code_cell("# hflab.exercises.setup.check_param_memory(a, 1)  (a comment)\nobj.check_thing(1)"),
        new_code_cell("s.check_fits_t4(b, 1); hflab.exercises.setup.check_param_memory(a, 1)"),
    ])
    assert expected_exercises(nb) == [(1, "00.1"), (2, "00.2"), (4, "00.2"), (4, "00.1")]


def test_course_notebooks_student_build_strips_every_solution(tmp_path):
    # every lesson in notebooks/: the student build leaves no solution line and one stub per region
    src = Path(__file__).resolve().parent.parent / "notebooks"
    lessons = sorted(src.glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        pytest.skip("no lesson notebooks yet")
    written = build_student(src, tmp_path / "student")
    assert [p.name for p in written] == [p.name for p in lessons]
    for lesson, built in zip(lessons, written):
        nb = nbformat.read(lesson, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        n_regions = sum(len(student.solution_regions(src)) for src in code)
        solution_lines = {l.strip() for src in code for l in solution_code(src)}
        outside = "\n".join(strip_solutions(src) for src in code)  # code the student is meant to see
        built_code = "\n".join(c.source for c in nbformat.read(built, as_version=4).cells if c.cell_type == "code")
        assert "SOLUTION" not in built_code, lesson.name
        for line in solution_lines:
            if line not in outside:
                assert line not in built_code, f"{lesson.name}: solution line left in the student build: {line}"
        assert built_code.count("raise NotImplementedError(") >= n_regions, lesson.name


def test_cli_functions_exist():
    for name in ("cli_student", "cli_solutions", "cli_grade"):
        assert callable(getattr(student, name))
