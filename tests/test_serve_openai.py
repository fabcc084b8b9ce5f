"""hflab serve speaks the OpenAI API where lesson 11 says so: the official `openai` client, unmodified.

Lists models, chats (plain and streamed), and gets the server's Korean message on a 422, a 401 with a
wrong key and a 429 with Retry-After. `curl` reads /v1/models too. All traffic goes to 127.0.0.1.
"""
import json
import shutil
import subprocess
import time

import httpx
import openai
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError

from hflab import serve
from hflab.serve import LocalEndpoint

CHAT = "HuggingFaceTB/SmolLM2-135M-Instruct"
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


@pytest.fixture(scope="module")
def gen():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    serve.allow_local_requests()  # HF_HUB_OFFLINE=1: InferenceClient may reach 127.0.0.1 (the openai client ignores it)
    with LocalEndpoint(CHAT, "chat") as ep:
        yield ep
    serve.disallow_local_requests()
    torch.set_num_threads(threads)


def client_for(ep, api_key: str = "no-key-needed", **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=ep.url + "/v1", api_key=api_key, timeout=120, **kw)


def test_openai_client_lists_models_chats_and_streams(gen):
    client = client_for(gen, max_retries=0)
    models = client.models.list()
    assert [m.id for m in models.data] == [CHAT] and models.data[0].object == "model"
    assert client.models.retrieve(CHAT).id == CHAT  # the id has a slash: sent as %2F, still found
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("nobody/typo")
    assert korean(e.value.message) and e.value.code == "model_not_found"

    out = client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=4)
    reply = out.choices[0].message.content
    assert out.object == "chat.completion" and out.choices[0].message.role == "assistant" and reply
    assert out.usage.completion_tokens <= 4
    chunks = list(client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=4, stream=True,
                                                 stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply  # greedy: same text
    assert chunks[-1].usage.completion_tokens == out.usage.completion_tokens


def test_a_422_reaches_the_openai_client_with_its_korean_message(gen, canary):
    client = client_for(gen, max_retries=0)
    with pytest.raises(openai.UnprocessableEntityError) as e:
        client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=100_000)
    err = e.value
    assert err.status_code == 422 and err.type == "invalid_request_error" and err.code == "invalid_value"
    assert korean(err.body["message"]) and err.body["message"] in str(err)  # not just "Error code: 422"
    assert str(err).startswith("Error code: 422 - ") and korean(str(err).split(" - ", 1)[1][:40])
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=2,
                                       extra_body={"no_such_option": 1})
    assert korean(str(bad.value)) and canary not in str(bad.value)


def test_a_wrong_key_gets_401_and_the_right_key_gets_through(gen, canary):
    key = "classroom-" + "k" * 16
    gen.set_api_keys({key: "granted"})
    try:
        for wrong in ("wrong-key-0123456789", canary):
            with pytest.raises(openai.AuthenticationError) as e:
                client_for(gen, api_key=wrong, max_retries=0).models.list()
            assert e.value.status_code == 401 and korean(e.value.message) and e.value.code == "invalid_api_key"
            assert wrong not in str(e.value)
        with pytest.raises(openai.AuthenticationError):
            client_for(gen, api_key="wrong-key-0123456789", max_retries=0).chat.completions.create(
                model=CHAT, messages=MESSAGES, max_tokens=1)
        good = client_for(gen, api_key=key, max_retries=0)
        assert good.models.list().data[0].id == CHAT
        assert good.chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=1).choices
    finally:
        gen.set_api_keys(None)


def test_a_429_carries_retry_after_and_the_openai_client_honours_it(gen):
    gen.set_rate_limit("1/s")
    try:
        client_for(gen, max_retries=0).chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=1)
        with pytest.raises(openai.RateLimitError) as e:
            client_for(gen, max_retries=0).chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=1)
        retry_after = int(e.value.response.headers["retry-after"])
        assert retry_after >= 1 and korean(e.value.message) and e.value.code == "rate_limit_exceeded"
        # the bucket is empty: the client's own retries (openai retries 429) wait Retry-After and get through
        t0 = time.perf_counter()
        out = client_for(gen, max_retries=3).chat.completions.create(model=CHAT, messages=MESSAGES, max_tokens=1)
        assert out.choices and time.perf_counter() - t0 >= retry_after * 0.5
    finally:
        gen.set_rate_limit(None)


def test_v1_routes_answer_in_the_openai_shape_the_inference_api_routes_in_theirs(gen):
    r = httpx.post(gen.url + "/v1/chat/completions", content=b"{broken", headers={"Content-Type": "application/json"})
    err = r.json()["error"]
    assert r.status_code == 400 and set(err) == {"message", "type", "param", "code"} and korean(err["message"])
    missing = httpx.get(gen.url + "/v1/no-such-route")
    assert missing.status_code == 404 and korean(missing.json()["error"]["message"])
    # the Inference-API routes keep {"error": "...", "error_type": ...}: what InferenceClient reads
    r = httpx.post(gen.url + "/", json={"inputs": "hi", "parameters": {"max_new_tokens": 100_000}})
    assert r.status_code == 422 and isinstance(r.json()["error"], str) and r.json()["error_type"] == "validation"
    # and InferenceClient's chat (which also posts to /v1/chat/completions) still shows the Korean message
    with pytest.raises(HfHubHTTPError) as e:
        InferenceClient(base_url=gen.url).chat_completion(MESSAGES, max_tokens=100_000)
    assert e.value.response.status_code == 422 and korean(str(e.value))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_lists_the_served_model(gen):
    out = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "30", gen.url + "/v1/models"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    body = json.loads(out)
    assert body["object"] == "list" and body["data"][0]["id"] == CHAT
