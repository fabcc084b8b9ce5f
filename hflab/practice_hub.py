"""A local practice hub: the subset of the Hugging Face Hub HTTP API the course uses, on 127.0.0.1.

The real ``huggingface_hub`` client (and ``transformers`` / ``datasets`` on top of it) talks to this
server exactly as it talks to huggingface.co: whoami, repo info, file listing, file resolve (HEAD/GET,
ranges), create/delete repo, preupload, the NDJSON commit endpoint, branches, tags, refs and commit
history, and the Git LFS batch API for large files. Nothing is mocked on the client side. State (repos,
commits, content-addressed blobs, tokens) lives on disk under ``root`` (default ``build/practice_hub``),
so a restart keeps the repos.

The hub does not serve git: ``git clone`` / ``git push`` (git's smart-HTTP probe, ``.../info/refs``) get a
403 whose Korean text git prints as ``remote:`` lines, naming the ``hf download`` / ``hf upload`` command
that does the same (the seed notes' ``Repository`` / git habit).

Like the Hub, a new repo starts with a ``.gitattributes`` commit; paths it marks ``filter=lfs``
(``*.safetensors``, ``*.parquet``, ``*.bin`` ...) and files over 10 MB are uploaded through Git LFS
(``uploadMode: "lfs"`` in preupload, then ``{repo}.git/info/lfs/objects/batch`` and a PUT), the others
inline in the commit call (``"regular"``). The hub has no Xet storage: ``activate()`` sets
``HF_HUB_DISABLE_XET`` so the client uses the LFS protocol (without ``activate()``, set
``HF_HUB_DISABLE_XET=1`` before importing huggingface_hub, or uploads of LFS files fail).

Used in: 01_hub_token, 10_sharing, 12_spaces (and the tests of hflab.auth / hflab.practice_hub).

Start, use, stop::

    from hflab.practice_hub import PracticeHub
    from huggingface_hub import HfApi

    hub = PracticeHub().start()          # or: with PracticeHub() as hub: ...
    hub.activate()                       # see "Offline notebooks" below
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.whoami()["name"]                 # 'student'
    ...
    hub.deactivate(); hub.stop()

``hub.token`` is a write token of the practice user ``student`` (``hub.read_token`` a read-only one).
They are generated once per ``root`` and kept in ``root/tokens.json`` (mode 0600); they are only
valid on this practice hub. Never print them: ``repr(hub)`` masks them.

Offline notebooks (``HF_HUB_OFFLINE=1``)
----------------------------------------
``huggingface_hub`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` once, at import time
(``huggingface_hub.constants.ENDPOINT`` / ``HF_HUB_OFFLINE``), and its HTTP session refuses *every*
request while the offline flag is set, 127.0.0.1 included. Passing ``endpoint=`` to ``HfApi`` is
therefore not enough in an offline notebook, and setting the environment variables after the import
changes nothing. ``hub.activate()`` is the honest fix, done in the open:

* it points the already-imported libraries at the practice hub: ``huggingface_hub.constants.ENDPOINT``
  (+ the resolve URL template), ``datasets.config.HF_ENDPOINT`` when ``datasets`` is loaded, the ``HfApi``
  objects built before (``huggingface_hub.upload_file`` & co., ``transformers``' ``push_to_hub``), and the
  ``HF_ENDPOINT`` environment variable (for libraries imported later and for ``!hf ...`` subprocesses);
* it sets ``huggingface_hub.constants.HF_HUB_DISABLE_XET`` (large files use Git LFS, see above);
* it clears the offline flag (``huggingface_hub.constants.HF_HUB_OFFLINE``, ``datasets.config``,
  ``HF_HUB_OFFLINE=0`` and, if set, ``HF_DATASETS_OFFLINE=0`` in the environment) and, when the flag was set, installs a guard on the client's
  HTTP session that still refuses every non-loopback host (``OfflineModeIsEnabled``). Offline stays
  offline: only 127.0.0.1 / localhost can be reached while the hub is active;
* ``activate(export_token=True)`` also sets ``HF_TOKEN`` to the practice write token for the duration
  (the way a Colab secret would), so calls without ``token=`` (``push_to_hub``, ``from_pretrained``,
  ``load_dataset``) authenticate. Otherwise pass ``token=hub.token`` explicitly. An ``HF_TOKEN`` that is
  not a practice token (e.g. a real one) is answered with 401 by the practice hub, like the Hub would.

``hub.deactivate()`` (or leaving ``with hub.activated():``) restores every value it changed, so the
offline mirror (``HF_HUB_OFFLINE=1``) works again afterwards. A notebook therefore does::

    hub = PracticeHub(fresh=True).start()    # fresh=True: same result when the notebook runs twice
    with hub.activated(export_token=True):
        ...  # create_repo / upload_folder / push_to_hub / from_pretrained("student/x") / load_dataset
    hub.stop()

Extras for teaching and tests: ``hub.add_repo(...)`` seeds a repo on the server side (e.g. a gated one,
``gated="manual"``), ``hub.add_token(...)`` / ``hub.revoke_token(...)`` manage tokens,
``hub.fail(pattern, status=500)`` injects faults, ``hub.requests`` lists the HTTP calls the client made
(method, path, status; never headers). ``serve_forever(root, port)`` runs it in the foreground (CLI).
"""
from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import html
import itertools
import json
import logging
import mimetypes
import os
import re
import secrets
import shutil
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, quote, unquote

from . import _threaded_server

logger = logging.getLogger(__name__)

__all__ = ["PracticeHub", "serve_forever", "create_app", "DEFAULT_USER", "default_root"]

#: the practice account every generated token belongs to
DEFAULT_USER = "student"
REPO_TYPES = ("model", "dataset", "space")
_PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_SPACE_SDKS = ("gradio", "docker", "static", "streamlit")
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$|^[A-Za-z0-9]$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_REGULAR_MAX = 10 * 1024 * 1024  # the Hub refuses "regular" (inline) files above 10 MB

# What the Hub writes in a new repo's .gitattributes (abridged): these paths are stored with Git LFS.
DEFAULT_GITATTRIBUTES = """*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gguf filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
"""


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------
def default_root() -> Path:
    """``build/practice_hub`` under the project root (the current directory on Colab)."""
    try:
        from .course import build_dir

        return build_dir() / "practice_hub"
    except Exception:  # pragma: no cover - course.py missing or broken: stay usable
        return Path.cwd() / "build" / "practice_hub"


def _now_iso(ts: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _mask(token: str | None) -> str:
    if not token:
        return "<none>"
    return token[:5] + "…" + token[-2:] if len(token) >= 10 else token[:3] + "…"


def _lfs_patterns(gitattributes: bytes | None) -> list[str]:
    if not gitattributes:
        return []
    out = []
    for line in gitattributes.decode("utf-8", "replace").splitlines():
        parts = line.strip().split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            out.append(parts[0])
    return out


def _is_lfs_path(path: str, patterns: list[str]) -> bool:
    base = path.rsplit("/", 1)[-1]
    for pat in patterns:
        if "/" in pat:
            if fnmatch.fnmatch(path, pat.replace("**/", "*").replace("/**", "/*")):
                return True
        elif fnmatch.fnmatch(base, pat):
            return True
    return False


def _valid_path(path: Any) -> bool:
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts) and parts[0] != ".git"


