"""Classroom keys: where ``hflab serve`` reads them (environment, a private key file, never the command line),
their constant-time lookup, and the refusal of Hugging Face tokens sent in their place."""
from __future__ import annotations

import hmac
import os
from pathlib import Path
from typing import Mapping

from .config import _LOOPBACK
from .errors import ServeError


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
