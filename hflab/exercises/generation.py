"""Checkers for lesson 05 (text generation and chat).

Each checker recomputes its expectation from the same inputs the learner used: the chat
template of the learner's tokenizer, :mod:`hflab.memory` for the T4 arithmetic, the model's
own ``generation_config`` for the greedy arguments, and transformers' ``TopPLogitsWarper``
for the nucleus (top-p) cut.

Used in: 05_generation_chat.
"""
from __future__ import annotations

from .. import memory
from . import Example, Hint, as_number, ensure, exercise, is_close

LESSON = "05_generation_chat"


# --- 05.1 chat template ----------------------------------------------------------------------


def _messages(system: str, user: str) -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _ids(value) -> list[int] | None:
    """Token ids from a list / tensor / BatchEncoding (batch of one allowed), else None."""
    if hasattr(value, "keys") and "input_ids" in value:
        value = value["input_ids"]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], (list, tuple)):
        value = value[0]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) for v in value):
        return list(value)
    return None


@exercise("05.1", "채팅 템플릿으로 프롬프트 만들기")
def check_chat_prompt(answer, tokenizer, system, user):
    """Check a prompt rendered with ``tokenizer.apply_chat_template`` from a system + user message.

    `answer` may be the rendered text (``tokenize=False``) or the token ids (a list, a tensor
    or the BatchEncoding ``apply_chat_template`` returns). The expectation is the tokenizer's own
    template applied to ``[system, user]`` with ``add_generation_prompt=True``.
    Used in: 05_generation_chat.
    """
    msgs = _messages(system, user)
    expected = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    no_gen = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=False)
    user_only = tokenizer.apply_chat_template(msgs[1:], tokenize=False, add_generation_prompt=True)

    if isinstance(answer, (list, tuple)) and answer and all(isinstance(m, dict) for m in answer):
        raise Hint(
            "메시지 리스트 자체가 들어왔어요. 이 리스트를 tokenizer.apply_chat_template(..., "
            "add_generation_prompt=True)에 넣은 결과를 답으로 주세요."
        )
    if not isinstance(answer, str):
        ids = _ids(answer)
        ensure(ids is not None, "답은 템플릿을 적용한 문자열(tokenize=False) 또는 토큰 id여야 해요.")
        expected_ids = tokenizer(expected, add_special_tokens=False)["input_ids"]
        if ids == expected_ids:
            return f"토큰 {len(ids)}개, 마지막은 어시스턴트 차례를 여는 표시예요."
        if ids == tokenizer(expected)["input_ids"] and ids != expected_ids:
            raise Hint("특수 토큰이 한 번 더 붙었어요. 템플릿 문자열을 토큰화할 때는 add_special_tokens=False를 쓰세요.")
        if ids == tokenizer(no_gen, add_special_tokens=False)["input_ids"]:
            raise Hint("어시스턴트 차례를 여는 부분이 없어요. add_generation_prompt=True를 넣으세요.")
        answer = tokenizer.decode(ids)
        if answer != expected:
            raise Hint("토큰 id가 기대와 달라요. 메시지 두 개(system, user)를 순서대로 넣었는지 확인하세요.")
        return "정답이에요."

    if answer == expected:
        return "역할 표시와 어시스턴트 차례 표시가 모두 들어 있어요."
    if answer == no_gen:
        raise Hint("어시스턴트 차례를 여는 부분이 없어요. add_generation_prompt=True를 넣으세요.")
    if answer == user_only:
        raise Hint("system 메시지가 빠졌어요. messages에 role='system' 메시지를 먼저 넣으세요.")
    if answer.strip() == expected.strip():
        raise Hint("앞뒤 공백/줄바꿈이 달라요. 템플릿이 만든 문자열을 손대지 말고 그대로 쓰세요.")
    specials = [t for t in getattr(tokenizer, "all_special_tokens", []) if t and t in expected]
    if specials and not any(t in answer for t in specials):
        raise Hint(
            "손으로 만든 프롬프트 같아요 (모델의 특수 토큰이 없어요). 형식은 모델마다 다르니 "
            "tokenizer.apply_chat_template로 만드세요."
        )
    if system not in answer or user not in answer:
        raise Hint("system/user 메시지 내용이 그대로 들어 있지 않아요. 문제에 주어진 문자열을 그대로 쓰세요.")
    raise Hint("템플릿 결과와 달라요. 메시지 순서(system → user)와 role 이름을 확인하세요.")


