"""Checkers for lesson 04 (AutoClass): heads, outputs, id2label, dtype memory.

Every checker recomputes its expectation from the inputs the learner used: the task table
comes from transformers' own pipeline registry, the label names and the hidden-state shape
come from running the learner's model on the learner's texts, the memory from the model's
own parameters.

Used in: 04_autoclass.
"""
from __future__ import annotations

from . import Example, Hint, as_number, ensure, exercise

LESSON = "04_autoclass"

#: tasks the lesson asks about, with the Korean words the hints use
TASK_WORDS = {
    "text-classification": "문장 분류(감성 분석)",
    "token-classification": "토큰 분류(개체명 인식)",
    "text-generation": "텍스트 생성(다음 토큰 예측)",
    "fill-mask": "빈칸 채우기(마스크 언어 모델)",
    "feature-extraction": "특징 추출(임베딩, last_hidden_state)",
}


_DTYPE_ALIASES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}


def _auto_classes_for(task: str) -> tuple[str, ...]:
    """Names of the Auto classes transformers' pipeline registry uses for `task`."""
    from transformers.pipelines import SUPPORTED_TASKS

    from ..errors import HflabError

    if task not in SUPPORTED_TASKS:
        raise HflabError(
            f"'{task}'는 transformers 파이프라인 작업 이름이 아닙니다.",
            fix="예: 'text-classification', 'token-classification', 'text-generation', 'fill-mask'",
        )
    return tuple(c.__name__ for c in SUPPORTED_TASKS[task]["pt"])


def _class_name(value) -> str:
    if isinstance(value, str):
        return value.strip()
    return getattr(value, "__name__", type(value).__name__)


@exercise("04.1", "작업에 맞는 AutoModelFor* 고르기")
def check_auto_classes(answer, tasks=("text-classification", "token-classification", "text-generation",
                                      "feature-extraction")):
    """Check a dict {task: Auto class} against transformers.pipelines.SUPPORTED_TASKS.

    The answer's values may be the classes themselves or their names.
    Used in: 04_autoclass.
    """
    tasks = [tasks] if isinstance(tasks, str) else list(tasks)
    ensure(isinstance(answer, dict), "작업 이름을 키로, Auto 클래스를 값으로 하는 딕셔너리(dict)로 답하세요.")
    for task in tasks:
        ensure(task in answer, f"'{task}'에 대한 답이 없어요. 딕셔너리에 '{task}' 키를 넣으세요.")
    for task in tasks:
        expected = _auto_classes_for(task)
        got = _class_name(answer[task])
        if got in expected:
            continue
        word = TASK_WORDS.get(task, task)
        if not got.startswith("Auto"):
            raise Hint(
                f"'{task}': {got}는 특정 아키텍처의 클래스예요. 어떤 체크포인트에도 쓰이는 "
                "Auto 클래스(AutoModel... 로 시작)로 답하세요."
            )
        if got == "AutoModel":
            raise Hint(
                f"'{task}'({word}): AutoModel은 헤드(head)가 없는 기본 모델이라 last_hidden_state만 줘요. "
                "이 작업의 출력을 내는 헤드가 붙은 AutoModelFor... 클래스를 고르세요."
            )
        raise Hint(
            f"'{task}'({word})에 {got}는 맞지 않아요. 이 작업이 모델에서 받아야 하는 출력"
            "(문장마다 하나의 점수인지, 토큰마다 점수인지, 다음 토큰인지)을 생각해 보세요."
        )
    return ", ".join(f"{t} → {_auto_classes_for(t)[0]}" for t in tasks)


def _encode(tokenizer, texts):
    return tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")


def _run(model, tokenizer, texts, **kwargs):
    import torch

    was_training = model.training
    model.eval()
    try:
        enc = _encode(tokenizer, texts).to(model.device)
        with torch.no_grad():
            return enc, model(**enc, **kwargs)
    finally:
        model.train(was_training)


