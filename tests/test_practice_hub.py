"""The practice hub, exercised with the real clients only (huggingface_hub, transformers, datasets).

Every test runs the client the way an offline notebook does: HF_HUB_OFFLINE is on, the hub is
activated (endpoint + loopback-only exception), and nothing can leave 127.0.0.1.
"""
from __future__ import annotations

import base64
import json
import os
import random
import re
import string

import httpx
import pytest

huggingface_hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import (  # noqa: E402
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    HfApi,
    constants,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (  # noqa: E402
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hflab.practice_hub import PracticeHub  # noqa: E402

CANARY = "hf_CANARY" + "".join(random.choices(string.ascii_letters, k=24))


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = PracticeHub(tmp_path_factory.mktemp("practice_hub")).start()
    yield h
    h.stop()


@pytest.fixture
def offline(monkeypatch):
    """The offline notebook situation: HF_HUB_OFFLINE=1 already read by the imported client, canary HF_TOKEN."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", CANARY)


@pytest.fixture
def active(hub, offline):
    with hub.activated():
        yield hub


@pytest.fixture
def api(active):
    return HfApi(endpoint=active.endpoint, token=active.token)


def _folder(tmp_path):
    root = tmp_path / "upload"
    (root / "sub").mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 32}))
    (root / "README.md").write_text("---\nlicense: apache-2.0\nlanguage: ko\n---\n# 연습 모델\n", encoding="utf-8")
    (root / "sub" / "weights.safetensors").write_bytes(os.urandom(4096))  # LFS path per .gitattributes
    (root / "sub" / "notes.txt").write_text("안녕하세요\n", encoding="utf-8")
    return root


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------------------------------
def test_whoami_write_and_read_tokens(api, active):
    me = api.whoami()
    assert me["name"] == "student"
    assert me["auth"]["accessToken"]["role"] == "write"
    assert HfApi(endpoint=active.endpoint).whoami(token=active.read_token)["auth"]["accessToken"]["role"] == "read"


def test_invalid_and_revoked_tokens_get_the_hubs_401(active):
    for token in (CANARY, active.add_token()):
        if token != CANARY:
            active.revoke_token(token)
        with pytest.raises(HfHubHTTPError) as info:
            HfApi(endpoint=active.endpoint).whoami(token=token)
        response = info.value.response
        assert response.status_code == 401
        assert response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
        assert "error" in response.json()
    assert "revoked" in response.json()["error"]


def test_private_repo_upload_list_download_byte_identical(api, active, tmp_path):
    url = api.create_repo("student/roundtrip", private=True)
    assert url.repo_id == "student/roundtrip" and url.endpoint == active.endpoint
    folder = _folder(tmp_path)
    api.upload_folder(repo_id="student/roundtrip", folder_path=folder, commit_message="첫 업로드")
    expected = _files(folder)
    assert sorted(api.list_repo_files("student/roundtrip")) == sorted([".gitattributes", *expected])

    info = api.model_info("student/roundtrip", files_metadata=True)
    assert info.private is True and info.card_data["license"] == "apache-2.0"
    lfs = {s.rfilename: s.lfs for s in info.siblings}
    assert lfs["sub/weights.safetensors"] is not None and lfs["config.json"] is None

    cache = tmp_path / "cache"
    for name, data in expected.items():
        path = hf_hub_download("student/roundtrip", name, token=active.token, cache_dir=cache)
        assert open(path, "rb").read() == data
    snap = snapshot_download("student/roundtrip", token=active.token, cache_dir=tmp_path / "cache2")
    assert {k: v for k, v in _files(type(folder)(snap)).items() if k != ".gitattributes"} == expected

    # private: invisible without the owner's token
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=active.endpoint).model_info("student/roundtrip", token=False)
    other = active.add_token(user="someone-else", role="write")
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=active.endpoint).model_info("student/roundtrip", token=other)

    # unchanged re-upload is a no-op (preupload oids let the client skip every file)
    before = api.model_info("student/roundtrip").sha
    api.upload_folder(repo_id="student/roundtrip", folder_path=folder)
    assert api.model_info("student/roundtrip").sha == before


def test_create_repo_conflict_exist_ok_and_read_token(api, active):
    api.create_repo("student/dup")
    with pytest.raises(HfHubHTTPError) as info:
        api.create_repo("student/dup")
    assert info.value.response.status_code == 409
    api.create_repo("student/dup", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as info:
        HfApi(endpoint=active.endpoint, token=active.read_token).create_repo("student/by-read-token")
    assert info.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as info:
        api.create_repo("someone-else/not-mine")
    assert info.value.response.status_code == 403


def test_branches_revisions_history_delete_copy(api, active, tmp_path):
    repo = "student/revs"
    api.create_repo(repo)
    first = api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id=repo).oid
    api.create_branch(repo, branch="v1")
    api.create_branch(repo, branch="v1", exist_ok=True)
    api.upload_file(path_or_fileobj=b"v2", path_in_repo="a.txt", repo_id=repo)
    api.create_tag(repo, tag="first", revision=first)
    dl = lambda rev: open(hf_hub_download(repo, "a.txt", revision=rev, token=active.token,  # noqa: E731
                                          cache_dir=tmp_path), "rb").read()
    assert (dl("main"), dl("v1"), dl(first), dl("first")) == (b"v2", b"v1", b"v1", b"v1")
    refs = api.list_repo_refs(repo)
    assert {b.name for b in refs.branches} == {"main", "v1"} and [t.name for t in refs.tags] == ["first"]
    assert [c.title for c in api.list_repo_commits(repo)][-1] == "initial commit"
    assert len(api.list_repo_commits(repo)) == 3

    api.create_commit(repo, operations=[CommitOperationCopy("a.txt", "b.txt"),
                                        CommitOperationAdd("dir/c.txt", b"c")], commit_message="copy")
    api.create_commit(repo, operations=[CommitOperationDelete("a.txt"), CommitOperationDelete("dir/")],
                      commit_message="delete")
    assert sorted(api.list_repo_files(repo)) == [".gitattributes", "b.txt"]
    assert api.list_repo_files(repo, revision="v1") == [".gitattributes", "a.txt"]
    with pytest.raises(HfHubHTTPError) as info:
        api.create_commit(repo, operations=[CommitOperationAdd("x.txt", b"x")], commit_message="stale",
                          parent_commit=first)
    assert info.value.response.status_code == 412
    with pytest.raises(RevisionNotFoundError):
        api.model_info(repo, revision="no-such-branch")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo, "missing.txt", token=active.token, cache_dir=tmp_path)


def test_gated_repo_answers_403_until_granted(active, tmp_path):
    active.add_repo("gated-org/gated-model", files={"config.json": "{}"}, gated="manual")
    api = HfApi(endpoint=active.endpoint, token=active.token)
    assert api.model_info("gated-org/gated-model").gated == "manual"  # the card is public
    with pytest.raises(GatedRepoError) as info:
        hf_hub_download("gated-org/gated-model", "config.json", token=active.token, cache_dir=tmp_path)
    assert info.value.response.status_code == 403
    assert info.value.response.headers["X-Error-Code"] == "GatedRepo"
    with pytest.raises(GatedRepoError) as info:
        hf_hub_download("gated-org/gated-model", "config.json", token=False, cache_dir=tmp_path)
    assert info.value.response.status_code == 401
    active.grant_access("gated-org/gated-model", "student")
    assert open(hf_hub_download("gated-org/gated-model", "config.json", token=active.token,
                                cache_dir=tmp_path)).read() == "{}"


def test_auth_check_answers_like_the_hub(api, active):
    """HfApi.auth_check: nothing when readable, the library's GatedRepoError / RepositoryNotFoundError otherwise."""
    active.add_repo("gated-org/checked", files={"config.json": "{}"}, gated="manual")
    with pytest.raises(GatedRepoError):
        api.auth_check("gated-org/checked")
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check("student/no-such-thing")
    api.create_repo("student/checked-mine", private=True, exist_ok=True)
    assert api.auth_check("student/checked-mine") is None and api.auth_check("student/checked-mine", write=True) is None
    with pytest.raises(HfHubHTTPError) as info:
        HfApi(endpoint=active.endpoint, token=active.read_token).auth_check("student/checked-mine", write=True)
    assert info.value.response.status_code == 403


def test_fine_grained_tokens_do_what_their_permissions_say(api, active):
    read_only = active.add_token(role="fineGrained", permissions={"student": ["repo.content.read"]}, name="fg-read")
    writer = active.add_token(role="fineGrained", permissions={"student": ["repo.content.read", "repo.write"]})
    nothing = active.add_token(role="fineGrained", permissions={"someone-else": ["repo.write"]})
    me = HfApi(endpoint=active.endpoint, token=read_only).whoami()
    access = me["auth"]["accessToken"]
    assert access["role"] == "fineGrained" and access["displayName"] == "fg-read"
    assert access["fineGrained"]["scoped"] == [{"entity": {"type": "user", "name": "student"},
                                                "permissions": ["repo.content.read"]}]
    api.create_repo("student/fg-private", private=True, exist_ok=True)
    assert HfApi(endpoint=active.endpoint, token=read_only).model_info("student/fg-private").private
    with pytest.raises(HfHubHTTPError) as info:
        HfApi(endpoint=active.endpoint, token=read_only).create_repo("student/fg-made")
    assert info.value.response.status_code == 403 and "repo.write" in str(info.value)
    HfApi(endpoint=active.endpoint, token=writer).create_repo("student/fg-made")
    with pytest.raises(RepositoryNotFoundError):  # no repo.content.read on the namespace: private repos are hidden
        HfApi(endpoint=active.endpoint, token=nothing).model_info("student/fg-private")
    with pytest.raises(ValueError):
        active.add_token(role="fineGrained")


def test_missing_repo_has_the_repository_not_found_shape(api, active):
    with pytest.raises(RepositoryNotFoundError) as info:
        api.model_info("student/does-not-exist")
    assert info.value.response.status_code == 404
    assert info.value.response.headers["X-Error-Code"] == "RepoNotFound"
    body = info.value.response.json()  # the Hub's shape: only "error", its text first, then the Korean line
    assert list(body) == ["error"] and body["error"].splitlines()[0] == "Repository not found"
    assert re.search("[가-힣]", body["error"])
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("student/does-not-exist")


def test_transformers_push_to_hub_and_from_pretrained_with_revision(active, tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=32)
    model = BertModel(config)
    model.push_to_hub("student/tiny-bert", token=active.token)
    api = HfApi(endpoint=active.endpoint, token=active.token)
    assert {"config.json", "model.safetensors"} <= set(api.list_repo_files("student/tiny-bert"))
    first_sha = api.model_info("student/tiny-bert").sha
    api.create_branch("student/tiny-bert", branch="v1")

    loaded = AutoModel.from_pretrained("student/tiny-bert", token=active.token, cache_dir=tmp_path)
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name

    with torch.no_grad():
        model.embeddings.word_embeddings.weight.add_(1.0)
    model.push_to_hub("student/tiny-bert", token=active.token, commit_message="두 번째 버전")
    new = AutoModel.from_pretrained("student/tiny-bert", token=active.token, cache_dir=tmp_path)
    old = AutoModel.from_pretrained("student/tiny-bert", revision="v1", token=active.token, cache_dir=tmp_path)
    by_sha = AutoModel.from_pretrained("student/tiny-bert", revision=first_sha, token=active.token,
                                       cache_dir=tmp_path)
    w = lambda m: m.embeddings.word_embeddings.weight  # noqa: E731
    assert torch.equal(w(new), w(model)) and torch.equal(w(old), w(loaded)) and torch.equal(w(by_sha), w(loaded))


def test_dataset_push_to_hub_and_load_dataset_round_trip(active, tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = {"text": ["좋아요", "별로예요", "보통이에요"], "label": [1, 0, 1]}
    ds = datasets.Dataset.from_dict(rows)
    ds.push_to_hub("student/tiny-reviews", token=active.token, private=True)
    api = HfApi(endpoint=active.endpoint, token=active.token)
    files = api.list_repo_files("student/tiny-reviews", repo_type="dataset")
    assert "README.md" in files and any(f.startswith("data/train-") and f.endswith(".parquet") for f in files)
    back = datasets.load_dataset("student/tiny-reviews", split="train", token=active.token,
                                 cache_dir=str(tmp_path / "ds"))
    assert back.to_dict() == rows


def test_space_upload_folder(api, active, tmp_path):
    app = tmp_path / "space"
    app.mkdir()
    (app / "app.py").write_text("import gradio as gr\n")
    (app / "requirements.txt").write_text("gradio\n")
    api.create_repo("student/demo", repo_type="space", space_sdk="gradio")
    api.upload_folder(repo_id="student/demo", repo_type="space", folder_path=app)
    assert sorted(api.list_repo_files("student/demo", repo_type="space")) == [
        ".gitattributes", "README.md", "app.py", "requirements.txt"]
    info = api.space_info("student/demo")
    assert info.sdk == "gradio" and info.runtime.stage == "PAUSED"
    assert "student/demo" in [m.id for m in api.list_spaces(author="student")]


def test_state_survives_a_restart(hub, offline, tmp_path):
    with hub.activated():
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        api.create_repo("student/persist", exist_ok=True)
        api.upload_file(path_or_fileobj=b"kept", path_in_repo="k.txt", repo_id="student/persist")
    again = PracticeHub(hub.root).start()
    try:
        assert again.token == hub.token
        with again.activated():
            path = hf_hub_download("student/persist", "k.txt", token=again.token, cache_dir=tmp_path)
            assert open(path, "rb").read() == b"kept"
    finally:
        again.stop()


def test_bad_requests_get_hub_errors_and_never_crash_the_server(active):
    base, auth = active.endpoint, {"Authorization": f"Bearer {active.token}"}
    HfApi(endpoint=base, token=active.token).create_repo("student/bad", exist_ok=True)
    cases = [
        ("POST", "/api/models/student/bad/commit/main", b"not json", 400),
        ("POST", "/api/models/student/bad/commit/main", b'{"key":"file","value":{}}\n', 400),
        ("POST", "/api/models/student/bad/commit/main",
         b'{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"path":"../x","content":""}}\n', 400),
        ("POST", "/api/models/student/bad/commit/main",
         b'{"key":"header","value":{"summary":"x"}}\n{"key":"deletedFile","value":{"path":"nope"}}\n', 404),
        ("POST", "/api/models/student/bad/commit/nobranch", b'{"key":"header","value":{"summary":"x"}}\n', 404),
        ("POST", "/api/models/student/bad/preupload/main", b"[1, 2]", 400),
        ("POST", "/api/repos/create", b"{bad", 400),
        ("POST", "/api/repos/create", json.dumps({"name": "../x"}).encode(), 400),
        ("GET", "/api/models/student/bad/tree/main/no/such/dir", b"", 404),
        ("GET", "/api/unknown-endpoint", b"", 404),
        ("GET", "/student/bad/resolve/main", b"", 404),
        ("PUT", "/lfs-upload/forged", b"x", 403),
        ("POST", "/student/bad.git/info/lfs/objects/batch", b'{"operation":"download"}', 400),
    ]
    for method, path, body, status in cases:
        r = httpx.request(method, base + path, content=body, headers=auth)
        assert r.status_code == status, (method, path, r.text)
        assert isinstance(r.json()["error"], str) and r.headers["X-Error-Message"]
    r = httpx.get(base + "/student/bad/resolve/main/.gitattributes", headers={**auth, "Range": "bytes=999999-"})
    assert r.status_code == 416
    r = httpx.get(base + "/student/bad/resolve/main/.gitattributes", headers={**auth, "Range": "bytes=0-9"})
    assert r.status_code == 206 and len(r.content) == 10
    # a commit with inline base64 content still works after all that
    line = {"key": "file", "value": {"path": "ok.txt", "content": base64.b64encode(b"ok").decode(),
                                      "encoding": "base64"}}
    body = json.dumps({"key": "header", "value": {"summary": "raw"}}) + "\n" + json.dumps(line) + "\n"
    r = httpx.post(base + "/api/models/student/bad/commit/main", content=body,
                   headers={**auth, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and len(r.json()["commitOid"]) == 40


def test_fault_injection_answers_500(api, active):
    active.fail(r"^/api/whoami-v2$", status=500, times=1)
    with pytest.raises(HfHubHTTPError) as info:
        api.whoami()
    assert info.value.response.status_code == 500
    assert api.whoami()["name"] == "student"  # times=1: the next call works


def test_activation_is_loopback_only_and_fully_undone(hub, offline, monkeypatch):
    from huggingface_hub.utils import _http

    before = (constants.ENDPOINT, constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_XET,
              _http._GLOBAL_CLIENT_FACTORY, os.environ.get("HF_ENDPOINT"), os.environ["HF_TOKEN"])
    with hub.activated(export_token=True):
        assert constants.ENDPOINT == hub.endpoint and constants.HF_HUB_OFFLINE is False
        assert HfApi().whoami()["name"] == "student"  # HF_TOKEN exported for the duration
        with pytest.raises(OfflineModeIsEnabled):
            HfApi(endpoint="https://huggingface.co").whoami(token=hub.token)
    after = (constants.ENDPOINT, constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_XET,
             _http._GLOBAL_CLIENT_FACTORY, os.environ.get("HF_ENDPOINT"), os.environ["HF_TOKEN"])
    assert after == before and after[-1] == CANARY
    with pytest.raises(OfflineModeIsEnabled):  # offline again: even the practice hub is refused
        HfApi(endpoint=hub.endpoint).whoami(token=hub.token)


def test_repr_and_pages_never_show_the_token(active):
    assert active.token not in repr(active) and active.read_token not in repr(active)
    page = httpx.get(active.endpoint + "/").text
    assert "practice hub" in page and active.token not in page
    assert active.token not in json.dumps(active.requests)


def test_fresh_start_and_publishing_a_cached_repo(hub, offline, tmp_path):
    with hub.activated():
        api = HfApi(endpoint=hub.endpoint, token=hub.token)
        api.create_repo("student/cached-src", exist_ok=True)
        api.upload_file(path_or_fileobj=b'{"model_type": "bert"}', path_in_repo="config.json",
                        repo_id="student/cached-src")
        api.upload_file(path_or_fileobj=os.urandom(256), path_in_repo="model.safetensors",
                        repo_id="student/cached-src")
        snapshot_download("student/cached-src", token=hub.token, cache_dir=tmp_path / "cache")
    other = PracticeHub(tmp_path / "other", fresh=True)
    other.add_repo("student/old", files={"a.txt": "a"})
    other = PracticeHub(tmp_path / "other", fresh=True)  # fresh: repos gone, tokens kept
    assert other.store.load_repo("model", "student/old") is None
    other.add_repo_from_cache("student/cached-src", cache_dir=tmp_path / "cache", as_repo_id="mirror/bert",
                              ignore_patterns=["*.safetensors"])
    with other.start(), other.activated():
        api = HfApi(endpoint=other.endpoint, token=other.token)
        assert api.list_repo_files("mirror/bert") == [".gitattributes", "config.json"]
        assert api.model_info("mirror/bert").config == {"model_type": "bert"}
    with pytest.raises(Exception) as info:
        other.add_repo_from_cache("nobody/not-cached", cache_dir=tmp_path / "cache")
    assert "hflab mirror" in str(info.value)


def test_serve_forever_runs_in_the_foreground(tmp_path):
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from hflab.practice_hub import serve_forever; serve_forever({str(tmp_path)!r}, {port})"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/whoami-v2")
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "hub did not start"
                time.sleep(0.2)
        assert r.status_code == 401
        token = PracticeHub(tmp_path).token
        r = httpx.get(f"http://127.0.0.1:{port}/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
        assert r.json()["name"] == "student"
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}" in out and token not in out


def test_clients_built_before_activation_follow_the_hub_and_are_restored(hub, offline, tmp_path):
    """``huggingface_hub.create_repo`` / ``upload_file`` (module-level ``HfApi``) and transformers' shared
    ``hf_api()`` are built once, with the endpoint of that moment (e.g. by ``from_pretrained`` from the offline
    mirror before the hub is activated): activation points them at the hub and deactivation restores them."""
    import huggingface_hub.hf_api as hf_api_mod

    pytest.importorskip("transformers")
    from transformers.utils import hub as tf_hub

    tf_api = tf_hub.hf_api()  # created now if not yet, like a from_pretrained before activation would
    before = (hf_api_mod.api.endpoint, tf_api.endpoint)
    with hub.activated(export_token=True):
        assert hf_api_mod.api.endpoint == hub.endpoint and tf_hub.hf_api().endpoint == hub.endpoint
        huggingface_hub.create_repo("student/made-by-module-function", private=True, exist_ok=True)
        (tmp_path / "a.txt").write_text("a")
        huggingface_hub.upload_file(path_or_fileobj=tmp_path / "a.txt", path_in_repo="a.txt",
                                    repo_id="student/made-by-module-function")
        assert "a.txt" in tf_hub.hf_api().list_repo_files("student/made-by-module-function")
    assert (hf_api_mod.api.endpoint, tf_api.endpoint) == before

    # one built while the hub is active (first push_to_hub in an activated notebook) is restored as well
    tf_hub._hf_api = None
    with hub.activated():
        built_inside = tf_hub.hf_api()
        assert built_inside.endpoint == hub.endpoint
    assert built_inside.endpoint == constants.ENDPOINT == before[0]


# ------------------------------------------------------------------------------------------------ git habits
def _git(*args, cwd=None):
    import subprocess

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd or os.getcwd()),
           "GIT_AUTHOR_NAME": "student", "GIT_AUTHOR_EMAIL": "s@example.invalid",
           "GIT_COMMITTER_NAME": "student", "GIT_COMMITTER_EMAIL": "s@example.invalid"}
    return subprocess.run(["git", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def _suggested_command(stderr: str) -> str:
    lines = [ln.removeprefix("remote:").strip() for ln in stderr.splitlines() if ln.startswith("remote:")]
    return next(ln for ln in lines if ln.startswith("HF_ENDPOINT="))


@pytest.mark.skipif(__import__("shutil").which("git") is None, reason="git is not installed")
def test_git_clone_and_push_get_a_korean_message_and_the_hf_command_that_works(hub, api, tmp_path):
    """Learners with the seed's Repository/git habit: git's smart-HTTP probe gets a Korean message (git
    prints it as remote: lines) naming the hf command, and that command, run as printed, does the job."""
    import shlex
    import subprocess
    import sys

    api.create_repo("student/git-habit", exist_ok=True)
    api.upload_file(path_or_fileobj=b"hello from the hub\n", path_in_repo="notes.txt", repo_id="student/git-habit")

    clone = _git("clone", f"{hub.endpoint}/student/git-habit", str(tmp_path / "clone"), cwd=tmp_path)
    assert clone.returncode != 0 and "git 을 서비스하지 않습니다" in clone.stderr, clone.stderr
    assert "repository not found" not in clone.stderr.lower() and "403" in clone.stderr
    download = _suggested_command(clone.stderr)
    assert " hf download student/git-habit " in download and hub.endpoint in download
    # the printed command, run as a learner would (in a terminal with the practice token in HF_TOKEN)
    words = shlex.split(download)
    env_vars = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
    argv = [w for w in words if w not in {f"{k}={v}" for k, v in env_vars.items()}]
    hf = os.path.join(os.path.dirname(sys.executable), "hf")
    env = {**os.environ, **env_vars, "HF_TOKEN": hub.token, "HF_HUB_OFFLINE": "0",
           "HF_HUB_CACHE": str(tmp_path / "cache"), "HF_HOME": str(tmp_path / "hf_home")}
    got = subprocess.run([hf, *argv[1:]], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert got.returncode == 0, got.stderr[-1000:]
    assert (tmp_path / "git-habit" / "notes.txt").read_text() == "hello from the hub\n"

    work = tmp_path / "work"
    assert _git("init", "-q", str(work), cwd=tmp_path).returncode == 0
    (work / "more.txt").write_text("pushed the hf way\n")
    assert _git("add", "more.txt", cwd=work).returncode == 0 and _git("commit", "-qm", "x", cwd=work).returncode == 0
    push = _git("push", f"{hub.endpoint}/student/git-habit", "HEAD:main", cwd=work)
    assert push.returncode != 0 and "git 을 서비스하지 않습니다" in push.stderr, push.stderr
    assert " hf upload student/git-habit " in _suggested_command(push.stderr)
    ls_remote = _git("ls-remote", f"{hub.endpoint}/datasets/student/some-data.git", cwd=tmp_path)
    assert "hf download student/some-data --repo-type dataset" in ls_remote.stderr, ls_remote.stderr
    assert ("GET", "/student/git-habit/info/refs", 403) in hub.requests
