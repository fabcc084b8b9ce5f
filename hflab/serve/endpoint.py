"""``LocalEndpoint`` (start and stop a server from Python) and ``hflab serve`` (:func:`cli_serve`, its banner)."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Mapping

from .. import _threaded_server
from .app import _State, create_app
from .batching import TokenBucket
from .config import _LOOPBACK, _is_loopback, normalize_task, parse_rate_limit
from .engines import _ENGINES
from .errors import ServeError, _short
from .keys import _NEW_KEY, API_KEY_ENV, _check_api_keys, load_api_keys

logger = logging.getLogger("hflab.serve")


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
