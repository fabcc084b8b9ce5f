"""The routes of the practice hub: each path shape the hub serves, its methods and its handler, in matching
order. The app matches the raw (percent-decoded per segment) path against :data:`ROUTES`; a test enumerates
them so that no route escapes the malformed-input checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .common import _PLURAL
from .handlers import account, files, git, lfs, pages, refs, repos
from .handlers.git import _GIT_SERVICES


@dataclass(frozen=True)
class Route:
    """One route: a name, its HTTP methods, the shape of its (percent-decoded) path segments and its handler
    (called with the :class:`~hflab.practice_hub.state.Call` and the captures).

    Shape tokens: a literal segment; ``*`` one segment; ``**`` one or more segments and ``**?`` zero or more
    (captured joined with ``/``); ``TYPES`` ``models|datasets|spaces`` (captured as the repo type); ``T?`` an
    optional ``datasets``/``spaces`` prefix (captured as the repo type, ``model`` when absent); ``*.git`` a
    segment ending in ``.git`` (captured without it); ``GIT`` a git smart-HTTP service name."""

    name: str
    methods: tuple[str, ...]
    shape: tuple[str, ...]
    handler: Callable[..., Any] = field(repr=False, compare=False)


_ANY = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
_REPO = ("api", "TYPES", "*", "*")


#: Every route of the practice hub, in matching order (the first whose shape and method fit answers).
ROUTES: tuple[Route, ...] = (
    Route("whoami", ("GET",), ("api", "whoami-v2"), account.whoami),
    Route("repo-create", ("POST",), ("api", "repos", "create"), repos.repo_create),
    Route("repo-delete", ("DELETE",), ("api", "repos", "delete"), repos.repo_delete),
    Route("validate-yaml", ("POST",), ("api", "validate-yaml"), repos.validate_yaml),
    Route("telemetry", _ANY, ("api", "telemetry", "**?"), account.telemetry),
    Route("repo-list", ("GET",), ("api", "TYPES"), repos.repo_list),
    Route("repo-info", ("GET",), _REPO, repos.repo_info),
    Route("repo-info-revision", ("GET",), (*_REPO, "revision", "**"), repos.repo_info),
    Route("auth-check", ("GET",), (*_REPO, "auth-check", "**?"), repos.auth_check),
    Route("tree", ("GET",), (*_REPO, "tree", "*", "**?"), files.tree),
    Route("paths-info", ("POST",), (*_REPO, "paths-info", "**"), files.paths_info),
    Route("refs", ("GET",), (*_REPO, "refs", "**?"), refs.refs),
    Route("commits", ("GET",), (*_REPO, "commits", "**"), refs.commits),
    Route("preupload", ("POST",), (*_REPO, "preupload", "**"), files.preupload),
    Route("commit", ("POST",), (*_REPO, "commit", "**"), files.commit),
    Route("branch", ("POST", "DELETE"), (*_REPO, "branch", "**"), refs.branch),
    Route("tag", ("POST", "DELETE"), (*_REPO, "tag", "**"), refs.tag),
    Route("settings", ("PUT",), (*_REPO, "settings", "**?"), repos.settings),
    Route("space-runtime", ("GET",), ("api", "spaces", "*", "*", "runtime"), repos.space_runtime),
    Route("lfs-upload", ("PUT",), ("lfs-upload", "*"), lfs.lfs_upload),
    Route("lfs-batch", ("POST",), ("T?", "*", "*.git", "info", "lfs", "objects", "batch"), lfs.lfs_batch),
    Route("lfs-verify", ("POST",), ("T?", "*", "*.git", "info", "lfs", "objects", "verify"), lfs.lfs_verify),
    Route("git-refs", ("GET", "HEAD"), ("T?", "**", "info", "refs"), git.git_refs),
    Route("git-rpc", ("POST",), ("T?", "**", "GIT"), git.git_rpc),
    Route("resolve", ("GET", "HEAD"), ("T?", "*", "*", "resolve", "*", "**?"), files.resolve),
    Route("home", ("GET",), (), pages.home),
    Route("repo-page", ("GET",), ("T?", "*", "*"), pages.repo_page),
)


def _match(shape: tuple[str, ...], segs: list[str]) -> list[str] | None:
    """The captures of ``segs`` against ``shape`` (see :class:`Route`), or None when they do not fit."""
    caps: list = []

    def one(tok: str, seg: str) -> tuple[bool, str | None]:
        if tok == "*":
            return True, seg
        if tok == "TYPES":
            return seg in _PLURAL, _PLURAL.get(seg)
        if tok == "*.git":
            return seg.endswith(".git"), seg[:-4]
        if tok == "GIT":
            return seg in _GIT_SERVICES, seg
        return seg == tok, None

    def go(i: int, j: int) -> bool:
        if i == len(shape):
            return j == len(segs)
        tok = shape[i]
        if tok in ("**", "**?"):
            shortest = j + 1 if tok == "**" else j
            for end in range(len(segs), shortest - 1, -1):  # longest first
                caps.append((j, end))
                if go(i + 1, end):
                    return True
                caps.pop()
            return False
        if tok == "T?":
            typed = j < len(segs) and segs[j] in ("datasets", "spaces")
            caps.append(_PLURAL[segs[j]] if typed else "model")
            if go(i + 1, j + 1 if typed else j):
                return True
            caps.pop()
            return False
        if j >= len(segs):
            return False
        ok, cap = one(tok, segs[j])
        if not ok:
            return False
        if cap is not None:
            caps.append(cap)
        if go(i + 1, j + 1):
            return True
        if cap is not None:
            caps.pop()
        return False

    if not go(0, 0):
        return None
    return ["/".join(segs[c[0]:c[1]]) if isinstance(c, tuple) else c for c in caps]


def _route_for(method: str, segs: list[str]) -> tuple[Route | None, list[str]]:
    """The route that answers ``method`` on ``segs`` and its captures; ``/api/...`` paths only match API routes."""
    api = segs[:1] == ["api"]
    for route in ROUTES:
        if (route.shape[:1] == ("api",)) != api or method not in route.methods:
            continue
        captures = _match(route.shape, segs)
        if captures is not None:
            return route, captures
    return None, []
