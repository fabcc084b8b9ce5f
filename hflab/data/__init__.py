"""Course data that ships with hflab, and the small loaders the lessons use.

Everything here was written for this course (see ``hflab/data/README.md``, the
dataset card) and loads with no network:

=================  ==========================================  ==============================
name               files (under ``hflab/data/``)               used in
=================  ==========================================  ==============================
reviews            ``reviews/{train,validation,test}.csv``     02, 04, 06, 07, 08, 09, 10, 12
                   columns text, label (0/1), lang, domain
ner                ``ner/{train,validation,test}.jsonl``       07 (token classification)
                   id, text, entities [{start, end, label,
                   text}] with character offsets, end
                   exclusive
instructions       ``instructions/{train,test}.jsonl``         05, 09, 11
                   id, lang, category, messages
corpus             ``corpus/ko_corpus.txt``                    03 (training tokenizers)
                   one Korean sentence per line
=================  ==========================================  ==============================

The ``*_files()`` helpers return plain paths so that a lesson can show the
``datasets.load_dataset`` call itself::

    from datasets import load_dataset
    reviews = load_dataset("csv", data_files=hflab.data.reviews_files())

The ``load_*()`` helpers make that same call and return the ``DatasetDict``.
Bad input (an unknown split, language, a malformed NER example) raises
:class:`DataError` with a Korean message that says what to do.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import HflabError

__all__ = [
    "DataError",
    "LABELS",
    "ID2LABEL",
    "LABEL2ID",
    "LANGS",
    "DOMAINS",
    "NER_ENTITY_TYPES",
    "NER_LABELS",
    "NER_ID2LABEL",
    "NER_LABEL2ID",
    "REVIEW_SPLITS",
    "NER_SPLITS",
    "INSTRUCTION_SPLITS",
    "data_dir",
    "reviews_files",
    "load_reviews",
    "ner_files",
    "load_ner",
    "instructions_files",
    "load_instructions",
    "corpus_file",
    "corpus_lines",
    "ner_bio_chars",
    "ner_bio_words",
    "bio_to_spans",
]

# --- label sets -----------------------------------------------------------------

#: Review sentiment labels; the CSV column ``label`` holds the index (0 = negative).
LABELS = ["negative", "positive"]
ID2LABEL = {i: name for i, name in enumerate(LABELS)}
LABEL2ID = {name: i for i, name in enumerate(LABELS)}
LANGS = ("ko", "en")
DOMAINS = ("movie", "product", "restaurant", "app", "travel")

#: NER entity types and the BIO tag set built from them (``O`` first, id 0).
NER_ENTITY_TYPES = ("PER", "ORG", "LOC", "DATE")
NER_LABELS = ["O"] + [f"{p}-{t}" for t in NER_ENTITY_TYPES for p in ("B", "I")]
NER_ID2LABEL = {i: name for i, name in enumerate(NER_LABELS)}
NER_LABEL2ID = {name: i for i, name in enumerate(NER_LABELS)}

REVIEW_SPLITS = ("train", "validation", "test")
NER_SPLITS = ("train", "validation", "test")
INSTRUCTION_SPLITS = ("train", "test")


class DataError(HflabError):
    """Bad input to a course-data helper (unknown split, language, malformed example)."""


# --- paths ----------------------------------------------------------------------


def data_dir() -> Path:
    """The folder holding the shipped course data (``hflab/data``).

    Used in: 06_datasets (to show what ships with the course).
    """
    return Path(__file__).resolve().parent


def _pick(kind: str, folder: str, pattern: str, splits: tuple[str, ...], split: str | None):
    files = {s: str(data_dir() / folder / pattern.format(split=s)) for s in splits}
    missing = [p for p in files.values() if not Path(p).is_file()]
    if missing:
        raise DataError(
            f"{kind} 데이터 파일이 없습니다: {missing[0]}",
            fix="hflab을 다시 설치하세요: pip install -e .  (또는 저장소를 다시 내려받으세요)",
        )
    if split is None:
        return files
    if split not in files:
        raise DataError(
            f"{kind} 데이터에는 '{split}' 분할(split)이 없습니다. "
            f"사용할 수 있는 분할: {', '.join(splits)}",
            fix=f"split= 에 {', '.join(repr(s) for s in splits)} 중 하나를 넘기세요.",
        )
    return files[split]


def _check_lang(lang: str | None) -> None:
    if lang is not None and lang not in LANGS:
        raise DataError(
            f"언어 '{lang}' 는 지원하지 않습니다. 사용할 수 있는 언어: ko, en",
            fix="lang='ko' 또는 lang='en' 을 넘기거나, 생략하면 두 언어를 모두 불러옵니다.",
        )


def reviews_files(split: str | None = None) -> dict[str, str] | str:
    """Paths of the review CSV files, for ``load_dataset("csv", data_files=...)``.

    With no argument: ``{"train": path, "validation": path, "test": path}``;
    with ``split="test"``: that one path. Columns: ``text, label, lang, domain``
    (``label`` 0 = negative, 1 = positive; ``lang`` ko/en).

    Used in: 02_pipelines, 06_datasets, 07_collators, 08_trainer, 09_peft, 10_hub, 12_spaces.
    """
    return _pick("리뷰(reviews)", "reviews", "{split}.csv", REVIEW_SPLITS, split)


def load_reviews(split: str | None = None, lang: str | None = None):
    """Load the reviews with ``datasets.load_dataset("csv", ...)``.

    Returns a ``DatasetDict`` (or one ``Dataset`` when ``split`` is given);
    ``lang="ko"`` / ``"en"`` keeps one language. The lessons show the
    ``load_dataset`` call itself; this is the shortcut for recap cells.

    Used in: 04_autoclass, 07_collators, 08_trainer, 09_peft, 10_hub, 12_spaces (recap cells).
    """
    _check_lang(lang)
    from datasets import load_dataset

    files = reviews_files(split)
    ds = load_dataset("csv", data_files=files if split is None else {split: files})
    if lang is not None:
        ds = ds.filter(lambda ex: ex["lang"] == lang)
    return ds if split is None else ds[split]


def ner_files(split: str | None = None) -> dict[str, str] | str:
    """Paths of the Korean NER JSONL files, for ``load_dataset("json", data_files=...)``.

    Each line: ``{"id", "text", "entities": [{"start", "end", "label", "text"}]}``,
    character offsets into ``text``, ``end`` exclusive, labels PER/ORG/LOC/DATE.

    Used in: 07_collators (token classification, DataCollatorForTokenClassification).
    """
    return _pick("개체명(NER)", "ner", "{split}.jsonl", NER_SPLITS, split)


def load_ner(split: str | None = None):
    """Load the Korean NER set with ``datasets.load_dataset("json", ...)``.

    Used in: 07_collators (recap cells).
    """
    from datasets import load_dataset

    files = ner_files(split)
    ds = load_dataset("json", data_files=files if split is None else {split: files})
    return ds if split is None else ds[split]


def instructions_files(split: str | None = None) -> dict[str, str] | str:
    """Paths of the instruction JSONL files (``train`` / ``test``).

    Each line: ``{"id", "lang", "category", "messages": [{"role": "user", ...},
    {"role": "assistant", ...}]}`` -- the format ``tokenizer.apply_chat_template`` takes.

    Used in: 05_generation, 09_peft (LoRA on a causal LM), 11_inference.
    """
    return _pick("지시문(instructions)", "instructions", "{split}.jsonl", INSTRUCTION_SPLITS, split)


def load_instructions(split: str | None = None, lang: str | None = None):
    """Load the instruction pairs with ``datasets.load_dataset("json", ...)``.

    Used in: 05_generation, 09_peft, 11_inference (recap cells).
    """
    _check_lang(lang)
    from datasets import load_dataset

    files = instructions_files(split)
    ds = load_dataset("json", data_files=files if split is None else {split: files})
    if lang is not None:
        ds = ds.filter(lambda ex: ex["lang"] == lang)
    return ds if split is None else ds[split]


def corpus_file() -> str:
    """Path of the Korean tokenizer-training corpus (one sentence per line, UTF-8).

    Pass it to ``tokenizers`` trainers (``tokenizer.train([corpus_file()], trainer)``)
    or to ``load_dataset("text", data_files=corpus_file())``.

    Used in: 03_tokenizers.
    """
    path = data_dir() / "corpus" / "ko_corpus.txt"
    if not path.is_file():
        raise DataError(
            f"말뭉치(corpus) 파일이 없습니다: {path}",
            fix="hflab을 다시 설치하세요: pip install -e .",
        )
    return str(path)


def corpus_lines() -> list[str]:
    """The corpus sentences as a list of strings (blank lines dropped).

    Used in: 03_tokenizers.
    """
    with open(corpus_file(), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


# --- NER: spans <-> BIO -----------------------------------------------------------


def _entities(example: Mapping[str, Any]) -> tuple[str, list[tuple[int, int, str]]]:
    """Validate an NER example and return (text, sorted [(start, end, label)])."""
    if not isinstance(example, Mapping) or "text" not in example or "entities" not in example:
        raise DataError(
            "NER 예제는 'text' 와 'entities' 키를 가진 dict 여야 합니다.",
            fix="load_ner()['train'][0] 처럼 데이터셋의 한 행을 그대로 넘기세요.",
        )
    text = example["text"]
    ents = example["entities"]
    # datasets may hand a column-wise dict {"start": [...], "end": [...], ...}
    if isinstance(ents, Mapping):
        ents = [dict(zip(ents, vals)) for vals in zip(*ents.values())]
    spans = []
    for ent in ents:
        start, end, label = int(ent["start"]), int(ent["end"]), ent["label"]
        if label not in NER_ENTITY_TYPES:
            raise DataError(
                f"알 수 없는 개체명 라벨 '{label}' 입니다. 사용할 수 있는 라벨: "
                f"{', '.join(NER_ENTITY_TYPES)}",
                fix="entities 의 label 을 PER, ORG, LOC, DATE 중 하나로 고치세요.",
            )
        if not (0 <= start < end <= len(text)):
            raise DataError(
                f"개체 범위 [{start}, {end}) 가 문장 길이 {len(text)} 를 벗어납니다.",
                fix="start < end <= len(text) 인 문자 오프셋(end 는 포함하지 않음)을 쓰세요.",
            )
        if "text" in ent and ent["text"] is not None and text[start:end] != ent["text"]:
            raise DataError(
                f"개체 '{ent['text']}' 가 오프셋 [{start}, {end}) 의 글자 "
                f"'{text[start:end]}' 와 다릅니다.",
                fix="오프셋을 손으로 쓰지 말고 text.index(...) 로 계산하세요.",
            )
        spans.append((start, end, label))
    spans.sort()
    for (s1, e1, _), (s2, _e2, _) in zip(spans, spans[1:]):
        if s2 < e1:
            raise DataError(
                f"개체 범위가 겹칩니다: [{s1}, {e1}) 와 [{s2}, ...)",
                fix="BIO 태그는 겹치는 개체를 표현할 수 없습니다. 겹치지 않게 고치세요.",
            )
    return text, spans


def ner_bio_chars(example: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Per-character BIO tags: ``(chars, tags)``, one tag per character of ``text``.

    A space inside an entity (``2024년 3월``) is tagged ``I-DATE`` like its neighbours,
    so the tags are exact: :func:`bio_to_spans` gives back the character offsets.

    Used in: 07_collators (character-level view of Korean NER).
    """
    text, spans = _entities(example)
    tags = ["O"] * len(text)
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return list(text), tags


