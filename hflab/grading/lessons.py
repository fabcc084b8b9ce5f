"""A lesson's exercises as the course defines them: read from the course's own source notebook.

The grader never takes the list of exercises, nor the checker call's arguments, from a
submission: the ids come from the checker calls in ``notebooks/NN_name.ipynb`` and each call's
argument expressions are parsed there (with ``ast``). Literal arguments (``min_chars=30``) are
used as the course wrote them; the others are evaluated in the student's kernel after the
exercise cell (hflab.grading._kernel).

Used in: hflab.grading.grader.
"""
from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

_MAGIC = re.compile(r"^(\s*)[%!]")


@dataclass(frozen=True)
class Arg:
    """One argument of a checker call: its source text, and its value when it is a literal."""

    expr: str
    literal: bool = False
    value: object = None


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lesson: id, checker, the source cell and the call's arguments."""

    id: str
    title: str
    module: str
    name: str
    cell: int
    args: tuple[Arg, ...]
    kwargs: tuple[tuple[str, Arg], ...]

    @property
    def answer_name(self) -> str | None:
        """The variable the answer is passed in (``answer``), when the first argument is a plain name."""
        if self.args and re.fullmatch(r"[A-Za-z_]\w*", self.args[0].expr):
            return self.args[0].expr
        return None

    def checker(self):
        """The decorated checker function (from the grader's own hflab)."""
        return getattr(importlib.import_module(self.module), self.name)


def _python(source: str) -> str:
    """The cell's source with IPython magics (``%pip``, ``!ls``) replaced by ``pass``."""
    return "\n".join((_MAGIC.match(l).group(1) + "pass") if _MAGIC.match(l) else l for l in source.splitlines())


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _arg(code: str, node: ast.expr) -> Arg:
    expr = ast.get_source_segment(code, node) or ast.unparse(node)
    try:
        return Arg(expr, True, ast.literal_eval(node))
    except (ValueError, SyntaxError, TypeError):
        return Arg(expr)


def checker_call(source: str, name: str) -> tuple[tuple[Arg, ...], tuple[tuple[str, Arg], ...]] | None:
    """The arguments of the first call of checker `name` in a cell's source (None: no such call)."""
    code = _python(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _call_name(n) == name]
    if not calls:
        return None
    call = min(calls, key=lambda n: (n.lineno, n.col_offset))
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    return tuple(_arg(code, a) for a in call.args), tuple((k.arg, _arg(code, k.value)) for k in call.keywords)


def course_notebook(lesson: str, course_dir=None) -> Path | None:
    """The course's source notebook of a lesson stem (None when the course has no such lesson)."""
    if course_dir is None:
        from ..course import project_root

        course_dir = project_root() / "notebooks"
    path = Path(course_dir) / f"{lesson}.ipynb"
    return path if path.is_file() else None


_CACHE: dict[tuple, list[Exercise]] = {}


def course_exercises(lesson: str, course_dir=None) -> list[Exercise] | None:
    """The exercises of `lesson` in the course's order (None: the course has no such lesson)."""
    from ..exercises import REGISTRY
    from ..student import _source, expected_exercises

    path = course_notebook(lesson, course_dir)
    if path is None:
        return None
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    nb = nbformat.read(path, as_version=4)
    out: list[Exercise] = []
    for index, eid in expected_exercises(nb, lesson=lesson):
        if eid in {e.id for e in out}:
            continue
        info = REGISTRY[eid]
        parsed = checker_call(_source(nb.cells[index]), info.name)
        if parsed is None:
            continue
        out.append(Exercise(eid, info.title, info.module, info.name, index, *parsed))
    _CACHE[key] = out
    return out


def calls_checker(source: str, name: str) -> bool:
    """Whether a cell calls checker `name`, however the student imported or spelled the module."""
    code = _python(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell the student broke is still that exercise's cell
        return re.search(rf"\b{re.escape(name)}\s*\(", code) is not None
    return any(isinstance(n, ast.Call) and _call_name(n) == name for n in ast.walk(tree))


def submitted_calls(nb, exercises) -> dict[int, list[str]]:
    """{cell index: exercise ids} of the submission's code cells that call one of the lesson's checkers."""
    from ..student import _source

    cells: dict[int, list[str]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ids = [ex.id for ex in exercises if calls_checker(_source(cell), ex.name)]
        if ids:
            cells[index] = ids
    return cells
