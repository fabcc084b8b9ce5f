"""hflab serve under bad input and bad luck: every route of every task's server answers malformed requests
with a 4xx in its own error shape and a Korean message (a fixed fuzz corpus, seeded), an abandoned
non-streamed generation stops, a Hugging Face token sent to a keyed server is refused and never echoed,
the banner tells where the server is reachable, and bad configuration is a Korean ServeError.

Real models from the offline mirror (MiniLM for feature-extraction and text-classification, SmolLM2-135M
for text-generation) and a tiny random BERT masked LM built here (fill-mask); real HTTP on 127.0.0.1 only.
Every loop is bounded in count and time.
"""
import json
import logging
import random
import re
import socket
import time

import httpx
import openai
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError
from starlette.requests import Request
from typer.testing import CliRunner

from hflab import serve
from hflab.cli import app as cli_app
from hflab.serve import LocalEndpoint, ServeError
# fixtures shared with tests/test_serve.py (pytest puts tests/ on sys.path): 127.0.0.1 allowed while offline
# (autouse) and the tiny masked LM folder
from test_serve import local_requests, tiny_mlm  # noqa: F401

EMBED = "sentence-transformers/all-MiniLM-L6-v2"
CHAT = "HuggingFaceTB/SmolLM2-135M-Instruct"
CLASS_KEY = "classroom-key-" + "q" * 12


def korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def servers(tiny_mlm):
    """One running endpoint per task."""
    eps = {
        "feature-extraction": LocalEndpoint(EMBED, "feature-extraction"),
        "text-classification": LocalEndpoint(EMBED, "text-classification", model_id="test/minilm-2labels"),
        "fill-mask": LocalEndpoint(tiny_mlm, "fill-mask"),
        "text-generation": LocalEndpoint(CHAT, "chat"),
    }
    try:
        for ep in eps.values():
            ep.start()
        yield eps
    finally:
        for ep in eps.values():
            ep.stop()


@pytest.fixture()
def gen(servers):
    return servers["text-generation"]


# ------------------------------------------------------------------------------------------------ fuzz corpus
#: bodies no route may answer with a 5xx (raw bytes: what a JSON library would never produce)
RAW_BODIES = [
    b"", b"   \n", b"{", b"}", b"null", b"[]", b"1", b'"text"', b"true", b"\xff\xfe\xfd", b'{"inputs": "\xff\xfe"}',
    b'{"inputs": "a"} trailing', b'{"inputs": NaN}', b'{"inputs": "a", "parameters": {"top_k": Infinity}}',
    b'{"inputs": "a", "parameters": {"max_new_tokens": -Infinity}}', b'{"inputs": 1e999}',
    b'{"inputs": "\\ud800"}', b'{"inputs": ["ok", "\\udfff"]}', b'{"\\ud800": 1, "inputs": "a"}',
    b'{"messages": [{"role": "user", "content": "\\ud83d"}]}', b'{"inputs": "a", "stop": ["\\udc00"]}',
    b"[" * 100_000, b'{"a":' * 50_000, b'{"inputs": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    json.dumps({"inputs": "a", "parameters": {"x": json.loads("[" * 40 + "]" * 40)}}).encode(),
    b'{"inputs": 1' + b"0" * 5000 + b"}", '{"inputs": "안녕"}'.encode("utf-16"), b"\xef\xbb\xbf{\"inputs\": 5}",
    b'{"inputs": "a", "inputs": 7}', b'{"inputs": "a", "parameters": "top_k=2"}', b'{"inputs": "a", "parameters": []}',
]

#: values put in place of one field of a valid request
NASTY = [None, True, False, 0, -1, 1, 2, 3, 1.5, -0.0, 1e-300, 1e308, 10**30, -(10**30), 2**63, "", " ", "x",
         "softmax", "\ud800", "a" * 5000, [], [1], ["x"], [None], ["x"] * 70, {}, {"a": 1}, [[["x"]]],
         {"role": "user", "content": "hi"}, [{"role": "user", "content": 5}], [{"type": "image_url"}],
         ["stop"] * 5, ["s" * 200]]