def _front_matter(readme: bytes | None) -> dict | None:
    """The YAML block at the top of a README (the model/dataset card data), or None."""
    if not readme:
        return None
    text = readme.decode("utf-8", "replace")
    m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not m:
        return None
    try:
        import yaml

        data = yaml.safe_load(m.group(1))
    except Exception:
        return None
    return data if isinstance(data, dict) else None


class HubHTTPError(Exception):
    """An error answer in the Hub's shape: status, ``{"error": ...}``, X-Error-Code / X-Error-Message."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None,
                 body_message: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.extra = extra or {}
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.body_message = body_message


def _not_found_repo() -> HubHTTPError:
    return HubHTTPError(404, "Repository not found", "RepoNotFound")


# --------------------------------------------------------------------------------------------------
# on-disk state
# --------------------------------------------------------------------------------------------------
class HubStore:
    """Repos, commits, blobs and tokens under one directory. Thread-safe (one lock)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.lock = threading.RLock()
        (self.root / "repos").mkdir(parents=True, exist_ok=True)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()

    # ---------------------------------------------------------------- tokens
    @property
    def tokens_path(self) -> Path:
        return self.root / "tokens.json"

    def load_tokens(self) -> dict[str, dict]:
        try:
            return json.loads(self.tokens_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def save_tokens(self, tokens: dict[str, dict]) -> None:
        tmp = self.tokens_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(tokens, f, indent=1)
        os.replace(tmp, self.tokens_path)

    # ---------------------------------------------------------------- blobs
    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def put_blob(self, data: bytes) -> dict:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{sha256}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return {"sha256": sha256, "oid": _git_blob_oid(data), "size": len(data)}

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    # ---------------------------------------------------------------- repos
    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        ns, name = repo_id.split("/", 1)
        return self.root / "repos" / f"{repo_type}s" / ns / name

    def load_repo(self, repo_type: str, repo_id: str) -> dict | None:
        if repo_type not in REPO_TYPES or repo_id.count("/") != 1:
            return None
        ns, name = repo_id.split("/")
        if not (_NAME_RE.match(ns) and _NAME_RE.match(name)):
            return None
        try:
            return json.loads((self.repo_dir(repo_type, repo_id) / "repo.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def save_repo(self, meta: dict) -> None:
        d = self.repo_dir(meta["type"], meta["id"])
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "repo.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1))
        os.replace(tmp, d / "repo.json")

    def list_repos(self, repo_type: str) -> list[dict]:
        out = []
        base = self.root / "repos" / f"{repo_type}s"
        for f in sorted(base.glob("*/*/repo.json")):
            try:
                out.append(json.loads(f.read_text()))
            except (OSError, json.JSONDecodeError):
                continue
        return out

    def create_repo(
        self,
        repo_type: str,
        repo_id: str,
        *,
        private: bool = False,
        gated: str | bool = False,
        sdk: str | None = None,
        author: str = DEFAULT_USER,
    ) -> dict:
        with self.lock:
            if self.load_repo(repo_type, repo_id) is not None:
                raise HubHTTPError(409, f"You already created this {repo_type} repo", "RepoExists")
            meta = {
                "id": repo_id,
                "type": repo_type,
                "private": bool(private),
                "gated": gated or False,
                "granted": [],
                "sdk": sdk,
                "createdAt": _now_iso(),
                "refs": {"heads": {}, "tags": {}, "pr": {}},
                "_id": secrets.token_hex(12),
            }
            files = {".gitattributes": DEFAULT_GITATTRIBUTES.encode()}
            if repo_type == "space":
                title = repo_id.split("/")[1]
                files["README.md"] = (
                    f"---\ntitle: {title}\nemoji: 🤗\ncolorFrom: yellow\ncolorTo: indigo\nsdk: {sdk or 'gradio'}\n"
                    "app_file: app.py\npinned: false\n---\n\n"
                    "Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n"
                ).encode()
            tree = {path: self.put_blob(data) for path, data in files.items()}
            sha = self._write_commit(meta, parents=[], tree=tree, title="initial commit", message="", author=author)
            meta["refs"]["heads"]["main"] = sha
            self.save_repo(meta)
            return meta

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        with self.lock:
            shutil.rmtree(self.repo_dir(repo_type, repo_id), ignore_errors=True)

    # ---------------------------------------------------------------- commits
    def _write_commit(
        self, meta: dict, *, parents: list[str], tree: dict, title: str, message: str, author: str
    ) -> str:
        date = _now_iso()
        seed = json.dumps(
            [meta["type"], meta["id"], parents, sorted((p, e["sha256"]) for p, e in tree.items()), title, message,
             date, time.time_ns(), next(self._counter), os.getpid()]
        )
        sha = hashlib.sha1(seed.encode()).hexdigest()
        commit = {"id": sha, "parents": parents, "title": title, "message": message, "date": date,
                  "authors": [author], "tree": tree}
        d = self.repo_dir(meta["type"], meta["id"]) / "commits"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{sha}.json").write_text(json.dumps(commit))
        return sha

    def load_commit(self, meta: dict, sha: str) -> dict | None:
        if not _SHA_RE.match(sha or ""):
            return None
        try:
            return json.loads((self.repo_dir(meta["type"], meta["id"]) / "commits" / f"{sha}.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def resolve_revision(self, meta: dict, revision: str) -> str | None:
        refs = meta["refs"]
        rev = revision
        if rev.startswith("refs/heads/"):
            return refs["heads"].get(rev[len("refs/heads/"):])
        if rev.startswith("refs/tags/"):
            return refs["tags"].get(rev[len("refs/tags/"):])
        if rev.startswith("refs/pr/"):
            return refs["pr"].get(rev[len("refs/pr/"):])
        if rev in refs["heads"]:
            return refs["heads"][rev]
        if rev in refs["tags"]:
            return refs["tags"][rev]
        if _SHA_RE.match(rev) and self.load_commit(meta, rev) is not None:
            return rev
        return None

    def history(self, meta: dict, sha: str) -> list[dict]:
        out = []
        seen = set()
        while sha and sha not in seen:
            seen.add(sha)
            c = self.load_commit(meta, sha)
            if c is None:
                break
            out.append(c)
            sha = c["parents"][0] if c["parents"] else None
        return out

    def commit(
        self,
        meta: dict,
        revision: str,
        operations: list[dict],
        *,
        title: str,
        message: str,
        author: str,
        parent_commit: str | None = None,
        create_pr: bool = False,
    ) -> tuple[str, int | None]:
        with self.lock:
            meta = self.load_repo(meta["type"], meta["id"]) or meta  # latest refs
            refs = meta["refs"]
            branch_kind, branch = "heads", revision
            if revision.startswith("refs/heads/"):
                branch = revision[len("refs/heads/"):]
            elif revision.startswith("refs/pr/"):
                branch_kind, branch = "pr", revision[len("refs/pr/"):]
            head = refs[branch_kind].get(branch)
            if head is None:
                raise HubHTTPError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            if parent_commit is not None and parent_commit != head:
                raise HubHTTPError(412, "A commit has happened since. Please refresh and try again.")
            tree = dict(self.load_commit(meta, head)["tree"])
            for op in operations:
                key, value = op.get("key"), op.get("value") or {}
                path = value.get("path")
                if key in ("file", "lfsFile", "deletedFile", "deletedFolder") and not _valid_path(
                    path.rstrip("/") if isinstance(path, str) and key == "deletedFolder" else path
                ):
                    raise HubHTTPError(400, f"Invalid path in commit: {path!r}")
                if key == "file":
                    content = value.get("content", "")
                    try:
                        data = (
                            base64.b64decode(content, validate=True)
                            if value.get("encoding", "base64") == "base64"
                            else str(content).encode("utf-8")
                        )
                    except Exception:
                        raise HubHTTPError(400, f"Invalid base64 content for {path!r}") from None
                    tree[path] = self.put_blob(data)
                elif key == "lfsFile":
                    oid = str(value.get("oid", ""))
                    known = re.fullmatch(r"[0-9a-f]{64}", oid) is not None and self.blob_path(oid).is_file()
                    if not known:
                        raise HubHTTPError(
                            422, f"LFS file {path!r} (oid {oid}) was never uploaded to the practice hub: "
                            "it accepts regular (inline) uploads only"
                        )
                    tree[path] = self.put_blob(self.read_blob(oid))
                elif key == "deletedFile":
                    if path not in tree:
                        raise HubHTTPError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                    del tree[path]
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    victims = [p for p in tree if p.startswith(prefix)]
                    if not victims:
                        raise HubHTTPError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                    for p in victims:
                        del tree[p]
                else:
                    raise HubHTTPError(400, f"Unknown commit operation: {key!r}")
            # a path cannot be both a file and a folder
            names = set(tree)
            for p in names:
                parts = p.split("/")
                for i in range(1, len(parts)):
                    if "/".join(parts[:i]) in names:
                        raise HubHTTPError(400, f"Cannot create {p!r}: '{'/'.join(parts[:i])}' is a file")
            sha = self._write_commit(meta, parents=[head], tree=tree, title=title, message=message, author=author)
            pr_num = None
            if create_pr:
                pr_num = max([int(n) for n in refs["pr"]] + [0]) + 1
                refs["pr"][str(pr_num)] = sha
            else:
                refs[branch_kind][branch] = sha
            self.save_repo(meta)
            return sha, pr_num

    # ---------------------------------------------------------------- file views
    def entries(self, meta: dict, sha: str) -> dict[str, dict]:
        """path -> {sha256, oid (git), size, lfs (dict|None)} at a commit, LFS decided by .gitattributes."""
        tree = self.load_commit(meta, sha)["tree"]
        ga = tree.get(".gitattributes")
        patterns = _lfs_patterns(self.read_blob(ga["sha256"])) if ga else []
        out = {}
        for path, e in tree.items():
            if _is_lfs_path(path, patterns):
                pointer = _lfs_pointer(e["sha256"], e["size"])
                out[path] = {**e, "git_oid": _git_blob_oid(pointer),
                             "lfs": {"oid": e["sha256"], "size": e["size"], "pointerSize": len(pointer)}}
            else:
                out[path] = {**e, "git_oid": e["oid"], "lfs": None}
        return out


# --------------------------------------------------------------------------------------------------
# the web app
# --------------------------------------------------------------------------------------------------
@dataclass
class _Fault:
    pattern: re.Pattern
    status: int
    method: str | None
    times: int | None
    message: str


class _HubState:
    """Everything the app needs: the store, tokens, faults, request log."""

    def __init__(self, store: HubStore):
        self.store = store
        self.faults: list[_Fault] = []
        self.requests: deque = deque(maxlen=2000)
        self.uploads: dict[str, tuple[str, int]] = {}  # one-time LFS upload id -> (sha256, size)
        self.lock = threading.Lock()

    def lookup_token(self, token: str) -> dict | None:
        return self.store.load_tokens().get(token)


def _json(data: Any, status: int = 200, headers: dict | None = None):
    from fastapi.responses import JSONResponse

    return JSONResponse(data, status_code=status, headers=headers)


def _error_response(err: HubHTTPError):
    headers = {"X-Error-Message": err.message.encode("ascii", "replace").decode("ascii")}
    if err.code:
        headers["X-Error-Code"] = err.code
    headers.update(err.headers)
    body = {"error": err.message if not err.body_message else f"{err.message}: {err.body_message}", **err.extra}
    return _json(body, status=err.status, headers=headers)


def create_app(state: _HubState):
    """The FastAPI app of the practice hub (one catch-all route dispatching on the raw, still
    percent-encoded path, because the client percent-encodes revisions such as ``refs%2Fpr%2F1``)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, Response, StreamingResponse
    from starlette.concurrency import run_in_threadpool

    app = FastAPI(title="hflab practice hub", docs_url=None, redoc_url=None, openapi_url=None)
    store = state.store

    # ------------------------------------------------------------ auth
    def auth(request: Request) -> dict | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        record = state.lookup_token(token) if scheme.lower() == "bearer" and token else None
        if record is None:
            raise HubHTTPError(401, _INVALID_CREDENTIALS)
        if record.get("revoked"):
            # Same status and header as any invalid token; the body says why (practice hub only).
            raise HubHTTPError(401, _INVALID_CREDENTIALS, body_message="This token has been revoked.")
        return record

    def require_write(user: dict | None, namespace: str, what: str) -> None:
        if user is None:
            raise HubHTTPError(401, "You must be authenticated (use a write token) to " + what)
        if user.get("role") not in ("write", "admin"):
            raise HubHTTPError(
                403, f"You don't have the rights to {what}: this is a read-only token. Use a write token."
            )
        if user["user"] != namespace:
            raise HubHTTPError(
                403, f"You don't have the rights to {what} under the namespace \"{namespace}\""
            )

    def can_read(meta: dict, user: dict | None) -> bool:
        return not meta["private"] or (user is not None and user["user"] == meta["id"].split("/")[0])

    def get_repo(repo_type: str, repo_id: str, user: dict | None) -> dict:
        meta = store.load_repo(repo_type, repo_id)
        if meta is None or not can_read(meta, user):
            if user is None:  # the Hub answers 401 to anonymous requests on missing/private repos
                raise HubHTTPError(401, "Repository not found", "RepoNotFound")
            raise _not_found_repo()
        return meta

    def check_gated(meta: dict, user: dict | None, base: str) -> None:
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
            )
        raise HubHTTPError(
            403,
            f"Access to {kind} {meta['id']} is restricted and you are not in the authorized list. "
            f"Visit {url} to ask for access.",
            "GatedRepo",
        )

    def resolve(meta: dict, revision: str) -> str:
        sha = store.resolve_revision(meta, revision)
        if sha is None:
            raise HubHTTPError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return sha

    # ------------------------------------------------------------ views
    def last_commits(meta: dict, sha: str, paths: Iterable[str]) -> dict[str, dict]:
        """path (file or folder) -> the latest commit that changed it, walking first parents."""
        wanted = set(paths)
        out: dict[str, dict] = {}
        hist = store.history(meta, sha)
        for i, c in enumerate(hist):
            parent_tree = hist[i + 1]["tree"] if i + 1 < len(hist) else {}
            changed = {p for p in set(c["tree"]) | set(parent_tree)
                       if (c["tree"].get(p) or {}).get("sha256") != (parent_tree.get(p) or {}).get("sha256")}
            for w in list(wanted):
                if w in changed or any(p.startswith(w.rstrip("/") + "/") for p in changed) or w == "":
                    out[w] = {"id": c["id"], "title": c["title"], "date": c["date"]}
                    wanted.discard(w)
            if not wanted:
                break
        return out

    def entry_json(path: str, e: dict) -> dict:
        d = {"type": "file", "oid": e["git_oid"], "size": e["size"], "path": path}
        if e["lfs"]:
            d["lfs"] = dict(e["lfs"])
        return d

    def folder_oid(entries: dict, prefix: str) -> str:
        h = hashlib.sha1()
        for p in sorted(entries):
            if p.startswith(prefix + "/"):
                h.update(p.encode() + b"\0" + entries[p]["git_oid"].encode())
        return h.hexdigest()

    def tree_listing(meta: dict, sha: str, path: str, recursive: bool, expand: bool) -> list[dict]:
        entries = store.entries(meta, sha)
        path = path.strip("/")
        if path and path in entries:
            items = [entry_json(path, entries[path])]
        else:
            prefix = path + "/" if path else ""
            under = [p for p in entries if p.startswith(prefix)]
            if path and not under:
                raise HubHTTPError(404, f"Entry not found: {path}", "EntryNotFound")
            items, folders = [], {}
            for p in sorted(under):
                rest = p[len(prefix):].split("/")
                for depth in range(1, len(rest)):
                    if not recursive and depth > 1:
                        break
                    folder = prefix + "/".join(rest[:depth])
                    folders.setdefault(folder, None)
                if recursive or len(rest) == 1:
                    items.append(entry_json(p, entries[p]))
            items += [{"type": "directory", "oid": folder_oid(entries, f), "size": 0, "path": f} for f in folders]
            items.sort(key=lambda d: (d["type"] != "directory", d["path"]))
        if expand:
            lc = last_commits(meta, sha, [d["path"] for d in items])
            for d in items:
                d["lastCommit"] = lc.get(d["path"])
                if d["type"] == "file":
                    d["securityFileStatus"] = {"status": "safe", "avScan": {"virusFound": False, "virusNames": None},
                                               "pickleImportScan": None}
        return items

    def repo_info(meta: dict, sha: str, base: str, params) -> dict:
        entries = store.entries(meta, sha)
        commit = store.load_commit(meta, sha)
        blobs = params.get("blobs", "").lower() in ("1", "true")
        siblings = []
        for path in sorted(entries):
            s: dict[str, Any] = {"rfilename": path}
            if blobs:
                e = entries[path]
                s.update(size=e["size"], blobId=e["git_oid"])
                if e["lfs"]:
                    s["lfs"] = {"size": e["size"], "sha256": e["sha256"], "pointerSize": e["lfs"]["pointerSize"]}
            siblings.append(s)
        readme = entries.get("README.md")
        card = _front_matter(store.read_blob(readme["sha256"])) if readme else None
        ns = meta["id"].split("/")[0]
        info: dict[str, Any] = {
            "_id": meta.get("_id"),
            "id": meta["id"],
            "author": ns,
            "sha": sha,
            "lastModified": commit["date"],
            "createdAt": meta["createdAt"],
            "private": meta["private"],
            "gated": meta.get("gated") or False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list((card or {}).get("tags") or []) if isinstance((card or {}).get("tags"), list) else [],
            "siblings": siblings,
            "usedStorage": sum(e["size"] for e in entries.values()),
        }
        if card is not None:
            info["cardData"] = card
        if meta["type"] == "model":
            cfg = entries.get("config.json")
            if cfg:
                try:
                    c = json.loads(store.read_blob(cfg["sha256"]))
                    info["config"] = {k: c[k] for k in ("architectures", "model_type") if k in c}
                except Exception:
                    pass
            if card and card.get("library_name"):
                info["library_name"] = card["library_name"]
            elif cfg:
                info["library_name"] = "transformers"
            if card and card.get("pipeline_tag"):
                info["pipeline_tag"] = card["pipeline_tag"]
        if meta["type"] == "space":
            info["sdk"] = (card or {}).get("sdk") or meta.get("sdk")
            info["subdomain"] = meta["id"].replace("/", "-").lower()
            info["runtime"] = space_runtime(meta, entries, card)
        expand = params.getlist("expand") + params.getlist("expand[]")
        if expand:
            info = {k: v for k, v in info.items() if k in expand or k in ("_id", "id")}
        return info

    def space_runtime(meta: dict, entries: dict, card: dict | None) -> dict:
        app_file = (card or {}).get("app_file") or "app.py"
        stage = "NO_APP_FILE" if app_file not in entries and meta.get("sdk") != "docker" else "PAUSED"
        return {"stage": stage, "hardware": {"current": None, "requested": "cpu-basic"},
                "storage": None, "gcTimeout": None, "replicas": {"current": 0, "requested": 1},
                "errorMessage": None if stage == "NO_APP_FILE" else
                "The practice hub stores Space files but does not run them."}

    def file_response(request: Request, meta: dict, sha: str, path: str):
        entries = store.entries(meta, sha)
        e = entries.get(path)
        if e is None:
            raise HubHTTPError(404, "Entry not found", "EntryNotFound", headers={"X-Repo-Commit": sha})
        size = e["size"]
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{e["sha256"] if e["lfs"] else e["git_oid"]}"',
            "Accept-Ranges": "bytes",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
            "Access-Control-Expose-Headers": "X-Repo-Commit,ETag,X-Linked-Etag,X-Linked-Size,X-Error-Code",
        }
        if e["lfs"]:
            headers["X-Linked-Etag"] = f'"{e["sha256"]}"'
            headers["X-Linked-Size"] = str(size)
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "application/json":
            ctype += "; charset=utf-8"
        headers["Content-Type"] = ctype
        start, end, status = 0, size - 1, 200
        rng = request.headers.get("range")
        if rng:
            m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", rng)
            if not m or (not m.group(1) and not m.group(2)):
                raise HubHTTPError(416, "Invalid range", headers={"Content-Range": f"bytes */{size}"})
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                start, end = max(size - int(m.group(2)), 0), size - 1
            if start >= size or start > end:
                raise HubHTTPError(416, "Requested range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(end - start + 1, 0)
        headers["Content-Length"] = str(length)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        blob = store.blob_path(e["sha256"])

        def chunks() -> Iterator[bytes]:
            with open(blob, "rb") as f:
                f.seek(start)
                left = length
                while left > 0:
                    data = f.read(min(1 << 20, left))
                    if not data:
                        break
                    left -= len(data)
                    yield data

        return StreamingResponse(chunks(), status_code=status, headers=headers)

    # ------------------------------------------------------------ handlers
    def handle_whoami(request: Request, user: dict | None):
        if user is None:
            raise HubHTTPError(401, _INVALID_CREDENTIALS)
        name = user["user"]
        return _json({
            "type": "user",
            "id": hashlib.sha1(name.encode()).hexdigest()[:24],
            "name": name,
            "fullname": f"{name} (practice hub)",
            "email": f"{name}@practice-hub.invalid",
            "emailVerified": True,
            "canPay": False,
            "isPro": False,
            "periodEnd": None,
            "avatarUrl": "",
            "orgs": [],
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": user.get("name", "practice"), "role": user.get("role", "read"),
                                     "createdAt": user.get("created", _now_iso())}},
        })

    def handle_create(request: Request, user: dict | None, body: dict):
        name = body.get("name")
        ns = body.get("organization") or (user["user"] if user else None)
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HubHTTPError(400, f"Invalid repo type: {repo_type!r}")
        if not isinstance(name, str) or not _NAME_RE.match(name) or "--" in name or ".." in name:
            raise HubHTTPError(400, f"Invalid repo name: {name!r}")
        if user is None:
            raise HubHTTPError(401, "You must be authenticated to create a repo")
        require_write(user, ns, f"create a {repo_type}")
        sdk = body.get("sdk")
        if repo_type == "space" and sdk not in _SPACE_SDKS:
            raise HubHTTPError(400, f"Invalid space sdk: {sdk!r}")
        private = body.get("private")
        if body.get("visibility") is not None:
            private = body["visibility"] == "private"
        repo_id = f"{ns}/{name}"
        base = str(request.base_url).rstrip("/")
        url = f"{base}/{_URL_PREFIX[repo_type]}{repo_id}"
        try:
            store.create_repo(repo_type, repo_id, private=bool(private), sdk=sdk, author=user["user"])
        except HubHTTPError as err:
            err.extra["url"] = url  # the Hub's 409 carries the url (create_repo(exist_ok=True) reads it)
            raise
        return _json({"url": url, "name": repo_id, "id": repo_id})

    def handle_delete(request: Request, user: dict | None, body: dict):
        repo_type = body.get("type") or "model"
        ns = body.get("organization") or (user["user"] if user else "")
        repo_id = f"{ns}/{body.get('name')}"
        get_repo(repo_type, repo_id, user)
        require_write(user, ns, f"delete this {repo_type}")
        store.delete_repo(repo_type, repo_id)
        return _json({})

    def handle_validate_yaml(body: dict):
        content = body.get("content") or ""
        m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.S)
        if m:
            try:
                import yaml

                data = yaml.safe_load(m.group(1))
                if data is not None and not isinstance(data, dict):
                    raise ValueError("metadata must be a mapping")
            except Exception as e:  # noqa: BLE001 - report any YAML problem as the Hub does
                msg = f"Invalid YAML metadata: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
                return _json({"errors": [{"message": msg}], "warnings": []}, status=400,
                             headers={"X-Error-Message": msg.encode("ascii", "replace").decode()})
        return _json({"errors": [], "warnings": []})

    def handle_list(request: Request, user: dict | None, repo_type: str):
        author = request.query_params.get("author")
        search = request.query_params.get("search")
        out = []
        for meta in store.list_repos(repo_type):
            if not can_read(meta, user):
                continue
            if author and meta["id"].split("/")[0] != author:
                continue
            if search and search.lower() not in meta["id"].lower():
                continue
            sha = meta["refs"]["heads"].get("main")
            commit = store.load_commit(meta, sha) if sha else None
            out.append({"_id": meta.get("_id"), "id": meta["id"], "author": meta["id"].split("/")[0],
                        "private": meta["private"], "gated": meta.get("gated") or False, "sha": sha,
                        "lastModified": commit["date"] if commit else meta["createdAt"],
                        "createdAt": meta["createdAt"], "downloads": 0, "likes": 0, "tags": []})
        return _json(out)

    def handle_repo(request: Request, user: dict | None, method: str, repo_type: str, repo_id: str,
                    rest: list[str], body: bytes):
        base = str(request.base_url).rstrip("/")
        params = request.query_params
        meta = get_repo(repo_type, repo_id, user)
        ns = repo_id.split("/")[0]
        action = rest[0] if rest else ""
        if method == "GET" and action == "":
            return _json(repo_info(meta, resolve(meta, "main"), base, params))
        if method == "GET" and action == "revision" and len(rest) >= 2:
            return _json(repo_info(meta, resolve(meta, "/".join(rest[1:])), base, params))
        if method == "GET" and action == "tree" and len(rest) >= 2:
            sha = resolve(meta, rest[1])
            check_gated(meta, user, base)
            recursive = params.get("recursive", "false").lower() in ("1", "true")
            expand = params.get("expand", "false").lower() in ("1", "true")
            return _json(tree_listing(meta, sha, "/".join(rest[2:]), recursive, expand))
        if method == "POST" and action == "paths-info" and len(rest) >= 2:
            sha = resolve(meta, "/".join(rest[1:]))
            check_gated(meta, user, base)
            form = parse_qs(body.decode("utf-8", "replace")) if body else {}
            if not form and body:
                try:
                    form = {k: v if isinstance(v, list) else [v] for k, v in json.loads(body).items()}
                except Exception:
                    form = {}
            paths = [p.strip("/") for p in form.get("paths", [])]
            expand = str((form.get("expand") or ["false"])[0]).lower() in ("1", "true")
            entries = store.entries(meta, sha)
            items = []
            for p in paths:
                if p in entries:
                    items.append(entry_json(p, entries[p]))
                elif p and any(q.startswith(p + "/") for q in entries):
                    items.append({"type": "directory", "oid": folder_oid(entries, p), "size": 0, "path": p})
            if expand:
                lc = last_commits(meta, sha, [d["path"] for d in items])
                for d in items:
                    d["lastCommit"] = lc.get(d["path"])
            return _json(items)
        if method == "GET" and action == "refs":
            def ref(name: str, full: str, target: str) -> dict:
                return {"name": name, "ref": full, "targetCommit": target}

            r = meta["refs"]
            return _json({
                "branches": [ref(n, f"refs/heads/{n}", s) for n, s in r["heads"].items()],
                "converts": [],
                "tags": [ref(n, f"refs/tags/{n}", s) for n, s in r["tags"].items()],
                "pullRequests": [ref(f"refs/pr/{n}", f"refs/pr/{n}", s) for n, s in r["pr"].items()],
            })
        if method == "GET" and action == "commits" and len(rest) >= 2:
            sha = resolve(meta, "/".join(rest[1:]))
            return _json([{"id": c["id"], "title": c["title"], "message": c["message"], "date": c["date"],
                           "authors": [{"user": a} for a in c.get("authors", [])]}
                          for c in store.history(meta, sha)])
        if method == "POST" and action == "preupload" and len(rest) >= 2:
            require_write(user, ns, f"upload to this {repo_type}")
            payload = _load_json(body)
            files = payload.get("files")
            if not isinstance(files, list):
                raise HubHTTPError(400, "Expected {'files': [...]}")
            sha = store.resolve_revision(meta, "/".join(rest[1:]))
            entries = store.entries(meta, sha) if sha else {}
            ga = entries.get(".gitattributes")
            patterns = _lfs_patterns(store.read_blob(ga["sha256"])) if ga else []
            out = []
            for f in files:
                path = f.get("path") if isinstance(f, dict) else None
                if not _valid_path(path):
                    raise HubHTTPError(400, f"Invalid path: {path!r}")
                size = f.get("size") if isinstance(f.get("size"), int) else 0
                # Like the Hub: paths tracked by .gitattributes (and files over 10 MB) go through Git LFS
                # (batch + PUT); everything else is "regular" (content inline in the commit call).
                # "oid" = the current content's id so the client can skip unchanged files.
                lfs = size > 0 and (_is_lfs_path(path, patterns) or size > _REGULAR_MAX)
                existing = entries.get(path)
                oid = (existing["sha256"] if lfs else existing["oid"]) if existing else None
                out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                            "oid": oid})
            return _json({"files": out, "commitOid": sha})
        if method == "POST" and action == "commit" and len(rest) >= 2:
            require_write(user, ns, f"commit to this {repo_type}")
            revision = "/".join(rest[1:])
            lines = [ln for ln in body.splitlines() if ln.strip()]
            try:
                items = [json.loads(ln) for ln in lines]
            except json.JSONDecodeError:
                items = None
            if items and len(items) == 1 and isinstance(items[0], dict) and "summary" in items[0]:
                # application/json form: {"summary", "description", "files": [...], "deletedFiles": [...]}
                j = items[0]
                items = [{"key": "header", "value": {"summary": j.get("summary"), "description": j.get("description"),
                                                     "parentCommit": j.get("parentCommit")}}]
                items += [{"key": "file", "value": f} for f in j.get("files") or []]
                items += [{"key": "lfsFile", "value": f} for f in j.get("lfsFiles") or []]
                items += [{"key": "deletedFile", "value": f} for f in j.get("deletedFiles") or []]
            if not items or not all(isinstance(i, dict) for i in items) or items[0].get("key") != "header":
                raise HubHTTPError(400, "The commit payload must be NDJSON starting with a 'header' line")
            header = items[0].get("value") or {}
            title = str(header.get("summary") or "").strip()
            if not title:
                raise HubHTTPError(400, "Commit summary (title) is required")
            create_pr = params.get("create_pr", "").lower() in ("1", "true")
            sha, pr = store.commit(meta, revision, items[1:], title=title,
                                   message=str(header.get("description") or ""), author=user["user"],
                                   parent_commit=header.get("parentCommit"), create_pr=create_pr)
            url_repo = f"{base}/{_URL_PREFIX[repo_type]}{repo_id}"
            return _json({"success": True, "commitOid": sha, "commitUrl": f"{url_repo}/commit/{sha}",
                          "hookOutput": "",
                          "pullRequestUrl": f"{url_repo}/discussions/{pr}" if pr else None})
        if action == "branch" and len(rest) >= 2 and method in ("POST", "DELETE"):
            require_write(user, ns, f"manage branches of this {repo_type}")
            branch = "/".join(rest[1:])
            with store.lock:
                meta = store.load_repo(repo_type, repo_id)
                heads = meta["refs"]["heads"]
                if method == "DELETE":
                    if branch not in heads:
                        raise HubHTTPError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
                    if branch == "main":
                        raise HubHTTPError(403, "Cannot delete the main branch")
                    del heads[branch]
                else:
                    if branch.startswith("refs/") or not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
                        raise HubHTTPError(400, f"Invalid reference for a branch: {branch}")
                    if branch in heads:
                        raise HubHTTPError(409, f"Reference already exists: refs/heads/{branch}")
                    start = _load_json(body).get("startingPoint") or "main"
                    heads[branch] = resolve(meta, start)
                store.save_repo(meta)
            return _json({})
        if action == "tag" and len(rest) >= 2 and method in ("POST", "DELETE"):
            require_write(user, ns, f"manage tags of this {repo_type}")
            with store.lock:
                meta = store.load_repo(repo_type, repo_id)
                tags = meta["refs"]["tags"]
                if method == "DELETE":
                    tag = "/".join(rest[1:])
                    if tag not in tags:
                        raise HubHTTPError(404, f"Invalid rev id: {tag}", "RevisionNotFound")
                    del tags[tag]
                else:
                    tag = str(_load_json(body).get("tag") or "")
                    if not re.fullmatch(r"[A-Za-z0-9._/-]+", tag):
                        raise HubHTTPError(400, f"Invalid tag name: {tag!r}")
                    if tag in tags:
                        raise HubHTTPError(409, f"Tag already exists: {tag}")
                    tags[tag] = resolve(meta, "/".join(rest[1:]))
                store.save_repo(meta)
            return _json({})
        if method == "PUT" and action == "settings":
            require_write(user, ns, f"change the settings of this {repo_type}")
            payload = _load_json(body)
            with store.lock:
                meta = store.load_repo(repo_type, repo_id)
                if "gated" in payload:
                    if payload["gated"] not in ("auto", "manual", False):
                        raise HubHTTPError(400, "gated must be 'auto', 'manual' or false")
                    meta["gated"] = payload["gated"]
                if "private" in payload:
                    meta["private"] = bool(payload["private"])
                if "visibility" in payload:
                    meta["private"] = payload["visibility"] == "private"
                store.save_repo(meta)
            return _json({})
        if method == "GET" and action == "runtime" and repo_type == "space":
            sha = resolve(meta, "main")
            entries = store.entries(meta, sha)
            readme = entries.get("README.md")
            card = _front_matter(store.read_blob(readme["sha256"])) if readme else None
            return _json(space_runtime(meta, entries, card))
        raise HubHTTPError(404, f"The practice hub does not implement {method} /api/{repo_type}s/{repo_id}/"
                                f"{'/'.join(rest)}")

    def handle_lfs(request: Request, user: dict | None, repo_type: str, repo_id: str, action: str, body: bytes):
        """Git LFS batch API (basic transfer): the client PUTs each object to a one-time URL on this hub."""
        base = str(request.base_url).rstrip("/")
        get_repo(repo_type, repo_id, user)
        require_write(user, repo_id.split("/")[0], f"upload to this {repo_type}")
        payload = _load_json(body)
        if action == "verify":
            oid, size = str(payload.get("oid", "")), payload.get("size")
            path = store.blob_path(oid) if re.fullmatch(r"[0-9a-f]{64}", oid) else None
            if path is None or not path.is_file() or path.stat().st_size != size:
                raise HubHTTPError(404, f"LFS object {oid} was not uploaded")
            return _json({"success": True})
        if payload.get("operation") != "upload" or not isinstance(payload.get("objects"), list):
            raise HubHTTPError(400, "Only the 'upload' operation of the LFS batch API is supported")
        objects = []
        for obj in payload["objects"]:
            oid, size = str(obj.get("oid", "")), obj.get("size")
            if not re.fullmatch(r"[0-9a-f]{64}", oid) or not isinstance(size, int) or size < 0:
                objects.append({"oid": oid, "size": size if isinstance(size, int) else 0,
                                "error": {"code": 422, "message": "Invalid oid or size"}})
                continue
            if store.blob_path(oid).is_file():
                objects.append({"oid": oid, "size": size, "authenticated": True})  # already there: no actions
                continue
            upload_id = secrets.token_urlsafe(24)
            with state.lock:
                state.uploads[upload_id] = (oid, size)
            objects.append({
                "oid": oid, "size": size, "authenticated": True,
                "actions": {"upload": {"href": f"{base}/lfs-upload/{upload_id}", "expires_in": 3600},
                            "verify": {"href": f"{base}/{_URL_PREFIX[repo_type]}{repo_id}.git/info/lfs/objects/verify"}},
            })
        return _json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                     headers={"Content-Type": "application/vnd.git-lfs+json"})

    def handle_lfs_put(upload_id: str, body: bytes):
        with state.lock:
            expected = state.uploads.pop(upload_id, None)
        if expected is None:
            raise HubHTTPError(403, "Unknown or already used upload URL")
        oid, size = expected
        if len(body) != size or hashlib.sha256(body).hexdigest() != oid:
            raise HubHTTPError(400, "Uploaded content does not match the announced sha256/size")
        store.put_blob(body)
        return Response(status_code=200)

    def handle_resolve(request: Request, user: dict | None, repo_type: str, repo_id: str, rest: list[str]):
        # rest = [revision, *path]
        base = str(request.base_url).rstrip("/")
        if len(rest) < 2:
            raise HubHTTPError(404, "Entry not found", "EntryNotFound")
        meta = get_repo(repo_type, repo_id, user)
        sha = resolve(meta, rest[0])
        check_gated(meta, user, base)
        return file_response(request, meta, sha, "/".join(rest[1:]))

    def handle_page(request: Request, user: dict | None, repo_type: str | None, repo_id: str | None):
        """Tiny HTML pages so a repo URL printed by the client opens something useful."""
        base = str(request.base_url).rstrip("/")
        if repo_id is None:
            rows = []
            for t in REPO_TYPES:
                for meta in store.list_repos(t):
                    if can_read(meta, user):
                        link = f"{base}/{_URL_PREFIX[t]}{meta['id']}"
                        rows.append(f"<li>{t}: <a href='{html.escape(link)}'>{html.escape(meta['id'])}</a>"
                                    f"{' (private)' if meta['private'] else ''}</li>")
            body = "<h1>hflab practice hub</h1><p>연습용 로컬 허브 (127.0.0.1)</p><ul>" + "".join(rows) + "</ul>"
            return HTMLResponse(body)
        meta = get_repo(repo_type, repo_id, user)
        sha = resolve(meta, "main")
        entries = store.entries(meta, sha)
        rows = "".join(
            f"<li><a href='{html.escape(base)}/{_URL_PREFIX[repo_type]}{html.escape(repo_id)}/resolve/main/"
            f"{html.escape(quote(p))}'>{html.escape(p)}</a> ({e['size']} B{', LFS' if e['lfs'] else ''})</li>"
            for p, e in sorted(entries.items())
        )
        return HTMLResponse(f"<h1>{html.escape(repo_id)}</h1><p>{repo_type} · commit {sha}</p><ul>{rows}</ul>")

    # ------------------------------------------------------------ dispatcher
    def dispatch(request: Request, segs: list[str], body: bytes):
        method = request.method
        user = auth(request)
        if segs[:1] == ["api"]:
            api = segs[1:]
            if api == ["whoami-v2"] and method == "GET":
                return handle_whoami(request, user)
            if api == ["repos", "create"] and method == "POST":
                return handle_create(request, user, _load_json(body))
            if api == ["repos", "delete"] and method == "DELETE":
                return handle_delete(request, user, _load_json(body))
            if api == ["validate-yaml"] and method == "POST":
                return handle_validate_yaml(_load_json(body))
            if api[:1] == ["telemetry"]:
                return _json({})
            if len(api) == 1 and api[0] in _PLURAL and method == "GET":
                return handle_list(request, user, _PLURAL[api[0]])
            if len(api) >= 3 and api[0] in _PLURAL:
                return handle_repo(request, user, method, _PLURAL[api[0]], f"{api[1]}/{api[2]}", api[3:], body)
            raise HubHTTPError(404, f"The practice hub does not implement {method} /{'/'.join(segs)}")
        repo_type = "model"
        rest = segs
        if segs[:1] in (["datasets"], ["spaces"]):
            repo_type, rest = _PLURAL[segs[0]], segs[1:]
        if method == "PUT" and len(segs) == 2 and segs[0] == "lfs-upload":
            return handle_lfs_put(segs[1], body)
        if (method == "POST" and len(rest) == 6 and rest[1].endswith(".git")
                and rest[2:5] == ["info", "lfs", "objects"] and rest[5] in ("batch", "verify")):
            return handle_lfs(request, user, repo_type, f"{rest[0]}/{rest[1][:-4]}", rest[5], body)
        service = _git_service(method, rest, request.query_params.get("service"))
        if service is not None:
            return _git_not_served(str(request.base_url).rstrip("/"), repo_type, rest, service)
        if method in ("GET", "HEAD") and len(rest) >= 3 and rest[2] == "resolve":
            return handle_resolve(request, user, repo_type, f"{rest[0]}/{rest[1]}", rest[3:])
        if method == "GET" and not segs:
            return handle_page(request, user, None, None)
        if method == "GET" and len(rest) == 2:
            return handle_page(request, user, repo_type, f"{rest[0]}/{rest[1]}")
        raise HubHTTPError(404, f"The practice hub does not implement {method} /{'/'.join(segs)}")

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

    # a plain Starlette route (no FastAPI parameter injection): the handler reads the raw path itself
    app.add_route("/{full_path:path}", catch_all, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])

    def _safe_dispatch(request, segs, body):
        try:
            return dispatch(request, segs, body)
        except HubHTTPError as err:
            return _error_response(err)
        except Exception as err:  # noqa: BLE001 - the server must never crash on a bad request
            logger.warning("practice hub: internal error on %s %s: %s", request.method, "/".join(segs),
                           type(err).__name__)
            return _error_response(HubHTTPError(500, f"Internal error in the practice hub ({type(err).__name__})"))

    return app


def _git_service(method: str, rest: list[str], service: str | None) -> str | None:
    """The git smart-HTTP service a request asks for (``git-upload-pack`` = clone/fetch/pull,
    ``git-receive-pack`` = push), or None when it is not a git request."""
    if method in ("GET", "HEAD") and len(rest) >= 3 and rest[-2:] == ["info", "refs"]:
        return service if service in ("git-upload-pack", "git-receive-pack") else "git-upload-pack"
    if method == "POST" and len(rest) >= 2 and rest[-1] in ("git-upload-pack", "git-receive-pack"):
        return rest[-1]
    return None


def _git_not_served(base: str, repo_type: str, rest: list[str], service: str):
    """403 with a Korean message git prints as ``remote: ...`` lines (smart-HTTP errors sent as text/plain):
    git is not served here, and the ``hf`` command that does the same. Used in: 01_hub_token, 10_sharing
    (learners who follow the old ``Repository`` / ``git clone`` habit of the seed notes)."""
    from fastapi.responses import PlainTextResponse

    parts = rest[:-2] if rest[-2:] == ["info", "refs"] else rest[:-1]
    repo_id = "/".join(parts).removesuffix(".git") or "student/my-repo"
    folder = repo_id.rsplit("/", 1)[-1]
    flag = "" if repo_type == "model" else f" --repo-type {repo_type}"
    env = f"HF_ENDPOINT={base} HF_HUB_DISABLE_XET=1"
    if service == "git-receive-pack":
        what, cmd = "올리기(git push)", f"{env} hf upload {repo_id} ./{folder} .{flag}"
        py = f'HfApi().upload_folder(repo_id="{repo_id}", folder_path="{folder}"{_py_type(repo_type)})'
    else:
        what, cmd = "받기(git clone / pull)", f"{env} hf download {repo_id}{flag} --local-dir {folder}"
        py = f'snapshot_download("{repo_id}", local_dir="{folder}"{_py_type(repo_type)})'
    text = (f"hflab 연습 허브는 git 을 서비스하지 않습니다: git clone / pull / push 는 여기서 되지 않습니다.\n"
            f"예전의 Repository(...)·git 방식 대신 hf 명령(huggingface_hub)으로 {what}를 하세요:\n"
            f"  {cmd}\n"
            f"파이썬에서는: {py}\n"
            f"(토큰은 HF_TOKEN 에 연습 허브의 토큰을 두세요: hflab hub 가 토큰 파일의 위치를 알려 줍니다.)\n"
            f"The hflab practice hub does not serve git; use the hf CLI: {cmd}\n")
    return PlainTextResponse(text, status_code=403, media_type="text/plain; charset=utf-8")


def _py_type(repo_type: str) -> str:
    return "" if repo_type == "model" else f', repo_type="{repo_type}"'


def _load_json(body: bytes) -> dict:
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HubHTTPError(400, "Invalid JSON body") from None
    if not isinstance(data, dict):
        raise HubHTTPError(400, "Expected a JSON object")
    return data


# --------------------------------------------------------------------------------------------------
# the hub object: start/stop, tokens, seeding, faults, activation
# --------------------------------------------------------------------------------------------------
_ACTIVE: "PracticeHub | None" = None
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


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
        self.root = Path(root) if root is not None else default_root()
        if fresh and (self.root / "repos").exists():
            shutil.rmtree(self.root / "repos", ignore_errors=True)
            shutil.rmtree(self.root / "blobs", ignore_errors=True)
        self.store = HubStore(self.root)
        self._state = _HubState(self.store)
        self.host = host
        self.port = int(port)
        self.username = DEFAULT_USER
        self._server = None
        self._thread: threading.Thread | None = None
        self._saved: dict | None = None
        with self.store.lock:
            known = self.store.load_tokens()
            changed = False
            if not any(r.get("name") == "practice-write" and r.get("user") == DEFAULT_USER for r in known.values()):
                known[_new_token()] = {"user": DEFAULT_USER, "role": "write", "name": "practice-write",
                                       "created": _now_iso()}
                changed = True
            if not any(r.get("name") == "practice-read" and r.get("user") == DEFAULT_USER for r in known.values()):
                known[_new_token()] = {"user": DEFAULT_USER, "role": "read", "name": "practice-read",
                                       "created": _now_iso()}
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
        return self._named_token("practice-write")

    @property
    def read_token(self) -> str:
        """Read-only token of the practice user."""
        return self._named_token("practice-read")

    def add_token(self, user: str = DEFAULT_USER, role: str = "write", name: str | None = None) -> str:
        """Create a new token for ``user`` (role ``read`` or ``write``) and return it."""
        if role not in ("read", "write"):
            raise ValueError("role must be 'read' or 'write'")
        tok = _new_token()
        with self.store.lock:
            tokens = self.store.load_tokens()
            tokens[tok] = {"user": user, "role": role, "name": name or f"{role}-{len(tokens)}",
                           "created": _now_iso()}
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
            from .errors import HflabError

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

    def start(self, *, activate: bool = False, export_token: bool = False, timeout: float = 20.0) -> "PracticeHub":
        """Start serving in a background thread; returns ``self`` (``.endpoint`` is then known)."""
        if self.running:
            return self
        from .errors import HflabError

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
    def activate(self, *, export_token: bool = False) -> "PracticeHub":
        """Point huggingface_hub / transformers / datasets (already imported or not) at this hub and lift
        ``HF_HUB_OFFLINE`` for loopback hosts only. See the module docstring. Undo with :meth:`deactivate`."""
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
            os.environ["HF_TOKEN"] = self.token
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
    def activated(self, *, export_token: bool = False) -> Iterator["PracticeHub"]:
        """``with hub.activated(): ...`` = :meth:`activate` then :meth:`deactivate`."""
        self.activate(export_token=export_token)
        try:
            yield self
        finally:
            self.deactivate()


def _import_time_apis() -> list:
    """``HfApi`` objects the libraries build once and keep, with the endpoint of that moment: the one behind
    ``huggingface_hub.create_repo`` / ``upload_file`` / ``ModelCard.push_to_hub`` (``huggingface_hub.hf_api.api``)
    and the one behind ``model.push_to_hub`` / ``Trainer.push_to_hub`` (``transformers.utils.hub.hf_api()``,
    created on first use, e.g. by ``from_pretrained`` from the offline mirror)."""
    apis = []
    hf_api_mod = sys.modules.get("huggingface_hub.hf_api")
    if hf_api_mod is not None and getattr(hf_api_mod, "api", None) is not None:
        apis.append(hf_api_mod.api)
    tf_hub = sys.modules.get("transformers.utils.hub")
    if tf_hub is not None and getattr(tf_hub, "_hf_api", None) is not None:
        apis.append(tf_hub._hf_api)
    return apis


def _set_datasets_config(endpoint: str, *, offline: bool) -> None:
    ds = sys.modules.get("datasets.config")
    if ds is None:
        return
    ds.HF_ENDPOINT = endpoint
    ds.HUB_DATASETS_URL = endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}"
    ds.HF_HUB_OFFLINE = offline
    ds.HF_DATASETS_OFFLINE = offline


def _loopback_only(request) -> None:
    """httpx request hook installed while an offline notebook uses the practice hub."""
    host = (request.url.host or "").lower()
    if host not in _LOOPBACK:
        from huggingface_hub.errors import OfflineModeIsEnabled

        raise OfflineModeIsEnabled(
            f"Cannot reach {request.url.host}: offline mode is enabled (HF_HUB_OFFLINE=1); only the local "
            "practice hub (127.0.0.1) is reachable."
        )


def _new_token() -> str:
    return "hf_" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") for _ in range(34))


def serve_forever(root: str | os.PathLike | None = None, port: int = 8765, host: str = "127.0.0.1") -> None:
    """Run the practice hub in the foreground until Ctrl+C (for ``hflab hub``); ``port=0`` picks a free one.

    Prints the endpoint, the masked tokens and the file that holds them (never the tokens themselves).
    """
    hub = PracticeHub(root, port=port, host=host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        from .errors import HflabError

        raise HflabError(f"연습 허브가 {host}:{port} 포트를 열 수 없습니다 (이미 사용 중).",
                         fix="--port 로 다른 포트를 고르거나 (0 = 빈 포트), 이미 떠 있는 허브를 종료하세요.") from None
    hub.port = sock.getsockname()[1]
    print(f"hflab 연습 허브: {hub.endpoint}  (저장 위치: {hub.root})", flush=True)
    print(f"  사용자 {hub.username}: 쓰기 토큰 {_mask(hub.token)}, 읽기 토큰 {_mask(hub.read_token)} "
          f"(토큰 파일: {hub.store.tokens_path})", flush=True)
    print(f"  다른 터미널/노트북: HF_ENDPOINT={hub.endpoint} HF_HUB_DISABLE_XET=1 로 설정하고 위 파일의 토큰을 쓰세요. "
          "종료: Ctrl+C", flush=True)
    hub._make_server().run(sockets=[sock])
