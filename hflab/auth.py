"""Hugging Face access tokens, safely: where the token comes from, a masked display, and `whoami` /
repo-access checks whose errors are Korean, say what to do, and never contain the token.

Token sources, in this order (the first one that has a token wins):

1. the Colab secret ``HF_TOKEN`` (only inside Google Colab; "access not granted" and timeouts are
   reported, not raised, and the next source is tried),
2. the ``HF_TOKEN`` environment variable,
3. the hub's token cache (the file ``hf auth login`` / ``login()`` wrote: ``huggingface_hub.constants.HF_TOKEN_PATH``),
4. a hidden prompt (``getpass``), only with ``resolve_token(prompt=True)``.

Used in: 01_hub_token, 10_sharing, 11_inference_api.
"""
from __future__ import annotations

import getpass
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import HflabError

logger = logging.getLogger(__name__)

__all__ = [
    "ResolvedToken",
    "HubUser",
    "RepoAccess",
    "mask_token",
    "resolve_token",
    "check_token_format",
    "whoami",
    "check_repo_access",
    "translate_error",
    "explain",
    "write_access",
    "token_source",
    "WriteAccess",
    "HubAuthError",
    "NoTokenError",
    "EmptyTokenError",
    "TokenFormatError",
    "InvalidTokenError",
    "RevokedTokenError",
    "HubOfflineError",
    "HubConnectionError",
    "GatedRepoAccessError",
    "MissingRepoError",
    "PermissionDeniedError",
    "HubServerError",
    "HubRequestError",
]

#: where a token came from -> Korean label
SOURCE_LABELS = {
    "colab_secret": "Colab 보안 비밀(HF_TOKEN)",
    "env": "환경 변수 HF_TOKEN",
    "token_cache": "`hf auth login` 토큰 캐시",
    "prompt": "숨김 입력(getpass)",
    "argument": "함수 인자(token=)",
}
TOKENS_URL = "https://huggingface.co/settings/tokens"
_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{16,}")


# --------------------------------------------------------------------------------------------------
# errors (Korean, no token inside)
# --------------------------------------------------------------------------------------------------
class HubAuthError(HflabError):
    """Base class of the token / Hub access errors of hflab.auth. ``status`` is the HTTP status, if any."""

    status: int | None = None

    def __init__(self, message: str, fix: str | None = None, *, status: int | None = None):
        super().__init__(message, fix)
        self.status = status


class NoTokenError(HubAuthError):
    """No source had a token."""


class EmptyTokenError(HubAuthError):
    """The token is an empty string or only whitespace."""


class TokenFormatError(HubAuthError):
    """The token does not look like a Hugging Face token (prefix, whitespace inside)."""


class InvalidTokenError(HubAuthError):
    """The Hub answered 401 to the token."""


class RevokedTokenError(InvalidTokenError):
    """The Hub answered 401 and said the token was revoked."""


class HubOfflineError(HubAuthError):
    """HF_HUB_OFFLINE=1: the client refused to make the request."""


class HubConnectionError(HubAuthError):
    """The Hub could not be reached (network, DNS, proxy, stopped practice hub)."""


class GatedRepoAccessError(HubAuthError):
    """The repo is gated and this account has no access yet. ``url`` is where to request it."""

    url: str = ""


class MissingRepoError(HubAuthError):
    """404 / RepositoryNotFound: wrong id, wrong repo_type, or private without access."""


class PermissionDeniedError(HubAuthError):
    """403 that is not a gated repo (e.g. a read token used to write)."""


class HubServerError(HubAuthError):
    """5xx from the Hub."""


class HubRequestError(HubAuthError):
    """Any other failed Hub request (429, 400 ...)."""


# --------------------------------------------------------------------------------------------------
# masking and scrubbing
# --------------------------------------------------------------------------------------------------
def mask_token(token: str | None) -> str:
    """``hf_ab…yz``: enough to tell two tokens apart, never enough to use one.

    Short or empty values are masked completely. Used in: 01_hub_token.
    """
    if token is None:
        return "<없음>"
    token = str(token)
    if not token.strip():
        return "<빈 값>"
    if len(token) < 10:
        return token[:3] + "…" if token.startswith("hf_") else "…"
    return f"{token[:5]}…{token[-2:]}"


