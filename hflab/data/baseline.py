"""A TF-IDF + logistic-regression baseline on the course reviews (scikit-learn).

The number a fine-tuned transformer has to beat: trained on the ``train`` split,
scored on the ``test`` split, one model per language. Korean uses character
n-grams (particles stick to words, so word n-grams are sparse); English uses
word 1-2-grams plus character n-grams. Deterministic (liblinear, fixed random_state).

The dataset card (``hflab/data/README.md``) quotes these figures; ``tests/test_data.py``
recomputes them and fails if the card is stale.

Used in: 08_trainer (the baseline to beat), tests/test_data.py, the dataset card.
"""
from __future__ import annotations

import csv
import math

from . import LANGS, DataError, reviews_files


def _rows(split: str, lang: str) -> tuple[list[str], list[int]]:
    with open(reviews_files(split), encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["lang"] == lang]
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def make_pipeline(lang: str):
    """The scikit-learn pipeline used for ``lang`` (unfitted).

    Hyper-parameters were chosen by 5-fold cross-validation on train + validation
    (never on test): Korean character n-grams 1-3; English word 1-2-grams plus
    character n-grams 1-5; ``C=3`` for both.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    if lang == "ko":
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    elif lang == "en":
        vec = FeatureUnion(
            [
                ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
                ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True)),
            ]
        )
    else:
        raise DataError(
            f"언어 '{lang}' 는 지원하지 않습니다. 사용할 수 있는 언어: ko, en",
            fix="lang='ko' 또는 lang='en' 을 넘기세요.",
        )
    clf = LogisticRegression(C=3.0, solver="liblinear", max_iter=1000, random_state=0)
    return Pipeline([("tfidf", vec), ("clf", clf)])


def binomial_p_value(correct: int, n: int, p: float = 0.5) -> float:
    """One-sided exact binomial test: P(at least ``correct`` of ``n`` right by guessing at rate ``p``)."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(correct, n + 1))


def review_baseline(lang: str, eval_split: str = "test") -> dict:
    """Fit on ``train``, score on ``eval_split``; returns counts and accuracy for ``lang``.

    >>> review_baseline("ko")["accuracy"]  # doctest: +SKIP
    0.87...
    """
    if lang not in LANGS:
        make_pipeline(lang)  # raises the Korean DataError
    x_train, y_train = _rows("train", lang)
    x_eval, y_eval = _rows(eval_split, lang)
    pipe = make_pipeline(lang).fit(x_train, y_train)
    pred = pipe.predict(x_eval)
    correct = sum(int(p == y) for p, y in zip(pred, y_eval))
    majority = max(sum(y_eval), len(y_eval) - sum(y_eval)) / len(y_eval)
    return {
        "correct": correct,
        "p_value": binomial_p_value(correct, len(y_eval), majority),
        "lang": lang,
        "split": eval_split,
        "n_train": len(x_train),
        "n_eval": len(x_eval),
        "accuracy": correct / len(y_eval),
        "majority_class": majority,
    }


def review_baselines(eval_split: str = "test") -> dict[str, dict]:
    """:func:`review_baseline` for every language: ``{"ko": {...}, "en": {...}}``."""
    return {lang: review_baseline(lang, eval_split) for lang in LANGS}
