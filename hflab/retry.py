"""Retrying Inference API calls: exponential backoff with jitter that honours ``Retry-After`` (tenacity).

``InferenceClient`` does not retry by itself: a 429 (rate limit) or a 503 (model loading, overloaded)
reaches your code as an exception. What to do depends on the status:

=======  ===============================  ==================
status   meaning                          what to do
=======  ===============================  ==================
401      token missing / wrong / revoked  ``fix_token``
403      gated model, no access yet       ``request_access``
404      wrong model id (or URL)          ``fix_model``
400/422  the request itself is wrong      ``fix_request``
429      too many requests                ``retry`` (wait at least ``Retry-After``)
5xx      loading / overloaded / error     ``retry``
=======  ===============================  ==================

The wait before retry ``n`` (n = 1, 2, ...)::

    backoff(n) = min(cap, base * 2 ** (n - 1))          # exponential, capped
    wait(n)    = max(backoff(n), Retry-After) + jitter  # never earlier than the server asked
    jitter     = uniform(0, jitter_fraction * that)     # so 30 students do not all come back at once

With tenacity, in a notebook::

    from tenacity import retry, stop_after_attempt, retry_if_exception
    from hflab.retry import wait_retry_after, is_retryable, log_retry

    @retry(wait=wait_retry_after(base=0.5, cap=8), stop=stop_after_attempt(5),
           retry=retry_if_exception(is_retryable), before_sleep=log_retry, reraise=True)
    def classify(text):
        return client.text_classification(text)

Used in: 11_inference_api.
"""
from __future__ import annotations

import email.utils
import math
import random
import time
from typing import Any, Callable

from .errors import HflabError

__all__ = [
    "ACTIONS",
    "RETRY_STATUSES",
    "status_of",
    "retry_after_of",
    "what_to_do",
    "is_retryable",
    "backoff_wait",
    "wait_retry_after",
    "log_retry",
    "retrying",
    "call_with_retry",
]

#: statuses worth retrying (the same request may succeed a little later)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: what to do, by kind (Korean, for the learner)
ACTIONS = {
    "ok": "성공: 할 일 없음",
    "retry": "잠시 뒤 다시 시도 (Retry-After 이상 기다리고, 지수 백오프 + 지터)",
    "fix_token": "토큰을 확인하거나 새로 만들기 (Colab 보안 비밀 HF_TOKEN / hf auth login)",
    "request_access": "모델 페이지에서 약관 동의 후 접근 신청 (게이트 저장소), 승인 뒤 다시 실행",
    "fix_model": "모델 id(또는 엔드포인트 URL) 철자 확인, 그 작업을 서비스하는지 확인",
    "fix_request": "요청 내용(입력, 매개변수) 고치기: 다시 보내도 같은 오류",
}


class RetryError(HflabError):
    """Bad arguments to a retry helper."""


def status_of(exc: BaseException | None) -> int | None:
    """The HTTP status behind an exception (``exc.response`` or the exception it was raised from), or None.

    ``InferenceClient.text_generation`` re-raises some HTTP errors as ``TextGenerationError`` *from* the
    ``HfHubHTTPError``: the cause is looked at too. Used in: 11_inference_api.
    """
    seen = 0
    while exc is not None and seen < 5:
        response = getattr(exc, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int):
            return code
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _response_of(exc: BaseException | None):
    seen = 0
    while exc is not None and seen < 5:
        response = getattr(exc, "response", None)
        if response is not None and getattr(response, "headers", None) is not None:
            return response
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def retry_after_of(exc: BaseException | None, now: float | None = None) -> float | None:
    """Seconds the server asked to wait (``Retry-After``: delta-seconds or an HTTP date), or None.

    Used in: 11_inference_api (:class:`wait_retry_after`).
    """
    response = _response_of(exc)
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def what_to_do(status: int | None) -> str:
    """``"ok"``, ``"retry"``, ``"fix_token"``, ``"request_access"``, ``"fix_model"`` or ``"fix_request"``.

    ``None`` (no HTTP answer: timeout, connection refused) counts as ``"retry"``.
    Used in: 11_inference_api (and its exercise checker).
    """
    if status is None:
        return "retry"
    if isinstance(status, bool) or not isinstance(status, int):
        raise RetryError(f"HTTP 상태 코드는 정수여야 합니다 (지금 {status!r}).", fix="예: what_to_do(429)")
    if 200 <= status < 400:
        return "ok"
    if status in RETRY_STATUSES or status >= 500:
        return "retry"
    if status == 401:
        return "fix_token"
    if status == 403:
        return "request_access"
    if status in (404, 410):
        return "fix_model"
    return "fix_request"


def is_retryable(exc: BaseException) -> bool:
    """True for 429 / 5xx answers, timeouts and dropped connections; False for 4xx mistakes and offline mode.

    Used in: 11_inference_api (``retry=retry_if_exception(is_retryable)``).
    """
    try:
        from huggingface_hub.errors import OfflineModeIsEnabled

        if isinstance(exc, OfflineModeIsEnabled):
            return False  # retrying cannot help: the client refuses to send anything
    except ImportError:  # pragma: no cover
        pass
    status = status_of(exc)
    if status is not None:
        return what_to_do(status) == "retry"
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__
    return name in ("InferenceTimeoutError", "ConnectError", "ReadTimeout", "ConnectTimeout", "RemoteProtocolError",
                    "ReadError", "OverloadedError")


