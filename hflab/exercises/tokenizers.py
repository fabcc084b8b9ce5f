"""Checkers for lesson 03 (tokenizers): attention mask, convert_tokens_to_ids, token counts,
special token ids, padding side.

Every checker recomputes its expectation by calling the learner's own tokenizer on the
learner's own inputs, so the answers hold for any tokenizer (the course's Korean WordPiece,
MiniLM's English WordPiece, SmolLM2's byte-level BPE, a Hub tokenizer on Colab).

Used in: 03_tokenizers.
"""
from __future__ import annotations

from functools import lru_cache

from . import Example, Hint, as_number, ensure, exercise

LESSON = "03_tokenizers"


def _to_rows(value, what: str) -> list[list[int]]:
    """A tensor / array / nested list of ints as a list of lists (one row per sentence)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict) or hasattr(value, "keys"):
        raise Hint(f"{what}만 답으로 넣으세요 (인코딩 결과 전체가 아니라 그 안의 리스트/텐서).")
    ensure(isinstance(value, (list, tuple)), f"{what}은(는) 문장마다 한 줄씩인 리스트(또는 텐서)여야 해요.")
    rows = []
    for row in value:
        if hasattr(row, "tolist"):
            row = row.tolist()
        ensure(isinstance(row, (list, tuple)),
               f"{what}은(는) 2차원이어야 해요: [문장 수][토큰 수]. 문장마다 숫자 하나가 아니라 토큰마다 숫자가 있어야 해요.")
        rows.append([int(x) for x in row])
    return rows


def _name(tokenizer) -> str:
    return getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__


@exercise("03.1", "패딩된 배치의 어텐션 마스크")
def check_attention_mask(answer, tokenizer, texts):
    """Check an attention mask built by hand for ``tokenizer(texts, padding=True)``.

    Expected: ``tokenizer(texts, padding=True)["attention_mask"]`` (1 = real token, 0 = padding,
    one number per token). Used in: 03_tokenizers.
    """
    texts = list(texts)
    enc = tokenizer(texts, padding=True)
    expected = [list(r) for r in enc["attention_mask"]]
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    if isinstance(answer, (list, tuple)) and answer and all(isinstance(x, (int, bool)) for x in answer):
        if len(answer) == len(texts):
            raise Hint("문장마다 숫자 하나(긴 문장 1, 짧은 문장 0)가 아니에요. 어텐션 마스크는 **토큰마다** "
                       "1(실제 토큰) 또는 0(패딩)이에요.")
        raise Hint("어텐션 마스크는 2차원이에요: 문장마다 한 줄, 토큰마다 한 칸.")
    rows = _to_rows(answer, "어텐션 마스크")
    ensure(len(rows) == len(expected), f"문장이 {len(expected)}개이니 줄도 {len(expected)}개여야 해요 (지금 {len(rows)}개).")
    width = len(expected[0])
    if any(len(r) != width for r in rows):
        lengths = sorted({len(r) for r in rows})
        raise Hint(f"줄마다 길이가 달라요 {lengths}. padding=True 로 가장 긴 문장({width}토큰)에 맞춘 뒤의 마스크를 만드세요.")
    if rows == [[1 - x for x in r] for r in expected]:
        raise Hint("0과 1이 뒤집혔어요. 실제 토큰이 1, 패딩 토큰이 0이에요.")
    if all(set(r) <= {1} for r in rows):
        raise Hint("모두 1이에요. 패딩 자리(input_ids 가 pad_token_id 인 곳)는 0이어야 해요.")
    ensure(all(set(r) <= {0, 1} for r in rows), "어텐션 마스크에는 0과 1만 들어가요.")
    if rows != expected:
        side = tokenizer.padding_side
        raise Hint(f"0의 위치가 달라요. 이 토크나이저는 {'오른쪽' if side == 'right' else '왼쪽'}(padding_side='{side}')에 "
                   "패딩을 붙여요. input_ids 가 pad_token_id 인 자리만 0이에요.")
    n_pad = sum(r.count(0) for r in expected)
    return f"{len(expected)}문장 × {width}토큰, 패딩 {n_pad}칸이 0이에요."


@exercise("03.2", "convert_tokens_to_ids 와 encode")
def check_token_ids(answer, tokenizer, tokens):
    """Check the ids of already-split tokens: ``tokenizer.convert_tokens_to_ids(tokens)``.

    The seed's ``[tokenizer.encode(t) for t in tokens]`` re-tokenizes each piece and adds
    special tokens: it is rejected with that explanation. Used in: 03_tokenizers.
    """
    tokens = list(tokens)
    expected = tokenizer.convert_tokens_to_ids(tokens)
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    ensure(isinstance(answer, (list, tuple)), "토큰마다 id 하나씩, 정수 리스트로 답하세요.")
    if answer and all(isinstance(x, (list, tuple)) for x in answer):
        raise Hint("토큰 하나마다 encode 하면 조각을 다시 토큰화하고 특수 토큰([CLS]/[SEP] 등)까지 붙어요. "
                   "이미 나뉜 토큰의 번호는 tokenizer.convert_tokens_to_ids(tokens) 로 찾아요.")
    answer = [int(x) for x in answer]
    specials = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
    if len(answer) > len(expected) and any(x in specials for x in answer):
        raise Hint("특수 토큰 id 가 섞여 있어요. encode 는 특수 토큰을 붙여요: 이미 나뉜 토큰에는 convert_tokens_to_ids 를 쓰세요.")
    ensure(len(answer) == len(expected), f"토큰이 {len(expected)}개이니 id 도 {len(expected)}개여야 해요 (지금 {len(answer)}개).")
    ensure(answer == expected, "번호가 달라요. 토큰 문자열을 어휘(vocabulary)에서 찾은 번호여야 해요: convert_tokens_to_ids.")
    return f"{len(expected)}개 토큰 → {expected[:6]}{' …' if len(expected) > 6 else ''}"


@exercise("03.3", "토큰 수 세기")
def check_token_count(answer, tokenizer, text):
    """Check the number of tokens of `text`, special tokens not counted.

    Expected: ``len(tokenizer(text, add_special_tokens=False)["input_ids"])``. Used in: 03_tokenizers.
    """
    expected = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    with_special = len(tokenizer(text)["input_ids"])
    value = as_number(answer, "토큰 수")
    ensure(value == int(value), "토큰 수는 정수예요.")
    value = int(value)
    if value == expected:
        return f"'{text[:20]}{'…' if len(text) > 20 else ''}' → {expected}토큰 ({len(text)}글자, 글자당 {expected / len(text):.2f}토큰)"
    if value == with_special and with_special != expected:
        raise Hint(f"특수 토큰까지 셌어요 ({with_special - expected}개). add_special_tokens=False 로 본문 토큰만 세세요.")
    if value == len(text):
        raise Hint("글자 수를 셌어요. 토크나이저로 input_ids 를 만든 뒤 그 길이를 세세요.")
    if value == len(text.split()):
        raise Hint("띄어쓰기 단위(단어) 수를 셌어요. 서브워드 토크나이저는 단어를 더 잘게 나눠요.")
    if value == len(text.encode("utf-8")):
        raise Hint("UTF-8 바이트 수를 셌어요. 토크나이저가 만든 토큰 수를 세세요.")
    raise Hint(f"답이 {'많아요' if value > expected else '적어요'}. 이 토크나이저({_name(tokenizer)})로 "
               "add_special_tokens=False 인코딩의 input_ids 길이를 세세요.")


@exercise("03.4", "특수 토큰의 id")
def check_special_ids(answer, tokenizer, names=("cls_token", "sep_token", "pad_token")):
    """Check a dict {special token attribute: id} against the tokenizer's own vocabulary.

    Expected: ``{name: tokenizer.convert_tokens_to_ids(getattr(tokenizer, name))}``.
    Used in: 03_tokenizers.
    """
    names = [names] if isinstance(names, str) else list(names)
    expected = {}
    for n in names:
        tok = getattr(tokenizer, n, None)
        ensure(tok is not None, f"이 토크나이저에는 {n} 이(가) 없어요. 문제에 주어진 토크나이저를 쓰세요.")
        expected[n] = tokenizer.convert_tokens_to_ids(tok)
    ensure(isinstance(answer, dict), "{'cls_token': id, ...} 처럼 딕셔너리(dict)로 답하세요.")
    for n in names:
        ensure(n in answer, f"'{n}' 키가 없어요. 딕셔너리에 {', '.join(names)} 를 모두 넣으세요.")
    for n in names:
        got = answer[n]
        if isinstance(got, str):
            raise Hint(f"'{n}' 에 토큰 문자열('{got}')을 넣었어요. 그 토큰의 번호(id)가 필요해요: convert_tokens_to_ids.")
        got = int(as_number(got, n))
        if got != expected[n]:
            if (n, got) in (("cls_token", 101), ("sep_token", 102)):
                raise Hint("101/102는 구글 영어 BERT 어휘의 번호예요. 특수 토큰의 id 는 어휘마다 달라요: "
                           "이 토크나이저에 물어보세요 (tokenizer.cls_token_id 등).")
            raise Hint(f"'{n}' 의 id 가 달라요. tokenizer.{n}_id 또는 convert_tokens_to_ids(tokenizer.{n}) 로 확인하세요.")
    return ", ".join(f"{getattr(tokenizer, n)}={expected[n]}" for n in names)


@exercise("03.5", "왼쪽 패딩 (생성 모델)")
def check_left_padding(answer, tokenizer, texts):
    """Check a batch padded on the LEFT: ``tokenizer(texts, padding=True, padding_side="left")``.

    The answer is the encoding (dict / BatchEncoding with input_ids and attention_mask).
    Used in: 03_tokenizers.
    """
    texts = list(texts)
    expected = tokenizer(texts, padding=True, padding_side="left")
    right = tokenizer(texts, padding=True, padding_side="right")
    ensure(hasattr(answer, "keys") and "input_ids" in answer and "attention_mask" in answer,
           "토크나이저가 돌려준 인코딩 전체(input_ids 와 attention_mask 가 든 dict)를 답으로 넣으세요.")
    ids = _to_rows(answer["input_ids"], "input_ids")
    mask = _to_rows(answer["attention_mask"], "attention_mask")
    exp_ids = [list(r) for r in expected["input_ids"]]
    exp_mask = [list(r) for r in expected["attention_mask"]]
    ensure(len(ids) == len(texts), f"문장 {len(texts)}개를 한 번에(배치로) 인코딩하세요.")
    if ids == [list(r) for r in right["input_ids"]] and ids != exp_ids:
        raise Hint("오른쪽에 패딩이 붙었어요. 생성 모델은 마지막 토큰 뒤에 이어 쓰므로 padding_side='left' 로 왼쪽에 붙여요.")
    if len({len(r) for r in ids}) > 1:
        raise Hint("줄마다 길이가 달라요: padding=True 를 넣으세요.")
    ensure(ids == exp_ids, "input_ids 가 달라요. 같은 문장들을 padding=True, padding_side='left' 로 인코딩하세요.")
    ensure(mask == exp_mask, "attention_mask 가 input_ids 와 맞지 않아요: 왼쪽 패딩 자리가 0이어야 해요.")
    n_pad = sum(r.count(0) for r in exp_mask)
    return f"패딩 {n_pad}칸이 왼쪽에 붙었어요. 모든 문장의 마지막 토큰이 같은 열에 있어요."


# --- examples for tests/test_exercises.py ----------------------------------------------------


@lru_cache(maxsize=1)
def _example_tokenizer():
    """A small Korean WordPiece trained on the course corpus (offline, < 1 s)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers, decoders
    from transformers import PreTrainedTokenizerFast

    from ..data import corpus_lines

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(corpus_lines(), trainers.WordPieceTrainer(
        vocab_size=2000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def examples() -> list[Example]:
    """Right and wrong answers, computed from the same tokenizer and inputs as the checkers."""
    tok = _example_tokenizer()
    texts = ["배송이 빨라요", "포장이 꼼꼼하고 배송도 하루 만에 왔어요"]
    enc = tok(texts, padding=True)
    mask = [list(r) for r in enc["attention_mask"]]
    tokens = tok.tokenize("정부는 교통비 지원을 확대하기로 했다.")
    text = "요즘 신조어는 토크나이저가 어떻게 나눌까?"
    n = len(tok(text, add_special_tokens=False)["input_ids"])
    ids = {"cls_token": tok.cls_token_id, "sep_token": tok.sep_token_id, "pad_token": tok.pad_token_id}
    left = tok(texts, padding=True, padding_side="left")
    right = tok(texts, padding=True)
    return [
        Example(check_attention_mask, right=dict(answer=mask, tokenizer=tok, texts=texts), wrong=[
            (dict(answer=[1, 0], tokenizer=tok, texts=texts), "토큰마다"),
            (dict(answer=[[1 - x for x in r] for r in mask], tokenizer=tok, texts=texts), "뒤집"),
            (dict(answer=[[1] * len(r) for r in mask], tokenizer=tok, texts=texts), "모두 1"),
            (dict(answer=[[1] * sum(r) for r in mask], tokenizer=tok, texts=texts), "길이가 달라요"),
            (dict(answer=[list(reversed(r)) for r in mask], tokenizer=tok, texts=texts), "0의 위치"),
            (dict(answer=enc, tokenizer=tok, texts=texts), "리스트/텐서"),
        ]),
        Example(check_token_ids, right=dict(answer=tok.convert_tokens_to_ids(tokens), tokenizer=tok, tokens=tokens),
                wrong=[
                    (dict(answer=[tok.encode(t) for t in tokens], tokenizer=tok, tokens=tokens), "convert_tokens_to_ids"),
                    (dict(answer=tok.encode("정부는 교통비 지원을 확대하기로 했다."), tokenizer=tok, tokens=tokens), "특수 토큰"),
                    (dict(answer=list(range(len(tokens))), tokenizer=tok, tokens=tokens), "번호가 달라요"),
                    (dict(answer="정부는", tokenizer=tok, tokens=tokens), "정수 리스트"),
                ]),
        Example(check_token_count, right=dict(answer=n, tokenizer=tok, text=text), wrong=[
            (dict(answer=n + 2, tokenizer=tok, text=text), "특수 토큰"),
            (dict(answer=len(text), tokenizer=tok, text=text), "글자 수"),
            (dict(answer=len(text.split()), tokenizer=tok, text=text), "단어"),
            (dict(answer="7", tokenizer=tok, text=text), "문자열"),
            (dict(answer=n + 1.5, tokenizer=tok, text=text), "정수"),
        ]),
        Example(check_special_ids, right=dict(answer=ids, tokenizer=tok), wrong=[
            (dict(answer={"cls_token": 101, "sep_token": 102, "pad_token": 0}, tokenizer=tok), "101/102"),
            (dict(answer={"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]"}, tokenizer=tok), "토큰 문자열"),
            (dict(answer={"cls_token": ids["cls_token"]}, tokenizer=tok), "'sep_token' 키가 없어요"),
            (dict(answer=[ids["cls_token"], ids["sep_token"]], tokenizer=tok), "딕셔너리"),
            (dict(answer={**ids, "pad_token": ids["pad_token"] + 7}, tokenizer=tok), "'pad_token' 의 id"),
        ]),
        Example(check_left_padding, right=dict(answer=left, tokenizer=tok, texts=texts), wrong=[
            (dict(answer=right, tokenizer=tok, texts=texts), "padding_side='left'"),
            (dict(answer=tok(texts), tokenizer=tok, texts=texts), "padding=True"),
            (dict(answer=left["input_ids"], tokenizer=tok, texts=texts), "인코딩 전체"),
            (dict(answer={"input_ids": left["input_ids"], "attention_mask": right["attention_mask"]},
                  tokenizer=tok, texts=texts), "attention_mask"),
        ]),
    ]
