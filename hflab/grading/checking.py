"""Check one exercise: take the answer values out of the kernel and run the course's checker here.

The checker is the grader's own (hflab.exercises), called without display; what the student's
kernel printed or returned never counts. It runs in a worker thread with a time limit; when it
calls the learner's function (compute_metrics, a backoff function ...), the call is passed back
to the grading thread, which runs it in the student's kernel.

Used in: hflab.grading.grader.
"""
from __future__ import annotations

import inspect
import os
import queue
import threading
import time
from pathlib import Path

from .lessons import Exercise
from .transport import Decoder, RemoteError, TransportError

STUB_TEXT = "여기에 코드를 작성하세요"


def is_stub(error: str | None) -> bool:
    return bool(error) and error.startswith("NotImplementedError") and STUB_TEXT in error


def _keys(ex: Exercise) -> dict[str, str]:
    exprs = {f"a{i}": a.expr for i, a in enumerate(ex.args) if not a.literal}
    exprs.update({f"k:{name}": a.expr for name, a in ex.kwargs if not a.literal})
    return exprs


def _confine(value, workdir: Path, roots: list[Path]):
    """A path argument, made absolute against the kernel's folder; refused when it leads outside `roots`."""
    if not isinstance(value, (str, Path)) or (isinstance(value, str) and (os.sep not in value or len(value) > 4096)):
        return value
    p = Path(value)
    if not p.is_absolute():
        if not (workdir / p).exists():
            return value
        p = workdir / p
        value = p if isinstance(value, Path) else str(p)
    if p.exists() and not any(p.resolve().is_relative_to(r) for r in roots):
        raise TransportError(f"경로 {str(value)[:120]!r}이(가) 제출 폴더 밖을 가리켜요. 노트북이 만든 파일을 쓰세요.")
    return value


def _values(ex: Exercise, payload: dict, decoder: Decoder, workdir: Path, roots: list[Path]):
    """(args, kwargs) for the checker, or raise _Unanswered / TransportError with a Korean message."""
    def value(key: str, arg) -> object:
        if arg.literal:
            return arg.value
        entry = payload.get(key)
        if not isinstance(entry, dict):
            raise TransportError(f"{arg.expr} 값을 받지 못했어요.")
        if "value" in entry:
            return _confine(decoder.decode(entry["value"]), workdir, roots)
        problem = str(entry.get("missing") or entry.get("error") or entry.get("unsupported") or "")[:300]
        raise _Missing(key, arg.expr, problem, "unsupported" in entry)

    args = [value(f"a{i}", a) for i, a in enumerate(ex.args)]
    kwargs = {name: value(f"k:{name}", a) for name, a in ex.kwargs}
    return args, kwargs


class _Missing(Exception):
    def __init__(self, key, expr, problem, unsupported):
        super().__init__(problem)
        self.key, self.expr, self.problem, self.unsupported = key, expr, problem, unsupported


def _outcome_of_missing(m: _Missing, ex: Exercise, where: str, cell_error: str | None):
    if m.unsupported:
        return "error", f"{where}: {m.expr}의 자료형을 채점기가 옮길 수 없어요 ({m.problem}). 문제에서 요구한 자료형으로 답하세요."
    if is_stub(m.problem) or (m.key == "a0" and is_stub(cell_error)):
        return "unanswered", f"아직 풀지 않았어요: {where}의 '{STUB_TEXT}' 부분을 채우고 셀을 실행한 뒤 제출하세요."
    if m.key == "a0":
        if cell_error:
            return "error", f"{where}에서 오류가 나 답이 만들어지지 않았어요: {cell_error}. 셀을 고쳐 처음부터 다시 실행해 보세요."
        return "error", f"답 {m.expr}을(를) 만들지 않았어요 ({m.problem}). {where}에서 답을 이 이름에 넣으세요."
    return "error", (f"채점에 필요한 {m.expr}이(가) 없어요 ({m.problem}). 강의의 앞 셀을 지우거나 바꾸지 않았는지 확인하고 "
                     "처음부터 다시 실행해 보세요.")


def _run_checker(ex: Exercise, build, session, timeout: float):
    """Run the raw checker on build(remote) in a worker thread; remote calls are served here."""
    from ..exercises import run_check

    requests: queue.Queue = queue.Queue()

    def remote(ref, args, kwargs):
        reply: queue.Queue = queue.Queue(maxsize=1)
        requests.put((ref, args, kwargs, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        node, folder = value
        return Decoder(folder, remote).decode(node)

    box: dict = {}

    def work():
        try:
            args, kwargs = build(remote)
            fn = ex.checker()
            raw = fn.check
            box["result"] = run_check(raw, inspect.signature(raw), fn.exercise_id, fn.exercise_title, args, kwargs,
                                      fn.allow_none)
        except BaseException as e:  # reported below
            box["error"] = e
        finally:
            requests.put(None)

    threading.Thread(target=work, daemon=True, name=f"hflab-check-{ex.id}").start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            item = requests.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        if item is None:
            break
        ref, args, kwargs, reply = item
        try:
            reply.put((True, session.remote_call(ref, args, kwargs)))
        except Exception as e:
            reply.put((False, e if isinstance(e, (RemoteError, TransportError)) else RemoteError(str(e)[:300])))
    if "error" in box:
        raise box["error"]
    return box["result"]


def grade_exercise(ex: Exercise, session, where: str, cell_error: str | None, roots: list[Path],
                   timeout: float) -> tuple[str, bool, str]:
    """(status, passed, message) of one exercise after its cell ran in `session`."""
    try:
        payload, folder = session.capture(_keys(ex), timeout)
    except TransportError as e:
        return "error", False, f"{where}: {e}"
    decoder_box: dict = {}

    def build(remote):
        decoder_box["d"] = Decoder(folder, remote)
        return _values(ex, payload, decoder_box["d"], session.sub.dir, roots)

    try:
        result = _run_checker(ex, build, session, timeout)
    except _Missing as m:
        status, message = _outcome_of_missing(m, ex, where, cell_error)
        return status, False, message
    except TransportError as e:
        return "error", False, f"{where}: {e}"
    except TimeoutError:
        return "error", False, f"{where}: 채점 함수가 {timeout:g}초 안에 끝나지 않았어요. 답(특히 함수)이 오래 걸리지 않는지 확인하세요."
    except Exception as e:
        return "error", False, f"{where}: 채점 중 오류 ({type(e).__name__}: {str(e)[:200]})."
    return ("passed" if result.passed else "failed"), bool(result.passed), result.message
