"""Error answers in the Hub's shape: status, ``{"error": ...}``, X-Error-Code / X-Error-Message, and a Korean line."""
from __future__ import annotations

from typing import Any

from .common import _CONTROL_RE

#: Korean text for an error answer that names none of its own, by status
_KO_BY_STATUS = {
    400: "요청 형식이 잘못되었습니다. 보낸 값(JSON 본문, 이름, 경로)을 확인하세요.",
    401: "인증이 필요합니다. 연습 허브의 토큰(hub.token)을 쓰세요.",
    403: "권한이 없습니다. 쓰기(write) 토큰으로 자기 네임스페이스(student)에 쓰세요.",
    404: "요청한 것을 찾을 수 없습니다. 저장소 id, 리비전, 파일 이름과 주소를 확인하세요.",
    405: "이 주소는 그 HTTP 메서드를 받지 않습니다.",
    409: "이미 있습니다. 다른 이름을 쓰거나 exist_ok=True 로 부르세요.",
    412: "그 사이에 다른 커밋이 생겼습니다. parent_commit 을 최신 커밋으로 바꿔 다시 보내세요.",
    416: "요청한 바이트 범위(Range)가 파일 크기를 벗어났습니다.",
    422: "보낸 내용을 처리할 수 없습니다. 값을 확인하세요.",
}
_KO_FALLBACK = "연습 허브가 요청을 처리하지 못했습니다. 잠시 뒤 다시 보내 보세요."


class HubHTTPError(Exception):
    """An error answer in the Hub's shape: status, ``{"error": ...}``, X-Error-Code / X-Error-Message.

    ``message`` is the Hub's English text (X-Error-Message, which the client matches); ``ko`` is the
    Korean line for the learner, added to the body's ``error`` (a default by status when not given).
    ``english_in_body=False`` leaves the English out of the body (the client shows X-Error-Message and the
    body one after the other): for the hub's own 400s, whose body has no Hub text to keep."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None,
                 body_message: str | None = None, extra: dict | None = None, ko: str | None = None,
                 english_in_body: bool = True):
        super().__init__(message)
        self.extra = extra or {}
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.body_message = body_message
        self.ko = ko or _KO_BY_STATUS.get(status, _KO_FALLBACK)
        self.english_in_body = english_in_body


def _bad_request(ko: str, message: str = "Bad request") -> HubHTTPError:
    """400 for malformed input: the Korean reason in the body, a short English one in X-Error-Message."""
    return HubHTTPError(400, message, ko=ko, english_in_body=False)


def _revision_not_found(revision: str) -> HubHTTPError:
    shown = revision[:200].encode("ascii", "replace").decode()
    return HubHTTPError(404, f"Invalid rev id: {shown}", "RevisionNotFound",
                        ko="리비전(브랜치, 태그, 커밋)을 찾을 수 없습니다. revision= 의 철자를 확인하세요.")


def _not_found_repo() -> HubHTTPError:
    return HubHTTPError(404, "Repository not found", "RepoNotFound",
                        ko="저장소를 찾을 수 없습니다. 저장소 id(소유자/이름)와 repo_type, 비공개라면 토큰을 확인하세요.")


def _header_text(text: str) -> str:
    """``text`` as a safe HTTP header value: ASCII, no control characters, at most 300 characters."""
    return _CONTROL_RE.sub("?", text)[:300].encode("ascii", "replace").decode("ascii")


def _json(data: Any, status: int = 200, headers: dict | None = None):
    from fastapi.responses import JSONResponse

    return JSONResponse(data, status_code=status, headers=headers)


def _error_response(err: HubHTTPError):
    headers = {"X-Error-Message": _header_text(err.message)}
    if err.code:
        headers["X-Error-Code"] = err.code
    headers.update(err.headers)
    english = err.message if not err.body_message else f"{err.message}: {err.body_message}"
    body = {"error": f"{english}\n{err.ko}" if err.english_in_body else err.ko, **err.extra}
    return _json(body, status=err.status, headers=headers)
