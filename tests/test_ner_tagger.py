"""hflab.ner_tagger: the small Korean NER tagger lesson 02 uses offline."""
from __future__ import annotations

import json

import pytest

from hflab import data, ner_tagger
from hflab.ner_tagger import NerTaggerError


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ner_tagger.DEFAULT_BASE_MODEL)


def test_every_subtoken_gets_a_label_and_specials_are_ignored(tokenizer):
    ex = {"text": "김민준은 서울에 산다", "entities": [{"start": 0, "end": 3, "label": "PER", "text": "김민준"},
                                                 {"start": 5, "end": 7, "label": "LOC", "text": "서울"}]}
    ids, labels = ner_tagger._encode(tokenizer, ex, data.NER_LABEL2ID, max_length=96)
    assert len(ids) == len(labels)
    assert labels[0] == -100 and labels[-1] == -100            # [CLS], [SEP]
    names = [data.NER_ID2LABEL[l] for l in labels[1:-1]]
    assert names[0] == "B-PER" and set(names) <= {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}
    assert "B-LOC" in names and names.count("B-PER") == 1     # continuation pieces are I-, not B-
    words, _ = data.ner_bio_words(ex)
    enc = tokenizer(words, is_split_into_words=True)
    per_pieces = sum(1 for w in enc.word_ids() if w == 0)
    assert names[:per_pieces] == ["B-PER"] + ["I-PER"] * (per_pieces - 1)


def test_missing_folder_is_incomplete_and_has_no_info(tmp_path):
    assert not ner_tagger.is_complete(tmp_path / "nothing")
    assert ner_tagger.ner_tagger_info(tmp_path / "nothing") is None
    assert ner_tagger.ner_tagger_path().parts[-2:] == ("models", "ner-tagger-ko")


def test_a_file_instead_of_a_folder_gets_a_korean_message(tmp_path):
    f = tmp_path / "model.txt"
    f.write_text("x")
    with pytest.raises(NerTaggerError, match="폴더가 아니라 파일"):
        ner_tagger.ensure_ner_tagger(f)


def test_unknown_recipe_key_gets_a_korean_message(tmp_path):
    with pytest.raises(NerTaggerError, match="알 수 없는 학습 설정"):
        ner_tagger.build_ner_tagger(tmp_path / "t", epochs=3)


@pytest.mark.notebook
def test_build_saves_a_loadable_tagger_with_honest_numbers(tmp_path):
    from transformers import pipeline

    path = ner_tagger.ensure_ner_tagger(tmp_path / "ner", quiet=True)
    assert ner_tagger.is_complete(path)
    info = ner_tagger.ner_tagger_info(path)
    json.dumps(info)
    t = info["test"]
    assert info["base_model"] == ner_tagger.DEFAULT_BASE_MODEL and "frozen" in info["trained"]
    assert 0 <= t["entity_f1"] <= 1 and t["tokens"] > 1000
    assert t["token_accuracy"] > t["all_o_baseline"], t   # the head learned something beyond "all O"
    ner = pipeline("token-classification", model=str(path), aggregation_strategy="simple")
    assert set(ner.model.config.id2label.values()) == set(data.NER_LABELS)
    out = ner("2024년 3월 15일 서울에서 축제가 열렸다.")
    assert isinstance(out, list) and all({"entity_group", "start", "end", "score"} <= set(o) for o in out)
    # a second call reuses the folder
    assert ner_tagger.ensure_ner_tagger(tmp_path / "ner", quiet=True) == path
