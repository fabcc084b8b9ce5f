"""hflab.auth: token sources in order, Korean errors, and a canary token that never leaks.

The Hub side is the practice hub driven by the real huggingface_hub client. The only test double is
`google.colab.userdata` (no machine here runs Colab), injected into sys.modules.
"""
from __future__ import annotations

import io
import logging
import pickle
import random
import socket
import string
import sys
import traceback
import types

import pytest

from huggingface_hub import HfApi, constants
from huggingface_hub.utils import logging as hf_logging

from hflab import auth
from hflab.errors import HflabError
from hflab.practice_hub import PracticeHub

CANARY = "hf_CANARY" + "".join(random.choices(string.ascii_letters, k=24))


# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------
@pytest.fixture
def sources(monkeypatch, tmp_path):
    """No Colab, no HF_TOKEN, an empty token cache; each test adds what it needs."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    cache = tmp_path / "hf_home" / "token"
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(cache))
    for name in ("google", "google.colab", "google.colab.userdata"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert auth._in_colab_userdata() is None  # this machine is not Colab

    def no_prompt(*a, **k):
        raise AssertionError("getpass must not be called")

    monkeypatch.setattr(auth.getpass, "getpass", no_prompt)
    return cache


def fake_colab(monkeypatch, *, value=None, error=None):
    """Install a fake `google.colab.userdata` (the real one only exists inside Colab)."""
    userdata = types.ModuleType("google.colab.userdata")
    errors = {n: type(n, (Exception,), {}) for n in ("SecretNotFoundError", "NotebookAccessError", "TimeoutException")}
    for n, cls in errors.items():
        setattr(userdata, n, cls)

    def get(key):
        assert key == "HF_TOKEN"
        if error:
            raise errors[error](key)
        return value

    userdata.get = get
    google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
    google.colab, colab.userdata = colab, userdata
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)
    assert auth._in_colab_userdata() is userdata


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = PracticeHub(tmp_path_factory.mktemp("auth_hub")).start()
    h.add_repo("gated-org/llama-like", files={"config.json": "{}", "README.md": "gated"}, gated="manual")
    yield h
    h.stop()


@pytest.fixture
def active(hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # the offline notebook situation
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", CANARY)
    with hub.activated():
        yield hub


def tok(n=34):
    return "hf_" + "".join(random.choices(string.ascii_letters, k=n))


# --------------------------------------------------------------------------------------------------
# token sources, in order
# --------------------------------------------------------------------------------------------------
def test_colab_secret_wins_over_env_and_cache(sources, monkeypatch):
    colab, env, cached = tok(), tok(), tok()
    sources.parent.mkdir(parents=True)
    sources.write_text(cached)
    monkeypatch.setenv("HF_TOKEN", env)
    fake_colab(monkeypatch, value=colab)
    r = auth.resolve_token()
    assert (r.token, r.source) == (colab, "colab_secret")


@pytest.mark.parametrize("error, words", [
    ("NotebookAccessError", "노트북 액세스"),
    ("TimeoutException", "시간이 초과"),
    ("SecretNotFoundError", "없습니다"),
])
def test_colab_problems_are_noted_and_the_env_var_is_next(sources, monkeypatch, error, words):
    env = tok()
    monkeypatch.setenv("HF_TOKEN", env)
    fake_colab(monkeypatch, error=error)
    r = auth.resolve_token()
    assert (r.token, r.source) == (env, "env")
    assert any(words in n for n in r.notes)


def test_env_var_wins_over_token_cache(sources, monkeypatch):
    env, cached = tok(), tok()
    sources.parent.mkdir(parents=True)
    sources.write_text(cached)
    monkeypatch.setenv("HF_TOKEN", env)
    assert auth.resolve_token().source == "env"


def test_token_cache_is_used_when_env_is_missing_or_empty(sources, monkeypatch):
    cached = tok()
    sources.parent.mkdir(parents=True)
    sources.write_text(cached + "\n")  # what `hf auth login` wrote
    r = auth.resolve_token()
    assert (r.token, r.source) == (cached, "token_cache")
    monkeypatch.setenv("HF_TOKEN", "   ")
    r = auth.resolve_token()
    assert r.source == "token_cache" and any("비어" in n for n in r.notes)


def test_prompt_only_when_asked_and_only_last(sources, monkeypatch):
    with pytest.raises(auth.NoTokenError) as info:
        auth.resolve_token()
    assert "찾지 못했습니다" in str(info.value) and "hf auth login" in str(info.value)
    assert auth.resolve_token(required=False) is None
    typed = tok()
    asked = []
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": asked.append(prompt) or typed + "\n")
    r = auth.resolve_token(prompt=True)
    assert (r.token, r.source) == (typed, "prompt") and len(asked) == 1
    monkeypatch.setenv("HF_TOKEN", tok())
    assert auth.resolve_token(prompt=True).source == "env" and len(asked) == 1  # not asked again
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt="": "")
    with pytest.raises(auth.EmptyTokenError):
        auth.resolve_token(prompt=True)


def test_masked_display_never_shows_the_token(sources, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", CANARY)
    r = auth.resolve_token()
    assert auth.mask_token(CANARY) == CANARY[:5] + "…" + CANARY[-2:]
    for text in (repr(r), str(r), f"{r}", r.masked, repr([r]), repr({"t": r})):
        assert CANARY not in text
    with pytest.raises(TypeError):
        pickle.dumps(r)
    assert auth.mask_token(None) == "<없음>" and auth.mask_token("") == "<빈 값>" and CANARY[5:] not in auth.mask_token(CANARY)


# --------------------------------------------------------------------------------------------------
# bad tokens: Korean messages, no request sent
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, cls, words", [
    ("", auth.EmptyTokenError, "비어"),
    ("   \n", auth.EmptyTokenError, "공백"),
    (" " + CANARY, auth.TokenFormatError, "공백"),
    (CANARY + "\n", auth.TokenFormatError, "줄바꿈"),
    ("sk-" + CANARY[3:], auth.TokenFormatError, "'hf_'로 시작"),
    ("my-token-name", auth.TokenFormatError, "'hf_'로 시작"),
])
def test_bad_tokens_get_the_right_korean_message(active, bad, cls, words):
    before = len(active.requests)
    with pytest.raises(cls) as info:
        auth.whoami(bad)
    assert isinstance(info.value, HflabError) and words in str(info.value) and "해결" in str(info.value)
    assert len(active.requests) == before  # rejected locally, nothing sent
    assert bad.strip() not in str(info.value) or not bad.strip()


def test_whoami_valid_invalid_and_revoked(active):
    me = auth.whoami(active.token)
    assert (me.name, me.token_role, me.token_source) == ("student", "write", "argument")
    assert auth.whoami(active.read_token).token_role == "read"
    with pytest.raises(auth.InvalidTokenError) as info:
        auth.whoami()  # resolves HF_TOKEN = the canary, which the hub does not know
    assert "401" in str(info.value) and "환경 변수 HF_TOKEN" in str(info.value)
    assert not isinstance(info.value, auth.RevokedTokenError)
    revoked = active.add_token()
    active.revoke_token(revoked)
    with pytest.raises(auth.RevokedTokenError) as info:
        auth.whoami(revoked)
    assert "폐기" in str(info.value)


def test_offline_and_no_network(hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(auth.HubOfflineError) as info:
        auth.whoami(hub.token, endpoint=hub.endpoint)
    assert "HF_HUB_OFFLINE" in str(info.value)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with hub.activated():
        with pytest.raises(auth.HubConnectionError) as info:
            auth.whoami(hub.token, endpoint=dead)
    assert "연결할 수 없습니다" in str(info.value)


def test_gated_and_missing_repos(active):
    with pytest.raises(auth.GatedRepoAccessError) as info:
        auth.check_repo_access("gated-org/llama-like", token=active.token)
    assert info.value.url == f"{active.endpoint}/gated-org/llama-like" and info.value.url in str(info.value)
    assert info.value.status == 403 and "승인" in str(info.value)
    with pytest.raises(auth.GatedRepoAccessError) as info:
        auth.check_repo_access("gated-org/llama-like", token=False)
    assert info.value.status == 401 and "로그인" in str(info.value)
    with pytest.raises(auth.MissingRepoError) as info:
        auth.check_repo_access("student/no-such-model", token=active.token)
    assert "찾을 수 없습니다" in str(info.value) and "repo_type" in str(info.value)
    with pytest.raises(auth.MissingRepoError):
        auth.check_repo_access("gated-org/llama-like", repo_type="dataset", token=active.token)
    active.add_repo("student/open", files={"config.json": "{}"})
    ok = auth.check_repo_access("student/open", token=active.token)
    assert ok.files == (".gitattributes", "config.json") and ok.url.endswith("/student/open")


def test_read_token_writing_is_permission_denied(active):
    err = None
    try:
        HfApi(endpoint=active.endpoint, token=active.read_token).create_repo("student/nope")
    except Exception as e:  # noqa: BLE001
        err = auth.translate_error(e, token=active.read_token)
    assert isinstance(err, auth.PermissionDeniedError) and "write" in str(err)


def _me(role, name="student", orgs=(), scoped=None):
    access = {"displayName": "t", "role": role}
    if scoped is not None:
        access["fineGrained"] = {"global": [], "scoped": scoped}
    return {"name": name, "orgs": [{"name": o} for o in orgs], "auth": {"type": "access_token", "accessToken": access}}


@pytest.mark.parametrize("me, repo_id, allowed, words", [
    (_me("read"), "student/x", False, ["read 토큰", "write 토큰"]),
    (_me("write"), "student/x", True, ["write"]),
    (_me("write", orgs=["lab"]), "lab/x", True, ["lab"]),
    (_me("write"), "someone/x", False, ["네임스페이스", "student/..."]),
    (_me("fineGrained", scoped=[{"entity": {"type": "user", "name": "student"}, "permissions": ["repo.content.read"]}]),
     "student/x", False, ["fine-grained", "repo.write"]),
    (_me("fineGrained", scoped=[{"entity": {"type": "user", "name": "student"},
                                 "permissions": ["repo.content.read", "repo.write"]}]), "student/x", True, ["repo.write"]),
    (_me("fineGrained", scoped=[{"entity": {"type": "model", "name": "student/x"}, "permissions": ["repo.write"]}]),
     "student/x", True, ["student/x"]),
    (_me("fineGrained", scoped=[{"entity": {"type": "model", "name": "student/x"}, "permissions": ["repo.write"]}]),
     "student/y", False, ["repo.write"]),
])
def test_write_access_reads_the_role_and_fine_grained_scopes(me, repo_id, allowed, words):
    access = auth.write_access(me, repo_id)
    assert access.allowed is allowed and all(w in access.reason for w in words), access.reason


def test_write_access_from_the_real_whoami_of_each_practice_token(active):
    fine = active.add_token(role="fineGrained", permissions={"student": ["repo.content.read"]})
    for token, allowed in ((active.token, True), (active.read_token, False), (fine, False)):
        me = HfApi(endpoint=active.endpoint, token=token).whoami()
        assert auth.write_access(me, "student/anything").allowed is allowed
    with pytest.raises(HflabError):
        auth.write_access("student", "student/x")


def test_explain_keeps_the_library_exception_and_adds_korean(active):
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    api = HfApi(endpoint=active.endpoint, token=active.token)
    with pytest.raises(GatedRepoError) as gated:
        api.auth_check("gated-org/llama-like")
    assert "승인" in auth.explain(gated.value, repo_id="gated-org/llama-like")
    with pytest.raises(RepositoryNotFoundError) as missing:
        api.auth_check("student/no-such-model")
    text = auth.explain(missing.value, repo_id="student/no-such-model")
    assert "찾을 수 없습니다" in text and "해결" in text and CANARY not in text


# --------------------------------------------------------------------------------------------------
# the canary never leaks: messages, reprs, chains, tracebacks, logs, stdout/stderr
# --------------------------------------------------------------------------------------------------
def _chain(exc):
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def test_canary_never_leaks_even_on_401_403_404_500(active, capfd, monkeypatch):
    monkeypatch.setattr(constants, "HF_DEBUG", True)  # the client also logs each request as a curl command
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    hf_logging.set_verbosity_debug()
    caught = []
    try:
        calls = [
            lambda: auth.whoami(),                                                   # 401 (canary from HF_TOKEN)
            lambda: auth.whoami(CANARY),                                             # 401 (argument)
            lambda: auth.check_repo_access("gated-org/llama-like", token=CANARY),    # 401 before 403
            lambda: auth.check_repo_access("student/missing", token=CANARY),
            lambda: auth.whoami(" " + CANARY),                                       # rejected locally
        ]
        for call in calls:
            with pytest.raises(HflabError) as info:
                call()
            caught.append(info.value)
        # the hub's own 403 / 404 / 500 answers, with the canary as a *valid* practice token
        active.store.save_tokens({**active.store.load_tokens(), CANARY: {"user": "student", "role": "write"}})
        active.fail(r"^/api/whoami-v2$", status=500, times=1)
        for call, cls in [
            (lambda: auth.whoami(CANARY), auth.HubServerError),
            (lambda: auth.check_repo_access("gated-org/llama-like", token=CANARY), auth.GatedRepoAccessError),
            (lambda: auth.check_repo_access("student/missing", token=CANARY), auth.MissingRepoError),
        ]:
            with pytest.raises(cls) as info:
                call()
            caught.append(info.value)
        assert auth.whoami(CANARY).name == "student"
    finally:
        hf_logging.set_verbosity_warning()
        root.removeHandler(handler)
        root.setLevel(old_level)
        tokens = active.store.load_tokens()
        tokens.pop(CANARY, None)
        active.store.save_tokens(tokens)
        active.clear_faults()
    assert len(caught) == 8
    for err in caught:
        for e in _chain(err):
            assert e is err, "hflab errors must not chain the client's exception (it holds the request)"
        texts = [str(err), repr(err), "".join(traceback.format_exception(err)), repr(err.args)]
        for text in texts:
            assert CANARY not in text
    out, errout = capfd.readouterr()
    assert CANARY not in out + errout + records.getvalue()
    assert "whoami-v2" in records.getvalue() and "curl" in records.getvalue()  # debug logs were captured
