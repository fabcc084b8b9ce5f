"""hflab serve: the real InferenceClient against the local endpoint, load and fault tests.

All traffic goes to 127.0.0.1. Models: the offline mirror's MiniLM (feature-extraction, and
text-classification with a fresh 2-label head), SmolLM2-135M-Instruct (text-generation / chat) and a
tiny random BERT masked LM built here (fill-mask). Loops are bounded in count and time.
"""
import asyncio
import json
import socket
import time

import httpx
import pytest
from huggingface_hub import AsyncInferenceClient, InferenceClient
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

from hflab import auth, retry, serve
from hflab.serve import LocalEndpoint, ServeError

EMBED = "sentence-transformers/all-MiniLM-L6-v2"
CHAT = "HuggingFaceTB/SmolLM2-135M-Instruct"


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module", autouse=True)
def local_requests():
    """HF_HUB_OFFLINE=1 in tests: let huggingface_hub reach 127.0.0.1 for this module only."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    serve.allow_local_requests()
    yield
    serve.disallow_local_requests()
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def emb():
    with LocalEndpoint(EMBED, "feature-extraction") as ep:
        yield ep


@pytest.fixture(scope="module")
def clf():
    with LocalEndpoint(EMBED, "text-classification", model_id="test/minilm-2labels") as ep:
        yield ep


@pytest.fixture(scope="module")
def gen():
    with LocalEndpoint(CHAT, "chat") as ep:
        yield ep


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory):
    """A tiny random BERT masked LM with MiniLM's WordPiece tokenizer (fill-mask wire format only)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-mlm")
    tok = AutoTokenizer.from_pretrained(EMBED)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128)
    BertForMaskedLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def fill(tiny_mlm):
    with LocalEndpoint(tiny_mlm, "fill-mask") as ep:
        yield ep


# ------------------------------------------------------------------------------------------------ config
def test_bad_configuration_gets_korean_messages():
    with pytest.raises(ServeError, match="작업"):
        LocalEndpoint(EMBED, "summarization")
    with pytest.raises(ServeError, match="max_batch_size"):
        LocalEndpoint(EMBED, "feature-extraction", max_batch_size=0)
    with pytest.raises(ServeError, match="api_keys"):
        LocalEndpoint(EMBED, "feature-extraction", api_keys={"k": "admin"})
    with pytest.raises(ServeError, match="0보다"):
        serve.parse_rate_limit("-3/s")
    with pytest.raises(ServeError, match="불러오지"):
        LocalEndpoint("nobody/no-such-model", "feature-extraction").start()


def test_rate_limit_parsing_and_token_bucket():
    assert serve.parse_rate_limit(None) is None
    assert serve.parse_rate_limit(5) == 5.0
    assert serve.parse_rate_limit("5/s") == 5.0
    assert serve.parse_rate_limit("120/m") == 2.0
    bucket = serve.TokenBucket(2.0)
    assert [bucket.take()[0] for _ in range(3)] == [True, True, False]
    ok, wait = bucket.take()
    assert not ok and 0 < wait <= 0.5 + 1e-3
    assert serve.normalize_task("sentiment-analysis") == "text-classification"
    assert serve.percentile([1, 2, 3, 4], 50) == 2.5


# ------------------------------------------------------------------------------------------------ each task
def test_feature_extraction_with_inference_client(emb):
    client = InferenceClient(base_url=emb.url)
    one = client.feature_extraction("The battery lasts all day.")
    assert one.shape == (384,) and abs(float((one ** 2).sum()) - 1) < 1e-4
    many = client.feature_extraction(["The battery lasts all day.", "Battery life is excellent.", "Late delivery."])
    assert many.shape == (3, 384)
    assert many[0] @ many[1] > many[0] @ many[2]
    # the same model through a model URL (.../models/ID/pipeline/TASK), as a dedicated endpoint URL would be
    by_url = InferenceClient(model=f"{emb.url}/models/{EMBED}/pipeline/feature-extraction")
    assert abs(by_url.feature_extraction("The battery lasts all day.") - one).max() < 1e-6
    raw = client.feature_extraction("The battery lasts all day.", normalize=False)
    assert float((raw ** 2).sum()) > 1.5