# --- 05.2 memory of a model in fp16 and 4-bit -----------------------------------------------------


@exercise("05.2", "fp16과 4-bit 가중치 메모리")
def check_quantized_memory(answer, n_params):
    """Check ``{"float16": GB, "4bit": GB}`` for a model with `n_params` parameters.

    The expectation is :func:`hflab.memory.weights_gb` for each dtype (GB = 10^9 bytes).
    Used in: 05_generation_chat.
    """
    ensure(isinstance(answer, dict), "답은 {'float16': GB, '4bit': GB} 형태의 딕셔너리(dict)예요.")
    keys = {str(k).lower().replace("-", "").replace("torch.", ""): v for k, v in answer.items()}
    alias = {"fp16": "float16", "half": "float16", "int4": "4bit", "nf4": "4bit"}
    keys = {alias.get(k, k): v for k, v in keys.items()}
    for need in ("float16", "4bit"):
        ensure(need in keys, f"'{need}' 키가 없어요. 딕셔너리에 '{need}'를 넣으세요.")
    parts = []
    for dtype in ("float16", "4bit"):
        bpp = memory.bytes_per_param(dtype)
        expected = memory.weights_gb(n_params, dtype)
        value = as_number(keys[dtype], f"'{dtype}' 값")
        if is_close(value, expected):
            parts.append(f"{dtype}: {expected:.2f} GB")
            continue
        if dtype == "4bit" and is_close(value, n_params * 4 / 1e9):
            raise Hint("4-bit는 파라미터당 4바이트가 아니라 4비트 = 0.5바이트예요.")
        if is_close(value, n_params * bpp / 2**30):
            raise Hint(f"'{dtype}': GiB(2^30)로 나눴어요. 이 과정은 GB = 10^9 바이트를 씁니다.")
        if is_close(value, n_params * bpp / 1e6):
            raise Hint(f"'{dtype}': MB 단위예요. 1e9으로 나눠 GB로 바꾸세요.")
        if is_close(value, n_params * bpp):
            raise Hint(f"'{dtype}': 바이트 수 그대로예요. 1e9으로 나눠 GB로 바꾸세요.")
        if dtype == "float16" and is_close(value, n_params * 4 / 1e9):
            raise Hint("float32(4바이트)로 계산했어요. float16은 파라미터당 2바이트예요.")
        raise Hint(f"'{dtype}' 값이 달라요. 파라미터 수 × 파라미터당 바이트({bpp:g}) ÷ 1e9 로 계산하세요.")
    return ", ".join(parts) + f" (파라미터 {n_params / 1e9:.2f}B개)"


# --- 05.3 greedy decoding arguments ----------------------------------------------------------------

_SAMPLING_ONLY = ("temperature", "top_k", "top_p", "min_p", "typical_p")


