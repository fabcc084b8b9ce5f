"""Classroom workflow: student builds, the instructor copy, and grading submitted notebooks.

* ``build_student()`` (``hflab student`` / ``make student``) writes ``build/student/NN_*.ipynb``:
  every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region of a code cell becomes a stub that
  raises "여기에 코드를 작성하세요", cells tagged ``solution`` are dropped, outputs are cleared.
* ``build_solutions()`` (``hflab solutions``) writes the instructor copy to ``build/solutions``.
* ``grade()`` (``hflab grade DIR``) lives in :mod:`hflab.grading` (re-exported here): it runs
  every submission cell by cell and runs the course's checkers itself on the values taken from
  the kernel; what a kernel displays (``exercise_results`` below) never counts there.

Used in: the instructor workflow (README "수업에서 쓰기"), tests/test_student.py,
tests/test_notebooks.py (``exercise_results``, which reads what a lesson's own run displayed).
"""
from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path

import nbformat

from .errors import HflabError
from .exercises import MARKER, MIMETYPE, lesson_modules

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


# --- grading (hflab.grading; the names stay importable from here) ------------------------------

_GRADING_NAMES = ("grade", "grade_notebook", "submissions", "GradeRow", "CSV_FIELDS", "write_csv", "read_csv")


def __getattr__(name: str):
    # `from hflab.student import grade, GradeRow ...` keeps working; hflab.grading is imported on use
    if name in _GRADING_NAMES:
        from . import grading

        return getattr(grading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def cli_grade(directory, out=None, timeout: float | None = None, executed=None, jobs: int = 1,
              cell_timeout: float | None = None, lesson: str | None = None) -> int:
    """`hflab grade DIR`: grade a folder of submissions; returns the exit code (0 = graded)."""
    from .grading import grade

    rows = grade(directory, out, timeout_s=timeout, executed_dir=executed, jobs=jobs, log=_console_print,
                 cell_timeout_s=cell_timeout, lesson=lesson)
    out_csv = Path(out) if out is not None else Path(directory) / "grades.csv"
    students = sorted({r.student for r in rows})
    _console_print(f"학생 {len(students)}명 채점 완료 → {out_csv}")
    for s in students:
        ex = [r for r in rows if r.student == s and r.exercise]
        _console_print(f"  {s}: {sum(1 for r in ex if r.passed)}/{len(ex)}")
    return 0
