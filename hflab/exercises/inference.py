"""Checkers for lesson 11 (the Inference API with InferenceClient).

Each checker recomputes its expectation from the learner's own inputs: the system and user text
for the chat messages, the ``ChatCompletionOutput`` the learner received, :func:`hflab.retry.backoff_wait`
for the wait before a retry, and :func:`hflab.retry.what_to_do` for what an HTTP status asks of you.

Used in: 11_inference_api.
"""
from __future__ import annotations

import math

from .. import retry
from . import Example, Hint, ensure, exercise, is_close

LESSON = "11_inference_api"


# --- 11.1 chat messages ----------------------------------------------------------------------


@exercise("11.1", "채팅 메시지 만들기")
def check_chat_messages(answer, system, user):
    """``[{"role": "system", "content": system}, {"role": "user", "content": user}]`` (OpenAI / chat template form).

    Used in: 11_inference_api.
    """
    expected = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    if isinstance(answer, str):
        raise Hint("문자열 하나가 아니라 메시지 딕셔너리의 리스트여야 해요: [{'role': ..., 'content': ...}, ...]")
    ensure(isinstance(answer, (list, tuple)), "답은 리스트여야 해요: [{'role': 'system', ...}, {'role': 'user', ...}]")
    ensure(all(isinstance(m, dict) for m in answer), "리스트의 각 원소는 {'role': ..., 'content': ...} 딕셔너리여야 해요.")
    ensure(len(answer) == 2, f"메시지가 {len(answer)}개예요. system 하나, user 하나, 모두 2개여야 해요.")
    for m in answer:
        ensure(set(m) >= {"role", "content"}, "각 메시지에 'role' 과 'content' 키가 모두 있어야 해요.")
    roles = [m["role"] for m in answer]
    if roles == ["user", "system"]:
        raise Hint("순서가 바뀌었어요. system 메시지가 먼저, user 메시지가 다음이에요.")
    ensure(roles == ["system", "user"], f"role 은 차례로 'system', 'user' 여야 해요 (지금 {roles}).")
    if [m["content"] for m in answer] == [user, system]:
        raise Hint("내용이 서로 바뀌었어요. system 에는 지시문, user 에는 질문을 넣으세요.")
    ensure(answer[0]["content"] == system, "system 메시지의 content 가 주어진 지시문과 달라요 (앞뒤 공백도 확인하세요).")
    ensure(answer[1]["content"] == user, "user 메시지의 content 가 주어진 질문과 달라요 (앞뒤 공백도 확인하세요).")
    ensure([dict((k, m[k]) for k in ("role", "content")) for m in answer] == expected, "메시지가 기대와 달라요.")
    return "InferenceClient.chat_completion 과 OpenAI 클라이언트가 받는 형식 그대로예요."


# --- 11.2 the reply text ---------------------------------------------------------------------


@exercise("11.2", "ChatCompletionOutput 에서 답 꺼내기")
def check_reply_text(answer, output):
    """The assistant's text: ``output.choices[0].message.content``.

    Used in: 11_inference_api.
    """
    expected = output.choices[0].message.content
    if answer is output:
        raise Hint("출력 객체 전체가 들어왔어요. 답 문자열은 output.choices[0].message.content 에 있어요.")
    if answer is output.choices or (isinstance(answer, list) and answer == list(output.choices)):
        raise Hint("choices 리스트가 들어왔어요. 첫 번째 선택지 [0] 의 .message.content 를 꺼내세요.")
    if answer is output.choices[0]:
        raise Hint("선택지(choice) 객체예요. 여기서 .message.content 를 꺼내세요.")
    if answer is output.choices[0].message:
        raise Hint("메시지 객체예요. .content 가 답 문자열이에요.")
    ensure(isinstance(answer, str), f"답은 문자열이어야 해요 (지금 {type(answer).__name__}).")
    if answer == output.choices[0].message.role:
        raise Hint("role('assistant')을 꺼냈어요. 답은 .content 에 있어요.")
    if answer.strip() == (expected or "").strip() and answer != expected:
        raise Hint("앞뒤 공백이 달라요. .content 를 그대로 쓰세요.")
    ensure(answer == expected, "꺼낸 문자열이 output.choices[0].message.content 와 달라요.")
    usage = getattr(output, "usage", None)
    extra = f" (생성 토큰 {usage.completion_tokens}개)" if usage is not None else ""
    return f"답 {len(expected)}자{extra}."


