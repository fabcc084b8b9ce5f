"""Lesson 10 (sharing on the Hub): structure, checkers, and what the executed notebook left on the practice hub.

Fast tests read the committed notebook and the checkers. The `notebook`-marked test executes the notebook once
offline, then restarts the practice hub on the notebook's own root (its state is kept on disk) and checks from
outside the notebook, with the real clients: the classifier loads by repo id with the same logits as the local
folder, the model card's model-index holds the accuracy recomputed here from the local model, the dataset rows
equal the course CSVs, and no token appears in the outputs.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from hflab import catalog
from hflab.errors import HflabError
from hflab.exercises import sharing
from hflab.runner import offline_parameters, run_notebook

NB = Path(__file__).resolve().parent.parent / "notebooks" / "10_sharing.ipynb"
TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{16,}")


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB, as_version=4)


@pytest.fixture(scope="module")
def code(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _params(nb) -> dict:
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: node.value.value for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(node.value, ast.Constant)}


def test_defaults_use_the_real_hub_and_offline_the_practice_hub(nb):
    p = _params(nb)
    assert p["USE_PRACTICE_HUB"] is False
    assert offline_parameters("10_sharing")["USE_PRACTICE_HUB"] is True
    for stem_params in (p, offline_parameters("10_sharing")):
        e = catalog.entry(stem_params["CLASSIFIER_BASE_MODEL"])
        assert "10_sharing" in e.lessons and e.license, "the card's licence comes from the base model's catalog entry"
    assert catalog.entry(offline_parameters("10_sharing")["CLASSIFIER_BASE_MODEL"]).mirror
    assert p["MODEL_REPO_NAME"].startswith("hflab-10") and p["DATASET_REPO_NAME"].startswith("hflab-10")


def test_no_token_in_cells_no_login_and_writes_go_private_to_my_namespace(nb, code):
    for cell in nb.cells:
        assert not TOKEN_LIKE.search(cell.source), "a token-shaped string is written in a cell"
    src = "\n".join(code)
    no_magic = re.sub(r"^(\s*)[%!].*$", r"\1pass", src, flags=re.M)
    for node in ast.walk(ast.parse(no_magic)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            assert name not in ("login", "notebook_login", "interpreter_login"), "no login() in the lesson"
            assert not any(k.arg == "token" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                           for k in node.keywords), f"{ast.unparse(node)[:60]}: the token comes from the environment"
            if name == "update_repo_settings":
                raise AssertionError("the lesson must not make the learner's repos public")
        if isinstance(node, ast.Subscript) and ast.unparse(node).startswith("os.environ"):
            raise AssertionError("the lesson must not read environment variables")
    assert "MODEL_REPO = f\"{me['name']}/{MODEL_REPO_NAME}\"" in src and "DATASET_REPO = f\"{me['name']}/{DATASET_REPO_NAME}\"" in src
    assert "me = api.whoami()" in src and "hflab.auth.write_access(me, MODEL_REPO)" in src  # the library's call (issue 22)
    assert "api.create_repo(MODEL_REPO, private=True, exist_ok=True)" in src
    assert "reviews.push_to_hub(DATASET_REPO, private=True" in src
    assert 'PracticeHub(build_dir() / "practice_hub_10", fresh=True)' in src
    assert "hub.activate(export_token=True)" in src and "hub.stop()" in src
    # the classifier is built (if missing) before the hub is activated: training needs the mirror / the real Hub
    assert src.index("ensure_review_classifier(") < src.index("hub.activate(")


def test_show_facts_and_api_calls_are_in_the_notebook(nb, code):
    src = "\n".join(code)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for call in ("model.push_to_hub(MODEL_REPO", "tokenizer.push_to_hub(MODEL_REPO", "upload_file(", "upload_folder(",
                 "api.create_commit(MODEL_REPO, operations=", "CommitOperationAdd(", "CommitOperationDelete(",
                 "api.create_branch(", "api.create_tag(", 'revision="korean-labels"', "revision=rev",
                 "trainer.push_to_hub(", "AutoModelForSequenceClassification.from_pretrained(MODEL_REPO",
                 "load_dataset(DATASET_REPO", "DatasetCard.load(DATASET_REPO)", "DatasetCard.from_template(",
                 "ModelCardData(", "EvalResult(", "ModelCard.from_template(", "model_card.validate()",
                 "model_card.push_to_hub(MODEL_REPO", "ModelCard.load(MODEL_REPO)", 'evaluate.load("accuracy")',
                 "hflab.report.headline(", "api.auth_check(MODEL_REPO, token=False)"):
        assert call in src, call
    for fact in ("assert same_logits and n_same == n_test", 'assert check["같은가"].all()',
                 'assert round_trip["행이 모두 같은가"].all()',
                 "assert reparsed.data.eval_results == eval_results"):
        assert fact in src, fact
    # the seed's broken forms, shown in their current form
    assert "from huggingface_hub import Repository" in src and "repository_url=" in src and "CardData(" in src
    assert prose.count("이전 코드 → 현재 코드") >= 3
    for word in ("Repository", "repository_url", "CardData(metrics", "model-index", "비공개", "게이트", "라이선스",
                 "cc-by-sa-4.0", "gated=\"auto\"", "한계"):
        assert word in prose, word


def test_every_checker_is_used_with_a_solution_region(code):
    checks = [c for c in vars(sharing).values() if hasattr(c, "exercise_id")]
    assert len(checks) >= 3
    for check in checks:
        using = [s for s in code if f"hflab.exercises.sharing.{check.__name__}(" in s]
        assert using, f"{check.__name__} is not used in the notebook"
        assert all("# BEGIN SOLUTION" in s and "# END SOLUTION" in s for s in using)


def test_checker_rules_are_computed_from_their_inputs():
    for key, sc in sharing.SCENARIOS.items():
        v = sharing.visibility_for(sc)
        if sc.personal_data or sc.audience != "everyone":
            assert v == "private", key
        else:
            assert v == ("gated" if sc.terms else "public"), key
    assert set(sharing.visibility_for(s) for s in sharing.SCENARIOS.values()) == set(sharing.VISIBILITIES)
    for base in ("sentence-transformers/all-MiniLM-L6-v2", "klue/roberta-base"):
        assert sharing.license_for_finetune(base) == catalog.entry(base).license
    assert sharing.accuracy_of([1, 0, 1], [1, 1, 1]) == pytest.approx(2 / 3)
    with pytest.raises(HflabError, match="개수"):
        sharing.accuracy_of([1], [])


def _accuracy_from_local_model(classifier_dir, max_length, batch_size):
    """The notebook's measurement, recomputed here from the local folder (independent of the notebook)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import hflab.data
    import pandas as pd

    test = pd.read_csv(hflab.data.reviews_files()["test"])
    tok = AutoTokenizer.from_pretrained(classifier_dir)
    model = AutoModelForSequenceClassification.from_pretrained(classifier_dir).eval()
    texts = test["text"].tolist()
    logits = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i:i + batch_size], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            logits.append(model(**enc).logits)
    logits = torch.cat(logits)
    pred = logits.argmax(-1).numpy()
    acc = {lang: float((pred[(test["lang"] == lang).values] == test["label"][test["lang"] == lang].values).mean())
           for lang in ("ko", "en")}
    acc["all"] = float((pred == test["label"].values).mean())
    return acc, logits, texts, tok


