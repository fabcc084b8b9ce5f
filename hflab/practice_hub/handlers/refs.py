"""Refs: the list of branches, tags and pull requests, a revision's history, and creating or deleting a branch
or a tag (names checked by git's rules)."""
from __future__ import annotations

from typing import Callable

from ..answers import HubHTTPError, _bad_request, _json, _revision_not_found
from ..state import Call
from ..validate import _field, _load_json, _ref_problem


def refs(call: Call, repo_type: str, ns: str, name: str, _rest: str):
    def ref(name: str, full: str, target: str) -> dict:
        return {"name": name, "ref": full, "targetCommit": target}

    r = call.repo(repo_type, ns, name)["refs"]
    return _json({
        "branches": [ref(n, f"refs/heads/{n}", s) for n, s in r["heads"].items()],
        "converts": [],
        "tags": [ref(n, f"refs/tags/{n}", s) for n, s in r["tags"].items()],
        "pullRequests": [ref(f"refs/pr/{n}", f"refs/pr/{n}", s) for n, s in r["pr"].items()],
    })


def commits(call: Call, repo_type: str, ns: str, name: str, revision: str):
    meta = call.repo(repo_type, ns, name)
    sha = call.hub.resolve(meta, revision)
    return _json([{"id": c["id"], "title": c["title"], "message": c["message"], "date": c["date"],
                   "authors": [{"user": a} for a in c.get("authors", [])]}
                  for c in call.hub.store.history(meta, sha)])


def branch(call: Call, repo_type: str, ns: str, name: str, branch: str):
    def edit(meta: dict, heads: dict) -> None:
        if call.method == "DELETE":
            if branch not in heads:
                raise _revision_not_found(branch)
            if branch == "main":
                raise HubHTTPError(403, "Cannot delete the main branch", ko="main 브랜치는 지울 수 없습니다.")
            del heads[branch]
            return
        _check_new_ref(branch, "브랜치 이름", "Invalid reference for a branch")
        start = _field(_load_json(call.body), "startingPoint", str, "main")
        if branch in heads:
            raise HubHTTPError(409, f"Reference already exists: refs/heads/{branch}",
                               ko="같은 이름의 브랜치가 이미 있습니다. exist_ok=True 로 부르거나 다른 이름을 쓰세요.")
        heads[branch] = call.hub.resolve(meta, start)

    return _edit_refs(call, repo_type, ns, name, "heads", "branches", edit)


def tag(call: Call, repo_type: str, ns: str, name: str, revision: str):
    """POST .../tag/<revision> {"tag": name} tags ``revision``; DELETE .../tag/<name> deletes the tag."""
    def edit(meta: dict, tags: dict) -> None:
        if call.method == "DELETE":
            if revision not in tags:
                raise _revision_not_found(revision)
            del tags[revision]
            return
        payload = _load_json(call.body)
        new = _field(payload, "tag", str, required=True)
        _field(payload, "message", str)
        _check_new_ref(new, "태그 이름", "Invalid tag name")
        if new in tags:
            raise HubHTTPError(409, f"Tag already exists: {new}", ko="같은 이름의 태그가 이미 있습니다. 다른 이름을 쓰세요.")
        tags[new] = call.hub.resolve(meta, revision)

    return _edit_refs(call, repo_type, ns, name, "tags", "tags", edit)


def _edit_refs(call: Call, repo_type: str, ns: str, name: str, kind: str, what: str,
               edit: Callable[[dict, dict], None]):
    """Check that the caller may write, then apply ``edit(meta, refs)`` to the repo's ``kind`` refs (``heads`` or
    ``tags``) under the store lock and save the repo."""
    call.repo(repo_type, ns, name)
    call.hub.require_write(call.user, ns, f"manage {what} of this {repo_type}")
    with call.hub.store.lock:
        meta = call.hub.store.load_repo(repo_type, f"{ns}/{name}")
        edit(meta, meta["refs"][kind])
        call.hub.store.save_repo(meta)
    return _json({})


def _check_new_ref(ref: str, what: str, message: str) -> None:
    """400 (Korean) unless ``ref`` is a name git takes for a new branch or tag, not starting with ``refs/``."""
    problem = _ref_problem(ref, what)
    if problem or ref.startswith("refs/"):
        raise _bad_request((problem or f"{what}은(는) refs/ 로 시작할 수 없습니다") + ".", message)