#: one value of each JSON type (and the values that broke int() and the tokenizer): every field gets each
EVERY_TYPE = [None, True, -1, 1.5, 10**30, 1e308, "x", "\ud800", [], [1], {}, {"a": "b"}]


def _path_values(ep) -> list[str]:
    """What a path parameter ({model_id}, {rest}) may be: the served id, typos, suffixes the router reads."""
    mid = ep.model_id
    return [mid, "nobody/typo", "", "a" * 300, "%ff%fe", "..%2f..%2fetc", "x/pipeline/" + ep.task,
            f"{mid}/pipeline/{ep.task}", f"{mid}/pipeline/summarization", f"{mid}/pipeline/",
            f"{mid}/v1/chat/completions", f"{mid}/chat/completions", f"{mid}/info", f"{mid}/health", "info",
            "v1/chat/completions", "/".join(["x"] * 60)]


def _valid_body(ep, chat: bool) -> dict:
    if chat:
        return {"model": "x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    if ep.task == "fill-mask":
        return {"inputs": "hello [MASK] world", "parameters": {"top_k": 2}}
    if ep.task == "feature-extraction":
        return {"inputs": "hello", "normalize": True}
    if ep.task == "text-generation":
        return {"inputs": "hello", "parameters": {"max_new_tokens": 2}}
    return {"inputs": "hello", "parameters": {"top_k": 1}}


def _fields(ep, chat: bool) -> list[tuple[str, ...]]:
    """Every field a request to `ep` may carry, as a path into the body."""
    engine = ep.engine
    if chat:
        names = sorted(serve.GeneratorEngine.CHAT_PARAMS)
        return [(n,) for n in names] + [("messages", 0, "role"), ("messages", 0, "content"), ("messages", 0),
                                        ("stream_options", "include_usage")]
    params = sorted(getattr(engine, "PARAMS", set()) | getattr(engine, "TGI_ONLY", set()))
    if ep.task == "feature-extraction":  # options at the top level (what InferenceClient sends)
        return [("inputs",), ("options",), ("parameters",)] + [(p,) for p in params]
    return [("inputs",), ("options",), ("parameters",), ("stream",)] + [("parameters", p) for p in params]


def _mutate(body: dict, field: tuple, value) -> dict:
    """A copy of `body` with the field at `field` (keys and list indices) set to `value`."""
    out = json.loads(json.dumps(body))
    node = out
    for key in field[:-1]:
        present = key < len(node) if isinstance(node, list) else key in node
        if not present or not isinstance(node[key], (dict, list)):
            node[key] = {}
        node = node[key]
    node[field[-1]] = value
    return out


def _is_chat_path(path: str) -> bool:
    return path.rstrip("/").endswith("chat/completions")


def _openai_shaped(path: str) -> bool:
    """The documented contract: /v1/* (and /chat/completions) answer in OpenAI's error shape."""
    return path == "/v1" or path.startswith("/v1/") or "/v1/" in path or path.rstrip("/") == "/chat/completions"


def _check_answer(r: httpx.Response, path: str, canary: str, seen: list) -> None:
    where = f"{r.request.method} {path} -> {r.status_code}: {r.text[:300]!r}"
    assert r.status_code < 500, where
    assert canary not in r.text
    if r.status_code >= 400:
        body = r.json()
        if _openai_shaped(path):
            err = body["error"]
            assert set(err) >= {"message", "type", "param", "code"}, where
            message = err["message"]
        else:
            assert isinstance(body["error"], str), where
            message = body["error"]
        korean_part = message[: message.rfind(" (")] if message.endswith(")") and " (" in message else message
        assert korean(korean_part), where  # Korean first, then the English part in parentheses
    elif "text/event-stream" in r.headers.get("content-type", ""):
        assert "generation_error" not in r.text and '"error_type":"generation"' not in r.text, where
    seen.append(r.status_code)


def _fuzz_requests(ep, rng: random.Random, n_structured: int):
    """(method, path, body bytes | None) for every route of `ep`'s app, its methods and a wrong one."""
    routes = [r for r in ep.app.routes if getattr(r, "methods", None)]
    assert routes, "the app has no routes?"
    for route in routes:
        methods = sorted(set(route.methods) - {"HEAD"})
        params = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
        fills = _path_values(ep) if params else [None]
        for fill in fills:
            path = re.sub(r"\{\w+(?::\w+)?\}", fill, route.path) if fill is not None else route.path
            path = "/" + path.lstrip("/")
            yield route.path, "PUT", path, b'{"inputs": "a"}'
            for method in methods:
                if method == "GET":
                    yield route.path, "GET", path + rng.choice(["", "?inputs=%ff", "?x=[[[", "?a=" + "b" * 500]), None
                    continue
                chat = _is_chat_path(path)
                fields = _fields(ep, chat)
                if fill in (None, ep.model_id):  # a main path: every field gets a value of every JSON type
                    bodies = list(RAW_BODIES)
                    pairs = [(f, v) for f in fields for v in EVERY_TYPE]
                    pairs += [(rng.choice(fields), rng.choice(NASTY)) for _ in range(n_structured)]
                else:
                    bodies = rng.sample(RAW_BODIES, 4)
                    pairs = [(rng.choice(fields), rng.choice(NASTY)) for _ in range(3)]
                for field, value in pairs:
                    bodies.append(json.dumps(_mutate(_valid_body(ep, chat), field, value)).encode())
                for body in bodies:
                    yield route.path, method, path, body


@pytest.mark.timeout(420)
@pytest.mark.parametrize("task", ["feature-extraction", "text-classification", "fill-mask", "text-generation"])
def test_fuzz_every_route_no_5xx_and_korean_errors(servers, task, canary):
    ep = servers[task]
    rng = random.Random(f"hflab-serve-fuzz-{task}")
    old_max = ep.max_new_tokens
    ep.max_new_tokens = 3  # a request the fuzz makes valid generates at most 3 tokens
    ep.reset_stats()
    covered, seen, t0 = set(), [], time.monotonic()
    try:
        with httpx.Client(timeout=60) as client:
            for route_path, method, path, body in _fuzz_requests(ep, rng, n_structured=20):
                headers = {"Content-Type": "application/json"}
                r = client.request(method, ep.url + path, content=body, headers=headers)
                _check_answer(r, path, canary, seen)
                covered.add(route_path)
                assert time.monotonic() - t0 < 360, "fuzz run too slow"
    finally:
        ep.max_new_tokens = old_max
    routes = {r.path for r in ep.app.routes if getattr(r, "methods", None)}
    assert covered == routes  # every route the app serves got fuzzed
    assert sum(1 for s in seen if 400 <= s < 500) > 100 and len(seen) < 8000
    assert ep.stats()["errors_5xx"] == 0, ep.stats()
    assert httpx.get(ep.url + "/health").status_code == 200  # and it is still alive


def test_surrogates_and_deep_nesting_get_400_in_both_shapes(gen):
    for path in ("/", "/v1/chat/completions"):
        for body in (b'{"inputs": "\\ud800"}', b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
                     b"[" * 100_000, b'{"inputs": ' + b"[" * 50 + b"]" * 50 + b"}"):
            r = httpx.post(gen.url + path, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, (path, body[:30], r.text[:200])
            message = r.json()["error"]["message"] if path.startswith("/v1") else r.json()["error"]
            assert korean(message) and ("서로게이트" in message or "중첩" in message), message


# ------------------------------------------------------------------------------------------------ abandoned requests
def _post_and_hang_up(port: int, path: str, body: dict, after: float) -> None:
    raw = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(raw)}\r\n\r\n".encode() + raw)
        time.sleep(after)  # the client gives up (a timeout), and closes the connection


@pytest.mark.timeout(240)
def test_an_abandoned_non_stream_generation_is_cancelled(gen):
    """A client that gives up on a long non-streamed generation must not make the next client wait for it."""
    long_tgi = {"inputs": "1, 2, 3, 4, 5,", "parameters": {"max_new_tokens": 256}}  # counts on: no early EOS
    long_chat = {"model": "x", "max_tokens": 256,
                 "messages": [{"role": "user", "content": "Count from 1 to 500, separated by commas."}]}
    short = {"inputs": "Hello", "parameters": {"max_new_tokens": 1}}
    with httpx.Client(timeout=120) as client:
        client.post(gen.url, json=short)  # warm
        t0 = time.perf_counter()
        full = client.post(gen.url, json=long_tgi)
        full_s = time.perf_counter() - t0
        assert full.status_code == 200 and full_s > 3, full_s  # what an abandoned request would have cost
        gen.reset_stats()
        waits = {}
        for path, body in (("/", long_tgi), ("/v1/chat/completions", long_chat)):
            _post_and_hang_up(gen.port, path, body, after=0.3)
            t1 = time.perf_counter()
            r = client.post(gen.url, json=short)
            waits[path] = time.perf_counter() - t1
            assert r.status_code == 200
    print(f"\nfull 256-token generation {full_s:.2f} s; next request after an abandoned one: "
          + ", ".join(f"{p} {w:.2f} s" for p, w in waits.items()))
    for path, wait in waits.items():
        assert wait < 1.0 and wait < full_s / 5, (path, wait, full_s)
    deadline = time.monotonic() + 10
    while gen.stats()["cancelled_generations"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    st = gen.stats()
    assert st["cancelled_generations"] == 2 and st["status"].get("499") == 2 and st["errors_5xx"] == 0, st


# ------------------------------------------------------------------------------------------------ keys and tokens
def test_a_hub_token_sent_to_a_keyed_server_is_refused_and_never_echoed(servers, canary, caplog, capsys):
    ep = servers["text-classification"]
    caplog.set_level(logging.DEBUG)
    ep.set_api_keys({CLASS_KEY: "granted"})
    try:
        # InferenceClient(base_url=...) without api_key= sends the HF_TOKEN of the environment (the canary)
        with pytest.raises(HfHubHTTPError) as e:
            InferenceClient(base_url=ep.url).text_classification("hi")
        sent = e.value.response.request.headers.get("authorization", "")
        assert sent.startswith("Bearer hf_") and sent == "Bearer " + canary  # what the real client sends
        r = e.value.response
        assert r.status_code == 401
        message = r.json()["error"]
        assert "Hugging Face Hub 토큰" in message and "api_key=" in message and "교체" in message
        assert canary not in r.text and canary not in str(e.value)
        # the openai client with a Hub token as its key: the same refusal, in the OpenAI shape
        with pytest.raises(openai.AuthenticationError) as oe:
            openai.OpenAI(base_url=ep.url + "/v1", api_key=canary, max_retries=0).models.list()
        assert "Hugging Face Hub 토큰" in oe.value.message and canary not in str(oe.value.body)
        # with the classroom key it works
        assert InferenceClient(base_url=ep.url, api_key=CLASS_KEY).text_classification("hi")
    finally:
        ep.set_api_keys(None)
    out = capsys.readouterr()
    assert canary not in out.out and canary not in out.err and canary not in caplog.text


def test_a_hub_token_from_another_machine_is_refused_even_without_keys(servers):
    """An open server (no keys) ignores the header of a local client; from another machine the token crossed
    the network, so it is refused there too (checked on the handler with a request from a LAN address)."""
    handlers = serve._Handlers(servers["feature-extraction"].state)

    def request(host: str, bearer: str) -> Request:
        return Request({"type": "http", "method": "POST", "path": "/", "headers": [
            (b"authorization", f"Bearer {bearer}".encode())], "client": (host, 50000)})

    handlers.check_auth(request("127.0.0.1", "hf_" + "x" * 30))  # the lesson's own server on 127.0.0.1
    handlers.check_auth(request("192.168.0.23", "anything-else"))
    with pytest.raises(serve.RequestError) as e:
        handlers.check_auth(request("192.168.0.23", "hf_" + "x" * 30))
    assert e.value.status == 401 and "api_key=" in e.value.message and "hf_x" not in e.value.message


def test_keys_starting_with_hf_are_refused(tmp_path):
    with pytest.raises(ServeError, match="hf_"):
        LocalEndpoint(EMBED, "feature-extraction", api_keys={"hf_" + "a" * 20: "granted"})
    with pytest.raises(ServeError, match="hf_") as e:
        serve.load_api_keys(env={serve.API_KEY_ENV: "hf_" + "b" * 20})
    assert "b" * 20 not in str(e.value)


def test_with_a_key_only_health_stays_open(servers):
    ep = servers["text-classification"]
    ep.set_api_keys({CLASS_KEY: "granted"})
    try:
        auth = {"Authorization": f"Bearer {CLASS_KEY}"}
        assert httpx.get(ep.url + "/health").json() == {"status": "ok"}
        for path in ("/info", "/stats", "/", f"/models/{ep.model_id}/info", f"/models/{ep.model_id}/health",
                     "/v1/models"):
            r = httpx.get(ep.url + path)
            assert r.status_code == 401 and ep.model_id not in r.text, (path, r.text)
            assert httpx.get(ep.url + path, headers=auth).status_code == 200, path
    finally:
        ep.set_api_keys(None)
    assert httpx.get(ep.url + "/info").status_code == 200  # an open server stays open


# ------------------------------------------------------------------------------------------------ banner
def test_the_banner_of_a_classroom_server_tells_the_truth():
    lan = ["192.0.2.10", "198.51.100.7"]  # documentation addresses in place of this machine's
    ep = LocalEndpoint(EMBED, "feature-extraction", host="0.0.0.0", port=8080, api_keys={CLASS_KEY: "granted"})
    text = "\n".join(serve.banner(ep, n_keys=1, addresses=lan))
    assert "http://192.0.2.10:8080" in text and "http://198.51.100.7:8080" in text
    assert "InferenceClient(base_url='http://192.0.2.10:8080', api_key=KEY)" in text
    assert "접속 키가 필요" in text and "/health" in text and CLASS_KEY not in text
    gen = LocalEndpoint(CHAT, "chat", host="0.0.0.0", port=8080, api_keys={CLASS_KEY: "granted"})
    assert "OpenAI(base_url='http://192.0.2.10:8080/v1', api_key=KEY)" in "\n".join(
        serve.banner(gen, n_keys=1, addresses=lan))
    # no address found: say how to find it instead of pretending 127.0.0.1 reaches the server from elsewhere
    text = "\n".join(serve.banner(ep, n_keys=1, addresses=[]))
    assert "hostname -I" in text and "base_url='http://127.0.0.1" not in text
    # a lesson's own server: 127.0.0.1, no key, and still an explicit api_key (so no HF_TOKEN is sent)
    local = "\n".join(serve.banner(LocalEndpoint(EMBED, "feature-extraction", port=8080)))
    assert "InferenceClient(base_url='http://127.0.0.1:8080', api_key='-')" in local and "접속 키가 필요" not in local


def test_reachable_addresses_are_real_non_loopback_addresses():
    import ipaddress

    assert serve.reachable_addresses("127.0.0.1") == []
    assert serve.reachable_addresses("192.0.2.10") == ["192.0.2.10"]
    for addr in serve.reachable_addresses("0.0.0.0"):
        assert not ipaddress.ip_address(addr).is_loopback


# ------------------------------------------------------------------------------------------------ configuration
def test_a_folder_without_a_model_is_a_korean_serve_error(tmp_path):
    with pytest.raises(ServeError, match="config.json") as e:
        serve.cli_serve(str(tmp_path), "text-classification", port=0)
    assert e.value.fix
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "no-such-architecture"}', encoding="utf-8")
    with pytest.raises(ServeError, match="불러오지"):
        serve.cli_serve(str(broken), "text-classification", port=0)
    r = CliRunner().invoke(cli_app, ["serve", "--model", str(broken), "--task", "text-classification", "--port", "0"])
    assert r.exit_code == 1 and "불러오지" in r.output and "Traceback" not in r.output


def test_bad_ports_and_a_port_in_use_are_korean_serve_errors():
    for port in (70000, -1, 65536):
        with pytest.raises(ServeError, match="65535"):
            serve.cli_serve(EMBED, "feature-extraction", port=port)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ep = LocalEndpoint(EMBED, "feature-extraction", port=port)
        with pytest.raises(ServeError, match="이미") as e:
            ep.start()
        assert "--port" in e.value.fix and ep.engine.model is None  # found before the model loaded
        with pytest.raises(ServeError, match="이미"):
            serve.cli_serve(EMBED, "feature-extraction", port=port)
