"""Grade submitted notebooks: run each one cell by cell, check every exercise of its lesson here.

Used in: `hflab grade` (through hflab.student.cli_grade), tests/test_student.py, tests/test_grading.py.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import nbformat

from .checking import grade_exercise
from .lessons import course_exercises, submitted_calls
from .rows import GradeRow, summary_line, write_csv
from .sandbox import Workspace
from .transport import TransportError


def _error_text(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
            return text if len(text) <= 300 else text[:300] + "…"
    return None


def _parameters(lesson: str, parameters: dict | None) -> dict:
    if parameters is not None and lesson in parameters:
        return dict(parameters[lesson] or {})
    from ..runner import offline_parameters

    try:
        return offline_parameters(lesson)
    except FileNotFoundError:  # no hflab/offline_params.yaml (yet): the notebook's own defaults
        return {}


def prepare(nb, params: dict) -> list[int | None]:
    """Inject the offline parameters after the ``parameters`` cell (as papermill does), in place.

    Returns, for every cell of the prepared notebook, its 1-based position in the submitted
    notebook (None for the injected cell): the numbers feedback uses.
    """
    from papermill.translators import translate_parameters

    numbered = [(c, i + 1) for i, c in enumerate(nb.cells) if "injected-parameters" not in c.metadata.get("tags", [])]
    if params:
        cell = nbformat.v4.new_code_cell(translate_parameters("python3", "python", params, "Parameters"))
        cell.metadata["tags"] = ["injected-parameters"]
        at = next((k + 1 for k, (c, _) in enumerate(numbered) if "parameters" in c.metadata.get("tags", [])), 0)
        numbered.insert(at, (cell, None))
    nb.cells = [c for c, _ in numbered]
    return [n for _, n in numbered]


def _where(numbers, index) -> str:
    n = numbers[index]
    return "주입된 매개변수 셀" if n is None else f"{n}번째 셀"


def _lesson_of(path: Path, nb) -> str:
    from ..student import _lesson_of as lesson_of

    return lesson_of(path, nb)


def limits(lesson: str, timeout_s: float | None, cell_timeout_s: float | None) -> tuple[float, float]:
    """(notebook limit, cell limit) in seconds: defaults 3x and 2x the lesson's offline budget.

    Generous on purpose: `--jobs 2` on two cores runs each lesson at about half speed, and a
    slow machine must not cost a student an exercise.
    """
    from ..course import lesson as lesson_info

    budget = lesson_info(lesson).budget_s
    notebook = float(timeout_s) if timeout_s else 3.0 * budget
    return notebook, min(notebook, float(cell_timeout_s) if cell_timeout_s else 2.0 * budget)


def _run_cells(nb, numbers, exercises, calls, session, timeout_s, cell_limit, roots):
    """Execute the cells; returns ({id: (status, passed, message)}, notebook rows as (status, message), reached)."""
    from nbclient.exceptions import DeadKernelError

    by_id = {e.id: e for e in exercises}
    results, notes, reached = {}, [], set()
    deadline = time.monotonic() + timeout_s
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                notes.append(("timeout", f"노트북 시간 제한({timeout_s:g}초)을 넘겨 {_where(numbers, i)}부터 실행하지 못했어요."))
                break
            ids = calls.get(i, [])
            try:
                session.forget([by_id[e].answer_name for e in ids if by_id[e].answer_name])
            except TransportError:  # the kernel did not answer in time; the cell's own limit follows
                pass
            limit = min(cell_limit, remaining)
            ok = session.run(cell, i, limit)
            if ok:
                reached.add(i)  # cut-off cells have their own row, not a cell_error one
            alive = ok or session.recover()
            if not ok:
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="TimeoutError", evalue=f"시간 제한 {limit:.0f}초 초과: 셀을 중단했어요", traceback=[]))
                if not ids:
                    notes.append(("cell_timeout", f"{_where(numbers, i)}이(가) 시간 제한({limit:.0f}초)을 넘겨 중단됐어요. "
                                                  "끝나지 않는 반복문이 없는지 확인하세요."))
            started = time.monotonic()
            for eid in ids:
                if not ok:
                    results[eid] = ("error", False, f"{_where(numbers, i)}이(가) 시간 제한({limit:.0f}초)을 넘겨 중단됐어요. "
                                                    "끝나지 않는 반복문이나 너무 큰 계산이 없는지 확인하세요.")
                elif alive:
                    results[eid] = grade_exercise(by_id[eid], session, _where(numbers, i), _error_text(cell), roots,
                                                  max(cell_limit, 60))  # saving a model, calling compute_metrics
            deadline += time.monotonic() - started  # checking is the grader's time, not the student's
            if not alive:
                notes.append(("kernel_died", f"{_where(numbers, i)}을(를) 중단한 뒤 커널이 응답하지 않아 이후 셀은 실행하지 못했어요."))
                break
    except DeadKernelError:
        notes.append(("kernel_died", "커널이 죽었어요 (메모리 부족일 수 있어요). 이후 셀은 실행되지 않았어요."))
    except Exception as e:  # the connection to the kernel broke
        notes.append(("kernel_died", f"커널과의 연결이 끊겼어요 ({type(e).__name__}). 이후 셀은 실행되지 않았어요."))
    return results, notes, reached


def _rows(student, lesson, exercises, calls, results, notes, nb, numbers, reached) -> list[GradeRow]:
    called = {e for ids in calls.values() for e in ids}
    rows = []
    for ex in exercises:
        if ex.id in results:
            status, passed, message = results[ex.id]
        elif ex.id not in called:
            status, passed, message = "missing", False, (
                f"연습 {ex.id}({ex.title})의 채점 셀(hflab.exercises … {ex.name}(...) 호출)이 제출한 노트북에 없어요. "
                "학생용 노트북의 연습 셀을 지우지 말고 그 안에서 답을 쓰세요.")
        else:
            status, passed, message = "not_run", False, "이 연습 셀까지 실행되지 못했어요 (앞에서 시간 제한을 넘었거나 커널이 멈췄어요)."
        rows.append(GradeRow(student, lesson, ex.id, status, passed, message))
    exercise_cells = set(calls)
    broken = [(i, _error_text(nb.cells[i])) for i in sorted(reached) if i not in exercise_cells]
    broken = [(i, e) for i, e in broken if e]
    for status, message in notes:
        rows.append(GradeRow(student, lesson, "", status, None, message))
    if broken:
        i, err = broken[0]
        more = f" (그 밖에 {len(broken) - 1}개 셀도 오류)" if len(broken) > 1 else ""
        rows.append(GradeRow(student, lesson, "", "cell_error", None,
                             f"연습 문제가 아닌 {_where(numbers, i)}에서 오류: {err}{more}. 점수에는 들어가지 않아요."))
    return rows


def grade_notebook(path, student: str | None = None, timeout_s: float | None = None, executed_out=None,
                   parameters: dict[str, dict] | None = None, course_dir=None, cell_timeout_s: float | None = None,
                   lesson: str | None = None, workspace: Workspace | None = None) -> list[GradeRow]:
    """Grade one submitted notebook against its lesson in the course; never raises on a broken submission.

    Every exercise of the lesson (from the course's source notebook in `course_dir`, default
    notebooks/) gets a row. `parameters` ({lesson stem: {name: value}}) replaces the offline
    parameters of the lessons it names; `cell_timeout_s` cuts off one cell, `timeout_s` the
    whole notebook (defaults: see :func:`limits`). Used in: `hflab grade` (through grade()).
    """
    path = Path(path)
    student = student or path.stem
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:
        stem = lesson or _lesson_of(path, None)
        exercises = course_exercises(stem, course_dir) or []
        return [GradeRow(student, stem, "", "unreadable", None,
                         f"노트북 파일을 읽을 수 없어요 ({type(e).__name__}). Jupyter/Colab에서 저장한 .ipynb를 그대로 내세요.")] + [
            GradeRow(student, stem, ex.id, "not_run", False, "노트북을 읽을 수 없어 실행하지 못했어요.") for ex in exercises]
    lesson = lesson or _lesson_of(path, nb)
    exercises = course_exercises(lesson, course_dir)
    if exercises is None:
        return [GradeRow(student, lesson, "", "unknown_lesson", None,
                         f"과정에 '{lesson}' 강의가 없어요. 파일 이름을 강의 이름(예: 06_datasets.ipynb)으로 하거나 "
                         "학생용 노트북을 그대로 써서 내세요.")]
    from ..student import clear_outputs

    clear_outputs(nb)  # a submission's old outputs (and any marker in them) never count
    numbers = prepare(nb, _parameters(lesson, parameters))
    calls = submitted_calls(nb, exercises)
    own = workspace is None
    workspace = workspace or Workspace(course_dir, hidden=[path.parent])
    sub = workspace.submission()
    roots = [sub.dir.resolve(), workspace.pkg, *workspace.readable_roots()]
    from .session import KernelSession

    results, notes, reached = {}, [], set()
    try:
        try:
            with KernelSession(nb, workspace, sub) as session:
                notebook_limit, limit = limits(lesson, timeout_s, cell_timeout_s)
                session.call_timeout = max(limit, 30)  # one call of the learner's function
                results, notes, reached = _run_cells(nb, numbers, exercises, calls, session, notebook_limit, limit,
                                                     roots)
        except Exception as e:  # the kernel could not start
            notes = [("kernel_failed", f"채점 커널을 시작하지 못했어요: {type(e).__name__}: {str(e)[:200]}")]
    finally:
        shutil.rmtree(sub.dir, ignore_errors=True)
        if own:
            workspace.close()
    if executed_out is not None:
        Path(executed_out).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed_out)
    return _rows(student, lesson, exercises, calls, results, notes, nb, numbers, reached)


def submissions(directory) -> list[tuple[str, Path]]:
    """(student, path) for every notebook under a folder of submissions.

    ``DIR/<student>.ipynb`` (student = file stem) or ``DIR/<student>/<NN_name>.ipynb``
    (student = folder name); checkpoints and hidden folders are skipped.
    """
    from ..errors import HflabError

    root = Path(directory)
    if not root.is_dir():
        raise HflabError(f"제출 폴더가 없습니다: {root}", fix="학생들의 .ipynb 파일이 든 폴더를 주세요.")
    found = []
    for p in sorted(root.rglob("*.ipynb")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        found.append((rel.parts[0] if len(rel.parts) > 1 else p.stem, p))
    return found


def grade(directory, out_csv=None, timeout_s: float | None = None, executed_dir=None, jobs: int = 1,
          log: Callable[[str], None] | None = None, parameters: dict[str, dict] | None = None, course_dir=None,
          cell_timeout_s: float | None = None, lesson: str | None = None, isolate: bool | None = None) -> list[GradeRow]:
    """Grade every notebook in a folder of submissions and write the CSV (UTF-8 with BOM for Excel).

    Each submission runs offline in its own kernel, folder and build/ (so `jobs` > 1 never
    collides), with the environment allow-list of hflab.grading.sandbox; the course's checkers
    run in this process on the values taken from the kernel. `lesson` names the lesson when the
    files do not (flat ``DIR/<student>.ipynb`` without the student build's metadata).
    `isolate`: None = mount-namespace isolation where available, True = required.
    `timeout_s` / `cell_timeout_s`: notebook / cell limits (defaults: 3x / 2x the lesson's budget).
    Default CSV: <directory>/grades.csv. Used in: `hflab grade`.
    """
    subs = submissions(directory)
    out_csv = Path(out_csv) if out_csv is not None else Path(directory) / "grades.csv"
    workspace = Workspace(course_dir, hidden=[directory, executed_dir], isolate=isolate)
    if log and not workspace.isolated:
        log("⚠️  이 컴퓨터에서는 채점 커널을 격리(mount namespace)할 수 없어요: 학생 코드가 절대 경로로 강의 노트북을 "
            "읽을 수 있어요. 믿을 수 없는 제출은 컨테이너나 별도 계정에서 채점하세요.")

    def one(task) -> list[GradeRow]:
        student, path = task
        executed_out = Path(executed_dir) / student / path.name if executed_dir is not None else None
        try:
            return grade_notebook(path, student, timeout_s, executed_out, parameters, course_dir, cell_timeout_s,
                                  lesson, workspace)
        except Exception as e:  # never stop the whole class at one submission
            return [GradeRow(student, path.stem, "", "grader_error", None, f"채점 중 오류: {type(e).__name__}: {str(e)[:200]}")]

    rows: list[GradeRow] = []
    try:
        if jobs > 1 and len(subs) > 1:
            from concurrent.futures import ThreadPoolExecutor  # each kernel is a process; a thread only waits on it

            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for (student, path), result in zip(subs, pool.map(one, subs)):
                    if log:
                        log(summary_line(student, str(path), result))
                    rows += result
        else:
            for student, path in subs:
                if log:
                    log(f"▶ {student}: {path.name} 채점 중 ...")
                result = one((student, path))
                if log:
                    log(summary_line(student, str(path), result))
                rows += result
    finally:
        workspace.close()
    write_csv(rows, out_csv)
    return rows
