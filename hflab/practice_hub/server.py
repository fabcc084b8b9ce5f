"""The practice hub object (:class:`PracticeHub`: start/stop, tokens, seeding, faults, activation) and
:func:`serve_forever` (``hflab hub``)."""
from __future__ import annotations

import base64
import contextlib
import fnmatch
import logging
import os
import re
import secrets
import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import _threaded_server
from .activation import _import_time_apis, _loopback_only, _set_datasets_config
from .app import create_app
from .common import DEFAULT_USER, REPO_TYPES, _mask, _now_iso, default_root
from .state import HubState, _Fault
from .store import HubStore
from .validate import _name_problem

logger = logging.getLogger("hflab.practice_hub")

_ACTIVE: "PracticeHub | None" = None

#: the practice user's own tokens, created once per root: kind -> token record (as whoami reports them)
_PRACTICE_TOKENS: dict[str, dict] = {
    "write": {"role": "write", "name": "practice-write"},
    "read": {"role": "read", "name": "practice-read"},
    "fine-grained": {"role": "fineGrained", "name": "practice-fine-grained",
                     "scoped": [{"entity": {"type": "user", "name": DEFAULT_USER}, "permissions": ["repo.content.read"]}]},
}


class PracticeHub:
    """A practice Hub on 127.0.0.1, state on disk under ``root``.

    Args:
        root: state directory (default ``build/practice_hub``); repos survive a restart.
        port: TCP port on 127.0.0.1 (0 = any free port).
        fresh: delete the repos (not the tokens) before starting, for notebooks that must give the same
            result when run twice.
        tokens: extra tokens ``{token: {"user": ..., "role": "read"|"write", "revoked": bool}}``.

    Attributes: ``endpoint`` (``http://127.0.0.1:PORT``), ``token`` (write token of ``student``),
    ``read_token`` (read-only token of ``student``), ``username``, ``requests``.

    Used in: 01_hub_token, 10_sharing, 12_spaces.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        fresh: bool = False,
        tokens: dict[str, dict] | None = None,
    ):
        self.port = _check_port(port)
        self.root = Path(root) if root is not None else default_root()
        if fresh and (self.root / "repos").exists():
            shutil.rmtree(self.root / "repos", ignore_errors=True)
            shutil.rmtree(self.root / "blobs", ignore_errors=True)
        try:
            self.store = HubStore(self.root)
            self._init_tokens(tokens)
        except OSError as e:
            from ..errors import HflabError

            raise HflabError(
                f"연습 허브의 저장 위치 {self.root} 를 만들거나 쓸 수 없습니다 ({e.strerror or type(e).__name__}).",
                fix="쓸 수 있는 폴더를 저장 위치로 주세요 (hflab hub --root build/practice_hub, PracticeHub(root=...)).",
            ) from None
        self._state = HubState(self.store)
        self.host = host
        self.username = DEFAULT_USER
        self._server = None
        self._thread: threading.Thread | None = None
        self._saved: dict | None = None

    def _init_tokens(self, tokens: dict[str, dict] | None) -> None:
        """Create the practice user's tokens (:data:`_PRACTICE_TOKENS`) once per root and add ``tokens``."""
        with self.store.lock:
            known = self.store.load_tokens()
            changed = False
            for record in _PRACTICE_TOKENS.values():
                if not any(r.get("name") == record["name"] and r.get("user") == DEFAULT_USER for r in known.values()):
                    known[_new_token()] = {"user": DEFAULT_USER, **record, "created": _now_iso()}
                    changed = True
            for tok, rec in (tokens or {}).items():
                known[tok] = {"user": DEFAULT_USER, "role": "write", "name": "configured", "created": _now_iso(),
                              **rec}
                changed = True
            if changed:
                self.store.save_tokens(known)

    # ---------------------------------------------------------------- tokens
    def _named_token(self, name: str) -> str:
        for tok, rec in self.store.load_tokens().items():
            if rec.get("name") == name and rec.get("user") == DEFAULT_USER:
                return tok
        raise KeyError(name)

    @property
    def token(self) -> str:
        """Write token of the practice user (valid only on this practice hub). Never print it."""
        return self.token_for("write")

    @property
    def read_token(self) -> str:
        """Read-only token of the practice user."""
        return self.token_for("read")

    def token_for(self, kind: str | bool) -> str:
        """The practice token of a kind (:data:`_PRACTICE_TOKENS`): ``"write"`` (or True), ``"read"`` or
        ``"fine-grained"`` (reads the user's repos, may not write them). Used in: 01_hub_token."""
        kind = "write" if kind is True else kind
        if kind not in _PRACTICE_TOKENS:
            from ..errors import HflabError

            raise HflabError(f"연습 허브 토큰 종류 {kind!r} 는 없습니다.", fix='"write", "read", "fine-grained" 중 하나를 주세요.')
        return self._named_token(_PRACTICE_TOKENS[kind]["name"])

    def add_token(self, user: str = DEFAULT_USER, role: str = "write", name: str | None = None, *,
                  permissions: dict[str, list[str]] | None = None) -> str:
        """Create a new token for ``user`` and return it.

        ``role`` is ``read``, ``write`` or ``fineGrained``, as the Hub's whoami reports it. A fine-grained token
        gets ``permissions``: entity (a user or a repo id) -> its permissions, e.g.
        ``{"student": ["repo.content.read"]}`` reads the user's repos but cannot write them
        (``"repo.write"`` would). Used in: 01_hub_token (a fine-grained token without write access).
        """
        if role not in ("read", "write", "fineGrained"):
            raise ValueError("role must be 'read', 'write' or 'fineGrained'")
        if (role == "fineGrained") != (permissions is not None):
            raise ValueError("permissions go with role='fineGrained' (and only with it)")
        tok = _new_token()
        with self.store.lock:
            tokens = self.store.load_tokens()
            tokens[tok] = {"user": user, "role": role, "name": name or f"{role}-{len(tokens)}",
                           "created": _now_iso()}
            if permissions is not None:
                tokens[tok]["scoped"] = [
                    {"entity": {"type": "model" if "/" in entity else "user", "name": entity},
                     "permissions": list(perms)} for entity, perms in permissions.items()]
            self.store.save_tokens(tokens)
        return tok

    def revoke_token(self, token: str) -> None:
        """Mark a token as revoked: the hub then answers 401 to it."""
        with self.store.lock:
            tokens = self.store.load_tokens()
            if token in tokens:
                tokens[token]["revoked"] = True
                self.store.save_tokens(tokens)

    # ---------------------------------------------------------------- seeding (server side)
    def add_repo(
        self,
        repo_id: str,
        *,
        repo_type: str = "model",
        files: dict[str, bytes | str | os.PathLike] | None = None,
        folder: str | os.PathLike | None = None,
        private: bool = False,
        gated: str | bool = False,
        granted: Iterable[str] = (),
        sdk: str | None = None,
        message: str = "Add files (seeded by the practice hub)",
        exist_ok: bool = True,
    ) -> str:
        """Create (or update) a repo directly on disk and commit ``files`` / the content of ``folder``.

        Used to prepare lessons: e.g. a gated repo (``gated="manual"``) that ``student`` cannot read.
        Returns the head commit sha of ``main``.
        """
        if repo_type not in REPO_TYPES:
            raise ValueError(f"repo_type must be one of {REPO_TYPES}")
        ns, slash, name = repo_id.partition("/") if isinstance(repo_id, str) else ("", "", "")
        problem = (_name_problem(ns, "네임스페이스") or _name_problem(name) if slash
                   else "저장소 id 는 '소유자/이름' 모양이어야 합니다")
        if problem:
            from ..errors import HflabError

            raise HflabError(f"{problem}.", fix="add_repo('student/my-model') 처럼 Hub 가 받는 '소유자/이름' 을 주세요.")
        if self.store.load_repo(repo_type, repo_id) is None:
            self.store.create_repo(repo_type, repo_id, private=private, gated=gated,
                                   sdk=sdk or ("gradio" if repo_type == "space" else None),
                                   author=repo_id.split("/")[0])
        elif not exist_ok:
            raise FileExistsError(repo_id)
        meta = self.store.load_repo(repo_type, repo_id)
        meta["private"], meta["gated"] = bool(private), gated or False
        meta["granted"] = sorted(set(meta.get("granted", [])) | set(granted))
        self.store.save_repo(meta)
        ops = []
        content: dict[str, bytes] = {}
        if folder is not None:
            folder = Path(folder)
            for p in sorted(folder.rglob("*")):
                if p.is_file() and ".git" not in p.relative_to(folder).parts:
                    content[p.relative_to(folder).as_posix()] = p.read_bytes()
        for path, data in (files or {}).items():
            if isinstance(data, str):
                data = data.encode("utf-8")
            elif isinstance(data, os.PathLike):
                data = Path(data).read_bytes()
            content[path] = data
        for path, data in content.items():
            ops.append({"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(),
                                                 "encoding": "base64"}})
        if not ops:
            return meta["refs"]["heads"]["main"]
        sha, _ = self.store.commit(meta, "main", ops, title=message, message="", author=repo_id.split("/")[0])
        return sha

    def add_repo_from_cache(
        self,
        repo_id: str,
        *,
        repo_type: str = "model",
        revision: str = "main",
        cache_dir: str | os.PathLike | None = None,
        allow_patterns: list[str] | str | None = None,
        ignore_patterns: list[str] | str | None = None,
        as_repo_id: str | None = None,
        **repo_kwargs: Any,
    ) -> str:
        """Publish a repo that is already in the local Hugging Face cache (e.g. the offline mirror's
        ``sentence-transformers/all-MiniLM-L6-v2``) on the practice hub, under the same id (or
        ``as_repo_id``), so a lesson can read a real model repo with ``list_repo_files`` / ``model_info`` /
        ``hf_hub_download``. No network: the files are read from the cache. Returns the head commit sha.
        """
        from huggingface_hub import snapshot_download
        from huggingface_hub.utils import filter_repo_objects

        err = None
        try:
            folder = Path(snapshot_download(repo_id, repo_type=repo_type, revision=revision, cache_dir=cache_dir,
                                            local_files_only=True))
        except Exception as e:  # noqa: BLE001 - LocalEntryNotFoundError and friends
            err = type(e).__name__
        if err is not None:
            from ..errors import HflabError

            raise HflabError(
                f"'{repo_id}' ({repo_type})가 로컬 Hugging Face 캐시에 없습니다 ({err}).",
                fix="오프라인 미러를 먼저 준비하세요: `hflab mirror` (또는 인터넷이 될 때 한 번 내려받기).",
            )
        names = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*")) if p.is_file()]
        names = [n for n in names if not fnmatch.fnmatch(n, "HFLAB_MIRROR.*")]  # hflab's own mirror markers
        keep = list(filter_repo_objects(names, allow_patterns=allow_patterns, ignore_patterns=ignore_patterns))
        files = {name: (folder / name).read_bytes() for name in keep}
        return self.add_repo(as_repo_id or repo_id, repo_type=repo_type, files=files,
                             message=f"Copy of {repo_id} from the local cache", **repo_kwargs)

    def grant_access(self, repo_id: str, user: str = DEFAULT_USER, repo_type: str = "model") -> None:
        """Accept ``user``'s access request to a gated repo."""
        with self.store.lock:
            meta = self.store.load_repo(repo_type, repo_id)
            if meta is None:
                raise KeyError(repo_id)
            meta["granted"] = sorted(set(meta.get("granted", [])) | {user})
            self.store.save_repo(meta)

    # ---------------------------------------------------------------- faults, log
    def fail(self, pattern: str, status: int = 500, *, method: str | None = None, times: int | None = None,
             message: str | None = None) -> None:
        """Answer ``status`` to requests whose decoded path matches the regex ``pattern`` (``times`` times,
        or until :meth:`clear_faults`)."""
        msg = message or f"Injected fault: HTTP {status} (practice hub)"
        with self._state.lock:
            self._state.faults.append(_Fault(re.compile(pattern), int(status), method, times, msg))

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of the requests served so far (no headers, no query strings)."""
        return list(self._state.requests)

    # ---------------------------------------------------------------- server lifecycle
    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _make_server(self, sock: socket.socket | None = None):
        import uvicorn

        app = create_app(self._state)
        config = uvicorn.Config(app, host=self.host, port=self.port, log_config=None, access_log=False,
                                log_level="warning", lifespan="off", timeout_keep_alive=30)
        return uvicorn.Server(config)

    def start(self, *, activate: bool = False, export_token: bool | str = False,
              timeout: float = 20.0) -> "PracticeHub":
        """Start serving in a background thread; returns ``self`` (``.endpoint`` is then known)."""
        if self.running:
            return self
        from ..errors import HflabError

        try:
            sock = _threaded_server.bind(self.host, self.port)
        except OSError:
            raise HflabError(
                f"연습 허브가 {self.host}:{self.port} 포트를 열 수 없습니다 (이미 사용 중).",
                fix="PracticeHub(port=0) 으로 빈 포트를 쓰거나, 이전에 시작한 허브를 hub.stop() 으로 멈추세요.",
            ) from None
        self.port = sock.getsockname()[1]
        self._server = self._make_server()
        try:
            self._thread = _threaded_server.run_in_thread(self._server, sock, f"practice-hub-{self.port}", timeout)
        except RuntimeError:
            raise HflabError("연습 허브를 시작하지 못했습니다.", fix="hflab doctor 로 fastapi/uvicorn 설치를 확인하세요.") from None
        logger.info("practice hub serving on %s (root %s)", self.endpoint, self.root)
        if activate:
            self.activate(export_token=export_token)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (and undo :meth:`activate` if this hub is the active one)."""
        if _ACTIVE is self:
            self.deactivate()
        _threaded_server.stop(self._server, self._thread, timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> "PracticeHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"PracticeHub(endpoint={self.endpoint!r}, user={self.username!r}, token={_mask(self.token)!r}, "
                f"root={str(self.root)!r}, {state})")

    # ---------------------------------------------------------------- activation
    def activate(self, *, export_token: bool | str = False) -> "PracticeHub":
        """Point huggingface_hub / transformers / datasets (already imported or not) at this hub and lift
        ``HF_HUB_OFFLINE`` for loopback hosts only. See the module docstring. Undo with :meth:`deactivate`.

        ``export_token``: True (or ``"write"``), ``"read"`` or ``"fine-grained"`` sets ``HF_TOKEN`` to that
        practice token, as a Colab secret would (lesson 01 tries each)."""
        global _ACTIVE
        if not self.running:
            self.start()
        if _ACTIVE is self:
            return self
        if _ACTIVE is not None:
            _ACTIVE.deactivate()
        from huggingface_hub import constants as C
        from huggingface_hub.utils import _http

        saved: dict[str, Any] = {
            "C": {k: getattr(C, k) for k in
                  ("ENDPOINT", "HUGGINGFACE_CO_URL_TEMPLATE", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_XET",
                   "HF_HUB_CACHE")},
            "env": {k: os.environ.get(k) for k in
                    ("HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_TOKEN", "HF_HUB_DISABLE_XET",
                     "HF_HUB_CACHE")},
            "factory": _http._GLOBAL_CLIENT_FACTORY,
            "datasets": None,
        }
        was_offline = bool(C.HF_HUB_OFFLINE)
        ds = sys.modules.get("datasets.config")
        if ds is not None:
            saved["datasets"] = {k: getattr(ds, k) for k in
                                 ("HF_ENDPOINT", "HUB_DATASETS_URL", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
        self._saved = saved

        C.ENDPOINT = self.endpoint
        C.HUGGINGFACE_CO_URL_TEMPLATE = self.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        C.HF_HUB_OFFLINE = False
        C.HF_HUB_DISABLE_XET = True  # large files go through the Git LFS batch API (the hub has no Xet storage)
        # Downloads from the practice hub go to a cache of their own: a repo published here under a mirrored id
        # (add_repo_from_cache) must never move the offline mirror's refs/main in the real HF cache.
        C.HF_HUB_CACHE = str(self.client_cache)
        os.environ["HF_HUB_CACHE"] = C.HF_HUB_CACHE
        os.environ["HF_ENDPOINT"] = self.endpoint
        os.environ["HF_HUB_OFFLINE"] = "0"
        if os.environ.get("HF_DATASETS_OFFLINE") is not None:
            os.environ["HF_DATASETS_OFFLINE"] = "0"
        os.environ["HF_HUB_DISABLE_XET"] = "1"
        if export_token:
            os.environ["HF_TOKEN"] = self.token_for(export_token)
        _set_datasets_config(self.endpoint, offline=False)
        for api in _import_time_apis():  # library-wide HfApi objects keep the endpoint of the moment they were built
            api.endpoint = self.endpoint

        prev_factory = saved["factory"]
        if was_offline:
            def guarded_factory():
                client = prev_factory()
                hooks = client.event_hooks
                hooks["request"] = [_loopback_only, *hooks.get("request", [])]
                client.event_hooks = hooks
                return client

            _http.set_client_factory(guarded_factory)
        else:
            _http.close_session()
        _ACTIVE = self
        logger.info("practice hub active: %s", self.endpoint)
        return self

    @property
    def client_cache(self) -> Path:
        """The HF cache clients use while this hub is active (kept apart from the offline mirror's cache)."""
        return Path(self.root) / "client_cache"

    def deactivate(self) -> None:
        """Restore what :meth:`activate` changed (endpoint, offline flag, environment, HTTP session)."""
        global _ACTIVE
        if _ACTIVE is not self or self._saved is None:
            return
        from huggingface_hub import constants as C
        from huggingface_hub.utils import _http

        saved = self._saved
        for k, v in saved["C"].items():
            setattr(C, k, v)
        for k, v in saved["env"].items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        ds = sys.modules.get("datasets.config")
        if ds is not None:
            if saved["datasets"] is not None:
                for k, v in saved["datasets"].items():
                    setattr(ds, k, v)
            else:  # datasets was imported while active: give it the values it would have read
                off = os.environ.get("HF_DATASETS_OFFLINE")
                offline = saved["C"]["HF_HUB_OFFLINE"] if off is None else off.upper() in ("1", "ON", "YES", "TRUE")
                _set_datasets_config(saved["C"]["ENDPOINT"], offline=offline)
        for api in _import_time_apis():  # also those built while the hub was active
            api.endpoint = saved["C"]["ENDPOINT"]
        _http.set_client_factory(saved["factory"])
        self._saved = None
        _ACTIVE = None

    @contextlib.contextmanager
    def activated(self, *, export_token: bool | str = False) -> Iterator["PracticeHub"]:
        """``with hub.activated(): ...`` = :meth:`activate` then :meth:`deactivate`."""
        self.activate(export_token=export_token)
        try:
            yield self
        finally:
            self.deactivate()


def _new_token() -> str:
    return "hf_" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") for _ in range(34))


def _check_port(port: Any) -> int:
    """``port`` as an int in 0..65535 (0 = any free port); :class:`~hflab.errors.HflabError` otherwise."""
    try:
        value = int(port)
    except (TypeError, ValueError):
        value = -1
    if isinstance(port, bool) or not 0 <= value <= 65535:
        from ..errors import HflabError

        raise HflabError(f"포트 {port!r}은(는) 쓸 수 없습니다: 포트는 0~65535 사이의 정수입니다.",
                         fix="0~65535 사이의 포트를 주세요 (예: --port 8765, 0 = 빈 포트를 골라 씀).")
    return value


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening; :class:`~hflab.errors.HflabError` (Korean) when that
    cannot be (the port is in use, the address is not this machine's)."""
    import errno

    sock = None
    try:
        sock = _threaded_server.bind(host, port)
        sock.listen(128)  # a port bound (not listening) by another SO_REUSEADDR socket fails here, not in bind
        return sock
    except OSError as e:
        if sock is not None:
            sock.close()
        from ..errors import HflabError

        if e.errno == errno.EADDRINUSE:
            raise HflabError(f"연습 허브가 {host}:{port} 포트를 열 수 없습니다 (이미 사용 중).",
                             fix="--port 로 다른 포트를 고르세요 (0 = 빈 포트), 또는 이미 떠 있는 허브를 종료하세요.") from None
        raise HflabError(f"연습 허브가 {host}:{port} 에서 열리지 않습니다 ({e.strerror or type(e).__name__}).",
                         fix="이 컴퓨터의 주소(기본 127.0.0.1)와 --port 0 (빈 포트)으로 다시 시작하세요.") from None


def serve_forever(root: str | os.PathLike | None = None, port: int = 8765, host: str = "127.0.0.1") -> None:
    """Run the practice hub in the foreground until Ctrl+C (for ``hflab hub``); ``port=0`` picks a free one.

    Prints the endpoint, the masked tokens and the file that holds them (never the tokens themselves).
    Raises :class:`~hflab.errors.HflabError` (Korean message + fix, no traceback needed) when the port is
    outside 0..65535 or in use, or ``root`` cannot be created or written.
    """
    hub = PracticeHub(root, port=port, host=host)  # HflabError: bad port, root not writable
    sock = _listen(host, hub.port)
    hub.port = sock.getsockname()[1]
    print(f"hflab 연습 허브: {hub.endpoint}  (저장 위치: {hub.root})", flush=True)
    print(f"  사용자 {hub.username}: 쓰기 토큰 {_mask(hub.token)}, 읽기 토큰 {_mask(hub.read_token)} "
          f"(토큰 파일: {hub.store.tokens_path})", flush=True)
    print(f"  다른 터미널/노트북: HF_ENDPOINT={hub.endpoint} HF_HUB_DISABLE_XET=1 로 설정하고 위 파일의 토큰을 쓰세요. "
          "종료: Ctrl+C", flush=True)
    hub._make_server().run(sockets=[sock])
