"""The FastAPI app of one endpoint: its state, the status-counting middleware, error handlers and routes.

No ``from __future__ import annotations`` here: FastAPI reads the handlers' ``request: Request`` annotations
at runtime, and ``Request`` is imported inside :func:`create_app`.
"""

import collections
import contextlib
import logging
import threading
import time
from typing import Mapping

from .batching import Batcher, TokenBucket
from .config import _SERVER_NAME
from .engines.base import Engine
from .errors import RequestError, _bad, _is_openai_path, _short
from .handlers import _Handlers

logger = logging.getLogger("hflab.serve")


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

    def keyed(payload):
        """A GET route answering ``payload()``; with api_keys it needs the key, like every route but /health
        (/info, /stats and GET / name the model and show the traffic)."""
        async def route(request: Request):
            try:
                h.check_auth(request)
            except RequestError as e:
                return h.error_response(e)
            return JSONResponse(payload())
        return route

    def root_payload() -> dict:
        return {"server": _SERVER_NAME, "model_id": state.engine.model_id, "task": state.engine.task,
                "routes": ["POST /", "POST /models/{model_id}", "POST /v1/chat/completions",
                           "GET /v1/models", "GET /health", "GET /info", "GET /stats"]}

    info = app.get("/info")(keyed(h.info_payload))
    app.get("/stats")(keyed(state.stats))
    app.get("/")(keyed(root_payload))

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