@exercise("04.2", "로짓에서 라벨 이름으로")
def check_predicted_labels(answer, model, tokenizer, texts):
    """Check the predicted label NAMES for `texts`: argmax of the model's logits through config.id2label.

    The checker runs `model` on `tokenizer(texts, padding=True, truncation=True)` itself.
    Used in: 04_autoclass.
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    _, out = _run(model, tokenizer, texts)
    ids = out.logits.argmax(dim=-1).tolist()
    id2label = model.config.id2label
    expected = [id2label[i] for i in ids]

    if isinstance(answer, str):
        raise Hint(f"문장이 {len(texts)}개이니 라벨 이름도 {len(texts)}개인 리스트(list)로 답하세요.")
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    ensure(isinstance(answer, (list, tuple)), "라벨 이름의 리스트(list)로 답하세요. 예: ['...', '...']")
    answer = list(answer)
    if len(answer) == len(id2label) and len(answer) != len(texts):
        raise Hint(
            "답의 길이가 라벨 수와 같아요. argmax를 배치 축(dim=0)으로 한 것 같아요: "
            "문장마다 라벨 축(dim=-1)에서 가장 큰 값을 고르세요."
        )
    ensure(len(answer) == len(texts), f"문장이 {len(texts)}개인데 답은 {len(answer)}개예요. 문장마다 라벨 하나씩이에요.")
    if all(isinstance(a, int) or (hasattr(a, "item") and not isinstance(a, str)) for a in answer):
        if [int(a) for a in answer] == ids:
            raise Hint("라벨 번호(id)는 맞아요. model.config.id2label로 번호를 라벨 이름으로 바꾸세요.")
        raise Hint("숫자가 아니라 라벨 이름으로 답하세요 (model.config.id2label[번호]).")
    unknown = [a for a in answer if a not in id2label.values()]
    if unknown:
        raise Hint(
            f"{unknown[0]!r}는 이 모델의 라벨이 아니에요. 라벨 이름은 직접 만든 사전이 아니라 "
            "model.config.id2label에서 가져오세요."
        )
    if answer == expected:
        return f"예측 라벨: {expected}"
    flipped = [id2label[i] for i in out.logits.argmin(dim=-1).tolist()]
    if answer == flipped and flipped != expected:
        raise Hint("가장 작은 값을 골랐어요(argmin). 확률이 가장 큰 라벨은 argmax예요.")
    wrong = sum(a != e for a, e in zip(answer, expected))
    raise Hint(
        f"{len(texts)}개 중 {wrong}개가 달라요. tokenizer(texts, padding=True, truncation=True, "
        "return_tensors='pt')로 한 번에 넣고, logits.argmax(dim=-1)의 번호를 id2label로 바꿨는지 확인하세요."
    )


@exercise("04.3", "hidden state의 모양")
def check_hidden_shape(answer, model, tokenizer, texts):
    """Check the shape of the last hidden state for `texts` padded into one batch.

    The checker runs the model (output_hidden_states=True, so a model with a head works too).
    Used in: 04_autoclass.
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    enc, out = _run(model, tokenizer, texts, output_hidden_states=True)
    expected = tuple(int(s) for s in out.hidden_states[-1].shape)
    batch, seq, hidden = expected

    if hasattr(answer, "shape") and not isinstance(answer, tuple):
        got = tuple(int(s) for s in answer.shape)  # the tensor itself: take its shape
    else:
        ensure(isinstance(answer, (tuple, list)), "(batch, sequence, hidden) 세 숫자의 튜플로 답하세요.")
        got = tuple(int(a) for a in answer)
    if got == expected:
        return f"(batch={batch}, sequence={seq}, hidden={hidden})"
    if got == (batch, hidden):
        raise Hint(
            "(batch, hidden)은 문장마다 벡터 하나인 pooler_output의 모양이에요. "
            "last_hidden_state에는 토큰마다 벡터가 있어서 시퀀스 축이 하나 더 있어요."
        )
    if len(got) == 2 and got[0] == batch:
        raise Hint("logits처럼 (batch, 라벨 수) 모양이에요. 헤드 앞의 hidden state는 (batch, sequence, hidden)이에요.")
    ensure(len(got) == 3, f"축이 3개여야 해요: (batch, sequence, hidden). 지금은 {len(got)}개예요.")
    ensure(got[0] == batch, f"배치 크기(첫 축)는 문장 수({len(texts)})와 같아요.")
    ensure(got[2] == hidden, "마지막 축은 model.config.hidden_size예요.")
    words = max(len(t.split()) for t in texts)
    lengths = enc["attention_mask"].sum(dim=1).tolist()
    if got[1] == words:
        raise Hint("시퀀스 길이는 단어 수가 아니라 토큰 수예요 (서브워드로 쪼개지고, 특수 토큰도 붙어요).")
    if got[1] in lengths and got[1] != seq:
        raise Hint("한 문장의 토큰 수를 썼어요. padding=True이면 배치 전체가 가장 긴 문장 길이로 맞춰져요.")
    if got[1] in (seq - 2, seq - 1):
        raise Hint("특수 토큰([CLS]/[SEP] 또는 <s>/</s>)도 시퀀스 길이에 들어가요.")
    raise Hint("두 번째 축은 토크나이저가 돌려준 input_ids의 길이(inputs['input_ids'].shape[1])예요.")


