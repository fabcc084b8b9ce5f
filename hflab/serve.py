"""`hflab serve`: a local inference endpoint that speaks the HTTP contract of ``huggingface_hub.InferenceClient``.

One model, one task, on 127.0.0.1. The real client (``InferenceClient``, ``AsyncInferenceClient``,
``client.chat.completions.create``) talks to it exactly as it talks to a dedicated Inference Endpoint
(TGI / TEI style), so a lesson can run the same client code against the Hub's Inference Providers, a
dedicated endpoint URL, or this server. One instructor laptop can serve a class with it.

Start and stop it from Python (notebook, tests)::

    from huggingface_hub import InferenceClient
    from hflab.serve import LocalEndpoint, allow_local_requests

    ep = LocalEndpoint("sentence-transformers/all-MiniLM-L6-v2", "feature-extraction").start()
    allow_local_requests()      # HF_HUB_OFFLINE=1: let huggingface_hub reach 127.0.0.1 (only)
    client = InferenceClient(base_url=ep.url)
    client.feature_extraction("hello").shape     # (384,)
    ep.stop()                   # or: with LocalEndpoint(...) as ep: ...

or from a terminal: ``hflab serve --model ID --task TASK [--port 8080] [--rate-limit 5]``.

Tasks: ``text-classification``, ``feature-extraction``, ``fill-mask``, ``text-generation`` (a
text-generation endpoint also answers chat completions; aliases: ``sentiment-analysis``,
``embeddings``, ``chat``, ``conversational``).

Routes (``ep.url`` = ``http://127.0.0.1:PORT``):

* ``POST /`` and ``POST /models/{model_id}`` (also ``.../pipeline/{task}``): the pipeline task,
  body ``{"inputs": ..., "parameters": {...}}`` (feature-extraction takes its options at the top level,
  as the client sends them). ``InferenceClient(base_url=ep.url)`` / ``model=ep.url`` posts to ``/``.
  Responses: text-classification ``[[{"label", "score"}, ...]]``; feature-extraction a vector
  (one string, mean-pooled and L2-normalised unless ``normalize=false``) or a list of vectors;
  fill-mask ``[{"score", "token", "token_str", "sequence"}, ...]``; text-generation TGI style
  ``[{"generated_text"[, "details"]}]``, and with ``"stream": true`` server-sent events
  ``data:{"index", "token": {...}, "generated_text", "details"}``.
* ``POST /v1/chat/completions`` (also under ``/models/{model_id}/``): OpenAI chat completions;
  ``stream=true`` sends ``data: {chunk}`` lines and ends with ``data: [DONE]``. ``GET /v1/models`` lists the
  served model (``{"object": "list", "data": [{"id", "object": "model", ...}]}``) and ``GET /v1/models/{id}``
  shows it, so the official ``openai`` client works with ``OpenAI(base_url=ep.url + "/v1", api_key=...)``.
* ``GET /health`` (200 when the model is loaded, 503 while it loads), ``GET /info`` (model info, like
  TGI's ``/info``), ``GET /stats`` (requests per status, batches, batch sizes). With ``api_keys`` every
  route needs the key except ``/health`` (a probe has no key, and it says only "ok" or "loading");
  ``/info``, ``/stats`` and ``GET /`` name the model and show the traffic, so they need it too.

Dynamic batching: concurrent requests wait in one queue; when the model thread is free, a worker takes
everything queued plus what arrives within ``max_wait_ms`` (up to ``max_batch_size`` inputs) and runs it
in one go: sorted by length and cut into the forward passes that cost the least (padded tokens plus a
call's fixed cost, :func:`plan_forward_passes`; a generation batch is one ``generate`` call). Requests
that arrive while a batch runs form the next one, so the HTTP work of one batch overlaps the model work
of the other. ``max_batch_size=1`` is per-request execution with the same code (``hflab bench serve``
compares the two, on whole course reviews and on short inputs).

Keys (``api_keys=``; ``hflab serve`` reads them from ``HFLAB_SERVE_API_KEY`` or ``--api-key-file``, never
the command line, see :func:`load_api_keys`) are compared with :func:`hmac.compare_digest`. A Bearer that
looks like a Hugging Face token (``hf_...``: what ``InferenceClient`` sends from HF_TOKEN when ``api_key=``
is left out) is refused with a 401 that says to pass the classroom key and to consider rotating the token,
on a keyed server and from any other machine; it is never logged or echoed.

Errors use the ``{"error": "...", "error_type": ...}`` body ``InferenceClient`` reads on the Inference-API
routes, and OpenAI's ``{"error": {"message", "type", "param", "code"}}`` on ``/v1/*`` (the message is Korean,
then English, in both): 400 malformed JSON or
wrong task / unknown parameter, 413 body too large, 422 values out of range (empty or oversized
inputs, too many tokens), 401 missing/invalid key and 403 gated (``api_keys=``), 404 unknown model
(``X-Error-Code: RepoNotFound``, so the client raises ``RepositoryNotFoundError``), 429 past
``rate_limit`` (token bucket, with ``Retry-After``), 503 while a ``lazy=True`` model loads (with
``Retry-After`` and ``estimated_time``, like the serverless API's cold start). Malformed input (invalid
UTF-8 or JSON, lone surrogates, JSON nested deeper than :data:`MAX_JSON_DEPTH`, a body that is no object,
a wrong type for any parameter) is a 4xx, never a 5xx. A bad request never stops the server; a client that
disconnects, mid-stream or while waiting for a non-streamed answer, stops its generation.

Used in: 11_inference_api, ``hflab serve``, ``hflab bench serve``.
"""
import asyncio
import collections
import contextlib
import copy
import hmac
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import _threaded_server
from .errors import HflabError

logger = logging.getLogger(__name__)

__all__ = [
    "LocalEndpoint",
    "ServeError",
    "allow_local_requests",
    "disallow_local_requests",
    "create_app",
    "cli_serve",
    "load_api_keys",
    "API_KEY_ENV",
    "bench_serve",
    "parse_rate_limit",
    "plan_forward_passes",
    "normalize_task",
    "TASKS",
]

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


class ServeError(HflabError):
    """Bad configuration of the local endpoint (unknown task, missing model, port in use ...)."""


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


# ==================================================================================================
# request errors (answered as JSON, never raised out of the server)
# ==================================================================================================
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


#: how deeply a request body's JSON may nest (the deepest valid request, a chat message's content part, is 5)
MAX_JSON_DEPTH = 32


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
    _check_json_tree(body)
    return body


def _no_constant(name: str):
    raise _bad(f"JSON 에는 {name} 값이 없습니다. 유한한 숫자를 보내세요.", f"{name} is not valid JSON", 400)


def _too_deep():
    raise _bad(f"요청 본문의 JSON 이 너무 깊게 중첩되어 있습니다 (최대 {MAX_JSON_DEPTH}단계). "
               "{\"inputs\": \"...\", \"parameters\": {...}} 모양으로 보내세요.",
               f"JSON nested deeper than {MAX_JSON_DEPTH} levels", 400)


def _check_json_tree(body) -> None:
    """Walk the parsed JSON without recursion: depth at most MAX_JSON_DEPTH, every string encodable as UTF-8."""
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            _too_deep()
        if isinstance(node, dict):
            for k, v in node.items():
                _check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("요청 본문의 문자열에 짝이 없는 서로게이트(예: \\ud800)가 있습니다. 올바른 UTF-8 텍스트를 보내세요.",
                   "a JSON string holds a lone surrogate", 400) from None


# ==================================================================================================
# jobs: what the batcher queues
# ==================================================================================================
@dataclass
class Job:
    """One request's work: ``items`` (texts / prompts) and the ``params`` shared by them."""

    kind: str                       # "classify" | "embed" | "fill" | "generate" | "chat"
    items: list                     # texts (or prompts)
    params: dict = field(default_factory=dict)
    single: bool = True             # the request sent one string (not a list)
    stream: bool = False            # streamed generation: runs alone, tokens go to `events`
    group: Any = None               # jobs with the same group key may share a forward pass
    future: Any = None              # asyncio.Future set by the batcher
    events: Any = None              # asyncio.Queue of stream events
    loop: Any = None
    cancelled: bool = False
    created: float = field(default_factory=time.perf_counter)

    @property
    def size(self) -> int:
        return len(self.items)


# ==================================================================================================
# parameter validation helpers
# ==================================================================================================
def _short(v, limit: int = 60) -> str:
    """``repr(v)`` cut to `limit` characters: an error message never echoes a whole (huge) value."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


# ==================================================================================================
# engines: load a model, validate requests, run batches (in the model thread)
# ==================================================================================================
class Engine:
    """Base class: one model for one task. ``parse`` runs in the event loop (cheap), ``run`` in the model thread."""

    task = ""
    model_class = "AutoModel"

    def __init__(self, model: str, model_id: str, *, device: str | None = None, max_inputs: int = 64,
                 max_input_chars: int = 4000, max_new_tokens: int = 256, dtype: str | None = None):
        self.model_ref = str(model)
        self.model_id = model_id
        self.device_pref = device
        self.dtype_pref = dtype
        self.max_inputs = int(max_inputs)
        self.max_input_chars = int(max_input_chars)
        self.max_new_tokens = int(max_new_tokens)
        self.model = None
        self.tokenizer = None
        self.parse_tokenizer = None
        self.device = "cpu"
        self.load_seconds: float | None = None
        self.n_params: int | None = None
        #: inputs per forward pass of the encoder tasks (the pad cap of _batches cuts a batch in several)
        self.forward_sizes: collections.deque = collections.deque(maxlen=100_000)

    # -- loading -----------------------------------------------------------------------------------
    def _auto_class(self):
        import transformers

        return getattr(transformers, self.model_class)

    def load(self) -> None:
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        t0 = time.perf_counter()
        device = self.device_pref or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = self.dtype_pref or ("float16" if device.startswith("cuda") and self.task == "text-generation"
                                    else "float32")
        level = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_ref)
            model = self._auto_class().from_pretrained(self.model_ref, dtype=getattr(torch, dtype))
        finally:
            hf_logging.set_verbosity(level)
        # a second tokenizer for request validation in the server thread: a fast tokenizer must not be
        # used from two threads at once (its truncation/padding settings are mutated on each call)
        self.parse_tokenizer = copy.deepcopy(self.tokenizer)
        self.model = model.to(device).eval()
        self.device = device
        self.n_params = sum(p.numel() for p in self.model.parameters())
        self._after_load()
        self.load_seconds = time.perf_counter() - t0

    def _after_load(self) -> None:
        pass

    def max_length(self) -> int:
        n = getattr(self.tokenizer, "model_max_length", None) or 512
        cfg = getattr(self.model, "config", None)
        pos = getattr(cfg, "max_position_embeddings", None)
        limit = min(int(n) if n < 10**6 else 10**6, int(pos) if pos else 10**6)
        return limit if limit < 10**6 else 512

    def info(self) -> dict:
        return {
            "model_pipeline_tag": self.task,
            "model_dtype": str(next(self.model.parameters()).dtype) if self.model is not None else None,
            "model_device_type": self.device,
            "num_parameters": self.n_params,
            "max_input_length": self.max_length() if self.model is not None else None,
            "max_client_batch_size": self.max_inputs,
            "max_input_chars": self.max_input_chars,
        }

    # -- requests ----------------------------------------------------------------------------------
    def _texts(self, inputs, *, allow_list: bool = True) -> tuple[list[str], bool]:
        if isinstance(inputs, str):
            texts, single = [inputs], True
        elif isinstance(inputs, list) and allow_list:
            texts, single = inputs, False
        else:
            kind = "문자열 또는 문자열 리스트" if allow_list else "문자열"
            raise _bad(f"'inputs' 는 {kind}여야 합니다 (지금 {type(inputs).__name__}).",
                       "'inputs' must be a string" + (" or a list of strings" if allow_list else ""), 400)
        if not texts:
            raise _bad("'inputs' 리스트가 비어 있습니다.", "'inputs' is an empty list", 422, error_type="validation")
        if len(texts) > self.max_inputs:
            raise _bad(f"한 요청의 입력은 {self.max_inputs}개까지입니다 (지금 {len(texts)}개). 나누어 보내세요.",
                       f"at most {self.max_inputs} inputs per request", 422, error_type="validation")
        for i, t in enumerate(texts):
            where = "" if single else f"[{i}]"
            if not isinstance(t, str):
                raise _bad(f"'inputs{where}' 는 문자열이어야 합니다 (지금 {type(t).__name__}).",
                           f"'inputs{where}' must be a string", 400)
            if not t.strip():
                raise _bad(f"'inputs{where}' 가 비어 있습니다. 내용이 있는 텍스트를 보내세요.",
                           f"'inputs{where}' is empty", 422, error_type="validation")
            if len(t) > self.max_input_chars:
                raise _bad(f"'inputs{where}' 가 너무 깁니다 ({len(t)}자 > {self.max_input_chars}자).",
                           f"'inputs{where}' is too long ({len(t)} > {self.max_input_chars} characters)", 422,
                           error_type="validation")
        return list(texts), single

    def parse(self, body: dict) -> Job:
        raise NotImplementedError

    def parse_chat(self, body: dict) -> Job:
        raise _bad(
            f"이 엔드포인트는 {self.task} 작업을 서비스합니다. 채팅(chat/completions)은 text-generation 엔드포인트로 보내세요.",
            f"this endpoint serves {self.task}; chat completions need a text-generation endpoint",
        )

    def run(self, jobs: list[Job], max_batch: int) -> list:
        """Results for `jobs` (one per job, or a RequestError); runs in the model thread."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------------
    #: padded tokens per forward pass at most (long inputs get smaller batches)
    MAX_BATCH_TOKENS = 16384
    #: what one more forward pass costs, in tokens of compute: on one CPU thread a MiniLM call costs about
    #: as much fixed time (Python, per-layer op launches) as computing 32 more tokens. _batches pads a
    #: text to a longer one only when that costs fewer tokens than a call of its own would.
    CALL_COST_TOKENS = 32

    def _batches(self, texts: list[str], max_batch: int, truncate: bool = True, side: str = "right"):
        """Yield ``(indices, encoded_batch)``: the texts tokenized once, sorted by length and cut into forward
        passes of at most `max_batch` texts and :attr:`MAX_BATCH_TOKENS` padded tokens, where the cuts cost
        the least compute (:func:`plan_forward_passes`): a short review is not padded to a long one when
        that costs more than a call of its own (the padding waste lesson 07 measures; one forward pass per
        batch ran full course reviews at 0.4x the per-request speed)."""
        tok = self.tokenizer
        old = tok.truncation_side
        tok.truncation_side = side
        try:
            enc = tok(texts, truncation=truncate, max_length=self.max_length() if truncate else None)
        finally:
            tok.truncation_side = old
        keys = list(enc.keys())
        order = sorted(range(len(texts)), key=lambda i: len(enc["input_ids"][i]))
        lengths = [len(enc["input_ids"][i]) for i in order]
        for lo, hi in plan_forward_passes(lengths, max(1, int(max_batch)), self.MAX_BATCH_TOKENS,
                                          self.CALL_COST_TOKENS):
            chunk = order[lo:hi]
            batch = tok.pad({k: [enc[k][j] for j in chunk] for k in keys}, return_tensors="pt")
            self.forward_sizes.append(len(chunk))
            yield list(chunk), {k: v.to(self.device) for k, v in batch.items()}


