"""Course-local models: the review classifier that lesson 08 fine-tunes and later lessons reuse.

Lesson 08 fine-tunes a sequence classifier on the course reviews (Korean + English) with
``Trainer`` and saves it, with its tokenizer, under ``build/models/review-classifier``.
Lessons that come later (or run alone, in a fresh checkout) call
:func:`ensure_review_classifier`, which returns that folder and trains it first, with the
same recipe in compact form, only when it is missing or incomplete. Next to the weights it
writes ``hflab_review_classifier.json``: the measured test accuracy per language, the
training time and the recipe, so that a lesson reusing the model shows honest numbers
(:func:`review_classifier_info`).

The folder loads with the ordinary calls::

    from transformers import pipeline
    clf = pipeline("text-classification", model=str(hflab.models.ensure_review_classifier()))
    clf("The battery died after two days.")   # [{'label': 'negative', 'score': ...}]

Labels: ``id2label = {0: "negative", 1: "positive"}`` (``hflab.data.ID2LABEL``).

Offline the base model is ``sentence-transformers/all-MiniLM-L6-v2`` from the mirror: an
English uncased WordPiece vocabulary, so Korean text falls apart into jamo pieces and
``[UNK]`` and the Korean accuracy is much lower than the English one (the JSON says how much).

Used in: 02_pipelines, 08_trainer, 10_sharing, 11_inference_api, 12_spaces_gradio
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
REVIEW_CLASSIFIER_NAME = "review-classifier"
#: the JSON written next to the weights (measured accuracy, training time, recipe)
INFO_FILENAME = "hflab_review_classifier.json"
#: base model of the offline build (the mirror's encoder)
DEFAULT_BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: label names, the same as hflab.data.ID2LABEL (the CSV column `label` holds the index)
ID2LABEL = {0: "negative", 1: "positive"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}

#: The compact training recipe of :func:`ensure_review_classifier` (the lesson 08 recipe).
RECIPE = {
    "max_length": 96,          # tokens per review: every English review whole (longest 78); Korean is cut
    "num_train_epochs": 3,
    "per_device_train_batch_size": 16,
    "learning_rate": 1e-4,     # 2e-4 and above: English accuracy drops and varies from run to run
    "warmup_steps": 0.1,       # a float below 1 is a fraction of the training steps
    "weight_decay": 0.01,
    "seed": 42,
}

#: files a complete classifier folder holds (save_pretrained of model + tokenizer, and the JSON)
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", INFO_FILENAME)


class ModelError(HflabError):
    """A course model is missing, broken or cannot be built."""


def review_classifier_path() -> Path:
    """Where the course's fine-tuned review classifier lives: ``build/models/review-classifier``.

    The folder may not exist yet; :func:`ensure_review_classifier` builds it.

    Used in: 02_pipelines, 08_trainer, 10_sharing, 11_inference_api, 12_spaces_gradio
    """
    from .course import build_dir

    return build_dir() / "models" / REVIEW_CLASSIFIER_NAME


def _as_dir(path) -> Path:
    p = Path(review_classifier_path() if path is None else path).expanduser()
    if p.exists() and not p.is_dir():
        raise ModelError(
            f"'{p}' 는 폴더가 아니라 파일입니다. 모델은 폴더(config.json, model.safetensors ...)로 저장됩니다.",
            fix="path= 에 폴더 경로를 주거나, 생략해서 기본 위치(build/models/review-classifier)를 쓰세요.",
        )
    return p


def missing_files(path=None) -> list[str]:
    """The files a complete review-classifier folder lacks (empty list = complete).

    Also checks that config.json names the two labels ``negative`` / ``positive``.
    Used in: 08_trainer, tests/test_models.py.
    """
    p = _as_dir(path)
    missing = [name for name in REQUIRED_FILES if not (p / name).is_file()]
    if "config.json" not in missing:
        try:
            cfg = json.loads((p / "config.json").read_text(encoding="utf-8"))
            labels = {int(k): v for k, v in (cfg.get("id2label") or {}).items()}
        except (ValueError, OSError):
            labels = None
        if labels != ID2LABEL:
            missing.append("config.json (id2label {0: 'negative', 1: 'positive'})")
    return missing


def is_complete(path=None) -> bool:
    """True when the folder holds a loadable classifier, its tokenizer and the info JSON."""
    return not missing_files(path)


def review_classifier_info(path=None) -> dict | None:
    """The info JSON next to the classifier (accuracy per language, training time), or None.

    Keys: ``base_model``, ``test_accuracy`` (``{"en": .., "ko": .., "all": ..}``),
    ``test_examples`` (counts per language), ``train_seconds``, ``trained_by``
    (``"08_trainer"`` or ``"hflab.models.ensure_review_classifier"``), ``recipe``,
    ``transformers``.

    Used in: 02_pipelines, 10_sharing, 11_inference_api, 12_spaces_gradio (honest numbers)
    """
    f = _as_dir(path) / INFO_FILENAME
    if not f.is_file():
        return None
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except ValueError:
        return None


def recipe_differences(path=None) -> dict:
    """``{setting: (recorded, current)}`` where the saved MiniLM classifier's recipe differs from :data:`RECIPE`.

    Only for the offline base model (:data:`DEFAULT_BASE_MODEL`): a classifier fine-tuned from another
    checkpoint (Colab's defaults, a learner's experiment) has its own recipe and is left alone. A folder
    kept in a long-lived ``build/`` from before a recipe change shows up here; :func:`ensure_review_classifier`
    says so and ``hflab models --force`` retrains it.
    Used in: :func:`ensure_review_classifier`, tests/test_models.py.
    """
    info = review_classifier_info(path) or {}
    if info.get("base_model") != DEFAULT_BASE_MODEL:
        return {}
    recorded = info.get("recipe") or {}
    return {k: (recorded[k], RECIPE[k]) for k in RECIPE if k in recorded and recorded[k] != RECIPE[k]}


def write_review_classifier_info(
    path,
    *,
    base_model: str,
    test_accuracy: dict,
    test_examples: dict,
    train_seconds: float,
    trained_by: str,
    recipe: dict | None = None,
    **extra,
) -> Path:
    """Write the info JSON next to a saved classifier; returns the JSON's path.

    ``test_accuracy`` is ``{"en": float, "ko": float, "all": float}`` measured on the test split.
    Used in: 08_trainer (after save_pretrained), :func:`ensure_review_classifier`.
    """
    import transformers

    p = _as_dir(path)
    if not (p / "config.json").is_file():
        raise ModelError(
            f"'{p}' 에 저장된 모델이 없습니다 (config.json 없음).",
            fix="먼저 model.save_pretrained(path) 와 tokenizer.save_pretrained(path) 를 실행하세요.",
        )
    for key in ("en", "ko"):
        if key not in test_accuracy:
            raise ModelError(
                f"test_accuracy 에 '{key}' 언어의 정확도가 없습니다.",
                fix="test_accuracy={'en': ..., 'ko': ..., 'all': ...} 처럼 언어별 정확도를 넘기세요.",
            )
    info = {
        "base_model": base_model,
        "labels": [ID2LABEL[i] for i in sorted(ID2LABEL)],
        "test_accuracy": {k: round(float(v), 4) for k, v in test_accuracy.items()},
        "test_examples": {k: int(v) for k, v in test_examples.items()},
        "train_seconds": round(float(train_seconds), 1),
        "trained_by": trained_by,
        "recipe": dict(recipe or {}),
        "transformers": transformers.__version__,
    }
    info.update(extra)
    out = p / INFO_FILENAME
    out.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def accuracy_by_language(predictions, labels, langs) -> tuple[dict, dict]:
    """``({"en": acc, "ko": acc, "all": acc}, {"en": n, "ko": n, "all": n})`` from parallel lists.

    Used in: 08_trainer (per-language accuracy), :func:`ensure_review_classifier`.
    """
    predictions, labels, langs = list(predictions), list(labels), list(langs)
    if not (len(predictions) == len(labels) == len(langs)) or not labels:
        raise ModelError(
            f"예측({len(predictions)}개), 정답({len(labels)}개), 언어({len(langs)}개)의 개수가 같아야 하고 0보다 커야 합니다.",
            fix="같은 테스트 분할에서 만든 세 목록을 넘기세요.",
        )
    acc, n = {}, {}
    for lang in sorted(set(langs)) + ["all"]:
        idx = [i for i, l in enumerate(langs) if lang == "all" or l == lang]
        n[lang] = len(idx)
        acc[lang] = sum(int(predictions[i]) == int(labels[i]) for i in idx) / len(idx)
    return acc, n


@contextlib.contextmanager
def _lock(target: Path):
    """An exclusive file lock next to `target`, so two processes never train it at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    try:
        import fcntl
    except ImportError:  # Windows: no locking (one process at a time is the common case there)
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def train_review_classifier(path=None, base_model: str = DEFAULT_BASE_MODEL, quiet: bool = False,
                            **recipe) -> dict:
    """Fine-tune `base_model` on the course reviews with Trainer and save it to `path`; returns the info.

    Always trains (use :func:`ensure_review_classifier` to reuse an existing model). The recipe
    is :data:`RECIPE` (overridable by keyword). The folder is written to a temporary sibling
    first and moved in place at the end, so an interrupted build never looks complete.
    Used in: :func:`ensure_review_classifier`, tests/test_models.py.
    """
    from datasets import load_dataset
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              Trainer, TrainingArguments, set_seed)

    from . import data

    unknown = set(recipe) - set(RECIPE)
    if unknown:
        raise ModelError(
            f"알 수 없는 학습 설정: {', '.join(sorted(unknown))}",
            fix=f"다음 중에서 고르세요: {', '.join(RECIPE)}",
        )
    cfg = {**RECIPE, **recipe}
    target = _as_dir(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if quiet else print
    t0 = time.perf_counter()

    reviews = load_dataset("csv", data_files=data.reviews_files())
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    tokenized = reviews.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=cfg["max_length"]),
        batched=True, remove_columns=["text", "lang", "domain"],
    )
    set_seed(cfg["seed"])
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model, num_labels=2, id2label=ID2LABEL, label2id=LABEL2ID)

    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        args = TrainingArguments(
            output_dir=str(work / "trainer"),
            num_train_epochs=cfg["num_train_epochs"],
            per_device_train_batch_size=cfg["per_device_train_batch_size"],
            per_device_eval_batch_size=64,
            learning_rate=cfg["learning_rate"],
            warmup_steps=cfg["warmup_steps"],
            weight_decay=cfg["weight_decay"],
            seed=cfg["seed"],
            train_sampling_strategy="group_by_length",
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
        )
        trainer = Trainer(model=model, args=args, train_dataset=tokenized["train"],
                          data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer)
        say(f"리뷰 분류기를 학습합니다: {base_model}, {cfg['num_train_epochs']} 에폭, 학습 예제 {len(tokenized['train'])}개 ...")
        trainer.train()
        train_seconds = time.perf_counter() - t0
        # Evaluate with a plain loop in the test split's own order: with
        # train_sampling_strategy="group_by_length" transformers 5.23 also length-groups the
        # *evaluation* sampler, so trainer.predict() returns predictions in another order than
        # reviews["test"] and per-language accuracy computed from it is meaningless.
        preds = _predict_in_order(trainer.model, tokenizer, reviews["test"]["text"], cfg["max_length"])
        acc, n = accuracy_by_language(preds, reviews["test"]["label"], reviews["test"]["lang"])

        out = work / "model"
        trainer.model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        info_path = write_review_classifier_info(
            out, base_model=base_model, test_accuracy=acc, test_examples=n, train_seconds=train_seconds,
            trained_by="hflab.models.ensure_review_classifier", recipe=cfg)
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"저장했습니다: {target}  (테스트 정확도 영어 {acc['en']:.3f}, 한국어 {acc['ko']:.3f}, "
        f"학습 {info['train_seconds']:.0f}초)")
    return info


