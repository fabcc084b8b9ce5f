"""Self-checking exercises (연습 문제): the small framework every lesson's checkers use.

How a lesson author adds exercises (one module per lesson, ``hflab/exercises/<lesson>.py``)::

    # hflab/exercises/tokenizers.py
    \"\"\"Checkers for 03_tokenizers. Used in: 03_tokenizers.\"\"\"
    from hflab.exercises import Example, Hint, ensure, exercise

    LESSON = "03_tokenizers"          # ids below must start with "03."

    @exercise("03.1", "패딩 방향")
    def check_padding_side(answer, tokenizer):
        # compute the expectation from the SAME inputs the learner used (no stored constants)
        expected = tokenizer.padding_side
        ensure(isinstance(answer, str), "답은 'left' 또는 'right' 문자열이어야 해요.")
        ensure(answer == expected, "tokenizer.padding_side 속성을 확인해 보세요.")
        return f"이 토크나이저는 {expected} 쪽에 패딩을 붙입니다."   # shown after "✅ 정답입니다:"

    def examples():                   # the tests run these: right passes, every wrong is rejected
        tok = ...                     # build inputs offline (course data, local tokenizers)
        return [
            Example(check_padding_side, right=dict(answer="right", tokenizer=tok),
                    wrong=[dict(answer="left", tokenizer=tok), dict(answer=3, tokenizer=tok)]),
        ]

Rules for a checker:

* Decorate it with :func:`exercise` (id ``"NN.k"``, NN = lesson number, short Korean title).
  The first parameter is the learner's answer; the others are the inputs the answer was
  computed from. The checker recomputes the expected value from those inputs.
* Reject a wrong answer with ``raise Hint("...")`` or ``ensure(cond, "...")``: a Korean
  hint that says what is off (shape, padding side, label id, unit ...) without giving the
  answer away. Any other exception from a wrong answer is caught by the decorator and turned
  into a Korean hint too, so a learner never sees a bare traceback.
* Return ``None`` or a short Korean string (shown after "✅ 정답입니다:") when the answer is right.
* The decorated checker prints the feedback and RETURNS an :class:`ExerciseResult`.
  In a notebook the feedback is one display output whose text is what the learner reads and
  whose ``application/vnd.hflab.exercise+json`` part the tests read (``exercise_results``).
  ``hflab grade`` never trusts it: it takes the checker's arguments out of the student's kernel and
  runs the course's checker itself (hflab.grading).
* Keep module import light (no model loading at import time): tests import every module.
* ``examples()`` returns one :class:`Example` per checker (tests/test_exercises.py fails
  for a checker without one). A wrong case can be ``(kwargs, "substring the hint must contain")``.

Helpers for checker authors: ``Hint``, ``ensure(cond, hint)``, ``as_number(x, what)``,
``is_close(a, b, rel=0.02)``, ``ensure_shape(x, shape, what)``, ``shape_of(x)``;
``@exercise(..., allow_none=True)`` when ``None`` is a legitimate answer.

In the notebook (after ``import hflab.exercises``, or ``from hflab.exercises import tokenizers as ex03``
and ``ex03.check_...``: grading understands both), the exercise cell is::

    # BEGIN SOLUTION
    answer = ...
    # END SOLUTION
    hflab.exercises.tokenizers.check_padding_side(answer, tokenizer)

``hflab student`` replaces the region with a stub that raises "여기에 코드를 작성하세요"
(keep the checker call outside the region). ``hflab grade DIR`` runs submissions and grades them
with the course's checkers (hflab.grading); ``hflab.student.exercise_results(executed_nb)`` reads
the displayed results in tests.

Used in: every lesson's 연습 문제, ``hflab student|solutions|grade``, tests/test_exercises.py.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import json
import math
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import HflabError

#: Mimetype of the machine-readable part of a checker's display output (parsed by grading).
MIMETYPE = "application/vnd.hflab.exercise+json"
#: Prefix of the machine-readable text line (used where no rich display exists).
MARKER = "[hflab-exercise]"

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


class Hint(Exception):
    """Raised inside a checker: the answer is wrong; the message is the Korean hint."""


@dataclass
class ExerciseResult:
    """Outcome of one checker call: what grading, tests and the learner read."""

    exercise_id: str
    passed: bool
    message: str
    title: str = ""
    _reported: bool = field(default=False, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def text(self) -> str:
        """The feedback line the learner reads."""
        head = f"[{self.exercise_id}{' ' + self.title if self.title else ''}]"
        if self.passed:
            return f"✅ 정답입니다: {self.message} {head}".rstrip()
        return f"❌ 아직 아니에요 {head}\n   힌트: {self.message}"

    def to_json(self) -> dict:
        return {"id": self.exercise_id, "passed": self.passed, "message": self.message, "title": self.title}

    def marker_line(self) -> str:
        """``[hflab-exercise] {"id": ..., "passed": ...}``: one text line grading can parse."""
        return f"{MARKER} {json.dumps(self.to_json(), ensure_ascii=False)}"

    def report(self) -> "ExerciseResult":
        """Show the feedback: a display output in IPython (text + machine part), else print."""
        self._reported = True
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                display({"text/plain": self.text, MIMETYPE: self.to_json()}, raw=True)
                return self
        except Exception:  # no IPython, or a frontend that cannot display: plain text
            pass
        print(self.text)
        return self

    def _ipython_display_(self):
        # A checker call as the last line of a cell returns this object; its feedback was
        # just displayed, so the automatic display shows nothing (no duplicate). Displaying
        # the object again later shows the feedback.
        if self._reported:
            self._reported = False
            return
        self.report()
        self._reported = False


@dataclass(frozen=True)
class ExerciseInfo:
    """A registered checker: its id, title, module and function name."""

    exercise_id: str
    title: str
    module: str
    name: str


#: every checker registered with @exercise, by id
REGISTRY: dict[str, ExerciseInfo] = {}


def exercise(exercise_id: str, title: str = "", allow_none: bool = False) -> Callable[[Callable], Callable]:
    """Decorator that turns ``check_xxx`` into a safe checker.

    The wrapped function never raises on a wrong answer: it prints (or displays) "✅ 정답입니다"
    or "❌ ... 힌트: ..." and returns an :class:`ExerciseResult`. An answer of ``None`` / ``...``
    gets the hint "답이 비어 있어요" unless ``allow_none=True`` (for questions whose answer can be None).
    Used in: every hflab/exercises/<lesson>.py.
    """
    if not re.fullmatch(r"\d\d\.\d+", exercise_id):
        raise ValueError(f"exercise id must look like '03.1', got {exercise_id!r}")

    def decorate(func: Callable) -> Callable:
        info = ExerciseInfo(exercise_id, title, func.__module__, func.__name__)
        old = REGISTRY.get(exercise_id)
        if old is not None and (old.module, old.name) != (info.module, info.name):
            raise ValueError(f"exercise id {exercise_id} is used by {old.module}.{old.name} already")
        REGISTRY[exercise_id] = info
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs) -> ExerciseResult:
            return run_check(func, sig, exercise_id, title, args, kwargs, allow_none).report()

        wrapper.exercise_id = exercise_id  # type: ignore[attr-defined]
        wrapper.exercise_title = title  # type: ignore[attr-defined]
        wrapper.check = func  # type: ignore[attr-defined]  # the raw function (raises Hint)
        wrapper.allow_none = allow_none  # type: ignore[attr-defined]
        return wrapper

    return decorate


def run_check(func, sig, exercise_id, title, args, kwargs, allow_none=False) -> ExerciseResult:
    """Call a raw checker and turn every outcome into an ExerciseResult (never raises)."""

    def fail(message: str) -> ExerciseResult:
        return ExerciseResult(exercise_id, False, message, title)

    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        return fail(f"채점 함수를 부르는 방법이 달라요 ({e}). {func.__name__}{sig} 형태로 불러 주세요.")
    params = list(sig.parameters)
    if params and not allow_none:
        answer = bound.arguments.get(params[0], None)
        if answer is None or answer is Ellipsis:
            return fail("답이 비어 있어요. 연습 문제 셀에서 답을 계산해 변수에 넣은 뒤 다시 실행하세요.")
    try:
        out = func(*bound.args, **bound.kwargs)
    except Hint as h:
        return fail(str(h))
    except HflabError as e:  # bad inputs to an hflab helper: its Korean message says what to do
        return fail(str(e))
    except Exception as e:  # a wrong answer of an unexpected kind: a hint, not a traceback
        detail = f"{type(e).__name__}: {e}".strip()
        if len(detail) > 200:
            detail = detail[:200] + "…"
        return fail(
            f"답을 확인하다가 오류가 났어요 ({detail}). "
            "답의 자료형과 모양(shape)이 문제에서 요구한 것과 같은지 확인해 보세요."
        )
    if isinstance(out, ExerciseResult):
        return out
    if out is False:
        return fail("답이 예상과 달라요. 문제를 다시 읽고 계산 과정을 확인해 보세요.")
    message = out if isinstance(out, str) and out else "잘했어요!"
    return ExerciseResult(exercise_id, True, message, title)


# --- helpers for checker authors -------------------------------------------------------------


def ensure(condition: Any, hint: str) -> None:
    """``raise Hint(hint)`` unless `condition` holds."""
    if not condition:
        raise Hint(hint)


def is_close(a: float, b: float, rel: float = 0.02, abs_tol: float = 0.0) -> bool:
    """Relative closeness for numeric answers (learners round)."""
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)


def as_number(answer: Any, what: str = "답") -> float:
    """The answer as a float, or a Hint saying that a number is expected."""
    if isinstance(answer, bool):
        raise Hint(f"{what}은(는) True/False가 아니라 숫자여야 해요.")
    if hasattr(answer, "item") and callable(answer.item):  # a 0-d tensor / numpy scalar
        try:
            answer = answer.item()
        except Exception:
            raise Hint(f"{what}은(는) 숫자 하나여야 해요 (원소가 여러 개인 텐서/배열이 들어왔어요).") from None
    if isinstance(answer, str):
        raise Hint(f"{what}은(는) 문자열이 아니라 숫자여야 해요 (따옴표를 빼세요).")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Hint(f"{what}은(는) 숫자여야 해요. 지금은 {type(answer).__name__} 값이 들어왔어요.") from None
    if math.isnan(value) or math.isinf(value):
        raise Hint(f"{what}이(가) {value}예요. 계산 중 0으로 나누었거나 값이 넘쳤는지 확인하세요.")
    return value


def shape_of(value: Any) -> tuple | None:
    """Shape of a tensor / array / nested list (None when it has none)."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(int(s) for s in shape)
    if isinstance(value, (list, tuple)):
        if not value:
            return (0,)
        inner = {shape_of(v) for v in value}
        if len(inner) != 1:
            return None  # ragged
        (first,) = inner
        return (len(value),) + (first or ())
    return ()


