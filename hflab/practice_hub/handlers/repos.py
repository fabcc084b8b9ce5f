"""Repos: create, delete, list, info (with a revision), settings (private, gated), a Space's runtime, and the
card metadata check (``validate-yaml``)."""
from __future__ import annotations

import re

from .. import views
from ..answers import HubHTTPError, _bad_request, _header_text, _json
from ..common import _SPACE_SDKS, _URL_PREFIX
from ..state import Call
from ..validate import _field, _load_json, _name_problem, _repo_type_field, _visibility_field


def repo_create(call: Call):
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
    call.hub.require_write(user, ns, f"create a {repo_type}")
    if repo_type == "space" and sdk not in _SPACE_SDKS:
        raise _bad_request(f"Space 의 sdk 는 {', '.join(_SPACE_SDKS)} 중 하나여야 합니다 (space_sdk=...).",
                           "Invalid space sdk")
    if visibility is not None:
        private = visibility == "private"
    repo_id = f"{ns}/{name}"
    url = f"{call.base}/{_URL_PREFIX[repo_type]}{repo_id}"
    try:
        call.hub.store.create_repo(repo_type, repo_id, private=bool(private), sdk=sdk, author=user["user"])
    except HubHTTPError as err:
        err.extra["url"] = url  # the Hub's 409 carries the url (create_repo(exist_ok=True) reads it)
        raise
    return _json({"url": url, "name": repo_id, "id": repo_id})


def repo_delete(call: Call):
    body = _load_json(call.body)
    name = _field(body, "name", str, required=True)
    org = _field(body, "organization", str)
    repo_type = _repo_type_field(body)
    ns = org or (call.user["user"] if call.user else "")
    repo_id = f"{ns}/{name}"
    call.hub.get_repo(repo_type, repo_id, call.user)
    call.hub.require_write(call.user, ns, f"delete this {repo_type}")
    call.hub.store.delete_repo(repo_type, repo_id)
    return _json({})


def repo_list(call: Call, repo_type: str):
    author = call.params.get("author")
    search = call.params.get("search")
    out = []
    for meta in call.hub.store.list_repos(repo_type):
        if not call.hub.can_read(meta, call.user):
            continue
        if author and meta["id"].split("/")[0] != author:
            continue
        if search and search.lower() not in meta["id"].lower():
            continue
        sha = meta["refs"]["heads"].get("main")
        commit = call.hub.store.load_commit(meta, sha) if sha else None
        out.append({"_id": meta.get("_id"), "id": meta["id"], "author": meta["id"].split("/")[0],
                    "private": meta["private"], "gated": meta.get("gated") or False, "sha": sha,
                    "lastModified": commit["date"] if commit else meta["createdAt"],
                    "createdAt": meta["createdAt"], "downloads": 0, "likes": 0, "tags": []})
    return _json(out)


def repo_info(call: Call, repo_type: str, ns: str, name: str, revision: str = "main"):
    meta = call.repo(repo_type, ns, name)
    return _json(views.repo_info(call.hub.store, meta, call.hub.resolve(meta, revision), call.base, call.params))


def auth_check(call: Call, repo_type: str, ns: str, name: str, rest: str = ""):
    """``HfApi.auth_check``: 200 when this token may read the repo (``/write``: and write it); the Hub's
    RepoNotFound / GatedRepo / 403 answers otherwise."""
    if rest not in ("", "write"):
        raise HubHTTPError(404, "Not Found", ko="auth-check 뒤에는 아무것도 없거나 /write 만 옵니다.")
    meta = call.repo(repo_type, ns, name)
    call.hub.check_gated(meta, call.user, call.base)
    if rest == "write":
        call.hub.require_write(call.user, ns, f"write to this {repo_type}", repo_id=meta["id"])
    return _json({"ok": True})


def settings(call: Call, repo_type: str, ns: str, name: str, _rest: str):
    call.repo(repo_type, ns, name)
    call.hub.require_write(call.user, ns, f"change the settings of this {repo_type}")
    payload = _load_json(call.body)
    gated = payload.get("gated")
    if "gated" in payload and gated is not False and gated not in ("auto", "manual"):
        raise _bad_request("gated 는 \"auto\", \"manual\" 또는 false 여야 합니다.",
                           "gated must be 'auto', 'manual' or false")
    private = _field(payload, "private", bool)
    visibility = _visibility_field(payload)
    with call.hub.store.lock:
        meta = call.hub.store.load_repo(repo_type, f"{ns}/{name}")
        if "gated" in payload:
            meta["gated"] = gated
        if private is not None:
            meta["private"] = private
        if visibility is not None:
            meta["private"] = visibility == "private"
        call.hub.store.save_repo(meta)
    return _json({})


def space_runtime(call: Call, ns: str, name: str):
    meta = call.repo("space", ns, name)
    sha = call.hub.resolve(meta, "main")
    entries = call.hub.store.entries(meta, sha)
    readme = entries.get("README.md")
    card = views.front_matter(call.hub.store.read_blob(readme["sha256"])) if readme else None
    return _json(views.space_runtime(meta, entries, card))


def validate_yaml(call: Call):
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