def _scrub(text: str, *tokens: str | None) -> str:
    for tok in tokens:
        if tok and tok.strip():
            text = text.replace(tok, mask_token(tok))
            if tok.strip() != tok:
                text = text.replace(tok.strip(), mask_token(tok.strip()))
    return _TOKEN_LIKE.sub(lambda m: mask_token(m.group(0)), text)


# --------------------------------------------------------------------------------------------------
# token resolution
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedToken:
    """A token and where it came from. ``repr``/``str`` show only the masked form.

    ``source`` is one of ``colab_secret``, ``env``, ``token_cache``, ``prompt``, ``argument``;
    ``notes`` are Korean remarks about the sources that were tried (e.g. Colab access not granted).
    """

    token: str = field(repr=False)
    source: str
    notes: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return mask_token(self.token)

    @property
    def where(self) -> str:
        """Korean label of the source."""
        return SOURCE_LABELS.get(self.source, self.source)

    def __repr__(self) -> str:
        return f"ResolvedToken(token={self.masked!r}, source={self.source!r})"

    def __str__(self) -> str:
        return f"{self.masked} ({self.where})"

    def __reduce__(self):  # never pickle the token into a notebook's state by accident
        raise TypeError("ResolvedToken cannot be pickled (it holds a secret)")


def _in_colab_userdata():
    """The ``google.colab.userdata`` module, or None outside Colab."""
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except Exception:  # ImportError outside Colab; anything odd counts as "not Colab"
        return None
    return userdata


def _from_colab(notes: list[str], secret_name: str) -> str | None:
    userdata = _in_colab_userdata()
    if userdata is None:
        return None
    try:
        value = userdata.get(secret_name)
    except Exception as e:  # classified by name: the Colab module's classes cannot be imported elsewhere
        kind = type(e).__name__
        if kind == "SecretNotFoundError":
            notes.append(f"Colab 보안 비밀 {secret_name}이(가) 없습니다.")
        elif kind == "NotebookAccessError":
            notes.append(
                f"Colab 보안 비밀 {secret_name}에 이 노트북의 접근이 허용되지 않았습니다 "
                "(왼쪽 🔑 패널에서 '노트북 액세스'를 켜세요)."
            )
        elif "Timeout" in kind or isinstance(e, TimeoutError):
            notes.append(
                f"Colab 보안 비밀 {secret_name}을(를) 읽다가 시간이 초과되었습니다 "
                "(브라우저의 Colab 화면에서 실행 중인지, 허용 팝업을 눌렀는지 확인하세요)."
            )
        else:
            notes.append(f"Colab 보안 비밀 {secret_name}을(를) 읽지 못했습니다 ({kind}).")
        return None
    if value is None or not str(value).strip():
        notes.append(f"Colab 보안 비밀 {secret_name}의 값이 비어 있습니다.")
        return None
    return str(value)


def _from_env(notes: list[str], env_var: str) -> str | None:
    value = os.environ.get(env_var)
    if value is None:
        return None
    if not value.strip():
        notes.append(f"환경 변수 {env_var}가 비어 있습니다.")
        return None
    return value


def _token_cache_path() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_TOKEN_PATH)


def _from_cache(notes: list[str]) -> str | None:
    path = _token_cache_path()
    try:
        value = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as e:
        notes.append(f"토큰 캐시 파일을 읽지 못했습니다 ({type(e).__name__}).")
        return None
    if not value.strip():
        notes.append("토큰 캐시 파일이 비어 있습니다.")
        return None
    return value


