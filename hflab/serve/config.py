"""Tasks, rate limits and the server's constants (name, loopback hosts, version)."""
from __future__ import annotations

import math

from .errors import ServeError


#: the tasks an endpoint can serve
TASKS = ("text-classification", "feature-extraction", "fill-mask", "text-generation")


_ALIASES = {
    "sentiment-analysis": "text-classification",
    "embeddings": "feature-extraction",
    "embedding": "feature-extraction",
    "sentence-embeddings": "feature-extraction",
    "chat": "text-generation",
    "conversational": "text-generation",
    "chat-completion": "text-generation",
}


_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


_SERVER_NAME = "hflab-serve"


def normalize_task(task: str) -> str:
    """The canonical task name (``sentiment-analysis`` -> ``text-classification``, ``chat`` -> ``text-generation``).

    Used in: 11_inference_api, ``hflab serve``.
    """
    t = str(task or "").strip().lower().replace("_", "-")
    t = _ALIASES.get(t, t)
    if t not in TASKS:
        raise ServeError(
            f"hflab serve 가 모르는 작업(task)입니다: {task!r}.",
            fix=f"다음 중 하나를 쓰세요: {', '.join(TASKS)} (채팅은 text-generation 엔드포인트가 함께 처리합니다).",
        )
    return t


def parse_rate_limit(value) -> float | None:
    """``5``, ``5.0``, ``"5"``, ``"5/s"``, ``"300/m"`` -> requests per second (``None`` = no limit).

    Used in: ``hflab serve --rate-limit``, :class:`LocalEndpoint`.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ServeError("rate_limit 는 초당 요청 수(숫자)여야 합니다.", fix="예: rate_limit=5 또는 '5/s'")
    if isinstance(value, (int, float)):
        rate = float(value)
    else:
        text = str(value).strip().lower().replace(" ", "")
        per = 1.0
        for suffix, seconds in (("/s", 1.0), ("/sec", 1.0), ("/m", 60.0), ("/min", 60.0), ("/h", 3600.0)):
            if text.endswith(suffix):
                text, per = text[: -len(suffix)], seconds
                break
        try:
            rate = float(text) / per
        except ValueError:
            raise ServeError(f"rate_limit 값 {value!r} 를 읽을 수 없습니다.",
                             fix="예: 5, '5/s' (초당 5회), '300/m' (분당 300회)") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ServeError(f"rate_limit 는 0보다 커야 합니다 (지금 {value!r}).", fix="제한을 두지 않으려면 None 을 주세요.")
    return rate


def normalize_task_soft(task: str) -> str:
    try:
        return normalize_task(task)
    except ServeError:
        return str(task)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hflab")
    except Exception:  # noqa: BLE001
        return "0"


def _is_loopback(host: str | None) -> bool:
    return (host or "").lower() in _LOOPBACK
