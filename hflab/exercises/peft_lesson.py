"""Checkers for lesson 09 (PEFT and LoRA).

Each checker recomputes its expectation from the same inputs the learner used: the Linear
layer's own ``in_features`` / ``out_features`` for the LoRA parameter count, the model's
``named_modules()`` for target module names, :func:`hflab.memory.full_finetune_gb` for the
memory of full fine-tuning, and the tokenizer's chat template for the response-only labels.

(The module is called ``peft_lesson`` so that ``hflab.exercises`` never shadows the ``peft``
library.)

Used in: 09_peft.
"""
from __future__ import annotations

from .. import memory
from . import Example, Hint, as_number, ensure, exercise, is_close

LESSON = "09_peft"


# --- 09.1 parameters LoRA adds to one Linear layer ------------------------------------------------


def _linear_shape(layer) -> tuple[int, int]:
    """(in_features, out_features) of an ``nn.Linear`` (or a LoRA-wrapped one)."""
    base = getattr(layer, "base_layer", layer)
    if not hasattr(base, "in_features") or not hasattr(base, "out_features"):
        raise Hint("layer에는 nn.Linear 층을 넣어야 해요 (in_features, out_features가 있는 층).")
    return int(base.in_features), int(base.out_features)


@exercise("09.1", "Linear 층 하나에 LoRA가 더하는 파라미터 수")
def check_lora_params(answer, layer, r):
    """Check the number of parameters LoRA of rank `r` adds to the Linear `layer`.

    LoRA adds ``A`` (r x in_features) and ``B`` (out_features x r), no bias:
    ``r * (in_features + out_features)``.
    Used in: 09_peft.
    """
    value = as_number(answer, "파라미터 수")
    ensure(value == int(value), "파라미터 수는 정수예요.")
    d_in, d_out = _linear_shape(layer)
    r = int(r)
    expected = r * (d_in + d_out)
    if value == expected:
        return (f"A({r}×{d_in}) + B({d_out}×{r}) = {expected:,}개: 원래 가중치 {d_in * d_out:,}개의 "
                f"{expected / (d_in * d_out):.2%}예요.")
    if value == d_in * d_out:
        raise Hint("그건 원래 가중치 행렬 전체(in × out)예요. LoRA는 작은 행렬 A와 B 두 개만 학습합니다.")
    if value == r * d_in * d_out:
        raise Hint("r을 가중치 전체에 곱했어요. A는 r×in, B는 out×r 모양이에요: 두 행렬의 원소 수를 더하세요.")
    if value in (r * d_in, r * d_out):
        raise Hint("행렬 하나만 셌어요. A(r×in)와 B(out×r) 두 개를 모두 더하세요.")
    if value == r * (d_in + d_out) + d_out:
        raise Hint("LoRA 행렬에는 편향(bias)이 없어요. A와 B의 원소 수만 더하세요.")
    if value == r * r:
        raise Hint("A와 B는 r×r이 아니에요. A는 r×in_features, B는 out_features×r예요.")
    raise Hint("layer.in_features, layer.out_features를 확인하고 r × (in + out)을 계산해 보세요.")


# --- 09.2 target_modules that exist in the model ----------------------------------------------------


def _module_names(model) -> list[tuple[str, object]]:
    return [(name, module) for name, module in model.named_modules() if name]


def _linear_like(module) -> bool:
    import torch

    return isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D"


def matching_modules(model, name: str) -> list[str]:
    """Full names of the modules of `model` a ``target_modules`` entry `name` selects.

    PEFT matches a string entry against the end of each module's full name: ``"q_proj"``
    selects ``model.layers.0.self_attn.q_proj`` and so on.
    Used in: 09_peft (exercise 09.2).
    """
    return [full for full, _ in _module_names(model) if full == name or full.endswith("." + name)]


@exercise("09.2", "모델에 있는 target_modules 고르기")
def check_target_modules(answer, model):
    """Check a list of ``target_modules`` names for LoRA on `model`.

    Every name must select at least one module of ``model.named_modules()`` (by the end of its
    full name, as PEFT matches) and every selected module must be a Linear layer; the names
    must cover at least two different kinds of projection (e.g. query and value).
    Used in: 09_peft.
    """
    if isinstance(answer, str):
        raise Hint("답은 이름 하나가 아니라 이름의 리스트예요. 예: ['이름1', '이름2']")
    ensure(isinstance(answer, (list, tuple, set)) and len(answer) > 0, "답은 모듈 이름 문자열의 리스트예요.")
    names = list(answer)
    ensure(all(isinstance(n, str) for n in names), "리스트의 원소는 모두 문자열(모듈 이름)이어야 해요.")
    ensure(len(set(names)) >= 2, "서로 다른 이름을 두 개 이상 고르세요 (예: 쿼리와 밸류 프로젝션).")
    linear_leaves = sorted({full.rsplit(".", 1)[-1] for full, m in _module_names(model) if _linear_like(m)})
    total = 0
    for n in names:
        hits = matching_modules(model, n)
        if not hits:
            raise Hint(f"'{n}'(으)로 끝나는 모듈이 이 모델에 없어요. 모델마다 이름이 달라요: "
                       f"model.named_modules()를 출력해 Linear 층 이름을 찾아보세요.")
        not_linear = [h for h in hits if not _linear_like(dict(_module_names(model))[h])]
        if not_linear:
            raise Hint(f"'{n}'은(는) Linear 층이 아닌 모듈({not_linear[0]})도 가리켜요. 블록 전체가 아니라 "
                       f"그 안의 Linear 층 이름(예: 이 모델의 {', '.join(linear_leaves[:4])} ...)을 고르세요.")
        total += len(hits)
    return f"{', '.join(names)} → LoRA가 붙을 Linear 층 {total}개."