def ner_bio_words(example: Mapping[str, Any], with_offsets: bool = False):
    """Word-level BIO tags for token classification: ``(words, tags)``.

    Words are the whitespace-separated pieces of ``text``, further cut at entity
    boundaries, because Korean particles stick to names (``김민준은`` becomes
    ``["김민준", "은"]`` tagged ``B-PER, O``). Feed ``words`` to a tokenizer with
    ``is_split_into_words=True`` and align ``tags`` with ``word_ids()``.
    With ``with_offsets=True`` also returns ``[(start, end), ...]`` per word, so that
    ``text[start:end] == word`` and the entity spans can be rebuilt exactly.

    Used in: 07_collators (DataCollatorForTokenClassification, label alignment).
    """
    text, spans = _entities(example)
    cuts = {s for s, _, _ in spans} | {e for _, e, _ in spans}
    words: list[str] = []
    offsets: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(text + " "):
        if ch.isspace() or (i in cuts and start is not None):
            if start is not None:
                words.append(text[start:i])
                offsets.append((start, i))
                start = None
        if not ch.isspace() and start is None and i < len(text):
            start = i
    tags = ["O"] * len(words)
    for s, e, label in spans:
        inside = [k for k, (ws, we) in enumerate(offsets) if ws >= s and we <= e]
        for n, k in enumerate(inside):
            tags[k] = ("B-" if n == 0 else "I-") + label
    return (words, tags, offsets) if with_offsets else (words, tags)


def bio_to_spans(tags: Iterable[str]) -> list[tuple[int, int, str]]:
    """Turn a BIO tag sequence into ``[(first_index, last_index + 1, label), ...]``.

    Indices are positions in the tag list (characters for :func:`ner_bio_chars`,
    words for :func:`ner_bio_words`). An ``I-X`` that does not follow ``B-X``/``I-X``
    starts a new entity (the usual lenient reading of model predictions).

    Used in: 07_collators (checking predictions against the gold spans).
    """
    tags = list(tags)
    for t in tags:
        if t != "O" and (t[:2] not in ("B-", "I-") or t[2:] not in NER_ENTITY_TYPES):
            raise DataError(
                f"알 수 없는 BIO 태그 '{t}' 입니다.",
                fix=f"태그는 {', '.join(NER_LABELS)} 중 하나여야 합니다.",
            )
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tags):
        t = tags[i]
        if t == "O":
            i += 1
            continue
        label = t[2:]
        j = i + 1
        while j < len(tags) and tags[j] == f"I-{label}":
            j += 1
        spans.append((i, j, label))
        i = j
    return spans