@exercise("04.4", "dtype별 가중치 메모리")
def check_model_bytes(answer, model, dtype="bfloat16"):
    """Check the bytes the model's parameters take in `dtype`: sum of numel x bytes per element.

    Parameters only (no buffers), counted from the learner's model itself.
    Used in: 04_autoclass.
    """
    import torch

    from ..memory import bytes_per_param

    name = str(dtype).replace("torch.", "").strip().lower()
    name = _DTYPE_ALIASES.get(name, name)
    ensure(name in _DTYPE_ALIASES.values(), f"dtype {dtype!r}는 이 문제에서 쓰지 않아요: float32, float16, bfloat16 중 하나예요.")
    bpp = int(torch.empty((), dtype=getattr(torch, name)).element_size())
    n = sum(p.numel() for p in model.parameters())
    expected = n * bpp
    value = as_number(answer, "답(바이트 수)")
    ensure(value > 0, "메모리는 0보다 커야 해요.")
    if abs(value - expected) <= expected * 0.001:
        return f"{n:,}개 × {bpp} bytes ({name}) = {expected:,} bytes ≈ {expected / 2**20:.1f} MiB"
    if abs(value - n) <= n * 0.001:
        raise Hint("파라미터 수만 셌어요. 원소 하나가 차지하는 바이트 수(dtype마다 다름)를 곱하세요.")
    for unit, div in (("MB(10^6)", 1e6), ("MiB(2^20)", 2**20), ("GB(10^9)", 1e9), ("GiB(2^30)", 2**30)):
        if abs(value - expected / div) <= expected / div * 0.01:
            raise Hint(f"{unit} 단위로 답했어요. 이 문제는 바이트(byte) 수 그대로 답해요.")
    if abs(value - expected * 8) <= expected * 8 * 0.001:
        raise Hint("비트(bit) 수예요. 1바이트 = 8비트이니 바이트로 바꾸세요.")
    current = sum(p.numel() * p.element_size() for p in model.parameters())
    if abs(value - current) <= current * 0.001 and current != expected:
        now = str(next(model.parameters()).dtype).replace("torch.", "")
        raise Hint(f"지금 모델의 dtype({now})으로 계산했어요. 문제의 dtype은 {name}이에요.")
    for other in ("float32", "float16", "int8"):
        o = int(bytes_per_param(other))
        if o != bpp and abs(value - n * o) <= n * o * 0.001:
            raise Hint(f"{other} 기준(원소당 {o}바이트)으로 계산했어요. {name}은 원소당 {bpp}바이트예요.")
    ratio = value / expected
    raise Hint(
        f"답이 예상의 약 {ratio:.3g}배예요. sum(p.numel() for p in model.parameters()) × "
        "원소당 바이트 수로 계산해 보세요."
    )


