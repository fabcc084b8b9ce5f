"""Lesson 03 (tokenizers): the facts the issue asks the lesson to show.

Fast checks read the notebook source (the Show facts are asserted in it, every checker is used in a
solution region). The `notebook` test reads the executed notebook (build/test/03_tokenizers.ipynb,
executed here when missing or older than the source) and re-checks its claims independently:
the Korean-trained BPE it saved needs fewer tokens per Korean test review than MiniLM's English
WordPiece, it reloads with AutoTokenizer, and it round-trips text exactly.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from hflab import catalog
from hflab.exercises import tokenizers as ex03
from hflab.report import headline_from_notebook

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks" / "03_tokenizers.ipynb"
STEM = "03_tokenizers"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB, as_version=4)


@pytest.fixture(scope="module")
def source(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _params(nb) -> dict:
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
            if isinstance(node, ast.Assign) for t in node.targets}


def test_default_parameters_compare_korean_multilingual_and_english_hub_tokenizers(nb):
    p = _params(nb)
    hub = list(p["HUB_TOKENIZERS"])
    assert {"klue/bert-base", "klue/roberta-base"} <= set(hub), "Korean checkpoints' tokenizers"
    assert {"google-bert/bert-base-multilingual-cased", "FacebookAI/xlm-roberta-base"} <= set(hub), "multilingual"
    assert p["ENGLISH_WORDPIECE"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert p["BYTE_BPE"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    for repo_id in hub + [p["ENGLISH_WORDPIECE"], p["BYTE_BPE"]]:
        e = catalog.entry(repo_id)
        assert STEM in e.lessons and e.params_m, f"{repo_id}: lesson + params_m in the catalog"


def test_show_facts_are_asserted_in_the_notebook(source):
    assert "record(tokenizer_train_s=total_train_s)" in source       # training measured; its bar: tests/measured_bars.py
    assert "AutoTokenizer.from_pretrained(save_root / name)" in source  # reloaded with AutoTokenizer
    assert 'rt.loc["ko-bpe / ko", "정확히 복원"] == len(test_ko)' in source  # round trip asserted
    assert "assert bpe_ko < en_wp_ko" in source and "headline(" in source
    assert "return_offsets_mapping=True" in source and "token_type_ids" in source
    assert "convert_tokens_to_ids" in source and "[wp.encode(t) for t in tokens]" in source  # seed form shown


def test_every_checker_is_used_with_a_solution_region(nb):
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("from hflab.exercises import tokenizers as ex03" in s for s in cells)
    checkers = [f for f in vars(ex03).values() if hasattr(f, "exercise_id")]
    assert len(checkers) >= 3
    for check in checkers:
        using = [s for s in cells if f"ex03.{check.__name__}(" in s]
        assert using, f"{check.__name__} is not used in the notebook"
        assert all("# BEGIN SOLUTION" in s and "# END SOLUTION" in s for s in using)


def test_student_build_finds_every_exercise(nb):
    from hflab.student import expected_exercises

    ids = [eid for _, eid in expected_exercises(nb, lesson=STEM)]
    assert ids == ["03.1", "03.2", "03.3", "03.4", "03.5"]


# --- the executed notebook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def executed(build_dir):
    out = build_dir / NB.name
    if not out.exists() or out.stat().st_mtime < NB.stat().st_mtime:
        from hflab.runner import run_notebook

        r = run_notebook(NB, out)
        assert r.ok, f"{NB.name} 실행 실패: {r.error}"
    return nbformat.read(out, as_version=4)


@pytest.mark.notebook
def test_executed_headline_korean_bpe_beats_english_wordpiece(executed):
    head = headline_from_notebook(executed)
    assert head is not None, "headline() 출력이 없습니다"
    v = head["values"]
    assert v["korean_bpe"] < v["english_wordpiece"], v
    assert v["train_seconds"] < 30, v
    assert f"{v['english_wordpiece']:.1f}" in head["text"] and f"{v['korean_bpe']:.1f}" in head["text"]


@pytest.mark.notebook
def test_saved_korean_bpe_recomputed_against_minilm(executed):
    """Independent of the notebook's printed table: reload what it saved and count again."""
    from transformers import AutoTokenizer

    from hflab.course import build_dir
    from hflab.data import load_reviews

    ko_bpe = AutoTokenizer.from_pretrained(build_dir() / "tokenizers" / "ko-bpe")
    mini = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    test_ko = load_reviews("test", lang="ko")["text"]
    assert len(test_ko) >= 50

    def per_sentence(tok):
        return sum(len(tok(s, add_special_tokens=False)["input_ids"]) for s in test_ko) / len(test_ko)

    bpe, wp = per_sentence(ko_bpe), per_sentence(mini)
    assert bpe < wp, (bpe, wp)
    head = headline_from_notebook(executed)["values"]
    assert abs(head["korean_bpe"] - bpe) < 0.051 and abs(head["english_wordpiece"] - wp) < 0.051
    for s in list(test_ko[:20]) + ["갓생 사는 MZ세대 🌱", "Delivery was fast."]:
        assert ko_bpe.decode(ko_bpe(s)["input_ids"]) == s   # byte-level: exact round trip, no [UNK]
