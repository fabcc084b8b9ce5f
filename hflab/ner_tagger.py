"""A small Korean NER tagger built from the course data, for lessons that run offline.

No checkpoint in the offline mirror has a token-classification head. :func:`ensure_ner_tagger`
builds one in seconds: it keeps the mirror's encoder (``sentence-transformers/all-MiniLM-L6-v2``)
frozen, runs it once over the course's Korean NER train split (:func:`hflab.data.load_ner`,
word-level BIO tags from :func:`hflab.data.ner_bio_words`), and trains only the linear layer
that ``AutoModelForTokenClassification`` puts on top (``classifier``: hidden 384 -> 9 BIO tags)
with a few dozen full-batch steps on those cached vectors.
The result is saved with its tokenizer under ``build/models/ner-tagger-ko`` and loads with the
ordinary call::

    from transformers import pipeline
    ner = pipeline("token-classification", model=str(hflab.ner_tagger.ensure_ner_tagger()),
                   aggregation_strategy="first")

Next to the weights, ``hflab_ner_tagger.json`` records what was measured on the test split
(token accuracy, accuracy on entity tokens, the all-"O" baseline, entity-level F1 of the
pipeline output) and the build time, so a lesson prints honest numbers
(:func:`ner_tagger_info`). Expect weak results: the encoder's English uncased WordPiece
vocabulary splits Hangul into jamo pieces it never learned, and only one linear layer is trained.

Used in: 02_pipelines.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from .errors import HflabError

#: folder name under build/models/
NER_TAGGER_NAME = "ner-tagger-ko"
#: the JSON written next to the weights
INFO_FILENAME = "hflab_ner_tagger.json"
#: the mirror's encoder, kept frozen
DEFAULT_BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: training recipe of the linear head: `steps` full-batch AdamW steps on the cached token vectors;
#: `balance` weighs rare tags up ((most frequent count / tag count) ** balance; 0 = plain loss),
#: which trades a little token accuracy for finding entities at all (measured: entity F1 0.13 -> 0.18)
RECIPE = {"max_length": 96, "steps": 60, "learning_rate": 3e-2, "seed": 0, "batch_size": 32, "balance": 0.5}
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", INFO_FILENAME)


class NerTaggerError(HflabError):
    """The NER tagger cannot be built or loaded."""


def ner_tagger_path() -> Path:
    """Where the course NER tagger lives: ``build/models/ner-tagger-ko`` (may not exist yet).

    Used in: 02_pipelines.
    """
    from .course import build_dir

    return build_dir() / "models" / NER_TAGGER_NAME


def _as_dir(path) -> Path:
    p = Path(ner_tagger_path() if path is None else path).expanduser()
    if p.exists() and not p.is_dir():
        raise NerTaggerError(
            f"'{p}' 는 폴더가 아니라 파일입니다. 모델은 폴더로 저장됩니다.",
            fix="path= 에 폴더 경로를 주거나, 생략해서 기본 위치(build/models/ner-tagger-ko)를 쓰세요.",
        )
    return p


def is_complete(path=None) -> bool:
    """True when the folder holds the weights, the tokenizer and the info JSON."""
    p = _as_dir(path)
    return all((p / name).is_file() for name in REQUIRED_FILES)


def ner_tagger_info(path=None) -> dict | None:
    """The info JSON next to the tagger, or None when there is none.

    Keys: ``base_model``, ``trained`` (what was trained), ``labels``, ``train_sentences``,
    ``test`` (``token_accuracy``, ``entity_token_accuracy``, ``all_o_baseline``, ``entity_f1``,
    ``tokens``), ``build_seconds``, ``recipe``, ``transformers``.
    Used in: 02_pipelines.
    """
    f = _as_dir(path) / INFO_FILENAME
    if not f.is_file():
        return None
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except ValueError:
        return None


@contextlib.contextmanager
def _lock(target: Path):
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(target.parent / f".{target.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _encode(tokenizer, example, label2id, max_length):
    """(input_ids, labels): every sub-token labelled; continuation pieces of an entity word get I-X."""
    from .data import ner_bio_words

    words, tags = ner_bio_words(example)
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    labels, prev = [], None
    for w in enc.word_ids():
        if w is None:
            labels.append(-100)
        elif w != prev or tags[w] == "O":
            labels.append(label2id[tags[w]])
        else:
            labels.append(label2id["I-" + tags[w][2:]])
        prev = w
    return enc["input_ids"], labels


def _token_vectors(encoder, rows, pad_id, batch_size):
    """Frozen encoder's last_hidden_state at the labelled positions: (vectors, labels)."""
    import torch

    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    xs, ys = [], []
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            width = max(len(rows[i][0]) for i in idx)
            ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            labels = torch.full((len(idx), width), -100, dtype=torch.long)
            for r, i in enumerate(idx):
                n = len(rows[i][0])
                ids[r, :n] = torch.tensor(rows[i][0])
                mask[r, :n] = 1
                labels[r, :n] = torch.tensor(rows[i][1])
            hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            keep = labels != -100
            xs.append(hidden[keep])
            ys.append(labels[keep])
    return torch.cat(xs), torch.cat(ys)


def _entity_f1(pipe, examples) -> float:
    """Entity-level F1 (exact character span + type) of a token-classification pipeline."""
    gold, pred, hit = 0, 0, 0
    for ex in examples:
        want = {(e["start"], e["end"], e["label"]) for e in ex["entities"]}
        got = {(int(o["start"]), int(o["end"]), o["entity_group"]) for o in pipe(ex["text"])}
        gold, pred, hit = gold + len(want), pred + len(got), hit + len(want & got)
    if hit == 0:
        return 0.0
    p, r = hit / pred, hit / gold
    return 2 * p * r / (p + r)


