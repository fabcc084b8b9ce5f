"""Classroom workflow: student builds, the instructor copy, and grading submitted notebooks.

* ``build_student()`` (``hflab student`` / ``make student``) writes ``build/student/NN_*.ipynb``:
  every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region of a code cell becomes a stub that
  raises "여기에 코드를 작성하세요", cells tagged ``solution`` are dropped, outputs are cleared.
* ``build_solutions()`` (``hflab solutions``) writes the instructor copy to ``build/solutions``.
* ``grade()`` (``hflab grade DIR``) runs every submitted notebook offline in a fresh kernel,
  with a time limit per notebook, reads the exercise results the checkers displayed
  (``hflab.exercises.MIMETYPE``) and writes one CSV row per student x exercise.

Used in: the instructor workflow (README "수업에서 쓰기"), tests/test_student.py,
tests/test_notebooks.py (``exercise_results``).
"""
from __future__ import annotations

import copy
import csv
import importlib
import json
import math
import re
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Iterable

import nbformat

from .errors import HflabError
from .exercises import MARKER, MIMETYPE, REGISTRY, lesson_modules

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#[ \t]*BEGIN SOLUTION\b")
END = re.compile(r"^[ \t]*#[ \t]*END SOLUTION\b")
#: what a stripped solution region raises in the student build
STUB_MESSAGE = "여기에 코드를 작성하세요: 빈칸을 채운 뒤 이 셀을 다시 실행하세요."
#: cells with this tag (e.g. a markdown cell explaining the answer) are left out of the student build
SOLUTION_TAG = "solution"

_LESSON_STEM = re.compile(r"\d\d_[A-Za-z0-9_]+")


class SolutionMarkerError(HflabError):
    """A notebook's solution markers are unbalanced."""


# --- marking and stripping -------------------------------------------------------------------


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solution_regions(source: str, where: str = "") -> list[tuple[int, int]]:
    """(begin, end) line indices of each solution region in a cell's source (markers included)."""
    regions, start = [], None
    for i, line in enumerate(source.splitlines()):
        if BEGIN.match(line):
            if start is not None:
                raise SolutionMarkerError(
                    f"{where}: '# BEGIN SOLUTION'이 닫히기 전에 또 나왔습니다 (줄 {i + 1}).",
                    fix="각 '# BEGIN SOLUTION' 뒤에 '# END SOLUTION'을 한 번씩 두세요.",
                )
            start = i
        elif END.match(line):
            if start is None:
                raise SolutionMarkerError(
                    f"{where}: '# BEGIN SOLUTION' 없이 '# END SOLUTION'이 나왔습니다 (줄 {i + 1}).",
                    fix="풀이 영역을 '# BEGIN SOLUTION'으로 여세요.",
                )
            regions.append((start, i))
            start = None
    if start is not None:
        raise SolutionMarkerError(
            f"{where}: '# BEGIN SOLUTION'이 닫히지 않았습니다 (줄 {start + 1}).",
            fix="풀이 영역 끝에 '# END SOLUTION' 줄을 넣으세요.",
        )
    return regions


def solution_code(source: str) -> list[str]:
    """The code lines inside the solution regions (markers and blank lines left out)."""
    lines = source.splitlines()
    out = []
    for a, b in solution_regions(source):
        out += [l for l in lines[a + 1 : b] if l.strip()]
    return out


def strip_solutions(source: str, where: str = "", exercise_id: str | None = None) -> str:
    """The cell source with each solution region replaced by a stub at the region's indentation."""
    regions = solution_regions(source, where)
    if not regions:
        return source
    lines = source.splitlines()
    message = STUB_MESSAGE if not exercise_id else f"여기에 코드를 작성하세요 (연습 {exercise_id}): " + STUB_MESSAGE.split(": ", 1)[1]
    out: list[str] = []
    pos = 0
    for a, b in regions:
        out += lines[pos:a]
        indent = BEGIN.match(lines[a]).group("indent")
        out += [f"{indent}# 여기에 코드를 작성하세요", f"{indent}raise NotImplementedError({message!r})"]
        pos = b + 1
    out += lines[pos:]
    return "\n".join(out)


