"""text-generation (TGI style) and chat completions (OpenAI style), with the generation hooks: log-probabilities,
cancellation of abandoned requests, streaming."""
from __future__ import annotations

import math

from ..errors import _bad
from ..params import _bool_param, _check_unknown, _float_param, _int_param, _stop_param
from .base import Engine, Job, _as_list


class GeneratorEngine(Engine):
    """text-generation (TGI-style) and chat completions (OpenAI-style) with a causal LM."""

    task = "text-generation"
    model_class = "AutoModelForCausalLM"
    PARAMS = {"max_new_tokens", "temperature", "top_p", "top_k", "do_sample", "seed", "stop", "repetition_penalty",
              "return_full_text", "details", "decoder_input_details"}
    #: TGI parameters this server does not implement: answered like a non-TGI server, so the client drops them
    TGI_ONLY = {"adapter_id", "best_of", "frequency_penalty", "grammar", "top_n_tokens", "truncate", "typical_p",
                "watermark"}
    CHAT_PARAMS = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop",
                   "stream", "stream_options", "n", "frequency_penalty", "presence_penalty", "logprobs",
                   "top_logprobs", "response_format", "tools", "tool_choice", "tool_prompt", "logit_bias", "user"}
    DEFAULT_NEW_TOKENS = 64
    #: below this temperature the answer is greedy (as temperature 0): logits / 1e-300 overflow to inf
    MIN_TEMPERATURE = 1e-2
    #: the smallest repetition penalty accepted (logits / 1e-300 overflow to inf, and sampling then fails)
    MIN_REPETITION_PENALTY = 1e-2

    def _after_load(self) -> None:
        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token

    def max_length(self) -> int:
        cfg = self.model.config
        pos = getattr(cfg, "max_position_embeddings", None) or 2048
        return int(min(pos, 4096))

    def info(self) -> dict:
        d = super().info()
        d["max_total_tokens"] = self.max_length()
        d["max_new_tokens"] = self.max_new_tokens
        d["chat_template"] = bool(getattr(self.tokenizer, "chat_template", None)) if self.tokenizer else None
        return d

    # -- parsing -----------------------------------------------------------------------------------
    def _gen_params(self, params: dict, max_name: str) -> dict:
        max_new = _int_param(params, max_name, 1, self.max_new_tokens, min(self.DEFAULT_NEW_TOKENS, self.max_new_tokens))
        temperature = _float_param(params, "temperature", 0.0, 2.0)
        if temperature is not None and temperature < self.MIN_TEMPERATURE:
            temperature = 0.0  # greedy: dividing the logits by ~0 makes them inf, and sampling from NaN fails
        top_p = _float_param(params, "top_p", 0.0, 1.0, lo_open=True)
        top_k = _int_param(params, "top_k", 1, 10**6)
        rep = _float_param(params, "repetition_penalty", self.MIN_REPETITION_PENALTY, 10.0)
        seed = _int_param(params, "seed", 0, 2**63 - 1)
        do_sample = _bool_param(params, "do_sample")
        if do_sample is None:  # like TGI: greedy unless a sampling setting is given
            do_sample = bool((temperature is not None and temperature > 0) or top_p is not None or top_k is not None)
        if temperature == 0:
            do_sample = False
        gen = {"max_new_tokens": max_new, "do_sample": do_sample, "repetition_penalty": rep,
               "stop": _stop_param(params), "seed": seed}
        if do_sample:
            gen.update(temperature=temperature if temperature is not None else 1.0, top_p=top_p, top_k=top_k)
        return gen

    def _count(self, text: str, *, special: bool) -> int:
        return len(self.parse_tokenizer(text, add_special_tokens=special)["input_ids"])

    def parse(self, body: dict) -> Job:
        _check_unknown({k: v for k, v in body.items() if k not in ("inputs", "parameters", "options", "stream")},
                       set(), self.task, "최상위(top-level)")
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        unsupported = sorted(k for k in params if k in self.TGI_ONLY and params[k] not in (None, False))
        if unsupported:
            # The exact wording InferenceClient understands: it retries without them and warns the learner.
            names = ", ".join(f"'{k}'" for k in unsupported)
            raise _bad(f"이 서버가 지원하지 않는 매개변수입니다: {', '.join(unsupported)}.",
                       f"The following `model_kwargs` are not used by the model: [{names}]", 400)
        _check_unknown({k: v for k, v in params.items() if k not in self.TGI_ONLY}, self.PARAMS, self.task)
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise _bad("'stream' 은 true/false 여야 합니다.", "'stream' must be a boolean", 422, error_type="validation")
        texts, single = self._texts(body.get("inputs"), allow_list=False)
        gen = self._gen_params(params, "max_new_tokens")
        n_prompt = self._count(texts[0], special=True)
        self._check_length(n_prompt, gen["max_new_tokens"])
        gen["return_full_text"] = bool(_bool_param(params, "return_full_text", False))
        gen["details"] = bool(_bool_param(params, "details", False))
        gen["special"] = True
        return Job("generate", texts, gen, single=True, stream=stream, group=self._group(gen))

    def _check_length(self, n_prompt: int, max_new: int) -> None:
        limit = self.max_length()
        if n_prompt + max_new > limit:
            raise _bad(f"프롬프트 {n_prompt}토큰 + 새 토큰 {max_new}개가 최대 {limit}토큰을 넘습니다. 입력을 줄이세요.",
                       f"`inputs` tokens + `max_new_tokens` must be <= {limit}. Given: {n_prompt} `inputs` tokens "
                       f"and {max_new} `max_new_tokens`", 422, error_type="validation")

    @staticmethod
    def _group(gen: dict):
        if gen.get("seed") is not None and gen.get("do_sample"):
            return None  # a seeded sample runs alone: its result must not depend on its batch neighbours
        return ("gen", gen["max_new_tokens"], gen["do_sample"], gen.get("temperature"), gen.get("top_p"),
                gen.get("top_k"), gen["repetition_penalty"], tuple(gen["stop"]), gen.get("special"))

    def parse_chat(self, body: dict) -> Job:
        if not getattr(self.tokenizer, "chat_template", None):
            raise _bad("이 모델에는 채팅 템플릿(chat template)이 없어 chat/completions 를 할 수 없습니다.",
                       "this model has no chat template", 400)
        _check_unknown(body, self.CHAT_PARAMS, "chat/completions", "항목")
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise _bad("'messages' 는 비어 있지 않은 리스트여야 합니다: [{'role': 'user', 'content': '...'}].",
                       "'messages' must be a non-empty list", 422, error_type="validation")
        if len(msgs) > 64:
            raise _bad("메시지는 64개까지입니다.", "at most 64 messages", 422, error_type="validation")
        clean, total = [], 0
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool", "developer"):
                raise _bad(f"messages[{i}] 에 role(system/user/assistant)과 content 가 있어야 합니다.",
                           f"messages[{i}] needs a role (system/user/assistant) and a content", 422,
                           error_type="validation")
            content = m.get("content")
            if isinstance(content, list):  # OpenAI content parts: keep the text parts
                parts = []
                for part in content:
                    if not isinstance(part, dict) or part.get("type") != "text":
                        raise _bad("이 엔드포인트는 텍스트만 받습니다 (이미지 등은 안 됩니다).",
                                   "only text content parts are supported", 422, error_type="validation")
                    parts.append(str(part.get("text", "")))
                content = "".join(parts)
            if not isinstance(content, str):
                raise _bad(f"messages[{i}].content 는 문자열이어야 합니다.", f"messages[{i}].content must be a string",
                           422, error_type="validation")
            total += len(content)
            role = "system" if m["role"] == "developer" else m["role"]
            clean.append({"role": role, "content": content})
        if not any(m["content"].strip() for m in clean if m["role"] == "user"):
            raise _bad("user 메시지의 내용이 비어 있습니다.", "the user message is empty", 422, error_type="validation")
        if total > self.max_input_chars * 4:
            raise _bad(f"메시지가 너무 깁니다 ({total}자).", f"messages are too long ({total} characters)", 422,
                       error_type="validation")
        if body.get("n") not in (None, 1):
            raise _bad("n 은 1만 지원합니다.", "only n=1 is supported", 422, error_type="validation")
        for name in ("tools", "tool_choice", "tool_prompt", "response_format", "logit_bias"):
            if body.get(name) not in (None, [], {}):
                raise _bad(f"'{name}' 은(는) 이 로컬 엔드포인트가 지원하지 않습니다.", f"'{name}' is not supported", 422,
                           error_type="validation")
        if body.get("logprobs") or body.get("top_logprobs"):
            raise _bad("logprobs 는 이 로컬 엔드포인트가 지원하지 않습니다.", "logprobs are not supported", 422,
                       error_type="validation")
        params = dict(body)
        if params.get("max_completion_tokens") is not None and params.get("max_tokens") is None:
            params["max_tokens"] = params["max_completion_tokens"]
        gen = self._gen_params(params, "max_tokens")
        for pen in ("frequency_penalty", "presence_penalty"):
            _float_param(params, pen, -2.0, 2.0)
        if body.get("presence_penalty") and gen["repetition_penalty"] is None:
            gen["repetition_penalty"] = 1.0 + abs(float(body["presence_penalty"])) / 2
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise _bad("'stream' 은 true/false 여야 합니다.", "'stream' must be a boolean", 422, error_type="validation")
        opts = body.get("stream_options") or {}
        gen["include_usage"] = bool(isinstance(opts, dict) and opts.get("include_usage"))
        try:
            prompt = self.parse_tokenizer.apply_chat_template(clean, add_generation_prompt=True, tokenize=False)
        except Exception as e:  # noqa: BLE001 - template errors (e.g. roles out of order) are the caller's input
            raise _bad(f"채팅 템플릿을 적용하지 못했습니다: {type(e).__name__}: {str(e)[:200]}",
                       "could not apply the chat template", 422, error_type="validation") from None
        n_prompt = self._count(prompt, special=False)
        self._check_length(n_prompt, gen["max_new_tokens"])
        gen["special"] = False
        gen["return_full_text"] = False
        gen["details"] = False
        gen["chat"] = True
        return Job("chat", [prompt], gen, single=True, stream=stream, group=self._group(gen))

    # -- running -----------------------------------------------------------------------------------
    def _gen_kwargs(self, gen: dict) -> dict:
        kw = {"max_new_tokens": gen["max_new_tokens"], "do_sample": gen["do_sample"],
              "pad_token_id": self.tokenizer.pad_token_id}
        if gen.get("repetition_penalty") is not None:
            kw["repetition_penalty"] = gen["repetition_penalty"]
        if gen["do_sample"]:
            kw["temperature"] = gen["temperature"]
            if gen.get("top_p") is not None:
                kw["top_p"] = gen["top_p"]
            kw["top_k"] = gen.get("top_k") or 0
        else:  # silence the "generation flags are not valid" warnings of checkpoints with sampling defaults
            kw.update(temperature=None, top_p=None, top_k=None)
        if gen["stop"]:
            kw["stop_strings"] = gen["stop"]
            kw["tokenizer"] = self.tokenizer
        return kw

    def _prepare(self, jobs: list[Job]):
        gen = jobs[0].params
        enc = self.tokenizer([j.items[0] for j in jobs], return_tensors="pt", padding=True,
                             add_special_tokens=gen.get("special", True))
        return {k: v.to(self.device) for k, v in enc.items()}

    def _finish(self, gen: dict, new_ids: list[int], logprobs: list[float], prompt: str, n_prompt: int,
                stopped_by_cancel: bool = False) -> dict:
        tok = self.tokenizer
        eos = set(_as_list(getattr(self.model.generation_config, "eos_token_id", None))) | {tok.eos_token_id}
        ids = list(new_ids)
        # a row that ended early in a batch is padded afterwards: keep up to its first end-of-sequence token
        for i, t in enumerate(ids):
            if t in eos:
                ids = ids[: i + 1]
                break
        finish = "length"
        if ids and ids[-1] in eos:
            finish = "eos_token"
        text = tok.decode([i for i in ids if i not in eos], skip_special_tokens=True)
        for s in gen["stop"]:
            at = text.find(s)
            if at >= 0:
                finish = "stop_sequence"
                text = text[: at] if gen.get("chat") else text[: at + len(s)]
                break
        if stopped_by_cancel:
            finish = "cancelled"
        tokens = [{"id": int(t), "text": tok.decode([t]), "logprob": float(lp), "special": t in eos}
                  for t, lp in zip(ids, logprobs)]
        return {"text": text, "finish": finish, "n_new": len(ids), "n_prompt": n_prompt, "tokens": tokens,
                "prompt": prompt}

    def run(self, jobs, max_batch):
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        out: list = []
        for start in range(0, len(jobs), max(1, int(max_batch))):
            group = jobs[start:start + max(1, int(max_batch))]
            gen = group[0].params
            enc = self._prepare(group)
            width = enc["input_ids"].shape[1]
            recorder = _LogprobRecorder()
            cancel = _CancelCriteria(group)
            if gen.get("seed") is not None:
                torch.manual_seed(gen["seed"])
            with torch.inference_mode():
                seqs = self.model.generate(**enc, **self._gen_kwargs(gen),
                                           logits_processor=LogitsProcessorList([recorder]),
                                           stopping_criteria=StoppingCriteriaList([cancel]))
            new = seqs[:, width:]
            lps = recorder.finish(new)
            n_prompts = enc["attention_mask"].sum(1).tolist()
            for k, job in enumerate(group):
                out.append(self._finish(gen, new[k].tolist(), lps[k], job.items[0], int(n_prompts[k]),
                                        stopped_by_cancel=job.cancelled))
        return out

    def run_stream(self, job: Job, emit) -> dict:
        """Generate for one streamed job; `emit(token_dict)` is called for every new token (model thread)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        gen = job.params
        enc = self._prepare([job])
        recorder = _LogprobRecorder()
        streamer = _Streamer(self.tokenizer, recorder, emit)
        if gen.get("seed") is not None:
            torch.manual_seed(gen["seed"])
        with torch.inference_mode():
            seqs = self.model.generate(**enc, **self._gen_kwargs(gen), streamer=streamer,
                                       logits_processor=LogitsProcessorList([recorder]),
                                       stopping_criteria=StoppingCriteriaList([_CancelCriteria([job])]))
        new = seqs[0, enc["input_ids"].shape[1]:]
        lps = recorder.finish(new.unsqueeze(0))[0]
        return self._finish(gen, new.tolist(), lps, job.items[0], int(enc["attention_mask"].sum()),
                            stopped_by_cancel=job.cancelled)


try:  # transformers is imported lazily elsewhere; these small classes need its base classes
    from transformers.generation import BaseStreamer as _BaseStreamer
    from transformers.generation import LogitsProcessor as _LogitsProcessor
    from transformers.generation import StoppingCriteria as _StoppingCriteria
except Exception:  # pragma: no cover - transformers missing: the engines cannot load anyway
    _BaseStreamer = _LogitsProcessor = _StoppingCriteria = object


class _LogprobRecorder(_LogitsProcessor):
    """Records the log-probability of every chosen token without keeping whole score tensors.

    Called at each step with the tokens so far: the previous step's distribution is looked up for
    the token that was just appended (``input_ids[:, -1]``). Placed last among the processors, so the
    log-probability is the one the sampler used.
    """

    def __init__(self):
        self.last = None
        self.rows: list[list[float]] | None = None
        self.steps = 0

    def __call__(self, input_ids, scores):
        import torch

        if self.last is not None:
            chosen = input_ids[:, -1]
            got = self.last.gather(1, chosen.unsqueeze(1)).squeeze(1).tolist()
            for r, v in zip(self.rows, got):
                r.append(v)
        else:
            self.rows = [[] for _ in range(scores.shape[0])]
        self.last = torch.log_softmax(scores.float(), dim=-1)
        self.steps += 1
        return scores

    def lookup(self, token_id: int, row: int = 0) -> float:
        if self.last is None:
            return 0.0
        return float(self.last[row, int(token_id)])

    def finish(self, new_ids) -> list[list[float]]:
        if self.rows is None:
            return [[] for _ in range(new_ids.shape[0])]
        if self.last is not None and new_ids.shape[1] > len(self.rows[0]):
            last_tokens = new_ids[:, len(self.rows[0])]
            got = self.last.gather(1, last_tokens.unsqueeze(1).to(self.last.device)).squeeze(1).tolist()
            for r, v in zip(self.rows, got):
                r.append(v)
        return [[v if math.isfinite(v) else -1e9 for v in r] for r in self.rows]


class _CancelCriteria(_StoppingCriteria):
    """Stops the rows of cancelled jobs (client gone, server stopping); ``generate`` ends when every row has.

    One row per job (each job of a generation batch is one prompt), so an abandoned request stops at its
    next token while the other rows of its batch go on.
    """

    def __init__(self, jobs: list[Job]):
        self.jobs = jobs

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        done = [j.cancelled for j in self.jobs]
        if len(done) != input_ids.shape[0]:  # not one row per job: stop only when all are cancelled
            done = [all(done)] * input_ids.shape[0]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class _Streamer(_BaseStreamer):
    """Turns generated token ids into text pieces; never splits a multi-byte character."""

    def __init__(self, tokenizer, recorder: _LogprobRecorder, emit):
        self.tok = tokenizer
        self.recorder = recorder
        self.emit = emit
        self.ids: list[int] = []
        self.sent = 0
        self.prompt_seen = False
        self.eos = {tokenizer.eos_token_id}
        self.special = set(tokenizer.all_special_ids) | self.eos

    def put(self, value):
        if not self.prompt_seen:  # generate() first pushes the prompt
            self.prompt_seen = True
            return
        for tid in value.reshape(-1).tolist():
            self.ids.append(int(tid))
            special = tid in self.special
            text = self.tok.decode([i for i in self.ids if i not in self.eos], skip_special_tokens=True)
            if text.endswith("\ufffd"):  # an unfinished UTF-8 character: wait for the next token
                piece = ""
            else:
                piece, self.sent = text[self.sent:], len(text)
            self.emit({"id": int(tid), "text": piece, "logprob": self.recorder.lookup(tid), "special": bool(special)})

    def end(self):
        pass