def resolve_token(
    *,
    prompt: bool = False,
    required: bool = True,
    validate: bool = True,
    env_var: str = "HF_TOKEN",
    colab_secret: str = "HF_TOKEN",
) -> ResolvedToken | None:
    """Find the token: Colab secret, then ``HF_TOKEN``, then the ``hf auth login`` cache, then (only if
    ``prompt=True``) a hidden ``getpass`` prompt. Never prints or logs the token.

    Surrounding whitespace (a pasted newline) is removed, as ``huggingface_hub`` does. With
    ``validate=True`` a token of the wrong shape raises (:class:`TokenFormatError`). With
    ``required=False`` it returns ``None`` when nothing was found, instead of raising :class:`NoTokenError`.

    Used in: 01_hub_token, 10_sharing, 11_inference_api.
    """
    notes: list[str] = []
    found: tuple[str, str] | None = None
    for source, getter in (
        ("colab_secret", lambda: _from_colab(notes, colab_secret)),
        ("env", lambda: _from_env(notes, env_var)),
        ("token_cache", lambda: _from_cache(notes)),
    ):
        value = getter()
        if value is not None:
            found = (value, source)
            break
    if found is None and prompt:
        value = getpass.getpass("Hugging Face 토큰을 붙여 넣으세요 (화면에 표시되지 않습니다): ")
        if not value or not value.strip():
            raise EmptyTokenError(
                "입력한 토큰이 비어 있습니다.",
                fix=f"{TOKENS_URL} 에서 토큰(hf_로 시작)을 복사해 다시 실행하세요.",
            )
        found = (value, "prompt")
    if found is None:
        if not required:
            return None
        tried = ", ".join(SOURCE_LABELS[s] for s in ("colab_secret", "env", "token_cache"))
        detail = (" " + " ".join(notes)) if notes else ""
        raise NoTokenError(
            f"Hugging Face 토큰을 찾지 못했습니다 (확인한 곳: {tried}).{detail}",
            fix=(
                "Colab: 왼쪽 🔑 보안 비밀에 이름 HF_TOKEN으로 토큰을 추가하고 '노트북 액세스'를 켜세요. "
                "로컬: 터미널에서 `hf auth login`. 또는 resolve_token(prompt=True)로 숨김 입력. "
                f"토큰은 {TOKENS_URL} 에서 만듭니다."
            ),
        )
    value, source = found
    token = value.strip()
    if validate:
        check_token_format(token, source=source)
    logger.debug("hflab.auth: token resolved from %s", source)
    return ResolvedToken(token=token, source=source, notes=tuple(notes))


def check_token_format(token: Any, *, source: str = "argument") -> str:
    """Check the shape of a token without sending it anywhere; return it unchanged.

    Raises :class:`EmptyTokenError` (empty / only whitespace), :class:`TokenFormatError` (whitespace
    around or inside, or not starting with ``hf_``). Used in: 01_hub_token.
    """
    where = SOURCE_LABELS.get(source, source)
    if token is None or not isinstance(token, str) or not token.strip():
        raise EmptyTokenError(
            f"토큰이 비어 있습니다 (빈 문자열이거나 공백뿐입니다; 출처: {where}).",
            fix=f"{TOKENS_URL} 에서 토큰 값 전체(hf_로 시작)를 복사해 다시 넣으세요.",
        )
    if token != token.strip() or any(c.isspace() for c in token):
        raise TokenFormatError(
            f"토큰 앞뒤나 중간에 공백/줄바꿈이 들어 있습니다 (출처: {where}).",
            fix="복사할 때 공백이 섞이지 않았는지 확인하고 다시 붙여 넣으세요 (또는 token.strip()).",
        )
    if not token.startswith("hf_"):
        raise TokenFormatError(
            f"Hugging Face 액세스 토큰은 'hf_'로 시작하는데, 이 값은 그렇지 않습니다 (출처: {where}). "
            "다른 서비스의 API 키나 토큰의 '이름'을 넣지 않았는지 확인하세요.",
            fix=f"{TOKENS_URL} 에서 토큰 값(hf_...)을 복사하세요.",
        )
    return token


# --------------------------------------------------------------------------------------------------
# error translation
# --------------------------------------------------------------------------------------------------
def _repo_url(endpoint: str | None, repo_id: str | None, repo_type: str | None) -> str:
    from huggingface_hub import constants

    base = (endpoint or constants.ENDPOINT).rstrip("/")
    prefix = {"dataset": "datasets/", "space": "spaces/"}.get(repo_type or "model", "")
    return f"{base}/{prefix}{repo_id}" if repo_id else base


def _is_network_error(exc: BaseException) -> bool:
    try:
        from huggingface_hub.utils import httpx as hx  # httpx2 in huggingface_hub 2.x

        if isinstance(exc, (hx.TransportError, hx.TimeoutException)):
            return True
    except Exception:  # pragma: no cover
        pass
    try:
        import httpx

        if isinstance(exc, (httpx.TransportError, httpx.TimeoutException)):
            return True
    except Exception:  # pragma: no cover
        pass
    return isinstance(exc, (ConnectionError, TimeoutError))