@exercise("05.3", "그리디 디코딩 인자")
def check_greedy_kwargs(answer, generation_config, max_new_tokens):
    """Check a dict of ``generate`` keyword arguments for greedy decoding of `max_new_tokens` tokens.

    The model's own `generation_config` decides whether ``do_sample=False`` must be written:
    instruct checkpoints (Qwen2.5) ship ``do_sample=True``, so leaving it out samples.
    Used in: 05_generation_chat.
    """
    ensure(isinstance(answer, dict), "답은 generate(**answer)에 넣을 딕셔너리(dict)예요.")
    ensure("max_length" not in answer,
           "max_length는 프롬프트 길이까지 셉니다. 새로 만들 토큰 수는 max_new_tokens로 정하세요.")
    ensure("max_new_tokens" in answer, "max_new_tokens가 없어요. 새로 만들 토큰 수를 정하세요.")
    n = as_number(answer["max_new_tokens"], "max_new_tokens")
    ensure(n == int(max_new_tokens), f"max_new_tokens가 {n:g}이에요. 문제에서 정한 수로 바꾸세요.")
    default_sample = bool(getattr(generation_config, "do_sample", False))
    if "do_sample" not in answer:
        ensure(not default_sample,
               "이 모델의 generation_config는 do_sample=True예요. 그대로 두면 샘플링합니다: do_sample=False를 쓰세요.")
    else:
        ensure(answer["do_sample"] is False, "그리디 디코딩은 do_sample=False예요.")
    beams = answer.get("num_beams", 1)
    ensure(beams in (1, None), "num_beams > 1은 빔 서치(beam search)예요. 그리디는 빔이 1개입니다.")
    extra = [k for k in _SAMPLING_ONLY if k in answer]
    ensure(not extra, f"{', '.join(extra)}는 샘플링에서만 쓰여요. 그리디에서는 무시되니 빼세요.")
    note = "do_sample=False를 명시했어요" if "do_sample" in answer else "기본 설정이 그리디예요"
    return f"max_new_tokens={int(n)}, {note}."


# --- 05.4 how many tokens survive top-p --------------------------------------------------------------


def top_p_kept(probs, top_p: float) -> int:
    """Number of tokens transformers' ``TopPLogitsWarper`` keeps for a probability vector.

    Used in: 05_generation_chat (exercise 05.4 and its figure).
    """
    import torch
    from transformers.generation.logits_process import TopPLogitsWarper

    p = torch.as_tensor(probs, dtype=torch.float64).flatten()
    scores = torch.log(p.clamp_min(1e-30)).unsqueeze(0)
    out = TopPLogitsWarper(top_p=float(top_p))(None, scores)
    return int(torch.isfinite(out).sum())


@exercise("05.4", "top-p가 남기는 토큰 수")
def check_top_p_count(answer, probs, top_p):
    """Check how many tokens a nucleus (top-p) cut keeps for the next-token probabilities `probs`.

    The expectation is what ``TopPLogitsWarper(top_p)`` leaves unmasked for the same `probs`.
    Used in: 05_generation_chat.
    """
    value = as_number(answer, "answer")
    ensure(value == int(value), "토큰 개수는 정수예요.")
    expected = top_p_kept(probs, top_p)
    if value == expected:
        return f"확률이 큰 순서로 누적해 {top_p:g}에 처음 닿는 토큰까지 {expected}개가 남아요."
    if value == expected - 1:
        raise Hint("하나 모자라요. 누적 확률이 top_p에 처음 닿거나 넘는 그 토큰까지 포함합니다.")
    if value == expected + 1:
        raise Hint("하나 많아요. 누적 확률이 top_p에 닿은 토큰에서 멈추세요.")
    ensure(value <= len(probs), "어휘 크기보다 큰 수예요. 확률 벡터의 길이를 확인하세요.")
    sorted_probs = sorted((float(x) for x in probs), reverse=True)
    if value == sum(1 for x in sorted_probs if x >= top_p):
        raise Hint("확률 하나하나를 top_p와 비교했어요. 큰 순서로 정렬해 '누적' 확률을 top_p와 비교하세요.")
    raise Hint("확률을 큰 순서로 정렬하고 누적합(cumsum)이 top_p 이상이 되는 첫 위치를 찾아보세요.")


