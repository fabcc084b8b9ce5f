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

Bad input never crashes the hub: every route (:data:`ROUTES`) answers malformed bodies (not JSON, invalid
UTF-8, lone surrogates, deep nesting, wrong JSON types) with a 4xx in the Hub's error shape whose ``error``
text ends with a Korean line, and refuses what the Hub refuses: invalid repo names, file paths with ``..``
or a component over 255 bytes, branch/tag names git would not take, booleans that are not JSON booleans.

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

__all__ = ["PracticeHub", "serve_forever", "create_app", "DEFAULT_USER", "default_root", "ROUTES"]

#: the practice account every generated token belongs to
DEFAULT_USER = "student"
REPO_TYPES = ("model", "dataset", "space")
_PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_SPACE_SDKS = ("gradio", "docker", "static", "streamlit")
# The Hub's repo (and namespace) names: ASCII letters, digits, "-", "_", "."; at most 96 characters; no "--" or
# ".."; "-" and "." neither first nor last; not ending in ".git" (_name_problem). These are the rules
# huggingface_hub.utils.validate_repo_id applies before it sends a repo id.
_NAME_RE = re.compile(r"^(?![.-])(?!.*[.-]$)(?!.*--)(?!.*\.\.)[A-Za-z0-9._-]{1,96}$")
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


_PATH_PART_MAX = 255      # bytes (UTF-8) per path component: NAME_MAX of the file systems the cache lands on
_PATH_MAX = 1024          # bytes (UTF-8) for a whole path in a repo (or a revision)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REF_CHARS_RE = re.compile(r"[A-Za-z0-9._/-]+")


