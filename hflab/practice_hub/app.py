"""The web app: one catch-all route that logs each request, applies injected faults and hands the request to
the route that matches it (in a worker thread), turning every error into the Hub's answer."""
from __future__ import annotations

import logging
from urllib.parse import unquote

from .answers import HubHTTPError, _error_response
from .routes import _ANY, _route_for
from .state import Call, HubState

logger = logging.getLogger("hflab.practice_hub")


def create_app(state: HubState):
    """The FastAPI app of the practice hub: one catch-all route that matches the raw, still percent-encoded
    path against :data:`~hflab.practice_hub.routes.ROUTES` (the client percent-encodes revisions such as
    ``refs%2Fpr%2F1``) and calls that route's handler. Every error is an answer in the Hub's shape with a
    Korean line; never a crash."""
    from fastapi import FastAPI, Request
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app = FastAPI(title="hflab practice hub", docs_url=None, redoc_url=None, openapi_url=None)

    def dispatch(request: Request, segs: list[str], body: bytes):
        call = Call(state, request, request.method, state.auth(request), body, request.query_params,
                    str(request.base_url).rstrip("/"))
        route, captures = _route_for(request.method, segs)
        if route is None:
            shown = "/" + "/".join(segs)
            raise HubHTTPError(404, f"The practice hub does not implement {request.method} {shown}",
                               ko=f"연습 허브에는 {request.method} {shown[:200]} 이(가) 없습니다. 주소와 HTTP 메서드를 확인하세요.")
        return route.handler(call, *captures)

    def check_faults(method: str, path: str) -> HubHTTPError | None:
        with state.lock:
            for f in list(state.faults):
                if (f.method is None or f.method == method) and f.pattern.search(path):
                    if f.times is not None:
                        f.times -= 1
                        if f.times <= 0:
                            state.faults.remove(f)
                    return HubHTTPError(f.status, f.message)
        return None

    async def catch_all(request: Request):
        raw = request.scope.get("raw_path") or request.url.path.encode()
        raw_str = raw.decode("latin-1")
        segs = [unquote(s) for s in raw_str.strip("/").split("/")] if raw_str.strip("/") else []
        shown = "/" + "/".join(segs)
        status = 500
        try:
            fault = check_faults(request.method, shown)
            if fault is not None:
                response = _error_response(fault)
            else:
                body = await request.body() if request.method in ("POST", "PUT", "DELETE", "PATCH") else b""
                response = await run_in_threadpool(_safe_dispatch, request, segs, body)
            status = response.status_code
            return response
        finally:
            state.requests.append((request.method, shown, status))

    # a plain Starlette route (no FastAPI parameter injection) for every usual method: the handler reads the raw
    # path itself and answers what it does not serve with the hub's 404 (Korean) instead of Starlette's plain 405
    app.add_route("/{full_path:path}", catch_all, methods=[*_ANY, "OPTIONS", "TRACE"])

    async def unrouted(request: Request, exc: Exception):
        # Starlette's own 404/405 (a path with a newline does not match "{full_path:path}", an unusual method):
        # answered by the dispatcher too, so every answer has the hub's shape and a Korean line
        return await catch_all(request)

    app.add_exception_handler(StarletteHTTPException, unrouted)

    def _safe_dispatch(request, segs, body):
        try:
            return dispatch(request, segs, body)
        except HubHTTPError as err:
            return _error_response(err)
        except Exception as err:  # noqa: BLE001 - the server must never crash on a bad request
            logger.warning("practice hub: internal error on %s %s: %s", request.method, "/".join(segs),
                           type(err).__name__)
            return _error_response(HubHTTPError(500, f"Internal error in the practice hub ({type(err).__name__})",
                                                ko="연습 허브 내부 오류입니다. 같은 요청을 다시 보내 보고, 계속되면 알려 주세요."))

    return app