# --- examples for the tests -------------------------------------------------------------------------

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_chat_tokenizer():
    """A word-level tokenizer with a ChatML template, built in memory (no download, < 0.1 s)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["[UNK]", "system", "user", "assistant", "You", "are", "helpful", ".", "Hi", "!", "\n"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split("\n", "isolated"), pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", chat_template=CHATML)
    fast.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    return fast


def examples() -> list[Example]:
    """Right and wrong answers for the tests (each expectation computed from the same inputs)."""
    from transformers import GenerationConfig

    tok = tiny_chat_tokenizer()
    system, user = "You are helpful .", "Hi !"
    msgs = _messages(system, user)
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    ids = tok.apply_chat_template(msgs, add_generation_prompt=True)
    n = 8_030_000_000
    fp16, q4 = n * 2 / 1e9, n * 0.5 / 1e9
    sampling_cfg = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.8)
    greedy_cfg = GenerationConfig()
    probs = [0.5, 0.2, 0.15, 0.1, 0.05]
    kept = top_p_kept(probs, 0.8)  # 0.5+0.2+0.15 = 0.85 >= 0.8 -> 3
    return [
        Example(
            check_chat_prompt,
            right=dict(answer=text, tokenizer=tok, system=system, user=user),
            wrong=[
                (dict(answer=tok.apply_chat_template(msgs, tokenize=False), tokenizer=tok, system=system, user=user),
                 "add_generation_prompt=True"),
                (dict(answer=tok.apply_chat_template(msgs[1:], tokenize=False, add_generation_prompt=True),
                      tokenizer=tok, system=system, user=user), "system"),
                (dict(answer=f"System: {system}\nUser: {user}\nAssistant: ", tokenizer=tok, system=system, user=user),
                 "손으로"),
                (dict(answer=msgs, tokenizer=tok, system=system, user=user), "메시지 리스트"),
                (dict(answer=text.strip(), tokenizer=tok, system=system, user=user), "공백"),
                (dict(answer=None, tokenizer=tok, system=system, user=user), "비어"),
            ],
        ),
        Example(
            check_chat_prompt,
            right=dict(answer=ids, tokenizer=tok, system=system, user=user),
            wrong=[(dict(answer=tok.apply_chat_template(msgs), tokenizer=tok, system=system, user=user),
                    "add_generation_prompt=True")],
        ),
        Example(
            check_quantized_memory,
            right=dict(answer={"float16": fp16, "4bit": q4}, n_params=n),
            wrong=[
                (dict(answer={"float16": fp16, "4bit": n * 4 / 1e9}, n_params=n), "0.5바이트"),
                (dict(answer={"float16": n * 2 / 2**30, "4bit": q4}, n_params=n), "GiB"),
                (dict(answer={"float16": n * 4 / 1e9, "4bit": q4}, n_params=n), "float32"),
                (dict(answer={"float16": fp16}, n_params=n), "'4bit'"),
                (dict(answer=fp16, n_params=n), "딕셔너리"),
            ],
        ),
        Example(
            check_greedy_kwargs,
            right=dict(answer={"do_sample": False, "max_new_tokens": 20}, generation_config=sampling_cfg,
                       max_new_tokens=20),
            wrong=[
                (dict(answer={"max_new_tokens": 20}, generation_config=sampling_cfg, max_new_tokens=20),
                 "do_sample=False"),
                (dict(answer={"do_sample": False, "max_length": 20}, generation_config=sampling_cfg,
                      max_new_tokens=20), "max_new_tokens"),
                (dict(answer={"do_sample": False, "max_new_tokens": 20, "num_beams": 4},
                      generation_config=sampling_cfg, max_new_tokens=20), "빔"),
                (dict(answer={"do_sample": False, "max_new_tokens": 20, "temperature": 0.7},
                      generation_config=sampling_cfg, max_new_tokens=20), "temperature"),
                (dict(answer={"do_sample": False, "max_new_tokens": 50}, generation_config=sampling_cfg,
                      max_new_tokens=20), "max_new_tokens"),
            ],
        ),
        Example(
            check_greedy_kwargs,
            right=dict(answer={"max_new_tokens": 20}, generation_config=greedy_cfg, max_new_tokens=20),
            wrong=[(dict(answer={"do_sample": True, "max_new_tokens": 20}, generation_config=greedy_cfg,
                         max_new_tokens=20), "do_sample=False")],
        ),
        Example(
            check_top_p_count,
            right=dict(answer=kept, probs=probs, top_p=0.8),
            wrong=[
                (dict(answer=kept - 1, probs=probs, top_p=0.8), "모자라요"),
                (dict(answer=kept + 1, probs=probs, top_p=0.8), "많아요"),
                (dict(answer=0, probs=probs, top_p=0.8), "누적"),
                (dict(answer="3", probs=probs, top_p=0.8), "문자열"),
            ],
        ),
    ]
