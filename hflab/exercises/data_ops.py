"""Checkers for lesson 06 (datasets): filter, batched map, seeded split, streaming take.

Named ``data_ops`` (not ``datasets``) so that ``hflab.exercises`` never shadows the
``datasets`` library. Every checker recomputes its expectation from the same dataset,
tokenizer or file the learner used: the filter and the map are recomputed row by row in
plain Python, the split by calling ``train_test_split`` again with the asked parameters,
the streaming answer by reading the CSV file with the ``csv`` module.

Used in: 06_datasets.
"""
from __future__ import annotations

import csv
from collections import Counter

from . import Example, Hint, ensure, exercise

LESSON = "06_datasets"


def _is_dataset(value) -> bool:
    return hasattr(value, "column_names") and hasattr(value, "num_rows") and not hasattr(value, "keys")


def _texts(dataset) -> list[str]:
    return list(dataset["text"])


def _ensure_dataset(answer, what: str) -> None:
    if hasattr(answer, "keys") and hasattr(answer, "num_rows"):
        raise Hint(f"DatasetDict가 들어왔어요. {what} 분할 하나(Dataset)를 답으로 넣으세요 (예: reviews['train']).")
    ensure(_is_dataset(answer), f"답은 {what}의 결과인 Dataset이어야 해요. 지금은 {type(answer).__name__}이에요.")


# --- 06.1 filter --------------------------------------------------------------------------------


@exercise("06.1", "한국어 긴 리뷰만 거르기")
def check_filter_ko_long(answer, dataset, min_chars: int = 30):
    """`dataset.filter(...)` keeping Korean reviews with at least `min_chars` characters.

    Used in: 06_datasets.
    """
    _ensure_dataset(answer, "filter")
    ensure(answer.column_names == dataset.column_names,
           f"열이 바뀌었어요 ({answer.column_names}). filter는 행만 고르고 열은 그대로 둡니다.")
    expected = [ex["text"] for ex in dataset if ex["lang"] == "ko" and len(ex["text"]) >= min_chars]
    got = _texts(answer)
    langs = Counter(answer["lang"])
    ensure(set(langs) <= {"ko"}, f"한국어가 아닌 리뷰가 {sum(n for l, n in langs.items() if l != 'ko')}개 남아 있어요. "
                                 "lang 열이 'ko'인 행만 남기세요.")
    short = [t for t in got if len(t) < min_chars]
    if short:
        raise Hint(f"{min_chars}글자보다 짧은 리뷰가 {len(short)}개 남아 있어요 (예: {short[0]!r}). "
                   "len(ex['text']) 로 글자 수를 재세요.")
    if got == expected:
        return f"{dataset.num_rows}개 중 {len(expected)}개가 남았어요 (한국어, {min_chars}글자 이상)."
    if sorted(got) == sorted(expected):
        raise Hint("행은 맞는데 순서가 달라요. filter는 순서를 바꾸지 않아요: shuffle이나 sort를 빼세요.")
    strict = [ex["text"] for ex in dataset if ex["lang"] == "ko" and len(ex["text"]) > min_chars]
    if got == strict:
        raise Hint(f"정확히 {min_chars}글자인 리뷰가 빠졌어요. '이상'이므로 >= 를 쓰세요.")
    raise Hint(f"남은 행이 {len(got)}개인데 {len(expected)}개여야 해요. 조건을 lang == 'ko' 그리고 "
               f"글자 수 >= {min_chars} 두 가지로 쓰세요.")


# --- 06.2 batched map ---------------------------------------------------------------------------