@pytest.mark.notebook
def test_executed_notebook_left_a_consistent_model_card_and_dataset_on_the_hub(tmp_path, canary):
    import torch
    from datasets import load_dataset
    from huggingface_hub import ModelCard
    from transformers import AutoModelForSequenceClassification

    import hflab.data
    from hflab import offline
    from hflab.course import build_dir
    from hflab.models import review_classifier_path
    from hflab.practice_hub import PracticeHub

    refs = sorted(offline.hub_cache().glob("models--*/refs/main"))
    before = {p: p.read_text() for p in refs}
    out = tmp_path / "10_sharing.ipynb"
    r = run_notebook(NB, out)
    assert r.ok, r.error
    text = out.read_text(encoding="utf-8")

    root = build_dir() / "practice_hub_10"
    tokens = json.loads((root / "tokens.json").read_text())
    for secret in [canary, *tokens]:
        assert secret not in text
    assert not TOKEN_LIKE.search(text.replace("hf_…", "")), "a token-shaped string appeared in the outputs"
    # the offline mirror's cache was only read
    assert {p: p.read_text() for p in refs} == before

    h = r.headline["values"]
    assert h["same_predictions"] == h["test_examples"] == 192 and "192/192 동일" in r.headline["text"]

    p = _params(nbformat.read(NB, as_version=4))
    acc, local_logits, texts, tok = _accuracy_from_local_model(review_classifier_path(), p["MAX_LENGTH"],
                                                               p["EVAL_BATCH_SIZE"])
    assert (h["accuracy_ko"], h["accuracy_en"], h["accuracy"]) == tuple(round(acc[k], 4) for k in ("ko", "en", "all"))

    hub = PracticeHub(root).start()   # same root, not fresh: what the notebook pushed is still there
    try:
        with hub.activated(export_token=True):
            card = ModelCard.load("student/hflab-10-review-classifier")
            values = {r_.metric_name: r_.metric_value for r_ in card.data.eval_results}
            assert values == {f"accuracy ({k})": round(acc[k], 4) for k in ("ko", "en", "all")}
            assert card.data.language == ["ko", "en"] and card.data.datasets == ["student/hflab-10-reviews"]
            assert all(r_.dataset_type == "student/hflab-10-reviews" and r_.dataset_split == "test"
                       for r_ in card.data.eval_results)

            model = AutoModelForSequenceClassification.from_pretrained(
                "student/hflab-10-review-classifier", cache_dir=tmp_path / "hf").eval()
            with torch.no_grad():
                enc = tok(texts[:64], truncation=True, max_length=p["MAX_LENGTH"], padding=True, return_tensors="pt")
                assert torch.equal(model(**enc).logits, local_logits[:64])

            back = load_dataset("student/hflab-10-reviews", cache_dir=str(tmp_path / "ds"))
            csv = load_dataset("csv", data_files=hflab.data.reviews_files(), cache_dir=str(tmp_path / "csv"))
            assert set(back) == {"train", "validation", "test"}
            for split in back:
                assert back[split].to_list() == csv[split].to_list(), split
    finally:
        hub.stop()
