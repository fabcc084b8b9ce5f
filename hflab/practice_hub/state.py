"""The state one app serves from (:class:`HubState`: store, faults, request log, access rules) and one request
as a handler sees it (:class:`Call`)."""
from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .answers import HubHTTPError, _not_found_repo, _revision_not_found
from .common import _INVALID_CREDENTIALS, _URL_PREFIX
from .store import HubStore

if TYPE_CHECKING:
    from starlette.requests import Request


@dataclass
class _Fault:
    pattern: re.Pattern
    status: int
    method: str | None
    times: int | None
    message: str


class HubState:
    """Everything the handlers share: the store, injected faults, the request log, pending LFS uploads, and
    the access rules (who the token is, who may read or write a repo)."""

    def __init__(self, store: HubStore):
        self.store = store
        self.faults: list[_Fault] = []
        self.requests: deque = deque(maxlen=2000)
        self.uploads: dict[str, tuple[str, int]] = {}  # one-time LFS upload id -> (sha256, size)
        self.lock = threading.Lock()

    def lookup_token(self, token: str) -> dict | None:
        return self.store.load_tokens().get(token)

    def auth(self, request: Request) -> dict | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        record = self.lookup_token(token) if scheme.lower() == "bearer" and token else None
        if record is None:
            raise HubHTTPError(401, _INVALID_CREDENTIALS,
                               ko="토큰이 올바르지 않습니다. 연습 허브의 토큰(hub.token, hub.read_token)을 쓰세요.")
        if record.get("revoked"):
            # Same status and header as any invalid token; the body says why (practice hub only).
            raise HubHTTPError(401, _INVALID_CREDENTIALS, body_message="This token has been revoked.",
                               ko="이 토큰은 폐기(revoke)되었습니다. 새 토큰(hub.add_token())을 쓰세요.")
        return record

    @staticmethod
    def scoped(user: dict, namespace: str, repo_id: str | None, permission: str) -> bool:
        """A fine-grained token holds ``permission`` on the namespace or on the repo itself."""
        return any(s["entity"]["name"] in (namespace, repo_id) and permission in s["permissions"]
                   for s in user.get("scoped", []))

    def require_write(self, user: dict | None, namespace: str, what: str, repo_id: str | None = None) -> None:
        if user is None:
            raise HubHTTPError(401, "You must be authenticated (use a write token) to " + what,
                               ko="토큰 없이 쓰려고 했습니다. 쓰기 토큰(hub.token)을 쓰세요.")
        if user.get("role") == "fineGrained":
            if not self.scoped(user, namespace, repo_id, "repo.write"):
                raise HubHTTPError(
                    403, f"You don't have the rights to {what}: this fine-grained token has no repo.write permission "
                    f"on \"{repo_id or namespace}\"",
                    ko=f"이 fine-grained 토큰에는 {str(repo_id or namespace)[:100]!r} 에 쓰는 권한(repo.write)이 없습니다. "
                       "토큰 설정에서 repo.write 를 켜거나 쓰기 토큰(hub.token)을 쓰세요.",
                )
        elif user.get("role") not in ("write", "admin"):
            raise HubHTTPError(
                403, f"You don't have the rights to {what}: this is a read-only token. Use a write token.",
                ko="읽기(read) 토큰으로는 쓸 수 없습니다. 쓰기 토큰(hub.token)을 쓰세요.",
            )
        if user["user"] != namespace:
            raise HubHTTPError(
                403, f"You don't have the rights to {what} under the namespace \"{namespace}\"",
                ko=f"네임스페이스 {str(namespace)[:100]!r}에는 쓸 권한이 없습니다. 자기 네임스페이스({user['user']}/...)에 쓰세요.",
            )

    def can_read(self, meta: dict, user: dict | None) -> bool:
        owner = meta["id"].split("/")[0]
        if not meta["private"]:
            return True
        if user is None or user["user"] != owner:
            return False
        return user.get("role") != "fineGrained" or self.scoped(user, owner, meta["id"], "repo.content.read")

    def get_repo(self, repo_type: str, repo_id: str, user: dict | None) -> dict:
        meta = self.store.load_repo(repo_type, repo_id)
        if meta is None or not self.can_read(meta, user):
            if user is None:  # the Hub answers 401 to anonymous requests on missing/private repos
                raise HubHTTPError(401, "Repository not found", "RepoNotFound",
                                   ko="저장소가 없거나 비공개입니다. 저장소 id 를 확인하고, 비공개라면 토큰을 주세요.")
            raise _not_found_repo()
        return meta

    def check_gated(self, meta: dict, user: dict | None, base: str) -> None:
        if not meta.get("gated"):
            return
        owner = meta["id"].split("/")[0]
        if user is not None and (user["user"] == owner or user["user"] in meta.get("granted", [])):
            return
        kind = meta["type"]
        url = f"{base}/{_URL_PREFIX[kind]}{meta['id']}"
        if user is None:
            raise HubHTTPError(
                401,
                f"Access to {kind} {meta['id']} is restricted. You must have access to it and be authenticated "
                "to access it. Please log in.",
                "GatedRepo",
                ko="접근 승인이 필요한 게이트(gated) 저장소입니다. 토큰을 주고, 승인된 계정으로 부르세요.",
            )
        raise HubHTTPError(
            403,
            f"Access to {kind} {meta['id']} is restricted and you are not in the authorized list. "
            f"Visit {url} to ask for access.",
            "GatedRepo",
            ko=f"이 계정은 아직 이 게이트(gated) 저장소에 승인되지 않았습니다. {url} 에서 접근을 요청하세요.",
        )

    def resolve(self, meta: dict, revision: str) -> str:
        sha = self.store.resolve_revision(meta, revision)
        if sha is None:
            raise _revision_not_found(revision)
        return sha


@dataclass
class Call:
    """One request as the handlers see it."""

    hub: HubState
    request: Any
    method: str
    user: dict | None
    body: bytes
    params: Any
    base: str

    def repo(self, repo_type: str, ns: str, name: str) -> dict:
        """The repo ``ns/name`` if this caller may read it (the Hub's 401/404 otherwise)."""
        return self.hub.get_repo(repo_type, f"{ns}/{name}", self.user)
