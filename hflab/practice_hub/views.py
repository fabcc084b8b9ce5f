"""What the hub shows of a repo: the JSON of repo info, tree listings and paths-info entries, and file answers
(HEAD/GET with ranges, the headers hf_hub_download checks)."""
from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator
from urllib.parse import quote

from .answers import HubHTTPError
from .store import HubStore

if TYPE_CHECKING:
    from starlette.requests import Request


def front_matter(readme: bytes | None) -> dict | None:
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


def last_commits(store: HubStore, meta: dict, sha: str, paths: Iterable[str]) -> dict[str, dict]:
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


def tree_listing(store: HubStore, meta: dict, sha: str, path: str, recursive: bool, expand: bool) -> list[dict]:
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
        lc = last_commits(store, meta, sha, [d["path"] for d in items])
        for d in items:
            d["lastCommit"] = lc.get(d["path"])
            if d["type"] == "file":
                d["securityFileStatus"] = {"status": "safe", "avScan": {"virusFound": False, "virusNames": None},
                                           "pickleImportScan": None}
    return items


def repo_info(store: HubStore, meta: dict, sha: str, base: str, params) -> dict:
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
    card = front_matter(store.read_blob(readme["sha256"])) if readme else None
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


def file_response(store: HubStore, request: Request, meta: dict, sha: str, path: str):
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
        from starlette.responses import Response

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

    from starlette.responses import StreamingResponse

    return StreamingResponse(chunks(), status_code=status, headers=headers)
