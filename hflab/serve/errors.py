"""Errors of ``hflab serve``: :class:`ServeError` (bad configuration, raised to the caller) and
:class:`RequestError` (an HTTP error answer, in the Inference-API or the OpenAI shape, Korean first)."""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import HflabError


class ServeError(HflabError):
    """Bad configuration of the local endpoint (unknown task, missing model, port in use ...)."""


class RequestError(Exception):
    """An HTTP error answer: ``status``, a Korean + English ``message``, extra ``headers``."""

    def __init__(self, status: int, ko: str, en: str, *, headers: Mapping[str, str] | None = None,
                 error_type: str | None = None, extra: Mapping[str, Any] | None = None, code: str | None = None):
        self.status = int(status)
        self.code = code  # the OpenAI error code, when not the status's usual one (_OPENAI_ERRORS)
        self.message = f"{ko} ({en})" if en else ko
        self.headers = dict(headers or {})
        self.error_type = error_type
        self.extra = dict(extra or {})
        super().__init__(self.message)

    def body(self, openai: bool = False) -> dict:
        """The JSON body: ``{"error": message, "error_type": ...}`` (what ``InferenceClient`` reads on the
        Inference-API routes), or with ``openai=True`` ``{"error": {"message", "type", "param", "code"}}``
        (what OpenAI-style clients read on ``/v1/*``). The Korean message comes first in both."""
        if openai:
            kind, code = _OPENAI_ERRORS.get(self.status, ("server_error" if self.status >= 500
                                                          else "invalid_request_error", None))
            out = {"error": {"message": self.message, "type": kind, "param": None,
                             "code": self.code or code}}
        else:
            out = {"error": self.message}
            if self.error_type:
                out["error_type"] = self.error_type
        out.update(self.extra)
        return out


#: OpenAI error ``type`` and ``code`` per status (``openai.APIStatusError.type`` / ``.code``)
_OPENAI_ERRORS = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "model_access_pending"),
    404: ("not_found_error", "model_not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "payload_too_large"),
    422: ("invalid_request_error", "invalid_value"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    499: ("invalid_request_error", "client_closed_request"),
    500: ("server_error", "internal_error"),
    503: ("server_error", "model_loading"),
}


def _is_openai_path(path: str) -> bool:
    """``/v1/...`` (and ``/chat/completions``, ``/models/ID/v1/...``): the routes OpenAI-style clients call."""
    return path == "/v1" or path.startswith("/v1/") or "/v1/" in path or path.rstrip("/") == "/chat/completions"


def _bad(ko: str, en: str, status: int = 400, **kw) -> RequestError:
    return RequestError(status, ko, en, **kw)


def _short(v, limit: int = 60) -> str:
    """``repr(v)`` cut to `limit` characters: an error message never echoes a whole (huge) value."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."