# --- 11.3 backoff ------------------------------------------------------------------------------

_GRID = [(a, ra) for a in range(1, 8) for ra in (None, 0.0, 0.25, 3.0, 100.0)]


@exercise("11.3", "Retry-After 를 지키는 지수 백오프")
def check_backoff(answer, base=0.5, cap=8.0):
    """`answer(attempt, retry_after)` must return ``max(min(cap, base * 2 ** (attempt - 1)), retry_after or 0)``.

    The checker calls the learner's function on attempts 1-7 with several Retry-After values and compares
    with :func:`hflab.retry.backoff_wait` (no jitter). Used in: 11_inference_api.
    """
    ensure(callable(answer), "답은 함수여야 해요: def wait_seconds(attempt, retry_after): ...")
    for attempt, ra in _GRID:
        expected = retry.backoff_wait(attempt, ra, base=base, cap=cap, jitter=0.0)
        got = answer(attempt, ra)
        ensure(isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got),
               f"wait_seconds({attempt}, {ra!r}) 가 숫자를 돌려주지 않았어요 ({got!r}).")
        if is_close(got, expected, rel=1e-6, abs_tol=1e-9):
            continue
        plain = min(cap, base * 2 ** (attempt - 1))
        if ra and ra > plain and is_close(got, plain, rel=1e-6):
            raise Hint(f"Retry-After({ra:g}초)를 무시했어요: 서버가 기다리라고 한 시간보다 일찍 다시 보내면 또 429 를 받아요. "
                       "max(백오프, retry_after) 를 쓰세요.")
        if is_close(got, min(cap, base * 2 ** attempt), rel=1e-6) or is_close(got, base * 2 ** attempt, rel=1e-6):
            raise Hint("지수가 하나 밀렸어요: 첫 재시도(attempt=1)는 base 초, 그다음 2*base, 4*base ... 입니다 "
                       "(base * 2 ** (attempt - 1)).")
        if got > cap and (ra is None or got > ra) and is_close(got, base * 2 ** (attempt - 1), rel=1e-6):
            raise Hint(f"상한(cap={cap:g}초)을 넘었어요: min(cap, ...) 으로 백오프를 자르세요.")
        if ra is None and got != got:  # pragma: no cover - NaN guarded above
            raise Hint("retry_after 가 None 일 때도 숫자를 돌려주세요.")
        raise Hint(f"wait_seconds({attempt}, {ra!r}) = {got!r} 인데, 기대와 달라요. "
                   "max(min(cap, base * 2 ** (attempt - 1)), retry_after 또는 0) 를 확인하세요.")
    return (f"attempt 1~7: {', '.join(f'{retry.backoff_wait(a, None, base=base, cap=cap, jitter=0):g}' for a in range(1, 8))}"
            "초. 실제로는 여기에 작은 지터(무작위)를 더해 여러 학생이 동시에 다시 보내지 않게 합니다.")


# --- 11.4 what to do with a status -------------------------------------------------------------

_ACTIONS = set(retry.ACTIONS) - {"ok"}