def backoff_wait(attempt: int, retry_after: float | None = None, *, base: float = 0.5, cap: float = 30.0,
                 jitter: float = 0.1, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...).

    ``max(min(cap, base * 2 ** (attempt - 1)), retry_after)`` plus a random jitter of up to
    ``jitter`` x that (``jitter=0`` gives the deterministic value). ``Retry-After`` wins over `cap`:
    the server said not to come back earlier.
    Used in: 11_inference_api (:class:`wait_retry_after`, the backoff exercise).
    """
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise RetryError(f"attempt 는 1 이상의 정수여야 합니다 (지금 {attempt!r}).", fix="첫 재시도는 attempt=1")
    for name, value in (("base", base), ("cap", cap), ("jitter", jitter)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
            raise RetryError(f"{name} 는 0 이상의 숫자여야 합니다 (지금 {value!r}).", fix=f"예: {name}=0.5")
    if retry_after is not None and (not isinstance(retry_after, (int, float)) or retry_after < 0):
        raise RetryError(f"retry_after 는 0 이상의 초(숫자) 또는 None 이어야 합니다 (지금 {retry_after!r}).",
                         fix="retry_after_of(exc) 의 값을 넘기세요.")
    exp = min(float(cap), float(base) * 2.0 ** min(attempt - 1, 60))
    wait = max(exp, float(retry_after or 0.0))
    if jitter:
        wait += (rng or random).uniform(0.0, float(jitter) * wait)
    return wait


try:
    from tenacity.wait import wait_base as _wait_base
except ImportError:  # pragma: no cover - tenacity is a pinned dependency
    _wait_base = object


class wait_retry_after(_wait_base):  # noqa: N801 - named like tenacity's wait_* strategies
    """A tenacity wait strategy: :func:`backoff_wait` with the ``Retry-After`` of the last exception.

    Used in: 11_inference_api (``@retry(wait=wait_retry_after(...))``).
    """

    def __init__(self, base: float = 0.5, cap: float = 30.0, jitter: float = 0.1, rng: random.Random | None = None):
        backoff_wait(1, None, base=base, cap=cap, jitter=0.0)  # validates the numbers (Korean message)
        self.base, self.cap, self.jitter, self.rng = base, cap, jitter, rng

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        return backoff_wait(retry_state.attempt_number, retry_after_of(exc), base=self.base, cap=self.cap,
                            jitter=self.jitter, rng=self.rng)


def log_retry(retry_state, printer: Callable[[str], Any] = print) -> None:
    """``before_sleep`` callback: one Korean line per retry (status, Retry-After, the wait).

    Used in: 11_inference_api.
    """
    exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
    status = status_of(exc)
    ra = retry_after_of(exc)
    wait = getattr(retry_state.next_action, "sleep", None)
    what = f"HTTP {status}" if status is not None else type(exc).__name__
    extra = f", Retry-After {ra:g}초" if ra is not None else ""
    wait_s = f"{wait:.2f}초" if isinstance(wait, (int, float)) else "잠시"
    printer(f"  시도 {retry_state.attempt_number}: {what}{extra} → {wait_s} 기다렸다가 다시 보냅니다")


def retrying(attempts: int = 5, *, base: float = 0.5, cap: float = 30.0, jitter: float = 0.1,
             max_delay: float | None = None, quiet: bool = False, rng: random.Random | None = None):
    """A configured ``tenacity.Retrying`` (re-raises the last error when it gives up).

    ``for attempt in retrying(): with attempt: result = client.text_classification(text)``.
    Used in: 11_inference_api, :func:`call_with_retry`.
    """
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise RetryError(f"attempts 는 1 이상의 정수여야 합니다 (지금 {attempts!r}).", fix="예: attempts=5")
    stop = stop_after_attempt(attempts)
    if max_delay is not None:
        stop = stop | stop_after_delay(max_delay)
    return Retrying(wait=wait_retry_after(base=base, cap=cap, jitter=jitter, rng=rng), stop=stop,
                    retry=retry_if_exception(is_retryable), reraise=True,
                    before_sleep=None if quiet else log_retry)


def call_with_retry(fn: Callable, *args, attempts: int = 5, base: float = 0.5, cap: float = 30.0,
                    jitter: float = 0.1, max_delay: float | None = None, quiet: bool = False, **kwargs):
    """``fn(*args, **kwargs)``, retried on 429 / 5xx / timeouts as :func:`retrying` says.

    Used in: 11_inference_api, tests/test_serve.py.
    """
    for attempt in retrying(attempts, base=base, cap=cap, jitter=jitter, max_delay=max_delay, quiet=quiet):
        with attempt:
            return fn(*args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover - tenacity re-raises