def plan_forward_passes(lengths: list[int], max_batch: int, max_tokens: int, call_cost: float) -> list[tuple[int, int]]:
    """Cut `lengths` (sorted, shortest first) into runs ``[lo, hi)`` of at most `max_batch` texts and
    `max_tokens` padded tokens that minimise the compute: each run costs `call_cost` + its padded tokens
    (``count x longest``). Dynamic programming over the cut points (a batch is at most a few dozen texts).
    ``call_cost=0`` pads nothing (equal lengths share a pass); a huge `call_cost` gives the fewest passes.
    Used in: ``hflab serve`` (dynamic batching of the encoder tasks), 11_inference_api.
    """
    n = len(lengths)
    best = [0.0] + [math.inf] * n  # best[j]: the cheapest plan for the first j texts
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            size, padded = j - i, (j - i) * lengths[j - 1]
            if size > max_batch or (padded > max_tokens and size > 1):
                break
            cost = best[i] + call_cost + padded
            if cost <= best[j]:  # ties: the longer run (fewer passes)
                best[j], cut[j] = cost, i
    runs, j = [], n
    while j > 0:
        runs.append((cut[j], j))
        j = cut[j]
    return runs[::-1]


def _split(results: list, jobs: list[Job]) -> list:
    out, pos = [], 0
    for job in jobs:
        part = results[pos:pos + job.size]
        pos += job.size
        out.append(part[0] if job.single else part)
    return out


class ClassifierEngine(Engine):
    """text-classification: ``[[{"label", "score"}, ...]]`` per input, all labels sorted by score (``top_k`` cuts)."""

    task = "text-classification"
    model_class = "AutoModelForSequenceClassification"
    PARAMS = {"top_k", "function_to_apply"}

    def parse(self, body: dict) -> Job:
        _check_unknown({k: v for k, v in body.items() if k not in ("inputs", "parameters", "options")},
                       set(), self.task, "최상위(top-level)")
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        n_labels = len(self.model.config.id2label) if self.model is not None else 10**6
        top_k = _int_param(params, "top_k", 1, max(1, n_labels))
        fn = params.get("function_to_apply")
        if fn is not None and fn not in ("softmax", "sigmoid", "none"):
            raise _bad(f"'function_to_apply' 는 softmax, sigmoid, none 중 하나입니다 (지금 {_short(fn)}).",
                       "'function_to_apply' must be softmax, sigmoid or none", 422, error_type="validation")
        return Job("classify", texts, {"top_k": top_k, "function_to_apply": fn}, single=single, group="classify")

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        id2label = self.model.config.id2label
        multi = getattr(self.model.config, "problem_type", None) == "multi_label_classification"
        results: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch):
                logits = self.model(**enc).logits.float().cpu()
                for i, row in zip(idx, logits):
                    p = params[i]
                    fn = p["function_to_apply"] or ("sigmoid" if multi or row.numel() == 1 else "softmax")
                    scores = row.softmax(-1) if fn == "softmax" else row.sigmoid() if fn == "sigmoid" else row
                    ranked = sorted(((id2label.get(k, str(k)), float(v)) for k, v in enumerate(scores.tolist())),
                                    key=lambda x: -x[1])
                    if p["top_k"]:
                        ranked = ranked[: p["top_k"]]
                    results[i] = [{"label": lab, "score": sc} for lab, sc in ranked]
        out, pos = [], 0
        for job in jobs:  # always a list of lists: the client reads [0] for one string
            out.append(results[pos:pos + job.size])
            pos += job.size
        return out


class EmbeddingEngine(Engine):
    """feature-extraction: mean-pooled sentence embeddings (L2-normalised unless ``normalize=false``)."""

    task = "feature-extraction"
    model_class = "AutoModel"
    PARAMS = {"normalize", "truncate", "truncation_direction", "prompt_name", "dimensions", "encoding_format"}

    def parse(self, body: dict) -> Job:
        # InferenceClient.feature_extraction sends its options at the top level (TEI style) and never a
        # "parameters" key, which every other task's call carries: a body with one is another task's call.
        if "parameters" in body:
            raise _bad(
                "이 엔드포인트는 feature-extraction(임베딩) 작업을 서비스합니다. 받은 요청에 'parameters' 가 있어 다른 "
                "작업(예: text_classification)의 호출로 보입니다. client.feature_extraction(...) 을 쓰거나, 옵션은 "
                "최상위에 두세요: {\"inputs\": ..., \"normalize\": true}.",
                "this endpoint serves feature-extraction; options go at the top level, not in 'parameters'")
        params = {k: v for k, v in body.items() if k not in ("inputs", "options")}
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        normalize = _bool_param(params, "normalize", True)
        truncate = _bool_param(params, "truncate", True)
        side = str(params.get("truncation_direction") or "right").lower()
        if side not in ("left", "right"):
            raise _bad("'truncation_direction' 는 left 또는 right 입니다.", "'truncation_direction' must be left or right",
                       422, error_type="validation")
        if params.get("prompt_name") is not None:
            raise _bad("이 엔드포인트에는 prompt_name 으로 고를 프롬프트가 없습니다.", "prompt_name is not supported here", 422,
                       error_type="validation")
        dims = _int_param(params, "dimensions", 1, 1 << 16)
        fmt = params.get("encoding_format")
        if fmt not in (None, "float"):
            raise _bad("encoding_format 은 'float' 만 지원합니다.", "only encoding_format='float' is supported", 422,
                       error_type="validation")
        if not truncate:
            limit = self.max_length()
            for t in texts:
                n = len(self.parse_tokenizer(t)["input_ids"])
                if n > limit:
                    raise _bad(f"입력이 {n}토큰으로 최대 {limit}토큰보다 깁니다. truncate=True 로 자르세요.",
                               f"input has {n} tokens, more than the maximum {limit}", 422, error_type="validation")
        return Job("embed", texts, {"normalize": normalize, "truncate": truncate, "side": side, "dimensions": dims},
                   single=single, group=("embed", truncate, side))

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        p0 = jobs[0].params
        vectors: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch, truncate=p0["truncate"], side=p0["side"]):
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).float()
                normed = torch.nn.functional.normalize(pooled, dim=-1)
                # float32 values, written with 8 decimals (float32 carries ~7 significant digits): shorter JSON
                rows = torch.round(normed.double(), decimals=8).tolist()
                raw = torch.round(pooled.double(), decimals=8).tolist()
                for k, i in enumerate(idx):
                    p = params[i]
                    row = rows[k] if p["normalize"] else raw[k]
                    vectors[i] = row[: p["dimensions"]] if p["dimensions"] else row
        return _split(vectors, jobs)


class FillMaskEngine(Engine):
    """fill-mask: ``[{"score", "token", "token_str", "sequence"}, ...]`` for an input with one mask token."""

    task = "fill-mask"
    model_class = "AutoModelForMaskedLM"
    PARAMS = {"top_k", "targets"}

    def parse(self, body: dict) -> Job:
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        mask = self.tokenizer.mask_token
        for t in texts:
            if t.count(mask) != 1:
                raise _bad(f"입력에 마스크 토큰 {mask} 이 정확히 한 번 있어야 합니다 (지금 {t.count(mask)}번).",
                           f"the input must contain the mask token {mask} exactly once", 422, error_type="validation")
        top_k = _int_param(params, "top_k", 1, 100, 5)
        targets = params.get("targets")
        target_ids = None
        if targets is not None:
            if isinstance(targets, str):
                targets = [targets]
            if not isinstance(targets, list) or not targets or not all(isinstance(x, str) and x for x in targets):
                raise _bad("'targets' 는 비어 있지 않은 문자열 리스트여야 합니다.", "'targets' must be a list of strings",
                           422, error_type="validation")
            if len(targets) > 100 or any(len(x) > 100 for x in targets):
                raise _bad("'targets' 는 100개, 하나에 100자까지입니다.", "at most 100 targets of at most 100 characters",
                           422, error_type="validation")
            target_ids = []
            for word in targets:
                ids = self.parse_tokenizer(word, add_special_tokens=False)["input_ids"]
                if not ids:
                    raise _bad(f"target {_short(word)} 를 토큰으로 바꿀 수 없습니다.", f"target {_short(word)} has no token", 422,
                               error_type="validation")
                target_ids.append(ids[0])
            target_ids = sorted(set(target_ids))
        return Job("fill", texts, {"top_k": top_k, "target_ids": target_ids}, single=single, group="fill")

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        tok = self.tokenizer
        results: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch):
                logits = self.model(**enc).logits.float()
                for k, i in enumerate(idx):
                    p = params[i]
                    ids = enc["input_ids"][k]
                    pos = (ids == tok.mask_token_id).nonzero()
                    if len(pos) == 0:  # the mask was cut by truncation
                        results[i] = _bad("마스크 토큰이 최대 길이 밖에서 잘렸습니다. 입력을 줄이세요.",
                                          "the mask token was truncated away", 422, error_type="validation")
                        continue
                    probs = logits[k, int(pos[0])].softmax(-1)
                    if p["target_ids"]:
                        cand = torch.tensor(p["target_ids"])
                        scores = probs[cand]
                        order = scores.argsort(descending=True)[: p["top_k"]]
                        picked = [(int(cand[j]), float(scores[j])) for j in order]
                    else:
                        top = probs.topk(p["top_k"])
                        picked = [(int(j), float(v)) for v, j in zip(top.values, top.indices)]
                    rows = []
                    real = ids[enc["attention_mask"][k].bool()].tolist()
                    at = real.index(tok.mask_token_id)
                    for tid, score in picked:
                        filled = list(real)
                        filled[at] = tid
                        rows.append({"score": score, "token": tid, "token_str": tok.decode([tid]).strip(),
                                     "sequence": tok.decode(filled, skip_special_tokens=True)})
                    results[i] = rows
        out, pos = [], 0
        for job in jobs:
            part = results[pos:pos + job.size]
            pos += job.size
            errs = [r for r in part if isinstance(r, RequestError)]
            out.append(errs[0] if errs else (part[0] if job.single else part))
        return out


