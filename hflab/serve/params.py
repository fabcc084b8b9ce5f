"""Request bodies and parameters: the JSON object of a body (depth, surrogates, NaN refused) and the
validators every engine uses for its parameters (each wrong value is a 4xx with a Korean message)."""
from __future__ import annotations

import json
import math
from typing import Mapping

from ..json_guard import MAX_JSON_DEPTH, json_problem
from .errors import _bad, _short


def parse_json_body(raw: bytes) -> dict:
    """The JSON object of a request body, or a 400 :class:`RequestError` with a Korean message.

    Refused: an empty body, bytes that are not UTF-8 (or UTF-16/32) JSON, a body that is not an object,
    JSON nested deeper than :data:`MAX_JSON_DEPTH` (``json.loads`` raises ``RecursionError`` on very deep
    input; shallower but deep input would make later ``repr`` or tokenizer calls fail), and strings or
    keys with a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON but no text: encoding it fails in the
    tokenizer and in the JSON answer).
    Used in: ``hflab serve`` (every route that reads a body).
    """
    if not raw.strip():
        raise _bad("요청 본문이 비어 있습니다. JSON 을 보내세요: {\"inputs\": \"...\"}.", "empty body", 400)
    too_deep = False
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        too_deep, body = True, None
    except (ValueError, UnicodeDecodeError) as e:
        raise _bad(f"요청 본문이 올바른 JSON 이 아닙니다 ({type(e).__name__}).", "malformed JSON body", 400) from None
    if too_deep:
        _too_deep()
    if not isinstance(body, dict):
        raise _bad("요청 본문은 JSON 객체여야 합니다: {\"inputs\": \"...\"}.", "the body must be a JSON object", 400)
    problem = json_problem(body)
    if problem == "depth":
        _too_deep()
    if problem == "surrogate":
        raise _bad("요청 본문의 문자열에 짝이 없는 서로게이트(예: \\ud800)가 있습니다. 올바른 UTF-8 텍스트를 보내세요.",
                   "a JSON string holds a lone surrogate", 400)
    return body


def _no_constant(name: str):
    raise _bad(f"JSON 에는 {name} 값이 없습니다. 유한한 숫자를 보내세요.", f"{name} is not valid JSON", 400)


def _too_deep():
    raise _bad(f"요청 본문의 JSON 이 너무 깊게 중첩되어 있습니다 (최대 {MAX_JSON_DEPTH}단계). "
               "{\"inputs\": \"...\", \"parameters\": {...}} 모양으로 보내세요.",
               f"JSON nested deeper than {MAX_JSON_DEPTH} levels", 400)


def _int_param(params: dict, name: str, lo: int, hi: int, default=None):
    v = params.get(name, default)
    if v is None:
        return default
    if (isinstance(v, bool) or not isinstance(v, (int, float)) or isinstance(v, float) and not math.isfinite(v)
            or int(v) != v):
        raise _bad(f"'{name}' 는 정수여야 합니다 (지금 {_short(v)}).", f"'{name}' must be an integer", 422,
                   error_type="validation")
    v = int(v)
    if not lo <= v <= hi:
        raise _bad(f"'{name}' 는 {lo} 이상 {hi} 이하여야 합니다 (지금 {v}).",
                   f"'{name}' must be between {lo} and {hi}", 422, error_type="validation")
    return v


def _float_param(params: dict, name: str, lo: float, hi: float, default=None, lo_open: bool = False):
    v = params.get(name, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _bad(f"'{name}' 는 숫자여야 합니다 (지금 {_short(v)}).", f"'{name}' must be a number", 422,
                   error_type="validation")
    v = float(v)
    if (v <= lo if lo_open else v < lo) or v > hi:
        low = f"{lo} 초과" if lo_open else f"{lo} 이상"
        raise _bad(f"'{name}' 는 {low} {hi} 이하여야 합니다 (지금 {v}).",
                   f"'{name}' must be in {'(' if lo_open else '['}{lo}, {hi}]", 422, error_type="validation")
    return v


def _bool_param(params: dict, name: str, default=None):
    v = params.get(name, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise _bad(f"'{name}' 는 true/false 여야 합니다 (지금 {_short(v)}).", f"'{name}' must be a boolean", 422,
                   error_type="validation")
    return v


def _stop_param(params: dict, name: str = "stop") -> list[str]:
    v = params.get(name)
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
        raise _bad(f"'{name}' 는 비어 있지 않은 문자열(또는 그 리스트)이어야 합니다.",
                   f"'{name}' must be a non-empty string or a list of them", 422, error_type="validation")
    if len(v) > 4:
        raise _bad("멈춤 문자열(stop)은 4개까지입니다.", "at most 4 stop sequences", 422, error_type="validation")
    if any(len(s) > _MAX_STOP_CHARS for s in v):
        # transformers' StopStringCriteria builds a (vocabulary x stop length) table per stop string
        raise _bad(f"멈춤 문자열(stop)은 하나에 {_MAX_STOP_CHARS}자까지입니다.",
                   f"a stop sequence has at most {_MAX_STOP_CHARS} characters", 422, error_type="validation")
    return v


_MAX_STOP_CHARS = 64


def _check_unknown(params: Mapping, allowed: set, task: str, where: str = "parameters") -> None:
    unknown = sorted(k for k, v in params.items() if k not in allowed and v is not None)
    if unknown:
        raise _bad(
            f"{task} 엔드포인트가 모르는 {where} 항목: {', '.join(unknown)}. 쓸 수 있는 것: "
            f"{', '.join(sorted(allowed)) or '(없음)'}. 다른 작업(task)의 호출을 보낸 것은 아닌지 확인하세요.",
            f"unknown {where} for task {task}: {', '.join(unknown)}",
        )
