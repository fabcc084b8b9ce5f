"""What the practice hub refuses like the Hub (names, paths, refs, booleans) and how ``serve_forever`` fails.

Refusals are 4xx answers with a Korean line; valid names still work end to end with the real
``huggingface_hub.HfApi`` client. ``serve_forever`` raises ``HflabError`` (Korean message + fix) for a
port in use, a port outside 0..65535 and a root that cannot be created.
"""
from __future__ import annotations

import json
import re
import socket
import threading

import httpx
import pytest

huggingface_hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import hf_hub_download  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

from hflab.errors import HflabError  # noqa: E402
from hflab.practice_hub import serve_forever  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3]")


# the practice hub tests' fixtures: a started hub (this module's own), offline + activated, its HfApi
from test_practice_hub import active, api, hub, offline  # noqa: E402, F401


def _refused(response: httpx.Response) -> str:
    """The Korean line of a 4xx answer (fails when it is not a 4xx or has no Korean)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    text = response.json()["error"]
    assert HANGUL.search(text), text
    return text


def _korean_http_error(info) -> None:
    response = info.value.response
    assert 400 <= response.status_code < 500
    assert HANGUL.search(str(info.value)), str(info.value)  # what the learner sees: the client's message


def test_the_three_inputs_the_hub_refuses_get_a_korean_4xx(api, hub):
    api.create_repo("student/refusals", exist_ok=True)
    # 1. a 304-character file name (hf download then failed with Errno 36): refused at preupload
    with pytest.raises(HfHubHTTPError) as info:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="a" * 304 + ".txt", repo_id="student/refusals")
    _korean_http_error(info)
    # 2. a tag or a branch named ../x
    with pytest.raises(HfHubHTTPError) as info:
        api.create_tag("student/refusals", tag="../x")
    _korean_http_error(info)
    with pytest.raises(HfHubHTTPError) as info:
        api.create_branch("student/refusals", branch="../x")
    _korean_http_error(info)
    # 3. "private": "no" (a string, not a JSON boolean) no longer makes a repo private
    auth = {"Authorization": f"Bearer {hub.token}"}
    r = httpx.post(hub.endpoint + "/api/repos/create", json={"name": "not-private", "private": "no"}, headers=auth)
    assert "true/false" in _refused(r)
    assert hub.store.load_repo("model", "student/not-private") is None
    r = httpx.put(hub.endpoint + "/api/models/student/refusals/settings", json={"private": "no"}, headers=auth)
    _refused(r)
    assert api.model_info("student/refusals").private is False
    refs = api.list_repo_refs("student/refusals")
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []
    assert api.list_repo_files("student/refusals") == [".gitattributes"]


@pytest.mark.parametrize("name", ["-x", "x-", ".x", "x.", "a--b", "a..b", "a" * 97, "x.git", "a b", "한글", "a/b",
                                  "a\\b", ""])
def test_repo_names_the_hub_refuses(hub, name):
    r = httpx.post(hub.endpoint + "/api/repos/create", json={"name": name},
                   headers={"Authorization": f"Bearer {hub.token}"})
    _refused(r)


@pytest.mark.parametrize("path", ["../x", "a/../b", "/abs", "a//b", "./a", ".git/config", "a\\b", "a\nb",
                                  "가" * 86 + ".txt", "d/" * 600 + "f", "\ud800.txt"])
def test_file_paths_the_hub_refuses(hub, path):
    auth = {"Authorization": f"Bearer {hub.token}"}
    hub.add_repo("student/paths", files={"keep.txt": "k"})
    r = httpx.post(hub.endpoint + "/api/models/student/paths/preupload/main",
                   content=json.dumps({"files": [{"path": path, "size": 1}]}), headers=auth)
    _refused(r)
    line = {"key": "file", "value": {"path": path, "content": "eA==", "encoding": "base64"}}
    body = json.dumps({"key": "header", "value": {"summary": "x"}}) + "\n" + json.dumps(line) + "\n"
    r = httpx.post(hub.endpoint + "/api/models/student/paths/commit/main", content=body, headers=auth)
    _refused(r)


@pytest.mark.parametrize("ref", ["../x", "a..b", "-x", "x.lock", "x/", "x.", "a//b", ".hidden", "a/.b", "a~1",
                                 "a^", "a:b", "a?b", "a*b", "a[b", "a\\b", "a b", "a\x01b", "@{x}", "refs/heads/x",
                                 "b" * 256])
def test_branch_and_tag_names_git_refuses(hub, ref):
    auth = {"Authorization": f"Bearer {hub.token}"}
    hub.add_repo("student/refs", files={"keep.txt": "k"})
    _refused(httpx.post(hub.endpoint + "/api/models/student/refs/tag/main", json={"tag": ref}, headers=auth))
    branch = ref.replace("%", "%25").replace("/", "%2F").replace("?", "%3F").replace("#", "%23").replace(" ", "%20")
    url = httpx.URL(hub.endpoint + "/").copy_with(
        raw_path=b"/api/models/student/refs/branch/" + branch.replace("\x01", "%01").encode())
    _refused(httpx.post(url, json={}, headers=auth))


@pytest.mark.parametrize("repo_id", ["no-slash", "a/b/c", "bad--ns/x", "student/x.git", "student/-x"])
def test_seeding_a_repo_the_hub_would_refuse_says_so_in_korean(hub, repo_id):
    with pytest.raises(HflabError) as info:
        hub.add_repo(repo_id, files={"a.txt": "a"})
    assert HANGUL.search(str(info.value)) and "소유자/이름" in info.value.fix


def test_valid_names_still_work_with_the_real_client(api, hub, tmp_path):
    repo = "student/Valid_name.v2-ok"
    api.create_repo(repo, private=False)
    long_name = "n" * 251 + ".txt"  # a 255-byte file name: the longest a file system takes, and the hub
    for path in ("폴더/한글 파일.txt", long_name, "deep/" * 20 + "f.txt"):
        api.upload_file(path_or_fileobj=path.encode(), path_in_repo=path, repo_id=repo)
    api.create_tag(repo, tag="v1.0")
    api.create_branch(repo, branch="feature/x-1_y")
    api.update_repo_settings(repo, private=True)
    assert api.model_info(repo).private is True
    for revision in ("v1.0", "feature/x-1_y"):
        local = hf_hub_download(repo, long_name, revision=revision, token=hub.token, cache_dir=tmp_path)
        assert open(local, "rb").read() == long_name.encode()
    refs = api.list_repo_refs(repo)
    assert {b.name for b in refs.branches} == {"main", "feature/x-1_y"} and [t.name for t in refs.tags] == ["v1.0"]


# --------------------------------------------------------------------------------------------------
# serve_forever (what `hflab hub` runs): Korean HflabError instead of a traceback
# --------------------------------------------------------------------------------------------------
def _serve_error(root, port) -> HflabError:
    """``serve_forever`` in a thread (so a regression that serves instead of raising cannot hang the test)."""
    caught: list[BaseException] = []

    def run():
        try:
            serve_forever(root, port)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            caught.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "serve_forever served instead of refusing"
    assert len(caught) == 1 and isinstance(caught[0], HflabError), caught
    err = caught[0]
    assert HANGUL.search(str(err)) and err.fix and HANGUL.search(err.fix)
    assert "Traceback" not in str(err)
    return err


def test_serve_forever_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        err = _serve_error(tmp_path / "hub", port)
    assert "이미 사용 중" in str(err) and "--port" in err.fix


@pytest.mark.parametrize("port", [99999, -1, 65536])
def test_serve_forever_port_outside_the_range(tmp_path, port):
    err = _serve_error(tmp_path / "hub", port)
    assert str(port) in str(err) and "0~65535" in err.fix
    assert not (tmp_path / "hub").exists()  # refused before touching the disk


def test_serve_forever_root_that_cannot_be_created(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    err = _serve_error(tmp_path / "a-file" / "hub", 0)
    assert "a-file" in str(err) and "--root" in err.fix