class GeneratorEngine(Engine):
    """text-generation (TGI-style) and chat completions (OpenAI-style) with a causal LM."""

    task = "text-generation"
    model_class = "AutoModelForCausalLM"
    PARAMS = {"max_new_tokens", "temperature", "top_p", "top_k", "do_sample", "seed", "stop", "repetition_penalty",
              "return_full_text", "details", "decoder_input_details"}
    #: TGI parameters this server does not implement: answered like a non-TGI server, so the client drops them
    TGI_ONLY = {"adapter_id", "best_of", "frequency_penalty", "grammar", "top_n_tokens", "truncate", "typical_p",
                "watermark"}
    CHAT_PARAMS = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
                   "stream", "stream_options", "n", "frequency_penalty", "presence_penalty", "logprobs",
                   "top_logprobs", "response_format", "tools", "tool_choice", "tool_prompt", "logit_bias", "user"}
    DEFAULT_NEW_TOKENS = 64
    #: below this temperature the answer is greedy (as temperature 0): logits / 1e-300 overflow to inf
    MIN_TEMPERATURE = 1e-2
    #: the smallest repetition penalty accepted (logits / 1e-300 overflow to inf, and sampling then fails)
    MIN_REPETITION_PENALTY = 1e-2

    def _after_load(self) -> None:
        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token

    def max_length(self) -> int:
        cfg = self.model.config
        pos = getattr(cfg, "max_position_embeddings", None) or 2048
        return int(min(pos, 4096))

    def info(self) -> dict:
        d = super().info()
        d["max_total_tokens"] = self.max_length()
        d["max_new_tokens"] = self.max_new_tokens
        d["chat_template"] = bool(getattr(self.tokenizer, "chat_template", None)) if self.tokenizer else None
        return d

    # -- parsing -----------------------------------------------------------------------------------
    def _gen_params(self, params: dict, max_name: str) -> dict:
        max_new = _int_param(params, max_name, 1, self.max_new_tokens, min(self.DEFAULT_NEW_TOKENS, self.max_new_tokens))
        temperature = _float_param(params, "temperature", 0.0, 2.0)
        if temperature is not None and temperature < self.MIN_TEMPERATURE:
            temperature = 0.0  # greedy: dividing the logits by ~0 makes them inf, and sampling from NaN fails
        top_p = _float_param(params, "top_p", 0.0, 1.0, lo_open=True)
        top_k = _int_param(params, "top_k", 1, 10**6)
        rep = _float_param(params, "repetition_penalty", self.MIN_REPETITION_PENALTY, 10.0)
        seed = _int_param(params, "seed", 0, 2**63 - 1)
        do_sample = _bool_param(params, "do_sample")
        if do_sample is None:  # like TGI: greedy unless a sampling setting is given
            do_sample = bool((temperature is not None and temperature > 0) or top_p is not None or top_k is not None)
        if temperature == 0:
            do_sample = False
        gen = {"max_new_tokens": max_new, "do_sample": do_sample, "repetition_penalty": rep,
               "stop": _stop_param(params), "seed": seed}
        if do_sample:
            gen.update(temperature=temperature if temperature is not None else 1.0, top_p=top_p, top_k=top_k)
        return gen

    def _count(self, text: str, *, special: bool) -> int:
        return len(self.parse_tokenizer(text, add_special_tokens=special)["input_ids"])

    def parse(self, body: dict) -> Job:
        _check_unknown({k: v for k, v in body.items() if k not in ("inputs", "parameters", "options", "stream")},
                       set(), self.task, "최상위(top-level)")
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        unsupported = sorted(k for k in params if k in self.TGI_ONLY and params[k] not in (None, False))
        if unsupported:
            # The exact wording InferenceClient understands: it retries without them and warns the learner.
            names = ", ".join(f"'{k}'" for k in unsupported)
            raise _bad(f"이 서버가 지원하지 않는 매개변수입니다: {', '.join(unsupported)}.",
                       f"The following `model_kwargs` are not used by the model: [{names}]", 400)
        _check_unknown({k: v for k, v in params.items() if k not in self.TGI_ONLY}, self.PARAMS, self.task)
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise _bad("'stream' 은 true/false 여야 합니다.", "'stream' must be a boolean", 422, error_type="validation")
        texts, single = self._texts(body.get("inputs"), allow_list=False)
        gen = self._gen_params(params, "max_new_tokens")
        n_prompt = self._count(texts[0], special=True)
        self._check_length(n_prompt, gen["max_new_tokens"])
        gen["return_full_text"] = bool(_bool_param(params, "return_full_text", False))
        gen["details"] = bool(_bool_param(params, "details", False))
        gen["special"] = True
        return Job("generate", texts, gen, single=True, stream=stream, group=self._group(gen))

    def _check_length(self, n_prompt: int, max_new: int) -> None:
        limit = self.max_length()
        if n_prompt + max_new > limit:
            raise _bad(f"프롬프트 {n_prompt}토큰 + 새 토큰 {max_new}개가 최대 {limit}토큰을 넘습니다. 입력을 줄이세요.",
                       f"`inputs` tokens + `max_new_tokens` must be <= {limit}. Given: {n_prompt} `inputs` tokens "
                       f"and {max_new} `max_new_tokens`", 422, error_type="validation")

    @staticmethod
    def _group(gen: dict):
        if gen.get("seed") is not None and gen.get("do_sample"):
            return None  # a seeded sample runs alone: its result must not depend on its batch neighbours
        return ("gen", gen["max_new_tokens"], gen["do_sample"], gen.get("temperature"), gen.get("top_p"),
                gen.get("top_k"), gen["repetition_penalty"], tuple(gen["stop"]), gen.get("special"))

    def parse_chat(self, body: dict) -> Job:
        if not getattr(self.tokenizer, "chat_template", None):
            raise _bad("이 모델에는 채팅 템플릿(chat template)이 없어 chat/completions 를 할 수 없습니다.",
                       "this model has no chat template", 400)
        _check_unknown(body, self.CHAT_PARAMS, "chat/completions", "항목")
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise _bad("'messages' 는 비어 있지 않은 리스트여야 합니다: [{'role': 'user', 'content': '...'}].",
                       "'messages' must be a non-empty list", 422, error_type="validation")
        if len(msgs) > 64:
            raise _bad("메시지는 64개까지입니다.", "at most 64 messages", 422, error_type="validation")
        clean, total = [], 0
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool", "developer"):
                raise _bad(f"messages[{i}] 에 role(system/user/assistant)과 content 가 있어야 합니다.",
                           f"messages[{i}] needs a role (system/user/assistant) and a content", 422,
                           error_type="validation")
            content = m.get("content")
            if isinstance(content, list):  # OpenAI content parts: keep the text parts
                parts = []
                for part in content:
                    if not isinstance(part, dict) or part.get("type") != "text":
                        raise _bad("이 엔드포인트는 텍스트만 받습니다 (이미지 등은 안 됩니다).",
                                   "only text content parts are supported", 422, error_type="validation")
                    parts.append(str(part.get("text", "")))
                content = "".join(parts)
            if not isinstance(content, str):
                raise _bad(f"messages[{i}].content 는 문자열이어야 합니다.", f"messages[{i}].content must be a string",
                           422, error_type="validation")
            total += len(content)
            role = "system" if m["role"] == "developer" else m["role"]
            clean.append({"role": role, "content": content})
        if not any(m["content"].strip() for m in clean if m["role"] == "user"):
            raise _bad("user 메시지의 내용이 비어 있습니다.", "the user message is empty", 422, error_type="validation")
        if total > self.max_input_chars * 4:
            raise _bad(f"메시지가 너무 깁니다 ({total}자).", f"messages are too long ({total} characters)", 422,
                       error_type="validation")
        if body.get("n") not in (None, 1):
            raise _bad("n 은 1만 지원합니다.", "only n=1 is supported", 422, error_type="validation")
        for name in ("tools", "tool_choice", "tool_prompt", "response_format", "logit_bias"):
            if body.get(name) not in (None, [], {}):
                raise _bad(f"'{name}' 은(는) 이 로컬 엔드포인트가 지원하지 않습니다.", f"'{name}' is not supported", 422,
                           error_type="validation")
        if body.get("logprobs") or body.get("top_logprobs"):
            raise _bad("logprobs 는 이 로컬 엔드포인트가 지원하지 않습니다.", "logprobs are not supported", 422,
                       error_type="validation")
        params = dict(body)
        if params.get("max_completion_tokens") is not None and params.get("max_tokens") is None:
            params["max_tokens"] = params["max_completion_tokens"]
        gen = self._gen_params(params, "max_tokens")
        for pen in ("frequency_penalty", "presence_penalty"):
            _float_param(params, pen, -2.0, 2.0)
        if body.get("presence_penalty") and gen["repetition_penalty"] is None:
            gen["repetition_penalty"] = 1.0 + abs(float(body["presence_penalty"])) / 2
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise _bad("'stream' 은 true/false 여야 합니다.", "'stream' must be a boolean", 422, error_type="validation")
        opts = body.get("stream_options") or {}
        gen["include_usage"] = bool(isinstance(opts, dict) and opts.get("include_usage"))
        try:
            prompt = self.parse_tokenizer.apply_chat_template(clean, add_generation_prompt=True, tokenize=False)
        except Exception as e:  # noqa: BLE001 - template errors (e.g. roles out of order) are the caller's input
            raise _bad(f"채팅 템플릿을 적용하지 못했습니다: {type(e).__name__}: {str(e)[:200]}",
                       "could not apply the chat template", 422, error_type="validation") from None
        n_prompt = self._count(prompt, special=False)
        self._check_length(n_prompt, gen["max_new_tokens"])
        gen["special"] = False
        gen["return_full_text"] = False
        gen["details"] = False
        gen["chat"] = True
        return Job("chat", [prompt], gen, single=True, stream=stream, group=self._group(gen))

    # -- running -----------------------------------------------------------------------------------
    def _gen_kwargs(self, gen: dict) -> dict:
        kw = {"max_new_tokens": gen["max_new_tokens"], "do_sample": gen["do_sample"],
              "pad_token_id": self.tokenizer.pad_token_id}
        if gen.get("repetition_penalty") is not None:
            kw["repetition_penalty"] = gen["repetition_penalty"]
        if gen["do_sample"]:
            kw["temperature"] = gen["temperature"]
            if gen.get("top_p") is not None:
                kw["top_p"] = gen["top_p"]
            kw["top_k"] = gen.get("top_k") or 0
        else:  # silence the "generation flags are not valid" warnings of checkpoints with sampling defaults
            kw.update(temperature=None, top_p=None, top_k=None)
        if gen["stop"]:
            kw["stop_strings"] = gen["stop"]
            kw["tokenizer"] = self.tokenizer
        return kw

    def _prepare(self, jobs: list[Job]):
        gen = jobs[0].params
        enc = self.tokenizer([j.items[0] for j in jobs], return_tensors="pt", padding=True,
                             add_special_tokens=gen.get("special", True))
        return {k: v.to(self.device) for k, v in enc.items()}

    def _finish(self, gen: dict, new_ids: list[int], logprobs: list[float], prompt: str, n_prompt: int,
                stopped_by_cancel: bool = False) -> dict:
        tok = self.tokenizer
        eos = set(_as_list(getattr(self.model.generation_config, "eos_token_id", None))) | {tok.eos_token_id}
        ids = list(new_ids)
        # a row that ended early in a batch is padded afterwards: keep up to its first end-of-sequence token
        for i, t in enumerate(ids):
            if t in eos:
                ids = ids[: i + 1]
                break
        finish = "length"
        if ids and ids[-1] in eos:
            finish = "eos_token"
        text = tok.decode([i for i in ids if i not in eos], skip_special_tokens=True)
        for s in gen["stop"]:
            at = text.find(s)
            if at >= 0:
                finish = "stop_sequence"
                text = text[: at] if gen.get("chat") else text[: at + len(s)]
                break
        if stopped_by_cancel:
            finish = "cancelled"
        tokens = [{"id": int(t), "text": tok.decode([t]), "logprob": float(lp), "special": t in eos}
                  for t, lp in zip(ids, logprobs)]
        return {"text": text, "finish": finish, "n_new": len(ids), "n_prompt": n_prompt, "tokens": tokens,
                "prompt": prompt}

    def run(self, jobs, max_batch):
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        out: list = []
        for start in range(0, len(jobs), max(1, int(max_batch))):
            group = jobs[start:start + max(1, int(max_batch))]
            gen = group[0].params
            enc = self._prepare(group)
            width = enc["input_ids"].shape[1]
            recorder = _LogprobRecorder()
            cancel = _CancelCriteria(group)
            if gen.get("seed") is not None:
                torch.manual_seed(gen["seed"])
            with torch.inference_mode():
                seqs = self.model.generate(**enc, **self._gen_kwargs(gen),
                                           logits_processor=LogitsProcessorList([recorder]),
                                           stopping_criteria=StoppingCriteriaList([cancel]))
            new = seqs[:, width:]
            lps = recorder.finish(new)
            n_prompts = enc["attention_mask"].sum(1).tolist()
            for k, job in enumerate(group):
                out.append(self._finish(gen, new[k].tolist(), lps[k], job.items[0], int(n_prompts[k]),
                                        stopped_by_cancel=job.cancelled))
        return out

    def run_stream(self, job: Job, emit) -> dict:
        """Generate for one streamed job; `emit(token_dict)` is called for every new token (model thread)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        gen = job.params
        enc = self._prepare([job])
        recorder = _LogprobRecorder()
        streamer = _Streamer(self.tokenizer, recorder, emit)
        if gen.get("seed") is not None:
            torch.manual_seed(gen["seed"])
        with torch.inference_mode():
            seqs = self.model.generate(**enc, **self._gen_kwargs(gen), streamer=streamer,
                                       logits_processor=LogitsProcessorList([recorder]),
                                       stopping_criteria=StoppingCriteriaList([_CancelCriteria([job])]))
        new = seqs[0, enc["input_ids"].shape[1]:]
        lps = recorder.finish(new.unsqueeze(0))[0]
        return self._finish(gen, new.tolist(), lps, job.items[0], int(enc["attention_mask"].sum()),
                            stopped_by_cancel=job.cancelled)


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple, set)) else [x]


try:  # transformers is imported lazily elsewhere; these small classes need its base classes
    from transformers.generation import BaseStreamer as _BaseStreamer
    from transformers.generation import LogitsProcessor as _LogitsProcessor
    from transformers.generation import StoppingCriteria as _StoppingCriteria
except Exception:  # pragma: no cover - transformers missing: the engines cannot load anyway
    _BaseStreamer = _LogitsProcessor = _StoppingCriteria = object


class _LogprobRecorder(_LogitsProcessor):
    """Records the log-probability of every chosen token without keeping whole score tensors.

    Called at each step with the tokens so far: the previous step's distribution is looked up for
    the token that was just appended (``input_ids[:, -1]``). Placed last among the processors, so the
    log-probability is the one the sampler used.
    """

    def __init__(self):
        self.last = None
        self.rows: list[list[float]] | None = None
        self.steps = 0

    def __call__(self, input_ids, scores):
        import torch

        if self.last is not None:
            chosen = input_ids[:, -1]
            got = self.last.gather(1, chosen.unsqueeze(1)).squeeze(1).tolist()
            for r, v in zip(self.rows, got):
                r.append(v)
        else:
            self.rows = [[] for _ in range(scores.shape[0])]
        self.last = torch.log_softmax(scores.float(), dim=-1)
        self.steps += 1
        return scores

    def lookup(self, token_id: int, row: int = 0) -> float:
        if self.last is None:
            return 0.0
        return float(self.last[row, int(token_id)])

    def finish(self, new_ids) -> list[list[float]]:
        if self.rows is None:
            return [[] for _ in range(new_ids.shape[0])]
        if self.last is not None and new_ids.shape[1] > len(self.rows[0]):
            last_tokens = new_ids[:, len(self.rows[0])]
            got = self.last.gather(1, last_tokens.unsqueeze(1).to(self.last.device)).squeeze(1).tolist()
            for r, v in zip(self.rows, got):
                r.append(v)
        return [[v if math.isfinite(v) else -1e9 for v in r] for r in self.rows]


class _CancelCriteria(_StoppingCriteria):
    """Stops the rows of cancelled jobs (client gone, server stopping); ``generate`` ends when every row has.

    One row per job (each job of a generation batch is one prompt), so an abandoned request stops at its
    next token while the other rows of its batch go on.
    """

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        done = [j.cancelled for j in self.jobs]
        if len(done) != input_ids.shape[0]:  # not one row per job: stop only when all are cancelled
            done = [all(done)] * input_ids.shape[0]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class _Streamer(_BaseStreamer):
    """Turns generated token ids into text pieces; never splits a multi-byte character."""

    def __init__(self, tokenizer, recorder: _LogprobRecorder, emit):
        self.tok = tokenizer
        self.recorder = recorder
        self.emit = emit
        self.ids: list[int] = []
        self.sent = 0
        self.prompt_seen = False
        self.eos = {tokenizer.eos_token_id}
        self.special = set(tokenizer.all_special_ids) | self.eos

    def put(self, value):
        if not self.prompt_seen:  # generate() first pushes the prompt
            self.prompt_seen = True
            return
        for tid in value.reshape(-1).tolist():
            self.ids.append(int(tid))
            special = tid in self.special
            text = self.tok.decode([i for i in self.ids if i not in self.eos], skip_special_tokens=True)
            if text.endswith("\ufffd"):  # an unfinished UTF-8 character: wait for the next token
                piece = ""
            else:
                piece, self.sent = text[self.sent:], len(text)
            self.emit({"id": int(tid), "text": piece, "logprob": self.recorder.lookup(tid), "special": bool(special)})

    def end(self):
        pass


_ENGINES = {
    "text-classification": ClassifierEngine,
    "feature-extraction": EmbeddingEngine,
    "fill-mask": FillMaskEngine,
    "text-generation": GeneratorEngine,
}


# ==================================================================================================
# rate limit: token bucket
# ==================================================================================================
class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up. ``take()`` -> (allowed, seconds to wait)."""

    def __init__(self, rate: float, capacity: float | None = None):
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self, n: float = 1.0) -> tuple[bool, float]:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= n:
                self.tokens -= n
                return True, 0.0
            return False, (n - self.tokens) / self.rate