def ensure_shape(value: Any, expected: tuple, what: str = "텐서") -> None:
    """Hint naming the expected and the actual shape (the most common tensor mistake)."""
    got = shape_of(value)
    if got is None:
        raise Hint(f"{what}의 행마다 길이가 달라요(ragged). 패딩(padding)으로 길이를 맞췄는지 확인하세요.")
    expected = tuple(expected)
    if got != expected:
        extra = ""
        if len(got) == len(expected) + 1 and got[0] == 1:
            extra = " 배치 차원(batch) 하나가 더 붙어 있어요."
        elif len(got) + 1 == len(expected):
            extra = " 배치 차원(batch)이 빠진 것 같아요."
        elif sorted(got) == sorted(expected):
            extra = " 축의 순서가 바뀐 것 같아요 (transpose)."
        raise Hint(f"{what}의 모양(shape)이 {expected}이어야 하는데 {got}이에요.{extra}")


# --- examples and self-tests -----------------------------------------------------------------


@dataclass
class Example:
    """A checker with one right call and wrong calls it must reject (keyword arguments).

    A wrong call is a dict of keyword arguments, or ``(kwargs, substring)`` where the hint
    must contain `substring`.
    """

    check: Callable
    right: dict
    wrong: list = field(default_factory=list)


def lesson_modules() -> list[str]:
    """Names of the lesson checker modules in hflab/exercises (imports nothing)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def checkers(module) -> list[Callable]:
    """The @exercise-decorated functions defined in a module."""
    return [
        obj
        for name, obj in vars(module).items()
        if callable(obj) and hasattr(obj, "exercise_id") and getattr(obj, "__module__", None) == module.__name__
    ]


def _silent_call(check: Callable, kwargs: dict) -> ExerciseResult:
    info_sig = inspect.signature(check.check)
    return run_check(check.check, info_sig, check.exercise_id, check.exercise_title, (), kwargs, check.allow_none)


def self_test(module_name: str) -> list[str]:
    """Run a lesson module's ``examples()``; return the problems found (empty = all good).

    Checks: every checker has an example; the right answer passes; every wrong answer is
    rejected (no exception escapes) with a Korean hint (containing the expected substring).
    Used in: tests/test_exercises.py (for every lesson module).
    """
    module = importlib.import_module(f"{__name__}.{module_name}")
    problems: list[str] = []
    lesson = getattr(module, "LESSON", None)
    if not lesson or not re.fullmatch(r"\d\d_\w+", str(lesson)):
        problems.append(f"{module_name}: define LESSON = 'NN_name' (the notebook stem)")
    found = checkers(module)
    if not found:
        problems.append(f"{module_name}: no @exercise checkers")
    for check in found:
        if lesson and not check.exercise_id.startswith(str(lesson)[:2] + "."):
            problems.append(f"{check.__name__}: id {check.exercise_id} does not start with {str(lesson)[:2]}.")
    examples_fn = getattr(module, "examples", None)
    if not callable(examples_fn):
        return problems + [f"{module_name}: define examples() -> list[Example]"]
    examples = examples_fn()
    covered = {ex.check.__name__ for ex in examples}
    for check in found:
        if check.__name__ not in covered:
            problems.append(f"{check.__name__}: no Example in examples()")
    for ex in examples:
        name = ex.check.__name__
        try:
            right = _silent_call(ex.check, ex.right)
        except Exception as e:  # the wrapper must never raise
            problems.append(f"{name}: right answer raised {type(e).__name__}: {e}")
            continue
        if not right.passed:
            problems.append(f"{name}: right answer rejected: {right.message}")
        if not ex.wrong:
            problems.append(f"{name}: no wrong answers in its Example")
        for i, wrong in enumerate(ex.wrong):
            kwargs, must_contain = (wrong if isinstance(wrong, tuple) else (wrong, None))
            try:
                res = _silent_call(ex.check, kwargs)
            except Exception as e:
                problems.append(f"{name}: wrong answer #{i} raised {type(e).__name__}: {e}")
                continue
            if res.passed:
                problems.append(f"{name}: wrong answer #{i} was accepted")
            elif not _HANGUL.search(res.message):
                problems.append(f"{name}: wrong answer #{i}: hint is not Korean: {res.message!r}")
            elif must_contain and must_contain not in res.message:
                problems.append(f"{name}: wrong answer #{i}: hint {res.message!r} lacks {must_contain!r}")
    return problems


def __getattr__(name: str):
    # `hflab.exercises.setup.check_x(...)` works after `import hflab.exercises` alone.
    if name in lesson_modules():
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
