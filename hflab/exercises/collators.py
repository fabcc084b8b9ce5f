"""Checkers for lesson 07 (data collators): pad share of a batch, which collator for a task,
the labels DataCollatorForSeq2Seq makes, labels aligned to subwords with word_ids().

Every checker recomputes its expectation from the learner's own inputs (the batch, the
features and tokenizer, the word_ids), so the answers hold for any tokenizer and data.

Used in: 07_collators.
"""
from __future__ import annotations

from functools import lru_cache

from . import Example, Hint, as_number, ensure, exercise, is_close

LESSON = "07_collators"


def _rows(value, what: str) -> list[list[int]]:
    """A tensor / array / nested list of ints as a list of int rows."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    ensure(isinstance(value, (list, tuple)) and value, f"{what}은(는) 예제마다 한 줄인 2차원 리스트(또는 텐서)여야 해요.")
    rows = []
    for row in value:
        if hasattr(row, "tolist"):
            row = row.tolist()
        ensure(isinstance(row, (list, tuple)), f"{what}은(는) 2차원이어야 해요: [예제 수][위치 수].")
        rows.append([int(x) for x in row])
    return rows


# --- 07.1 ----------------------------------------------------------------------------------


@exercise("07.1", "배치의 패딩 비율")
def check_pad_fraction(answer, batch):
    """Share of padding positions in a collated batch: ``1 - mask.sum() / mask.numel()``.

    Used in: 07_collators.
    """
    mask = _rows(batch["attention_mask"], "attention_mask")
    total = sum(len(r) for r in mask)
    real = sum(sum(r) for r in mask)
    expected = 1 - real / total
    value = as_number(answer, "패딩 비율")
    if not is_close(value, expected, rel=0.01, abs_tol=1e-4):
        if 1 < value <= 100 and is_close(value / 100, expected, rel=0.01, abs_tol=1e-4):
            raise Hint("백분율(%)이 아니라 0과 1 사이의 비율로 답하세요.")
        if is_close(value, 1 - expected, rel=0.01, abs_tol=1e-4):
            raise Hint("실제 토큰의 비율을 구했어요. 패딩은 attention_mask 가 0인 칸이에요.")
        if real and is_close(value, (total - real) / real, rel=0.01, abs_tol=1e-4):
            raise Hint("분모가 달라요. 패딩 칸 수를 실제 토큰 수가 아니라 전체 칸 수(배치 × 길이)로 나누세요.")
        raise Hint("attention_mask 에서 0인 칸의 수를 전체 칸 수(배치 크기 × 패딩된 길이)로 나눠 보세요.")
    return f"{len(mask)}×{len(mask[0])} 칸 중 {total - real}칸이 패딩: {expected:.1%}."


# --- 07.2 ----------------------------------------------------------------------------------

#: task -> (collator class name, required `mlm` flag or None)
TASKS = {
    "문장 분류 (길이가 제각각)": ("DataCollatorWithPadding", None),
    "이미 같은 길이로 패딩된 예제": ("DefaultDataCollator", None),
    "마스크 언어 모델 (MLM) 사전학습": ("DataCollatorForLanguageModeling", True),
    "인과 언어 모델 (CLM, 다음 토큰 예측)": ("DataCollatorForLanguageModeling", False),
    "요약·번역 (seq2seq, 라벨 길이가 입력과 다름)": ("DataCollatorForSeq2Seq", None),
    "개체명 인식 (토큰마다 라벨)": ("DataCollatorForTokenClassification", None),
}


@exercise("07.2", "작업에 맞는 콜레이터")
def check_collator_choice(answer, tasks):
    """Pick a collator for each task: a dict {task: collator object}. Tasks are keys of ``TASKS``.

    The MLM / CLM pair is told apart by the collator's ``mlm`` flag.
    Used in: 07_collators.
    """
    tasks = list(tasks)
    unknown = [t for t in tasks if t not in TASKS]
    ensure(not unknown, f"모르는 작업이에요: {unknown}. hflab.exercises.collators.TASKS 의 이름을 쓰세요.")
    ensure(isinstance(answer, dict), "답은 {작업 이름: 콜레이터 객체} 형태의 dict 여야 해요.")
    missing = [t for t in tasks if t not in answer]
    ensure(not missing, f"이 작업의 답이 없어요: {missing}")
    for task in tasks:
        want, mlm = TASKS[task]
        got = answer[task]
        if isinstance(got, type):
            raise Hint(f"'{task}': 클래스가 아니라 콜레이터 객체를 넣으세요. 예: {got.__name__}(tokenizer=tokenizer)")
        name = type(got).__name__
        if name != want:
            raise Hint(f"'{task}' 에 {name} 은(는) 맞지 않아요. 이 작업의 라벨(labels)이 어떤 모양인지, "
                       "무엇을 패딩해야 하는지 생각해 보세요.")
        if mlm is not None and bool(getattr(got, "mlm", None)) != mlm:
            raise Hint(f"'{task}': 콜레이터 종류는 맞지만 mlm={getattr(got, 'mlm', None)} 이에요. "
                       + ("MLM 은 일부 토큰을 가리고 맞히는 학습이에요." if mlm else "다음 토큰 예측에는 마스킹이 필요 없어요."))
    return f"{len(tasks)}개 작업 모두 맞았어요."


# --- 07.3 ----------------------------------------------------------------------------------


@exercise("07.3", "DataCollatorForSeq2Seq 의 labels")
def check_seq2seq_labels(answer, features, tokenizer):
    """The ``labels`` tensor ``DataCollatorForSeq2Seq(tokenizer)(features)`` makes, built by hand.

    Labels are padded with -100 to the longest *label* in the batch (not to the input length),
    on the tokenizer's padding side. Used in: 07_collators.
    """
    from transformers import DataCollatorForSeq2Seq

    features = [dict(f) for f in features]
    expected = DataCollatorForSeq2Seq(tokenizer)(features)["labels"].tolist()
    rows = _rows(answer, "labels")
    ensure(len(rows) == len(expected), f"예제가 {len(expected)}개이니 줄도 {len(expected)}개여야 해요 (지금 {len(rows)}개).")
    width = len(expected[0])
    input_width = max(len(f["input_ids"]) for f in features)
    if any(len(r) != width for r in rows):
        widths = sorted({len(r) for r in rows})
        if widths == [input_width] and input_width != width:
            raise Hint(f"입력(input_ids)의 길이({input_width})에 맞췄어요. labels 는 가장 긴 라벨({width})에 맞춰 패딩해요.")
        raise Hint(f"줄 길이가 {widths} 예요. 모든 줄을 가장 긴 라벨의 길이({width})로 맞추세요.")
    pad_id = tokenizer.pad_token_id
    as_pad = [[pad_id if v == -100 else v for v in r] for r in expected]
    if rows == as_pad and pad_id != -100:
        raise Hint(f"라벨의 패딩에 pad_token_id({pad_id})를 썼어요. 손실에서 빠지도록 -100 으로 채워야 해요.")
    if rows != expected:
        side = tokenizer.padding_side
        raise Hint(f"값이 달라요. 각 라벨을 그대로 두고 {'오른쪽' if side == 'right' else '왼쪽'}(padding_side='{side}')에 "
                   "-100 을 붙여 길이를 맞추세요.")
    n_ignored = sum(r.count(-100) for r in expected)
    return f"{len(expected)}×{width}, -100 이 {n_ignored}칸이에요 (손실에서 제외)."


# --- 07.4 ----------------------------------------------------------------------------------


def aligned_labels(word_ids, word_labels, label_all_subwords: bool = False) -> list[int]:
    """Labels per token from labels per word, using ``encoding.word_ids()``.

    Special tokens (word id None) get -100. The first subword of a word gets the word's label;
    the following subwords get -100, or the same label with ``label_all_subwords=True``.
    Used in: 07_collators (checker 07.4 and the lesson's alignment cell).
    """
    out, previous = [], None
    for w in word_ids:
        if w is None:
            out.append(-100)
        elif w != previous:
            out.append(int(word_labels[w]))
        else:
            out.append(int(word_labels[w]) if label_all_subwords else -100)
        previous = w
    return out


@exercise("07.4", "서브워드에 라벨 맞추기 (word_ids)")
def check_token_labels(answer, word_ids, word_labels):
    """Token labels for one sentence: first subword of each word gets the word's label, the rest and
    the special tokens get -100. Used in: 07_collators.
    """
    word_ids = list(word_ids)
    expected = aligned_labels(word_ids, word_labels)
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    ensure(isinstance(answer, (list, tuple)) and all(isinstance(x, int) for x in answer),
           "답은 토큰마다 정수 하나인 리스트여야 해요 (예: [-100, 3, -100, 0, ...]).")
    answer = [int(x) for x in answer]
    if len(answer) == len(word_labels) and len(word_labels) != len(word_ids):
        raise Hint(f"단어 수({len(word_labels)})만큼 답했어요. 라벨은 토큰마다(word_ids 길이 {len(word_ids)}) 하나예요.")
    ensure(len(answer) == len(word_ids), f"길이가 {len(word_ids)}(토큰 수)여야 해요 (지금 {len(answer)}).")
    specials = [i for i, w in enumerate(word_ids) if w is None]
    if any(answer[i] != -100 for i in specials):
        raise Hint("특수 토큰([CLS], [SEP], 패딩)은 word_ids 가 None 이에요. 그 자리는 -100 이어야 해요.")
    if answer == aligned_labels(word_ids, word_labels, label_all_subwords=True) and answer != expected:
        raise Hint("단어의 모든 서브워드에 라벨을 붙였어요. 이 문제는 첫 서브워드에만 라벨을 주고 나머지는 -100 이에요.")
    if answer != expected:
        bad = next(i for i, (a, e) in enumerate(zip(answer, expected)) if a != e)
        raise Hint(f"{bad}번째 토큰(word_ids={word_ids[bad]})이 달라요. 단어가 바뀌는 첫 토큰만 그 단어의 라벨을 받아요.")
    n = sum(1 for x in expected if x != -100)
    return f"토큰 {len(expected)}개 중 {n}개가 라벨을 받아요 (단어 수와 같아요)."


# --- examples (tests) ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _example_tokenizer():
    """The offline mirror's WordPiece tokenizer (MiniLM), from the local cache."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2", local_files_only=True)


def examples() -> list[Example]:
    """Right and wrong answers, computed from the same inputs as the checkers."""
    import torch
    from transformers import (DataCollatorForLanguageModeling, DataCollatorForSeq2Seq, DataCollatorForTokenClassification,
                              DataCollatorWithPadding, DefaultDataCollator)

    tok = _example_tokenizer()
    batch = DataCollatorWithPadding(tok)([tok("a short one"), tok("a much longer sentence with many more words in it")])
    mask = batch["attention_mask"]
    frac = 1 - mask.sum().item() / mask.numel()

    right_choice = {
        "문장 분류 (길이가 제각각)": DataCollatorWithPadding(tok),
        "인과 언어 모델 (CLM, 다음 토큰 예측)": DataCollatorForLanguageModeling(tok, mlm=False),
        "개체명 인식 (토큰마다 라벨)": DataCollatorForTokenClassification(tok),
        "요약·번역 (seq2seq, 라벨 길이가 입력과 다름)": DataCollatorForSeq2Seq(tok),
    }
    tasks = list(right_choice)

    features = [
        {"input_ids": tok("summarize: the cat sat on the mat all day")["input_ids"],
         "labels": tok("cat sat")["input_ids"]},
        {"input_ids": tok("summarize: rain")["input_ids"], "labels": tok("it rained a lot today")["input_ids"]},
    ]
    labels = DataCollatorForSeq2Seq(tok)(features)["labels"]
    width_in = max(len(f["input_ids"]) for f in features)
    to_input = [f["labels"] + [-100] * (width_in - len(f["labels"])) for f in features]

    words, word_labels = ["Hanbit", "Electronics", "grew", "quarterly"], [3, 4, 0, 0]
    word_ids = tok(words, is_split_into_words=True).word_ids()
    token_labels = aligned_labels(word_ids, word_labels)
    return [
        Example(check_pad_fraction, right=dict(answer=frac, batch=batch), wrong=[
            (dict(answer=frac * 100, batch=batch), "백분율"),
            (dict(answer=1 - frac, batch=batch), "실제 토큰"),
            (dict(answer=(mask.numel() - mask.sum().item()) / mask.sum().item(), batch=batch), "분모"),
            (dict(answer="0.3", batch=batch), "문자열"),
        ]),
        Example(check_collator_choice, right=dict(answer=right_choice, tasks=tasks), wrong=[
            (dict(answer={**right_choice, tasks[1]: DataCollatorForLanguageModeling(tok)}, tasks=tasks), "mlm"),
            (dict(answer={**right_choice, tasks[2]: DataCollatorWithPadding(tok)}, tasks=tasks), "맞지 않아요"),
            (dict(answer={**right_choice, tasks[0]: DefaultDataCollator}, tasks=tasks), "객체"),
            (dict(answer={tasks[0]: DataCollatorWithPadding(tok)}, tasks=tasks), "답이 없어요"),
        ]),
        Example(check_seq2seq_labels, right=dict(answer=labels, features=features, tokenizer=tok), wrong=[
            (dict(answer=torch.where(labels == -100, tok.pad_token_id, labels), features=features, tokenizer=tok),
             "pad_token_id"),
            (dict(answer=to_input, features=features, tokenizer=tok), "입력"),
            (dict(answer=[f["labels"] for f in features], features=features, tokenizer=tok), "줄 길이"),
        ]),
        Example(check_token_labels, right=dict(answer=token_labels, word_ids=word_ids, word_labels=word_labels), wrong=[
            (dict(answer=word_labels, word_ids=word_ids, word_labels=word_labels), "단어 수"),
            (dict(answer=[0 if w is None else x for w, x in zip(word_ids, token_labels)], word_ids=word_ids,
                  word_labels=word_labels), "특수 토큰"),
            (dict(answer=aligned_labels(word_ids, word_labels, True), word_ids=word_ids, word_labels=word_labels),
             "모든 서브워드"),
        ]),
    ]