# --- 09.3 memory of full fine-tuning ---------------------------------------------------------------------


@exercise("09.3", "전체 미세조정 메모리 (가중치 + 그래디언트 + Adam)")
def check_full_finetune_gb(answer, n_params, dtype="float32"):
    """Check the GB that full fine-tuning with Adam needs for `n_params` parameters in `dtype`.

    weights + gradients (each ``dtype``) + two fp32 Adam states per parameter:
    :func:`hflab.memory.full_finetune_gb` (activations not included; GB = 10^9 bytes).
    Used in: 09_peft.
    """
    value = as_number(answer, "메모리(GB)")
    expected = memory.full_finetune_gb(n_params, dtype)
    w = memory.weights_gb(n_params, dtype)
    if is_close(value, expected):
        return (f"가중치 {w:.2f} + 그래디언트 {w:.2f} + Adam 상태 {2 * memory.weights_gb(n_params, 'float32'):.2f}"
                f" = {expected:.2f} GB (활성값은 별도).")
    if is_close(value, w):
        raise Hint("가중치만 계산했어요. 학습에는 그래디언트와 Adam의 상태 두 개(m, v)가 더 필요해요.")
    if is_close(value, 2 * w):
        raise Hint("가중치와 그래디언트까지 맞아요. Adam이 파라미터마다 fp32 상태 두 개(m, v)를 더 가집니다.")
    if is_close(value, w + memory.weights_gb(n_params, "float32")) or is_close(value, 2 * w + memory.weights_gb(
            n_params, "float32")):
        raise Hint("Adam 상태는 하나가 아니라 두 개(1차 모멘트 m, 2차 모멘트 v)예요.")
    if is_close(value, expected * 1e9 / 2**30):
        raise Hint("GiB(2^30)로 나눴어요. 이 과정은 GB = 10^9 바이트를 씁니다.")
    if is_close(value, expected * 1e3) or is_close(value, expected * 1e9):
        raise Hint("단위를 확인하세요: 바이트 ÷ 1e9 = GB예요.")
    raise Hint(f"(가중치 + 그래디언트) × {memory.bytes_per_param(dtype):g}바이트 + Adam 상태 2개 × 4바이트를 "
               "파라미터 수에 곱하고 1e9으로 나누세요.")


# --- 09.4 labels with -100 on the prompt -------------------------------------------------------------------


def response_only_labels(tokenizer, messages) -> dict:
    """``{"input_ids", "labels"}`` of a chat whose last message is the assistant's answer.

    ``input_ids`` are the tokens of the whole chat rendered with the tokenizer's chat template;
    ``labels`` copy them with -100 on the prompt part (what the template renders before the
    answer, generation prompt included), so the loss covers the answer alone.
    Used in: 09_peft (exercise 09.4), the same rule as ``hflab.lora_bench.chat_example``.
    """
    from ..lora_bench import chat_example

    return chat_example(tokenizer, messages)


def _as_list(value) -> list | None:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], (list, tuple)):
        value = value[0]
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) for v in value):
        return list(value)
    return None


