"""Malformed requests on every route of the practice hub: never a 5xx, every 4xx with a Korean message.

A fixed corpus built here (hypothesis is not in the dev environment): for each route of
``hflab.practice_hub.ROUTES`` (the table the dispatcher matches), the route's valid request is sent with
malformed bodies (not JSON, invalid UTF-8, lone surrogates, deep nesting, non-object JSON, every field
of the body replaced by values of every JSON type, NDJSON commits with garbage lines, over-long names),
mutated path segments and wrong credentials. httpx against a started hub on 127.0.0.1 only.
"""
from __future__ import annotations

import copy
import json
import re
import time

import httpx
import pytest

pytest.importorskip("fastapi")
from hflab.practice_hub import ROUTES, PracticeHub, _route_for  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3]")
REPO = "/api/models/student/fuzz"

#: one valid request per (route, method): the path, and the body's valid form (None: no body)
EXAMPLES: dict[tuple[str, str], tuple[str, object]] = {
    ("whoami", "GET"): ("/api/whoami-v2", None),
    ("repo-create", "POST"): ("/api/repos/create", {"name": "fuzz-made", "type": "model", "private": False,
                                                    "visibility": "public", "sdk": "gradio", "organization": "student"}),
    ("repo-delete", "DELETE"): ("/api/repos/delete", {"name": "fuzz-gone", "type": "model", "organization": "student"}),
    ("validate-yaml", "POST"): ("/api/validate-yaml", {"content": "---\nlicense: mit\n---\n", "repoType": "model"}),
    ("telemetry", "POST"): ("/api/telemetry/examples/x", {"event": "x"}),
    ("repo-list", "GET"): ("/api/models?author=student&search=fuzz", None),
    ("repo-info", "GET"): (REPO + "?blobs=true&expand[]=siblings", None),
    ("repo-info-revision", "GET"): (REPO + "/revision/main", None),
    ("auth-check", "GET"): (REPO + "/auth-check/write", None),
    ("tree", "GET"): (REPO + "/tree/main/dir?recursive=true&expand=true", None),
    ("paths-info", "POST"): (REPO + "/paths-info/main", {"paths": ["a.txt", "dir"], "expand": True}),
    ("refs", "GET"): (REPO + "/refs", None),
    ("commits", "GET"): (REPO + "/commits/main", None),
    ("preupload", "POST"): (REPO + "/preupload/main", {"files": [{"path": "b.txt", "size": 2, "sample": "YQ=="}]}),
    ("commit", "POST"): (REPO + "/commit/main", [
        {"key": "header", "value": {"summary": "fuzz", "description": "", "parentCommit": None}},
        {"key": "file", "value": {"path": "b.txt", "content": "YQ==", "encoding": "base64"}},
        {"key": "lfsFile", "value": {"path": "c.bin", "algo": "sha256", "oid": "0" * 64}},
        {"key": "deletedFile", "value": {"path": "nope.txt"}},
    ]),
    ("branch", "POST"): (REPO + "/branch/fuzz-branch", {"startingPoint": "main"}),
    ("branch", "DELETE"): (REPO + "/branch/fuzz-branch", None),
    ("tag", "POST"): (REPO + "/tag/main", {"tag": "fuzz-tag", "message": "m"}),
    ("tag", "DELETE"): (REPO + "/tag/fuzz-tag", None),
    ("settings", "PUT"): (REPO + "/settings", {"private": False, "gated": False, "visibility": "public"}),
    ("space-runtime", "GET"): ("/api/spaces/student/fuzz-space/runtime", None),
    ("lfs-upload", "PUT"): ("/lfs-upload/forged-id", None),
    ("lfs-batch", "POST"): ("/student/fuzz.git/info/lfs/objects/batch", {
        "operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
        "objects": [{"oid": "0" * 64, "size": 1}]}),
    ("lfs-verify", "POST"): ("/student/fuzz.git/info/lfs/objects/verify", {"oid": "0" * 64, "size": 1}),
    ("git-refs", "GET"): ("/student/fuzz/info/refs?service=git-upload-pack", None),
    ("git-refs", "HEAD"): ("/datasets/student/fuzz.git/info/refs", None),
    ("git-rpc", "POST"): ("/student/fuzz/git-receive-pack", None),
    ("resolve", "GET"): ("/student/fuzz/resolve/main/a.txt", None),
    ("resolve", "HEAD"): ("/student/fuzz/resolve/main/a.txt", None),
    ("home", "GET"): ("/", None),
    ("repo-page", "GET"): ("/student/fuzz", None),
}

