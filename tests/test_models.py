"""hflab.models: the course review classifier (lesson 08's model, reused by 02, 10, 11, 12).

The fast tests check the folder bookkeeping and the Korean errors. One test builds (or, far
more often, reuses) the real classifier with `ensure_review_classifier()` and loads it through
`pipeline("text-classification")`: `make setup` builds it once (`hflab models`), lesson 08
rewrites it; training from scratch takes about a minute on 2 CPU cores.
"""
from __future__ import annotations

import json
import re

import pytest

from hflab import models

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_path_is_under_build_models():
    p = models.review_classifier_path()
    assert p.parts[-3:] == ("build", "models", "review-classifier")


def test_missing_files_lists_everything_for_an_empty_folder(tmp_path):
    assert models.missing_files(tmp_path) == list(models.REQUIRED_FILES)
    assert not models.is_complete(tmp_path)
    assert models.review_classifier_info(tmp_path) is None


def test_wrong_labels_make_a_folder_incomplete(tmp_path):
    for name in models.REQUIRED_FILES:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "LABEL_0", "1": "LABEL_1"}}))
    missing = models.missing_files(tmp_path)
    assert len(missing) == 1 and "id2label" in missing[0]
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "negative", "1": "positive"}}))
    assert models.is_complete(tmp_path)


def test_a_file_instead_of_a_folder_gets_a_korean_error(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    with pytest.raises(models.ModelError) as e:
        models.ensure_review_classifier(f)
    assert HANGUL.search(str(e.value)) and "폴더" in str(e.value)


def test_accuracy_by_language():
    acc, n = models.accuracy_by_language([1, 0, 1, 1], [1, 1, 1, 0], ["en", "ko", "ko", "en"])
    assert acc == {"en": 0.5, "ko": 0.5, "all": 0.5} and n == {"en": 2, "ko": 2, "all": 4}
    with pytest.raises(models.ModelError, match="개수"):
        models.accuracy_by_language([1], [1, 0], ["en", "ko"])


def test_info_needs_a_saved_model_and_both_languages(tmp_path):
    with pytest.raises(models.ModelError, match="save_pretrained"):
        models.write_review_classifier_info(tmp_path, base_model="x", test_accuracy={"en": 1, "ko": 1},
                                           test_examples={}, train_seconds=1, trained_by="test")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(models.ModelError, match="ko"):
        models.write_review_classifier_info(tmp_path, base_model="x", test_accuracy={"en": 1.0},
                                           test_examples={}, train_seconds=1, trained_by="test")
    out = models.write_review_classifier_info(tmp_path, base_model="x", test_accuracy={"en": 0.9, "ko": 0.6},
                                              test_examples={"en": 96, "ko": 96}, train_seconds=12.34,
                                              trained_by="test", recipe={"num_train_epochs": 3})
    info = json.loads(out.read_text(encoding="utf-8"))
    assert info["test_accuracy"] == {"en": 0.9, "ko": 0.6} and info["train_seconds"] == 12.3
    assert info["labels"] == ["negative", "positive"] and info["recipe"]["num_train_epochs"] == 3


def test_recipe_differences_flag_an_old_offline_classifier_only(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")  # the info JSON is written next to a saved model

    def info(base, recipe):
        models.write_review_classifier_info(tmp_path, base_model=base, test_accuracy={"en": 0.8, "ko": 0.5},
                                            test_examples={"en": 96, "ko": 96}, train_seconds=1,
                                            trained_by="test", recipe=recipe)

    info(models.DEFAULT_BASE_MODEL, {**models.RECIPE, "max_length": 64})
    assert models.recipe_differences(tmp_path) == {"max_length": (64, models.RECIPE["max_length"])}
    models._say_existing(tmp_path)
    assert "hflab models --force" in capsys.readouterr().out
    info(models.DEFAULT_BASE_MODEL, dict(models.RECIPE))
    assert models.recipe_differences(tmp_path) == {}
    info("klue/roberta-base", {"max_length": 128, "learning_rate": 3e-5})  # another base model: its own recipe
    assert models.recipe_differences(tmp_path) == {}


def test_unknown_recipe_keys_are_rejected_before_training(tmp_path):
    with pytest.raises(models.ModelError, match="학습 설정"):
        models.train_review_classifier(tmp_path / "m", epochs=1)


@pytest.mark.timeout(900)
def test_ensure_review_classifier_gives_a_pipeline_ready_folder():
    """Reuses build/models/review-classifier when present; trains it (about a minute) when not."""
    from transformers import pipeline

    path = models.ensure_review_classifier(quiet=True)
    assert path == models.review_classifier_path() and models.is_complete(path)
    info = models.review_classifier_info(path)
    assert set(info["test_accuracy"]) >= {"en", "ko"} and info["train_seconds"] > 0
    assert info["test_examples"]["en"] > 0 and info["test_examples"]["ko"] > 0
    assert 0.0 <= info["test_accuracy"]["ko"] <= 1.0
    # the same bar lesson 08 asserts for its own run; an old build/ folder says how to retrain
    assert info["test_accuracy"]["en"] >= 0.85, (info, models.recipe_differences(path), "hflab models --force")
    assert models.recipe_differences(path) == {}, "build/ 의 분류기가 옛 레시피로 학습됨: hflab models --force"

    clf = pipeline("text-classification", model=str(path))
    assert clf.model.config.id2label == {0: "negative", 1: "positive"}
    out = clf(["Absolutely loved it, I will definitely come back!", "Terrible. It broke on the first day and support ignored me."])
    assert [o["label"] for o in out] == ["positive", "negative"]
    assert models.ensure_review_classifier(quiet=True) == path  # complete: returned as it is, no training