def clear_outputs(nb) -> None:
    """Remove outputs, execution counts and run metadata (papermill, timing) in place."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def _lesson_of(path: Path, nb) -> str:
    meta = nb.metadata.get("hflab", {}) if hasattr(nb, "metadata") else {}
    if isinstance(meta, dict) and meta.get("lesson"):
        return str(meta["lesson"])
    m = _LESSON_STEM.search(path.stem)
    return m.group(0) if m else path.stem


def student_notebook(nb, name: str = "notebook"):
    """A student copy of a lesson notebook (a new node; `nb` is left unchanged)."""
    nb = copy.deepcopy(nb)
    ids: dict[int, list[str]] = {}
    for i, eid in expected_exercises(nb, lesson=_lesson_of(Path(name), nb)):
        ids.setdefault(i, []).append(eid)
    cells = []
    for i, cell in enumerate(nb.cells):
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "code":
            here = ids.get(i, [])
            cell.source = strip_solutions(
                _source(cell), where=f"{name} 셀 {i}", exercise_id=here[0] if len(here) == 1 else None
            )
        cells.append(cell)
    nb.cells = cells
    clear_outputs(nb)
    nb.metadata["hflab"] = {"lesson": _lesson_of(Path(name), nb), "build": "student"}
    return nb


def solutions_notebook(nb, name: str = "notebook"):
    """The instructor copy: solutions kept (markers checked), outputs cleared."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            solution_regions(_source(cell), where=f"{name} 셀 {i}")
    clear_outputs(nb)
    nb.metadata["hflab"] = {"lesson": _lesson_of(Path(name), nb), "build": "solutions"}
    return nb


def _lesson_notebooks(src_dir) -> list[Path]:
    src = Path(src_dir) if src_dir is not None else _project_root() / "notebooks"
    if src.is_file():
        return [src]
    if not src.is_dir():
        raise HflabError(f"노트북 폴더가 없습니다: {src}", fix="저장소 루트에서 실행하거나 --src 로 notebooks 폴더를 주세요.")
    return sorted(src.glob("[0-9][0-9]_*.ipynb"))


def _project_root() -> Path:
    from .course import project_root

    return project_root()


def _build(transform, src_dir, out_dir, default_out: str) -> list[Path]:
    out = Path(out_dir) if out_dir is not None else _project_root() / "build" / default_out
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in _lesson_notebooks(src_dir):
        nb = nbformat.read(path, as_version=4)
        new = transform(nb, name=path.name)
        target = out / path.name
        nbformat.write(new, target)
        written.append(target)
    return written


def build_student(src_dir=None, out_dir=None) -> list[Path]:
    """Write the student build (solutions stubbed, outputs cleared); returns the files written.

    Defaults: notebooks/ -> build/student/ under the project root.
    Used in: `hflab student`, `make student`.
    """
    return _build(student_notebook, src_dir, out_dir, "student")


def build_solutions(src_dir=None, out_dir=None) -> list[Path]:
    """Write the instructor copy (solutions kept, outputs cleared) to build/solutions/.

    Used in: `hflab solutions`.
    """
    return _build(solutions_notebook, src_dir, out_dir, "solutions")


# --- reading exercise results ----------------------------------------------------------------


def _resolve(module: str | None, name: str, prefer: str | None = None) -> str | None:
    """Exercise id of a checker, from the registry (imports the lesson modules it looks in).

    Without a module, the lesson's own module (LESSON == `prefer`) is searched first.
    """
    if module:
        mods = [module]
    else:
        mods = lesson_modules()
    found = []
    for m in mods:
        try:
            mod = importlib.import_module(f"hflab.exercises.{m}")
        except Exception:
            continue
        fn = getattr(mod, name, None)
        if fn is not None and hasattr(fn, "exercise_id"):
            found.append((getattr(mod, "LESSON", None) != prefer, fn.exercise_id))
    return min(found)[1] if found else None