# ==================================================================================================
# the batcher: one queue, one model thread
# ==================================================================================================
class Batcher:
    """Gathers concurrent jobs for up to ``max_wait_ms`` and runs them as one batch in the model thread."""

    def __init__(self, state: "_State"):
        self.state = state
        self.pending: collections.deque[Job] = collections.deque()
        self.wakeup: asyncio.Event | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hflab-serve-model")
        self.task: asyncio.Task | None = None
        self.running: list[Job] = []

    def start(self) -> None:
        self.wakeup = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        for job in list(self.pending) + list(self.running):
            job.cancelled = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        for job in self.pending:
            if job.future is not None and not job.future.done():
                job.future.set_exception(RequestError(503, "서버가 멈추는 중입니다.", "server shutting down"))
        self.pending.clear()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, job: Job) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        job.loop = loop
        job.future = loop.create_future()
        self.pending.append(job)
        self.wakeup.set()
        return job.future

    async def _next(self, timeout: float | None) -> Job | None:
        """The next job that was not cancelled, waiting up to `timeout` seconds (None = forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self.pending:
                job = self.pending[0]
                if job.cancelled or (job.future is not None and job.future.done()):
                    self.pending.popleft()
                    continue
                return job
            self.wakeup.clear()
            if deadline is None:
                await self.wakeup.wait()
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self.wakeup.wait(), left)
                except asyncio.TimeoutError:
                    return None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                first = await self._next(None)
                self.pending.popleft()
                if first.stream:
                    await self._run_stream(first, loop)
                    continue
                batch, size = [first], first.size
                max_batch = max(1, int(self.state.max_batch_size))
                # everything already queued, plus what arrives within max_wait_ms
                t_end = time.monotonic() + (self.state.max_wait_ms / 1000.0 if max_batch > 1 else 0.0)
                while size < max_batch:
                    nxt = await self._next(max(0.0, t_end - time.monotonic()))
                    if nxt is None or nxt.stream or size + nxt.size > max_batch and size > 0:
                        break
                    self.pending.popleft()
                    batch.append(nxt)
                    size += nxt.size
                await self._run_batch(batch, loop, max_batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - never let the worker die
                logger.exception("hflab serve: batch worker error")

    async def _run_batch(self, batch: list[Job], loop, max_batch: int) -> None:
        groups: dict[Any, list[Job]] = {}
        for job in batch:
            key = job.group if job.group is not None else id(job)
            groups.setdefault(key, []).append(job)
        for jobs in groups.values():
            self.running = jobs
            t0 = time.perf_counter()
            try:
                results = await loop.run_in_executor(self.executor, self.state.engine.run, jobs, max_batch)
            except Exception as e:  # a model error is a 500 for these requests, not a dead server
                logger.warning("hflab serve: model error %s: %s", type(e).__name__, e)
                err = RequestError(500, f"모델 실행 중 오류가 났습니다: {type(e).__name__}",
                                   f"model error: {type(e).__name__}: {str(e)[:200]}")
                results = [err] * len(jobs)
            finally:
                self.running = []
            self.state.record_batch(sum(j.size for j in jobs), time.perf_counter() - t0)
            for job, res in zip(jobs, results):
                if job.future is not None and not job.future.done():
                    if isinstance(res, BaseException):
                        job.future.set_exception(res)
                    else:
                        job.future.set_result(res)

    async def _run_stream(self, job: Job, loop) -> None:
        def emit(token: dict) -> None:
            loop.call_soon_threadsafe(job.events.put_nowait, ("token", token))

        self.running = [job]
        t0 = time.perf_counter()
        try:
            result = await loop.run_in_executor(self.executor, self.state.engine.run_stream, job, emit)
            if result.get("finish") == "cancelled":
                with self.state.lock:
                    self.state.cancelled += 1
            job.events.put_nowait(("end", result))
        except Exception as e:
            logger.warning("hflab serve: stream error %s: %s", type(e).__name__, e)
            job.events.put_nowait(("error", f"model error: {type(e).__name__}: {str(e)[:200]}"))
        finally:
            self.running = []
            self.state.record_batch(1, time.perf_counter() - t0)
            if job.future is not None and not job.future.done():
                job.future.set_result(None)


# ==================================================================================================
# server state and the FastAPI app
# ==================================================================================================
class _State:
    def __init__(self, engine: Engine, *, max_batch_size: int, max_wait_ms: float, rate_limit: float | None,
                 api_keys: Mapping[str, str] | None, lazy: bool, max_body_bytes: int):
        self.engine = engine
        self.max_batch_size = int(max_batch_size)
        self.max_wait_ms = float(max_wait_ms)
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.rate_limit = rate_limit
        self.api_keys = dict(api_keys or {})
        self.lazy = lazy
        self.max_body_bytes = int(max_body_bytes)
        self.loaded = engine.model is not None
        self.loading = False
        self.load_error: str | None = None
        self.batcher: Batcher | None = None
        self.lock = threading.Lock()
        self.started = time.time()
        self.reset_stats()

    def reset_stats(self) -> None:
        with self.lock:
            self.status_counts: collections.Counter = collections.Counter()
            self.batch_sizes: collections.deque = collections.deque(maxlen=100_000)
            self.batch_seconds = 0.0
            self.requests = 0
            self.cancelled = 0
            self.engine.forward_sizes.clear()

    def record_status(self, status: int) -> None:
        with self.lock:
            self.status_counts[int(status)] += 1
            self.requests += 1

    def record_batch(self, size: int, seconds: float) -> None:
        with self.lock:
            self.batch_sizes.append(int(size))
            self.batch_seconds += seconds

    def stats(self) -> dict:
        with self.lock:
            sizes = list(self.batch_sizes)
            forwards = list(self.engine.forward_sizes)
            counts = dict(sorted(self.status_counts.items()))
            return {
                "requests": self.requests,
                "status": {str(k): v for k, v in counts.items()},
                "errors_4xx": sum(v for k, v in counts.items() if 400 <= k < 500),
                "errors_5xx": sum(v for k, v in counts.items() if k >= 500),
                "rate_limited": counts.get(429, 0),
                "batches": len(sizes),
                "batched_inputs": sum(sizes),
                "mean_batch_size": round(sum(sizes) / len(sizes), 3) if sizes else 0.0,
                "max_batch_size_seen": max(sizes) if sizes else 0,
                "batch_size_counts": {str(k): v for k, v in sorted(collections.Counter(sizes).items())},
                "model_seconds": round(self.batch_seconds, 3),
                "cancelled_generations": self.cancelled,
                "forward_passes": len(forwards),
                "mean_forward_batch_size": round(sum(forwards) / len(forwards), 3) if forwards else 0.0,
            }


class _StatusCounter:
    """Pure ASGI middleware: counts response status codes (works with streaming and disconnects)."""

    def __init__(self, app, state: _State):
        self.app = app
        self.state = state

    @property
    def routes(self) -> list:
        """The FastAPI app's routes (tests enumerate them so that no route escapes a check)."""
        return self.app.routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        seen = {}

        async def counting_send(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if "status" in seen:
                self.state.record_status(seen["status"])


try:  # same JSON text either way (shortest round-trip float repr); orjson is only faster
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None


async def _client_left_first(request, fut: asyncio.Future) -> bool:
    """Wait until `fut` is done or the client of `request` has disconnected; True when the client left first.

    After the body was read, the ASGI ``receive()`` of a request returns only when the connection closes
    (``http.disconnect``), so one task waiting on it notices a client that hangs up without polling.
    """
    watcher = asyncio.ensure_future(_wait_disconnect(request))
    try:
        await asyncio.wait({fut, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    return not fut.done()


async def _wait_disconnect(request) -> None:
    while True:
        message = await request.receive()
        if message.get("type") == "http.disconnect":
            return
        await asyncio.sleep(0.05)  # a server that answers more body messages must not make this spin


def _dumps(obj) -> bytes:
    if _orjson is not None:
        return _orjson.dumps(obj)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sse(obj) -> bytes:
    return b"data:" + _dumps(obj) + b"\n\n"


class _Handlers:
    """The request handlers of one endpoint: shared checks (key, model id, rate, loading, body), the
    pipeline task, chat completions and their streams. :func:`create_app` routes to them."""

    def __init__(self, state: "_State"):
        self.state = state
        self.engine = state.engine

    @staticmethod
    def error_response(err: RequestError, openai: bool = False):
        from fastapi.responses import JSONResponse

        return JSONResponse(err.body(openai=openai), status_code=err.status, headers=err.headers)

    # -- shared checks -----------------------------------------------------------------------------
    def check_auth(self, request) -> None:
        """401 / 403 unless the request may use this endpoint.

        A Bearer that looks like a Hugging Face token (``hf_...``) is refused with its own 401 on a keyed
        server and on any request from another machine: ``InferenceClient(base_url=...)`` without
        ``api_key=`` sends the learner's HF_TOKEN (or saved login) to whatever URL it was given, here over
        plain HTTP across the classroom network. The token is never logged, stored or echoed. An open
        server on 127.0.0.1 (a lesson's own endpoint) ignores the header: the token stayed on the machine.
        """
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if key.startswith(HF_TOKEN_PREFIX) and (self.state.api_keys or not _is_loopback_peer(request)):
            raise RequestError(401, HUB_TOKEN_REFUSED, "A Hugging Face Hub token was sent to a classroom server; "
                                                       "pass the classroom key with api_key=", code="invalid_api_key")
        if not self.state.api_keys:
            return
        access = _lookup_key(self.state.api_keys, key) if key else None
        if access is None:
            raise RequestError(401, "API 키가 없거나 올바르지 않습니다. 강사에게 받은 키를 api_key= 로 넘기세요 "
                                    "(InferenceClient(base_url=..., api_key=키), OpenAI(base_url=.../v1, api_key=키)).",
                               "Invalid credentials in Authorization header")
        if access != "granted":
            raise RequestError(
                403, f"'{self.engine.model_id}' 는 접근 승인이 필요한 모델이고, 이 키는 아직 승인되지 않았습니다.",
                f"Access to model {self.engine.model_id} is restricted and you are not in the authorized list",
                headers={"X-Error-Code": "GatedRepo",
                         "X-Error-Message": f"Access to model {self.engine.model_id} is restricted."})

    def check_model(self, model_id: str | None) -> None:
        if model_id is not None and model_id.strip("/") != self.engine.model_id:
            raise RequestError(404, f"{_short(model_id)} 모델은 이 엔드포인트에 없습니다 (서비스 중: {self.engine.model_id}).",
                               f"Model {_short(model_id)} does not exist",
                               headers={"X-Error-Code": "RepoNotFound",
                                        "X-Error-Message": "Repository not found"})

    def check_rate(self) -> None:
        if self.state.bucket is None:
            return
        ok, wait = self.state.bucket.take()
        if not ok:
            secs = max(1, math.ceil(wait))
            cap = int(self.state.bucket.capacity)
            window = max(1, math.ceil(self.state.bucket.capacity / self.state.bucket.rate))
            raise RequestError(
                429, f"요청이 너무 많습니다: 초당 {self.state.rate_limit:g}회까지입니다. {secs}초 뒤에 다시 보내세요.",
                f"Rate limit reached ({self.state.rate_limit:g} requests/s). Retry after {secs} s",
                headers={"Retry-After": str(secs), "RateLimit": f'"api";r=0;t={secs}',
                         "RateLimit-Policy": f'"token bucket";"api";q={cap};w={window}'})

    async def ensure_loaded(self) -> None:
        if self.state.loaded:
            return
        if self.state.load_error:
            raise RequestError(500, f"모델을 불러오지 못했습니다: {self.state.load_error}", "model failed to load")
        if not self.state.loading:
            self.state.loading = True
            loop = asyncio.get_running_loop()

            def load():
                try:
                    self.engine.load()
                    self.state.loaded = True
                except Exception as e:  # noqa: BLE001 - reported to every later request
                    self.state.load_error = f"{type(e).__name__}: {str(e)[:200]}"
                finally:
                    self.state.loading = False

            loop.run_in_executor(self.state.batcher.executor, load)
        est = self.engine.load_seconds or 1.0
        raise RequestError(503, f"모델 '{self.engine.model_id}' 를 불러오는 중입니다. 잠시 뒤 다시 보내세요.",
                           f"Model {self.engine.model_id} is currently loading",
                           headers={"Retry-After": str(max(1, math.ceil(est)))},
                           extra={"estimated_time": round(float(est), 1)})

    async def read_json(self, request) -> dict:
        from starlette.requests import ClientDisconnect

        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.state.max_body_bytes:
            raise _bad(f"요청 본문이 너무 큽니다 ({int(declared)} 바이트 > {self.state.max_body_bytes}).",
                       "payload too large", 413)
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.state.max_body_bytes:
                    raise _bad(f"요청 본문이 너무 큽니다 (> {self.state.max_body_bytes} 바이트).", "payload too large", 413)
                chunks.append(chunk)
        except ClientDisconnect:
            # the client hung up half-way through its body (httptools reports it, h11 did not): nobody
            # reads the answer; 499 (nginx's "client closed request") keeps it out of the 5xx count
            raise RequestError(499, "클라이언트가 요청 본문을 보내다 연결을 끊었습니다.", "client closed request") from None
        return parse_json_body(b"".join(chunks))

    # -- pipeline task -----------------------------------------------------------------------------
    async def pipeline_task(self, request, model_id: str | None = None, task: str | None = None):
        openai = _is_openai_path(request.url.path)  # e.g. /models/ID/v1/... : errors in the OpenAI shape
        try:
            self.check_auth(request)
            self.check_model(model_id)
            if task is not None and normalize_task_soft(task) != self.engine.task:
                raise _bad(f"이 엔드포인트는 {self.engine.task} 작업을 서비스합니다 (요청한 작업: {_short(task)}).",
                           f"this endpoint serves {self.engine.task}, not {_short(task)}")
            body = await self.read_json(request)
            if "inputs" not in body:
                raise _bad("'inputs' 가 없습니다: {\"inputs\": \"...\", \"parameters\": {...}}.", "missing 'inputs'", 400)
            self.check_rate()
            await self.ensure_loaded()
            job = self.engine.parse(body)
        except RequestError as e:
            return self.error_response(e, openai)
        if job.stream:
            return self.stream_generation(job)
        return await self.run_job(request, job,
                                  lambda res: self.tgi_output(job, res) if job.kind == "generate" else res, openai)

    async def run_job(self, request, job: Job, render, openai: bool = False):
        """Queue `job`, wait for its result and render it; a client that hangs up meanwhile cancels the job.

        A non-streamed request's handler is not cancelled when its client goes away (a dropped stream is
        noticed when the next event cannot be sent). So the wait also watches the connection: once the client
        has gone, the job is marked cancelled (a queued job is skipped, a running generation stops at its
        next token through :class:`_CancelCriteria`) and nothing is sent. Without this, an abandoned
        256-token generation held the model thread for seconds, and clients that retry on timeout
        (the ``openai`` client does) stacked such generations up.
        """
        from fastapi.responses import Response

        fut = self.state.batcher.submit(job)
        try:
            if await _client_left_first(request, fut):
                job.cancelled = True
                fut.cancel()  # nobody reads the answer: the batcher skips a job whose future is done
                if job.kind in ("generate", "chat"):
                    with self.state.lock:
                        self.state.cancelled += 1
                return Response(status_code=499)  # nginx's "client closed request": never sent, counted as 4xx
            result = fut.result()
        except RequestError as e:
            return self.error_response(e, openai)
        except asyncio.CancelledError:
            job.cancelled = True
            raise
        if isinstance(result, RequestError):
            return self.error_response(result, openai)
        return Response(_dumps(render(result)), media_type="application/json")

    def tgi_output(self, job: Job, res: dict) -> list:
        gen = job.params
        text = (res["prompt"] + res["text"]) if gen["return_full_text"] else res["text"]
        out = {"generated_text": text}
        if gen["details"]:
            out["details"] = {"finish_reason": res["finish"], "generated_tokens": res["n_new"], "seed": gen["seed"],
                              "prefill": [], "tokens": res["tokens"]}
        return [out]

    def self_eos(self) -> int:
        return self.engine.tokenizer.eos_token_id or 0

    def stream_generation(self, job: Job):
        from fastapi.responses import StreamingResponse

        job.events = asyncio.Queue()
        self.state.batcher.submit(job)

        async def events():
            index, last = 0, None  # the last token is held back: it carries generated_text and details
            try:
                while True:
                    kind, payload = await job.events.get()
                    if kind == "token":
                        if last is not None:
                            index += 1
                            yield _sse({"index": index, "token": last, "top_tokens": None, "generated_text": None,
                                        "details": None})
                        last = payload
                    elif kind == "end":
                        gen = job.params
                        text = (payload["prompt"] + payload["text"]) if gen["return_full_text"] else payload["text"]
                        if last is None:
                            last = {"id": int(self.self_eos()), "text": "", "logprob": 0.0, "special": True}
                        yield _sse({"index": index + 1, "token": last, "top_tokens": None, "generated_text": text,
                                    "details": {"finish_reason": payload["finish"],
                                                "generated_tokens": payload["n_new"],
                                                "seed": gen["seed"], "input_length": payload["n_prompt"]}})
                        return
                    else:
                        yield _sse({"error": payload, "error_type": "generation"})
                        return
            finally:
                job.cancelled = True  # client gone (or done): stop generating

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- chat completions ----------------------------------------------------------------------------
    async def chat(self, request, model_id: str | None = None):
        openai = _is_openai_path(request.url.path)
        try:
            self.check_auth(request)
            self.check_model(model_id)
            body = await self.read_json(request)
            self.check_rate()
            await self.ensure_loaded()
            job = self.engine.parse_chat(body)
        except RequestError as e:
            return self.error_response(e, openai)
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        base = {"id": cid, "created": created, "model": self.engine.model_id, "system_fingerprint": _SERVER_NAME}
        if job.stream:
            return self.stream_chat(job, base)

        def render(res):
            return {**base, "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": res["text"]},
                                 "logprobs": None, "finish_reason": _openai_finish(res["finish"])}],
                    "usage": {"prompt_tokens": res["n_prompt"], "completion_tokens": res["n_new"],
                              "total_tokens": res["n_prompt"] + res["n_new"]}}

        return await self.run_job(request, job, render, openai)

    def stream_chat(self, job: Job, base: dict):
        from fastapi.responses import StreamingResponse

        job.events = asyncio.Queue()
        self.state.batcher.submit(job)

        def chunk(delta: dict, finish=None, usage=None, choices=True):
            obj = {**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices
                   else [], "usage": usage}
            return b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n"

        async def events():
            first = True
            held = ""  # text that may be the start of a stop sequence
            stops = job.params["stop"]
            try:
                while True:
                    kind, payload = await job.events.get()
                    if kind == "token":
                        if payload["special"] or not payload["text"]:
                            continue
                        held += payload["text"]
                        if stops:
                            if any(s in held for s in stops):
                                continue  # cut at the stop sequence and sent at the end
                            keep = max(len(s) for s in stops) - 1  # a stop may still be completing
                            cut = max(0, len(held) - keep)
                            safe, held = held[:cut], held[cut:]
                        else:
                            safe, held = held, ""
                        if safe:
                            yield chunk({"role": "assistant", "content": safe} if first else {"content": safe})
                            first = False
                    elif kind == "end":
                        tail = held
                        if stops:
                            for s in stops:
                                if s in tail:
                                    tail = tail[: tail.find(s)]
                        if tail:
                            yield chunk({"role": "assistant", "content": tail} if first else {"content": tail})
                            first = False
                        yield chunk({"role": "assistant"} if first else {},
                                    finish=_openai_finish(payload["finish"]))
                        if job.params.get("include_usage"):
                            n_p, n_c = payload["n_prompt"], payload["n_new"]
                            yield chunk({}, usage={"prompt_tokens": n_p, "completion_tokens": n_c,
                                                   "total_tokens": n_p + n_c}, choices=False)
                        yield b"data: [DONE]\n\n"
                        return
                    else:  # the OpenAI shape: the openai client raises APIError with this message
                        err = {"error": {"message": f"생성 중 오류가 났습니다 ({payload})", "type": "server_error",
                                         "param": None, "code": "generation_error"}}
                        yield b"data: " + json.dumps(err, ensure_ascii=False).encode("utf-8") + b"\n\n"
                        return
            finally:
                job.cancelled = True

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


    def model_object(self) -> dict:
        d = {"id": self.engine.model_id, "object": "model", "created": int(self.state.started), "owned_by": _SERVER_NAME,
             "task": self.engine.task}
        if self.state.loaded:
            d["max_model_len"] = self.engine.max_length()
        return d

    def info_payload(self) -> dict:
        d = {"model_id": self.engine.model_id, "model_sha": None, "task": self.engine.task, "router": _SERVER_NAME,
             "version": _version(), "loaded": self.state.loaded, "max_batch_size": self.state.max_batch_size,
             "max_wait_ms": self.state.max_wait_ms, "rate_limit_per_s": self.state.rate_limit,
             "max_body_bytes": self.state.max_body_bytes, "auth": bool(self.state.api_keys)}
        if self.state.loaded:
            d.update(self.engine.info())
        return d