def test_text_classification_with_inference_client(clf):
    client = InferenceClient(base_url=clf.url)
    out = client.text_classification("I love this phone.")
    assert [o.label for o in out] and {o.label for o in out} == {"LABEL_0", "LABEL_1"}
    assert abs(sum(o.score for o in out) - 1) < 1e-5 and out[0].score >= out[1].score
    assert len(client.text_classification("I love this phone.", top_k=1)) == 1
    raw = httpx.post(clf.url, json={"inputs": ["good", "bad"]}).json()
    assert len(raw) == 2 and all(len(r) == 2 for r in raw)


def test_fill_mask_with_inference_client(fill):
    client = InferenceClient(base_url=fill.url)
    out = client.fill_mask("The goal of life is [MASK].", top_k=3)
    assert len(out) == 3 and out[0].score >= out[1].score >= out[2].score
    assert all(o.sequence.startswith("the goal of life is") for o in out)
    with pytest.raises(HfHubHTTPError) as e:
        client.fill_mask("no mask token here")
    assert e.value.response.status_code == 422 and "[MASK]" in str(e.value)


def test_text_generation_details_and_stream(gen):
    client = InferenceClient(base_url=gen.url)
    text = client.text_generation("The capital of France is", max_new_tokens=3)
    assert isinstance(text, str) and text
    out = client.text_generation("The capital of France is", max_new_tokens=3, details=True)
    assert out.generated_text == text  # greedy by default: the same answer twice
    assert out.details.generated_tokens == len(out.details.tokens) <= 3
    assert out.details.finish_reason in ("length", "eos_token", "stop_sequence")
    tokens = list(client.text_generation("The capital of France is", max_new_tokens=3, stream=True))
    assert "".join(tokens) == text
    events = list(client.text_generation("The capital of France is", max_new_tokens=3, stream=True, details=True))
    assert events[-1].generated_text == text and events[-1].details.generated_tokens == len(events)


