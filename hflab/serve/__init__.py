"""`hflab serve`: a local inference endpoint that speaks the HTTP contract of ``huggingface_hub.InferenceClient``.

One model, one task, on 127.0.0.1. The real client (``InferenceClient``, ``AsyncInferenceClient``,
``client.chat.completions.create``) talks to it exactly as it talks to a dedicated Inference Endpoint
(TGI / TEI style), so a lesson can run the same client code against the Hub's Inference Providers, a
dedicated endpoint URL, or this server. One instructor laptop can serve a class with it.

Start and stop it from Python (notebook, tests)::

    from huggingface_hub import InferenceClient
    from hflab.serve import LocalEndpoint, allow_local_requests

    ep = LocalEndpoint("sentence-transformers/all-MiniLM-L6-v2", "feature-extraction").start()
    allow_local_requests()      # HF_HUB_OFFLINE=1: let huggingface_hub reach 127.0.0.1 (only)
    client = InferenceClient(base_url=ep.url)
    client.feature_extraction("hello").shape     # (384,)
    ep.stop()                   # or: with LocalEndpoint(...) as ep: ...

or from a terminal: ``hflab serve --model ID --task TASK [--port 8080] [--rate-limit 5]``.

Tasks: ``text-classification``, ``feature-extraction``, ``fill-mask``, ``text-generation`` (a
text-generation endpoint also answers chat completions; aliases: ``sentiment-analysis``,
``embeddings``, ``chat``, ``conversational``).

Routes (``ep.url`` = ``http://127.0.0.1:PORT``):

* ``POST /`` and ``POST /models/{model_id}`` (also ``.../pipeline/{task}``): the pipeline task,
  body ``{"inputs": ..., "parameters": {...}}`` (feature-extraction takes its options at the top level,
  as the client sends them). ``InferenceClient(base_url=ep.url)`` / ``model=ep.url`` posts to ``/``.
  Responses: text-classification ``[[{"label", "score"}, ...]]``; feature-extraction a vector
  (one string, mean-pooled and L2-normalised unless ``normalize=false``) or a list of vectors;
  fill-mask ``[{"score", "token", "token_str", "sequence"}, ...]``; text-generation TGI style
  ``[{"generated_text"[, "details"]}]``, and with ``"stream": true`` server-sent events
  ``data:{"index", "token": {...}, "generated_text", "details"}``.
* ``POST /v1/chat/completions`` (also under ``/models/{model_id}/``): OpenAI chat completions;
  ``stream=true`` sends ``data: {chunk}`` lines and ends with ``data: [DONE]``. ``GET /v1/models`` lists the
  served model (``{"object": "list", "data": [{"id", "object": "model", ...}]}``) and ``GET /v1/models/{id}``
  shows it, so the official ``openai`` client works with ``OpenAI(base_url=ep.url + "/v1", api_key=...)``.
* ``GET /health`` (200 when the model is loaded, 503 while it loads), ``GET /info`` (model info, like
  TGI's ``/info``), ``GET /stats`` (requests per status, batches, batch sizes). With ``api_keys`` every
  route needs the key except ``/health`` (a probe has no key, and it says only "ok" or "loading");
  ``/info``, ``/stats`` and ``GET /`` name the model and show the traffic, so they need it too.

Dynamic batching: concurrent requests wait in one queue; when the model thread is free, a worker takes
everything queued plus what arrives within ``max_wait_ms`` (up to ``max_batch_size`` inputs) and runs it
in one go: sorted by length and cut into the forward passes that cost the least (padded tokens plus a
call's fixed cost, :func:`plan_forward_passes`; a generation batch is one ``generate`` call). Requests
that arrive while a batch runs form the next one, so the HTTP work of one batch overlaps the model work
of the other. ``max_batch_size=1`` is per-request execution with the same code (``hflab bench serve``
compares the two, on whole course reviews and on short inputs).

Keys (``api_keys=``; ``hflab serve`` reads them from ``HFLAB_SERVE_API_KEY`` or ``--api-key-file``, never
the command line, see :func:`load_api_keys`) are compared with :func:`hmac.compare_digest`. A Bearer that
looks like a Hugging Face token (``hf_...``: what ``InferenceClient`` sends from HF_TOKEN when ``api_key=``
is left out) is refused with a 401 that says to pass the classroom key and to consider rotating the token,
on a keyed server and from any other machine; it is never logged or echoed.

Errors use the ``{"error": "...", "error_type": ...}`` body ``InferenceClient`` reads on the Inference-API
routes, and OpenAI's ``{"error": {"message", "type", "param", "code"}}`` on ``/v1/*`` (the message is Korean,
then English, in both): 400 malformed JSON or
wrong task / unknown parameter, 413 body too large, 422 values out of range (empty or oversized
inputs, too many tokens), 401 missing/invalid key and 403 gated (``api_keys=``), 404 unknown model
(``X-Error-Code: RepoNotFound``, so the client raises ``RepositoryNotFoundError``), 429 past
``rate_limit`` (token bucket, with ``Retry-After``), 503 while a ``lazy=True`` model loads (with
``Retry-After`` and ``estimated_time``, like the serverless API's cold start). Malformed input (invalid
UTF-8 or JSON, lone surrogates, JSON nested deeper than :data:`MAX_JSON_DEPTH`, a body that is no object,
a wrong type for any parameter) is a 4xx, never a 5xx. A bad request never stops the server; a client that
disconnects, mid-stream or while waiting for a non-streamed answer, stops its generation.

Used in: 11_inference_api, ``hflab serve``, ``hflab bench serve``.
"""
import hmac  # noqa: F401  (hflab.serve.hmac: tests spy on compare_digest through it)

from .errors import RequestError, ServeError  # noqa: F401
from .config import TASKS, normalize_task, normalize_task_soft, parse_rate_limit  # noqa: F401
from .params import MAX_JSON_DEPTH, parse_json_body  # noqa: F401
from .batching import Batcher, TokenBucket, plan_forward_passes  # noqa: F401
from .engines.base import Engine, Job  # noqa: F401
from .engines.classifier import ClassifierEngine  # noqa: F401
from .engines.embedding import EmbeddingEngine  # noqa: F401
from .engines.fill_mask import FillMaskEngine  # noqa: F401
from .engines.generator import GeneratorEngine  # noqa: F401
from .keys import API_KEY_ENV, HF_TOKEN_PREFIX, HUB_TOKEN_REFUSED, _lookup_key, load_api_keys  # noqa: F401
from .handlers import _Handlers  # noqa: F401
from .app import create_app  # noqa: F401
from .endpoint import LocalEndpoint, banner, cli_serve, reachable_addresses  # noqa: F401
from .local_requests import allow_local_requests, disallow_local_requests  # noqa: F401
from .bench import (  # noqa: F401
    BENCH_BARS,
    bench_serve,
    course_review_texts,
    http_stack,
    input_lengths,
    measure_batching,
    percentile,
    run_load,
    short_review_texts,
)

__all__ = [
    "LocalEndpoint",
    "ServeError",
    "allow_local_requests",
    "disallow_local_requests",
    "create_app",
    "cli_serve",
    "load_api_keys",
    "API_KEY_ENV",
    "bench_serve",
    "parse_rate_limit",
    "plan_forward_passes",
    "normalize_task",
    "TASKS",
]