def create_app(state: _State):
    """The FastAPI app of one endpoint (``LocalEndpoint`` runs it with uvicorn)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @contextlib.asynccontextmanager
    async def lifespan(app):
        state.batcher = Batcher(state)
        state.batcher.start()
        try:
            yield
        finally:
            await state.batcher.stop()

    app = FastAPI(title="hflab serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    h = _Handlers(state)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        if exc.status_code == 404:
            err = _bad("이 주소(경로)는 없습니다. POST / , POST /v1/chat/completions, GET /v1/models, GET /info, "
                       "GET /health 를 쓰세요.", f"Not found: {_short(request.url.path, 100)}", 404, code="not_found")
        elif exc.status_code == 405:
            err = _bad(f"이 경로는 {request.method} 요청을 받지 않습니다.", f"Method {request.method} not allowed", 405)
        else:
            err = RequestError(exc.status_code, "요청을 처리할 수 없습니다.", str(exc.detail))
        return h.error_response(err, _is_openai_path(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        return h.error_response(_bad("요청 형식이 올바르지 않습니다.", "invalid request", 422),
                                _is_openai_path(request.url.path))

    @app.exception_handler(Exception)
    async def unexpected(request, exc):  # a bug in a handler: answer 500, keep serving
        logger.warning("hflab serve: unexpected %s: %s", type(exc).__name__, exc)
        return h.error_response(RequestError(500, f"서버 내부 오류: {type(exc).__name__}", "internal server error"),
                                _is_openai_path(request.url.path))

    # -- routes --------------------------------------------------------------------------------------
    @app.post("/")
    async def root_post(request: Request):
        return await h.pipeline_task(request)

    @app.post("/v1/chat/completions")
    @app.post("/chat/completions")
    async def chat_root(request: Request):
        return await h.chat(request)

    @app.get("/v1/models")
    async def list_models(request: Request):  # OpenAI / vLLM / TGI: the first call many OpenAI-style tools make
        try:
            h.check_auth(request)
        except RequestError as e:
            return h.error_response(e, True)
        return JSONResponse({"object": "list", "data": [h.model_object()]})

    @app.get("/v1/models/{model_id:path}")
    async def get_model(request: Request, model_id: str):
        try:
            h.check_auth(request)
            h.check_model(model_id)
        except RequestError as e:
            return h.error_response(e, True)
        return JSONResponse(h.model_object())

    @app.get("/health")
    async def health():
        # open even with api_keys (a health check or load balancer has no key): it says only "ok" or "loading"
        if state.loaded:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"error": "모델을 불러오는 중입니다 (model is loading)"}, status_code=503)

    @app.get("/info")
    async def info(request: Request):
        # with api_keys, /info, /stats and GET / need the key too: they name the model and show the traffic
        try:
            h.check_auth(request)
        except RequestError as e:
            return h.error_response(e)
        return JSONResponse(h.info_payload())

    @app.get("/stats")
    async def stats(request: Request):
        try:
            h.check_auth(request)
        except RequestError as e:
            return h.error_response(e)
        return JSONResponse(state.stats())

    @app.get("/")
    async def root_get(request: Request):
        try:
            h.check_auth(request)
        except RequestError as e:
            return h.error_response(e)
        return JSONResponse({"server": _SERVER_NAME, "model_id": state.engine.model_id, "task": state.engine.task,
                             "routes": ["POST /", "POST /models/{model_id}", "POST /v1/chat/completions",
                                        "GET /v1/models", "GET /health", "GET /info", "GET /stats"]})

    @app.api_route("/models/{rest:path}", methods=["GET", "POST"])
    async def models_route(request: Request, rest: str):
        # /models/ORG/NAME, /models/ORG/NAME/pipeline/TASK, /models/ORG/NAME/v1/chat/completions,
        # /models/ORG/NAME/info, /models/ORG/NAME/health
        parts = rest.strip("/").split("/")
        task = None
        if len(parts) >= 2 and parts[-2] == "pipeline":
            task, parts = parts[-1], parts[:-2]
        suffix = None
        if parts[-3:] == ["v1", "chat", "completions"]:
            suffix, parts = "chat", parts[:-3]
        elif parts[-2:] == ["chat", "completions"]:
            suffix, parts = "chat", parts[:-2]
        elif parts[-1:] in (["info"], ["health"]) and len(parts) > 1:
            suffix, parts = parts[-1], parts[:-1]
        model_id = "/".join(parts)
        openai = _is_openai_path(request.url.path)  # every answer on a /v1/ path is OpenAI-shaped
        if request.method == "GET":
            try:
                h.check_auth(request)
                h.check_model(model_id)
            except RequestError as e:
                return h.error_response(e, openai)
            if suffix == "info":
                return await info(request)
            if suffix == "health":
                return await health()
            return h.error_response(_bad(f"GET {_short(request.url.path, 100)} 는 없습니다. POST 로 보내세요.",
                                         "use POST for inference", 405), openai)
        if suffix == "chat":
            return await h.chat(request, model_id)
        if suffix in ("info", "health"):
            return h.error_response(_bad(f"{suffix} 는 GET 으로 요청하세요.", f"use GET for /{suffix}", 405), openai)
        return await h.pipeline_task(request, model_id, task)

    return _StatusCounter(app, state)


def normalize_task_soft(task: str) -> str:
    try:
        return normalize_task(task)
    except ServeError:
        return str(task)


def _openai_finish(reason: str) -> str:
    return {"eos_token": "stop", "stop_sequence": "stop", "length": "length"}.get(reason, "stop")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hflab")
    except Exception:  # noqa: BLE001
        return "0"


# ==================================================================================================
# LocalEndpoint: start/stop from Python
# ==================================================================================================
#: what a Hugging Face user access token starts with
HF_TOKEN_PREFIX = "hf_"
#: the 401 message for a Hub token presented to this server (the token itself is never repeated)
HUB_TOKEN_REFUSED = (
    "Hugging Face Hub 토큰(hf_...)이 교실 서버로 보내졌습니다: api_key= 없이 만든 InferenceClient 는 내 HF_TOKEN(또는 "
    "hf auth login 토큰)을 그대로 보냅니다. 강사에게 받은 교실 키를 api_key= 로 넘기세요: "
    "InferenceClient(base_url=..., api_key=교실키). 이 토큰은 암호화되지 않은 HTTP 로 네트워크를 지나왔을 수 있으니 "
    "https://huggingface.co/settings/tokens 에서 새 토큰으로 바꾸는(교체) 것을 고려하세요."
)


def _is_loopback_peer(request) -> bool:
    """Whether the request came from this machine (127.0.0.0/8, ::1)."""
    import ipaddress

    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host in _LOOPBACK


def _check_api_keys(api_keys) -> None:
    if api_keys is None:
        return
    if not isinstance(api_keys, Mapping):
        raise ServeError("api_keys 는 딕셔너리여야 합니다: {키: 'granted' 또는 'pending'}.",
                         fix="예: api_keys={secrets.token_urlsafe(16): 'granted'}")
    bad = {v for v in api_keys.values() if v not in ("granted", "pending")}
    if bad or not all(isinstance(k, str) and k for k in api_keys):
        raise ServeError("api_keys 는 {키(문자열): 'granted' 또는 'pending'} 이어야 합니다.",
                         fix="예: api_keys={secrets.token_urlsafe(16): 'granted'}")
    if any(k.startswith(HF_TOKEN_PREFIX) for k in api_keys):
        raise ServeError(_HF_KEY_REFUSED, fix=f"새 키를 만드세요: {_NEW_KEY}")


def _lookup_key(api_keys: Mapping[str, str], presented: str) -> str | None:
    """The access (``"granted"`` / ``"pending"``) of the key `presented`, or None.

    Compares against every key with :func:`hmac.compare_digest` and never stops early, so the answer's
    timing says nothing about how much of a key was right (a dict lookup hashes and compares the
    string, which leaks timing).
    """
    given = presented.encode("utf-8")
    found = None
    for key, access in api_keys.items():
        if hmac.compare_digest(key.encode("utf-8"), given) and found is None:
            found = access
    return found


#: the environment variable ``hflab serve`` reads its classroom key from
API_KEY_ENV = "HFLAB_SERVE_API_KEY"
_MIN_KEY_CHARS = 12
_NEW_KEY = "python -c \"import secrets; print(secrets.token_urlsafe(16))\""
_HF_KEY_REFUSED = ("교실 키가 hf_ 로 시작합니다: Hugging Face 토큰처럼 보이는 키는 받지 않습니다 (서버는 hf_ 로 시작하는 "
                   "Bearer 를 진짜 Hub 토큰으로 보고 거절합니다). 내 Hub 토큰을 교실 키로 쓰지 마세요.")


def load_api_keys(api_key_file: str | os.PathLike | None = None, *,
                  env: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The classroom keys of ``hflab serve``: from the environment variable ``HFLAB_SERVE_API_KEY`` and/or
    a key file (one key per line, ``#`` comments), never from the command line (``ps`` shows every
    process's arguments to every user of the machine).

    The file must be readable by its owner only (``chmod 600``): a key file that group or others can
    read is refused with a Korean message, like ``ssh`` refuses such a private key. Returns
    ``{key: "granted"}`` for :class:`LocalEndpoint`, or None when neither source holds a key.
    Used in: ``hflab serve`` (11_inference_api's classroom recipe), tests/test_serve_keys.py.
    """
    env = os.environ if env is None else env
    keys: list[str] = []
    if api_key_file is not None:
        keys += _read_key_file(Path(api_key_file).expanduser())
    from_env = (env.get(API_KEY_ENV) or "").strip()
    if from_env:
        keys.append(from_env)
    for key in keys:
        if key.startswith(HF_TOKEN_PREFIX):
            raise ServeError(_HF_KEY_REFUSED, fix=f"새 키를 만드세요: {_NEW_KEY}")
        if len(key) < _MIN_KEY_CHARS or any(ch.isspace() for ch in key) or not key.isascii() or not key.isprintable():
            raise ServeError(f"접속 키는 공백 없는 영문·숫자·기호 {_MIN_KEY_CHARS}자 이상이어야 합니다 "
                             f"(받은 키 하나가 {len(key)}자이거나 공백·한글이 들어 있습니다).",
                             fix=f"새 키를 만드세요: {_NEW_KEY}")
    return {k: "granted" for k in keys} or None