def build_ner_tagger(path=None, base_model: str = DEFAULT_BASE_MODEL, quiet: bool = False, **recipe) -> dict:
    """Train the linear head on frozen `base_model` token vectors and save the tagger; returns the info.

    Always builds (use :func:`ensure_ner_tagger` to reuse an existing one). Written to a
    temporary sibling folder first and moved in place at the end.
    Used in: :func:`ensure_ner_tagger`, tests/test_ner_tagger.py.
    """
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    from . import data

    unknown = set(recipe) - set(RECIPE)
    if unknown:
        raise NerTaggerError(f"알 수 없는 학습 설정: {', '.join(sorted(unknown))}",
                             fix=f"다음 중에서 고르세요: {', '.join(RECIPE)}")
    cfg = {**RECIPE, **recipe}
    target = _as_dir(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if quiet else print
    t0 = time.perf_counter()

    ner = data.load_ner()
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report (new classifier head) is expected here
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            base_model, num_labels=len(data.NER_LABELS), id2label=data.NER_ID2LABEL, label2id=data.NER_LABEL2ID)
    finally:
        hf_logging.set_verbosity(level)
    model.eval()
    encoder = model.base_model
    head = model.classifier
    say(f"NER 태거를 만듭니다: {base_model} 인코더는 고정, 선형 헤드({head.in_features}→{head.out_features})만 "
        f"학습 문장 {len(ner['train'])}개로 학습 ...")

    def rows(split):
        return [_encode(tokenizer, ex, data.NER_LABEL2ID, cfg["max_length"]) for ex in ner[split]]

    x_train, y_train = _token_vectors(encoder, rows("train"), tokenizer.pad_token_id, cfg["batch_size"])
    torch.manual_seed(cfg["seed"])
    torch.nn.init.normal_(head.weight, std=0.02)
    torch.nn.init.zeros_(head.bias)
    # rare tags weigh more: (share of the most frequent tag / share of the tag) ** balance (0 = plain loss)
    counts = torch.bincount(y_train, minlength=len(data.NER_LABELS)).clamp(min=1).float()
    weight = (counts.max() / counts) ** cfg["balance"]
    opt = torch.optim.AdamW(head.parameters(), lr=cfg["learning_rate"])
    with torch.enable_grad():
        for _ in range(cfg["steps"]):
            loss = torch.nn.functional.cross_entropy(head(x_train), y_train, weight=weight)
            loss.backward()
            opt.step()
            opt.zero_grad()
    build_seconds = time.perf_counter() - t0

    x_test, y_test = _token_vectors(encoder, rows("test"), tokenizer.pad_token_id, cfg["batch_size"])
    with torch.no_grad():
        pred = head(x_test).argmax(-1)
    entity = y_test != data.NER_LABEL2ID["O"]
    tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first")
    test = {
        "tokens": int(y_test.numel()),
        "token_accuracy": round(float((pred == y_test).float().mean()), 4),
        "entity_token_accuracy": round(float((pred[entity] == y_test[entity]).float().mean()), 4),
        "all_o_baseline": round(float((~entity).float().mean()), 4),
        "entity_f1": round(_entity_f1(tagger, ner["test"]), 4),
    }
    info = {
        "base_model": base_model,
        "trained": "classifier (linear head) only; encoder frozen",
        "labels": list(data.NER_LABELS),
        "train_sentences": len(ner["train"]),
        "final_train_loss": round(loss.item(), 4),
        "test": test,
        "build_seconds": round(build_seconds, 1),
        "recipe": cfg,
    }
    import transformers

    info["transformers"] = transformers.__version__

    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        out = work / "model"
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        (out / INFO_FILENAME).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"저장했습니다: {target}  (테스트 토큰 정확도 {test['token_accuracy']:.3f}, 전부 'O' 기준선 "
        f"{test['all_o_baseline']:.3f}, 개체 F1 {test['entity_f1']:.3f}; {info['build_seconds']:.0f}초)")
    return info


def ensure_ner_tagger(path=None, base_model: str = DEFAULT_BASE_MODEL, quiet: bool = False) -> Path:
    """The path of the course NER tagger, built first only when missing or incomplete.

    `path` defaults to :func:`ner_tagger_path` (``build/models/ner-tagger-ko``). The folder
    loads with ``pipeline("token-classification", model=str(path))``; what it scored on the
    test split is in :func:`ner_tagger_info`.
    Used in: 02_pipelines.
    """
    target = _as_dir(path)
    if not is_complete(target):
        with _lock(target):
            if not is_complete(target):
                try:
                    build_ner_tagger(target, base_model=base_model, quiet=quiet)
                except OSError as e:
                    raise NerTaggerError(
                        f"기반 모델 '{base_model}' 을(를) 불러오거나 저장하지 못했습니다: {type(e).__name__}",
                        fix="오프라인이면 `hflab mirror` 로 미러를 만들고 HF_HUB_OFFLINE=1 을 설정하세요.",
                    ) from e
                return target
    if not quiet:
        info = ner_tagger_info(target) or {}
        t = info.get("test", {})
        print(f"NER 태거: {target}  ({info.get('base_model')}, {info.get('trained')}; 테스트 토큰 정확도 "
              f"{t.get('token_accuracy', float('nan')):.3f}, 전부 'O' 기준선 {t.get('all_o_baseline', float('nan')):.3f}, "
              f"개체 F1 {t.get('entity_f1', float('nan')):.3f})")
    return target