def test_chat_completion_openai_alias_and_stream(gen):
    client = InferenceClient(base_url=gen.url)
    messages = [{"role": "system", "content": "Answer in one short sentence."},
                {"role": "user", "content": "What is the capital of France?"}]
    out = client.chat_completion(messages, max_tokens=4)
    reply = out.choices[0].message.content
    assert out.choices[0].message.role == "assistant" and reply
    assert out.usage.completion_tokens <= 4 and out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    same = client.chat.completions.create(model="whatever", messages=messages, max_tokens=4)
    assert same.choices[0].message.content == reply
    chunks = list(client.chat_completion(messages, max_tokens=4, stream=True,
                                         stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == out.usage.completion_tokens
    # the raw stream ends with data: [DONE]
    body = {"model": "x", "messages": messages, "max_tokens": 2, "stream": True}
    with httpx.stream("POST", gen.url + "/v1/chat/completions", json=body, timeout=120) as r:
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)


def test_stop_sequence_cuts_the_chat_reply(gen):
    client = InferenceClient(base_url=gen.url)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    full = client.chat_completion(messages, max_tokens=5).choices[0].message.content
    word = full.split()[1]
    cut = client.chat_completion(messages, max_tokens=5, stop=[word])
    assert word not in cut.choices[0].message.content and cut.choices[0].finish_reason == "stop"


def test_async_client_requests_are_batched(emb):
    texts = [f"review number {i} was fine" for i in range(16)]

    async def main():
        async with AsyncInferenceClient(base_url=emb.url) as client:
            return await asyncio.gather(*(client.feature_extraction(t) for t in texts))

    emb.reset_stats()
    out = asyncio.run(main())
    assert len(out) == 16 and all(v.shape == (384,) for v in out)
    assert emb.stats()["max_batch_size_seen"] > 1


# ------------------------------------------------------------------------------------------------ load and faults
def test_sixteen_clients_hundreds_of_requests_no_5xx(emb, canary):
    texts = ["great product", "terrible service", "fast delivery", "would buy again", "broke after a week",
             "the screen is bright", "too expensive for what it is", "I love it"]
    emb.reset_stats()
    t0 = time.perf_counter()
    res = serve.run_load(emb.url, [{"inputs": t} for t in texts], clients=16, requests=320)
    assert time.perf_counter() - t0 < 120
    assert res["status"] == {"200": 320}, res
    assert res["errors_5xx"] == 0 and not res["transport_errors"]
    st = emb.stats()
    assert st["errors_5xx"] == 0 and st["mean_batch_size"] > 2, st
    assert res["latency_ms"]["p99"] >= res["latency_ms"]["p50"] > 0


def test_batching_beats_per_request_execution(emb):
    texts = serve.short_review_texts(emb.engine.tokenizer, max_tokens=8)
    res = serve.measure_batching(emb, [{"inputs": t} for t in texts], clients=16, requests=96, rounds=2, warmup=16)
    assert res["dynamic_batching"]["errors_5xx"] == res["per_request"]["errors_5xx"] == 0
    assert res["per_request"]["mean_batch_size"] == 1.0 and res["dynamic_batching"]["mean_batch_size"] > 4
    # the full `hflab bench serve` short-input figure (512 requests per mode) shows 2.3-4x; a shorter run: > 1.5x
    assert res["speedup"] > 1.5, res
    assert emb.max_batch_size == 32  # restored


MALFORMED = [
    (b"{not json", 400), (b"[1, 2]", 400), (b"", 400), (b'"just a string"', 400), (b"\xff\xfe\x00", 400),
    (b'{"x": 1}', 400), (b'{"inputs": ""}', 422), (b'{"inputs": "   "}', 422), (b'{"inputs": 5}', 400),
    (b'{"inputs": []}', 422), (b'{"inputs": ["a", ""]}', 422), (b'{"inputs": ["a", 3]}', 400),
    (b'{"inputs": "' + b"a" * 5000 + b'"}', 422), (json.dumps({"inputs": ["x"] * 65}).encode(), 422),
    (b'{"inputs": "a", "parameters": {"top_k": 2}}', 400),  # another task's call (feature-extraction has no "parameters")
    (b'{"inputs": "a", "normalize": "yes"}', 422), (b'{"inputs": "a", "max_new_tokens": 5}', 400),
    (b'{"inputs": "' + b"a" * 1_100_000 + b'"}', 413),
]


def test_malformed_bodies_get_4xx_and_the_server_lives_on(emb, canary):
    emb.reset_stats()
    for body, status in MALFORMED:
        r = httpx.post(emb.url, content=body, headers={"Content-Type": "application/json"}, timeout=60)
        assert r.status_code == status, (body[:40], r.status_code, r.text[:200])
        msg = r.json()["error"]
        assert msg and any("\uac00" <= ch <= "\ud7a3" for ch in msg), msg  # a Korean message
        assert canary not in r.text
    assert httpx.post(emb.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}).status_code == 400
    assert httpx.get(emb.url + "/nowhere").status_code == 404
    assert httpx.delete(emb.url + "/").status_code == 405
    assert httpx.post(emb.url + "/models/x/y/pipeline/text-classification", json={"inputs": "a"}).status_code == 404
    assert httpx.post(emb.url + f"/models/{EMBED}/pipeline/text-classification", json={"inputs": "a"}).status_code == 400
    # a request that stops half-way through its body
    with socket.create_connection(("127.0.0.1", emb.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"inp")
    assert emb.stats()["errors_5xx"] == 0
    assert httpx.get(emb.url + "/health").status_code == 200
    assert InferenceClient(base_url=emb.url).feature_extraction("still alive").shape == (384,)


def test_generation_bad_input_and_tgi_only_parameters(gen):
    client = InferenceClient(base_url=gen.url)
    with pytest.raises(HfHubHTTPError) as e:
        client.chat_completion([{"role": "user", "content": "hi"}], max_tokens=100_000)
    assert e.value.response.status_code == 422
    for bad in ({"messages": []}, {"messages": [{"role": "wizard", "content": "x"}]}, {"messages": "hi"},
                {"messages": [{"role": "user", "content": "hi"}], "n": 3},
                {"messages": [{"role": "user", "content": "hi"}], "temperature": 5}):
        r = httpx.post(gen.url + "/v1/chat/completions", json=bad, timeout=60)
        assert r.status_code == 422, (bad, r.text)
    # a TGI-only parameter: the client drops it after the server's 400 (as with any non-TGI server) and warns
    with pytest.warns(UserWarning, match="not served via TGI"):
        text = client.text_generation("Hello", max_new_tokens=2, watermark=True)
    assert isinstance(text, str)
    assert gen.stats()["errors_5xx"] == 0


def test_client_disconnecting_mid_stream_stops_generation(gen):
    gen.reset_stats()
    body = {"model": "x", "messages": [{"role": "user", "content": "Write a long story about the sea."}],
            "max_tokens": 200, "stream": True}
    t0 = time.perf_counter()
    with httpx.stream("POST", gen.url + "/v1/chat/completions", json=body, timeout=120) as r:
        for line in r.iter_lines():
            if line.startswith("data: {") and '"content"' in line:
                break  # one token in, then hang up
    # TGI-style stream too
    with httpx.stream("POST", gen.url, json={"inputs": "Once upon a time", "parameters": {"max_new_tokens": 200},
                                             "stream": True}, timeout=120) as r:
        next(line for line in r.iter_lines() if line.startswith("data:"))
    deadline = time.monotonic() + 60
    while gen.stats()["cancelled_generations"] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gen.stats()["cancelled_generations"] == 2, gen.stats()
    out = InferenceClient(base_url=gen.url).chat_completion([{"role": "user", "content": "hi"}], max_tokens=2)
    assert out.choices[0].message.content is not None
    assert time.perf_counter() - t0 < 90  # 400 tokens were never generated
    assert gen.stats()["errors_5xx"] == 0


# ------------------------------------------------------------------------------------------------ errors and retries
def test_auth_gated_and_missing_model_errors(clf, canary):
    clf.set_api_keys({"class-key": "granted", "waiting-key": "pending"})
    try:
        with pytest.raises(HfHubHTTPError) as e401:
            InferenceClient(base_url=clf.url).text_classification("hi")  # sends the (canary) HF_TOKEN
        assert e401.value.response.status_code == 401 and canary not in str(e401.value)
        assert isinstance(auth.translate_error(e401.value), auth.InvalidTokenError)
        with pytest.raises(GatedRepoError) as e403:
            InferenceClient(base_url=clf.url, api_key="waiting-key").text_classification("hi")
        assert isinstance(auth.translate_error(e403.value, repo_id=clf.model_id), auth.GatedRepoAccessError)
        with pytest.raises(RepositoryNotFoundError) as e404:
            InferenceClient(model=f"{clf.url}/models/nobody/typo", api_key="class-key").text_classification("hi")
        assert isinstance(auth.translate_error(e404.value, repo_id="nobody/typo"), auth.MissingRepoError)
        assert [retry.what_to_do(retry.status_of(e.value)) for e in (e401, e403, e404)] == \
            ["fix_token", "request_access", "fix_model"]
        assert InferenceClient(base_url=clf.url, api_key="class-key").text_classification("hi")
    finally:
        clf.set_api_keys(None)


def test_retry_helper_rides_out_429_honouring_retry_after(clf):
    client = InferenceClient(base_url=clf.url)
    clf.set_rate_limit("2/s")
    try:
        client.text_classification("one")
        client.text_classification("two")
        with pytest.raises(HfHubHTTPError) as e:
            client.text_classification("three")
        assert e.value.response.status_code == 429
        retry_after = retry.retry_after_of(e.value)
        assert retry_after >= 1 and e.value.response.headers["RateLimit"].startswith('"api";r=0')
        # the bucket is empty now: the next call gets 429 again and must wait Retry-After
        t0 = time.perf_counter()
        out = retry.call_with_retry(client.text_classification, "four", attempts=5, base=0.05, cap=2, quiet=True)
        assert out and time.perf_counter() - t0 >= retry_after * 0.95
    finally:
        clf.set_rate_limit(None)


def test_lazy_endpoint_answers_503_then_the_retry_helper_gets_through(tiny_mlm):
    with LocalEndpoint(tiny_mlm, "fill-mask", lazy=True) as ep:
        client = InferenceClient(base_url=ep.url)
        assert httpx.get(ep.url + "/health").status_code == 503
        with pytest.raises(HfHubHTTPError) as e:
            client.fill_mask("hello [MASK]")
        assert e.value.response.status_code == 503 and retry.retry_after_of(e.value) >= 1
        assert "estimated_time" in e.value.response.json()
        out = retry.call_with_retry(client.fill_mask, "hello [MASK]", attempts=30, base=0.2, cap=1, max_delay=60,
                                    quiet=True)
        assert len(out) == 5 and httpx.get(ep.url + "/health").status_code == 200


def test_offline_mode_allows_only_loopback(emb, monkeypatch):
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    serve.disallow_local_requests()
    try:
        with pytest.raises(OfflineModeIsEnabled):
            InferenceClient(base_url=emb.url).feature_extraction("blocked")
        assert serve.allow_local_requests() is True
        assert serve.allow_local_requests() is False  # already allowed
        assert InferenceClient(base_url=emb.url).feature_extraction("allowed").shape == (384,)
        with pytest.raises(OfflineModeIsEnabled):
            get_session().get("http://example.invalid/x")  # every other host stays blocked, before any network
    finally:
        serve.allow_local_requests()


def test_info_health_and_stats_routes(gen):
    info = httpx.get(gen.url + "/info").json()
    assert info["model_id"] == CHAT and info["task"] == "text-generation" and info["max_total_tokens"] > 0
    assert httpx.get(f"{gen.url}/models/{CHAT}/info").json()["model_id"] == CHAT
    assert httpx.get(gen.url + "/health").json() == {"status": "ok"}
    stats = httpx.get(gen.url + "/stats").json()
    assert stats["requests"] > 0 and "batch_size_counts" in stats


def test_bench_serve_reports_both_modes_and_its_input_lengths_as_json():
    res = serve.bench_serve(clients=16, requests=64, model=EMBED, task="text-classification", rounds=2)
    json.dumps(res)  # `hflab bench serve` prints it as JSON
    a, b = res["dynamic_batching"], res["per_request"]
    assert res["total_requests"] == 128 and res["errors_5xx"] == 0 and res["clients"] == 16
    assert a["status"] == b["status"] == {"200": 64}
    assert a["mean_batch_size"] > 2 and b["mean_batch_size"] == 1.0 and b["mean_forward_batch_size"] == 1.0
    assert a["latency_ms_p99"] >= a["latency_ms_p50"] > 0
    # the default figure is on whole course reviews, and says so: how many tokens each input had
    assert res["inputs"]["kind"] == "reviews" and "whole course reviews" in res["inputs"]["what"]
    lengths = res["inputs"]["tokens_per_input"]
    assert lengths["texts"] == 32 and lengths["min"] <= lengths["p50"] <= lengths["p90"] <= lengths["max"]
    assert lengths["max"] > 64  # real reviews, not the <= 8-token ones
    assert res["bar"] == {"speedup_median_round_at_least": serve.BENCH_BARS["reviews"], "errors_5xx": 0}
    assert abs(res["speedup_median_round"] - serve.percentile(res["speedup_by_round"], 50)) < 0.006
    assert res["meets_bar"] == (res["speedup_median_round"] >= serve.BENCH_BARS["reviews"])
    short = res["short_inputs"]  # the second figure, labelled
    assert short["inputs"]["kind"] == "short" and short["inputs"]["tokens_per_input"]["max"] <= 8
    assert short["errors_5xx"] == 0 and short["bar"]["speedup_median_round_at_least"] == serve.BENCH_BARS["short"]
    with pytest.raises(ServeError, match="reviews"):
        serve.bench_serve(requests=4, model=EMBED, rounds=1, inputs="tweets")


def test_forward_passes_pad_a_text_only_when_that_is_cheaper_than_a_call_of_its_own():
    plan = serve.plan_forward_passes
    assert plan([5, 5, 6, 30, 31, 200], 32, 16384, 32) == [(0, 3), (3, 5), (5, 6)]
    assert plan([5, 5, 6, 30, 31, 200], 32, 16384, 10**9) == [(0, 6)]  # fewest passes
    assert plan([5, 5, 6], 32, 16384, 0) == [(0, 2), (2, 3)]  # no padding at all; equal lengths share
    runs = plan([8] * 40, 32, 16384, 32)
    assert len(runs) == 2 and max(hi - lo for lo, hi in runs) <= 32  # max_batch
    assert plan([100] * 4, 32, 250, 32) == [(0, 2), (2, 4)]  # max padded tokens per pass
    assert plan([], 32, 16384, 32) == []
    lengths = sorted([5, 9, 12, 20, 33, 47, 80, 120, 200, 250])
    runs = plan(lengths, 32, 16384, 32)
    assert [i for lo, hi in runs for i in range(lo, hi)] == list(range(len(lengths)))  # every text once, in order
    cost = sum(32 + (hi - lo) * lengths[hi - 1] for lo, hi in runs)
    assert cost < 32 + len(lengths) * 250 and cost < sum(32 + n for n in lengths)


def test_a_batch_of_whole_reviews_runs_as_several_forward_passes(clf):
    texts = serve.course_review_texts()[:48]
    assert texts == serve.course_review_texts()[:48]  # the same order every time (seed 0)
    lengths = serve.input_lengths(clf, texts)
    assert lengths["max"] > 4 * lengths["min"]
    clf.reset_stats()
    out = httpx.post(clf.url, json={"inputs": texts[:32]}, timeout=120).json()
    assert len(out) == 32
    st = clf.stats()
    assert st["batches"] == 1 and 1 < st["forward_passes"] < 32, st
    # the same scores as one text at a time: cutting a batch changes nothing in the answers
    one = [httpx.post(clf.url, json={"inputs": t}, timeout=60).json()[0] for t in texts[:4]]
    assert all(abs(x[0]["score"] - y[0]["score"]) < 1e-4 and x[0]["label"] == y[0]["label"]
               for x, y in zip(out[:4], one))


@pytest.mark.timeout(600)
def test_bench_serve_defaults_meet_their_bars():
    """Issue 26's bars, measured as `hflab bench serve` runs them: the lesson-08 classifier, 16 clients,
    512 requests per mode in 4 interleaved rounds, the bar on the median round (a busy moment on a
    shared machine slows one round of one mode). On whole course reviews dynamic batching must not lose
    (measured 1.14-1.25x over all rounds on 2 busy cores; one forward pass per batch ran at 0.4-0.7x); on
    reviews of at most 8 tokens, the second figure, >= 2x (2.3-3.4x; an earlier session measured 2.4-2.6x
    on h11 + asyncio, which is why hflab pins httptools and uvloop). The server's CPU per request, steadier
    than wall time on a busy machine, must drop with batching (measured 1.18-1.27x and 2.7-3.3x)."""
    res = serve.bench_serve()
    json.dumps(res)
    assert "httptools" in res["server"] and res["clients"] == 16, res["server"]
    assert res["inputs"]["kind"] == "reviews" and res["inputs"]["tokens_per_input"]["mean"] > 30
    for fig in (res, res["short_inputs"]):
        assert fig["total_requests"] >= 1000 and fig["errors_5xx"] == 0, fig
        assert fig["dynamic_batching"]["latency_ms_p99"] >= fig["dynamic_batching"]["latency_ms_p50"] > 0
        assert fig["meets_bar"], (fig["inputs"]["kind"], fig["speedup_median_round"], fig["speedup_by_round"])
    assert res["server_cpu_saving"] > 1.0 and res["short_inputs"]["server_cpu_saving"] >= 2.0, (
        res["server_cpu_saving"], res["short_inputs"]["server_cpu_saving"])


def test_cli_serve_rejects_a_bad_task_in_korean():
    with pytest.raises(ServeError, match="작업"):
        serve.cli_serve(EMBED, "translation", port=0)