def _server_message(exc: BaseException) -> str:
    """The server's own error text (X-Error-Message / {"error": ...}) of a HfHubHTTPError."""
    parts: list[str] = []
    for e in (exc, getattr(exc, "__cause__", None)):
        msg = getattr(e, "server_message", None)
        if msg:
            parts.append(str(msg))
    response = getattr(exc, "response", None)
    if response is not None:
        with_header = response.headers.get("X-Error-Message")
        if with_header:
            parts.append(with_header)
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("error"):
                parts.append(str(body["error"]))
        except Exception:  # noqa: BLE001 - not JSON / not read
            pass
    return "\n".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def translate_error(
    exc: BaseException,
    *,
    token: str | None = None,
    repo_id: str | None = None,
    repo_type: str | None = "model",
    endpoint: str | None = None,
    source: str | None = None,
) -> HflabError:
    """Turn an exception from huggingface_hub (or the network) into a Korean :class:`HubAuthError`.

    The result carries no reference to ``exc`` and its text is scrubbed of ``token`` (and of anything
    that looks like a token). Raise it *outside* the ``except`` block (or ``from None``) so the original
    exception is not chained. Used in: 01_hub_token, 10_sharing, 11_inference_api.
    """
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
        RemoteEntryNotFoundError,
    )

    if isinstance(exc, HflabError):
        return exc
    where = f" (토큰 출처: {SOURCE_LABELS.get(source, source)})" if source else ""
    target = f"'{repo_id}'" if repo_id else "Hub"
    # hf_hub_download wraps network problems: look at the cause
    if isinstance(exc, LocalEntryNotFoundError) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, OfflineModeIsEnabled):
        return HubOfflineError(
            "오프라인 모드(HF_HUB_OFFLINE=1)라서 Hub에 요청하지 않았습니다.",
            fix=(
                "인터넷이 되면 HF_HUB_OFFLINE 설정을 지우고 커널을 다시 시작하세요. 오프라인 실습은 "
                "hflab.practice_hub.PracticeHub를 start() 하고 hub.activate() 한 뒤 다시 실행하세요."
            ),
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if getattr(exc, "response", None) is not None else None
        server = _scrub(_server_message(exc), token)
        if isinstance(exc, GatedRepoError):
            url = _repo_url(endpoint, repo_id or getattr(exc, "repo_id", None),
                            repo_type or getattr(exc, "repo_type", None))
            if status == 401:
                msg = f"{target}은(는) 접근 승인이 필요한 게이트(gated) 저장소인데, 로그인(토큰) 없이 요청했습니다."
            else:
                msg = f"{target}은(는) 접근 승인이 필요한 게이트(gated) 저장소이고, 이 계정은 아직 승인되지 않았습니다."
            err = GatedRepoAccessError(
                msg + where,
                fix=f"{url} 에서 로그인한 뒤 약관에 동의하고 접근을 요청하세요. 승인되면 같은 계정의 토큰으로 다시 실행하세요.",
                status=status,
            )
            err.url = url
            return err
        if status == 401 and not isinstance(exc, RepositoryNotFoundError):
            if "revoked" in server.lower():
                return RevokedTokenError(
                    f"이 토큰은 폐기(revoke)되었습니다 (HTTP 401){where}.",
                    fix=f"{TOKENS_URL} 에서 새 토큰을 만들어 Colab 보안 비밀/HF_TOKEN을 바꾸세요. 토큰을 셀에 직접 쓰지 마세요.",
                    status=401,
                )
            return InvalidTokenError(
                f"Hub가 토큰을 거부했습니다 (HTTP 401: 잘못되었거나 만료·폐기된 토큰){where}.",
                fix=(
                    f"{TOKENS_URL} 에서 토큰을 확인하거나 새로 만들어 바꾸세요. "
                    "환경 변수 HF_TOKEN이 `hf auth login`보다 우선하니, 오래된 HF_TOKEN이 남아 있지 않은지도 확인하세요."
                ),
                status=401,
            )
        if isinstance(exc, RevisionNotFoundError):
            return MissingRepoError(
                f"{target}에서 요청한 리비전(revision: 브랜치, 태그 또는 커밋)을 찾을 수 없습니다.",
                fix="revision= 값의 철자를 확인하세요 (예: 'main', 태그 이름, 40자리 커밋 해시).",
                status=status,
            )
        if isinstance(exc, RemoteEntryNotFoundError):
            return MissingRepoError(
                f"{target}에 요청한 파일이 없습니다 (HTTP 404).",
                fix="list_repo_files(...)로 실제 파일 이름을 확인하세요.",
                status=status,
            )
        if isinstance(exc, RepositoryNotFoundError) or status == 404:
            kind = {"dataset": "데이터셋", "space": "Space"}.get(repo_type or "model", "모델")
            return MissingRepoError(
                f"{target} {kind} 저장소를 찾을 수 없습니다 (HTTP {status}){where}.",
                fix=(
                    "저장소 id 철자(소유자/이름)와 repo_type(model/dataset/space)을 확인하세요. "
                    "비공개(private) 저장소라면 권한이 있는 계정의 토큰이 필요합니다."
                ),
                status=status,
            )
        if status == 403:
            detail = f" 서버 메시지: {server.splitlines()[0]}" if server else ""
            return PermissionDeniedError(
                f"권한이 없습니다 (HTTP 403){where}.{detail}",
                fix="쓰기(업로드, 저장소 생성)에는 write 권한 토큰이 필요합니다. 읽기(read) 토큰인지, 다른 사람의 네임스페이스에 쓰려는지 확인하세요.",
                status=403,
            )
        if status is not None and status >= 500:
            return HubServerError(
                f"Hub 서버 오류입니다 (HTTP {status}).",
                fix="잠시 후 다시 실행하세요. 계속되면 https://status.huggingface.co 를 확인하세요.",
                status=status,
            )
        if status == 429:
            return HubRequestError(
                "요청이 너무 많아 Hub가 잠시 거절했습니다 (HTTP 429).",
                fix="1분쯤 기다렸다가 다시 실행하세요. whoami를 반복 호출한다면 결과를 변수에 저장해 재사용하세요.",
                status=429,
            )
        detail = f": {server.splitlines()[0]}" if server else ""
        return HubRequestError(
            f"Hub 요청이 실패했습니다 (HTTP {status}){detail}.",
            fix="입력값(저장소 id, 파일 이름, 옵션)을 확인하고 다시 실행하세요.",
            status=status,
        )
    if _is_network_error(exc):
        return HubConnectionError(
            f"Hub({_repo_url(endpoint, None, None)})에 연결할 수 없습니다 ({type(exc).__name__}).",
            fix="인터넷/프록시 연결을 확인하세요. 연습 허브를 쓰는 중이라면 hub.start()로 켜져 있는지 확인하세요.",
        )
    return HubRequestError(
        f"Hub 요청 중 예상하지 못한 오류가 났습니다 ({type(exc).__name__}): {_scrub(str(exc), token)[:300]}",
        fix="입력값을 확인하고 다시 실행하세요.",
    )


# --------------------------------------------------------------------------------------------------
# whoami and repo access
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HubUser:
    """Who the token belongs to (no token inside)."""

    name: str
    fullname: str | None
    orgs: tuple[str, ...]
    token_role: str | None
    token_name: str | None
    token_source: str | None
    raw: dict = field(repr=False, compare=False, default_factory=dict)


def _pick_token(token: str | ResolvedToken | bool | None) -> tuple[str, str]:
    if isinstance(token, ResolvedToken):
        return check_token_format(token.token, source=token.source), token.source
    if token is None or token is True:
        resolved = resolve_token()
        return resolved.token, resolved.source
    if token is False:
        raise NoTokenError(
            "whoami에는 토큰이 필요합니다 (token=False가 전달되었습니다).",
            fix="token=False를 지우거나 토큰을 전달하세요.",
        )
    return check_token_format(token, source="argument"), "argument"


def whoami(token: str | ResolvedToken | None = None, endpoint: str | None = None) -> HubUser:
    """Ask the Hub who the token belongs to (``huggingface_hub.HfApi.whoami``), with Korean errors.

    ``token=None`` resolves it (:func:`resolve_token`, no prompt). ``endpoint=None`` uses the client's
    endpoint (``HF_ENDPOINT``, or the practice hub once activated). Raises :class:`HubAuthError`
    subclasses; the token never appears in their text or in a chained exception.

    Used in: 01_hub_token, 10_sharing, 11_inference_api.
    """
    tok, source = _pick_token(token)
    err: HflabError | None = None
    data: dict | None = None
    try:
        from huggingface_hub import HfApi

        data = HfApi(endpoint=endpoint).whoami(token=tok)
    except Exception as e:  # noqa: BLE001 - every failure becomes a Korean error below
        err = translate_error(e, token=tok, endpoint=endpoint, source=source)
    if err is not None:
        raise err  # outside the except block: no __context__ pointing at the original exception
    access = (data.get("auth") or {}).get("accessToken") or {}
    return HubUser(
        name=data.get("name", ""),
        fullname=data.get("fullname"),
        orgs=tuple(o.get("name", "") for o in data.get("orgs") or [] if isinstance(o, dict)),
        token_role=access.get("role"),
        token_name=access.get("displayName"),
        token_source=source,
        raw=data,
    )


@dataclass(frozen=True)
class RepoAccess:
    """What :func:`check_repo_access` found: the repo exists and its files can be downloaded."""

    repo_id: str
    repo_type: str
    sha: str | None
    private: bool | None
    gated: Any
    files: tuple[str, ...]
    url: str


def check_repo_access(
    repo_id: str,
    *,
    repo_type: str = "model",
    token: str | ResolvedToken | bool | None = None,
    revision: str | None = None,
    filename: str | None = None,
    endpoint: str | None = None,
) -> RepoAccess:
    """Can this account read ``repo_id``? Reads the repo info, then asks for one file's metadata (HEAD),
    which is where a gated repo says no.

    ``token=None`` uses :func:`resolve_token` if a token is available (anonymous otherwise);
    ``token=False`` forces an anonymous request. Raises :class:`MissingRepoError` (404 / private),
    :class:`GatedRepoAccessError` (with ``.url``, the page where access is requested: ``{endpoint}/{repo_id}``),
    :class:`InvalidTokenError`, :class:`HubOfflineError`, :class:`HubConnectionError` ...

    Used in: 01_hub_token, 10_sharing.
    """
    from huggingface_hub import HfApi, constants
    from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url

    if token is False:
        tok, source = None, None
    elif token is None or token is True:
        resolved = resolve_token(required=token is True)
        tok, source = (resolved.token, resolved.source) if resolved else (None, None)
    else:
        tok, source = _pick_token(token)
    base = (endpoint or constants.ENDPOINT).rstrip("/")
    err: HflabError | None = None
    result: RepoAccess | None = None
    try:
        api = HfApi(endpoint=base)
        info = api.repo_info(repo_id, repo_type=repo_type, revision=revision, token=tok if tok else False)
        files = tuple(s.rfilename for s in (info.siblings or []))
        candidates = [filename] if filename else [f for f in ("config.json", "README.md") if f in files] + [
            f for f in files if f != ".gitattributes"
        ] + list(files)
        if candidates:
            url = hf_hub_url(repo_id, candidates[0], repo_type=repo_type, revision=info.sha or revision,
                             endpoint=base)
            get_hf_file_metadata(url, token=tok if tok else False, endpoint=base)
        result = RepoAccess(repo_id=repo_id, repo_type=repo_type, sha=info.sha, private=info.private,
                            gated=getattr(info, "gated", None), files=files,
                            url=_repo_url(base, repo_id, repo_type))
    except Exception as e:  # noqa: BLE001
        err = translate_error(e, token=tok, repo_id=repo_id, repo_type=repo_type, endpoint=base, source=source)
    if err is not None:
        raise err
    return result


# --------------------------------------------------------------------------------------------------
# around the library's own calls: Korean explanations, write permission read from whoami()
# --------------------------------------------------------------------------------------------------
def explain(exc: BaseException, *, repo_id: str | None = None, repo_type: str | None = "model",
            endpoint: str | None = None) -> str:
    """The Korean explanation (what happened, what to do) of an exception a ``huggingface_hub`` call raised.

    The lesson keeps the library's call and catches the library's own exception (``GatedRepoError``,
    ``RepositoryNotFoundError``, ``HfHubHTTPError`` ...); this adds the Korean text to print beside its type.
    Token-like text is masked. Used in: 01_hub_token.
    """
    return str(translate_error(exc, repo_id=repo_id, repo_type=repo_type, endpoint=endpoint))


@dataclass(frozen=True)
class WriteAccess:
    """What a token may do to one repo, read from ``HfApi().whoami()``: ``allowed`` and the Korean reason."""

    repo_id: str
    role: str | None
    allowed: bool
    reason: str


def write_access(me: dict, repo_id: str) -> WriteAccess:
    """Can the token that ``me`` (the dict ``HfApi().whoami()`` returned) describes write to ``repo_id``?

    ``read`` tokens never write; ``write`` (and ``admin``) tokens write in the account's own namespace and
    its organisations'; a ``fineGrained`` token writes only where one of its scopes (the user, the
    organisation or that very repo) holds ``repo.write``. The reason is Korean and names the fix.
    Used in: 01_hub_token.
    """
    if not isinstance(me, dict):
        raise HflabError("write_access 에는 HfApi().whoami() 가 돌려준 dict 를 주세요.",
                         fix="me = HfApi().whoami(); hflab.auth.write_access(me, '사용자이름/저장소')")
    access = (me.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    namespace = repo_id.split("/")[0] if "/" in repo_id else me.get("name", "")
    own = {me.get("name")} | {o.get("name") for o in me.get("orgs") or [] if isinstance(o, dict)}
    if role == "read":
        return WriteAccess(repo_id, role, False,
                           "이 토큰은 read 토큰이라 저장소를 만들거나 올릴 수 없습니다 (읽기 전용)."
                           f"\n  → 해결: {TOKENS_URL} 에서 write 토큰(또는 {namespace} 에 repo.write 권한이 있는 "
                           "fine-grained 토큰)을 만들어 Colab 보안 비밀 HF_TOKEN 을 바꾸세요.")
    if role in ("write", "admin"):
        if namespace in own:
            return WriteAccess(repo_id, role, True, f"{role} 토큰: '{namespace}' 에 쓸 수 있습니다.")
        return WriteAccess(repo_id, role, False,
                           f"'{namespace}' 는 이 계정({me.get('name')})이나 소속 조직의 네임스페이스가 아닙니다."
                           f"\n  → 해결: 저장소 이름을 '{me.get('name')}/...' 로 바꾸세요.")
    if role == "fineGrained":
        scoped = (access.get("fineGrained") or {}).get("scoped") or []
        for scope in scoped:
            entity = scope.get("entity") or {}
            if entity.get("name") in (namespace, repo_id) and "repo.write" in (scope.get("permissions") or []):
                return WriteAccess(repo_id, role, True,
                                   f"fine-grained 토큰: '{entity.get('name')}' 에 repo.write 권한이 있습니다.")
        return WriteAccess(repo_id, role, False,
                           f"이 fine-grained 토큰에는 '{repo_id}' 에 쓰는 권한(repo.write)이 없습니다."
                           f"\n  → 해결: {TOKENS_URL} 에서 토큰 설정을 열어 '{namespace}' 의 저장소 쓰기(repo.write)를 "
                           "켜거나, write 토큰을 쓰세요.")
    return WriteAccess(repo_id, role, False,
                       f"토큰의 권한(role={role!r})을 알 수 없습니다.\n  → 해결: {TOKENS_URL} 에서 토큰 종류를 확인하세요.")


def token_source() -> ResolvedToken | None:
    """Where ``huggingface_hub.get_token()`` (what every library call without ``token=`` uses) found its token.

    The library's order: the ``HF_TOKEN`` environment variable, then the token file that ``login()`` /
    ``hf auth login`` wrote, then the Colab secret. Returns the token with that source (shown masked),
    or None when the library has no token. Used in: 01_hub_token.
    """
    from huggingface_hub import get_token

    token = get_token()
    if token is None:
        return None
    notes: list[str] = []
    env = (os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or "").strip()
    cached = (_from_cache(notes) or "").strip()
    source = "env" if env == token else "token_cache" if cached == token else "colab_secret"
    if source != "token_cache" and cached and cached != token:
        notes.append("토큰 캐시 파일에 다른 토큰도 있습니다: 라이브러리는 지금 이 출처의 토큰을 씁니다.")
    return ResolvedToken(token, source, tuple(notes))