def _utf8_len(text: str) -> int | None:
    """Length in UTF-8 bytes, or None when ``text`` cannot be UTF-8 (a lone surrogate such as ``\\ud800``)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _path_problem(path: Any) -> str | None:
    """Why ``path`` cannot be a file path in a repo (Korean), or None when it can."""
    if not isinstance(path, str) or not path:
        return "파일 경로는 비어 있지 않은 문자열이어야 합니다"
    size = _utf8_len(path)
    if size is None or _CONTROL_RE.search(path):
        return "파일 경로에 UTF-8로 쓸 수 없는 문자나 제어 문자가 있습니다"
    if path.startswith("/") or "\\" in path:
        return "파일 경로는 저장소 안의 상대 경로여야 합니다 (/ 로 시작하거나 \\ 를 쓰지 마세요)"
    if size > _PATH_MAX:
        return f"파일 경로가 너무 깁니다 ({size}바이트, 최대 {_PATH_MAX})"
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ".git":
        return "파일 경로에 빈 부분, '.', '..' 또는 .git 을 쓸 수 없습니다"
    longest = max(len(p.encode("utf-8")) for p in parts)
    if longest > _PATH_PART_MAX:
        return f"파일·폴더 이름 하나가 너무 깁니다 ({longest}바이트, 최대 {_PATH_PART_MAX}): 더 짧은 이름을 쓰세요"
    return None


def _name_problem(name: Any, what: str = "저장소 이름") -> str | None:
    """Why ``name`` cannot be a repo name or namespace on the Hub (Korean), or None when it can."""
    if not isinstance(name, str) or not name:
        return f"{what}은(는) 비어 있지 않은 문자열이어야 합니다"
    if _NAME_RE.match(name) and not name.endswith(".git"):
        return None
    return (f"{what} {name[:100]!r}은(는) 쓸 수 없습니다: 영문자·숫자·'-'·'_'·'.'만, 96자 이하, "
            "'--'·'..' 없이, '-'·'.'로 시작하거나 끝나지 않게 ('.git'으로 끝나지도 않게) 지으세요")


def _ref_problem(ref: Any, what: str = "브랜치/태그 이름") -> str | None:
    """Why ``ref`` cannot be a branch or tag name (git's check-ref-format rules, ASCII only), or None."""
    if not isinstance(ref, str) or not ref:
        return f"{what}은(는) 비어 있지 않은 문자열이어야 합니다"
    parts = ref.split("/")
    if (not _REF_CHARS_RE.fullmatch(ref) or ".." in ref or ref.startswith("-") or ref.endswith((".", ".lock"))
            or any(not p or p.startswith(".") or p.endswith(".lock") for p in parts)
            or len(ref) > _PATH_MAX or max(len(p) for p in parts) > _PATH_PART_MAX):
        return (f"{what} {ref[:100]!r}은(는) 쓸 수 없습니다: 영문자·숫자·'.'·'_'·'-'·'/'만 쓰고, '..'·'//' 없이, "
                "'-'로 시작하거나 '/'·'.'·'.lock'으로 끝나지 않게 지으세요")
    return None


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


#: Korean text for an error answer that names none of its own, by status
_KO_BY_STATUS = {
    400: "요청 형식이 잘못되었습니다. 보낸 값(JSON 본문, 이름, 경로)을 확인하세요.",
    401: "인증이 필요합니다. 연습 허브의 토큰(hub.token)을 쓰세요.",
    403: "권한이 없습니다. 쓰기(write) 토큰으로 자기 네임스페이스(student)에 쓰세요.",
    404: "요청한 것을 찾을 수 없습니다. 저장소 id, 리비전, 파일 이름과 주소를 확인하세요.",
    405: "이 주소는 그 HTTP 메서드를 받지 않습니다.",
    409: "이미 있습니다. 다른 이름을 쓰거나 exist_ok=True 로 부르세요.",
    412: "그 사이에 다른 커밋이 생겼습니다. parent_commit 을 최신 커밋으로 바꿔 다시 보내세요.",
    416: "요청한 바이트 범위(Range)가 파일 크기를 벗어났습니다.",
    422: "보낸 내용을 처리할 수 없습니다. 값을 확인하세요.",
}
_KO_FALLBACK = "연습 허브가 요청을 처리하지 못했습니다. 잠시 뒤 다시 보내 보세요."


class HubHTTPError(Exception):
    """An error answer in the Hub's shape: status, ``{"error": ...}``, X-Error-Code / X-Error-Message.

    ``message`` is the Hub's English text (X-Error-Message, which the client matches); ``ko`` is the
    Korean line for the learner, added to the body's ``error`` (a default by status when not given)."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None,
                 body_message: str | None = None, extra: dict | None = None, ko: str | None = None):
        super().__init__(message)
        self.extra = extra or {}
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.body_message = body_message
        self.ko = ko or _KO_BY_STATUS.get(status, _KO_FALLBACK)


def _bad_request(ko: str, message: str = "Bad request") -> HubHTTPError:
    """400 for malformed input: the Korean reason in the body, a short English one in X-Error-Message."""
    return HubHTTPError(400, message, ko=ko)


def _revision_not_found(revision: str) -> HubHTTPError:
    shown = revision[:200].encode("ascii", "replace").decode()
    return HubHTTPError(404, f"Invalid rev id: {shown}", "RevisionNotFound",
                        ko="리비전(브랜치, 태그, 커밋)을 찾을 수 없습니다. revision= 의 철자를 확인하세요.")


def _not_found_repo() -> HubHTTPError:
    return HubHTTPError(404, "Repository not found", "RepoNotFound",
                        ko="저장소를 찾을 수 없습니다. 저장소 id(소유자/이름)와 repo_type, 비공개라면 토큰을 확인하세요.")


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
        probe = self.root / f".write-test.{os.getpid()}.{threading.get_ident()}"
        probe.write_bytes(b"")  # OSError now, not on the first upload, when root is read-only
        probe.unlink()
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
                raise HubHTTPError(409, f"You already created this {repo_type} repo", "RepoExists",
                                   ko="같은 이름의 저장소가 이미 있습니다. 다른 이름을 쓰거나 exist_ok=True 로 부르세요.")
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
                raise _revision_not_found(revision)
            if parent_commit is not None and parent_commit != head:
                raise HubHTTPError(412, "A commit has happened since. Please refresh and try again.")
            tree = dict(self.load_commit(meta, head)["tree"])
            for op in operations:
                self._apply(tree, op)
            # a path cannot be both a file and a folder
            names = set(tree)
            for p in names:
                parts = p.split("/")
                for i in range(1, len(parts)):
                    if "/".join(parts[:i]) in names:
                        raise HubHTTPError(400, "Cannot create a file under a file",
                                           ko=f"{p!r}을(를) 만들 수 없습니다: '{'/'.join(parts[:i])}'은(는) 파일입니다.")
            sha = self._write_commit(meta, parents=[head], tree=tree, title=title, message=message, author=author)
            pr_num = None
            if create_pr:
                pr_num = max([int(n) for n in refs["pr"]] + [0]) + 1
                refs["pr"][str(pr_num)] = sha
            else:
                refs[branch_kind][branch] = sha
            self.save_repo(meta)
            return sha, pr_num

    def _apply(self, tree: dict, op: Any) -> None:
        """Apply one commit operation (``{"key": ..., "value": {...}}``) to ``tree``; 4xx in Korean when it is
        malformed, names an invalid path, or refers to a file, folder or LFS object that is not there."""
        if not isinstance(op, dict) or not isinstance(op.get("value"), dict):
            raise _bad_request("커밋의 각 줄은 {\"key\": ..., \"value\": {...}} 모양의 JSON 객체여야 합니다.",
                               "Invalid commit operation")
        key, value = op.get("key"), op["value"]
        if key not in ("file", "lfsFile", "deletedFile", "deletedFolder"):
            raise _bad_request(f"알 수 없는 커밋 작업입니다: {str(key)[:50]!r} (file, lfsFile, deletedFile, "
                               "deletedFolder 중 하나).", f"Unknown commit operation: {str(key)[:50]!r}")
        path = value.get("path")
        checked = path.rstrip("/") if isinstance(path, str) and key == "deletedFolder" else path
        problem = _path_problem(checked)
        if problem:
            raise _bad_request(f"커밋 경로가 잘못되었습니다: {problem}.", "Invalid path in commit")
        if key == "file":
            content = _field(value, "content", str, "")
            encoding = _field(value, "encoding", str, "base64")
            try:
                data = base64.b64decode(content, validate=True) if encoding == "base64" else content.encode("utf-8")
            except ValueError:  # binascii.Error is a ValueError
                raise _bad_request(f"{path!r}의 content 가 올바른 base64 가 아닙니다.",
                                   "Invalid base64 content") from None
            tree[path] = self.put_blob(data)
        elif key == "lfsFile":
            oid = _field(value, "oid", str, "")
            if re.fullmatch(r"[0-9a-f]{64}", oid) is None or not self.blob_path(oid).is_file():
                raise HubHTTPError(
                    422, f"LFS file {path!r} (oid {oid[:64]}) was never uploaded to the practice hub",
                    ko="LFS 파일 내용이 연습 허브에 올라오지 않았습니다. upload_file/upload_folder 로 다시 올리세요.",
                )
            tree[path] = self.put_blob(self.read_blob(oid))
        elif key == "deletedFile":
            if path not in tree:
                raise HubHTTPError(404, "A file with this name doesn't exist", "EntryNotFound",
                                   ko=f"지울 파일 {path!r}이(가) 저장소에 없습니다. list_repo_files 로 이름을 확인하세요.")
            del tree[path]
        else:
            prefix = path.rstrip("/") + "/"
            victims = [p for p in tree if p.startswith(prefix)]
            if not victims:
                raise HubHTTPError(404, "A folder with this name doesn't exist", "EntryNotFound",
                                   ko=f"지울 폴더 {path!r}이(가) 저장소에 없습니다. list_repo_files 로 이름을 확인하세요.")
            for p in victims:
                del tree[p]

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
    headers = {"X-Error-Message": _header_text(err.message)}
    if err.code:
        headers["X-Error-Code"] = err.code
    headers.update(err.headers)
    english = err.message if not err.body_message else f"{err.message}: {err.body_message}"
    body = {"error": f"{english}\n{err.ko}", **err.extra}
    return _json(body, status=err.status, headers=headers)


# --------------------------------------------------------------------------------------------------
# routes: the path shapes the hub serves (create_app has one handler per route)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One route: a name, its HTTP methods and the shape of its (percent-decoded) path segments.

    Shape tokens: a literal segment; ``*`` one segment; ``**`` one or more segments and ``**?`` zero or more
    (captured joined with ``/``); ``TYPES`` ``models|datasets|spaces`` (captured as the repo type); ``T?`` an
    optional ``datasets``/``spaces`` prefix (captured as the repo type, ``model`` when absent); ``*.git`` a
    segment ending in ``.git`` (captured without it); ``GIT`` a git smart-HTTP service name."""

    name: str
    methods: tuple[str, ...]
    shape: tuple[str, ...]


_ANY = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
_REPO = ("api", "TYPES", "*", "*")
_GIT_SERVICES = ("git-upload-pack", "git-receive-pack")

#: Every route of the practice hub, in matching order (the first whose shape and method fit answers).
ROUTES: tuple[Route, ...] = (
    Route("whoami", ("GET",), ("api", "whoami-v2")),
    Route("repo-create", ("POST",), ("api", "repos", "create")),
    Route("repo-delete", ("DELETE",), ("api", "repos", "delete")),
    Route("validate-yaml", ("POST",), ("api", "validate-yaml")),
    Route("telemetry", _ANY, ("api", "telemetry", "**?")),
    Route("repo-list", ("GET",), ("api", "TYPES")),
    Route("repo-info", ("GET",), _REPO),
    Route("repo-info-revision", ("GET",), (*_REPO, "revision", "**")),
    Route("tree", ("GET",), (*_REPO, "tree", "*", "**?")),
    Route("paths-info", ("POST",), (*_REPO, "paths-info", "**")),
    Route("refs", ("GET",), (*_REPO, "refs", "**?")),
    Route("commits", ("GET",), (*_REPO, "commits", "**")),
    Route("preupload", ("POST",), (*_REPO, "preupload", "**")),
    Route("commit", ("POST",), (*_REPO, "commit", "**")),
    Route("branch", ("POST", "DELETE"), (*_REPO, "branch", "**")),
    Route("tag", ("POST", "DELETE"), (*_REPO, "tag", "**")),
    Route("settings", ("PUT",), (*_REPO, "settings", "**?")),
    Route("space-runtime", ("GET",), ("api", "spaces", "*", "*", "runtime")),
    Route("lfs-upload", ("PUT",), ("lfs-upload", "*")),
    Route("lfs-batch", ("POST",), ("T?", "*", "*.git", "info", "lfs", "objects", "batch")),
    Route("lfs-verify", ("POST",), ("T?", "*", "*.git", "info", "lfs", "objects", "verify")),
    Route("git-refs", ("GET", "HEAD"), ("T?", "**", "info", "refs")),
    Route("git-rpc", ("POST",), ("T?", "**", "GIT")),
    Route("resolve", ("GET", "HEAD"), ("T?", "*", "*", "resolve", "*", "**?")),
    Route("home", ("GET",), ()),
    Route("repo-page", ("GET",), ("T?", "*", "*")),
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


@dataclass
class _Call:
    """One request as the handlers see it."""

    request: Any
    method: str
    user: dict | None
    body: bytes
    params: Any
    base: str


def _repo_type_field(body: dict) -> str:
    repo_type = _field(body, "type", str, "model")
    if repo_type not in REPO_TYPES:
        raise _bad_request(f"저장소 종류(type)는 {', '.join(REPO_TYPES)} 중 하나여야 합니다.", "Invalid repo type")
    return repo_type


def _visibility_field(body: dict) -> str | None:
    visibility = _field(body, "visibility", str)
    if visibility is not None and visibility not in ("public", "private"):
        raise _bad_request("visibility 는 \"public\" 또는 \"private\" 이어야 합니다.", "Invalid visibility")
    return visibility


def _paths_info_form(body: bytes) -> tuple[list[str], bool]:
    """``paths`` and ``expand`` of a paths-info call: form-encoded (what the client sends) or a JSON object."""
    if not body:
        return [], False
    if body.lstrip()[:1] == b"{":
        payload = _load_json(body)
        paths, expand = payload.get("paths", []), payload.get("expand", False)
        paths = [paths] if isinstance(paths, str) else paths
    else:
        form = parse_qs(body.decode("utf-8", "replace"))
        paths, expand = form.get("paths", []), (form.get("expand") or ["false"])[0]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise _bad_request("'paths' 는 파일 경로 문자열의 배열이어야 합니다.", "Invalid 'paths'")
    if not isinstance(expand, (bool, str)):
        raise _bad_request("'expand' 는 true/false 여야 합니다.", "Invalid 'expand'")
    return paths, str(expand).lower() in ("1", "true")


def _commit_payload(body: bytes) -> tuple[dict, list]:
    """The header (summary, description, parentCommit) and operations of a commit call: NDJSON (one
    ``{"key", "value"}`` object a line, the ``header`` first) or the application/json form
    (``{"summary", "description", "files", "lfsFiles", "deletedFiles"}``). 400 in Korean when malformed."""
    items = [_parse_json(line) for line in body.splitlines() if line.strip()]
    if len(items) == 1 and isinstance(items[0], dict) and "summary" in items[0]:
        j = items[0]
        items = [{"key": "header", "value": {k: j.get(k) for k in ("summary", "description", "parentCommit")}}]
        for field, key in (("files", "file"), ("lfsFiles", "lfsFile"), ("deletedFiles", "deletedFile")):
            items += [{"key": key, "value": f} for f in _field(j, field, list, [])]
    first = items[0] if items else None
    if not isinstance(first, dict) or first.get("key") != "header" or not isinstance(first.get("value"), dict):
        raise _bad_request("커밋 본문은 NDJSON 이어야 하고 첫 줄이 {\"key\": \"header\", \"value\": {...}} 여야 합니다.",
                           "The commit payload must be NDJSON starting with a 'header' line")
    value = first["value"]
    header = {"summary": _field(value, "summary", str, "").strip(),
              "description": _field(value, "description", str, ""),
              "parentCommit": _field(value, "parentCommit", str)}
    if not header["summary"]:
        raise _bad_request("커밋 메시지(summary)가 필요합니다: commit_message= 를 주세요.", "Commit summary (title) is required")
    return header, items[1:]


def _header_text(text: str) -> str:
    """``text`` as a safe HTTP header value: ASCII, no control characters, at most 300 characters."""
    return _CONTROL_RE.sub("?", text)[:300].encode("ascii", "replace").decode("ascii")


def create_app(state: _HubState):
    """The FastAPI app of the practice hub: one catch-all route that matches the raw, still percent-encoded
    path against :data:`ROUTES` (the client percent-encodes revisions such as ``refs%2Fpr%2F1``) and calls
    that route's handler. Every error is an answer in the Hub's shape with a Korean line; never a crash."""
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
            raise HubHTTPError(401, _INVALID_CREDENTIALS,
                               ko="토큰이 올바르지 않습니다. 연습 허브의 토큰(hub.token, hub.read_token)을 쓰세요.")
        if record.get("revoked"):
            # Same status and header as any invalid token; the body says why (practice hub only).
            raise HubHTTPError(401, _INVALID_CREDENTIALS, body_message="This token has been revoked.",
                               ko="이 토큰은 폐기(revoke)되었습니다. 새 토큰(hub.add_token())을 쓰세요.")
        return record

    def require_write(user: dict | None, namespace: str, what: str) -> None:
        if user is None:
            raise HubHTTPError(401, "You must be authenticated (use a write token) to " + what,
                               ko="토큰 없이 쓰려고 했습니다. 쓰기 토큰(hub.token)을 쓰세요.")
        if user.get("role") not in ("write", "admin"):
            raise HubHTTPError(
                403, f"You don't have the rights to {what}: this is a read-only token. Use a write token.",
                ko="읽기(read) 토큰으로는 쓸 수 없습니다. 쓰기 토큰(hub.token)을 쓰세요.",
            )
        if user["user"] != namespace:
            raise HubHTTPError(
                403, f"You don't have the rights to {what} under the namespace \"{namespace}\"",
                ko=f"네임스페이스 {str(namespace)[:100]!r}에는 쓸 권한이 없습니다. 자기 네임스페이스({user['user']}/...)에 쓰세요.",
            )

    def can_read(meta: dict, user: dict | None) -> bool:
        return not meta["private"] or (user is not None and user["user"] == meta["id"].split("/")[0])

    def get_repo(repo_type: str, repo_id: str, user: dict | None) -> dict:
        meta = store.load_repo(repo_type, repo_id)
        if meta is None or not can_read(meta, user):
            if user is None:  # the Hub answers 401 to anonymous requests on missing/private repos
                raise HubHTTPError(401, "Repository not found", "RepoNotFound",
                                   ko="저장소가 없거나 비공개입니다. 저장소 id 를 확인하고, 비공개라면 토큰을 주세요.")
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
                ko="접근 승인이 필요한 게이트(gated) 저장소입니다. 토큰을 주고, 승인된 계정으로 부르세요.",
            )
        raise HubHTTPError(
            403,
            f"Access to {kind} {meta['id']} is restricted and you are not in the authorized list. "
            f"Visit {url} to ask for access.",
            "GatedRepo",
            ko=f"이 계정은 아직 이 게이트(gated) 저장소에 승인되지 않았습니다. {url} 에서 접근을 요청하세요.",
        )

    def resolve(meta: dict, revision: str) -> str:
        sha = store.resolve_revision(meta, revision)
        if sha is None:
            raise _revision_not_found(revision)
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
                raise HubHTTPError(404, f"Entry not found: {path}", "EntryNotFound",
                                   ko="그 경로의 파일이나 폴더가 없습니다. list_repo_files 로 이름을 확인하세요.")
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
            raise HubHTTPError(404, "Entry not found", "EntryNotFound", headers={"X-Repo-Commit": sha},
                               ko="그 파일이 저장소에 없습니다. list_repo_files 로 파일 이름을 확인하세요.")
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

    # ------------------------------------------------------------ handlers (one per route of ROUTES)
    def repo_of(call: _Call, repo_type: str, ns: str, name: str) -> dict:
        return get_repo(repo_type, f"{ns}/{name}", call.user)

    def h_whoami(call: _Call):
        user = call.user
        if user is None:
            raise HubHTTPError(401, _INVALID_CREDENTIALS, ko="토큰 없이 물었습니다. 연습 허브의 토큰(hub.token)을 쓰세요.")
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

    def h_repo_create(call: _Call):
        body = _load_json(call.body)
        name = _field(body, "name", str, required=True)
        org = _field(body, "organization", str)
        repo_type = _repo_type_field(body)
        for value, what in ((name, "저장소 이름"), (org, "조직(네임스페이스) 이름")):
            problem = _name_problem(value, what) if value is not None else None
            if problem:
                raise _bad_request(problem + ".", "Invalid repo name")
        private = _field(body, "private", bool)
        visibility = _visibility_field(body)
        sdk = _field(body, "sdk", str)
        user = call.user
        if user is None:
            raise HubHTTPError(401, "You must be authenticated to create a repo",
                               ko="저장소를 만들려면 쓰기 토큰이 필요합니다. token=hub.token 으로 부르세요.")
        ns = org or user["user"]
        require_write(user, ns, f"create a {repo_type}")
        if repo_type == "space" and sdk not in _SPACE_SDKS:
            raise _bad_request(f"Space 의 sdk 는 {', '.join(_SPACE_SDKS)} 중 하나여야 합니다 (space_sdk=...).",
                               "Invalid space sdk")
        if visibility is not None:
            private = visibility == "private"
        repo_id = f"{ns}/{name}"
        url = f"{call.base}/{_URL_PREFIX[repo_type]}{repo_id}"
        try:
            store.create_repo(repo_type, repo_id, private=bool(private), sdk=sdk, author=user["user"])
        except HubHTTPError as err:
            err.extra["url"] = url  # the Hub's 409 carries the url (create_repo(exist_ok=True) reads it)
            raise
        return _json({"url": url, "name": repo_id, "id": repo_id})

    def h_repo_delete(call: _Call):
        body = _load_json(call.body)
        name = _field(body, "name", str, required=True)
        org = _field(body, "organization", str)
        repo_type = _repo_type_field(body)
        ns = org or (call.user["user"] if call.user else "")
        repo_id = f"{ns}/{name}"
        get_repo(repo_type, repo_id, call.user)
        require_write(call.user, ns, f"delete this {repo_type}")
        store.delete_repo(repo_type, repo_id)
        return _json({})

    def h_validate_yaml(call: _Call):
        content = _field(_load_json(call.body), "content", str, "")
        m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.S)
        if m:
            try:
                import yaml

                data = yaml.safe_load(m.group(1))
                if data is not None and not isinstance(data, dict):
                    raise ValueError("metadata must be a mapping")
            except Exception as e:  # noqa: BLE001 - report any YAML problem as the Hub does
                msg = f"Invalid YAML metadata: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
                ko = "README 맨 위 --- 블록(카드 메타데이터)의 YAML 이 잘못되었습니다. 그 부분을 고치세요."
                return _json({"errors": [{"message": f"{msg}\n{ko}"}], "warnings": []}, status=400,
                             headers={"X-Error-Message": _header_text(msg)})
        return _json({"errors": [], "warnings": []})

    def h_telemetry(call: _Call, _rest: str):
        return _json({})

    def h_repo_list(call: _Call, repo_type: str):
        author = call.params.get("author")
        search = call.params.get("search")
        out = []
        for meta in store.list_repos(repo_type):
            if not can_read(meta, call.user):
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

    def h_repo_info(call: _Call, repo_type: str, ns: str, name: str, revision: str = "main"):
        meta = repo_of(call, repo_type, ns, name)
        return _json(repo_info(meta, resolve(meta, revision), call.base, call.params))

    def h_tree(call: _Call, repo_type: str, ns: str, name: str, revision: str, path: str):
        meta = repo_of(call, repo_type, ns, name)
        sha = resolve(meta, revision)
        check_gated(meta, call.user, call.base)
        recursive = call.params.get("recursive", "false").lower() in ("1", "true")
        expand = call.params.get("expand", "false").lower() in ("1", "true")
        return _json(tree_listing(meta, sha, path, recursive, expand))

    def h_paths_info(call: _Call, repo_type: str, ns: str, name: str, revision: str):
        meta = repo_of(call, repo_type, ns, name)
        sha = resolve(meta, revision)
        check_gated(meta, call.user, call.base)
        paths, expand = _paths_info_form(call.body)
        entries = store.entries(meta, sha)
        items = []
        for p in (p.strip("/") for p in paths):
            if p in entries:
                items.append(entry_json(p, entries[p]))
            elif p and any(q.startswith(p + "/") for q in entries):
                items.append({"type": "directory", "oid": folder_oid(entries, p), "size": 0, "path": p})
        if expand:
            lc = last_commits(meta, sha, [d["path"] for d in items])
            for d in items:
                d["lastCommit"] = lc.get(d["path"])
        return _json(items)

    def h_refs(call: _Call, repo_type: str, ns: str, name: str, _rest: str):
        def ref(name: str, full: str, target: str) -> dict:
            return {"name": name, "ref": full, "targetCommit": target}

        r = repo_of(call, repo_type, ns, name)["refs"]
        return _json({
            "branches": [ref(n, f"refs/heads/{n}", s) for n, s in r["heads"].items()],
            "converts": [],
            "tags": [ref(n, f"refs/tags/{n}", s) for n, s in r["tags"].items()],
            "pullRequests": [ref(f"refs/pr/{n}", f"refs/pr/{n}", s) for n, s in r["pr"].items()],
        })

    def h_commits(call: _Call, repo_type: str, ns: str, name: str, revision: str):
        meta = repo_of(call, repo_type, ns, name)
        sha = resolve(meta, revision)
        return _json([{"id": c["id"], "title": c["title"], "message": c["message"], "date": c["date"],
                       "authors": [{"user": a} for a in c.get("authors", [])]}
                      for c in store.history(meta, sha)])

    def h_preupload(call: _Call, repo_type: str, ns: str, name: str, revision: str):
        meta = repo_of(call, repo_type, ns, name)
        require_write(call.user, ns, f"upload to this {repo_type}")
        files = _field(_load_json(call.body), "files", list, required=True)
        sha = store.resolve_revision(meta, revision)
        entries = store.entries(meta, sha) if sha else {}
        ga = entries.get(".gitattributes")
        patterns = _lfs_patterns(store.read_blob(ga["sha256"])) if ga else []
        out = []
        for f in files:
            if not isinstance(f, dict):
                raise _bad_request("'files' 의 각 항목은 {\"path\": ..., \"size\": ...} 객체여야 합니다.",
                                   "Invalid preupload entry")
            path = f.get("path")
            problem = _path_problem(path)
            if problem:
                raise _bad_request(problem + ".", "Invalid path")
            size = _field(f, "size", int, 0)
            # Like the Hub: paths tracked by .gitattributes (and files over 10 MB) go through Git LFS
            # (batch + PUT); everything else is "regular" (content inline in the commit call).
            # "oid" = the current content's id so the client can skip unchanged files.
            lfs = size > 0 and (_is_lfs_path(path, patterns) or size > _REGULAR_MAX)
            existing = entries.get(path)
            oid = (existing["sha256"] if lfs else existing["oid"]) if existing else None
            out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                        "oid": oid})
        return _json({"files": out, "commitOid": sha})

    def h_commit(call: _Call, repo_type: str, ns: str, name: str, revision: str):
        meta = repo_of(call, repo_type, ns, name)
        require_write(call.user, ns, f"commit to this {repo_type}")
        header, operations = _commit_payload(call.body)
        create_pr = call.params.get("create_pr", "").lower() in ("1", "true")
        sha, pr = store.commit(meta, revision, operations, title=header["summary"],
                               message=header["description"], author=call.user["user"],
                               parent_commit=header["parentCommit"], create_pr=create_pr)
        url_repo = f"{call.base}/{_URL_PREFIX[repo_type]}{meta['id']}"
        return _json({"success": True, "commitOid": sha, "commitUrl": f"{url_repo}/commit/{sha}",
                      "hookOutput": "",
                      "pullRequestUrl": f"{url_repo}/discussions/{pr}" if pr else None})

    def h_branch(call: _Call, repo_type: str, ns: str, name: str, branch: str):
        repo_of(call, repo_type, ns, name)
        require_write(call.user, ns, f"manage branches of this {repo_type}")
        with store.lock:
            meta = store.load_repo(repo_type, f"{ns}/{name}")
            heads = meta["refs"]["heads"]
            if call.method == "DELETE":
                if branch not in heads:
                    raise _revision_not_found(branch)
                if branch == "main":
                    raise HubHTTPError(403, "Cannot delete the main branch", ko="main 브랜치는 지울 수 없습니다.")
                del heads[branch]
            else:
                problem = _ref_problem(branch, "브랜치 이름")
                if problem or branch.startswith("refs/"):
                    raise _bad_request((problem or "브랜치 이름은 refs/ 로 시작할 수 없습니다") + ".",
                                       "Invalid reference for a branch")
                start = _field(_load_json(call.body), "startingPoint", str, "main")
                if branch in heads:
                    raise HubHTTPError(409, f"Reference already exists: refs/heads/{branch}",
                                       ko="같은 이름의 브랜치가 이미 있습니다. exist_ok=True 로 부르거나 다른 이름을 쓰세요.")
                heads[branch] = resolve(meta, start)
            store.save_repo(meta)
        return _json({})

    def h_tag(call: _Call, repo_type: str, ns: str, name: str, revision: str):
        repo_of(call, repo_type, ns, name)
        require_write(call.user, ns, f"manage tags of this {repo_type}")
        with store.lock:
            meta = store.load_repo(repo_type, f"{ns}/{name}")
            tags = meta["refs"]["tags"]
            if call.method == "DELETE":
                if revision not in tags:
                    raise _revision_not_found(revision)
                del tags[revision]
            else:
                payload = _load_json(call.body)
                tag = _field(payload, "tag", str, required=True)
                _field(payload, "message", str)
                problem = _ref_problem(tag, "태그 이름")
                if problem or tag.startswith("refs/"):
                    raise _bad_request((problem or "태그 이름은 refs/ 로 시작할 수 없습니다") + ".", "Invalid tag name")
                if tag in tags:
                    raise HubHTTPError(409, f"Tag already exists: {tag}",
                                       ko="같은 이름의 태그가 이미 있습니다. 다른 이름을 쓰세요.")
                tags[tag] = resolve(meta, revision)
            store.save_repo(meta)
        return _json({})

    def h_settings(call: _Call, repo_type: str, ns: str, name: str, _rest: str):
        repo_of(call, repo_type, ns, name)
        require_write(call.user, ns, f"change the settings of this {repo_type}")
        payload = _load_json(call.body)
        gated = payload.get("gated")
        if "gated" in payload and gated is not False and gated not in ("auto", "manual"):
            raise _bad_request("gated 는 \"auto\", \"manual\" 또는 false 여야 합니다.",
                               "gated must be 'auto', 'manual' or false")
        private = _field(payload, "private", bool)
        visibility = _visibility_field(payload)
        with store.lock:
            meta = store.load_repo(repo_type, f"{ns}/{name}")
            if "gated" in payload:
                meta["gated"] = gated
            if private is not None:
                meta["private"] = private
            if visibility is not None:
                meta["private"] = visibility == "private"
            store.save_repo(meta)
        return _json({})

    def h_space_runtime(call: _Call, ns: str, name: str):
        meta = repo_of(call, "space", ns, name)
        sha = resolve(meta, "main")
        entries = store.entries(meta, sha)
        readme = entries.get("README.md")
        card = _front_matter(store.read_blob(readme["sha256"])) if readme else None
        return _json(space_runtime(meta, entries, card))

    def h_lfs_batch(call: _Call, repo_type: str, ns: str, name: str):
        """Git LFS batch API (basic transfer): the client PUTs each object to a one-time URL on this hub."""
        repo_id = f"{ns}/{name}"
        get_repo(repo_type, repo_id, call.user)
        require_write(call.user, ns, f"upload to this {repo_type}")
        payload = _load_json(call.body)
        operation = _field(payload, "operation", str)
        objects_in = _field(payload, "objects", list)
        if operation != "upload" or objects_in is None:
            raise _bad_request("LFS batch API 는 'upload' 작업만 받습니다 ({\"operation\": \"upload\", \"objects\": [...]}).",
                               "Only the 'upload' operation of the LFS batch API is supported")
        objects = []
        for obj in objects_in:
            if not isinstance(obj, dict):
                raise _bad_request("'objects' 의 각 항목은 {\"oid\": ..., \"size\": ...} 객체여야 합니다.",
                                   "Invalid LFS object")
            oid, size = obj.get("oid"), obj.get("size")
            if (not isinstance(oid, str) or not re.fullmatch(r"[0-9a-f]{64}", oid) or not isinstance(size, int)
                    or isinstance(size, bool) or size < 0):
                objects.append({"oid": oid if isinstance(oid, str) else "",
                                "size": size if isinstance(size, int) and not isinstance(size, bool) else 0,
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
                "actions": {"upload": {"href": f"{call.base}/lfs-upload/{upload_id}", "expires_in": 3600},
                            "verify": {"href": f"{call.base}/{_URL_PREFIX[repo_type]}{repo_id}.git/info/lfs/objects/verify"}},
            })
        return _json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                     headers={"Content-Type": "application/vnd.git-lfs+json"})

    def h_lfs_verify(call: _Call, repo_type: str, ns: str, name: str):
        get_repo(repo_type, f"{ns}/{name}", call.user)
        require_write(call.user, ns, f"upload to this {repo_type}")
        payload = _load_json(call.body)
        oid, size = _field(payload, "oid", str, ""), _field(payload, "size", int)
        path = store.blob_path(oid) if re.fullmatch(r"[0-9a-f]{64}", oid) else None
        if path is None or not path.is_file() or path.stat().st_size != size:
            raise HubHTTPError(404, "LFS object was not uploaded",
                               ko="LFS 파일 내용이 연습 허브에 없습니다. 다시 올리세요.")
        return _json({"success": True})

    def h_lfs_upload(call: _Call, upload_id: str):
        with state.lock:
            expected = state.uploads.pop(upload_id, None)
        if expected is None:
            raise HubHTTPError(403, "Unknown or already used upload URL",
                               ko="모르는(또는 이미 쓴) 업로드 주소입니다. upload_file 로 처음부터 다시 올리세요.")
        oid, size = expected
        if len(call.body) != size or hashlib.sha256(call.body).hexdigest() != oid:
            raise _bad_request("올린 내용이 미리 알린 sha256/크기와 다릅니다. 다시 올리세요.",
                               "Uploaded content does not match the announced sha256/size")
        store.put_blob(call.body)
        return Response(status_code=200)

    def h_git_refs(call: _Call, repo_type: str, repo_path: str):
        service = call.params.get("service")
        service = service if service in _GIT_SERVICES else "git-upload-pack"
        return _git_not_served(call.base, repo_type, repo_path, service)

    def h_git_rpc(call: _Call, repo_type: str, repo_path: str, service: str):
        return _git_not_served(call.base, repo_type, repo_path, service)

    def h_resolve(call: _Call, repo_type: str, ns: str, name: str, revision: str, path: str):
        if not path:
            raise HubHTTPError(404, "Entry not found", "EntryNotFound",
                               ko="파일 이름이 빠졌습니다: .../resolve/<리비전>/<파일 경로> 로 부르세요.")
        meta = repo_of(call, repo_type, ns, name)
        sha = resolve(meta, revision)
        check_gated(meta, call.user, call.base)
        return file_response(call.request, meta, sha, path)

    def h_home(call: _Call):
        """Tiny HTML pages so a repo URL printed by the client opens something useful."""
        rows = []
        for t in REPO_TYPES:
            for meta in store.list_repos(t):
                if can_read(meta, call.user):
                    link = f"{call.base}/{_URL_PREFIX[t]}{meta['id']}"
                    rows.append(f"<li>{t}: <a href='{html.escape(link)}'>{html.escape(meta['id'])}</a>"
                                f"{' (private)' if meta['private'] else ''}</li>")
        body = "<h1>hflab practice hub</h1><p>연습용 로컬 허브 (127.0.0.1)</p><ul>" + "".join(rows) + "</ul>"
        return HTMLResponse(body)

    def h_repo_page(call: _Call, repo_type: str, ns: str, name: str):
        meta = repo_of(call, repo_type, ns, name)
        repo_id = meta["id"]
        sha = resolve(meta, "main")
        entries = store.entries(meta, sha)
        rows = "".join(
            f"<li><a href='{html.escape(call.base)}/{_URL_PREFIX[repo_type]}{html.escape(repo_id)}/resolve/main/"
            f"{html.escape(quote(p))}'>{html.escape(p)}</a> ({e['size']} B{', LFS' if e['lfs'] else ''})</li>"
            for p, e in sorted(entries.items())
        )
        return HTMLResponse(f"<h1>{html.escape(repo_id)}</h1><p>{repo_type} · commit {sha}</p><ul>{rows}</ul>")

    handlers = {
        "whoami": h_whoami, "repo-create": h_repo_create, "repo-delete": h_repo_delete,
        "validate-yaml": h_validate_yaml, "telemetry": h_telemetry, "repo-list": h_repo_list,
        "repo-info": h_repo_info, "repo-info-revision": h_repo_info, "tree": h_tree, "paths-info": h_paths_info,
        "refs": h_refs, "commits": h_commits, "preupload": h_preupload, "commit": h_commit, "branch": h_branch,
        "tag": h_tag, "settings": h_settings, "space-runtime": h_space_runtime, "lfs-upload": h_lfs_upload,
        "lfs-batch": h_lfs_batch, "lfs-verify": h_lfs_verify, "git-refs": h_git_refs, "git-rpc": h_git_rpc,
        "resolve": h_resolve, "home": h_home, "repo-page": h_repo_page,
    }
    assert set(handlers) == {r.name for r in ROUTES}, "every route needs a handler, every handler a route"

    # ------------------------------------------------------------ dispatcher
    def dispatch(request: Request, segs: list[str], body: bytes):
        call = _Call(request, request.method, auth(request), body, request.query_params,
                     str(request.base_url).rstrip("/"))
        route, captures = _route_for(request.method, segs)
        if route is None:
            shown = "/" + "/".join(segs)
            raise HubHTTPError(404, f"The practice hub does not implement {request.method} {shown}",
                               ko=f"연습 허브에는 {request.method} {shown[:200]} 이(가) 없습니다. 주소와 HTTP 메서드를 확인하세요.")
        return handlers[route.name](call, *captures)

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

    from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _git_not_served(base: str, repo_type: str, repo_path: str, service: str):
    """403 with a Korean message git prints as ``remote: ...`` lines (smart-HTTP errors sent as text/plain):
    git is not served here, and the ``hf`` command that does the same. Used in: 01_hub_token, 10_sharing
    (learners who follow the old ``Repository`` / ``git clone`` habit of the seed notes)."""
    from fastapi.responses import PlainTextResponse

    repo_id = repo_path.removesuffix(".git") or "student/my-repo"
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