@exercise("11.4", "HTTP 상태 코드별 대처")
def check_status_actions(answer, statuses=(401, 403, 404, 422, 429, 503)):
    """``{status: action}`` with the action :func:`hflab.retry.what_to_do` gives for each status.

    Actions: ``"retry"``, ``"fix_token"``, ``"request_access"``, ``"fix_model"``, ``"fix_request"``.
    Used in: 11_inference_api.
    """
    ensure(isinstance(answer, dict), "답은 {상태 코드: 할 일} 딕셔너리여야 해요. 예: {401: 'fix_token', ...}")
    missing = [s for s in statuses if s not in answer and str(s) not in answer]
    ensure(not missing, f"빠진 상태 코드가 있어요: {missing}")
    for s in statuses:
        got = answer.get(s, answer.get(str(s)))
        expected = retry.what_to_do(s)
        ensure(got in _ACTIONS, f"{s} 의 할 일 {got!r} 은(는) 선택지에 없어요: {sorted(_ACTIONS)}")
        if got == expected:
            continue
        if s == 401:
            raise Hint("401 은 토큰 문제예요 (없거나, 틀렸거나, 폐기됨). 다시 보내도 같은 답이 와요.")
        if s == 403:
            raise Hint("403 은 인증은 됐지만 권한이 없다는 뜻이에요. 게이트 모델이면 모델 페이지에서 접근 신청을 해야 해요.")
        if s == 404:
            raise Hint("404 는 모델 id(또는 URL)를 찾을 수 없다는 뜻이에요. 철자를 고쳐야 해요.")
        if s in (429, 503) or s >= 500:
            raise Hint(f"{s} 는 잠시 뒤 같은 요청이 성공할 수 있는 상태예요: Retry-After 만큼 기다렸다가 다시 보내요.")
        raise Hint(f"{s} 는 요청 자체(입력, 매개변수)가 잘못됐다는 뜻이에요. 다시 보내도 같은 오류가 나요.")
    return "다시 시도해서 나아지는 것은 429 와 5xx 뿐이에요. 나머지는 코드/토큰/권한을 고쳐야 해요."


# --- examples (tests) ------------------------------------------------------------------------------


def _chat_output(text: str = "파리입니다."):
    from huggingface_hub import ChatCompletionOutput

    return ChatCompletionOutput.parse_obj_as_instance({
        "id": "chatcmpl-test", "created": 0, "model": "local/test", "system_fingerprint": "hflab-serve",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14},
    })


def examples():
    system, user = "Answer in one short sentence.", "What is the capital of France?"
    msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    out = _chat_output()

    def good(attempt, retry_after):
        return max(min(8.0, 0.5 * 2 ** (attempt - 1)), retry_after or 0)

    def ignores_retry_after(attempt, retry_after):
        return min(8.0, 0.5 * 2 ** (attempt - 1))

    def off_by_one(attempt, retry_after):
        return max(min(8.0, 0.5 * 2 ** attempt), retry_after or 0)

    def no_cap(attempt, retry_after):
        return max(0.5 * 2 ** (attempt - 1), retry_after or 0)

    actions = {401: "fix_token", 403: "request_access", 404: "fix_model", 422: "fix_request", 429: "retry",
               503: "retry"}
    return [
        Example(check_chat_messages, right=dict(answer=msgs, system=system, user=user),
                wrong=[(dict(answer=msgs[::-1], system=system, user=user), "순서"),
                       (dict(answer=[msgs[1]], system=system, user=user), "2개"),
                       (dict(answer=user, system=system, user=user), "리스트"),
                       (dict(answer=[{"role": "system", "content": user}, {"role": "user", "content": system}],
                             system=system, user=user), "바뀌었")]),
        Example(check_reply_text, right=dict(answer=out.choices[0].message.content, output=out),
                wrong=[(dict(answer=out, output=out), "choices[0].message.content"),
                       (dict(answer=out.choices[0].message, output=out), ".content"),
                       (dict(answer="assistant", output=out), "role"),
                       (dict(answer="Paris", output=out), "달라요")]),
        Example(check_backoff, right=dict(answer=good),
                wrong=[(dict(answer=ignores_retry_after), "Retry-After"),
                       (dict(answer=off_by_one), "밀렸"),
                       (dict(answer=no_cap), "cap"),
                       (dict(answer=3.0), "함수")]),
        Example(check_status_actions, right=dict(answer=actions),
                wrong=[(dict(answer={**actions, 401: "retry"}), "토큰"),
                       (dict(answer={**actions, 503: "fix_model"}), "Retry-After"),
                       (dict(answer={**actions, 403: "fix_token"}), "접근 신청"),
                       (dict(answer={401: "fix_token"}), "빠진"),
                       (dict(answer={**actions, 404: "typo"}), "선택지")]),
    ]
