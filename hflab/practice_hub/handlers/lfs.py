"""Git LFS (basic transfer): the batch call hands out one-time upload URLs on this hub, the client PUTs each
object there, then verifies it. The hub has no Xet storage."""
from __future__ import annotations

import hashlib
import re
import secrets

from ..answers import HubHTTPError, _bad_request, _json
from ..common import _URL_PREFIX
from ..state import Call
from ..validate import _field, _load_json


def lfs_batch(call: Call, repo_type: str, ns: str, name: str):
    """Git LFS batch API (basic transfer): the client PUTs each object to a one-time URL on this hub."""
    repo_id = f"{ns}/{name}"
    call.hub.get_repo(repo_type, repo_id, call.user)
    call.hub.require_write(call.user, ns, f"upload to this {repo_type}")
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
        if call.hub.store.blob_path(oid).is_file():
            objects.append({"oid": oid, "size": size, "authenticated": True})  # already there: no actions
            continue
        upload_id = secrets.token_urlsafe(24)
        with call.hub.lock:
            call.hub.uploads[upload_id] = (oid, size)
        objects.append({
            "oid": oid, "size": size, "authenticated": True,
            "actions": {"upload": {"href": f"{call.base}/lfs-upload/{upload_id}", "expires_in": 3600},
                        "verify": {"href": f"{call.base}/{_URL_PREFIX[repo_type]}{repo_id}.git/info/lfs/objects/verify"}},
        })
    return _json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                 headers={"Content-Type": "application/vnd.git-lfs+json"})


def lfs_verify(call: Call, repo_type: str, ns: str, name: str):
    call.hub.get_repo(repo_type, f"{ns}/{name}", call.user)
    call.hub.require_write(call.user, ns, f"upload to this {repo_type}")
    payload = _load_json(call.body)
    oid, size = _field(payload, "oid", str, ""), _field(payload, "size", int)
    path = call.hub.store.blob_path(oid) if re.fullmatch(r"[0-9a-f]{64}", oid) else None
    if path is None or not path.is_file() or path.stat().st_size != size:
        raise HubHTTPError(404, "LFS object was not uploaded",
                           ko="LFS 파일 내용이 연습 허브에 없습니다. 다시 올리세요.")
    return _json({"success": True})


def lfs_upload(call: Call, upload_id: str):
    from starlette import responses

    with call.hub.lock:
        expected = call.hub.uploads.pop(upload_id, None)
    if expected is None:
        raise HubHTTPError(403, "Unknown or already used upload URL",
                           ko="모르는(또는 이미 쓴) 업로드 주소입니다. upload_file 로 처음부터 다시 올리세요.")
    oid, size = expected
    if len(call.body) != size or hashlib.sha256(call.body).hexdigest() != oid:
        raise _bad_request("올린 내용이 미리 알린 sha256/크기와 다릅니다. 다시 올리세요.",
                           "Uploaded content does not match the announced sha256/size")
    call.hub.store.put_blob(call.body)
    return responses.Response(status_code=200)