def examples() -> list[Example]:
    """Right and wrong answers for the tests, built offline from the mirror encoder."""
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, set_seed

    mid = "sentence-transformers/all-MiniLM-L6-v2"
    tok = AutoTokenizer.from_pretrained(mid)
    base = AutoModel.from_pretrained(mid)
    set_seed(0)
    clf = AutoModelForSequenceClassification.from_pretrained(
        mid, num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1})
    texts = ["what a wonderful, moving film", "bad", "the plot was thin but the actors were great fun"]

    from transformers import (AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification as S,
                              AutoModelForTokenClassification as T, BertForSequenceClassification)

    tasks = ("text-classification", "token-classification", "text-generation", "feature-extraction")
    right_classes = {"text-classification": S, "token-classification": T,
                     "text-generation": AutoModelForCausalLM, "feature-extraction": AutoModel}

    enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        logits = clf(**enc).logits
    ids = logits.argmax(-1).tolist()
    names = [clf.config.id2label[i] for i in ids]
    seq = enc["input_ids"].shape[1]
    hidden = base.config.hidden_size
    lengths = enc["attention_mask"].sum(1).tolist()
    short = min(lengths)
    n = sum(p.numel() for p in base.parameters())

    return [
        Example(
            check_auto_classes,
            right=dict(answer=right_classes, tasks=tasks),
            wrong=[
                (dict(answer={**right_classes, "text-classification": AutoModel}, tasks=tasks), "헤드"),
                (dict(answer={**right_classes, "token-classification": S}, tasks=tasks), "token-classification"),
                (dict(answer={**right_classes, "text-classification": BertForSequenceClassification}, tasks=tasks),
                 "Auto 클래스"),
                (dict(answer={**right_classes, "text-generation": AutoModelForMaskedLM}, tasks=tasks), "맞지 않아요"),
                (dict(answer={"text-classification": S}, tasks=tasks), "답이 없어요"),
                (dict(answer=[S, T], tasks=tasks), "딕셔너리"),
            ],
        ),
        Example(
            check_predicted_labels,
            right=dict(answer=names, model=clf, tokenizer=tok, texts=texts),
            wrong=[
                (dict(answer=ids, model=clf, tokenizer=tok, texts=texts), "id2label"),
                (dict(answer=names[0], model=clf, tokenizer=tok, texts=texts), "리스트"),
                (dict(answer=["positive", "neutral", "negative"], model=clf, tokenizer=tok, texts=texts),
                 "id2label"),
                (dict(answer=[clf.config.id2label[1 - i] for i in ids], model=clf, tokenizer=tok, texts=texts),
                 "argmin"),
                (dict(answer=names[:1], model=clf, tokenizer=tok, texts=texts), "3개"),
            ],
        ),
        Example(
            check_hidden_shape,
            right=dict(answer=(len(texts), seq, hidden), model=base, tokenizer=tok, texts=texts),
            wrong=[
                (dict(answer=(len(texts), hidden), model=base, tokenizer=tok, texts=texts), "pooler_output"),
                (dict(answer=(len(texts), short, hidden), model=base, tokenizer=tok, texts=texts), "padding"),
                (dict(answer=(len(texts), seq - 2, hidden), model=base, tokenizer=tok, texts=texts), "특수 토큰"),
                (dict(answer=(len(texts), seq, 768), model=base, tokenizer=tok, texts=texts), "hidden_size"),
                (dict(answer=(1, seq, hidden), model=base, tokenizer=tok, texts=texts), "배치"),
                (dict(answer=(len(texts), seq, hidden), model=clf, tokenizer=tok, texts=texts[:2]), "배치"),
            ],
        ),
        Example(
            check_model_bytes,
            right=dict(answer=n * 2, model=base, dtype="bfloat16"),
            wrong=[
                (dict(answer=n * 4, model=base, dtype="bfloat16"), "지금 모델의 dtype"),
                (dict(answer=n, model=base, dtype="bfloat16"), "파라미터 수만"),
                (dict(answer=n * 2 / 2**20, model=base, dtype="bfloat16"), "MiB"),
                (dict(answer=n * 16, model=base, dtype="bfloat16"), "비트"),
                (dict(answer=n * 2, model=base, dtype=torch.float32), "float16 기준"),
                (dict(answer="45 MB", model=base, dtype="bfloat16"), "문자열"),
            ],
        ),
    ]
