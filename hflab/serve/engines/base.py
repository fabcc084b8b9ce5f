"""The engine base class (load a model, validate a request, run a batch) and the job the batcher queues."""
from __future__ import annotations

import collections
import copy
import time
from dataclasses import dataclass, field
from typing import Any

from ..batching import plan_forward_passes
from ..errors import _bad


@dataclass
class Job:
    """One request's work: ``items`` (texts / prompts) and the ``params`` shared by them."""

    kind: str                       # "classify" | "embed" | "fill" | "generate" | "chat"
    items: list                     # texts (or prompts)
    params: dict = field(default_factory=dict)
    single: bool = True             # the request sent one string (not a list)
    stream: bool = False            # streamed generation: runs alone, tokens go to `events`
    group: Any = None               # jobs with the same group key may share a forward pass
    future: Any = None              # asyncio.Future set by the batcher
    events: Any = None              # asyncio.Queue of stream events
    loop: Any = None
    cancelled: bool = False
    created: float = field(default_factory=time.perf_counter)

    @property
    def size(self) -> int:
        return len(self.items)


class Engine:
    """Base class: one model for one task. ``parse`` runs in the event loop (cheap), ``run`` in the model thread."""

    task = ""
    model_class = "AutoModel"

    def __init__(self, model: str, model_id: str, *, device: str | None = None, max_inputs: int = 64,
                 max_input_chars: int = 4000, max_new_tokens: int = 256, dtype: str | None = None):
        self.model_ref = str(model)
        self.model_id = model_id
        self.device_pref = device
        self.dtype_pref = dtype
        self.max_inputs = int(max_inputs)
        self.max_input_chars = int(max_input_chars)
        self.max_new_tokens = int(max_new_tokens)
        self.model = None
        self.tokenizer = None
        self.parse_tokenizer = None
        self.device = "cpu"
        self.load_seconds: float | None = None
        self.n_params: int | None = None
        #: inputs per forward pass of the encoder tasks (the pad cap of _batches cuts a batch in several)
        self.forward_sizes: collections.deque = collections.deque(maxlen=100_000)

    # -- loading -----------------------------------------------------------------------------------
    def _auto_class(self):
        import transformers

        return getattr(transformers, self.model_class)

    def load(self) -> None:
        import torch
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        t0 = time.perf_counter()
        device = self.device_pref or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = self.dtype_pref or ("float16" if device.startswith("cuda") and self.task == "text-generation"
                                    else "float32")
        level = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_ref)
            model = self._auto_class().from_pretrained(self.model_ref, dtype=getattr(torch, dtype))
        finally:
            hf_logging.set_verbosity(level)
        # a second tokenizer for request validation in the server thread: a fast tokenizer must not be
        # used from two threads at once (its truncation/padding settings are mutated on each call)
        self.parse_tokenizer = copy.deepcopy(self.tokenizer)
        self.model = model.to(device).eval()
        self.device = device
        self.n_params = sum(p.numel() for p in self.model.parameters())
        self._after_load()
        self.load_seconds = time.perf_counter() - t0

    def _after_load(self) -> None:
        pass

    def max_length(self) -> int:
        n = getattr(self.tokenizer, "model_max_length", None) or 512
        cfg = getattr(self.model, "config", None)
        pos = getattr(cfg, "max_position_embeddings", None)
        limit = min(int(n) if n < 10**6 else 10**6, int(pos) if pos else 10**6)
        return limit if limit < 10**6 else 512

    def info(self) -> dict:
        return {
            "model_pipeline_tag": self.task,
            "model_dtype": str(next(self.model.parameters()).dtype) if self.model is not None else None,
            "model_device_type": self.device,
            "num_parameters": self.n_params,
            "max_input_length": self.max_length() if self.model is not None else None,
            "max_client_batch_size": self.max_inputs,
            "max_input_chars": self.max_input_chars,
        }

    # -- requests ----------------------------------------------------------------------------------
    def _texts(self, inputs, *, allow_list: bool = True) -> tuple[list[str], bool]:
        if isinstance(inputs, str):
            texts, single = [inputs], True
        elif isinstance(inputs, list) and allow_list:
            texts, single = inputs, False
        else:
            kind = "문자열 또는 문자열 리스트" if allow_list else "문자열"
            raise _bad(f"'inputs' 는 {kind}여야 합니다 (지금 {type(inputs).__name__}).",
                       "'inputs' must be a string" + (" or a list of strings" if allow_list else ""), 400)
        if not texts:
            raise _bad("'inputs' 리스트가 비어 있습니다.", "'inputs' is an empty list", 422, error_type="validation")
        if len(texts) > self.max_inputs:
            raise _bad(f"한 요청의 입력은 {self.max_inputs}개까지입니다 (지금 {len(texts)}개). 나누어 보내세요.",
                       f"at most {self.max_inputs} inputs per request", 422, error_type="validation")
        for i, t in enumerate(texts):
            where = "" if single else f"[{i}]"
            if not isinstance(t, str):
                raise _bad(f"'inputs{where}' 는 문자열이어야 합니다 (지금 {type(t).__name__}).",
                           f"'inputs{where}' must be a string", 400)
            if not t.strip():
                raise _bad(f"'inputs{where}' 가 비어 있습니다. 내용이 있는 텍스트를 보내세요.",
                           f"'inputs{where}' is empty", 422, error_type="validation")
            if len(t) > self.max_input_chars:
                raise _bad(f"'inputs{where}' 가 너무 깁니다 ({len(t)}자 > {self.max_input_chars}자).",
                           f"'inputs{where}' is too long ({len(t)} > {self.max_input_chars} characters)", 422,
                           error_type="validation")
        return list(texts), single

    def parse(self, body: dict) -> Job:
        raise NotImplementedError

    def parse_chat(self, body: dict) -> Job:
        raise _bad(
            f"이 엔드포인트는 {self.task} 작업을 서비스합니다. 채팅(chat/completions)은 text-generation 엔드포인트로 보내세요.",
            f"this endpoint serves {self.task}; chat completions need a text-generation endpoint",
        )

    def run(self, jobs: list[Job], max_batch: int) -> list:
        """Results for `jobs` (one per job, or a RequestError); runs in the model thread."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------------
    #: padded tokens per forward pass at most (long inputs get smaller batches)
    MAX_BATCH_TOKENS = 16384
    #: what one more forward pass costs, in tokens of compute: on one CPU thread a MiniLM call costs about
    #: as much fixed time (Python, per-layer op launches) as computing 32 more tokens. _batches pads a
    #: text to a longer one only when that costs fewer tokens than a call of its own would.
    CALL_COST_TOKENS = 32

    def _batches(self, texts: list[str], max_batch: int, truncate: bool = True, side: str = "right"):
        """Yield ``(indices, encoded_batch)``: the texts tokenized once, sorted by length and cut into forward
        passes of at most `max_batch` texts and :attr:`MAX_BATCH_TOKENS` padded tokens, where the cuts cost
        the least compute (:func:`plan_forward_passes`): a short review is not padded to a long one when
        that costs more than a call of its own (the padding waste lesson 07 measures; one forward pass per
        batch ran full course reviews at 0.4x the per-request speed)."""
        tok = self.tokenizer
        old = tok.truncation_side
        tok.truncation_side = side
        try:
            enc = tok(texts, truncation=truncate, max_length=self.max_length() if truncate else None)
        finally:
            tok.truncation_side = old
        keys = list(enc.keys())
        order = sorted(range(len(texts)), key=lambda i: len(enc["input_ids"][i]))
        lengths = [len(enc["input_ids"][i]) for i in order]
        for lo, hi in plan_forward_passes(lengths, max(1, int(max_batch)), self.MAX_BATCH_TOKENS,
                                          self.CALL_COST_TOKENS):
            chunk = order[lo:hi]
            batch = tok.pad({k: [enc[k][j] for j in chunk] for k in keys}, return_tensors="pt")
            self.forward_sizes.append(len(chunk))
            yield list(chunk), {k: v.to(self.device) for k, v in batch.items()}


def _split(results: list, jobs: list[Job]) -> list:
    out, pos = [], 0
    for job in jobs:
        part = results[pos:pos + job.size]
        pos += job.size
        out.append(part[0] if job.single else part)
    return out


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple, set)) else [x]