@exercise("09.4", "프롬프트 부분을 -100으로 가린 labels")
def check_prompt_labels(answer, tokenizer, messages):
    """Check ``labels`` for one chat: the token ids of the whole chat with -100 on the prompt part.

    The expectation is rebuilt from `tokenizer` and `messages` (:func:`response_only_labels`).
    Used in: 09_peft.
    """
    if isinstance(answer, dict):
        ensure("labels" in answer, "dict가 들어왔어요: labels 리스트를 답으로 주세요.")
        answer = answer["labels"]
    labels = _as_list(answer)
    ensure(labels is not None, "labels는 정수(token id 또는 -100)의 리스트예요.")
    expected = response_only_labels(tokenizer, messages)
    ids, want = expected["input_ids"], expected["labels"]
    n_prompt = want.count(-100)
    if labels == want:
        return f"전체 {len(want)}개 중 프롬프트 {n_prompt}개는 -100, 응답 {len(want) - n_prompt}개만 손실에 들어가요."
    if labels == ids:
        raise Hint("input_ids를 그대로 복사했어요. 프롬프트 부분(응답 앞까지)을 -100으로 바꿔야 응답에만 손실이 걸려요.")
    if len(labels) == len(ids) - 1 and (labels == want[1:] or labels == ids[1:]):
        raise Hint("한 칸 밀었어요. 모델이 내부에서 labels를 한 칸 밀어 계산하니 input_ids와 같은 위치에 두세요.")
    ensure(len(labels) == len(ids),
           f"길이가 {len(labels)}인데 input_ids는 {len(ids)}개예요. labels는 input_ids와 길이가 같아야 해요.")
    if all(v == -100 for v in labels):
        raise Hint("모두 -100이면 손실을 계산할 토큰이 없어요. 응답 부분은 토큰 id 그대로 두세요.")
    masked = labels.count(-100)
    if masked == n_prompt - 1 or masked == n_prompt + 1:
        raise Hint("경계가 한 토큰 어긋났어요. 프롬프트는 add_generation_prompt=True로 만든 템플릿 전체예요.")
    if masked < n_prompt:
        raise Hint("프롬프트 일부가 가려지지 않았어요. 템플릿이 붙이는 system/user 부분과 어시스턴트 시작 표시까지 -100이에요.")
    if masked > n_prompt:
        raise Hint("응답 토큰까지 -100으로 가렸어요. 프롬프트 길이만큼만 -100을 넣으세요.")
    raise Hint("응답 부분의 값이 input_ids와 달라요. 응답 토큰은 id 그대로 두세요.")


# --- examples for the tests ----------------------------------------------------------------------------------


def _tiny_model():
    """A small torch module with attention-like names (no download)."""
    import torch

    class Attn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = torch.nn.Linear(8, 8, bias=False)
            self.k_proj = torch.nn.Linear(8, 4, bias=False)
            self.v_proj = torch.nn.Linear(8, 4, bias=False)
            self.o_proj = torch.nn.Linear(8, 8, bias=False)

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.self_attn = Attn()
            self.norm = torch.nn.LayerNorm(8)

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([Block(), Block()])

    return Tiny()


def examples() -> list[Example]:
    """Right and wrong answers for the tests (each expectation computed from the same inputs)."""
    import torch

    from .generation import tiny_chat_tokenizer

    layer = torch.nn.Linear(576, 192, bias=False)
    r = 8
    model = _tiny_model()
    tok = tiny_chat_tokenizer()
    messages = [{"role": "user", "content": "Hi !"}, {"role": "assistant", "content": "You are helpful ."}]
    ex = response_only_labels(tok, messages)
    n = 135e6
    return [
        Example(
            check_lora_params,
            right=dict(answer=r * (576 + 192), layer=layer, r=r),
            wrong=[
                (dict(answer=576 * 192, layer=layer, r=r), "가중치 행렬 전체"),
                (dict(answer=r * 576, layer=layer, r=r), "하나만"),
                (dict(answer=r * 576 * 192, layer=layer, r=r), "A는 r×in"),
                (dict(answer=r * (576 + 192) + 192, layer=layer, r=r), "bias"),
                (dict(answer=100, layer=torch.nn.LayerNorm(4), r=r), "nn.Linear"),
            ],
        ),
        Example(
            check_target_modules,
            right=dict(answer=["q_proj", "v_proj"], model=model),
            wrong=[
                (dict(answer=["query", "value"], model=model), "named_modules"),
                (dict(answer=["q_proj", "self_attn"], model=model), "Linear"),
                (dict(answer="q_proj", model=model), "리스트"),
                (dict(answer=["q_proj"], model=model), "두 개"),
            ],
        ),
        Example(
            check_full_finetune_gb,
            right=dict(answer=memory.full_finetune_gb(n, "float32"), n_params=n, dtype="float32"),
            wrong=[
                (dict(answer=memory.weights_gb(n, "float32"), n_params=n, dtype="float32"), "가중치만"),
                (dict(answer=2 * memory.weights_gb(n, "float32"), n_params=n, dtype="float32"), "Adam"),
                (dict(answer=memory.full_finetune_gb(n, "float32") * 1e9 / 2**30, n_params=n, dtype="float32"),
                 "GiB"),
                (dict(answer="2.16", n_params=n, dtype="float32"), "문자열"),
            ],
        ),
        Example(
            check_prompt_labels,
            right=dict(answer=ex["labels"], tokenizer=tok, messages=messages),
            wrong=[
                (dict(answer=ex["input_ids"], tokenizer=tok, messages=messages), "그대로 복사"),
                (dict(answer=[-100] * len(ex["labels"]), tokenizer=tok, messages=messages), "모두 -100"),
                (dict(answer=ex["labels"][1:], tokenizer=tok, messages=messages), "한 칸"),
                (dict(answer=[-100] * (ex["labels"].count(-100) + 1) + ex["labels"][ex["labels"].count(-100) + 1:],
                      tokenizer=tok, messages=messages), "한 토큰"),
                (dict(answer=[-100] * 3 + ex["input_ids"][3:], tokenizer=tok, messages=messages), "가려지지"),
            ],
        ),
    ]
