"""The request handlers: shared checks (key, model id, rate, loading, body), the pipeline task, chat
completions and their streams, and waiting for a result while watching the connection."""
from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from typing import TYPE_CHECKING

from .config import _SERVER_NAME, _version, normalize_task_soft
from .engines.base import Job
from .errors import RequestError, _bad, _is_openai_path, _short
from .keys import HF_TOKEN_PREFIX, HUB_TOKEN_REFUSED, _is_loopback_peer, _lookup_key
from .params import parse_json_body

if TYPE_CHECKING:
    from .app import _State


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


def _openai_finish(reason: str) -> str:
    return {"eos_token": "stop", "stop_sequence": "stop", "length": "length"}.get(reason, "stop")