_FROM_PKG = re.compile(r"^\s*from\s+hflab\.exercises\s+import\s+\(?([\w \t,]+)\)?", re.M)
_IMPORT_AS = re.compile(r"^\s*import\s+hflab\.exercises\.(\w+)\s+as\s+(\w+)", re.M)
_FROM_MOD = re.compile(r"^\s*from\s+hflab\.exercises\.(\w+)\s+import\s+\(?([\w \t,]+)\)?", re.M)
_CALL = re.compile(r"(?:\b(?P<prefix>[A-Za-z_][\w.]*)\.)?\b(?P<name>check_\w+)\s*\(")


def _aliases(code: str) -> dict[str, str]:
    """Names bound to lesson modules or checkers by import lines: {alias: module}."""
    out: dict[str, str] = {}
    for m in _FROM_PKG.finditer(code):  # from hflab.exercises import setup as ex00
        for part in m.group(1).split(","):
            words = part.split()
            if words:
                out[words[-1]] = words[0]
    for m in _IMPORT_AS.finditer(code):  # import hflab.exercises.setup as ex00
        out[m.group(2)] = m.group(1)
    for m in _FROM_MOD.finditer(code):  # from hflab.exercises.setup import check_x (as y)
        for part in m.group(2).split(","):
            words = part.split()
            if words:
                out[words[-1]] = m.group(1) + "." + words[0]
    return out


def _code_lines(source: str) -> str:
    return "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("#", "%", "!")))


def _checker_calls(source: str, aliases: dict[str, str] | None = None, lesson: str | None = None) -> list[tuple[str, str]]:
    """(checker name, exercise id) for each checker call in a cell (comment lines skipped)."""
    aliases = aliases if aliases is not None else _aliases(_code_lines(source))
    found = []
    for m in _CALL.finditer(_code_lines(source)):
        prefix, name = m.group("prefix"), m.group("name")
        module = None
        if prefix:
            last = prefix.split(".")[-1]
            module = aliases.get(last, last)
        elif name in aliases and "." in aliases[name]:  # imported checker, maybe renamed
            module, name = aliases[name].split(".", 1)
        eid = _resolve(module, name, prefer=lesson) if module in (None, *lesson_modules()) else None
        if eid:  # a call that is not a registered checker (e.g. obj.check_x()) is no exercise
            found.append((name, eid))
    return found