def _predict_in_order(model, tokenizer, texts, max_length: int, batch_size: int = 64) -> list[int]:
    """Predicted label ids for `texts`, in the given order (no sampler involved)."""
    import torch

    model.eval()
    out: list[int] = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            enc = tokenizer(list(texts[i:i + batch_size]), truncation=True, max_length=max_length,
                            padding=True, return_tensors="pt").to(model.device)
            out += model(**enc).logits.argmax(-1).tolist()
    return out


def ensure_review_classifier(path=None, base_model: str = DEFAULT_BASE_MODEL, quiet: bool = False) -> Path:
    """The path of the course's fine-tuned review classifier, trained first only if missing or incomplete.

    `path` defaults to :func:`review_classifier_path` (``build/models/review-classifier``, which
    lesson 08 writes). A complete folder (weights, config with ``negative``/``positive`` labels,
    tokenizer files, info JSON) is returned as it is, whoever trained it; otherwise `base_model`
    is fine-tuned with :data:`RECIPE` (about two minutes on 2 CPU cores offline). The returned
    folder loads with ``pipeline("text-classification", model=str(path))``; the measured test
    accuracy per language is in :func:`review_classifier_info`.

    Used in: 02_pipelines, 08_trainer, 10_sharing, 11_inference_api, 12_spaces_gradio
    """
    target = _as_dir(path)
    if is_complete(target):
        if not quiet:
            _say_existing(target)
        return target
    with _lock(target):
        if is_complete(target):  # another process finished it while we waited
            if not quiet:
                _say_existing(target)
            return target
        if not quiet:
            lacking = missing_files(target) if target.exists() else ["(폴더 없음)"]
            print(f"리뷰 분류기가 없거나 완전하지 않습니다 ({', '.join(lacking)}).")
        try:
            train_review_classifier(target, base_model=base_model, quiet=quiet)
        except OSError as e:
            raise ModelError(
                f"기반 모델 '{base_model}' 을(를) 불러오거나 저장하지 못했습니다: {type(e).__name__}",
                fix="오프라인이면 `hflab mirror` 로 미러를 만들고 HF_HUB_OFFLINE=1 을 설정하세요; "
                    "또는 08_trainer 노트북을 먼저 실행하세요.",
            ) from e
    return target


def _say_existing(target: Path) -> None:
    info = review_classifier_info(target) or {}
    acc = info.get("test_accuracy", {})
    if acc:
        print(f"리뷰 분류기: {target}  ({info.get('base_model')}, 테스트 정확도 영어 {acc.get('en', float('nan')):.3f}, "
              f"한국어 {acc.get('ko', float('nan')):.3f}; 학습: {info.get('trained_by')})")
    else:
        print(f"리뷰 분류기: {target}")
    diff = recipe_differences(target)
    if diff:
        print("  주의: 지금 레시피(hflab.models.RECIPE)와 다르게 학습된 분류기입니다 ("
              + ", ".join(f"{k} {old} → {new}" for k, (old, new) in diff.items())
              + "). 다시 학습하려면: hflab models --force")