_JSON_MAX_DEPTH = 32  # the client's deepest body (a commit line) is 3 levels deep


def _parse_json(text: bytes | str) -> Any:
    """``json.loads`` that answers 400 (Korean) to anything that is not plain JSON: bad syntax, invalid UTF-8,
    nesting deeper than ``_JSON_MAX_DEPTH``, or strings (keys included) that are not valid Unicode."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _bad_request("본문이 올바른 JSON(UTF-8)이 아닙니다. JSON 으로 다시 보내세요.", "Invalid JSON body") from None
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > _JSON_MAX_DEPTH:
            raise _bad_request(f"JSON 이 너무 깊게 중첩되어 있습니다 (최대 {_JSON_MAX_DEPTH}단계).", "JSON too deep")
        if isinstance(value, str):
            if _utf8_len(value) is None:
                raise _bad_request("JSON 문자열에 짝이 없는 서로게이트(예: \\ud800)가 있습니다. 올바른 유니코드로 보내세요.",
                                   "Invalid unicode in JSON")
        elif isinstance(value, dict):
            todo.extend((k, depth + 1) for k in value)
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value)
    return data


def _load_json(body: bytes) -> dict:
    """The request body as a JSON object (``{}`` when empty); 400 in Korean otherwise."""
    if not body:
        return {}
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise _bad_request("본문은 JSON 객체({...})여야 합니다.", "Expected a JSON object")
    return data


_TYPE_KO = {str: "문자열", bool: "true/false", int: "정수", list: "배열", dict: "객체"}


def _field(payload: dict, key: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
    """``payload[key]`` when it has JSON type ``kind`` (``null``/absent gives ``default``); 400 in Korean otherwise.
    Booleans must be JSON booleans (``"private": "no"`` is refused, as the Hub does) and are not integers."""
    value = payload.get(key)
    if value is None:
        if required:
            raise _bad_request(f"'{key}' 값이 필요합니다 ({_TYPE_KO[kind]}).", f"Missing '{key}'")
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _bad_request(f"'{key}' 값은 {_TYPE_KO[kind]}이어야 합니다 (받은 값: {type(value).__name__}).",
                           f"Invalid type for '{key}'")
    return value


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
        self.port = _check_port(port)
        self.root = Path(root) if root is not None else default_root()
        if fresh and (self.root / "repos").exists():
            shutil.rmtree(self.root / "repos", ignore_errors=True)
            shutil.rmtree(self.root / "blobs", ignore_errors=True)
        try:
            self.store = HubStore(self.root)
            self._init_tokens(tokens)
        except OSError as e:
            from .errors import HflabError

            raise HflabError(
                f"연습 허브의 저장 위치 {self.root} 를 만들거나 쓸 수 없습니다 ({e.strerror or type(e).__name__}).",
                fix="쓸 수 있는 폴더를 저장 위치로 주세요 (hflab hub --root build/practice_hub, PracticeHub(root=...)).",
            ) from None
        self._state = _HubState(self.store)
        self.host = host
        self.username = DEFAULT_USER
        self._server = None
        self._thread: threading.Thread | None = None
        self._saved: dict | None = None

    def _init_tokens(self, tokens: dict[str, dict] | None) -> None:
        """Create the practice write/read tokens once per root and add ``tokens``."""
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


def _check_port(port: Any) -> int:
    """``port`` as an int in 0..65535 (0 = any free port); :class:`~hflab.errors.HflabError` otherwise."""
    try:
        value = int(port)
    except (TypeError, ValueError):
        value = -1
    if isinstance(port, bool) or not 0 <= value <= 65535:
        from .errors import HflabError

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
        from .errors import HflabError

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