def expected_exercises(nb, lesson: str | None = None) -> list[tuple[int, str]]:
    """(cell index, exercise id) of every checker call in a notebook's code cells, in order.

    Understands ``hflab.exercises.setup.check_x(...)``, ``from hflab.exercises import setup as ex00``
    + ``ex00.check_x(...)``, and ``from hflab.exercises.setup import check_x``.
    """
    code = [(i, _source(c)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    aliases = _aliases("\n".join(_code_lines(src) for _, src in code))
    if lesson is None:
        meta = nb.metadata.get("hflab", {}) if hasattr(nb, "metadata") else {}
        lesson = meta.get("lesson") if isinstance(meta, dict) else None
    out = []
    for i, src in code:
        out += [(i, eid) for _, eid in _checker_calls(src, aliases, lesson)]
    return out


def exercise_results(nb) -> list[dict]:
    """Exercise results displayed in an executed notebook: dicts with id, passed, message, cell.

    Used in: `hflab grade`, tests/test_notebooks.py (every solution must pass its checker).
    """
    results = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            payload = None
            data = out.get("data", {})
            if MIMETYPE in data:
                payload = data[MIMETYPE]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                results.append({**payload, "cell": i})
            elif out.get("output_type") == "stream":
                for line in _source({"source": out.get("text", "")}).splitlines():
                    if line.startswith(MARKER):
                        try:
                            results.append({**json.loads(line[len(MARKER):]), "cell": i})
                        except ValueError:
                            pass
    return results


# --- grading ---------------------------------------------------------------------------------

#: per-exercise statuses: passed, failed (the checker said no), unanswered (the stub is still there),
#: error (the cell raised before the checker ran), not_run (never reached: time limit, dead kernel,
#: or the checker call was removed).
#: notebook rows (exercise ""): cell_error, timeout, kernel_died, unreadable, kernel_failed.
CSV_FIELDS = ("student", "notebook", "exercise", "status", "passed", "message")


@dataclass
class GradeRow:
    student: str
    notebook: str
    exercise: str
    status: str
    passed: bool | None
    message: str = ""


def _error_text(out) -> str:
    text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
    return text if len(text) <= 300 else text[:300] + "…"


def _cell_error(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return _error_text(out)
    return None


def _execute(nb, timeout_s: float, cwd: str, env: dict) -> tuple[set[int], str, str]:
    """Run every code cell in a fresh kernel until the notebook's deadline.

    nbclient directly, not papermill.execute_notebook: papermill stops at the first failing cell
    (it has no "allow errors" switch) and its limit is per cell. Grading must go on after a
    student's error (later exercises still count) and needs one limit for the whole notebook,
    so each cell gets the time left until the deadline; papermill is used only to inject the
    offline parameters. Returns (executed cell indices, problem status, message).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=False,
        startup_timeout=120, resources={"metadata": {"path": cwd}}, shutdown_kernel="immediate",
    )
    executed: set[int] = set()
    try:
        # the kernel's own stdout/stderr (transport warnings, C-level noise) are not the student's output
        with client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            deadline = time.monotonic() + timeout_s
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return executed, "timeout", f"시간 제한({timeout_s:g}초)을 넘겨 셀 {index}부터 실행하지 못했어요."
                client.timeout = max(1, math.ceil(remaining))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="TimeoutError", evalue=f"시간 제한 {timeout_s:g}초 초과", traceback=[]))
                    return executed, "timeout", f"시간 제한({timeout_s:g}초)을 넘겼어요: 셀 {index}에서 멈췄어요."
                executed.add(index)
    except DeadKernelError:
        return executed, "kernel_died", "커널이 죽었어요 (메모리 부족일 수 있어요). 이후 셀은 실행되지 않았어요."
    except Exception as e:  # kernel could not start, etc.
        status = "kernel_failed" if not executed else "kernel_died"
        return executed, status, f"노트북을 실행하지 못했어요: {type(e).__name__}: {e}"
    return executed, "", ""


def _offline_parameters(lesson: str) -> dict:
    from .runner import offline_parameters

    try:
        return offline_parameters(lesson)
    except FileNotFoundError:  # no hflab/offline_params.yaml (yet): the notebook's own defaults
        return {}


_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|ACCESS_KEY|CREDENTIAL", re.I)


def _grading_env(env: dict, cwd: str) -> dict:
    """The offline kernel environment minus the instructor's secrets.

    Submitted code is untrusted: no token variables, and huggingface_hub's token file is pointed
    at an empty place, so a submission cannot print the instructor's Hub token into its outputs.
    (This is no sandbox: grade untrusted classes in a container or a throwaway account.)
    """
    env = {k: v for k, v in env.items() if not _SECRET_NAME.search(k)}
    env["HF_TOKEN_PATH"] = str(Path(cwd) / "no-hf-token")
    return env


def grade_notebook(
    path,
    student: str | None = None,
    timeout_s: float = 300,
    executed_out=None,
    parameters: dict[str, dict] | None = None,
) -> list[GradeRow]:
    """Grade one submitted notebook; never raises on a broken submission.

    `parameters` ({lesson stem: {name: value}}) replaces the offline parameters
    (hflab/offline_params.yaml) of the lessons it names.

    Used in: `hflab grade` (through grade()).
    """
    from papermill.parameterize import parameterize_notebook

    from .runner import notebook_env

    path = Path(path)
    student = student or path.stem
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:
        return [GradeRow(student, path.stem, "", "unreadable", None, f"노트북 파일을 읽을 수 없어요: {type(e).__name__}: {e}")]
    lesson = _lesson_of(path, nb)
    clear_outputs(nb)  # a submission's old outputs (and any marker in them) never count
    params = (parameters or {}).get(lesson)
    if params is None:
        params = _offline_parameters(lesson)
    if params:
        for cell in nb.cells:  # papermill reads cell.metadata.tags on every cell
            cell.metadata.setdefault("tags", [])
        nb.metadata["papermill"] = {}  # where papermill records the injected parameters
        nb = parameterize_notebook(nb, params, kernel_name="python3", language="python")
    expected = expected_exercises(nb)

    with tempfile.TemporaryDirectory(prefix="hflab-grade-") as cwd:
        executed, problem, problem_msg = _execute(nb, timeout_s, cwd, _grading_env(notebook_env(), cwd))
    if executed_out is not None:
        Path(executed_out).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed_out)

    results = {r["id"]: r for r in exercise_results(nb)}  # last call of a checker wins
    rows: list[GradeRow] = []
    seen = set()
    for cell_index, eid in expected:
        if eid in seen:
            continue
        seen.add(eid)
        r = results.get(eid)
        if r is not None:
            rows.append(GradeRow(student, lesson, eid, "passed" if r["passed"] else "failed", bool(r["passed"]), r.get("message", "")))
        elif cell_index in executed and _cell_error(nb.cells[cell_index]):
            err = _cell_error(nb.cells[cell_index])
            status = "unanswered" if err.startswith("NotImplementedError") and "여기에 코드를 작성하세요" in err else "error"
            rows.append(GradeRow(student, lesson, eid, status, False, "셀 실행 오류: " + err))
        elif cell_index in executed:
            rows.append(GradeRow(student, lesson, eid, "not_run", False, "채점 함수가 결과를 내지 않았어요."))
        else:
            rows.append(GradeRow(student, lesson, eid, "not_run", False, "이 셀까지 실행되지 않았어요."))
    for eid, r in results.items():  # checkers called somewhere else (e.g. a cell the student added)
        if eid not in seen:
            rows.append(GradeRow(student, lesson, eid, "passed" if r["passed"] else "failed", bool(r["passed"]), r.get("message", "")))

    exercise_cells = {i for i, _ in expected}
    broken = [(i, _cell_error(nb.cells[i])) for i in sorted(executed) if i not in exercise_cells and _cell_error(nb.cells[i])]
    if problem:
        rows.append(GradeRow(student, lesson, "", problem, None, problem_msg))
    if broken:
        i, err = broken[0]
        more = f" (그 밖에 {len(broken) - 1}개 셀도 오류)" if len(broken) > 1 else ""
        rows.append(GradeRow(student, lesson, "", "cell_error", None, f"연습 문제가 아닌 셀 {i}에서 오류: {err}{more}"))
    return rows


def submissions(directory) -> list[tuple[str, Path]]:
    """(student, path) for every notebook under a folder of submissions.

    ``DIR/<student>.ipynb`` (student = file stem) or ``DIR/<student>/<NN_name>.ipynb``
    (student = folder name); checkpoints are skipped.
    """
    root = Path(directory)
    if not root.is_dir():
        raise HflabError(f"제출 폴더가 없습니다: {root}", fix="학생들의 .ipynb 파일이 든 폴더를 주세요.")
    found = []
    for p in sorted(root.rglob("*.ipynb")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # .ipynb_checkpoints, hidden folders
        found.append((rel.parts[0] if len(rel.parts) > 1 else p.stem, p))
    return found


def _grade_one(args) -> list[GradeRow]:
    student, path, timeout_s, executed_out, parameters = args
    try:
        return grade_notebook(path, student=student, timeout_s=timeout_s, executed_out=executed_out, parameters=parameters)
    except Exception as e:  # never stop the whole class at one submission
        return [GradeRow(student, Path(path).stem, "", "grader_error", None, f"채점 중 오류: {type(e).__name__}: {e}")]


def grade(
    directory,
    out_csv=None,
    timeout_s: float = 300,
    executed_dir=None,
    jobs: int = 1,
    log: Callable[[str], None] | None = None,
    parameters: dict[str, dict] | None = None,
) -> list[GradeRow]:
    """Grade every notebook in a folder of submissions and write the CSV (UTF-8 with BOM for Excel).

    Each notebook runs offline (hflab/offline_params.yaml, HF_HUB_OFFLINE=1) in a fresh kernel,
    keeps going after errors, and stops at `timeout_s` seconds. `jobs` > 1 grades that many
    notebooks at once. Executed copies go to `executed_dir/<student>/` when given.
    `parameters` ({lesson stem: {name: value}}) replaces the offline parameters of those lessons.
    Default CSV: <directory>/grades.csv. Used in: `hflab grade`.
    """
    subs = submissions(directory)
    out_csv = Path(out_csv) if out_csv is not None else Path(directory) / "grades.csv"
    tasks = []
    for student, path in subs:
        executed_out = Path(executed_dir) / student / path.name if executed_dir is not None else None
        tasks.append((student, str(path), timeout_s, executed_out, parameters))
    rows: list[GradeRow] = []
    if jobs > 1 and len(tasks) > 1:
        # threads are enough: each notebook runs in its own kernel process; a thread only waits on it
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for (student, path, *_), result in zip(tasks, pool.map(_grade_one, tasks)):
                if log:
                    log(_summary_line(student, path, result))
                rows += result
    else:
        for task in tasks:
            if log:
                log(f"▶ {task[0]}: {Path(task[1]).name} 채점 중 ...")
            result = _grade_one(task)
            if log:
                log(_summary_line(task[0], task[1], result))
            rows += result
    write_csv(rows, out_csv)
    return rows


def _summary_line(student: str, path: str, rows: Iterable[GradeRow]) -> str:
    rows = list(rows)
    ex = [r for r in rows if r.exercise]
    ok = sum(1 for r in ex if r.passed)
    problems = [r.status for r in rows if not r.exercise]
    return f"  {student} / {Path(path).name}: {ok}/{len(ex)} 통과" + (f" ({', '.join(problems)})" if problems else "")


def write_csv(rows: Iterable[GradeRow], out_csv) -> Path:
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, fieldnames=[f.name for f in fields(GradeRow)])
        w.writeheader()
        for r in rows:
            d = asdict(r)
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


# --- plain functions for the CLI (hflab/cli.py wires them) -----------------------------------


def _console_print(text: str) -> None:
    try:
        from rich.console import Console

        Console().print(text, markup=False, highlight=False)
    except ImportError:
        print(text)


def cli_student(src=None, out=None) -> list[Path]:
    """`hflab student`: write the student build and list it."""
    written = build_student(src, out)
    for p in written:
        _console_print(f"✍️  {p}")
    _console_print(f"학생용 노트북 {len(written)}개를 만들었어요 (풀이 제거, 출력 삭제).")
    return written


def cli_solutions(src=None, out=None) -> list[Path]:
    """`hflab solutions`: write the instructor copy and list it."""
    written = build_solutions(src, out)
    for p in written:
        _console_print(f"📘 {p}")
    _console_print(f"강사용(풀이 포함) 노트북 {len(written)}개를 만들었어요.")
    return written


def cli_grade(directory, out=None, timeout: float = 300, executed=None, jobs: int = 1) -> int:
    """`hflab grade DIR`: grade a folder of submissions; returns the exit code (0 = graded)."""
    rows = grade(directory, out, timeout_s=timeout, executed_dir=executed, jobs=jobs, log=_console_print)
    out_csv = Path(out) if out is not None else Path(directory) / "grades.csv"
    students = sorted({r.student for r in rows})
    _console_print(f"학생 {len(students)}명 채점 완료 → {out_csv}")
    for s in students:
        ex = [r for r in rows if r.student == s and r.exercise]
        _console_print(f"  {s}: {sum(1 for r in ex if r.passed)}/{len(ex)}")
    return 0
