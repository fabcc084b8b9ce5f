"""Files: tree listings, paths-info, preupload (regular or LFS per path), the commit call (NDJSON or JSON),
and resolve (download, with ranges)."""
from __future__ import annotations

from urllib.parse import parse_qs

from .. import views
from ..answers import HubHTTPError, _bad_request, _json
from ..common import _REGULAR_MAX, _URL_PREFIX
from ..state import Call
from ..store import _is_lfs_path, _lfs_patterns
from ..validate import _field, _load_json, _parse_json, _path_problem


def tree(call: Call, repo_type: str, ns: str, name: str, revision: str, path: str):
    meta = call.repo(repo_type, ns, name)
    sha = call.hub.resolve(meta, revision)
    call.hub.check_gated(meta, call.user, call.base)
    recursive = call.params.get("recursive", "false").lower() in ("1", "true")
    expand = call.params.get("expand", "false").lower() in ("1", "true")
    return _json(views.tree_listing(call.hub.store, meta, sha, path, recursive, expand))


def paths_info(call: Call, repo_type: str, ns: str, name: str, revision: str):
    meta = call.repo(repo_type, ns, name)
    sha = call.hub.resolve(meta, revision)
    call.hub.check_gated(meta, call.user, call.base)
    paths, expand = _paths_info_form(call.body)
    entries = call.hub.store.entries(meta, sha)
    items = []
    for p in (p.strip("/") for p in paths):
        if p in entries:
            items.append(views.entry_json(p, entries[p]))
        elif p and any(q.startswith(p + "/") for q in entries):
            items.append({"type": "directory", "oid": views.folder_oid(entries, p), "size": 0, "path": p})
    if expand:
        lc = views.last_commits(call.hub.store, meta, sha, [d["path"] for d in items])
        for d in items:
            d["lastCommit"] = lc.get(d["path"])
    return _json(items)


def preupload(call: Call, repo_type: str, ns: str, name: str, revision: str):
    meta = call.repo(repo_type, ns, name)
    call.hub.require_write(call.user, ns, f"upload to this {repo_type}")
    files = _field(_load_json(call.body), "files", list, required=True)
    sha = call.hub.store.resolve_revision(meta, revision)
    entries = call.hub.store.entries(meta, sha) if sha else {}
    ga = entries.get(".gitattributes")
    patterns = _lfs_patterns(call.hub.store.read_blob(ga["sha256"])) if ga else []
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


def commit(call: Call, repo_type: str, ns: str, name: str, revision: str):
    meta = call.repo(repo_type, ns, name)
    call.hub.require_write(call.user, ns, f"commit to this {repo_type}")
    header, operations = _commit_payload(call.body)
    create_pr = call.params.get("create_pr", "").lower() in ("1", "true")
    sha, pr = call.hub.store.commit(meta, revision, operations, title=header["summary"],
                                    message=header["description"], author=call.user["user"],
                                    parent_commit=header["parentCommit"], create_pr=create_pr)
    url_repo = f"{call.base}/{_URL_PREFIX[repo_type]}{meta['id']}"
    return _json({"success": True, "commitOid": sha, "commitUrl": f"{url_repo}/commit/{sha}",
                  "hookOutput": "",
                  "pullRequestUrl": f"{url_repo}/discussions/{pr}" if pr else None})


def resolve(call: Call, repo_type: str, ns: str, name: str, revision: str, path: str):
    if not path:
        raise HubHTTPError(404, "Entry not found", "EntryNotFound",
                           ko="파일 이름이 빠졌습니다: .../resolve/<리비전>/<파일 경로> 로 부르세요.")
    meta = call.repo(repo_type, ns, name)
    sha = call.hub.resolve(meta, revision)
    call.hub.check_gated(meta, call.user, call.base)
    return views.file_response(call.hub.store, call.request, meta, sha, path)


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
