"""On-disk state of the practice hub: repos (``repo.json`` with refs), commits (path -> blob), content-addressed
blobs and tokens under one root, plus the git / Git LFS ids the client checks (blob oid, LFS pointer)."""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from .answers import HubHTTPError, _bad_request, _revision_not_found
from .common import DEFAULT_USER, REPO_TYPES, _now_iso
from .validate import _NAME_RE, _field, _path_problem

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


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


def _git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


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