@exercise("06.2", "batched map으로 토큰 수 열 추가")
def check_token_count_column(answer, dataset, tokenizer):
    """`dataset.map(..., batched=True)` adding an ``n_tokens`` column: len(input_ids) with
    the tokenizer's special tokens and ``truncation=True``; all other columns unchanged.

    Used in: 06_datasets.
    """
    _ensure_dataset(answer, "map")
    ensure("n_tokens" in answer.column_names, f"'n_tokens' 열이 없어요 (지금 열: {answer.column_names}). "
                                              "함수가 {'n_tokens': [...]} 를 돌려주게 하세요.")
    extra = [c for c in answer.column_names if c not in dataset.column_names and c != "n_tokens"]
    ensure(not extra, f"n_tokens 말고도 {extra} 열이 붙었어요. 토크나이저 출력 전체가 아니라 "
                      "{'n_tokens': [...]} 만 돌려주세요.")
    missing = [c for c in dataset.column_names if c not in answer.column_names]
    ensure(not missing, f"원래 열 {missing} 이(가) 없어졌어요. remove_columns 없이 열을 하나만 더하세요.")
    ensure(answer.num_rows == dataset.num_rows, f"행 수가 {answer.num_rows}개예요. map은 행 수를 그대로 둡니다 "
                                                f"({dataset.num_rows}개).")
    texts = _texts(dataset)
    got = [int(n) for n in answer["n_tokens"]]
    expected = [len(ids) for ids in tokenizer(texts, truncation=True)["input_ids"]]
    if got == expected:
        return f"리뷰 {len(got)}개, 평균 {sum(got) / len(got):.1f}토큰 (특수 토큰 포함)."
    plain = [len(ids) for ids in tokenizer(texts, add_special_tokens=False, truncation=True)["input_ids"]]
    if got == plain:
        raise Hint("특수 토큰이 빠졌어요. tokenizer(batch['text'], truncation=True) 의 input_ids 길이를 그대로 세세요.")
    untruncated = [len(ids) for ids in tokenizer(texts)["input_ids"]]
    if got == untruncated:
        raise Hint("긴 리뷰가 최대 길이를 넘었어요. truncation=True 를 주세요.")
    if got == [len(t) for t in texts]:
        raise Hint("글자 수를 셌어요. 토크나이저가 돌려준 input_ids 의 길이를 세세요.")
    if len(set(got)) == 1:
        raise Hint("모든 행의 값이 같아요. batched=True 에서는 batch['text']가 리스트이므로, "
                   "문장마다 len(ids) 를 구해 리스트로 돌려주세요.")
    raise Hint("n_tokens 값이 기대와 달라요. 각 리뷰의 tokenizer(..., truncation=True)['input_ids'] 길이예요.")


# --- 06.3 seeded stratified split ---------------------------------------------------------------


@exercise("06.3", "재현되는 층화 분할")
def check_stratified_split(answer, dataset, test_size: float = 0.2, seed: int = 42):
    """`dataset.train_test_split(test_size=..., seed=..., stratify_by_column="label")`.

    The expected split is recomputed by calling the same method on the same dataset.
    Used in: 06_datasets.
    """
    ensure(hasattr(answer, "keys") and set(answer.keys()) == {"train", "test"},
           "답은 train_test_split 이 돌려준 DatasetDict({'train', 'test'}) 여야 해요.")
    feature = dataset.features.get("label")
    ensure(getattr(feature, "names", None) is not None,
           "층화(stratify)하려면 label 열이 ClassLabel 이어야 해요. 먼저 cast_column 으로 바꾼 데이터셋을 쓰세요.")
    expected = dataset.train_test_split(test_size=test_size, seed=seed, stratify_by_column="label")
    got_test, exp_test = _texts(answer["test"]), _texts(expected["test"])
    ensure(answer["train"].num_rows + answer["test"].num_rows == dataset.num_rows,
           f"train + test 가 {answer['train'].num_rows + answer['test'].num_rows}행이에요. "
           f"원래 {dataset.num_rows}행을 나눠야 해요 (같은 데이터셋에서 나눴나요?).")
    ensure(answer["test"].num_rows == expected["test"].num_rows,
           f"test 가 {answer['test'].num_rows}행이에요. test_size={test_size} 이면 {expected['test'].num_rows}행이에요.")
    if got_test == exp_test:
        ratio = Counter(answer["test"]["label"])
        return (f"test {len(got_test)}행, 라벨 분포 {dict(sorted(ratio.items()))}: "
                f"seed={seed}로 몇 번을 나눠도 같은 행이 나와요.")
    got_counts, exp_counts = Counter(answer["test"]["label"]), Counter(expected["test"]["label"])
    # a stratified split puts each class in test in proportion (rounding may move one row)
    if any(abs(got_counts[c] - exp_counts[c]) > 1 for c in set(got_counts) | set(exp_counts)):
        raise Hint("test 의 라벨 비율이 원래 데이터와 달라요. stratify_by_column='label' 을 주세요.")
    raise Hint(f"크기와 라벨 비율은 맞는데 뽑힌 행이 달라요. seed={seed} 와 stratify_by_column='label' 을 "
               "둘 다 주어야 다시 실행해도 같은 분할이 나와요.")