def _read_key_file(path: Path) -> list[str]:
    import stat

    try:
        st = path.stat()
    except OSError:
        raise ServeError(f"키 파일 {path} 이(가) 없습니다.",
                         fix=f"(umask 077; {_NEW_KEY} > {path}) 로 만드세요.") from None
    if not stat.S_ISREG(st.st_mode):
        raise ServeError(f"키 파일 {path} 이(가) 일반 파일이 아닙니다.", fix="키 한 줄이 든 파일의 경로를 주세요.")
    if st.st_mode & 0o077:
        raise ServeError(f"키 파일 {path} 을(를) 다른 사용자도 읽거나 바꿀 수 있습니다 (권한 {stat.S_IMODE(st.st_mode):o}).",
                         fix=f"chmod 600 {path} 로 나만 읽게 한 뒤 다시 실행하세요.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ServeError(f"키 파일 {path} 을(를) 읽지 못했습니다 ({type(e).__name__}).",
                         fix="UTF-8 글자 파일에 키를 한 줄에 하나씩 적으세요.") from None
    keys = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not keys:
        raise ServeError(f"키 파일 {path} 에 키가 없습니다.", fix=f"{_NEW_KEY} > {path}")
    return keys


def _check_port(port) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ServeError(f"포트는 0 이상 65535 이하의 정수여야 합니다 (지금 {_short(port)}).",
                         fix="예: --port 8080 (0 이면 비어 있는 포트를 골라 씁니다)")
    return port


def _check_model_folder(model) -> None:
    """A local folder must hold a saved model (``config.json``): refused before any loading starts."""
    if model is None or not str(model).strip():
        return
    path = Path(str(model)).expanduser()
    if path.is_dir() and not (path / "config.json").is_file():
        raise ServeError(f"폴더 {path} 에 모델이 없습니다 (config.json 이 없음).",
                         fix="save_pretrained 로 저장한 모델 폴더(config.json, 가중치, 토크나이저가 있는 곳)를 주거나 "
                             "Hub id(예: sentence-transformers/all-MiniLM-L6-v2)를 주세요.")


def _default_model_id(model: str) -> str:
    p = Path(str(model)).expanduser()
    if p.exists():
        return f"local/{p.resolve().name}"
    return str(model)


