"""hflab.exercises: the framework, and every lesson's checkers through their examples().

Every module hflab/exercises/<lesson>.py is discovered here: its right answers must pass and
each wrong answer must be rejected with a Korean hint, without an exception escaping.
A lesson author adds no test code: defining examples() in the module is enough.
"""
from __future__ import annotations

import importlib
import json
import re

import pytest

import hflab.exercises as ex
from hflab.exercises import Example, ExerciseResult, Hint, ensure, ensure_shape, exercise, self_test

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("module", ex.lesson_modules())
def test_lesson_checkers_accept_solution_and_reject_wrong_answers(module):
    problems = self_test(module)
    assert not problems, "\n".join(problems)


def test_exercise_ids_are_unique_and_match_their_lesson():
    for name in ex.lesson_modules():
        importlib.import_module(f"hflab.exercises.{name}")
    by_module: dict[str, list[str]] = {}
    for eid, info in ex.REGISTRY.items():
        by_module.setdefault(info.module, []).append(eid)
    assert "hflab.exercises.setup" in by_module
    assert sorted(by_module["hflab.exercises.setup"]) == ["00.1", "00.2"]


def test_lesson_modules_are_importable_without_tests_folder():
    # the checkers live in the package (works on Colab after pip install): no tests import
    for name in ex.lesson_modules():
        mod = importlib.import_module(f"hflab.exercises.{name}")
        assert "tests" not in (mod.__file__ or "")
    assert ex.setup is importlib.import_module("hflab.exercises.setup")  # lazy attribute access


# --- the framework itself, on a throwaway checker --------------------------------------------


@exercise("98.1", "시험용")
def check_double(answer, x):
    ensure(isinstance(answer, int), "정수로 답하세요.")
    if answer == x:
        raise Hint("2를 곱하는 것을 잊었어요.")
    ensure(answer == 2 * x, "x에 2를 곱하세요.")
    return f"{x} × 2 = {answer}"


@exercise("98.2")
def check_buggy(answer):
    return answer["missing"]  # a wrong kind of answer makes the checker itself fail


def test_right_answer_prints_ok_and_returns_result(capsys):
    r = check_double(6, 3)
    out = capsys.readouterr().out
    assert isinstance(r, ExerciseResult) and r.passed and bool(r)
    assert r.exercise_id == "98.1"
    assert "✅ 정답입니다: 3 × 2 = 6" in out


def test_wrong_answer_prints_korean_hint_and_never_raises(capsys):
    r = check_double(3, 3)
    out = capsys.readouterr().out
    assert not r.passed and r.message == "2를 곱하는 것을 잊었어요."
    assert "❌" in out and "힌트: 2를 곱하는 것을 잊었어요." in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "call, hint",
    [
        (lambda: check_buggy({"x": 1}), "오류가 났어요"),  # any exception -> Korean hint
        (lambda: check_double(None, 3), "비어"),  # unfinished answer
        (lambda: check_double(..., 3), "비어"),
        (lambda: check_double(6), "부르는 방법"),  # wrong call signature
        (lambda: check_double(6, 3, 4, 5), "부르는 방법"),
    ],
)
def test_every_failure_becomes_a_hint(call, hint, capsys):
    r = call()
    assert not r.passed and hint in r.message and HANGUL.search(r.message)
    assert "Traceback" not in capsys.readouterr().out


def test_marker_is_machine_readable():
    r = ExerciseResult("00.1", True, "좋아요", "제목")
    line = r.marker_line()
    assert line.startswith(ex.MARKER)
    assert json.loads(line[len(ex.MARKER):]) == {"id": "00.1", "passed": True, "message": "좋아요", "title": "제목"}


def test_result_displays_once_in_ipython():
    # the checker displays text + the grading mimetype; the returned object shows nothing more
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    captured = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: captured.append(data)
    try:
        r = check_double(6, 3)
        assert len(captured) == 1
        assert captured[0]["text/plain"].startswith("✅ 정답입니다")
        assert captured[0][ex.MIMETYPE]["id"] == "98.1" and captured[0][ex.MIMETYPE]["passed"] is True
        shell.display_formatter.format(r)  # the automatic display of the cell's last value
        assert len(captured) == 1
    finally:
        InteractiveShell.clear_instance()


def test_ensure_shape_hints():
    with pytest.raises(Hint, match="배치 차원"):
        ensure_shape([[[1, 2]]], (1, 2))
    with pytest.raises(Hint, match="ragged"):
        ensure_shape([[1, 2], [1]], (2, 2))
    with pytest.raises(Hint, match="순서"):
        ensure_shape([[1, 2, 3], [4, 5, 6]], (3, 2))
    ensure_shape([[1, 2], [3, 4]], (2, 2))


def test_self_test_reports_a_checker_that_accepts_a_wrong_answer(tmp_path, monkeypatch):
    mod = tmp_path / "hflab_fake_lesson.py"
    mod.write_text(
        "from hflab.exercises import exercise, Example\n"
        "LESSON = '97_fake'\n"
        "@exercise('97.1')\n"
        "def check_lenient(answer, x):\n"
        "    return 'ok'\n"
        "@exercise('97.2')\n"
        "def check_untested(answer):\n"
        "    return 'ok'\n"
        "def examples():\n"
        "    return [Example(check_lenient, right=dict(answer=1, x=1), wrong=[dict(answer=2, x=1)])]\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import sys

    spec_name = "hflab.exercises.hflab_fake_lesson"
    monkeypatch.setitem(sys.modules, spec_name, importlib.import_module("hflab_fake_lesson"))
    problems = self_test("hflab_fake_lesson")
    for eid in ("97.1", "97.2"):
        ex.REGISTRY.pop(eid, None)
    assert any("wrong answer #0 was accepted" in p for p in problems)
    assert any("check_untested: no Example" in p for p in problems)


def test_example_type_is_public():
    assert Example(check_double, right=dict(answer=2, x=1)).wrong == []


def test_examples_leave_nothing_in_the_system_temp_dir(tmp_path):
    """Lessons 01 and 08 build files for their examples: under build/, not in TMPDIR (issue 26)."""
    import os
    import subprocess
    import sys

    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    code = ("from hflab.exercises import self_test\n"
            "problems = self_test('hub_token') + self_test('trainer')\n"
            "assert not problems, problems\n")
    # torch makes its compile cache, one fixed folder TMPDIR/torchinductor_<user>, when torch._dynamo is imported
    env = {**os.environ, "TMPDIR": str(tmpdir), "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "torchinductor")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in tmpdir.iterdir()) == []