# --- 06.4 streaming take ------------------------------------------------------------------------


def _first_rows(data_file: str, n: int, lang: str, label: int) -> list[str]:
    out = []
    with open(data_file, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["lang"] == lang and int(row["label"]) == label:
                out.append(row["text"])
                if len(out) == n:
                    break
    return out


@exercise("06.4", "스트리밍에서 처음 n개")
def check_stream_take(answer, data_file: str, n: int = 5):
    """The texts of the first `n` Korean negative reviews of a CSV file, in file order,
    taken from ``load_dataset(..., streaming=True)`` with a lazy ``filter`` and ``take``.

    The expectation is recomputed by reading `data_file` with the csv module.
    Used in: 06_datasets.
    """
    if hasattr(answer, "take") or hasattr(answer, "__next__"):
        raise Hint("아직 IterableDataset(또는 이터레이터)예요. [ex['text'] for ex in ....take(n)] 처럼 리스트로 꺼내세요.")
    ensure(isinstance(answer, list), f"답은 문자열 리스트여야 해요. 지금은 {type(answer).__name__}이에요.")
    if answer and isinstance(answer[0], dict):
        raise Hint("행(dict) 리스트예요. 각 행의 'text' 만 모아 문자열 리스트로 답하세요.")
    ensure(all(isinstance(t, str) for t in answer), "리스트의 원소가 모두 리뷰 문자열(text)이어야 해요.")
    ensure(len(answer) == n, f"{len(answer)}개가 들어왔어요. take({n}) 으로 {n}개만 꺼내세요.")
    expected = _first_rows(data_file, n, "ko", 0)
    if answer == expected:
        return f"파일 전체를 읽지 않고 앞에서부터 조건에 맞는 {n}개만 꺼냈어요."
    positives = set(_first_rows(data_file, 10**9, "ko", 1)) | set(_first_rows(data_file, 10**9, "en", 1))
    ensure(not any(t in positives for t in answer), "긍정 리뷰가 섞여 있어요. label == 0 (부정) 인 행만 남기세요.")
    english = set(_first_rows(data_file, 10**9, "en", 0))
    ensure(not any(t in english for t in answer), "영어 리뷰가 섞여 있어요. lang == 'ko' 인 행만 남기세요.")
    if sorted(answer) == sorted(expected):
        raise Hint("리뷰는 맞는데 순서가 달라요. 섞지 말고 파일 순서 그대로 take 하세요.")
    raise Hint(f"파일 앞쪽의 한국어 부정 리뷰 {n}개가 아니에요. shuffle 이나 skip 없이 filter → take({n}) 하세요.")


# --- examples for tests/test_exercises.py -------------------------------------------------------


def _example_tokenizer():
    """A tiny whitespace WordLevel tokenizer with [CLS]/[SEP] and a 16-token limit (offline, ms)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from ..data import reviews_files

    with open(reviews_files("validation"), encoding="utf-8", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", model_max_length=16)


def _example_dataset():
    from datasets import ClassLabel, Dataset

    from ..data import LABELS, reviews_files

    with open(reviews_files("validation"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ds = Dataset.from_dict({
        "text": [r["text"] for r in rows], "label": [int(r["label"]) for r in rows],
        "lang": [r["lang"] for r in rows], "domain": [r["domain"] for r in rows],
    })
    return ds.cast_column("label", ClassLabel(names=LABELS))


def examples() -> list[Example]:
    """Right and wrong answers, computed from the course's validation reviews."""
    from ..data import reviews_files

    ds = _example_dataset()
    tok = _example_tokenizer()
    k = 30
    # a boundary that some Korean review sits on exactly, so ">" and ">=" differ
    lengths = sorted({len(t) for t, l in zip(ds["text"], ds["lang"]) if l == "ko"})
    k = next(n for n in lengths if n >= 30)
    right_f = ds.filter(lambda ex: ex["lang"] == "ko" and len(ex["text"]) >= k)
    f_kw = dict(dataset=ds, min_chars=k)

    def ntok(**kw):
        return lambda b: {"n_tokens": [len(x) for x in tok(b["text"], **kw)["input_ids"]]}

    right_m = ds.map(ntok(truncation=True), batched=True)
    m_kw = dict(dataset=ds, tokenizer=tok)
    right_s = ds.train_test_split(test_size=0.2, seed=42, stratify_by_column="label")
    s_kw = dict(dataset=ds, test_size=0.2, seed=42)
    path = reviews_files("validation")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ko_neg = [r["text"] for r in rows if r["lang"] == "ko" and r["label"] == "0"]
    any_neg = [r["text"] for r in rows if r["label"] == "0"]
    ko_any = [r["text"] for r in rows if r["lang"] == "ko"]
    t_kw = dict(data_file=path, n=5)
    return [
        Example(check_filter_ko_long, right=dict(answer=right_f, **f_kw), wrong=[
            (dict(answer=ds.filter(lambda ex: len(ex["text"]) >= k), **f_kw), "한국어가 아닌"),
            (dict(answer=ds.filter(lambda ex: ex["lang"] == "ko"), **f_kw), "짧은 리뷰"),
            (dict(answer=ds.filter(lambda ex: ex["lang"] == "ko" and len(ex["text"]) > k), **f_kw), ">="),
            (dict(answer=right_f.shuffle(seed=0), **f_kw), "순서"),
            (dict(answer=right_f.remove_columns("domain"), **f_kw), "열이 바뀌었"),
            (dict(answer=right_f["text"], **f_kw), "Dataset"),
        ]),
        Example(check_token_count_column, right=dict(answer=right_m, **m_kw), wrong=[
            (dict(answer=ds.map(ntok(add_special_tokens=False, truncation=True), batched=True), **m_kw), "특수 토큰"),
            (dict(answer=ds.map(ntok(), batched=True), **m_kw), "truncation"),
            (dict(answer=ds.map(lambda b: {"n_tokens": [len(t) for t in b["text"]]}, batched=True), **m_kw), "글자 수"),
            (dict(answer=ds.map(lambda b: tok(b["text"], truncation=True), batched=True), **m_kw), "n_tokens"),
            (dict(answer=ds.map(lambda b: {"n_tokens": [len(b["text"])] * len(b["text"])}, batched=True),
                  **m_kw), "모든 행"),
            (dict(answer=right_m.remove_columns("domain"), **m_kw), "없어졌"),
        ]),
        Example(check_stratified_split, right=dict(answer=right_s, **s_kw), wrong=[
            (dict(answer=ds.train_test_split(test_size=0.2, seed=7, stratify_by_column="label"), **s_kw), "seed"),
            (dict(answer=ds.train_test_split(test_size=0.2, seed=42), **s_kw), None),
            (dict(answer=ds.train_test_split(test_size=0.3, seed=42, stratify_by_column="label"), **s_kw), "test_size"),
            (dict(answer=right_s["train"], **s_kw), "DatasetDict"),
            (dict(answer=right_s, dataset=ds.cast_column("label", __import__("datasets").Value("int64")),
                  test_size=0.2, seed=42), "ClassLabel"),
        ]),
        Example(check_stream_take, right=dict(answer=ko_neg[:5], **t_kw), wrong=[
            (dict(answer=any_neg[:5], **t_kw), None),
            (dict(answer=ko_any[:5], **t_kw), None),
            (dict(answer=ko_neg[:4], **t_kw), "take(5)"),
            (dict(answer=list(reversed(ko_neg[:5])), **t_kw), "순서"),
            (dict(answer=ko_neg[5:10], **t_kw), "앞쪽"),
            (dict(answer=[{"text": t} for t in ko_neg[:5]], **t_kw), "행(dict)"),
        ]),
    ]