#: values of every JSON type (and of the shapes the hub must refuse) put in place of each field
WRONG_VALUES = [5, -1, 1.5, True, False, None, "", "x", "\ud800", "a" * 300, "../x", "/abs", [], [1, "x"],
                {}, {"a": 1}, [[[[[[[[[[]]]]]]]]]]]

#: whole bodies that are not what any route accepts
RAW_BODIES = [b"", b"not json", b"{bad", b"\xff\xfe\xfa", b'"\\ud800"', b'{"a": "\\udc00"}', b'{"\\ud800": 1}',
              b"[]", b"5", b"null", b"true", b'"x"', b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
              b"\x00" * 64, b"a=b&paths=%ff&expand=%00", b"{" + b" " * 10000]

#: replacements for a path segment (raw, as sent on the wire)
SEGMENT_MUTANTS = ["%2e%2e", "a" * 300, "%00", "%ff%fe", "%0d%0aX-Injected:%201", "-x", "x.lock", "%F0%9F%98%80",
                   "refs%2Fpr%2F999", "%2F%2F", "", "a%2F..%2Fb"]


def _fields(value, path=()):
    """Every (path, leaf-or-container) of a JSON value: where a wrong value can be put."""
    if path:
        yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _fields(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _fields(v, (*path, i))


def _replaced(value, path, new):
    value = copy.deepcopy(value)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


def _encode(route: str, body) -> bytes:
    if route == "commit" and isinstance(body, list):
        return b"".join(json.dumps(line).encode() + b"\n" for line in body)
    return json.dumps(body).encode()


def _cases():
    """(method, path, body, headers-kind) for every route: the malformed corpus."""
    for (route, method), (path, body) in EXAMPLES.items():
        yield method, path, b"" if body is None else _encode(route, body), "write"
        for auth in ("none", "read", "garbage", "basic"):
            yield method, path, b"" if body is None else _encode(route, body), auth
        bare = path.split("?")[0]
        segs = bare.strip("/").split("/")
        for i, seg in enumerate(segs):
            if seg in ("api", "models", "spaces") or not seg:
                continue
            for mutant in SEGMENT_MUTANTS:
                yield method, "/" + "/".join([*segs[:i], mutant, *segs[i + 1:]]), b"", "write"
        if method not in ("POST", "PUT", "DELETE"):
            continue
        for raw in RAW_BODIES:
            yield method, path, raw, "write"
        if body is None:
            continue
        for field in _fields(body):
            for wrong in WRONG_VALUES:
                yield method, path, _encode(route, _replaced(body, field, wrong)), "write"
    # NDJSON commits with garbage lines after a valid header, and the application/json form
    header = b'{"key": "header", "value": {"summary": "fuzz"}}\n'
    for line in [b"garbage", b"[1]", b"5", b'"x"', b'{"key": "file", "value": "a string"}', b'{"key": 5}',
                 b'{"key": "file"}', b'{"key": "header", "value": {"summary": "again"}}', b'{"key": "file", '
                 b'"value": {"path": "\\ud800", "content": ""}}', b"\xff", b"[" * 3000, b'{"value": {}}',
                 b'{"key": "file", "value": {"path": "' + b"x" * 304 + b'", "content": ""}}',
                 b'{"key": "deletedFolder", "value": {"path": "/"}}',
                 b'{"key": "file", "value": {"path": "ok.txt", "content": "%%%", "encoding": "base64"}}']:
        yield "POST", REPO + "/commit/main", header + line + b"\n", "write"
    for form in [{"summary": "s", "files": 5}, {"summary": "s", "files": "abc"}, {"summary": 5},
                 {"summary": "s", "deletedFiles": [5]}, {"summary": "s", "lfsFiles": {"a": 1}}]:
        yield "POST", REPO + "/commit/main", json.dumps(form).encode(), "write"


def _korean(response: httpx.Response) -> bool:
    try:
        data = response.json()
    except ValueError:
        return bool(HANGUL.search(response.text))
    texts = []
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            texts.append(data["error"])
        texts += [e.get("message", "") for e in data.get("errors") or [] if isinstance(e, dict)]
    return any(HANGUL.search(t) for t in texts)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = PracticeHub(tmp_path_factory.mktemp("practice_hub_fuzz")).start()
    h.add_repo("student/fuzz", files={"a.txt": "a", "dir/d.txt": "d"})
    h.add_repo("student/fuzz-space", repo_type="space", files={"app.py": "print(1)"})
    yield h
    h.stop()


def test_the_corpus_covers_every_route_of_the_dispatcher():
    """A route added to ROUTES without an example here fails: the fuzz below would silently skip it."""
    covered = {name for name, _ in EXAMPLES}
    assert covered == {r.name for r in ROUTES}, "add an example for each new route to EXAMPLES"
    for route in ROUTES:
        for method in route.methods:
            if route.name == "telemetry":
                continue  # any method: POST stands for all
            assert (route.name, method) in EXAMPLES, (route.name, method)
    for (name, method), (path, _) in EXAMPLES.items():  # each example reaches its own route
        segs = path.split("?")[0].strip("/").split("/") if path.strip("/") else []
        assert _route_for(method, segs)[0].name == name, (name, method, path)


def test_malformed_requests_on_every_route_get_a_korean_4xx_never_a_5xx(hub):
    tokens = {"write": f"Bearer {hub.token}", "read": f"Bearer {hub.read_token}", "garbage": "Bearer hf_nope",
              "basic": "Basic c3R1ZGVudDpwdw=="}
    cases = list(_cases())
    assert 1000 < len(cases) < 4000  # bounded: about ten seconds on loopback
    failures = []
    started = time.monotonic()
    with httpx.Client(base_url=hub.endpoint, timeout=30) as client:
        for method, path, body, auth in cases:
            headers = {"Authorization": tokens[auth]} if auth in tokens else {}
            url = httpx.URL(hub.endpoint + "/").copy_with(raw_path=path.encode())
            r = client.request(method, url, content=body, headers=headers)
            if r.status_code >= 500:
                failures.append((r.status_code, method, path, body[:80], r.text[:200]))
            elif r.status_code >= 400 and method != "HEAD" and not _korean(r):  # HEAD answers carry no body
                failures.append((r.status_code, method, path, body[:80], "no Korean: " + r.text[:200]))
    assert not failures, f"{len(failures)} bad answers, e.g. {failures[:5]}"
    assert time.monotonic() - started < 240
    # and the hub still serves the fuzzed repo to the real client afterwards
    from huggingface_hub import HfApi

    with hub.activated():
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        assert {"a.txt", "dir/d.txt"} <= set(api.list_repo_files("student/fuzz"))
        assert api.whoami()["name"] == "student"


def test_head_errors_have_the_korean_message_on_the_get_twin(hub):
    """HEAD answers carry no body: the same request as GET shows the Korean line the client would see."""
    for path in ("/student/fuzz/resolve/main/missing.txt", "/student/fuzz/resolve/nobranch/a.txt",
                 "/student/nope/resolve/main/a.txt"):
        auth = {"Authorization": f"Bearer {hub.token}"}
        head = httpx.head(hub.endpoint + path, headers=auth)
        get = httpx.get(hub.endpoint + path, headers=auth)
        assert head.status_code == get.status_code == 404 and _korean(get), (path, get.text)
        assert head.headers["X-Error-Code"] == get.headers["X-Error-Code"]