class LocalEndpoint:
    """A local inference endpoint on 127.0.0.1, served by uvicorn in a background thread.

    Args:
        model: Hub id (from the cache / mirror, or downloaded) or a local folder (``save_pretrained`` output).
        task: ``text-classification``, ``feature-extraction``, ``fill-mask`` or ``text-generation``.
        port: TCP port (0 = any free port; see ``.url``).
        rate_limit: requests per second (``5``, ``"5/s"``); past it: 429 with ``Retry-After``. None = no limit.
        max_batch_size: inputs per forward pass (1 = per-request execution, no batching). Settable later.
        max_wait_ms: how long the batcher may wait for more requests after the first one (requests that
            arrive while a batch runs join the next batch anyway: a few ms is enough).
        api_keys: ``{key: "granted" | "pending"}``; when given, requests need ``Authorization: Bearer KEY``
            (``InferenceClient(..., api_key=KEY)``): unknown key 401, ``"pending"`` 403 gated.
        lazy: load the model on the first request (that request, and those during loading, get 503).
        model_id: the id the endpoint answers to (default: the Hub id, or ``local/<folder name>``).
        host: bind address (127.0.0.1; a classroom server on the LAN would pass ``"0.0.0.0"`` with api_keys).
        threads: ``torch.set_num_threads`` for the process (None = leave it).
        max_inputs / max_input_chars / max_new_tokens / max_body_bytes: request limits (422 / 413 beyond).

    Attributes: ``url`` (``http://127.0.0.1:PORT``), ``model_id``, ``task``, ``stats()``, ``info()``.

    Used in: 11_inference_api, ``hflab serve``, ``hflab bench serve``, tests/test_serve.py.
    """

    def __init__(self, model, task: str, *, port: int = 0, rate_limit=None, max_batch_size: int = 32,
                 max_wait_ms: float = 2.0, api_keys: Mapping[str, str] | None = None, lazy: bool = False,
                 model_id: str | None = None, host: str = "127.0.0.1", threads: int | None = None,
                 device: str | None = None, max_inputs: int = 64, max_input_chars: int = 4000,
                 max_new_tokens: int = 256, max_body_bytes: int = 1_000_000):
        self.task = normalize_task(task)
        if model is None or not str(model).strip():
            raise ServeError("model 이 비어 있습니다.", fix="Hub id(예: sentence-transformers/all-MiniLM-L6-v2)나 "
                                                       "save_pretrained 로 저장한 폴더 경로를 주세요.")
        if not isinstance(max_batch_size, int) or max_batch_size < 1:
            raise ServeError(f"max_batch_size 는 1 이상의 정수여야 합니다 (지금 {max_batch_size!r}).",
                             fix="배칭을 끄려면 1, 켜려면 예: 32")
        _check_api_keys(api_keys)
        _check_model_folder(model)
        self.model = str(model)
        self.model_id = model_id or _default_model_id(self.model)
        self.host = host
        self.port = _check_port(port)
        self.threads = threads
        self.rate_limit = parse_rate_limit(rate_limit)
        engine_cls = _ENGINES[self.task]
        self.engine = engine_cls(self.model, self.model_id, device=device, max_inputs=max_inputs,
                                 max_input_chars=max_input_chars, max_new_tokens=max_new_tokens)
        self.state = _State(self.engine, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms,
                            rate_limit=self.rate_limit, api_keys=api_keys, lazy=lazy, max_body_bytes=max_body_bytes)
        self.lazy = lazy
        self.app = None  # the ASGI app once started (``ep.app.routes``: every route it serves)
        self._server = None
        self._thread: threading.Thread | None = None

    # -- config that may change while running ---------------------------------------------------------
    @property
    def max_batch_size(self) -> int:
        return self.state.max_batch_size

    @max_batch_size.setter
    def max_batch_size(self, value: int) -> None:
        if not isinstance(value, int) or value < 1:
            raise ServeError(f"max_batch_size 는 1 이상의 정수여야 합니다 (지금 {value!r}).", fix="예: 1 또는 32")
        self.state.max_batch_size = value

    def set_rate_limit(self, rate_limit) -> None:
        """Change the requests-per-second limit while running (None = no limit); the bucket starts full."""
        self.rate_limit = parse_rate_limit(rate_limit)
        self.state.rate_limit = self.rate_limit
        self.state.bucket = TokenBucket(self.rate_limit) if self.rate_limit else None

    def set_api_keys(self, api_keys: Mapping[str, str] | None) -> None:
        """Change the accepted keys while running (None = no key needed)."""
        _check_api_keys(api_keys)
        self.state.api_keys = dict(api_keys or {})

    @property
    def max_wait_ms(self) -> float:
        return self.state.max_wait_ms

    @max_wait_ms.setter
    def max_wait_ms(self, value: float) -> None:
        self.state.max_wait_ms = float(value)

    @property
    def max_new_tokens(self) -> int:
        """The most new tokens one generation request may ask for (422 beyond). Settable while running."""
        return self.engine.max_new_tokens

    @max_new_tokens.setter
    def max_new_tokens(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ServeError(f"max_new_tokens 는 1 이상의 정수여야 합니다 (지금 {_short(value)}).", fix="예: 256")
        self.engine.max_new_tokens = value

    # -- lifecycle ----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def load(self) -> "LocalEndpoint":
        """Load the model now (``start()`` does it unless ``lazy=True``); :class:`ServeError` when it cannot."""
        if self.engine.model is None:
            try:
                self.engine.load()
            except Exception as e:  # noqa: BLE001 - missing files (OSError), unknown architecture (ValueError) ...
                raise ServeError(
                    f"모델 '{self.model}' 을(를) {self.task} 작업으로 불러오지 못했습니다 ({type(e).__name__}).",
                    fix="Hub id 철자를 확인하세요. 오프라인이면 `hflab mirror` 로 미러를 만들고 HF_HUB_OFFLINE=1 을 "
                        "설정하세요; 로컬 폴더라면 save_pretrained 로 저장한 경로인지, 작업(--task)이 모델에 맞는지 "
                        "확인하세요.",
                ) from None
            self.state.loaded = True
        return self

    def start(self, timeout: float = 60.0) -> "LocalEndpoint":
        """Load the model (unless lazy) and serve in a background thread; returns ``self``."""
        if self.running:
            return self
        if self.threads is not None:
            import torch

            torch.set_num_threads(int(self.threads))
        import uvicorn

        sock = self._bind()  # before loading: a port in use is reported at once, not after the model loaded
        try:
            if not self.lazy:
                self.load()
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        app = self.app = create_app(self.state)
        # http/loop "auto" (uvicorn's default): httptools + uvloop when installed, h11 + asyncio otherwise
        config = uvicorn.Config(app, log_config=None, access_log=False, log_level="warning", lifespan="on",
                                timeout_keep_alive=30, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        try:
            self._thread = _threaded_server.run_in_thread(self._server, sock, f"hflab-serve-{self.port}", timeout)
        except RuntimeError:
            raise ServeError("로컬 엔드포인트를 시작하지 못했습니다.", fix="hflab doctor 로 fastapi/uvicorn 설치를 확인하세요.") from None
        logger.info("hflab serve: %s (%s) on %s", self.model_id, self.task, self.url)
        return self

    def _bind(self):
        import errno

        try:
            return _threaded_server.bind(self.host, self.port)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ServeError(f"{self.host}:{self.port} 포트를 이미 다른 프로그램이 쓰고 있습니다.",
                                 fix="다른 포트(--port 8081, 또는 0 = 빈 포트)를 쓰거나, 먼저 띄운 서버를 멈추세요 "
                                     "(노트북: ep.stop(), 터미널: Ctrl+C).") from None
            if e.errno == errno.EACCES:
                raise ServeError(f"{self.port} 번 포트를 열 권한이 없습니다 (1024 미만은 관리자 전용).",
                                 fix="1024 이상의 포트를 쓰세요: 예 --port 8080") from None
            raise ServeError(f"{_short(self.host)}:{self.port} 에서 서버를 열 수 없습니다 ({type(e).__name__}).",
                             fix="--host 는 127.0.0.1(이 컴퓨터만) 또는 0.0.0.0(같은 네트워크)처럼 이 컴퓨터의 주소여야 "
                                 "합니다.") from None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (running generations are cancelled)."""
        _threaded_server.stop(self._server, self._thread, timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> "LocalEndpoint":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"LocalEndpoint(model_id={self.model_id!r}, task={self.task!r}, url={self.url!r}, "
                f"max_batch_size={self.max_batch_size}, rate_limit={self.rate_limit}, {state})")

    # -- introspection -----------------------------------------------------------------------------------
    def stats(self) -> dict:
        """Requests per status, batches and batch sizes since start (or :meth:`reset_stats`)."""
        return self.state.stats()

    def reset_stats(self) -> None:
        self.state.reset_stats()

    def info(self) -> dict:
        d = {"model_id": self.model_id, "task": self.task, "url": self.url, "max_batch_size": self.max_batch_size,
             "rate_limit_per_s": self.rate_limit, "loaded": self.state.loaded}
        if self.state.loaded:
            d.update(self.engine.info())
            d["load_seconds"] = round(self.engine.load_seconds or 0.0, 2)
        return d


# ==================================================================================================
# offline mode: let huggingface_hub reach 127.0.0.1 (only)
# ==================================================================================================
_SAVED_FACTORIES: tuple | None = None


def _is_loopback(host: str | None) -> bool:
    return (host or "").lower() in _LOOPBACK


def allow_local_requests() -> bool:
    """Let ``huggingface_hub`` (``InferenceClient``, ``AsyncInferenceClient``) reach 127.0.0.1 / localhost
    while ``HF_HUB_OFFLINE=1``; every other host stays blocked (``OfflineModeIsEnabled``).

    With the offline flag set, the client's HTTP session refuses every request, 127.0.0.1 included. This
    swaps the session's request hook for one that skips the offline check for loopback hosts only; the
    offline flag itself stays set (``from_pretrained`` keeps using the local cache). Returns True when it
    changed something, False when there was nothing to do (not offline, or already allowed). Undo with
    :func:`disallow_local_requests`.

    Used in: 11_inference_api, tests/test_serve.py.
    """
    global _SAVED_FACTORIES
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    if _SAVED_FACTORIES is not None or not constants.HF_HUB_OFFLINE:
        return False
    prev_sync, prev_async = _http._GLOBAL_CLIENT_FACTORY, _http._GLOBAL_ASYNC_CLIENT_FACTORY

    def sync_hook(request):
        if _is_loopback(request.url.host):
            return None
        return _http.hf_request_event_hook(request)

    async def async_hook(request):
        if _is_loopback(request.url.host):
            return None
        return await _http.async_hf_request_event_hook(request)

    def swap(hooks: list, old, new) -> list:
        return [new if h is old else h for h in hooks]

    def sync_factory():
        client = prev_sync()
        hooks = dict(client.event_hooks)
        hooks["request"] = swap(list(hooks.get("request", [])), _http.hf_request_event_hook, sync_hook)
        client.event_hooks = hooks
        return client

    def async_factory():
        client = prev_async()
        hooks = dict(client.event_hooks)
        hooks["request"] = swap(list(hooks.get("request", [])), _http.async_hf_request_event_hook, async_hook)
        client.event_hooks = hooks
        return client

    _SAVED_FACTORIES = (prev_sync, prev_async)
    _http.set_client_factory(sync_factory)
    _http.set_async_client_factory(async_factory)
    return True


def disallow_local_requests() -> None:
    """Undo :func:`allow_local_requests` (offline mode blocks 127.0.0.1 again)."""
    global _SAVED_FACTORIES
    if _SAVED_FACTORIES is None:
        return
    from huggingface_hub.utils import _http

    prev_sync, prev_async = _SAVED_FACTORIES
    _http.set_client_factory(prev_sync)
    _http.set_async_client_factory(prev_async)
    _SAVED_FACTORIES = None


# ==================================================================================================
# CLI
# ==================================================================================================
_ANY_HOST = ("0.0.0.0", "", "::")


def reachable_addresses(host: str) -> list[str]:
    """The addresses other machines can reach a server bound to `host` at: `host` itself, or for ``0.0.0.0``
    this machine's non-loopback IPv4 addresses (from its host name and the default route; nothing is sent).
    Empty when none is found (then ``hostname -I`` tells). Used in: :func:`banner` (``hflab serve``).
    """
    import ipaddress
    import socket

    if host not in _ANY_HOST:
        return [] if _is_loopback(host) else [host]
    found: list[str] = []
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # a UDP "connect" only picks the outgoing interface: no packet leaves
        found.append(s.getsockname()[0])
    out = []
    for addr in found:
        with contextlib.suppress(ValueError):
            ip = ipaddress.ip_address(addr)
            if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local) and addr not in out:
                out.append(addr)
    return out


def banner(ep: "LocalEndpoint", n_keys: int = 0, addresses: list[str] | None = None) -> list[str]:
    """What ``hflab serve`` prints once `ep` serves: where it is reachable (this machine, and for a network
    host the addresses other machines use: `addresses`, default :func:`reachable_addresses`), whether a key
    is needed (never the key itself), and client lines that pass ``api_key=`` (a client without it sends the
    learner's HF_TOKEN instead).
    Used in: :func:`cli_serve`.
    """
    limit = f"초당 {ep.rate_limit:g}회" if ep.rate_limit else "없음"
    lines = [f"로컬 엔드포인트: {ep.url}  (모델 {ep.model_id}, 작업 {ep.task}, 동적 배칭 최대 {ep.max_batch_size}, "
             f"속도 제한 {limit})"]
    network = not _is_loopback(ep.host)
    urls = [ep.url]
    if network:
        addrs = reachable_addresses(ep.host) if addresses is None else list(addresses)
        urls = [f"http://{a}:{ep.port}" for a in addrs] or [f"http://<이 컴퓨터의 IP>:{ep.port}"]
        where = "이 컴퓨터의 모든 네트워크 주소에서" if ep.host in _ANY_HOST else f"{ep.host} 에서"
        lines.append(f"같은 네트워크의 다른 컴퓨터에서: {', '.join(urls)}  ({where} 받습니다"
                     + ("" if addrs else "; 주소는 hostname -I 로 확인") + ")")
    if n_keys:
        lines.append(f"접속 키가 필요합니다 (키 {n_keys}개; 키는 출력하지 않습니다: 키 파일이나 {API_KEY_ENV} 의 값을 "
                     "학생들에게 따로 알려 주세요). 키 없이 열린 것은 GET /health 뿐입니다.")
        key, note = "KEY", "  # KEY = 강사가 알려 준 교실 키"
    else:
        key, note = repr("-"), "  # 키가 필요 없는 서버"
    lines.append(f"파이썬에서:  InferenceClient(base_url={urls[0]!r}, api_key={key}){note}")
    lines.append("  (api_key= 를 빼면 InferenceClient 가 내 HF_TOKEN 을 이 서버로 보냅니다: 교실 서버는 hf_ 토큰을 거절합니다)")
    if ep.task == "text-generation":
        lines.append(f"OpenAI 클라이언트:  OpenAI(base_url={urls[0] + '/v1'!r}, api_key={key})")
    return lines


def cli_serve(model: str, task: str, port: int = 8080, rate_limit=None, *, host: str = "127.0.0.1",
              max_batch_size: int = 32, api_key_file: str | os.PathLike | None = None) -> None:
    """``hflab serve --model ID --task TASK [--port] [--rate-limit N/s] [--host H] [--api-key-file F]``: serve until Ctrl+C.

    Keys come from ``HFLAB_SERVE_API_KEY`` and/or `api_key_file` (see :func:`load_api_keys`), never from
    the command line. A classroom server reachable from other machines (`host` not a loopback address)
    must have a key: students then pass it as ``InferenceClient(base_url=..., api_key=KEY)`` or
    ``OpenAI(base_url=.../v1, api_key=KEY)``. The key itself is never printed.
    Used in: ``hflab serve`` (11_inference_api's classroom recipe).
    """
    api_keys = load_api_keys(api_key_file)
    if host not in _LOOPBACK and not api_keys:
        raise ServeError(f"{host} 에서 열면 같은 네트워크의 누구나 접속할 수 있습니다. 접속 키가 필요합니다.",
                         fix=f"키 파일을 만들어 넘기세요: (umask 077; {_NEW_KEY} > classroom.key) 후 "
                             f"--api-key-file classroom.key (또는 환경 변수 {API_KEY_ENV}). 명령줄에 키를 직접 쓰면 "
                             "ps 로 누구나 볼 수 있어 받지 않습니다.")
    if model is not None and Path(str(model)).expanduser().is_dir():
        model = str(Path(str(model)).expanduser().resolve())
    ep = LocalEndpoint(model, task, port=port, rate_limit=rate_limit, host=host, max_batch_size=max_batch_size,
                       api_keys=api_keys)
    print(f"모델을 불러옵니다: {ep.model} ({ep.task}) ...", flush=True)
    ep.start()
    for line in banner(ep, n_keys=len(api_keys or {})):
        print(line, flush=True)
    print("멈추려면 Ctrl+C", flush=True)
    try:
        while ep.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        ep.stop()
        print("엔드포인트를 멈췄습니다.", flush=True)


# ==================================================================================================
# load generation: many concurrent clients, latency percentiles (bench, tests, the notebook's figure)
# ==================================================================================================
def percentile(values, q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * (q / 100.0)
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run_load(url: str, payloads: list, *, clients: int = 16, requests: int = 512, path: str = "/",
             timeout: float = 120.0, headers: Mapping[str, str] | None = None,
             keep_latencies: bool = False) -> dict:
    """POST `requests` JSON bodies (cycling through `payloads`) from `clients` concurrent clients.

    Each client sends its next request as soon as the previous answer arrives (a closed loop, like 16
    students pressing the button again). The clients run in a process of their own (``hflab/_loadgen.py``),
    as real clients would, so they do not share the server's interpreter lock. Returns
    the wall time, throughput, latency percentiles (ms), status counts, 5xx and transport errors. Only
    loopback URLs are allowed.
    Used in: ``hflab bench serve``, tests/test_serve.py.
    """
    import httpx

    host = httpx.URL(url).host
    if not _is_loopback(host):
        raise ServeError(f"부하 측정은 로컬 엔드포인트(127.0.0.1)에만 보냅니다 (지금 {host}).",
                         fix="LocalEndpoint(...).start() 의 ep.url 을 넘기세요.")
    if not payloads:
        raise ServeError("payloads 가 비어 있습니다.", fix="[{'inputs': '...'}, ...] 를 넘기세요.")
    if clients < 1 or requests < 1:
        raise ServeError("clients 와 requests 는 1 이상이어야 합니다.", fix="예: clients=16, requests=512")
    cfg = {"url": url, "path": path, "payloads": list(payloads), "clients": int(clients), "requests": int(requests),
           "timeout": float(timeout), "headers": dict(headers or {})}
    script = Path(__file__).with_name("_loadgen.py")
    proc = subprocess.run([sys.executable, str(script)], input=json.dumps(cfg), capture_output=True, text=True,
                          timeout=timeout * max(1, requests // max(1, clients)) + 120)
    if proc.returncode != 0:
        raise ServeError(f"부하 생성 프로세스가 실패했습니다: {proc.stderr.strip()[-300:]}",
                         fix="hflab doctor 로 설치를 확인하세요.")
    raw = json.loads(proc.stdout)
    latencies, seconds = raw["latencies_ms"], raw["seconds"]
    statuses = {int(k): v for k, v in raw["status"].items()}
    ok = statuses.get(200, 0)
    out = {
        "requests": requests,
        "clients": clients,
        "seconds": round(seconds, 3),
        "throughput_rps": round(ok / seconds, 2) if seconds > 0 else 0.0,
        "latency_ms": {"p50": round(percentile(latencies, 50), 2), "p90": round(percentile(latencies, 90), 2),
                       "p99": round(percentile(latencies, 99), 2), "max": round(max(latencies), 2) if latencies else None},
        "status": {str(k): v for k, v in sorted(statuses.items())},
        "errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "transport_errors": dict(raw["transport"]),
    }
    if keep_latencies:
        out["latencies_ms"] = latencies
    return out


def measure_batching(ep: "LocalEndpoint", payloads: list, *, clients: int = 16, requests: int = 512,
                     rounds: int = 2, warmup: int = 32, batched: int | None = None,
                     keep_latencies: bool = False) -> dict:
    """Throughput and latency of dynamic batching vs per-request execution on the same running endpoint.

    The same server code runs twice: with ``max_batch_size=batched`` (default: the endpoint's) and with
    ``max_batch_size=1``. Each mode gets `requests` requests from `clients` concurrent clients, split into
    `rounds` interleaved rounds (batched, per-request, per-request, batched, ...) so that a busy machine
    slows both alike. Returns both modes, the speed-up (throughput ratio) and the batch sizes the
    server actually formed (``keep_latencies=True`` adds every request's latency, ``latencies_ms``).
    Used in: 11_inference_api, ``hflab bench serve``.
    """
    if rounds < 1 or requests < rounds:
        raise ServeError("rounds 는 1 이상, requests 는 rounds 이상이어야 합니다.", fix="예: requests=512, rounds=2")
    batched = int(batched or ep.max_batch_size)
    if batched < 2:
        raise ServeError("배칭 모드의 max_batch_size 가 2 이상이어야 비교할 수 있습니다.", fix="예: batched=32")
    original = ep.max_batch_size
    modes = {"dynamic_batching": batched, "per_request": 1}
    per_round = [requests // rounds + (1 if r < requests % rounds else 0) for r in range(rounds)]
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    server: dict[str, dict] = {m: {"batches": 0, "batched_inputs": 0, "sizes": collections.Counter(), "cpu": 0.0,
                                   "forwards": 0, "forward_inputs": 0.0} for m in modes}
    try:
        if warmup:
            ep.max_batch_size = batched
            run_load(ep.url, payloads, clients=clients, requests=warmup)
        for r, n in enumerate(per_round):
            order = list(modes) if r % 2 == 0 else list(modes)[::-1]
            for mode in order:
                ep.max_batch_size = modes[mode]
                ep.reset_stats()
                c0 = os.times()
                res = run_load(ep.url, payloads, clients=clients, requests=n, keep_latencies=True)
                c1 = os.times()
                st = ep.stats()
                server[mode]["cpu"] += (c1.user - c0.user) + (c1.system - c0.system)
                runs[mode].append(res)
                server[mode]["batches"] += st["batches"]
                server[mode]["batched_inputs"] += st["batched_inputs"]
                server[mode]["forwards"] += st["forward_passes"]
                server[mode]["forward_inputs"] += st["forward_passes"] * st["mean_forward_batch_size"]
                server[mode]["sizes"].update({int(k): v for k, v in st["batch_size_counts"].items()})
    finally:
        ep.max_batch_size = original
        ep.reset_stats()

    def combine(mode: str) -> dict:
        rs = runs[mode]
        seconds = sum(x["seconds"] for x in rs)
        ok = sum(x["status"].get("200", 0) for x in rs)
        status: collections.Counter = collections.Counter()
        for x in rs:
            status.update(x["status"])
        srv = server[mode]
        return {
            "max_batch_size": modes[mode],
            "requests": sum(x["requests"] for x in rs),
            "seconds": round(seconds, 3),
            "throughput_rps": round(ok / seconds, 2) if seconds else 0.0,
            "throughput_by_round": [x["throughput_rps"] for x in rs],
            "latency_ms_p50": round(percentile([v for x in rs for v in x["latencies_ms"]], 50), 2),
            "latency_ms_p99": round(percentile([v for x in rs for v in x["latencies_ms"]], 99), 2),
            "status": dict(sorted(status.items())),
            "errors_5xx": sum(x["errors_5xx"] for x in rs),
            "transport_errors": sum(sum(x["transport_errors"].values()) for x in rs),
            "mean_batch_size": round(srv["batched_inputs"] / srv["batches"], 2) if srv["batches"] else 0.0,
            # CPU time this process (the server) spent per request: what batching saves, whatever the load
            "server_cpu_ms_per_request": round(srv["cpu"] / max(1, ok) * 1000, 2),
            "batch_size_counts": {str(k): v for k, v in sorted(srv["sizes"].items())},
            # inputs per forward pass (a batch whose lengths differ a lot runs as several, see CALL_COST_TOKENS)
            "mean_forward_batch_size": round(srv["forward_inputs"] / srv["forwards"], 2) if srv["forwards"] else None,
            **({"latencies_ms": [round(v, 2) for x in rs for v in x["latencies_ms"]]} if keep_latencies else {}),
        }

    out = {m: combine(m) for m in modes}
    a, b = out["dynamic_batching"], out["per_request"]
    out["speedup"] = round(a["throughput_rps"] / b["throughput_rps"], 2) if b["throughput_rps"] else None
    out["speedup_by_round"] = [round(x / y, 2) if y else None
                               for x, y in zip(a["throughput_by_round"], b["throughput_by_round"])]
    rounds_ok = [x for x in out["speedup_by_round"] if x is not None]
    # the median round: a busy machine's spike slows one round of one mode, not the median
    out["speedup_median_round"] = round(percentile(rounds_ok, 50), 2) if rounds_ok else None
    out["clients"], out["rounds"] = clients, rounds
    return out



def _read_reviews() -> list[str]:
    import csv

    from .data import reviews_files

    texts = []
    for path in reviews_files().values():
        with open(path, encoding="utf-8", newline="") as f:
            texts += [row["text"] for row in csv.DictReader(f)]
    return texts


def course_review_texts(seed: int = 0) -> list[str]:
    """Every course review (train, validation and test; Korean and English), shuffled with `seed`.

    What learners send a classroom classifier: whole reviews (the lesson-08 classifier's MiniLM
    tokenizer makes 4-78 tokens of an English review and 4-250 of a Korean one). Shuffled so the first
    hundred mix both languages and all lengths; the same `seed` gives the same order.
    Used in: 11_inference_api, ``hflab bench serve``.
    """
    import random

    texts = _read_reviews()
    random.Random(seed).shuffle(texts)
    return texts


def short_review_texts(tokenizer, max_tokens: int = 12) -> list[str]:
    """The course reviews (all splits, ko + en) that are at most `max_tokens` tokens long for `tokenizer`.

    Short inputs, like search queries or one-line chat messages, are where a CPU server spends most of
    a request on fixed per-call costs, which is what dynamic batching shares out. Not what learners
    send a review classifier: :func:`course_review_texts` is (``hflab bench serve`` labels this one
    its second, short-input figure).
    Used in: 11_inference_api, ``hflab bench serve``.
    """
    texts = [t for t in _read_reviews() if len(tokenizer(t)["input_ids"]) <= max_tokens]
    if not texts:
        raise ServeError(f"{max_tokens} 토큰 이하인 리뷰가 없습니다.", fix="max_tokens 를 늘리세요.")
    return texts


def input_lengths(ep: "LocalEndpoint", texts: list[str]) -> dict:
    """Tokens per input as the endpoint computes them (special tokens in, cut at its maximum length):
    ``{"texts", "min", "p50", "mean", "p90", "max"}``. ``hflab bench serve`` states them in its JSON.
    Used in: 11_inference_api, ``hflab bench serve``.
    """
    limit = ep.engine.max_length()
    lengths = [min(len(ids), limit) for ids in ep.engine.tokenizer(list(texts))["input_ids"]]
    return {"texts": len(lengths), "min": min(lengths), "p50": round(percentile(lengths, 50), 1),
            "mean": round(sum(lengths) / len(lengths), 1), "p90": round(percentile(lengths, 90), 1),
            "max": max(lengths)}


def http_stack() -> str:
    """What uvicorn's "auto" serves with here, e.g. ``"uvicorn 0.54.0 (httptools, uvloop)"``.

    Asks uvicorn's own auto choices (the C parser httptools and the libuv loop uvloop when installed,
    hflab pins both; else pure-Python h11 and asyncio). ``hflab bench serve`` reports it because the
    per-request HTTP cost bounds what dynamic batching can gain.
    Used in: :func:`bench_serve`.
    """
    import uvicorn
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    http = AutoHTTPProtocol.__module__.rsplit(".", 1)[-1].removesuffix("_impl")
    loop = auto_loop_factory().__module__.split(".")[0]
    return f"uvicorn {uvicorn.__version__} ({http}, {loop})"


#: what `hflab bench serve` asks of dynamic batching, per input kind: throughput speed-up (batched /
#: per-request) in the median of its interleaved rounds at least this, and no 5xx. Measured eight times on
#: 2 CPU cores shared with other jobs (load 1-8), one torch thread, 16 clients, 512 requests per mode
#: (11_inference_api and the README quote it): whole course reviews (p50 29, mean 50, max 230 tokens)
#: 1.14-1.25x over all rounds (server CPU per request 1.18-1.27x lower), because one review already
#: keeps the CPU busy computing its tokens and batching only shares the fixed cost of a forward call
#: (one pass per batch, padding short reviews to the longest, ran at 0.4-0.7x); reviews of at most 8
#: tokens 2.3-3.4x (CPU per request 2.7-3.3x lower), where the fixed cost is most of the work.
BENCH_BARS = {"reviews": 1.0, "short": 2.0}


def _bench_inputs(ep: "LocalEndpoint", inputs: str, max_tokens: int, sample: int) -> tuple[list[str], dict]:
    if inputs == "reviews":
        texts = course_review_texts()[:sample]
        what = (f"whole course reviews (ko+en, shuffled with seed 0; the first {len(texts)}, cycled): "
                "what learners send the classifier")
    elif inputs == "short":
        texts = short_review_texts(ep.engine.tokenizer, max_tokens=max_tokens)
        what = (f"course reviews of at most {max_tokens} tokens (search-query length; a second figure, "
                "not what learners send)")
    else:
        raise ServeError(f"inputs 는 'reviews' 또는 'short' 입니다 (지금 {inputs!r}).",
                         fix="실제 리뷰 길이: inputs='reviews' (기본), 짧은 입력: inputs='short'")
    return texts, {"kind": inputs, "what": what, "tokens_per_input": input_lengths(ep, texts)}


def _bench_figure(ep: "LocalEndpoint", inputs: str, *, clients: int, requests: int, rounds: int,
                  max_tokens: int) -> dict:
    """One labelled figure of :func:`bench_serve`: both modes on one kind of input."""
    texts, described = _bench_inputs(ep, inputs, max_tokens, sample=max(1, math.ceil(requests / rounds)))
    result = measure_batching(ep, [{"inputs": t} for t in texts], clients=clients, requests=requests,
                              rounds=rounds, warmup=clients)
    a, b = result["dynamic_batching"], result["per_request"]
    errors = a["errors_5xx"] + b["errors_5xx"]
    bar = BENCH_BARS[inputs]
    return {
        "inputs": described, "requests_per_mode": requests, "rounds": rounds,
        "dynamic_batching": a, "per_request": b,
        "speedup": result["speedup"], "speedup_by_round": result["speedup_by_round"],
        "speedup_median_round": result["speedup_median_round"],
        # server CPU per request, per-request / batched: what batching saves, steadier than wall time when busy
        "server_cpu_saving": round(b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"], 2)
        if a["server_cpu_ms_per_request"] else None,
        "total_requests": a["requests"] + b["requests"], "errors_5xx": errors,
        "bar": {"speedup_median_round_at_least": bar, "errors_5xx": 0},
        "meets_bar": bool(result["speedup_median_round"] and result["speedup_median_round"] >= bar and errors == 0),
    }


def bench_serve(clients: int = 16, requests: int = 512, *, model: str | None = None,
                task: str = "text-classification", rounds: int = 4, max_batch_size: int = 32,
                max_wait_ms: float = 2.0, threads: int | None = 1, inputs: str = "reviews",
                short_figure: bool = True, max_tokens: int = 8) -> dict:
    """``hflab bench serve``: dynamic batching vs per-request execution of one local endpoint, in one run.

    `model` None: the course review classifier (lesson 08, ``build/models/review-classifier``; trained
    first by :func:`hflab.models.ensure_review_classifier` when missing). `clients` concurrent clients (a
    load-generator process of their own, keep-alive HTTP/1.1, closed loop) send `requests` requests per
    mode, in `rounds` interleaved rounds, to the same server with ``max_batch_size`` = `max_batch_size`
    and = 1. `inputs` ``"reviews"`` (default): whole course reviews, what learners send
    (:func:`course_review_texts`); ``"short"``: reviews of at most `max_tokens` tokens. With
    `short_figure` (and ``inputs="reviews"``) a second, labelled figure on short inputs follows in
    ``short_inputs``. Each figure states its input lengths (``inputs.tokens_per_input``: min, p50,
    mean, p90, max tokens as the server computes them) and returns throughput, p50/p99 latency and
    status counts of both modes, ``speedup`` (batched / per-request throughput), its rounds and their
    median (``speedup_median_round``, what the bar reads: one busy moment on a shared machine slows one
    round, not the median), ``server_cpu_saving``, ``total_requests``, ``errors_5xx``, ``bar``
    (:data:`BENCH_BARS`) and ``meets_bar``; the top level
    adds ``server`` (uvicorn's HTTP parser and event loop, see :func:`http_stack`). The CLI prints it as JSON.
    Used in: ``hflab bench serve``, 11_inference_api (its figures), tests/test_serve.py.
    """
    import platform

    from .models import ensure_review_classifier

    t0 = time.perf_counter()
    model = str(model or ensure_review_classifier(quiet=True))
    ep = LocalEndpoint(model, task, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, threads=threads)
    kw = {"clients": clients, "requests": requests, "rounds": rounds, "max_tokens": max_tokens}
    with ep:
        main = _bench_figure(ep, inputs, **kw)
        short = _bench_figure(ep, "short", **kw) if short_figure and inputs != "short" else None
    out = {
        "benchmark": "serve", "model": ep.model_id, "task": ep.task, "device": ep.engine.device,
        "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(), "torch_threads": threads,
        "server": http_stack(), "clients": clients, "max_batch_size": max_batch_size, "max_wait_ms": max_wait_ms,
        "call_cost_tokens": ep.engine.CALL_COST_TOKENS, **main,
    }
    if short is not None:
        out["short_inputs"] = short
    out.update({
        "model_load_s": round(ep.engine.load_seconds or 0.0, 2), "seconds": round(time.perf_counter() - t0, 1),
        "method": "closed loop (each client sends its next request when its answer arrives); modes interleaved "
                  f"by round; throughput = 200 answers / wall seconds; same server, max_batch_size {max_batch_size} "
                  "vs 1; a batch runs as the forward passes that cost the least padded tokens + call_cost_tokens per pass",
    })
    return out
